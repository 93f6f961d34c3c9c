"""The time-stepped engine: traffic, faults, routing, capacity, retries and breakers, in time.

Requests are counts per step, not objects, so Ring-scale traffic costs the same as a trickle.
Arrivals are Poisson (seeded); after that the engine moves expected counts (floats) through
the system, so a run is smooth and exactly reproducible. Each step of ``step`` seconds:

1. **states**: which cells work (components up or down from MTBF/MTTR and scheduled faults,
   computed for the whole run before the loop), their capacity, latency and error share;
2. **offered load**: new requests per cell (traffic x the cell's share of customers) plus the
   retries due this step;
3. **routing**: each cell's traffic goes to that cell, unless the router has noticed it is
   dead (``failover="health check"``, after ``detection`` seconds) or its breaker is open;
   then it goes to the live cells by their shares, or to the fallback cell;
4. **capacity**: a cell serves up to ``capacity x step`` requests, oldest first. What it cannot
   serve is shed at once (``overload="shed"``) or queued (``"queue"``, up to ``max_queue``
   seconds of waiting). A request whose wait plus latency passes the client's ``timeout``
   has timed out: the client gives up and may retry, but the server still does the work when
   it reaches it, so that work is *wasted* and goodput can collapse;
5. **outcomes**: served (good), errors, shed, timed out, wasted, rejected by a breaker, and
   given up (failed with no retry left). Failed, shed and timed-out requests are retried with
   backoff while attempts (and the retry budget) last: retries are load in later steps, so
   retry storms and metastable failures emerge; nothing is scripted.

>>> from labkit.catalog import cells
>>> from labkit.simulation import constant, simulate
>>> run = simulate(cells(4), constant(1000), duration=60, cell_capacity=400, seed=1)
>>> run.success_ratio > 0.99
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import check_choice, check_count, check_flag, check_number, check_positive, fail
from ..model import Architecture, as_architecture
from .faults import Fault, check_faults
from ..structure import component_works
from .states import (_window, affected, base_latency, capacity_over_time, check_cells, closure,
                     serving_capacity,
                     error_shares, per_feature, shared_capacity, up_timelines,
                     works_over_time)
from .traffic import as_traffic

MAX_STEPS = 200_000          # a day at 0.5 s steps; beyond that, use longer steps
MAX_WORK = 2_000_000_000     # steps x cells x attempts x queue ages: the loop's arithmetic
MAX_HELD = 20_000_000        # counts kept between steps (160 MB): queues, timeouts, retries
BACKOFFS = ("none", "exponential", "full", "equal", "decorrelated")
SHED_WAIT = 0.1              # seconds a request may wait for a server before it is shed


# ------------------------------------------------------------------------- the knobs


@dataclass(frozen=True)
class Retry:
    """How clients retry: ``attempts`` tries in all (1 = never retry), ``backoff`` between them.

    ``backoff``: ``"none"`` (at once), ``"exponential"`` (base x 2^n, capped), ``"full"``,
    ``"equal"`` or ``"decorrelated"`` jitter (Brooker 2015; ``lessons/sources.md``). ``budget``: a token
    bucket of this many retries, refilled by ``refill`` tokens per successful request; None
    for no budget.

    A retry lands in a later step of the engine: delays shorter than a step all land in the
    next one, so to see backoff shape a storm, use steps shorter than ``base``.
    """

    attempts: int = 1
    backoff: str = "none"
    base: float = 0.05
    cap: float = 20.0
    budget: float | None = None
    refill: float = 0.1

    def __post_init__(self) -> None:
        check_count("attempts", self.attempts, low=1, high=10)
        check_choice("backoff", self.backoff, BACKOFFS)
        check_positive("base", self.base)
        check_number("cap", self.cap, low=self.base, high=3600.0,
                     allowed=f"expected seconds from base ({self.base:g}) to 3600")
        if self.budget is not None:
            check_number("budget", self.budget, low=0.0, high=1e9, allowed="expected a number "
                         "of retries the bucket holds, 0 or more (None for no budget)")
        check_number("refill", self.refill, low=0.0, high=1.0,
                     allowed="expected tokens per success from 0 to 1")


@dataclass(frozen=True)
class Fallback:
    """An extra cell that takes traffic when breakers open or cells die.

    ``mode="live"``: it serves ``share`` of all traffic all the time, so it is known to work
    and its capacity is warm. ``mode="idle"``: it waits for an emergency; when traffic first
    arrives its capacity ramps up over ``warmup`` seconds, and with probability
    ``latent_defect`` its never-exercised path is broken and fails everything (``lessons/sources.md``,
    Builders' Library "Avoiding fallback in distributed systems").
    """

    capacity: float
    mode: str = "live"
    share: float = 0.05
    warmup: float = 120.0
    latent_defect: float = 0.0
    latency_ms: float = 0.0

    def __post_init__(self) -> None:
        check_positive("capacity", self.capacity)
        check_choice("mode", self.mode, ("live", "idle"))
        check_number("share", self.share, low=0.0, high=0.5,
                     allowed="expected the share of traffic a live fallback serves, 0 to 0.5")
        check_number("warmup", self.warmup, low=0.0, high=3600.0, allowed="expected seconds from 0 to 3600")
        check_number("latent_defect", self.latent_defect, low=0.0, high=1.0,
                     allowed="expected a probability from 0 to 1")
        check_number("latency_ms", self.latency_ms, low=0.0, high=1e6, allowed="expected milliseconds, 0 or more")


def retry_horizon(retry: Retry, step: float) -> int:
    """Steps ahead a retry can land: past the backoff cap, plus the step it failed in."""
    longest = retry.cap if retry.backoff != "none" else 0.0
    return max(2, int(math.ceil(longest / step)) + 2)


def retry_delays(retry: Retry, step: float, horizon: int) -> np.ndarray:
    """pmf[a, j]: the chance a request failing on attempt ``a`` is retried ``j + 1`` steps later.

    Even a retry "at once" lands in the next step: a step is the engine's unit of time.
    """
    from ..backoff import delay_distribution
    pmf = np.zeros((max(1, retry.attempts), horizon))
    for a in range(retry.attempts):
        if retry.backoff == "none":
            pmf[a, 0] = 1.0
            continue
        # The retry after failed attempt a is the (a+1)-th retry: backoff exponent a.
        p = np.asarray(delay_distribution(retry.backoff, a, retry.base, retry.cap, step, horizon - 1))
        pmf[a, : len(p)] = p
    return pmf / pmf.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------------ results


@dataclass
class Run:
    """What happened, step by step. Arrays over time are per step; per-cell ones are
    (steps, cells) with the fallback cell, if any, last.

    Outcome counts are requests per step (expected values after Poisson arrivals).
    """

    times: np.ndarray
    step: float
    cells: list[str]
    new: np.ndarray
    retries: np.ndarray
    good: np.ndarray
    errors: np.ndarray
    shed: np.ndarray
    timed_out: np.ndarray
    wasted: np.ndarray
    rejected: np.ndarray
    gave_up: np.ndarray
    queued: np.ndarray
    latency_p50: np.ndarray
    latency_p99: np.ndarray
    cell_good: np.ndarray
    cell_failed: np.ndarray
    cell_up: np.ndarray
    breaker: np.ndarray          # 0 closed, 1 open, 2 half-open; per cell (router -> cell link)
    capacity: np.ndarray
    # Event-driven work (Architecture.add_queue), per step and queue ("producer -> consumer"):
    # items added, done, late (waited past the deadline), waiting, and the oldest one's age (s).
    queues: list = field(default_factory=list)
    work_added: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    work_done: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    work_late: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    backlog: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    backlog_age: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def offered(self) -> np.ndarray:
        """New requests plus retries, per step."""
        return self.new + self.retries

    @property
    def success_ratio(self) -> float:
        """Requests served over new requests, for the whole run (the "six nines" view)."""
        total = float(self.new.sum())
        return min(1.0, float(self.good.sum()) / total) if total > 0 else 1.0

    def goodput(self) -> np.ndarray:
        """Good responses per second, per step."""
        return self.good / self.step

    def window(self, start: float = 0.0, end: float | None = None) -> np.ndarray:
        """Booleans over the steps whose start time lies in [start, end) (end None: to the end)."""
        start = check_number("start", start, low=0.0, allowed="expected a time in seconds, 0 or more")
        if end is None:
            return self.times >= start
        end = check_number("end", end, low=start,
                           allowed=f"expected a time in seconds from start ({start:g}) on, or None")
        return (self.times >= start) & (self.times < end)

    def mean_goodput(self, start: float = 0.0, end: float | None = None) -> float:
        """Good responses per second, averaged over the steps in [start, end); nan if none.

        >>> from labkit.model import Architecture
        >>> one = Architecture("s").add_component("s", capacity=100)
        >>> simulate(one, 150, duration=10, arrivals="fluid").mean_goodput(5)
        100.0
        """
        steps = self.window(start, end)
        return float(self.good[steps].sum() / (steps.sum() * self.step)) if steps.any() else math.nan

    def served_share(self, start: float = 0.0, end: float | None = None) -> dict:
        """Each cell's share of the requests that ended in [start, end) that were served well:
        good / (good + failed, shed or timed out); nan for a cell where none ended."""
        steps = self.window(start, end)
        good, failed = self.cell_good[steps].sum(axis=0), self.cell_failed[steps].sum(axis=0)
        return {cell: float(g / (g + f)) if g + f > 0 else math.nan
                for cell, g, f in zip(self.cells, good, failed)}

    def table(self, every: int = 1) -> list[dict]:
        """Tidy rows (time, outcome, requests per second) for altair, one per ``every`` steps."""
        every = check_count("every", every, low=1)
        rows = []
        series = {"offered": self.offered, "served": self.good, "failed": self.errors + self.rejected,
                  "shed": self.shed, "timed out": self.timed_out, "wasted": self.wasted}
        for i in range(0, len(self.times), every):
            for name, values in series.items():
                rows.append({"time": float(self.times[i]), "outcome": name,
                             "requests per second": float(values[i] / self.step)})
        return rows

    def on_time_share(self, start: float = 0.0, end: float | None = None) -> float:
        """Share of the queued work finished in [start, end) that was done before its
        deadline (1.0 when no work finished; nan without queues)."""
        if not self.queues:
            return math.nan
        steps = self.window(start, end)
        done, late = float(self.work_done[steps].sum()), float(self.work_late[steps].sum())
        return done / (done + late) if done + late > 0 else 1.0

    def summary(self) -> dict:
        """Totals over the run, as plain numbers."""
        return {"new": float(self.new.sum()), "retries": float(self.retries.sum()),
                "served": float(self.good.sum()), "errors": float(self.errors.sum()),
                "shed": float(self.shed.sum()), "timed out": float(self.timed_out.sum()),
                "wasted": float(self.wasted.sum()), "rejected": float(self.rejected.sum()),
                "gave up": float(self.gave_up.sum()), "success ratio": self.success_ratio,
                **({"work late": float(self.work_late.sum()),
                    "oldest backlog (s)": float(self.backlog_age.max(initial=0.0))}
                   if self.queues else {})}


# ------------------------------------------------------------------------------ engine


def simulate(arch: Architecture, traffic, *, duration: float, step: float = 1.0,
             faults=(), cell_capacity: float = math.inf, overload: str = "shed",
             max_queue: float = 30.0, timeout: float = 1.0, retry: Retry = Retry(),
             failover: str = "none", detection: float = 10.0, breaker=None,
             breaker_at: str = "cell", redirect: str = "others", fallback: Fallback | None = None,
             random_failures: bool = False, arrivals: str = "poisson", seed: int = 0) -> Run:
    """Run ``arch`` under ``traffic`` for ``duration`` seconds in steps of ``step``.

    ``arch``'s customer partitions are the cells (one feature per cell, e.g. from
    ``catalog.cells``); an architecture without partitions is one cell. A cell serves what
    its components' ``capacity`` allow, at most ``cell_capacity`` requests per second.
    ``breaker``: a ``labkit.breaker.BreakerConfig`` (None: no breakers), placed on each
    router-to-cell link (``breaker_at="cell"``) or once in front of the whole service
    (``"client"``). ``redirect``: where traffic goes when the router avoids a cell:
    ``"others"`` (the live cells, by share) or ``"fallback"``.
    """
    arch = as_architecture(arch)
    setup = _Setup(arch, traffic, duration, step, faults, cell_capacity, overload, max_queue,
                   timeout, retry, failover, detection, breaker, breaker_at, redirect, fallback,
                   random_failures, arrivals, seed)
    return _Loop(setup).run()


class _Setup:
    """Validated arguments and everything computed for the whole run before the loop."""

    def __init__(self, arch, traffic, duration, step, faults, cell_capacity, overload, max_queue,
                 timeout, retry, failover, detection, breaker, breaker_at, redirect, fallback,
                 random_failures, arrivals, seed):
        self.arch = arch
        self.traffic = as_traffic(traffic)
        self.step = check_number("step", step, low=0.01, high=60.0,
                                 allowed="expected seconds per step from 0.01 to 60")
        duration = check_positive("duration", duration)
        self.steps = int(math.ceil(duration / self.step - 1e-9))
        if self.steps > MAX_STEPS:
            raise fail("duration", duration, f"expected at most {MAX_STEPS:,} steps of "
                       f"{self.step:g} s (a longer step covers more time)")
        self.duration = duration
        self.faults = check_faults(arch, faults, duration)
        self.cell_capacity = check_number("cell_capacity", cell_capacity, low=0.0, low_open=True,
                                          high=1e12, allowed="expected requests per second "
                                          "above 0, at most 1e12 (math.inf: unlimited)") \
            if cell_capacity != math.inf else math.inf
        self.overload = check_choice("overload", overload, ("shed", "queue"))
        self.max_queue = check_number("max_queue", max_queue, low=0.0, high=3600.0,
                                      allowed="expected seconds of waiting from 0 to 3600")
        self.timeout = check_number("timeout", timeout, low=0.0, low_open=True, high=600.0,
                                    allowed="expected seconds above 0, at most 600")
        if not isinstance(retry, Retry):
            raise fail("retry", retry, "expected a labkit.simulation.Retry(...)")
        self.retry = retry
        self.failover = check_choice("failover", failover, ("none", "health check"))
        self.detection = check_number("detection", detection, low=0.0, high=3600.0,
                                      allowed="expected seconds from 0 to 3600")
        self.breaker = _check_breaker(breaker)
        self.breaker_at = check_choice("breaker_at", breaker_at, ("cell", "client"))
        self.redirect = check_choice("redirect", redirect, ("others", "fallback"))
        if fallback is not None and not isinstance(fallback, Fallback):
            raise fail("fallback", fallback, "expected a labkit.simulation.Fallback(...) or None")
        if redirect == "fallback" and fallback is None:
            raise fail("redirect", redirect, "redirecting to the fallback cell needs a fallback")
        self.fallback = fallback
        check_flag("random_failures", random_failures)
        self.arrivals = check_choice("arrivals", arrivals, ("poisson", "fluid"))
        self.seed = check_count("seed", seed, low=0, high=2**63)
        self.rng = np.random.default_rng(self.seed)

        self.cells = check_cells(arch)
        n = len(self.cells)
        self.targets = n + (fallback is not None)
        # Queue ages kept: enough to see every timeout and the longest allowed wait.
        # Shedding still lets a request wait a moment for a free server (SHED_WAIT), so the
        # outcome does not depend on how finely time is cut into steps.
        wait = SHED_WAIT if self.overload == "shed" else self.max_queue
        self.ages = int(math.floor(wait / self.step + 1e-9)) + 1
        # Memory: the queue, the timeouts still to come and the retries still due, per cell
        # and attempt; and time: every step works through the queue.
        held = self.targets * retry.attempts * (self.ages + self.timeout / self.step
                                                + retry.cap / self.step + 4)
        if held > MAX_HELD:
            raise fail("step", self.step, f"this run would hold {held:.2g} counts at once; "
                       f"expected at most {MAX_HELD:.0e} (a longer step, fewer cells or "
                       "attempts, a shorter queue, timeout or backoff cap)")
        work = self.steps * self.targets * retry.attempts * self.ages
        if work > MAX_WORK:
            raise fail("duration", duration, f"this run would take {work:.2g} cell-steps of "
                       f"work; expected at most {MAX_WORK:.0e} (fewer steps, cells, attempts "
                       "or queue seconds)")
        self.times = np.arange(self.steps) * self.step
        self._timelines(random_failures)

    def _timelines(self, random_failures: bool) -> None:
        arch, steps, step, cells = self.arch, self.steps, self.step, self.cells
        up = up_timelines(arch, steps, step, self.faults, self.seed, random_failures)
        self.cell_up = works_over_time(arch, up, cells)
        self.capacity = np.minimum(capacity_over_time(arch, up, cells), self.cell_capacity)
        self.capacity = np.where(self.cell_up, self.capacity, 0.0)
        self.shared_capacity, self.shared_users = shared_capacity(arch, up, cells)
        latency = np.array([base_latency(arch, c) for c in cells])
        self.latency_ms = latency[None, :] + per_feature(arch, cells, self.faults, "latency", steps, step)
        self.error_share = error_shares(arch, cells, self.faults, steps, step)
        blips = [f for f in self.faults if f.kind == "blip"]
        self.lost_requests = per_feature(arch, cells, [f for f in blips if f.amount == 0], "blip",
                                         steps, step) > 0
        self.lost_responses = per_feature(arch, cells, [f for f in blips if f.amount == 1], "blip",
                                          steps, step) > 0
        spikes = np.ones((steps, len(cells)))
        for f in self.faults:
            if f.kind == "spike":  # on everything, or on the customers of what it names
                first, last = _window(f, step, steps)
                spikes[first:last, affected(arch, cells, f)] *= f.amount
        shares = np.array([arch.customer_shares[c] for c in cells])
        regions = self._regions()
        self.new_rate = self.traffic.rates(self.times, regions) * shares[None, :] * spikes
        self.shares = shares
        self.poisons = [self._poison_targets(f) for f in self.faults if f.kind == "poison"]
        self._queues(up)

    def _queues(self, up: np.ndarray) -> None:
        """Event-driven work: which cells feed each queue, and what its consumer can do."""
        arch, cells = self.arch, self.cells
        queues = arch.queues()
        self.queue_names = [f"{p} -> {c}" for p, c, _, _ in queues]
        if not queues:
            return
        # Work per good response of each cell, per queue: the cells whose requests reach the
        # producer (normally one: the cell the producer belongs to), through hard or soft calls.
        reach = [set(arch.load_shares(arch.feature(f).requires, soft=True)) for f in cells]
        self.work_per_good = np.array([[per if p in reach[j] else 0.0 for j in range(len(cells))]
                                       for p, _, _, per in queues])
        works = component_works(arch, up, arch.breakable)
        # A producer among replicas sees only its share of the requests (the others serve the
        # rest): without this, two app replicas each queueing 0.05 items per request would
        # bring 0.1 per request between them. One that does not work queues nothing.
        self.work_through = np.stack([np.broadcast_to(arch.replica_share(p, works) * works[p],
                                                      (len(up),))
                                      for p, _, _, _ in queues], axis=1)     # (steps, Q)
        self.consumer_rate = np.stack([np.broadcast_to(serving_capacity(arch, c, works), (len(up),))
                                       for _, c, _, _ in queues], axis=1)     # (steps, Q)
        # Queues feeding the same consumer share its capacity (one worker pool, not one each).
        consumers = [c for _, c, _, _ in queues]
        self.consumer_of = np.array([consumers.index(c) for c in consumers])
        self.shared_consumers = len(set(consumers)) < len(consumers)
        self.deadline_ages = np.array([int(math.ceil(d / self.step - 1e-9)) for _, _, d, _ in queues])
        if len(queues) * (int(self.deadline_ages.max()) + 1) > MAX_HELD:
            raise fail("step", self.step, "the queues' deadlines hold too many steps of work; "
                       "expected a longer step or shorter deadlines")

    def _regions(self) -> np.ndarray:
        # A cell's region: the index of the first "region"/"domain" component it depends on
        # that more cells share, else 0. Rolling peaks use it.
        arch = self.arch
        domains = [c for c in arch.breakable if arch.component(c).kind == "domain"]
        out = np.zeros(len(self.cells), dtype=int)
        for j, cell in enumerate(self.cells):
            needs = set().union(*(closure(arch, r) for r in arch.feature(cell).requires))
            regions = [i for i, d in enumerate(domains) if d in needs and d.startswith("region")]
            out[j] = regions[0] if regions else 0
        return out

    def _poison_targets(self, fault: Fault) -> tuple[Fault, dict[int, str]]:
        # The poisoned tier in each cell: the same component name with the cell's prefix
        # (cell4-app -> cell2-app). Cells without it are immune (other software).
        arch, target = self.arch, fault.target
        needs = [set().union(*(closure(arch, r) for r in arch.feature(c).requires)) for c in self.cells]
        home = [j for j, n in enumerate(needs) if target in n]
        if not home:
            raise fail("poison", target, "expected a component of one customer partition (cell)")
        prefix, _, tier = target.partition("-")
        by_cell = {}
        for j, n in enumerate(needs):
            same = [c for c in n if c.partition("-")[2] == tier and c.partition("-")[0] != ""]
            if target in n:
                by_cell[j] = target
            elif tier and same:
                by_cell[j] = sorted(same)[0]
        return fault, {"home": home[0], **by_cell}


def _check_breaker(breaker):
    if breaker is None:
        return None
    try:
        from ..breaker import BreakerConfig
    except ImportError:  # pragma: no cover - the module ships with labkit
        BreakerConfig = None
    if BreakerConfig is None or not isinstance(breaker, BreakerConfig):
        raise fail("breaker", breaker, "expected a labkit.breaker.BreakerConfig (or None)")
    return breaker


class _Loop:
    """The step loop: queues by (target, attempt, age), retries due by (step, source, attempt).

    Everything that does not depend on the loop's own state (capacities, latencies, error
    shares, lost requests, which queue ages still make the timeout) is computed for all
    steps at once before it starts; the loop only moves requests.
    """

    def __init__(self, s: _Setup) -> None:
        self.s = s
        n, T, A, G = len(s.cells), s.targets, s.retry.attempts, s.ages
        self.n, self.T, self.A, self.G = n, T, A, G
        self.queue = np.zeros((T, A, G))
        self.horizon = retry_horizon(s.retry, s.step)
        self.due = np.zeros((self.horizon, T, A))
        self.pmf = retry_delays(s.retry, s.step, self.horizon)
        # A client gives up at the end of the step in which its request reaches this age
        # unanswered; answers that will come too late, and lost ones, wait in `late` until then.
        self.timeout_age = max(0, int(round(s.timeout / s.step)) - 1)
        self.late = np.zeros((self.timeout_age + 1, T, A))
        self.tokens = s.retry.budget if s.retry.budget is not None else math.inf
        self.down_since = np.full(n, math.inf)
        self.poison_until = np.full(n, -math.inf)
        self.poison_next = [f.at for f, _ in s.poisons]
        self.fallback_since = math.inf
        self.fallback_broken = False
        if s.queue_names:
            self.backlog = np.zeros((len(s.queue_names), int(s.deadline_ages.max()) + 1))
            self.work_depth = 1
            self.work_behind = np.zeros(0, dtype=int)
        self.bank = None
        if s.breaker is not None:
            from ..breaker import BreakerBank
            self.bank = BreakerBank(s.breaker, 1 if s.breaker_at == "client" else n)
        self._precompute()

    def _precompute(self) -> None:
        s, n, T = self.s, self.n, self.T
        steps = s.steps
        self.cap = np.zeros((steps, T))
        self.cap[:, :n] = s.capacity
        self.latency = np.zeros((steps, T))
        self.latency[:, :n] = s.latency_ms / 1000.0
        if s.fallback is not None:
            self.latency[:, n] = s.fallback.latency_ms / 1000.0
        self.errors_share = np.zeros((steps, T))
        self.errors_share[:, :n] = s.error_share
        self.lost_requests = np.zeros((steps, T), dtype=bool)
        self.lost_requests[:, :n] = s.lost_requests
        self.lost_responses = np.zeros((steps, T), dtype=bool)
        self.lost_responses[:, :n] = s.lost_responses
        # The last queue age at which an answer still reaches its client in time (-1: none).
        self.last_good = np.minimum(np.floor((s.timeout - self.latency) / s.step + 1e-9),
                                    self.timeout_age).astype(int)
        self.ages = np.arange(self.G)
        self.slots = np.arange(self.horizon - 1)
        self.dynamic_routing = (s.failover != "none" or self.bank is not None
                                or (s.fallback is not None and s.fallback.mode == "live"))
        self.uniform_latency = bool(np.all(self.latency == self.latency[:1, :1]))
        # Steps in which a request served on arrival is answered in time everywhere.
        self.quiet = (self.last_good >= 0).all(axis=1) & ~self.lost_responses.any(axis=1)
        self.queue_empty = True

    # -- one step at a time -----------------------------------------------------------------

    def run(self) -> Run:
        s, steps, T = self.s, self.s.steps, self.T
        self.out = out = {name: np.zeros(steps) for name in (
            "new", "retries", "good", "errors", "shed", "timed_out", "wasted", "rejected",
            "gave_up", "queued", "latency_p50", "latency_p99")}
        self.cell_good = np.zeros((steps, T))
        self.cell_failed = np.zeros((steps, T))
        self.cell_up = np.ones((steps, T), dtype=bool)
        self.breaker_state = np.zeros((steps, self.n if s.breaker_at == "cell" else 1), dtype=np.int8)
        if s.arrivals == "poisson":
            new_counts = s.rng.poisson(s.new_rate * s.step).astype(float)
        else:
            new_counts = s.new_rate * s.step
        out["new"][:] = new_counts.sum(axis=1)
        Q = len(s.queue_names)
        self.work = {name: np.zeros((steps, Q)) for name in ("added", "done", "late", "backlog", "age")}
        for k in range(steps):
            self._step(k, new_counts[k])
            if Q:
                self._work(k, self.cell_good[k, :self.n])
        w = self.work
        return Run(s.times, s.step, s.cells + (["fallback"] if s.fallback else []),
                   out["new"], out["retries"], out["good"], out["errors"], out["shed"],
                   out["timed_out"], out["wasted"], out["rejected"], out["gave_up"], out["queued"],
                   out["latency_p50"], out["latency_p99"], self.cell_good, self.cell_failed,
                   self.cell_up, self.breaker_state, self.cap, list(s.queue_names),
                   w["added"], w["done"], w["late"], w["backlog"], w["age"])

    def _work(self, k: int, good: np.ndarray) -> None:
        """Event-driven work: good responses add items to their cell's queues; consumers do
        the oldest first, at their capacity; an item that has waited its deadline is late
        (dropped: a notification after the fact is no notification)."""
        s, w, B = self.s, self.work, self.backlog
        # Only the queues left behind last step hold work older than this step, and only in
        # their first `work_depth` ages: while consumers keep up a step costs next to nothing.
        old, depth = self.work_behind, self.work_depth
        added = (s.work_per_good @ good) * s.work_through[k]
        B[:, 0] += added
        w["added"][k] = added
        total = B[:, 0].copy()
        if len(old):
            due = old[s.deadline_ages[old] < depth]
            if len(due):
                w["late"][k, due] = B[due, s.deadline_ages[due]]
                B[due, s.deadline_ages[due]] = 0.0
            total[old] = B[old, :depth].sum(axis=1)
        budget = s.consumer_rate[k] * s.step
        if s.shared_consumers:
            # Each queue gets the consumer's capacity in proportion to the work it holds
            # (processor sharing): all of it is done when the consumer keeps up.
            demand = np.bincount(s.consumer_of, weights=total)[s.consumer_of]
            budget = np.where(demand > budget, budget * total / np.where(demand > 0, demand, 1.0),
                              total)
        behind = total > budget
        rows = np.flatnonzero(behind)
        w["done"][k] = np.where(behind, 0.0, total)
        B[:, 0] = np.where(behind, B[:, 0], 0.0)
        if len(old):
            B[old[~behind[old]], :depth] = 0.0
        self.work_behind = rows
        if not len(rows):
            self.work_depth = 1
            return
        R = B[rows, :depth]
        oldest_first = R[:, ::-1]
        before = np.cumsum(oldest_first, axis=1) - oldest_first
        done_rev = np.clip(budget[rows, None] - before, 0.0, oldest_first)
        R = np.maximum(R - done_rev[:, ::-1], 0.0)
        w["done"][k, rows] = done_rev.sum(axis=1)
        waiting = R > 1e-9
        R[~waiting] = 0.0
        w["backlog"][k, rows] = R.sum(axis=1)
        oldest = np.where(waiting.any(axis=1), depth - 1 - np.argmax(waiting[:, ::-1], axis=1), -1)
        w["age"][k, rows] = np.maximum(oldest, 0) * s.step
        # A step older: shift the ages in use; the next step looks at one more of them.
        B[rows, :depth] = 0.0
        last = int(oldest.max())
        if last < 0:
            self.work_behind, self.work_depth = rows[:0], 1
            return
        keep = min(last + 1, B.shape[1] - 1)
        B[rows, 1:keep + 1] = R[:, :keep]
        self.work_depth = keep + 1

    def _alive(self, k: int) -> np.ndarray:
        s, t = self.s, k * self.s.step
        up = s.cell_up[k]
        if s.poisons:
            self._poison(k)
            up = up & (self.poison_until <= t)
        if s.failover != "none" or s.poisons:
            # When each dead cell went down (inf while up): health checks act after `detection`.
            self.down_since = np.where(up, math.inf, np.minimum(self.down_since, t))
        return up

    def _poison(self, k: int) -> None:
        s, t = self.s, k * self.s.step
        for i, (fault, where) in enumerate(s.poisons):
            if not (fault.at <= t < fault.end) or t < self.poison_next[i]:
                continue
            # The poisoned customer's request lands where the router sends its cell's traffic.
            target = self._route_of(where["home"], t)
            if target in where:
                restart = fault.amount
                self.poison_until[target] = max(self.poison_until[target], t + restart)
                self.poison_next[i] = t + restart  # it comes back (a retry) as the process restarts

    def _route_of(self, cell: int, t: float) -> int:
        s = self.s
        if s.failover != "health check":
            return cell
        detected = t - self.down_since >= s.detection
        if not detected[cell]:
            return cell
        alive = np.flatnonzero(~detected)
        return int(alive[np.argmax(s.shares[alive])]) if len(alive) else cell

    def _routing(self, k: int, incoming: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, T) share of each source's traffic that each target receives, and the share of
        each source's traffic a breaker rejects outright."""
        s, n, T, t = self.s, self.n, self.T, k * self.s.step
        route = np.eye(T)
        rejected = np.zeros(T)
        if s.fallback is not None and s.fallback.mode == "live":
            route[:n, :n] *= 1.0 - s.fallback.share
            route[:n, n] = s.fallback.share
        share_away = np.zeros(n)
        if s.failover == "health check":
            share_away[(t - self.down_since) >= s.detection] = 1.0
        if self.bank is not None:
            # A breaker admits a number of calls (all while closed, none while open, its
            # probes while half-open); the rest of its link's traffic goes elsewhere.
            admitted = self.bank.allow(t)
            if s.breaker_at == "cell":
                offered = incoming[:n].sum(axis=1)
                fraction = np.divide(admitted, offered, out=np.ones(n), where=offered > 0)
                share_away = np.maximum(share_away, 1.0 - np.minimum(1.0, fraction))
            else:
                offered = incoming.sum()
                rejected[:] = 1.0 - min(1.0, admitted[0] / offered) if offered > 0 else 0.0
        if share_away.any():
            where = np.zeros(T)
            if s.redirect == "fallback":
                where[n] = 1.0
            else:
                # Only to cells taking all their own traffic: not to a breaker that is open
                # or probing (half-open admits its probes and no more).
                weights = np.where(share_away == 0.0, s.shares, 0.0)
                if weights.sum() > 0:
                    where[:n] = weights / weights.sum()
            moved = (route[:, :n] * share_away[None, :]).sum(axis=1)
            route[:, :n] *= 1.0 - share_away[None, :]
            if where.any():
                route += moved[:, None] * where[None, :]
            else:
                # No cell left to take it: the router refuses the moved traffic at once.
                keep = 1.0 - moved
                rejected = 1.0 - (1.0 - rejected) * keep
                route = np.divide(route, keep[:, None], out=np.zeros_like(route),
                                  where=keep[:, None] > 0)
        return route, rejected

    def _step(self, k: int, new: np.ndarray) -> None:
        s, n, T, out = self.s, self.n, self.T, self.out
        t, dt = k * s.step, s.step
        up = self._alive(k)
        # -- offered load: new requests (attempt 0) and retries due now, by source --------
        slot = k % self.horizon
        incoming = self.due[slot].copy()
        self.due[slot] = 0.0
        incoming[:n, 0] += new
        if self.A > 1:
            out["retries"][k] = incoming[:, 1:].sum()
        # -- routing -------------------------------------------------------------------
        if self.dynamic_routing:
            route, rejected_share = self._routing(k, incoming)
            rejected = incoming * rejected_share[:, None]
            arriving = route.T @ (incoming - rejected)          # (T, A) at each target
            out["rejected"][k] = rejected.sum()
        else:
            arriving = incoming
        # -- which targets can serve, and how much --------------------------------------
        target_up = self.cell_up[k]
        target_up[:n] = up
        cap = self.cap[k]
        cap[:n] = np.where(up, cap[:n], 0.0)  # (not cap * up: an unlimited cell has inf * 0)
        if s.fallback is not None:
            cap[n] = self._fallback_capacity(t, arriving[n].sum())
            target_up[n] = not self.fallback_broken
        # Requests to a dead target fail at once; lost ones (a blip) time out at the client.
        fast_fail = arriving * (~target_up)[:, None]
        lost_now = self.lost_requests[k] & target_up
        vanished = arriving * lost_now[:, None]
        arriving = arriving - fast_fail - vanished
        if lost_now.any():
            self._time_out_later(k, vanished, self.timeout_age)
        # -- capacity: serve oldest first ----------------------------------------------
        q = self.queue
        if (self.G > 1 and self.queue_empty and not len(s.shared_users) and self.quiet[k]
                and (arriving.sum(axis=1) <= cap * dt).all()):
            # Nothing waiting and room for everything: all is served at once, in time.
            self._outcomes(k, arriving, arriving, arriving.sum(), fast_fail, vanished,
                           np.zeros_like(arriving), np.zeros_like(arriving), None, None)
            return
        q[:, :, 0] += arriving
        if len(s.shared_users):
            cap[:n] = self._share_capacity(k, q, cap[:n])
        last_good = self.last_good[k].copy()
        if self.lost_responses[k].any():
            last_good[self.lost_responses[k]] = -1  # served, but the answer never arrives
        if self.G == 1:
            total = q[:, :, 0].sum(axis=1)
            fraction = np.minimum(1.0, (cap * dt) / np.maximum(total, 1e-300))
            served = q * fraction[:, None, None]
        else:
            by_age = q.sum(axis=1)                                    # (T, G)
            oldest_first = by_age[:, ::-1]
            before = np.cumsum(oldest_first, axis=1) - oldest_first
            served_rev = np.clip((cap * dt)[:, None] - before, 0.0, oldest_first)
            fraction = np.divide(served_rev[:, ::-1], by_age, out=np.zeros_like(by_age),
                                 where=by_age > 0)
            served = q * fraction[:, None, :]                         # (T, A, G)
        q -= served
        good_mask = self.ages[None, :] <= last_good[:, None]         # (T, G)
        served_good = (served * good_mask[:, None, :]).sum(axis=2)   # (T, A)
        served_total = served.sum()
        # Served too late for a client that is still waiting: it will time out all the same.
        if (last_good < self.timeout_age).any():
            waiting = (self.ages[None, :] > last_good[:, None]) & (self.ages[None, :] <= self.timeout_age)
            for age in np.flatnonzero(waiting.any(axis=0)):
                self._time_out_later(k, served[:, :, age] * waiting[:, age, None],
                                     self.timeout_age - age)
        # The oldest unserved requests are dropped: shed (the client hears at once) if the
        # client is still waiting, silently if it already gave up.
        oldest = self.G - 1
        shed = q[:, :, oldest] * (oldest <= self.timeout_age)
        q[:, :, oldest] = 0.0
        # Clients give up on requests still queued as they reach the timeout age; those stay
        # queued (the server does not know) and become wasted work if it ever reaches them.
        if self.timeout_age < oldest:
            timed_out = q[:, :, self.timeout_age].copy()
        else:
            timed_out = np.zeros_like(arriving)
        if self.G > 1:
            q[:, :, 1:] = q[:, :, :-1]
            q[:, :, 0] = 0.0
            self.queue_empty = not q.any()
        self._outcomes(k, arriving, served_good, served_total, fast_fail, vanished,
                       shed, timed_out, served, good_mask)

    def _outcomes(self, k, arriving, served_good, served_total, fast_fail, vanished, shed,
                  timed_out, served, good_mask) -> None:
        """Count this step's outcomes, schedule retries and feed the breakers. ``served_good``:
        served in time (errors not yet taken out); ``served``/``good_mask`` None when every
        request was served on arrival."""
        s, n, out, t = self.s, self.n, self.out, k * self.s.step
        errors = served_good * self.errors_share[k][:, None]
        served_good = served_good - errors
        slot = k % len(self.late)
        timed_out = timed_out + self.late[slot]
        self.late[slot] = 0.0
        # -- outcomes and retries --------------------------------------------------------
        failed = fast_fail + errors + shed + timed_out       # (T, A): each may be retried
        good_by_target = served_good.sum(axis=1)
        good_total = good_by_target.sum()
        self._retry(k, failed, good_total)
        out["good"][k] = good_total
        out["wasted"][k] = max(0.0, served_total - good_total - errors.sum())  # not -1e-14
        out["errors"][k] = fast_fail.sum() + errors.sum()
        out["shed"][k] = shed.sum()
        out["timed_out"][k] = timed_out.sum()
        out["queued"][k] = 0.0 if self.G == 1 or self.queue_empty else self.queue.sum()
        self.cell_good[k] = good_by_target
        failed_by_target = failed.sum(axis=1)
        self.cell_failed[k] = failed_by_target
        if served is None:
            self._latency_on_arrival(k, good_by_target)
        else:
            self._latency(k, served, good_mask)
        if self.bank is not None:
            calls = (arriving + fast_fail + vanished).sum(axis=1)[:n]
            fails = np.minimum(failed_by_target[:n], calls)  # this step's calls that failed
            if s.breaker_at == "client":
                calls, fails = calls.sum(keepdims=True), fails.sum(keepdims=True)
            self.bank.record(t, calls, fails)
            self.breaker_state[k] = self.bank.state

    def _time_out_later(self, k: int, requests: np.ndarray, steps_from_now: int) -> None:
        """These requests' clients give up ``steps_from_now`` steps from now (0: this step)."""
        self.late[(k + steps_from_now) % len(self.late)] += requests

    def _share_capacity(self, k: int, q: np.ndarray, cap: np.ndarray) -> np.ndarray:
        """Each cell's capacity once shared components are divided by demand this step."""
        s, n = self.s, self.n
        demand = q[:n].sum(axis=(1, 2))                                   # waiting work per cell
        users = s.shared_users                                             # (m, n)
        load = users @ demand                                              # per shared component
        share = np.divide(s.shared_capacity[k], load, out=np.full(len(load), np.inf), where=load > 0)
        per_cell = np.where(users, share[:, None], np.inf).min(axis=0) * demand
        return np.minimum(cap, np.where(demand > 0, per_cell, cap))

    def _retry(self, k: int, failed: np.ndarray, good_total: float) -> None:
        s, A, out = self.s, self.A, self.out
        if A == 1:
            out["gave_up"][k] = failed.sum()
            return
        wanted = failed[:, :-1]                              # attempts left: retry
        final = failed[:, -1].sum()
        want = wanted.sum()
        granted = 1.0
        if math.isfinite(self.tokens):
            granted = min(1.0, self.tokens / want) if want > 0 else 1.0
            self.tokens = min(s.retry.budget, self.tokens - want * granted + s.retry.refill * good_total)
        out["gave_up"][k] = final + want * (1.0 - granted)
        if want <= 0:
            return
        retries = wanted * granted                           # (T, A-1): next attempt is a+1
        positions = (k + 1 + self.slots) % self.horizon
        for a in range(A - 1):
            self.due[positions, :, a + 1] += np.outer(self.pmf[a, : self.horizon - 1], retries[:, a])

    def _latency_on_arrival(self, k: int, good: np.ndarray) -> None:
        """Percentiles when every good response waited no queue: each target's own latency."""
        out, total = self.out, good.sum()
        if total <= 0:
            out["latency_p50"][k] = out["latency_p99"][k] = math.nan
            return
        if self.uniform_latency:
            out["latency_p50"][k] = out["latency_p99"][k] = self.latency[k, 0] * 1000.0
            return
        order = np.argsort(self.latency[k], kind="stable")
        cum = np.cumsum(good[order]) / total
        values = self.latency[k][order]
        out["latency_p50"][k] = values[np.searchsorted(cum, 0.5)] * 1000.0
        out["latency_p99"][k] = values[min(len(cum) - 1, np.searchsorted(cum, 0.99))] * 1000.0

    def _latency(self, k: int, served: np.ndarray, good_mask: np.ndarray) -> None:
        out = self.out
        weights = served.sum(axis=1) * good_mask * (1.0 - self.errors_share[k])[:, None]   # (T, G)
        if self.uniform_latency:
            by_age = weights.sum(axis=0)
            total = by_age.sum()
            if total <= 0:
                out["latency_p50"][k] = out["latency_p99"][k] = math.nan
                return
            cum = np.cumsum(by_age) / total
            base = self.latency[k, 0]
            out["latency_p50"][k] = (base + np.searchsorted(cum, 0.5) * self.s.step) * 1000.0
            out["latency_p99"][k] = (base + min(self.G - 1, np.searchsorted(cum, 0.99)) * self.s.step) * 1000.0
            return
        total = weights.sum()
        if total <= 0:
            out["latency_p50"][k] = out["latency_p99"][k] = math.nan
            return
        values = self.latency[k][:, None] + self.ages[None, :] * self.s.step   # seconds
        flat_v, flat_w = values.ravel(), weights.ravel()
        order = np.argsort(flat_v, kind="stable")
        cum = np.cumsum(flat_w[order]) / total
        out["latency_p50"][k] = flat_v[order][np.searchsorted(cum, 0.5)] * 1000.0
        out["latency_p99"][k] = flat_v[order][min(len(cum) - 1, np.searchsorted(cum, 0.99))] * 1000.0

    def _fallback_capacity(self, t: float, arriving: float) -> float:
        f = self.s.fallback
        if f.mode == "live":
            return f.capacity
        if arriving > 0 and not math.isfinite(self.fallback_since):
            self.fallback_since = t
            # Its first real traffic finds out whether the rarely exercised path works.
            # Its own generator: whether the defect is there must not depend on how many
            # random numbers the traffic used before (later traffic cannot change the past).
            defect = np.random.default_rng([self.s.seed, 0xFA11BAC]).random()
            self.fallback_broken = bool(defect < f.latent_defect)
        if not math.isfinite(self.fallback_since):
            return 0.0
        if f.warmup <= 0:
            return f.capacity
        return f.capacity * min(1.0, (t - self.fallback_since + self.s.step) / f.warmup)
