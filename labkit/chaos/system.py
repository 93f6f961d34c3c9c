"""The simulated system an experiment runs against: an architecture under traffic, a simulated
clock and a schedule of faults.

A :class:`System` holds what a learner would otherwise point Chaos Toolkit at: the
architecture, its traffic, the engine's settings (capacity, retries, failover, breakers,
fallback...) and a seed. Actions add faults to its schedule *at the current simulated time*
and :meth:`System.advance` moves the clock; nothing ever sleeps in real time. Probes look at
a window of the past, ``[now - seconds, now)``, of a deterministic simulation of the whole
schedule (:meth:`System.window`): the same seed and the same experiment give the same numbers.

>>> from labkit.catalog import cells
>>> from labkit.simulation import constant
>>> system = System(cells(4), constant(1000), cell_capacity=400, seed=1)
>>> system.now
60.0
>>> _ = system.inject("crash", "cell2-app")          # until something ends it
>>> system.advance(120)
180.0
>>> window = system.window(60)
>>> round(float(window.good.sum() / window.new.sum()), 2)
0.75

The past never changes: the engine is causal (a step depends only on earlier steps and on
faults in effect up to it), so a run simulated later, with more faults scheduled after
``now``, agrees with every number already measured. Runs are cached and re-used while they
agree with the schedule on the steps being measured. (One exception in the engine: an idle
fallback cell with a ``latent_defect`` between 0 and 1 draws its defect after all arrivals, so
a traffic spike scheduled later can change whether it was broken.)
"""

from __future__ import annotations

import contextlib
import inspect
import math
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ..errors import check_count, check_number, fail
from ..model import as_architecture
from ..simulation import Fault, Run, simulate
from ..simulation.states import closure
from ..simulation.traffic import as_traffic

CONFIG_KEY = "labkit_system"     # where providers find the system in the configuration
MAX_SECONDS = 86_400.0           # a fault, a wait or a pause: at most a day of simulated time
MAX_HORIZON = 86_400.0           # simulated time a system can reach
CHUNK = 600.0                    # outside an experiment, simulate this much further at a time
CACHED_RUNS = 4
_OWN = ("arch", "traffic", "duration", "step", "faults", "seed")
SETTINGS = tuple(p for p in inspect.signature(simulate).parameters if p not in _OWN)


@dataclass
class Scheduled:
    """One fault on the schedule: ``kind`` on ``target`` from ``at`` until ``end`` (inf: until
    something ends it), put there by the action ``source``."""

    kind: str
    target: str
    amount: float
    at: float
    end: float
    source: str

    def as_dict(self) -> dict:
        return {"fault": self.kind, "target": self.target, "amount": self.amount,
                "from": self.at, "until": None if math.isinf(self.end) else self.end,
                "action": self.source}


@dataclass
class Halt:
    """Why and when a stop condition halted the experiment."""

    condition: str
    at: float
    value: Any
    tolerance: Any
    reason: str = ""

    def __str__(self) -> str:
        return self.reason or (f"stop condition {self.condition!r} crossed at {self.at:g} s: "
                               f"{shown(self.value)} outside {shown(self.tolerance)}")


def shown(value: Any) -> str:
    """A probe's value or tolerance, short: 0.7514, [0.99, 1.0], 'open'."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict) and value.get("type") == "range":
        return shown(value.get("range"))
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


@dataclass
class Window:
    """The steps of one simulated run inside a window of the past: per-step arrays sliced to
    it (``good``, ``new``, ``retries``, ``shed``, ``queued``, ``latency_p99``, ``cell_good``,
    ``cell_failed``, ``cell_up``, ``breaker``, ``capacity``). Empty while the system checks an
    experiment without simulating (or before anything happened)."""

    run: Run | None
    first: int
    last: int              # one past the last step measured
    cells: int             # customer cells (the fallback cell, if any, comes after them)
    step: float

    def __getattr__(self, name: str) -> np.ndarray:
        if name.startswith("_") or (self.run is None and name not in _ARRAYS):
            raise AttributeError(name)
        if self.run is None:
            return _ARRAYS[name](self.cells)
        return getattr(self.run, name)[self.first:self.last]

    @property
    def empty(self) -> bool:
        return self.run is None or self.last <= self.first


_ARRAYS: dict[str, Callable[[int], np.ndarray]] = {
    **{name: (lambda n: np.zeros(0)) for name in ("good", "new", "retries", "errors", "shed",
                                                  "timed_out", "rejected", "queued",
                                                  "latency_p50", "latency_p99")},
    **{name: (lambda n: np.zeros((0, n))) for name in ("cell_good", "cell_failed", "capacity")},
    **{name: (lambda n: np.zeros((0, 0))) for name in ("backlog", "backlog_age", "work_done",
                                                      "work_late")},
    "cell_up": lambda n: np.ones((0, n), dtype=bool),
    "breaker": lambda n: np.zeros((0, n), dtype=np.int8),
}


class System:
    """A simulated system: ``architecture`` under ``traffic``, the engine's ``settings``
    (any keyword of :func:`labkit.simulation.simulate` but ``duration``, ``faults``, ``step``
    and ``seed``), a ``seed``, steps of ``step`` seconds, a clock that starts at ``start``
    seconds (that much steady running before the experiment, so the steady state can be
    measured) and may reach ``horizon`` seconds at most.

    Works with any architecture: its customer partitions are the cells (one cell if it has
    none), its components are what faults target.
    """

    def __init__(self, architecture, traffic, *, seed: int = 0, step: float = 1.0,
                 start: float = 60.0, horizon: float = 14_400.0, **settings: Any) -> None:
        self.architecture = as_architecture(architecture).copy()  # later edits stay out
        self.traffic = as_traffic(traffic)
        self.seed = check_count("seed", seed, low=0, high=2**63)
        self.step = check_number("step", step, low=0.01, high=60.0,
                                 allowed="expected seconds per step from 0.01 to 60")
        self.horizon = check_number("horizon", horizon, low=10 * self.step, high=MAX_HORIZON,
                                    allowed=f"expected seconds of simulated time from "
                                    f"{10 * self.step:g} to {MAX_HORIZON:g}")
        if self.horizon / self.step > 200_000:
            raise fail("horizon", horizon, f"expected at most 200,000 steps of {self.step:g} s")
        self.start = check_number("start", start, low=0.0, high=self.horizon / 2,
                                  allowed=f"expected seconds of steady running before the "
                                  f"experiment, from 0 to half the horizon ({self.horizon / 2:g})")
        for name in settings:
            if name not in SETTINGS:
                raise fail(name, settings[name], "expected one of the engine's settings: "
                           + ", ".join(SETTINGS))
        self.settings = dict(settings)
        # One short run checks every setting now, not at the experiment's first probe.
        probe = simulate(self.architecture, self.traffic, duration=self.step, step=self.step,
                         seed=self.seed, **self.settings)
        with_fallback = self.settings.get("fallback") is not None
        self.cells: list[str] = list(probe.cells[:-1] if with_fallback else probe.cells)
        self.dry = False
        self.reset()

    # ------------------------------------------------------------------ state

    def reset(self, planned_end: float | None = None, changes=()) -> "System":
        """Back to the start: clock at ``start``, no faults, no experiment. ``planned_end``:
        the simulated time an experiment will reach, ``changes``: the times its actions will
        change the schedule (then each run simulates just as far as its schedule holds)."""
        self.clock = self.start
        self.schedule: list[Scheduled] = []
        self.planned_end = planned_end
        self.changes = sorted(changes)
        self.halted: Halt | None = None
        self.control_state: dict = {}    # the running experiment, as the control sees it
        self._view: float | None = None
        self._runs: list[tuple[int, list[Scheduled], Run]] = []
        return self

    @property
    def now(self) -> float:
        """The simulated time: seconds since the simulation started."""
        return self.clock

    @property
    def configuration(self) -> dict:
        """A Chaos Toolkit configuration holding this system, for calling providers directly."""
        return {CONFIG_KEY: self}

    @property
    def faults(self) -> list[dict]:
        """The fault schedule so far, as plain rows."""
        return [e.as_dict() for e in self.schedule]

    def copy(self) -> "System":
        """A fresh system with the same definition (clock at start, no faults)."""
        other = object.__new__(System)
        other.__dict__.update({k: v for k, v in self.__dict__.items()})
        return other.reset()

    def __repr__(self) -> str:
        return (f"System({self.architecture.name!r}, {len(self.cells)} cells, now {self.clock:g} s, "
                f"{len(self.schedule)} faults scheduled)")

    # ------------------------------------------------------------------ targets

    def component(self, argument: str, name: Any) -> str:
        """``name`` if it is a component of the architecture that can fail, else raise."""
        arch = self.architecture
        if not isinstance(name, str) or name not in arch.graph or arch.component(name).kind == "group":
            names = arch.breakable
            raise fail(argument, name, f"expected a component of {arch.name!r} that can fail: "
                       + ", ".join(repr(n) for n in names[:12]) + (", ..." if len(names) > 12 else ""))
        return name

    def domains(self) -> list[str]:
        """Failure domains (zones, regions, deployment waves) of the architecture."""
        arch = self.architecture
        return [n for n in arch.breakable if arch.component(n).kind == "domain"]

    def domain(self, argument: str, name: Any) -> str:
        """``name`` if it is a failure domain (zone, region, deployment wave), else raise."""
        domains = self.domains()
        if not domains:
            raise fail(argument, name, f"{self.architecture.name!r} has no failure domains "
                       "(zones, regions, deployment waves); crash components by name instead")
        if not isinstance(name, str) or name not in domains:
            raise fail(argument, name, "expected a failure domain of "
                       f"{self.architecture.name!r}: " + ", ".join(repr(d) for d in domains[:12]))
        return name

    def cell(self, argument: str, value: Any) -> int:
        """The index of a cell given as its number (1 for the first) or its name."""
        n = len(self.cells)
        allowed = (f"expected a cell number from 1 to {n} or a cell name: "
                   + ", ".join(repr(c) for c in self.cells[:6]) + (", ..." if n > 6 else ""))
        if isinstance(value, str) and value in self.cells:
            return self.cells.index(value)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= n:
            raise fail(argument, value, allowed)
        return int(value) - 1

    def cell_components(self, argument: str, value: Any) -> list[str]:
        """The components only this cell needs (what crashing "the cell" crashes)."""
        index = self.cell(argument, value)
        arch = self.architecture
        needs = [set().union(*(closure(arch, r) for r in arch.feature(c).requires)) for c in self.cells]
        others = set().union(*(n for j, n in enumerate(needs) if j != index))
        own = [c for c in arch.breakable if c in needs[index] and c not in others]
        if not own:
            raise fail(argument, value, "this cell shares every component with other cells; "
                       "crash its components by name instead")
        return own

    # ------------------------------------------------------------------ the schedule

    def duration(self, argument: str, value: Any) -> float:
        """A fault's duration: None (until ended by a rollback) or seconds in (0, a day]."""
        if value is None:
            return math.inf
        return check_number(argument, value, low=0.0, low_open=True, high=MAX_SECONDS,
                            allowed=f"expected seconds above 0 and at most {MAX_SECONDS:g}, "
                            "or null (until a rollback ends it)")

    def inject(self, kind: str, target: str, *, amount: float = 0.0, duration: float = math.inf,
               source: str = "", argument: str = "target", delay: float = 0.0) -> dict:
        """Put a fault on the schedule from now (or ``delay`` seconds from now) for
        ``duration`` seconds (inf: until ended).

        A second fault of the same kind on the same target while the first is in effect
        extends it when both are the same (a crash, or the same amount), and is refused when
        they differ (which should win is not defined).
        """
        if self.halted is not None:
            raise fail("experiment", self.halted.condition, "the experiment was halted by a "
                       "stop condition; no new faults")
        at = self.clock + delay
        end = at + duration
        Fault(kind, target, at, 1.0, amount)  # the engine's own checks of kind and amount
        for e in self.schedule:
            if e.kind == kind and e.target == target and e.at <= at < e.end:
                if e.amount != amount:
                    until = "until ended" if math.isinf(e.end) else f"until {e.end:g} s"
                    raise fail(argument, target, f"a {kind} fault of a different amount "
                               f"({e.amount:g}) is already in effect on it, {until}; end it first")
                e.end = max(e.end, end)
                return e.as_dict()
        entry = Scheduled(kind, target, float(amount), at, end, source)
        self.schedule.append(entry)
        return entry.as_dict()

    def end_faults(self, which: Callable[[Scheduled], bool] = lambda e: True) -> list[dict]:
        """End now every fault in effect that ``which`` selects, and cancel those due to
        start later; return what ended."""
        ended = []
        for e in list(self.schedule):
            if which(e) and self.clock < e.end:
                e.end = max(e.at, self.clock)
                if e.end <= e.at:          # not started yet (or starting now): cancelled
                    self.schedule.remove(e)
                ended.append(e.as_dict())
        return ended

    def advance(self, seconds: Any, argument: str = "seconds") -> float:
        """Move the simulated clock ``seconds`` forward (never sleeps); return the new time."""
        seconds = check_number(argument, seconds, low=0.0, high=MAX_SECONDS,
                               allowed=f"expected seconds from 0 to {MAX_SECONDS:g}")
        if self.clock + seconds > self.horizon + 1e-9:
            raise fail(argument, seconds, f"expected at most {self.horizon - self.clock:g} more "
                       f"seconds: the system's horizon is {self.horizon:g} s of simulated time "
                       f"and it is now {self.clock:g} s (give System(..., horizon=...))")
        self.clock += seconds
        return self.clock

    def halt(self, halt: Halt) -> None:
        """A stop condition fired: the experiment stops at ``halt.at`` (even if the clock had
        run on inside a wait, since a real alarm would have fired then)."""
        self.halted = halt
        self.clock = min(self.clock, halt.at)

    # ------------------------------------------------------------------ measuring

    @contextlib.contextmanager
    def as_of(self, t: float):
        """Measure as if it were ``t`` (in the past): how stop conditions replay a wait."""
        if t > self.clock + 1e-9:
            raise fail("t", t, f"expected a time no later than now ({self.clock:g} s)")
        previous, self._view = self._view, t
        try:
            yield self
        finally:
            self._view = previous

    @property
    def view(self) -> float:
        """The time probes measure up to: now, or the moment being replayed."""
        return self.clock if self._view is None else self._view

    def window(self, seconds: Any, argument: str = "window") -> Window:
        """The steps of the last ``seconds`` before the time being measured."""
        seconds = check_number(argument, seconds, low=0.0, low_open=True, high=MAX_SECONDS,
                               allowed="expected seconds of the past above 0 and at most "
                               f"{MAX_SECONDS:g}")
        n = len(self.cells)
        if self.dry:
            return Window(None, 0, 0, n, self.step)
        end = self.view
        k = int(math.ceil(end / self.step - 1e-9))
        first = int(math.ceil(max(0.0, end - seconds) / self.step - 1e-9))
        if k <= first:
            return Window(None, 0, 0, n, self.step)
        return Window(self._run_covering(k), first, k, n, self.step)

    def latest(self) -> Window:
        """The last step before the time being measured: the state "now"."""
        n = len(self.cells)
        k = int(math.ceil(self.view / self.step - 1e-9))
        if self.dry or k == 0:
            return Window(None, 0, 0, n, self.step)
        return Window(self._run_covering(k), k - 1, k, n, self.step)

    def timeline(self) -> Run:
        """The run from 0 to now (what happened), for :func:`labkit.views.timeline.timeline_chart`."""
        k = max(1, int(math.ceil(self.clock / self.step - 1e-9)))
        run = self._run_covering(k)
        arrays = {f: getattr(run, f)[:k] for f in run.__dataclass_fields__
                  if isinstance(getattr(run, f), np.ndarray)}
        return replace(run, **arrays)

    def _key(self, schedule: list[Scheduled], horizon: float) -> tuple:
        # What the steps before `horizon` see of a schedule (the engine is causal).
        return tuple(sorted((e.kind, e.target, e.amount, e.at, min(e.end, horizon))
                            for e in schedule if e.at < horizon))

    def _run_covering(self, k: int) -> Run:
        horizon = k * self.step
        key = self._key(self.schedule, horizon)
        for steps, schedule, run in reversed(self._runs):
            if steps >= k and self._key(schedule, horizon) == key:
                return run
        if self.planned_end is not None:
            # The schedule stays as it is until the experiment's next action changes it.
            later = [c for c in self.changes if c >= self.clock - 1e-9]
            length = min(later[0], self.planned_end) if later else self.planned_end
            length = max(length, horizon) + self.step
        else:
            length = min(self.horizon, math.ceil((horizon + self.step) / CHUNK) * CHUNK) + self.step
        length = max(length, horizon + self.step)
        schedule = [replace(e) for e in self.schedule]
        faults = [Fault(e.kind, e.target, e.at, min(e.end, length) - e.at, e.amount)
                  for e in schedule if e.at < length]
        run = simulate(self.architecture, self.traffic, duration=length, step=self.step,
                       faults=faults, seed=self.seed, **self.settings)
        self._runs = (self._runs + [(len(run.times), schedule, run)])[-CACHED_RUNS:]
        return run


def system_of(configuration: Any) -> System:
    """The simulated system a provider acts on, from the experiment's configuration."""
    system = configuration.get(CONFIG_KEY) if isinstance(configuration, dict) else None
    if not isinstance(system, System):
        raise fail("configuration", configuration if not isinstance(configuration, dict)
                   else sorted(configuration), f"expected the experiment's configuration with "
                   f"the simulated system under {CONFIG_KEY!r} (labkit.chaos.run_experiment puts "
                   "it there; to call a provider yourself pass configuration=system.configuration)")
    return system
