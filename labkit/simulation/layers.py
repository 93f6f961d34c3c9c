"""Retries multiplying through the layers of a call stack, in time.

A client calls ``layer1``, which calls ``layer2``, and so on down to the bottom layer (say, a
database). Every caller that retries tries a failed call again, with backoff, up to its
``attempts``. When the bottom fails, each retrying caller multiplies the calls below it, and
the amplification emerges step by step: with 3 attempts at each of five callers (the client
and four layers above the bottom), 3^5 = 243 calls reach the bottom for every request
(Builders' Library, "Timeouts, retries and backoff with jitter"; lessons/sources.md,
"builders-library-retries"). Nothing is multiplied by a formula: calls move through the stack
as counts, like the cell engine's.

Each step of ``step`` seconds, top to bottom, every layer receives its callers' first
attempts and the retries due now; it fails a share at once (its error rate or crash from
``faults``, and whatever is above its ``capacity``); the rest call the next layer. Then,
bottom to top, each failure goes back to its caller, which schedules a retry in a later step
(the backoff, as in :func:`labkit.simulation.simulate`) or, out of attempts, fails its own
call in turn. To route a failure back to the right caller, calls are counted per *path*: the
attempt number of every caller above them, a^m paths at layer m.

A retry lands in a later step, at the earliest the next one, so a step is also how long a
failed attempt takes. Failing takes time, too: when the bottom is down, a request's 243
attempts at the bottom happen one after another, so the client hears "failed" 243 steps
after it asked. What it leaves out, on purpose: timeouts and slow calls (the cell engine has
those), and retry budgets.

>>> from labkit.simulation import Retry, constant, error_rate
>>> run = simulate_stack(constant(10), layers=5, retry=Retry(attempts=3), duration=120,
...                      step=0.1, faults=[error_rate("layer5", 1.0, at=0, duration=120)])
>>> round(run.amplification(start=60), 6)  # once the first requests have failed all the way
243.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import check_choice, check_count, check_list, check_number, fail
from .engine import MAX_HELD, MAX_STEPS, Retry, retry_delays, retry_horizon
from .faults import Fault
from .states import _window
from .traffic import as_traffic

MAX_LAYERS = 12
MAX_PATHS = 1_000_000   # attempts ** layers: paths the bottom layer's calls are counted on


def layer_names(layers: int) -> list[str]:
    """The stack's layers from the top: ``layer1`` (called by the client) to the bottom.

    >>> layer_names(3)
    ['layer1', 'layer2', 'layer3']
    """
    layers = check_count("layers", layers, low=1, high=MAX_LAYERS)
    return [f"layer{m}" for m in range(1, layers + 1)]


@dataclass
class StackRun:
    """A stack's calls over time. ``calls[k, m]``: calls reaching layer m+1 in step k (first
    attempts and retries); ``retries[k, m]`` of them were retries. ``new``, ``good`` and
    ``failed`` are the client's requests: arrived, succeeded, and failed after every retry."""

    times: np.ndarray
    step: float
    layers: list[str]
    attempts: list[int]
    new: np.ndarray
    good: np.ndarray
    failed: np.ndarray
    calls: np.ndarray
    retries: np.ndarray

    def _window(self, start: float, end: float | None) -> slice:
        start = check_number("start", start, low=0.0, high=float(self.times[-1] + self.step),
                             allowed="expected seconds within the run")
        end = self.times[-1] + self.step if end is None else check_number(
            "end", end, low=start, high=float(self.times[-1] + self.step),
            allowed=f"expected seconds from start ({start:g}) to the end of the run")
        return slice(int(math.ceil(start / self.step - 1e-9)), int(math.ceil(end / self.step - 1e-9)))

    def amplification(self, layer: str | None = None, start: float = 0.0,
                      end: float | None = None) -> float:
        """Calls reaching ``layer`` (default: the bottom) per new request, between ``start``
        and ``end`` seconds."""
        m = len(self.layers) - 1 if layer is None else self._layer(layer)
        w = self._window(start, end)
        new = float(self.new[w].sum())
        return float(self.calls[w, m].sum()) / new if new > 0 else math.nan

    def peak_calls_per_s(self, layer: str | None = None) -> float:
        """The most calls a second that reached ``layer`` (default: the bottom) in any step,
        first attempts and retries together.

        >>> from labkit.simulation import constant, crash
        >>> run = simulate_stack(constant(100), layers=2, duration=20, step=0.1,
        ...                      faults=[crash("layer2", at=5, duration=10)])
        >>> round(run.peak_calls_per_s()), round(run.peak_calls_per_s("layer1"))
        (900, 300)
        """
        m = len(self.layers) - 1 if layer is None else self._layer(layer)
        return float(self.calls[:, m].max()) / self.step

    def success_ratio(self, start: float = 0.0, end: float | None = None) -> float:
        """Share of the requests finished in the window that succeeded."""
        w = self._window(start, end)
        done = float(self.good[w].sum() + self.failed[w].sum())
        return float(self.good[w].sum()) / done if done > 0 else math.nan

    def _layer(self, layer: str) -> int:
        if layer not in self.layers:
            raise fail("layer", layer, f"expected one of {', '.join(self.layers)}")
        return self.layers.index(layer)

    def table(self, every: int = 1) -> list[dict]:
        """Tidy rows for altair: time, layer, calls per second (``every`` n-th step)."""
        every = check_count("every", every, low=1, high=max(1, len(self.times)))
        rows = [{"time": float(t), "layer": "client (new requests)", "calls per s": float(n) / self.step}
                for t, n in zip(self.times[::every], self.new[::every])]
        for m, name in enumerate(self.layers):
            rows += [{"time": float(t), "layer": name, "calls per s": float(c) / self.step}
                     for t, c in zip(self.times[::every], self.calls[::every, m])]
        return rows

    def summary(self) -> list[dict]:
        """One row per layer: calls in all, retries among them, calls per new request."""
        new = float(self.new.sum())
        return [{"layer": name, "attempts of its caller": a, "calls": float(self.calls[:, m].sum()),
                 "of which retries": float(self.retries[:, m].sum()),
                 "calls per request": float(self.calls[:, m].sum()) / new if new else math.nan}
                for m, (name, a) in enumerate(zip(self.layers, self.attempts))]


def _attempts(retry: Retry, layers: int, retrying) -> list[int]:
    """Attempts of each caller, from the client down: ``retrying`` says who retries."""
    if retrying == "every layer":
        return [retry.attempts] * layers
    if retrying == "client only":
        return [retry.attempts] + [1] * (layers - 1)
    flags = check_list("retrying", retrying, layers, "expected \"every layer\", \"client only\" "
                       f"or a list of {layers} True/False, one per caller from the client down")
    if len(flags) != layers or not all(isinstance(f, bool) for f in flags):
        raise fail("retrying", retrying, f"expected {layers} True/False values, one per caller "
                   "from the client down")
    return [retry.attempts if f else 1 for f in flags]


def _failing_share(faults: list[Fault], names: list[str], times: np.ndarray, step: float,
                   duration: float) -> np.ndarray:
    """share[k, m]: calls layer m fails at once in step k (crash: all; error rate: its rate)."""
    share = np.zeros((len(times), len(names)))
    for i, f in enumerate(check_list("faults", faults, 1_000, "expected a list of faults")):
        if not isinstance(f, Fault):
            raise fail(f"faults[{i}]", f, "expected labkit.simulation.crash(...) or error_rate(...)")
        if f.kind not in ("crash", "error rate"):
            raise fail(f"faults[{i}].kind", f.kind, "a stack takes crashes and error rates")
        if f.target not in names:
            raise fail(f"faults[{i}].target", f.target, f"expected one of {', '.join(names)}")
        if f.at >= duration:
            raise fail(f"faults[{i}].at", f.at, f"expected a start within the run (before {duration:g} s)")
        first, last = _window(f, step, len(times))  # whole steps, as the cell engine does
        rate = 1.0 if f.kind == "crash" else f.amount
        m = names.index(f.target)
        share[first:last, m] = 1 - (1 - share[first:last, m]) * (1 - rate)
    return share


def simulate_stack(traffic, *, duration: float, layers: int = 5, retry: Retry = Retry(attempts=3),
                   retrying: str | Sequence[bool] = "every layer", faults=(),
                   capacity: float | Sequence[float] = math.inf, step: float = 1.0,
                   arrivals: str = "fluid", seed: int = 0) -> StackRun:
    """Run a stack of ``layers`` under ``traffic`` for ``duration`` seconds.

    ``retry``: how callers retry (attempts and backoff; its budget is not used here).
    ``retrying``: ``"every layer"`` (the client and every layer above the bottom),
    ``"client only"``, or a list of True/False per caller from the client down.
    ``faults``: :func:`crash` or :func:`error_rate` on a layer (``layer_names(layers)``).
    ``capacity``: calls per second each layer can take (one number for all, or one per
    layer); calls above it fail at once (shed), and are retried like any failure.
    ``arrivals``: ``"fluid"`` (exactly the traffic's rate) or ``"poisson"`` (seeded).

    >>> from labkit.simulation import Retry, constant, crash
    >>> run = simulate_stack(constant(10), layers=5, retry=Retry(attempts=3),
    ...                      retrying="client only", duration=60,
    ...                      faults=[crash("layer5", at=0, duration=60)])
    >>> round(run.amplification(start=30), 6)
    3.0
    """
    names = layer_names(layers)
    traffic = as_traffic(traffic)
    step = check_number("step", step, low=0.001, high=3600.0, allowed="expected seconds from 0.001 to 3600")
    duration = check_number("duration", duration, low=step, high=MAX_STEPS * step,
                            allowed=f"expected seconds from one step ({step:g}) to {MAX_STEPS:,} steps")
    if not isinstance(retry, Retry):
        raise fail("retry", retry, "expected a labkit.simulation.Retry(...)")
    attempts = _attempts(retry, layers, retrying)
    arrivals = check_choice("arrivals", arrivals, ("fluid", "poisson"))
    seed = check_count("seed", seed, low=0, high=2**63)
    caps = _capacities(capacity, layers)
    a = max(attempts)
    paths = [a ** (m + 1) for m in range(layers)]
    if paths[-1] > MAX_PATHS:
        raise fail("layers", layers, f"counting calls per path needs attempts**layers <= "
                   f"{MAX_PATHS:,} (here {a}**{layers})")
    steps = int(math.ceil(duration / step - 1e-9))
    horizon = retry_horizon(retry, step)
    if horizon * sum(paths) > MAX_HELD:
        raise fail("retry", retry, f"retries due in {horizon} future steps on {sum(paths):,} "
                   f"paths is too much to hold; expected a shorter backoff cap or a longer step")
    times = np.arange(steps) * step
    share = _failing_share([faults] if isinstance(faults, Fault) else faults,
                           names, times, step, duration)
    new = _arrivals(traffic, times, step, arrivals, seed)
    # pmf[j, d]: a call failing on attempt j (0-based) is retried d + 1 steps later.
    pmf = retry_delays(Retry(attempts=a, backoff=retry.backoff, base=retry.base, cap=retry.cap),
                       step, horizon)
    due = [np.zeros((horizon, p)) for p in paths]   # retries into each layer, by path
    calls, retried = np.zeros((steps, layers)), np.zeros((steps, layers))
    good, failed = np.zeros(steps), np.zeros(steps)
    for k in range(steps):
        slot = k % horizon
        later = (k + 1 + np.arange(horizon)) % horizon  # the slots of the next steps
        # Top to bottom: each layer takes first attempts and retries due, fails some at once.
        arriving, through = [], None
        for m in range(layers):
            x = due[m][slot].copy()
            due[m][slot] = 0.0
            retried[k, m] = x.sum()
            if m == 0:
                x[0] += new[k]
            else:  # every call that went through the layer above calls this one: attempt 0
                x[::a] += through
            total = x.sum()
            calls[k, m] = total
            fail_now = 1 - (1 - share[k, m]) * min(1.0, caps[m] * step / total if total > 0 else 1.0)
            arriving.append(x * fail_now)
            through = x * (1 - fail_now)
        good[k] = through.sum()
        # Bottom to top: a failure goes back to its caller, who retries it or fails in turn.
        up = np.zeros(0)
        for m in range(layers - 1, -1, -1):
            failures = arriving[m]
            if up.size:
                failures = failures + up
            attempt = np.arange(failures.size) % a
            may_retry = attempt < attempts[m] - 1
            retry_now = np.where(may_retry, failures, 0.0)
            for j in range(attempts[m] - 1):
                on_j = retry_now[j::a]
                if on_j.any():
                    due[m][later, j + 1::a] += pmf[j][:, None] * on_j[None, :]
            out_of_attempts = np.where(may_retry, 0.0, failures)
            up = out_of_attempts.reshape(-1, a).sum(axis=1) if m > 0 else out_of_attempts
        failed[k] = up.sum()
    return StackRun(times, step, names, attempts, new, good, failed, calls, retried)


def _capacity(argument: str, value) -> float:
    if isinstance(value, float) and value == math.inf:
        return math.inf
    return check_number(argument, value, low=0.0, low_open=True,
                        allowed="expected calls per second above 0 (math.inf for no limit)")


def _capacities(capacity, layers: int) -> list[float]:
    if isinstance(capacity, (list, tuple)):
        if len(capacity) != layers:
            raise fail("capacity", capacity, f"expected one number, or {layers} (one per layer)")
        return [_capacity(f"capacity[{m}]", c) for m, c in enumerate(capacity)]
    return [_capacity("capacity", capacity)] * layers


def _arrivals(traffic, times: np.ndarray, step: float, arrivals: str, seed: int) -> np.ndarray:
    expected = traffic.rates(times, np.zeros(1, dtype=int))[:, 0] * step
    if arrivals == "poisson":
        return np.random.default_rng(seed).poisson(expected).astype(float)
    return expected
