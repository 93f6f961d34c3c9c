"""Circuit breakers with resilience4j's vocabulary: one breaker call by call, or a bank of them.

A breaker is **closed** (calls go through and their outcomes fill a sliding window), **open**
(every call is rejected) or **half-open** (a few probe calls go through and decide). It opens
when, with at least ``minimum_number_of_calls`` in the window, the failure rate reaches
``failure_rate_threshold``; it stays open for ``wait_duration_in_open_state`` seconds; then
``permitted_number_of_calls_in_half_open_state`` probes close it (failure rate below the
threshold) or open it again. The pattern and its three states are Michael Nygard's (*Release It!*,
2007); the defaults and presets follow each library's documentation (``lessons/sources.md``).

>>> breaker = CircuitBreaker(BreakerConfig(minimum_number_of_calls=4, sliding_window_size=4,
...                                        wait_duration_in_open_state=10,
...                                        permitted_number_of_calls_in_half_open_state=2))
>>> for t, ok in enumerate([True, False, True, False]):
...     _ = breaker.allow(t) and breaker.record(ok, t)
>>> breaker.state, breaker.allow(5), breaker.allow(13), breaker.state
('open', False, True, 'half_open')
>>> breaker.record(True, 13), breaker.allow(14), breaker.record(True, 14)
('half_open', True, 'closed')
>>> breaker.transitions
[(3.0, 'closed', 'open'), (13.0, 'open', 'half_open'), (14.0, 'half_open', 'closed')]

:class:`BreakerBank` is the same machine for a time-stepped simulation: numpy arrays over
links, fed each step with how many calls went through each link and how many failed.

>>> bank = BreakerBank(hystrix(), ["cell-a", "cell-b"])
>>> bank.allow(0.0)
array([inf, inf])
>>> bank.record(0.0, [30, 30], [3, 15])
>>> bank.state_names, bank.allow(4.5), bank.allow(5.0)
(['closed', 'open'], array([inf,  0.]), array([inf,  1.]))
>>> bank.transitions
[(0.0, 'cell-b', 'closed', 'open'), (5.0, 'cell-b', 'open', 'half_open')]

Where resilience4j's code and docs guided the details (CircuitBreakerStateMachine and
CircuitBreakerMetrics):

- the failure rate is ``failures / calls`` and is compared with ``>=``; below the minimum
  number of calls there is no rate, so nothing trips; the check runs after each recorded
  call, a success included (99 failures then one success opens a 100-call window);
- a count-based window holds the last ``sliding_window_size`` calls; a time-based one holds
  one bucket per whole second (``floor(now)``) for the last ``sliding_window_size`` seconds,
  the current second included, like resilience4j's epoch-second partial aggregations;
- every state starts with fresh metrics: a breaker that closes starts an empty window, and
  half-open decides on a window of exactly the permitted probes (resilience4j's
  ``forHalfOpen``: count-based, its minimum equal to the permitted number); no decision is
  made until all probes have been recorded, and later calls are rejected meanwhile;
- open becomes half-open lazily, on the first ``allow`` once ``wait_duration_in_open_state``
  has elapsed (``automaticTransitionFromOpenToHalfOpenEnabled`` is false by default); that
  call is the first probe. Elapsed means ``now >= opened + wait`` (pybreaker and Polly
  compare the same way; resilience4j's code asks for an instant strictly after, one clock
  tick later, which in 1 s steps would hold every breaker open one step too long);
- an outcome recorded while open changes nothing (resilience4j records it for statistics
  only: it belongs to a call admitted before the breaker opened).

Not modelled: slow-call rates, ignored exceptions, forced/disabled states, and resilience4j's
rate being a 32-bit float percentage (here a 64-bit fraction, exact for every count below
2**53).
"""

from __future__ import annotations

import math
import numbers
import sys
from collections import deque
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .errors import (check_choice, check_count, check_flag, check_names,
                     check_number, check_positive, fail)

CLOSED, OPEN, HALF_OPEN = 0, 1, 2
STATES = ("closed", "open", "half_open")
WINDOW_TYPES = ("count", "time")

MAX_WINDOW_CALLS = 100_000      # a count window's calls: resilience4j's default is 100
MAX_WINDOW_SECONDS = 86_400     # a time window of a day: a bank keeps a bucket per second
MAX_MINIMUM_CALLS = 10**9
MAX_PROBES = 100_000
MAX_LINKS = 10_000              # a router's links to cells: far more than any lesson's
MAX_BANK_SLOTS = 8_000_000      # a bank's window slots in all (x 16 bytes: 128 MB)
MAX_RING_SLOTS = 4_096          # steps a bank's count window keeps per link (see BreakerBank)
EPSILON = 1e-9                  # calls are counted in floats: absorb their rounding

_THRESHOLD_ALLOWED = ("expected a number above 0 and at most 1 (a fraction: resilience4j's "
                      "50 % is 0.5)")


@dataclass(frozen=True)
class BreakerConfig:
    """What a breaker counts and when it trips; the defaults are resilience4j's.

    ``failure_rate_threshold`` is a fraction in (0, 1] (resilience4j's ``failureRateThreshold``
    of 50 % is 0.5); ``sliding_window_type`` is ``"count"`` (the window holds the last
    ``sliding_window_size`` calls) or ``"time"`` (the calls of the last
    ``sliding_window_size`` whole seconds); ``wait_duration_in_open_state`` is in seconds.

    A count-based window can never hold more calls than its size, so a larger
    ``minimum_number_of_calls`` is refused (resilience4j silently lowers it to the size).

    >>> BreakerConfig()
    BreakerConfig(failure_rate_threshold=0.5, sliding_window_type='count', sliding_window_size=100, minimum_number_of_calls=100, wait_duration_in_open_state=60.0, permitted_number_of_calls_in_half_open_state=10)
    >>> BreakerConfig(minimum_number_of_calls=200)
    Traceback (most recent call last):
    ...
    labkit.errors.LabkitError: minimum_number_of_calls=200 is not allowed: expected at most sliding_window_size=100 with a count-based window, which never holds more calls (resilience4j silently lowers it to the window size)
    """

    failure_rate_threshold: float = 0.5
    sliding_window_type: str = "count"
    sliding_window_size: int = 100
    minimum_number_of_calls: int = 100
    wait_duration_in_open_state: float = 60.0
    permitted_number_of_calls_in_half_open_state: int = 10

    def __post_init__(self) -> None:
        threshold = check_number("failure_rate_threshold", self.failure_rate_threshold,
                                 low=0.0, low_open=True, high=1.0, allowed=_THRESHOLD_ALLOWED)
        kind = check_choice("sliding_window_type", self.sliding_window_type, WINDOW_TYPES)
        top = MAX_WINDOW_CALLS if kind == "count" else MAX_WINDOW_SECONDS
        size = check_count("sliding_window_size", self.sliding_window_size, low=1, high=top)
        minimum = check_count("minimum_number_of_calls", self.minimum_number_of_calls, low=1,
                              high=MAX_MINIMUM_CALLS)
        if kind == "count" and minimum > size:
            raise fail("minimum_number_of_calls", minimum,
                       f"expected at most sliding_window_size={size} with a count-based "
                       "window, which never holds more calls (resilience4j silently lowers "
                       "it to the window size)")
        wait = check_positive("wait_duration_in_open_state", self.wait_duration_in_open_state)
        probes = check_count("permitted_number_of_calls_in_half_open_state",
                             self.permitted_number_of_calls_in_half_open_state, low=1,
                             high=MAX_PROBES)
        for name, value in (("failure_rate_threshold", threshold), ("sliding_window_size", size),
                            ("minimum_number_of_calls", minimum),
                            ("wait_duration_in_open_state", wait),
                            ("permitted_number_of_calls_in_half_open_state", probes)):
            object.__setattr__(self, name, value)


def resilience4j() -> BreakerConfig:
    """resilience4j's defaults (``lessons/sources.md``): failureRateThreshold 50 %, a
    COUNT_BASED sliding window of 100 calls, minimumNumberOfCalls 100,
    waitDurationInOpenState 60 s, permittedNumberOfCallsInHalfOpenState 10.

    >>> resilience4j() == BreakerConfig()
    True
    """
    return BreakerConfig()


def hystrix() -> BreakerConfig:
    """Hystrix's defaults (``lessons/sources.md``): opens at >= 50 % errors with >= 20
    requests in a 10 s rolling window; sleep window 5 s; one trial request.

    Hystrix's rolling window has ten 1 s buckets, as the time-based window here; its trial
    request closes the circuit on success and reopens it on failure, as one probe does.

    >>> c = hystrix()
    >>> (c.failure_rate_threshold, c.sliding_window_type, c.sliding_window_size,
    ...  c.minimum_number_of_calls, c.wait_duration_in_open_state,
    ...  c.permitted_number_of_calls_in_half_open_state)
    (0.5, 'time', 10, 20, 5.0, 1)
    """
    return BreakerConfig(failure_rate_threshold=0.5, sliding_window_type="time",
                         sliding_window_size=10, minimum_number_of_calls=20,
                         wait_duration_in_open_state=5.0,
                         permitted_number_of_calls_in_half_open_state=1)


def polly() -> BreakerConfig:
    """Polly v8's defaults (``lessons/sources.md``): FailureRatio 0.1, MinimumThroughput 100,
    SamplingDuration 30 s, BreakDuration 5 s.

    Polly samples in buckets of a tenth of the duration (3 s here), this window in 1 s
    buckets; its half-open state lets one trial execution decide, as one probe does.

    >>> c = polly()
    >>> (c.failure_rate_threshold, c.sliding_window_type, c.sliding_window_size,
    ...  c.minimum_number_of_calls, c.wait_duration_in_open_state,
    ...  c.permitted_number_of_calls_in_half_open_state)
    (0.1, 'time', 30, 100, 5.0, 1)
    """
    return BreakerConfig(failure_rate_threshold=0.1, sliding_window_type="time",
                         sliding_window_size=30, minimum_number_of_calls=100,
                         wait_duration_in_open_state=5.0,
                         permitted_number_of_calls_in_half_open_state=1)


def pybreaker() -> BreakerConfig:
    """pybreaker's defaults (``lessons/sources.md``): fail_max = 5 consecutive failures,
    reset_timeout = 60 s.

    Consecutive failures are modelled exactly: a count window of the last 5 calls with a
    minimum of 5 and a threshold of 100 % trips exactly when the last 5 calls since the
    breaker closed all failed, which is pybreaker's counter reaching 5 (it is reset by every
    success and on closing). pybreaker's half-open state lets the next call through as the
    trial: success closes, failure reopens, as one probe does.

    >>> c = pybreaker()
    >>> (c.failure_rate_threshold, c.sliding_window_type, c.sliding_window_size,
    ...  c.minimum_number_of_calls, c.wait_duration_in_open_state,
    ...  c.permitted_number_of_calls_in_half_open_state)
    (1.0, 'count', 5, 5, 60.0, 1)
    """
    return BreakerConfig(failure_rate_threshold=1.0, sliding_window_type="count",
                         sliding_window_size=5, minimum_number_of_calls=5,
                         wait_duration_in_open_state=60.0,
                         permitted_number_of_calls_in_half_open_state=1)


PRESETS = {"resilience4j": resilience4j, "hystrix": hystrix, "polly": polly,
           "pybreaker": pybreaker}


def _check_config(config: Any) -> BreakerConfig:
    if config is None:
        return BreakerConfig()
    if not isinstance(config, BreakerConfig):
        raise fail("config", config, "expected a BreakerConfig, e.g. labkit.breaker.hystrix()")
    return config


_BIGGEST = sys.float_info.max
_PLAIN_TIMES = frozenset((float, int, np.float64))
_FAR = 2.0**53  # plain times within this take the fast path; others the full check


class _Clock:
    """Validates ``now`` and keeps it from running backwards."""

    def __init__(self) -> None:
        self.last = -math.inf

    def tick(self, now: Any) -> float:
        if not (type(now) in _PLAIN_TIMES and -_FAR < now < _FAR and now >= self.last):
            now = check_number("now", now, allowed="expected a finite number of seconds")
            if now < self.last:
                raise fail("now", now, f"expected at least {self.last}, the latest time "
                           "already given: time only moves forward")
        now = float(now)
        self.last = now
        return now


def _trips(calls: float, failures: float, minimum: float, threshold: float) -> bool:
    return calls >= minimum and failures / calls >= threshold


class CircuitBreaker:
    """One breaker, driven call by call: ``allow(now)`` before a call, ``record(success, now)``
    after it. Times are seconds and never go backwards.

    >>> breaker = CircuitBreaker()  # resilience4j's defaults
    >>> for t in range(99):
    ...     _ = breaker.record(False, t)
    >>> breaker.state, breaker.window()
    ('closed', (99, 99))
    >>> breaker.record(False, 99)
    'open'
    """

    def __init__(self, config: BreakerConfig | None = None) -> None:
        self.config = _check_config(config)
        self._clock = _Clock()
        self._state = CLOSED
        self._log: list[tuple[float, str, str]] = []
        self._reopen_at = math.inf
        self._permits = 0
        self._probes = [0, 0]  # probe calls and failures recorded while half-open
        self._reset_window()

    @property
    def state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half_open"``."""
        return STATES[self._state]

    @property
    def transitions(self) -> list[tuple[float, str, str]]:
        """Every change of state so far, as ``(time, from, to)``."""
        return list(self._log)

    def window(self) -> tuple[int, int]:
        """Calls and failures in the closed-state sliding window as of the last record.

        The window is emptied when the breaker opens: each closed period starts afresh.
        """
        return self._window_calls, self._window_failures

    def allow(self, now: float) -> bool:
        """May a call go through at ``now``? Open turns half-open here once the wait has
        elapsed; each call admitted while half-open takes one of the permitted probes.

        >>> breaker = CircuitBreaker(pybreaker())
        >>> [breaker.allow(0), breaker.record(False, 0)]
        [True, 'closed']
        """
        self.state_at(now)
        if self._state == HALF_OPEN:
            if self._permits > 0:
                self._permits -= 1
                return True
            return False
        return self._state == CLOSED

    def state_at(self, now: float) -> str:
        """The state at ``now``: an open breaker whose wait has elapsed turns half-open here,
        as ``allow`` would turn it, without taking a probe (resilience4j does this with
        ``automaticTransitionFromOpenToHalfOpenEnabled``; a bank does it in every ``allow``).

        >>> breaker = CircuitBreaker(hystrix())
        >>> for t in range(20):
        ...     _ = breaker.record(False, t / 10)
        >>> breaker.state_at(6.8), breaker.state_at(6.9)
        ('open', 'half_open')
        """
        now = self._clock.tick(now)
        if self._state == OPEN and now >= self._reopen_at:
            self._move(HALF_OPEN, now)
        return self.state

    def record(self, success: bool, now: float) -> str:
        """Record the outcome of a call at ``now``; return the state after it.

        >>> CircuitBreaker().record("yes", 0)
        Traceback (most recent call last):
        ...
        labkit.errors.LabkitError: success='yes' is not allowed: expected True or False
        """
        failed = int(not check_flag("success", success))
        now = self._clock.tick(now)
        config = self.config
        if self._state == CLOSED:
            self._add(failed, now)
            if _trips(self._window_calls, self._window_failures,
                      config.minimum_number_of_calls, config.failure_rate_threshold):
                self._move(OPEN, now)
        elif self._state == HALF_OPEN:
            self._probes[0] += 1
            self._probes[1] += failed
            calls, failures = self._probes
            probes = config.permitted_number_of_calls_in_half_open_state
            if calls >= probes:
                opens = _trips(calls, failures, probes, config.failure_rate_threshold)
                self._move(OPEN if opens else CLOSED, now)
        return self.state

    # ------------------------------------------------------------------ internals

    def _move(self, state: int, now: float) -> None:
        self._log.append((now, STATES[self._state], STATES[state]))
        self._state = state
        if state == OPEN:
            self._reopen_at = now + self.config.wait_duration_in_open_state
            self._reset_window()
        elif state == HALF_OPEN:
            self._permits = self.config.permitted_number_of_calls_in_half_open_state
            self._probes = [0, 0]

    def _reset_window(self) -> None:
        self._outcomes: deque = deque()  # count: 1 per failed call; time: [second, calls, failures]
        self._window_calls = 0
        self._window_failures = 0

    def _add(self, failed: int, now: float) -> None:
        size = self.config.sliding_window_size
        outcomes = self._outcomes
        if self.config.sliding_window_type == "count":
            if len(outcomes) == size:
                self._window_calls -= 1
                self._window_failures -= outcomes.popleft()
            outcomes.append(failed)
        else:
            second = math.floor(now)
            while outcomes and outcomes[0][0] <= second - size:
                _, calls, failures = outcomes.popleft()
                self._window_calls -= calls
                self._window_failures -= failures
            if not outcomes or outcomes[-1][0] != second:
                outcomes.append([second, 0, 0])
            outcomes[-1][1] += 1
            outcomes[-1][2] += failed
        self._window_calls += 1
        self._window_failures += failed


class BreakerBank:
    """A breaker per link, stepped with numpy: the router's breakers in a simulation.

    Each step, ask ``allow(now)`` how many calls each link admits (``inf`` while closed, 0
    while open, the probes left while half-open), send at most that many, then
    ``record(now, calls, failures)``: how many went through each link and how many of them
    failed (counts may be fractional). ``step`` does both for an offered load.

    Decisions are taken per step, after its calls are recorded: a breaker that trips does so
    at the end of the step whose calls tripped it, so that whole step's calls went through.
    As in resilience4j, a window is checked only when calls are recorded into it (a time
    window that merely forgets old calls does not trip). Fed one call per step, a bank
    agrees with :class:`CircuitBreaker` exactly; fed many, it is a fluid model, and a step
    counts as a whole: with pybreaker's preset, "the last 5 calls failed" means the newest
    step's failure fraction is 100 %, so 90 % failures in steps of 1,000 calls never trip it.

    Windows:

    - count-based: a per-link ring of per-step ``(calls, failures)``; steps without calls
      are not kept. The window is the newest steps back to ``sliding_window_size`` calls,
      the oldest of them counted in part, its failures in proportion to its calls (a step of
      6 calls and 3 failures that must contribute 2 calls contributes 1 failure). The ring
      holds up to ``min(sliding_window_size + 1, 4096)`` steps; past that (steps of less than
      one call, or windows over 4095 calls) its two oldest steps are merged, again and again,
      so the oldest calls are lumped together and their failures leave the window in
      proportion rather than one by one. With whole calls per step and windows of at most
      4095 calls the window is exactly the last ``sliding_window_size`` calls.
    - time-based: one bucket per link per whole second, ``floor(now)``, for the last
      ``sliding_window_size`` seconds (the current one included), as resilience4j does.
    - half-open: ``allow`` admits the permitted probes, spread over as many steps as it takes
      to offer them; the decision is taken on them once all have been recorded.

    >>> bank = BreakerBank(BreakerConfig(sliding_window_size=10, minimum_number_of_calls=10),
    ...                    ["a", "b"])
    >>> bank.record(0, [6, 6], [6, 3])
    >>> bank.record(1, [6, 6], [0, 1])
    >>> bank.window()  # the newest 6 calls and 4 of the 6 before them
    (array([10., 10.]), array([4., 3.]))
    >>> bank.record(2, [6, 6], [0, 5]), bank.window(), bank.state_names
    (None, (array([10.,  0.]), array([0., 0.])), ['closed', 'open'])
    """

    def __init__(self, config: BreakerConfig, links: int | Sequence[str]) -> None:
        self.config = config = _check_config(config)
        self.links = _check_links(links, config)
        n = len(self.links)
        self._clock = _Clock()
        self._state = np.zeros(n, dtype=np.int8)
        self._not_closed = 0  # links not closed: while 0, record takes the fast path
        self._allowance = np.full(n, np.inf)
        self._reopen_at = np.full(n, np.inf)
        self._probe_calls = np.zeros(n)
        self._probe_failures = np.zeros(n)
        self._log: list[tuple[float, Any, str, str]] = []
        self._window_calls = np.zeros(n)  # all the window keeps (see _push_count)
        self._window_failures = np.zeros(n)
        # Per step a bank makes a few dozen numpy calls on arrays of a few dozen links, so
        # their overhead is the cost: constants are arrays (array-array operations are about
        # twice as fast as array-scalar ones) and the rings are flat (below).
        size = config.sliding_window_size
        self._zero = np.zeros(n)
        self._epsilon = np.full(n, EPSILON)
        self._half = np.full(n, 0.5)
        self._ceiling = np.full(n, _BIGGEST)  # the allowance plus EPSILON, finite
        self._threshold = np.full(n, config.failure_rate_threshold)
        self._minimum = np.full(n, config.minimum_number_of_calls - EPSILON)
        # A window trips only with failures >= threshold * calls >= threshold * minimum, and
        # it holds no more failures than the steps it keeps: below this floor (a hair lower,
        # for rounding) no link can trip, and the exact count is skipped.
        self._trip_floor = np.full(n, config.failure_rate_threshold
                                   * (config.minimum_number_of_calls - EPSILON) * (1 - 1e-9))
        self._rate_floor = np.full(n, config.failure_rate_threshold * (1 - 1e-9))
        self._one = np.ones(n, dtype=np.int64)
        self._probe_goal = np.full(n, config.permitted_number_of_calls_in_half_open_state
                                   - EPSILON)
        self._size = np.full(n, float(size))
        self._size_goal = self._size - EPSILON
        self._count_based = config.sliding_window_type == "count"
        if self._count_based:
            # Link i's ring is slots [i * ring, (i + 1) * ring) of one flat array: indexing a
            # flat array with one index per link is several times faster than a 2-D one.
            # Steps pushed and dropped are counted without end; a slot is a count % ring.
            self._ring = ring = min(size + 1, MAX_RING_SLOTS)
            self._rings = np.full(n, ring)
            self._base = np.arange(n) * ring
            self._step_calls = np.zeros(n * ring)
            self._step_failures = np.zeros(n * ring)
            self._pushed = np.zeros(n, dtype=np.int64)
            self._dropped = np.zeros(n, dtype=np.int64)
            self._most_kept = 0  # at least the most steps any link keeps
        else:
            self._bucket_calls = np.zeros((size, n))  # row s % size holds second s
            self._bucket_failures = np.zeros((size, n))
            self._second = -math.inf  # the newest second recorded

    # ------------------------------------------------------------------ reading

    @property
    def state(self) -> np.ndarray:
        """Each link's state as a code: 0 closed, 1 open, 2 half-open (``STATES[code]``)."""
        return self._state.copy()

    @property
    def state_names(self) -> list[str]:
        """Each link's state by name."""
        return [STATES[code] for code in self._state]

    @property
    def transitions(self) -> list[tuple[float, Any, str, str]]:
        """Every change of state so far, as ``(time, link, from, to)``, in order."""
        return list(self._log)

    def window(self) -> tuple[np.ndarray, np.ndarray]:
        """Calls and failures counted in each link's closed-state window as of the last record
        (empty while a link is open or half-open)."""
        calls, failures = self._counted()
        return calls.copy(), failures.copy()

    # ------------------------------------------------------------------ stepping

    def allow(self, now: float) -> np.ndarray:
        """How many calls each link admits at ``now``: ``inf`` closed, 0 open, the probes
        left half-open. Open links whose wait has elapsed turn half-open here.

        >>> BreakerBank(pybreaker(), 3).allow(0)
        array([inf, inf, inf])
        """
        now = self._clock.tick(now)
        if self._not_closed:
            due = now >= self._reopen_at
            if np.count_nonzero(due):
                self._move(due, HALF_OPEN, now)
        return self._allowance.copy()

    def record(self, now: float, calls: Any, failures: Any) -> None:
        """Record, per link, the calls that went through at ``now`` and how many failed.

        Calls must fit what ``allow`` admitted: none on an open link, at most the probes
        left on a half-open one.

        >>> bank = BreakerBank(pybreaker(), ["a"])
        >>> bank.record(0, [2], [3])
        Traceback (most recent call last):
        ...
        labkit.errors.LabkitError: failures[0]=3.0 is not allowed: expected a number from 0 to calls[0]=2.0 (link 'a')
        """
        calls = self._counts("calls", calls)
        failures = self._counts("failures", failures)
        # 0 <= failures <= calls <= what allow() admits; NaN fails every comparison, and
        # comparing (unlike subtracting infinities) never warns.
        if np.count_nonzero((failures >= self._zero) & (failures <= calls)
                            & (calls <= self._ceiling)) < calls.size:
            self._refuse_counts(calls, failures)
        now = self._clock.tick(now)  # last: a refused record changes nothing
        if self._not_closed:
            calls, failures = self._probe(calls, failures, now)
        if self._count_based:
            self._push_count(calls, failures)
        else:
            self._push_time(calls, failures, now)
        maybe = self._window_failures >= self._trip_floor  # kept failures bound counted ones
        if np.count_nonzero(maybe):
            # As in resilience4j, a window is checked when calls are recorded into it (a time
            # window that only forgets old calls does not trip).
            maybe &= calls > self._zero
            if self._count_based:  # a window of one kept step has that step's failure rate
                maybe &= ((self._pushed - self._dropped > self._one)
                          | (self._window_failures >= self._window_calls * self._rate_floor))
            if np.count_nonzero(maybe):
                self._trip(maybe, now)

    def _trip(self, maybe: np.ndarray, now: float) -> None:
        """Open the links among ``maybe`` whose window reaches the threshold."""
        counted_calls, counted_failures = self._counted()
        rate = counted_failures / np.maximum(counted_calls, self._half)
        trip = maybe & (counted_calls >= self._minimum) & (rate >= self._threshold)
        if np.count_nonzero(trip):
            self._move(trip, OPEN, now)

    def step(self, now: float, offered: Any, failure_ratio: Any) -> np.ndarray:
        """One step for an offered load: admit what ``allow(now)`` permits, of which
        ``failure_ratio`` fails, record it, and return the admitted calls per link.

        >>> bank = BreakerBank(hystrix(), 2)
        >>> bank.step(0, [40, 40], [0.0, 1.0])
        array([40., 40.])
        >>> bank.step(6, [40, 40], [0.0, 0.0]), bank.state_names
        (array([40.,  1.]), ['closed', 'closed'])
        """
        offered = self._counts("offered", offered)
        ratio = self._counts("failure_ratio", failure_ratio)
        if not (offered.max() < math.inf
                and np.minimum(np.minimum(offered, ratio), 1.0 - ratio).min() >= 0):
            for i, (link, load, share) in enumerate(zip(self.links, offered.tolist(),
                                                        ratio.tolist())):
                if not 0 <= load < math.inf:
                    raise fail(f"offered[{i}]", load, "expected a finite number of at least 0 "
                               f"(link {link!r})")
                if not 0 <= share <= 1:
                    raise fail(f"failure_ratio[{i}]", share, "expected a number between 0 and "
                               f"1 (link {link!r})")
        admitted = np.minimum(offered, self.allow(now))
        self.record(now, admitted, admitted * ratio)
        return admitted

    # ------------------------------------------------------------------ internals

    def _counts(self, argument: str, value: Any) -> np.ndarray:
        n = len(self.links)
        original = value
        if not isinstance(value, np.ndarray):
            try:
                sized = not isinstance(value, (str, bytes, dict)) and len(value) == n
                value = np.asarray(value) if sized else None
            except (ValueError, TypeError, OverflowError):
                value = None
        if value is None or value.shape != (n,) or value.dtype.kind not in "iuf":
            raise fail(argument, original, f"expected {n} numbers, one per link")
        return value.astype(np.float64, copy=False)

    def _refuse_counts(self, calls: np.ndarray, failures: np.ndarray) -> None:
        """Name the first link whose calls or failures are wrong, and how."""
        rows = zip(self.links, calls.tolist(), failures.tolist(), self._allowance.tolist(),
                   self._state.tolist())
        for i, (link, call, failure, allowance, state) in enumerate(rows):
            if not 0 <= call < math.inf:
                raise fail(f"calls[{i}]", call, f"expected a finite number of at least 0 "
                           f"(link {link!r})")
            if not 0 <= failure <= call:
                raise fail(f"failures[{i}]", failure, f"expected a number from 0 to "
                           f"calls[{i}]={call} (link {link!r})")
            if not call - allowance <= EPSILON:
                raise fail(f"calls[{i}]", call, f"expected at most {allowance}, what allow() "
                           f"admits on link {link!r} while {STATES[state]}")

    def _probe(self, calls: np.ndarray, failures: np.ndarray,
               now: float) -> tuple[np.ndarray, np.ndarray]:
        """Count half-open links' calls as probes and decide on them; return closed links'."""
        half = self._state == HALF_OPEN
        closed = self._state == CLOSED  # before the decisions: a link closing starts afresh
        if np.count_nonzero(half):
            probe_calls = calls * half
            self._probe_calls += probe_calls
            self._probe_failures += failures * half
            self._allowance -= probe_calls
            self._ceiling -= probe_calls
            decided = half & (self._probe_calls >= self._probe_goal)
            if np.count_nonzero(decided):
                rate = self._probe_failures / np.maximum(self._probe_calls, self._half)
                reopen = rate >= self._threshold
                self._move(decided & reopen, OPEN, now)
                self._move(decided & ~reopen, CLOSED, now)
        return calls * closed, failures * closed

    def _move(self, mask: np.ndarray, state: int, now: float) -> None:
        moved = np.flatnonzero(mask)
        for link in moved.tolist():
            self._log.append((now, self.links[link], STATES[self._state[link]], STATES[state]))
        closed_before = np.count_nonzero(self._state[moved] == CLOSED)
        self._not_closed += closed_before if state != CLOSED else closed_before - moved.size
        self._state[moved] = state
        if state == OPEN:
            self._allowance[moved] = 0.0
            self._reopen_at[moved] = now + self.config.wait_duration_in_open_state
            self._reset_windows(moved)
        elif state == HALF_OPEN:
            self._allowance[moved] = self.config.permitted_number_of_calls_in_half_open_state
            self._reopen_at[moved] = math.inf
            self._probe_calls[moved] = 0.0
            self._probe_failures[moved] = 0.0
        else:
            self._allowance[moved] = math.inf
        self._ceiling[moved] = np.minimum(self._allowance[moved] + EPSILON, _BIGGEST)

    def _reset_windows(self, links: np.ndarray) -> None:
        self._window_calls[links] = 0.0
        self._window_failures[links] = 0.0
        if self._count_based:
            self._dropped[links] = self._pushed[links]  # old slots are overwritten as reused
        else:
            self._bucket_calls[:, links] = 0.0
            self._bucket_failures[:, links] = 0.0

    def _push_count(self, calls: np.ndarray, failures: np.ndarray) -> None:
        base, rings = self._base, self._rings
        step_calls, step_failures = self._step_calls, self._step_failures
        pushed, dropped = self._pushed, self._dropped
        if self._most_kept >= self._ring:  # a ring may be full: look, and make room
            if np.count_nonzero(pushed - dropped >= rings):
                self._drop_covered()
                full = pushed - dropped >= rings
                if np.count_nonzero(full):  # still full: merge the two oldest steps
                    oldest = base + dropped % rings
                    second = base + (dropped + 1) % rings
                    step_calls[second] += step_calls[oldest] * full
                    step_failures[second] += step_failures[oldest] * full
                    dropped += full
            self._most_kept = int((pushed - dropped).max())
        # Every link writes its next slot (a free one); only a link with calls keeps it.
        slot = base + pushed % rings
        step_calls[slot] = calls
        step_failures[slot] = failures
        pushed += calls > self._zero
        self._most_kept += 1
        window_calls, window_failures = self._window_calls, self._window_failures
        window_calls += calls
        window_failures += failures
        # Drop at most one covered step per link: that keeps pace while steps are alike, and
        # _counted catches up before anything is decided on the window.
        oldest = base + dropped % rings
        oldest_calls = step_calls[oldest]
        drop = window_calls - oldest_calls >= self._size_goal
        if np.count_nonzero(drop):
            window_calls -= oldest_calls * drop
            window_failures -= step_failures[oldest] * drop
            dropped += drop

    def _drop_covered(self) -> None:
        """Drop the oldest steps that the newer ones cover."""
        base, rings, dropped = self._base, self._rings, self._dropped
        window_calls, window_failures = self._window_calls, self._window_failures
        while True:
            oldest = base + dropped % rings
            oldest_calls = self._step_calls[oldest]
            drop = window_calls - oldest_calls >= self._size_goal
            if not np.count_nonzero(drop):
                return
            window_calls -= oldest_calls * drop
            window_failures -= self._step_failures[oldest] * drop
            dropped += drop

    def _counted(self) -> tuple[np.ndarray, np.ndarray]:
        """Calls and failures each window counts.

        A count window keeps whole steps and may lag (record drops at most one step per link
        and call), so the kept totals bound what it counts from above; here the window drops
        every covered step and counts its oldest kept step in part: as many of its calls as
        the window lacks, and its failures in the same proportion.
        """
        if not self._count_based:
            return self._window_calls, self._window_failures
        self._drop_covered()
        oldest = self._base + self._dropped % self._rings
        excess = np.maximum(self._window_calls - self._size, self._zero)
        share = excess / np.maximum(self._step_calls[oldest], self._epsilon)
        return (self._window_calls - excess,
                self._window_failures - share * self._step_failures[oldest])

    def _push_time(self, calls: np.ndarray, failures: np.ndarray, now: float) -> None:
        size = self.config.sliding_window_size
        bucket_calls, bucket_failures = self._bucket_calls, self._bucket_failures
        window_calls, window_failures = self._window_calls, self._window_failures
        second = math.floor(now)
        row = second % size
        if second > self._second:  # forget the seconds that left the window
            first = max(self._second + 1, second - size + 1)
            if first < second:  # seconds without a record: their rows go too
                gone = np.arange(first, second) % size
                window_calls -= bucket_calls[gone].sum(axis=0)
                window_failures -= bucket_failures[gone].sum(axis=0)
                bucket_calls[gone] = 0.0
                bucket_failures[gone] = 0.0
            window_calls -= bucket_calls[row]
            window_failures -= bucket_failures[row]
            bucket_calls[row] = 0.0
            bucket_failures[row] = 0.0
            self._second = second
        bucket_calls[row] += calls
        bucket_failures[row] += failures
        window_calls += calls
        window_failures += failures


def open_spells(run: Any, link: Any = None) -> list[tuple[float, float | None]]:
    """When a simulated run's breakers were away from closed: one ``(opened, closed)`` pair
    of times in seconds per spell, from the moment a breaker opened to the moment it was
    closed again (``closed`` is None if it was still open or probing when the run ended).

    A simulation's breakers decide once per step, at its end, on that step's calls, and
    ``run.breaker`` holds each step's states at its end. So a breaker whose window reaches
    its threshold in the step from 24 s to 25 s opens at 25 s: after the 5 s of failed calls
    from 20 s to 25 s. ``link``: one breaker, by its column in ``run.breaker`` (0 for the
    first cell's router-to-cell link), or None: any breaker that is not closed counts.

    Hystrix's breaker (50 % of a 10 s window) on a link that fails every call from 20 s:

    >>> from labkit.catalog import cells
    >>> from labkit.simulation import crash, simulate
    >>> run = simulate(cells(4), 1_000, duration=120, arrivals="fluid", cell_capacity=400,
    ...                faults=[crash("cell2-app", at=20, duration=60)], breaker=hystrix())
    >>> open_spells(run), open_spells(run, link=1), open_spells(run, link=0)
    ([(25.0, 85.0)], [(25.0, 85.0)], [])
    >>> open_spells(run, link=4)
    Traceback (most recent call last):
    ...
    labkit.errors.LabkitError: link=4 is not allowed: expected a whole number of at least 0 and at most 3
    """
    times, step, states = (getattr(run, name, None) for name in ("times", "step", "breaker"))
    if not (isinstance(times, np.ndarray) and times.ndim == 1
            and isinstance(states, np.ndarray) and states.ndim == 2
            and len(states) == len(times) and states.shape[1] >= 1
            and isinstance(step, numbers.Real) and not isinstance(step, bool)
            and math.isfinite(step) and step > 0):
        raise fail("run", run, "expected the result of labkit.simulation.simulate(...)")
    if link is None:
        away = (states != CLOSED).any(axis=1)
    else:
        link = check_count("link", link, low=0, high=states.shape[1] - 1)
        away = states[:, link] != CLOSED
    edges = np.diff(np.concatenate(([0], away.astype(np.int8), [0])))
    spells = []
    for first, after in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        # Steps first .. after - 1 ended away from closed; step `after` ended closed.
        closed = float(times[after] + step) if after < len(times) else None
        spells.append((float(times[first] + step), closed))
    return spells


def _check_links(links: Any, config: BreakerConfig) -> tuple:
    if isinstance(links, numbers.Integral) and not isinstance(links, bool):
        names = tuple(range(check_count("links", links, low=1, high=MAX_LINKS)))
    else:
        allowed = (f"expected a number of links (1 to {MAX_LINKS:,}) or a list of distinct "
                   "link names")
        if isinstance(links, str):
            raise fail("links", links, allowed)
        names = tuple(check_names("links", links))
        if not names or len(names) > MAX_LINKS or len(set(names)) != len(names):
            raise fail("links", links, allowed)
    size = config.sliding_window_size
    slots = min(size + 1, MAX_RING_SLOTS) if config.sliding_window_type == "count" else size
    if len(names) * slots > MAX_BANK_SLOTS:
        raise fail("links", links, f"expected at most {MAX_BANK_SLOTS // slots:,} links with "
                   f"this window: a bank keeps {slots:,} slots per link and at most "
                   f"{MAX_BANK_SLOTS:,} in all")
    return names
