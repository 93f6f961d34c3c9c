"""Backoff with jitter, and Marc Brooker's experiment that shows why jitter matters.

Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015
(``lessons/sources.md``, "brooker-backoff"). A retry sleeps before it tries again; the
policies, for the retry whose exponent is ``n`` (``n = 0`` for the first, so plain
exponential sleeps base, 2 base, 4 base, ...):

==================  ======================================================
``"none"``          retry at once: 0
``"exponential"``   v = min(cap, base * 2**n)
``"full"``          U(0, v)            (full jitter)
``"equal"``         v/2 + U(0, v/2)    (equal jitter)
``"decorrelated"``  min(cap, U(base, 3 * previous sleep)), previous = base at first
==================  ======================================================

Times are in seconds. Every random draw comes from a seeded ``numpy.random.Generator`` (or a
whole-number seed for one): the same seed gives the same numbers. Each jittered sleep takes
exactly one ``rng.random()`` number; the deterministic policies take none.

>>> backoff_delays("exponential", 6, base=0.005, cap=0.1, rng=0) * 1000   # milliseconds
array([  5.,  10.,  20.,  40.,  80., 100.])
>>> sleeps = backoff_delays("full", 6, base=0.005, cap=0.1, rng=0, clients=1000)
>>> sleeps.shape, bool(((0 <= sleeps) & (sleeps <= 0.1)).all())
((1000, 6), True)

Brooker's experiment, reproduced per client (:func:`occ_experiment`, :func:`occ_sweep`): at
100 clients, full jitter needs less than half the calls of plain exponential backoff.

>>> plain = occ_experiment("exponential", 100, runs=10, seed=1)
>>> jitter = occ_experiment("full", 100, runs=10, seed=1)
>>> jitter.calls < 0.5 * plain.calls, jitter.completion_ms < plain.completion_ms
(True, True)
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from .errors import check_choice, check_count, check_list, check_number, fail

POLICIES = ("none", "exponential", "full", "equal", "decorrelated")
JITTERED = ("full", "equal", "decorrelated")
BLOG_POLICIES = ("exponential", "full", "equal", "decorrelated")  # the four the blog compares
BLOG_CLIENTS = tuple(range(10, 200, 20))                           # 10, 30, ..., 190

MIN_BASE = 1e-9           # seconds: a nanosecond
MAX_BASE = 3_600.0        # seconds: an hour before the first retry is already a mistake
MAX_CAP = 86_400.0        # seconds: a day
MAX_ATTEMPT = 1_000       # retry exponents (and retries per client) accepted
MAX_DELAYS = 2_000_000    # sleeps drawn in one call (16 MB of floats)
MAX_HORIZON = 1_000_000   # future steps in one distribution
MAX_CLIENTS = 10_000      # clients in the experiment
MAX_RUNS = 1_000          # repetitions of one experiment point
MAX_WORK = 100_000_000     # clients**2 x runs: the race's cost; at the limit about 2 s
MAX_NETWORK = 60.0        # seconds of mean (or sd of) network delay
MAX_SEED = 2**63          # the seed range of labkit.analysis and labkit.catalog
GRID_CELLS = 1024         # cells of the grid for decorrelated jitter's marginal distribution


# --------------------------------------------------------------------------- arguments


def _policy(policy: Any) -> str:
    return check_choice("policy", policy, POLICIES)


def _base_cap(base: Any, cap: Any) -> tuple[float, float]:
    base = check_number("base", base, low=MIN_BASE, high=MAX_BASE,
                        allowed=f"expected a number of seconds from {MIN_BASE:g} to {MAX_BASE:g}")
    cap = check_number("cap", cap, low=base, high=MAX_CAP,
                       allowed=f"expected a number of seconds from base ({base!r}) to {MAX_CAP:g}")
    return base, cap


def _rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and 0 <= rng < MAX_SEED:
        return np.random.default_rng(int(rng))
    raise fail("rng", rng, "expected a numpy.random.Generator or a whole-number seed from 0 "
               f"to {MAX_SEED - 1}")


def _as_array(argument: str, value: Any, allowed: str) -> np.ndarray:
    """A list, tuple or array as a numpy array of at most MAX_DELAYS items, else refuse."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        raise fail(argument, value, allowed)
    try:
        array = np.asarray(value) if isinstance(value, np.ndarray) or len(value) <= MAX_DELAYS \
            else None
    except (ValueError, TypeError, OverflowError):  # ragged, or ints past 64 bits
        raise fail(argument, value, allowed) from None
    if array is None or array.size > MAX_DELAYS:
        raise fail(argument, value, f"{allowed}, at most {MAX_DELAYS:,} of them")
    return array


def _attempts_array(attempt: Any) -> np.ndarray:
    allowed = f"expected a whole number from 0 to {MAX_ATTEMPT}, or an array of them"
    if isinstance(attempt, numbers.Integral) and not isinstance(attempt, bool):
        if not 0 <= attempt <= MAX_ATTEMPT:
            raise fail("attempt", attempt, allowed)
        return np.asarray(int(attempt))
    array = _as_array("attempt", attempt, allowed)
    if array.size == 0:  # no retrying clients: no sleeps
        return np.zeros(array.shape, dtype=np.int64)
    if array.dtype.kind not in "iu" or array.min() < 0 or array.max() > MAX_ATTEMPT:
        raise fail("attempt", attempt, allowed)
    return array.astype(np.int64)


def _previous_array(previous: Any, base: float, cap: float) -> np.ndarray:
    allowed = (f"expected a sleep in seconds from base ({base!r}) to cap ({cap!r}), or an array "
               "of them")
    if isinstance(previous, numbers.Real) and not isinstance(previous, bool):
        return np.asarray(check_number("previous", previous, low=base, high=cap, allowed=allowed))
    array = _as_array("previous", previous, allowed)
    if array.dtype.kind not in "iuf":
        raise fail("previous", previous, allowed)
    array = array.astype(float)
    if array.size and not (np.isfinite(array).all() and array.min() >= base and array.max() <= cap):
        raise fail("previous", previous, allowed)
    return array


# --------------------------------------------------------------------------- sleeps


def _exponential(n: np.ndarray, base: float, cap: float) -> np.ndarray:
    # Past `top` doublings the cap applies anyway; clipping n keeps base * 2**n finite.
    top = max(0, math.ceil(math.log2(cap) - math.log2(base))) + 1
    return np.minimum(cap, np.ldexp(base, np.minimum(n, top)))


def _sleeps(policy: str, n: np.ndarray, previous: np.ndarray, base: float, cap: float,
            u: np.ndarray | None) -> np.ndarray:
    """The sleeps for exponents ``n`` (and previous sleeps), given uniforms ``u`` in [0, 1)."""
    if policy == "none":
        return np.zeros(np.broadcast(n, previous).shape)
    if policy == "decorrelated":
        return np.minimum(cap, base + (3.0 * previous - base) * u)
    v = _exponential(n, base, cap)
    if policy == "exponential":
        return v
    if policy == "full":
        return v * u
    return v / 2 + (v / 2) * u  # equal


def sleep_for(policy: str, attempt: Any, base: float, cap: float, rng: Any, *,
              previous: Any = None) -> Any:
    """One sleep per retrying client, in seconds: the retry with exponent ``attempt``.

    ``attempt`` is ``n`` in base * 2**n (0 for a client's first retry): a whole number, or an
    array of them, one per client. ``previous`` is the client's previous sleep, which only
    decorrelated jitter uses (default: base, as for a first retry). Scalars give a float;
    arrays give an array of their broadcast shape. ``rng`` is a ``numpy.random.Generator``
    or a seed.

    >>> sleep_for("exponential", 3, base=0.005, cap=2.0, rng=0)
    0.04
    >>> sleep_for("exponential", [0, 1, 20], base=0.005, cap=2.0, rng=0)
    array([0.005, 0.01 , 2.   ])
    >>> s = sleep_for("decorrelated", 0, base=0.005, cap=2.0, rng=7, previous=[0.005, 1.5])
    >>> bool(0.005 <= s[0] <= 0.015 and 0.005 <= s[1] <= 2.0)
    True
    """
    policy = _policy(policy)
    n = _attempts_array(attempt)
    base, cap = _base_cap(base, cap)
    generator = _rng(rng)
    if previous is None:
        prev = np.asarray(base)
    elif policy != "decorrelated":
        raise fail("previous", previous, "expected None: only decorrelated jitter depends on "
                   "the previous sleep")
    else:
        prev = _previous_array(previous, base, cap)
    try:
        shape = np.broadcast(n, prev).shape
    except ValueError:
        raise fail("previous", previous, f"expected an array of attempt's shape, {np.shape(n)}, "
                   "or one that broadcasts to it") from None
    if math.prod(shape) > MAX_DELAYS:
        raise fail("previous", previous, f"expected at most {MAX_DELAYS:,} sleeps with "
                   f"attempt's shape {np.shape(n)}")
    u = generator.random(shape) if policy in JITTERED else None
    sleeps = _sleeps(policy, n, prev, base, cap, u)
    return float(sleeps) if sleeps.ndim == 0 else sleeps


def backoff_delays(policy: str, attempts: int, base: float, cap: float, rng: Any, *,
                   clients: int | None = None) -> np.ndarray:
    """The sleeps before retries 1, 2, ..., ``attempts`` (exponents 0 .. attempts - 1), seconds.

    One client gives shape ``(attempts,)``; ``clients=k`` gives ``(k, attempts)``, a row per
    client, each drawn independently. Decorrelated jitter chains each row: sleep i is
    min(cap, U(base, 3 * sleep i-1)), from a previous sleep of base.

    >>> backoff_delays("equal", 4, base=1.0, cap=4.0, rng=3).round(3)  # v/2 + U(0, v/2)
    array([0.543, 1.237, 3.603, 3.164])
    >>> backoff_delays("none", 3, base=1.0, cap=4.0, rng=3)
    array([0., 0., 0.])
    """
    policy = _policy(policy)
    attempts = check_count("attempts", attempts, high=MAX_ATTEMPT)
    base, cap = _base_cap(base, cap)
    generator = _rng(rng)
    rows = 1 if clients is None else check_count("clients", clients, low=1, high=MAX_DELAYS)
    if rows * attempts > MAX_DELAYS:
        raise fail("clients", clients, f"expected clients * attempts <= {MAX_DELAYS:,} "
                   f"(attempts is {attempts})")
    u = generator.random((rows, attempts)) if policy in JITTERED else None
    if policy == "decorrelated":
        out = np.empty((rows, attempts))
        previous = np.full(rows, base)
        for i in range(attempts):
            previous = out[:, i] = _sleeps(policy, np.asarray(i), previous, base, cap, u[:, i])
    else:
        out = _sleeps(policy, np.arange(attempts), np.asarray(base), base, cap, u)
        out = np.broadcast_to(out, (rows, attempts)).copy()
    return out[0] if clients is None else out


# --------------------------------------------------------------------------- distributions


def _uniform_pmf(low: float, high: float, step: float, horizon: int) -> np.ndarray:
    """P(k step <= U(low, high) < (k+1) step) per step; the last step takes the rest."""
    edges = np.arange(1, horizon) * step
    cdf = np.clip((edges - low) / (high - low), 0.0, 1.0)
    return np.diff(cdf, prepend=0.0, append=1.0)


def _atom_pmf(at: float, step: float, horizon: int) -> np.ndarray:
    """All mass on the step holding ``at``."""
    pmf = np.zeros(horizon)
    pmf[_bin_of(at, step, horizon)] = 1.0
    return pmf


def _bin_of(at: float, step: float, horizon: int) -> int:
    # floor(at / step) in floating point, as numpy bins a sampled sleep: 1.0 s in steps of
    # 0.1 s lands in step 10, although the float 0.1 is a hair above one tenth.
    return min(horizon - 1, math.floor(at / step))


def _clipped_uniform_pmf(base: float, cap: float, previous: float, step: float,
                         horizon: int) -> np.ndarray:
    """min(cap, U(base, 3 previous)): uniform below cap, plus an atom at cap."""
    top = 3.0 * previous
    if cap == base:
        return _atom_pmf(cap, step, horizon)
    if top <= cap:
        return _uniform_pmf(base, top, step, horizon)
    at_cap = (top - cap) / (top - base)
    pmf = _uniform_pmf(base, cap, step, horizon) * (1.0 - at_cap)
    pmf[_bin_of(cap, step, horizon)] += at_cap
    return pmf


def _kernel_rows(x: np.ndarray, edges: np.ndarray, ratio: float) -> np.ndarray:
    """P(next sleep < x) from each flat source cell between ``edges`` and, last, from cap.

    In units of base (base = 1, cap = ``ratio``): from a previous sleep p, the next is
    min(ratio, U(1, 3p)), so P(next < x) = clip((x - 1) / (3p - 1), 0, 1), which is 1 for
    p <= x/3. Its average over a cell [low, high) is exact:
    ((q - low) + (x - 1)/3 * ln((3 high - 1) / (3 q - 1))) / (high - low), q = clip(x/3, low, high).
    """
    low, high = edges[:-1][None, :], edges[1:][None, :]
    x = x[:, None]
    q = np.clip(x / 3.0, low, high)
    inside = (q - low) + (x - 1.0) / 3.0 * np.log1p(3.0 * (high - q) / (3.0 * q - 1.0))
    return np.hstack([inside / (high - low), (x - 1.0) / (3.0 * ratio - 1.0)])  # x <= ratio


@functools.lru_cache(maxsize=8)
def _decorrelated_kernel(ratio: float, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid edges (in units of base) and the transition matrix of decorrelated jitter.

    A sleep's distribution is held as masses on ``cells`` geometric cells from base (1) to cap
    (``ratio``), with an edge at 3, flat within each cell, plus an atom at cap; row i of the
    matrix gives P(next sleep < edge i) from each of them (:func:`_kernel_rows`).
    """
    edges = np.geomspace(1.0, ratio, cells + 1)
    edges[0], edges[-1] = 1.0, ratio
    # An edge at 3 keeps the first sleep, U(1, 3), flat within every cell: held exactly.
    # (unique: a cap within a few ulps of base leaves fewer, distinct edges)
    edges = np.unique(np.append(edges, 3.0) if ratio > 3.0 else edges)
    kernel = _kernel_rows(edges, edges, ratio)
    kernel.setflags(write=False)
    edges.setflags(write=False)
    return edges, kernel


EXACT_EDGES = 4_096  # step edges between base and cap evaluated with the exact last step


def _decorrelated_marginal(attempt: int, base: float, cap: float, step: float, horizon: int,
                           cells: int = GRID_CELLS) -> np.ndarray:
    """The distribution of sleep ``attempt`` (0-based) of a client, over its earlier sleeps."""
    if attempt == 0 or cap == base:  # from previous = base: exact
        return _clipped_uniform_pmf(base, cap, base, step, horizon)
    ratio = cap / base
    edges, kernel = _decorrelated_kernel(ratio, cells)
    cdf = np.minimum((edges - 1.0) / 2.0, 1.0)  # sleep 0: U(1, 3) in units of base, exact
    state = np.append(np.diff(cdf), 1.0 - cdf[-1])
    for _ in range(attempt - 1):  # to the law of the previous sleep, attempt - 1
        cdf = kernel @ state
        new = np.append(np.diff(cdf), 1.0 - cdf[-1])
        settled = np.abs(new - state).sum() <= 1e-12  # at its stationary law (to ~1e-11)
        state = new
        if settled:
            break
    # The last transition exactly: P(sleep < each step edge) from the previous sleep's law.
    points = np.arange(1, horizon) * (step / base)
    inside = (points > 1.0) & (points < ratio)
    continuous = float(kernel[-1] @ state)  # P(sleep < cap); the rest is the atom at cap
    below = np.where(points >= ratio, continuous, 0.0)
    if inside.sum() <= EXACT_EDGES:
        below[inside] = _kernel_rows(points[inside], edges, ratio) @ state
    else:  # very many steps: interpolate between the grid's edges instead
        below[inside] = np.interp(points[inside], edges, kernel @ state)
    pmf = np.maximum(np.diff(below, prepend=0.0, append=continuous), 0.0)  # no -1e-16
    pmf[_bin_of(cap, step, horizon)] += 1.0 - continuous
    return pmf


def delay_distribution(policy: str, attempt: int, base: float, cap: float, step: float,
                       horizon: int, *, previous: float | None = None) -> np.ndarray:
    """Where a retry lands: P(k step <= sleep < (k+1) step) for each future step k.

    Returns ``horizon`` probabilities; the last one also holds every sleep beyond the horizon,
    so they sum to 1 (make ``horizon > cap / step`` for nothing to be folded in). ``attempt`` is
    the exponent n (0 for the first retry), as in :func:`sleep_for`.

    How exact: none, exponential, full and equal jitter are closed forms (a point, or a
    uniform law, integrated over each step). A point (a plain exponential sleep, the cap)
    lands in step floor(sleep / step) computed in floating point, as ``np.floor`` bins a
    sampled sleep, so the law and binned samples agree even on a step's edge.
    Decorrelated jitter depends on the previous sleep. Given ``previous``, the law is exact: a
    uniform law below cap plus an atom at cap. Without it, the answer is the *marginal* law of
    the client's sleep number ``attempt`` (counting from 0, whose previous sleep is base),
    averaged over all its earlier random sleeps. It is computed by recursion: the law of each
    sleep is held on a grid of about 1,024 geometric cells between base and cap (flat within
    each cell, plus an atom at cap) and pushed through the exact transition; the last
    transition is evaluated exactly at the step edges (when at most 4,096 of them fall between
    base and cap; past that, interpolated). So attempts 0 and 1 are exact, and later ones err
    by the grid's flattening: less than 3e-5 per step in the tests (against a grid 4x finer),
    which also check it against sampled sleeps by chi-square. Past about 200 attempts the
    chain has reached its stationary law and the answer no longer changes.

    >>> delay_distribution("full", 2, base=1.0, cap=100.0, step=1.0, horizon=6)
    array([0.25, 0.25, 0.25, 0.25, 0.  , 0.  ])
    >>> delay_distribution("exponential", 3, base=0.1, cap=10.0, step=0.1, horizon=10)
    array([0., 0., 0., 0., 0., 0., 0., 0., 1., 0.])
    >>> delay_distribution("decorrelated", 0, base=1.0, cap=2.0, step=1.0, horizon=4)
    array([0. , 0.5, 0.5, 0. ])
    """
    policy = _policy(policy)
    attempt = check_count("attempt", attempt, high=MAX_ATTEMPT)
    base, cap = _base_cap(base, cap)
    step = check_number("step", step, low=MIN_BASE, high=MAX_CAP,
                        allowed=f"expected a number of seconds from {MIN_BASE:g} to {MAX_CAP:g}")
    horizon = check_count("horizon", horizon, low=1, high=MAX_HORIZON)
    if previous is not None:
        if policy != "decorrelated":
            raise fail("previous", previous, "expected None: only decorrelated jitter depends "
                       "on the previous sleep")
        previous = check_number("previous", previous, low=base, high=cap,
                                allowed=f"expected a sleep in seconds from base ({base!r}) to "
                                        f"cap ({cap!r})")
        return _clipped_uniform_pmf(base, cap, previous, step, horizon)
    if policy == "none":
        return _atom_pmf(0.0, step, horizon)
    if policy == "decorrelated":
        return _decorrelated_marginal(attempt, base, cap, step, horizon)
    v = float(_exponential(np.asarray(attempt), base, cap))
    if policy == "exponential":
        return _atom_pmf(v, step, horizon)
    if policy == "full":
        return _uniform_pmf(0.0, v, step, horizon)
    return _uniform_pmf(v / 2, v, step, horizon)  # equal


# --------------------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class OccResult:
    """One point of Brooker's experiment: a policy, a number of clients, averaged over runs.

    ``calls`` is the mean number of conditional writes (one per attempt) per run;
    ``completion_ms`` the mean time in milliseconds until the last client's successful write
    is acknowledged. The ``*_per_run`` tuples hold each run's figure.
    """

    policy: str
    clients: int
    runs: int
    calls: float
    completion_ms: float
    calls_per_run: tuple[int, ...]
    completion_ms_per_run: tuple[float, ...]

    def row(self) -> dict:
        """The point as a plain dict for a table or an altair chart.

        >>> occ_experiment("none", 1, runs=2, delay_sd=0.0).row()
        {'policy': 'none', 'clients': 1, 'runs': 2, 'calls': 1.0, 'completion_ms': 40.0}
        """
        return {"policy": self.policy, "clients": self.clients, "runs": self.runs,
                "calls": self.calls, "completion_ms": self.completion_ms}


def _network(rng: np.random.Generator, mean: float, sd: float, size: Any) -> np.ndarray:
    return np.abs(rng.normal(mean, sd, size))


def _race(policy: str, clients: int, runs: int, rng: np.random.Generator, base: float,
          cap: float, mean: float, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Calls and completion time (s) of ``runs`` independent runs, simulated side by side.

    Each client has one attempt in flight: the server reads the row at ``read`` and receives
    the conditional write at ``write``. The write succeeds iff no write succeeded since the
    read. Taking writes in time order, the next success is the earliest write whose read
    came after the last success; every write before it read a version that has since changed
    and fails. A failing client sleeps and tries again; its new attempt may itself be the
    earliest, so the next success is looked for again after rescheduling the failures (once
    is enough: every new read comes after the last success). Each loop settles one success
    in every run, so there are exactly ``clients`` loops.
    """
    rows = np.arange(runs)
    read = _network(rng, mean, sd, (runs, clients))  # the read request reaches the server
    write = read + _network(rng, mean, sd, (runs, clients))  # the reply reaches the client
    write += _network(rng, mean, sd, (runs, clients))        # its write reaches the server
    failures = np.zeros((runs, clients), dtype=np.int64)
    previous = np.full((runs, clients), base)
    last_success = np.full(runs, -np.inf)
    finish = np.zeros(runs)
    calls = np.full(runs, clients, dtype=np.int64)  # each client's successful write
    for _ in range(clients):
        fresh = np.where(read > last_success[:, None], write, np.inf)
        failing = write < fresh.min(axis=1)[:, None]  # read before the last success: stale
        hit = np.nonzero(failing)
        if hit[0].size:
            calls += np.bincount(hit[0], minlength=runs)
            failures[hit] += 1
            n = failures[hit]
            u = rng.random(n.size) if policy in JITTERED else None
            sleep = _sleeps(policy, n, previous[hit], base, cap, u)
            previous[hit] = sleep
            delays = _network(rng, mean, sd, (4, n.size))  # reply, read, read reply, write
            read[hit] = write[hit] + delays[0] + sleep + delays[1]
            write[hit] = fresh[hit] = read[hit] + delays[2] + delays[3]
        winner = fresh.argmin(axis=1)
        last_success = fresh[rows, winner]
        finish = np.maximum(finish, last_success + _network(rng, mean, sd, runs))
        read[rows, winner] = write[rows, winner] = np.inf  # done: never a candidate again
    return calls, finish


def _experiment_args(base: Any, cap: Any, delay_mean: Any, delay_sd: Any, runs: Any,
                     seed: Any) -> tuple:
    base, cap = _base_cap(base, cap)
    mean = check_number("delay_mean", delay_mean, low=0.0, low_open=True, high=MAX_NETWORK,
                        allowed=f"expected a number of seconds above 0 and at most {MAX_NETWORK:g}")
    sd = check_number("delay_sd", delay_sd, low=0.0, high=MAX_NETWORK,
                      allowed=f"expected a number of seconds from 0 to {MAX_NETWORK:g}")
    sd += 0.0  # -0.0 becomes 0.0, which numpy accepts as a scale
    runs = check_count("runs", runs, low=1, high=MAX_RUNS)
    seed = check_count("seed", seed, high=MAX_SEED - 1)
    return base, cap, mean, sd, runs, seed


def _clients(argument: str, value: Any, runs: int) -> int:
    clients = check_count(argument, value, low=1, high=MAX_CLIENTS)
    if clients**2 * runs > MAX_WORK:
        raise fail(argument, value, f"expected clients**2 * runs <= {MAX_WORK:,}, a few "
                   f"seconds of work (runs is {runs})")
    return clients


def _point(policy: str, clients: int, runs: int, seed: int, base: float, cap: float,
           mean: float, sd: float) -> OccResult:
    rng = np.random.default_rng([seed, POLICIES.index(policy), clients])
    calls, finish = _race(policy, clients, runs, rng, base, cap, mean, sd)
    finish_ms = finish * 1000.0
    return OccResult(policy, clients, runs, float(calls.mean()), float(finish_ms.mean()),
                     tuple(int(c) for c in calls), tuple(float(t) for t in finish_ms))


def occ_experiment(policy: str, clients: int, *, runs: int = 20, seed: int = 0,
                   base: float = 0.005, cap: float = 2.0, delay_mean: float = 0.010,
                   delay_sd: float = 0.002) -> OccResult:
    """Brooker's experiment for one policy: ``clients`` clients each update one row once.

    Optimistic concurrency control, as in the blog's simulator: at time 0 every client sends
    a read; each message takes |Normal(delay_mean, delay_sd)| seconds (10 ms, sd 2 ms). An
    attempt is: the read reaches the server, which returns the row's version; the client
    sends a conditional write; the server accepts it iff the version is unchanged (no other
    write was accepted since this read) and replies. A rejected client sleeps (its k-th
    retry with exponent n = k, as the blog's simulator counts the failed attempt before
    computing the sleep, so plain exponential first sleeps 2 base), then reads again. Calls
    count conditional writes (the server's count in the blog); completion is when the last
    client receives its acceptance. ``runs`` independent runs, seeded by ``seed``, policy
    and clients (so :func:`occ_sweep` gives the same numbers). Ties happen only with
    ``delay_sd=0``: of writes arriving together the lowest-numbered client's is accepted and
    the rest fail, as do reads arriving with it.

    >>> r = occ_experiment("exponential", 3, runs=1, delay_sd=0.0)  # a perfectly regular net
    >>> r.calls, round(r.completion_ms, 9)   # everyone collides: 3 + 2 + 1 writes
    (6.0, 150.0)
    """
    policy = _policy(policy)
    base, cap, mean, sd, runs, seed = _experiment_args(base, cap, delay_mean, delay_sd, runs, seed)
    clients = _clients("clients", clients, runs)
    return _point(policy, clients, runs, seed, base, cap, mean, sd)


def occ_sweep(policies: Iterable[str] = BLOG_POLICIES, clients: Iterable[int] = BLOG_CLIENTS, *,
              runs: int = 20, seed: int = 0, base: float = 0.005, cap: float = 2.0,
              delay_mean: float = 0.010, delay_sd: float = 0.002,
              progress: Callable[[int, int], Any] | None = None) -> list[dict]:
    """The blog's figure: :func:`occ_experiment` for every policy and number of clients.

    Returns one dict per point (policy, clients, runs, calls, completion_ms), ready for
    ``alt.Chart(alt.Data(values=rows))``. ``progress(done, total)``, if given, is called after
    each point, so a notebook can move a progress bar (the default sweep takes about a second).

    >>> rows = occ_sweep(["exponential", "full"], [10, 20], runs=5)
    >>> [(r["policy"], r["clients"]) for r in rows]
    [('exponential', 10), ('exponential', 20), ('full', 10), ('full', 20)]
    """
    names = check_list("policies", policies, len(POLICIES),
                       "expected a list of policy names: " + ", ".join(map(repr, POLICIES)))
    if not names:
        raise fail("policies", policies, "expected at least one policy name")
    for i, name in enumerate(names):
        check_choice(f"policies[{i}]", name, POLICIES)
    if len(set(names)) < len(names):
        raise fail("policies", policies, "expected each policy name at most once")
    base, cap, mean, sd, runs, seed = _experiment_args(base, cap, delay_mean, delay_sd, runs, seed)
    sizes = check_list("clients", clients, 100, "expected a list of client counts")
    if not sizes:
        raise fail("clients", clients, "expected at least one client count")
    sizes = [_clients(f"clients[{i}]", size, runs) for i, size in enumerate(sizes)]
    if sum(size**2 for size in sizes) * runs * len(names) > 2 * MAX_WORK:
        raise fail("clients", clients, f"expected the sum of clients**2, times runs and the "
                   f"number of policies, <= {2 * MAX_WORK:,}: a sweep of a few seconds")
    if progress is not None and not callable(progress):
        raise fail("progress", progress, "expected None or a function progress(done, total)")
    rows, total = [], len(names) * len(sizes)
    for name in names:
        for size in sizes:
            rows.append(_point(name, size, runs, seed, base, cap, mean, sd).row())
            if progress is not None:
                progress(len(rows), total)
    return rows
