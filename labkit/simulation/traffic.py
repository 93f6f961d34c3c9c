"""Traffic: how many new requests per second each cell is offered, over time.

A profile is plain data (a frozen dataclass) with one method, :meth:`Traffic.rates`, that
turns times into a (steps, cells) array of requests per second. Profiles compose by
multiplication (``constant(1000) * spike(6, at=600, duration=1800)``), so a Halloween evening
is a base rate times a peak that rolls across regions.

The numbers are stated assumptions for teaching: Prime Day has no published traffic figures
in this lab's sources, and Ring's are as reported in the talk (``lessons/talk_claims.md``).

>>> import numpy as np
>>> profile = constant(100) * spike(3, at=10, duration=5)
>>> profile.rates(np.array([0.0, 10.0, 14.0, 15.0]), regions=np.zeros(1, int))[:, 0].tolist()
[100.0, 300.0, 300.0, 100.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import check_number, check_positive, fail

MAX_RATE = 1e9  # requests per second: far beyond any system in the lessons (Ring: 3e5)


@dataclass(frozen=True)
class Traffic:
    """A traffic profile: a product of factors, each a function of time and region."""

    factors: tuple = ()

    def __mul__(self, other: "Traffic") -> "Traffic":
        if not isinstance(other, Traffic):
            raise fail("other", other, "expected a Traffic profile to multiply with")
        return Traffic(self.factors + other.factors)

    def rates(self, times: np.ndarray, regions: np.ndarray) -> np.ndarray:
        """Requests per second offered at each time (rows) to each cell (columns).

        ``regions`` holds each cell's region index (rolling peaks depend on it). A profile
        sets the rate for the whole system; each cell's share is applied by the engine.
        """
        times = np.asarray(times, dtype=float)
        regions = np.asarray(regions, dtype=int)
        out = np.ones((len(times), len(regions)))
        for factor in self.factors:
            out *= factor.values(times[:, None], regions[None, :])
        return out

    @property
    def peak(self) -> float:
        """An upper bound on the rate, for sizing."""
        return math.prod(f.peak for f in self.factors) if self.factors else 1.0


@dataclass(frozen=True)
class _Constant:
    rate: float

    @property
    def peak(self) -> float:
        return self.rate

    def values(self, t, region):
        return np.full(np.broadcast(t, region).shape, self.rate)


@dataclass(frozen=True)
class _Window:
    """``multiple`` between ``at`` and ``at + duration`` (ramping over ``ramp`` at each edge)."""

    multiple: float
    at: float
    duration: float
    ramp: float

    @property
    def peak(self) -> float:
        return max(1.0, self.multiple)

    def values(self, t, region):
        # 0 outside the window, 1 inside, linear over `ramp` seconds at both edges.
        if self.ramp > 0:
            rise = np.clip((t - self.at) / self.ramp, 0.0, 1.0)
            fall = np.clip((self.at + self.duration - t) / self.ramp, 0.0, 1.0)
            inside = np.minimum(rise, fall)
        else:
            inside = ((t >= self.at) & (t < self.at + self.duration)).astype(float)
        return np.broadcast_to(1.0 + (self.multiple - 1.0) * inside,
                               np.broadcast(t, region).shape)


@dataclass(frozen=True)
class _Ramp:
    start: float
    end: float
    duration: float

    @property
    def peak(self) -> float:
        return max(self.start, self.end)

    def values(self, t, region):
        share = np.clip(t / self.duration, 0.0, 1.0)
        return np.broadcast_to(self.start + (self.end - self.start) * share,
                               np.broadcast(t, region).shape)


@dataclass(frozen=True)
class _RollingPeak:
    """Each region peaks ``offset`` seconds after the one east of it (time zones)."""

    multiple: float
    first_peak: float
    offset: float
    width: float

    @property
    def peak(self) -> float:
        return max(1.0, self.multiple)

    def values(self, t, region):
        centre = self.first_peak + region * self.offset
        bump = np.exp(-0.5 * ((t - centre) / self.width) ** 2)
        return 1.0 + (self.multiple - 1.0) * bump


def constant(rate: float) -> Traffic:
    """``rate`` new requests per second, all the time (a whole-system rate).

    >>> constant(280).peak
    280.0
    """
    rate = check_number("rate", rate, low=0.0, high=MAX_RATE,
                        allowed=f"expected requests per second from 0 to {MAX_RATE:g}")
    return Traffic((_Constant(rate),))


def _times(at, duration, ramp=0.0):
    at = check_number("at", at, low=0.0, high=1e7, allowed="expected a time in seconds, 0 or more")
    duration = check_positive("duration", duration)
    ramp = check_number("ramp", ramp, low=0.0, high=duration / 2,
                        allowed=f"expected seconds from 0 to half the duration ({duration / 2:g})")
    return at, duration, ramp


def spike(multiple: float, at: float, duration: float, ramp: float = 0.0) -> Traffic:
    """Traffic times ``multiple`` from ``at`` for ``duration`` seconds (a Prime-Day surge).

    >>> spike(6, at=60, duration=600).peak
    6.0
    """
    multiple = check_number("multiple", multiple, low=0.0, high=1e4,
                            allowed="expected a multiple of normal traffic from 0 to 10,000")
    return Traffic((_Window(multiple, *_times(at, duration, ramp)),))


def ramp(start: float, end: float, duration: float) -> Traffic:
    """A factor going linearly from ``start`` to ``end`` over ``duration`` seconds, then flat.

    >>> ramp(1, 2, 100).peak
    2.0
    """
    start = check_number("start", start, low=0.0, high=1e4, allowed="expected a factor from 0 to 10,000")
    end = check_number("end", end, low=0.0, high=1e4, allowed="expected a factor from 0 to 10,000")
    return Traffic((_Ramp(start, end, check_positive("duration", duration)),))


def rolling_peak(multiple: float, first_peak: float, offset: float, width: float) -> Traffic:
    """A peak of ``multiple`` x that reaches the first region (the furthest east: region 1 in
    the lessons) at ``first_peak`` seconds and each next region ``offset`` seconds after the
    one east of it, so the k-th region at ``first_peak + (k - 1) * offset``: an evening rolling
    east to west across time zones. ``width`` (seconds) is how spread out each region's peak is
    (the standard deviation of its bell-shaped curve).

    Ring's Halloween traffic rises to more than six times typical usage (Amazon,
    2022; ``lessons/sources.md``); the shape of the curve here is our assumption.

    >>> rolling_peak(6, first_peak=1800, offset=3600, width=900).peak
    6.0
    """
    multiple = check_number("multiple", multiple, low=0.0, high=1e4,
                            allowed="expected a multiple of normal traffic from 0 to 10,000")
    first_peak = check_number("first_peak", first_peak, low=0.0, high=1e7,
                              allowed="expected a time in seconds, 0 or more")
    offset = check_number("offset", offset, low=0.0, high=1e7,
                          allowed="expected seconds between neighbouring regions' peaks")
    return Traffic((_RollingPeak(multiple, first_peak, offset, check_positive("width", width)),))


def as_traffic(value) -> Traffic:
    """A Traffic profile, or a plain number taken as a constant rate."""
    if isinstance(value, Traffic):
        if not value.factors:
            raise fail("traffic", value, "expected a profile with at least one factor, "
                       "e.g. constant(1000)")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return constant(value)
    raise fail("traffic", value, "expected a Traffic profile (labkit.simulation.constant(...)) "
               "or a number of requests per second")


__all__ = ["Traffic", "as_traffic", "constant", "ramp", "rolling_peak", "spike"]
