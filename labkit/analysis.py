"""Exact availability of any architecture, and two independent methods that check it.

:func:`availability` compiles the architecture's structure once (a BDD, see
:mod:`labkit.structure`) and evaluates it exactly, shared components included.
:func:`brute_force_availability` enumerates every up/down world and
:func:`sampled_availability` samples worlds: neither uses the BDD.

>>> from labkit.catalog import monolith
>>> round(availability(monolith()), 6)
0.998001
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .errors import check_count, fail
from .model import Architecture, as_architecture
from .structure import compile_structure, feature_works

def availability(arch: Architecture, feature: str | None = None,
                 overrides: Mapping[str, float] | None = None) -> float:
    """Exact availability of ``feature`` (default: the primary one) on any dependency DAG.

    ``overrides`` replaces some components' availability, e.g. ``{"db": 0}`` for a crash.

    >>> from labkit.catalog import monolith
    >>> round(availability(monolith()), 6)
    0.998001
    """
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    return compile_structure(arch).availability(overrides)[name]


def feature_availability(arch: Architecture, overrides: Mapping[str, float] | None = None
                         ) -> dict[str, float]:
    """Exact availability of every feature at once."""
    return compile_structure(as_architecture(arch)).availability(overrides)


def request_success_ratio(arch: Architecture, overrides: Mapping[str, float] | None = None) -> float:
    """Share of requests served, weighting each feature by its share of customers.

    This is what "six nines" means for a cell-based system: cells are features, one per
    partition of customers.
    """
    arch = as_architecture(arch)
    return success_ratio(arch.customer_shares, feature_availability(arch, overrides))


def success_ratio(shares: Mapping[str, float], values: Mapping[str, float]) -> float:
    """Customer-weighted mean of per-feature availabilities, kept inside [0, 1]."""
    return min(1.0, max(0.0, math.fsum(share * values[f] for f, share in shares.items())))


MAX_BRUTE_FORCE = 20          # components that can fail: 2^20 worlds, about a second
MAX_SAMPLED_WORK = 200_000_000  # samples x components: about two seconds at most
_ROWS_PER_CHUNK = 1 << 15       # worlds evaluated at once: memory stays in the megabytes
_CELLS_PER_CHUNK = 1 << 22      # worlds x components drawn at once (32 MB of random floats)


def brute_force_availability(arch: Architecture, feature: str | None = None) -> float:
    """Exact availability by enumerating all 2^n up/down worlds: the independent check.

    Only for small architectures (at most 20 components that can fail). Worlds are made and
    weighed a block at a time, so memory stays small.

    >>> from labkit.catalog import monolith
    >>> round(brute_force_availability(monolith()), 6)
    0.998001
    """
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    names = arch.breakable
    if len(names) > MAX_BRUTE_FORCE:
        raise fail("architecture", arch.name, "brute force enumerates 2^n worlds; expected at "
                   f"most {MAX_BRUTE_FORCE} components that can fail, got {len(names)}")
    a = np.array([arch.availability_of(c) for c in names])
    bits = np.arange(len(names))[::-1]  # world w: component i is up when bit i of w is set
    total = []
    for start in range(0, 1 << len(names), _ROWS_PER_CHUNK):
        index = np.arange(start, min(start + _ROWS_PER_CHUNK, 1 << len(names)))
        worlds = ((index[:, None] >> bits) & 1).astype(bool)
        works = feature_works(arch, worlds, names)[name]
        total.append(float(np.where(worlds[works], a, 1.0 - a).prod(axis=1).sum()))
    return min(1.0, math.fsum(total))


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate with its standard error."""

    value: float
    standard_error: float
    samples: int

    def interval(self, z: float = 4.0) -> tuple[float, float]:
        """``value`` plus and minus ``z`` standard errors."""
        return self.value - z * self.standard_error, self.value + z * self.standard_error


def sampled_availability(arch: Architecture, feature: str | None = None, samples: int = 100_000,
                         seed: int = 0) -> Estimate:
    """Availability by sampling random worlds (seeded): a second, independent method.

    Worlds are drawn and evaluated a block at a time, so memory does not grow with
    ``samples``; samples x components is capped so a call takes seconds, not minutes.

    >>> from labkit.catalog import monolith
    >>> estimate = sampled_availability(monolith(), samples=20_000, seed=1)
    >>> abs(estimate.value - 0.998001) < 4 * estimate.standard_error
    True
    """
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    names = arch.breakable
    limit = max(1, MAX_SAMPLED_WORK // max(1, len(names)))
    samples = check_count("samples", samples, low=1, high=limit)
    rng = np.random.default_rng(check_count("seed", seed, low=0, high=2**63))
    a = np.array([arch.availability_of(c) for c in names])
    working = 0
    # Worlds per block: fewer when there are many components, so a block stays ~32 MB.
    block = max(1, min(_ROWS_PER_CHUNK, _CELLS_PER_CHUNK // max(1, len(names))))
    for start in range(0, samples, block):
        rows = min(block, samples - start)
        up = rng.random((rows, len(names))) < a
        working += int(feature_works(arch, up, names)[name].sum())
    mean = working / samples
    return Estimate(mean, math.sqrt(max(mean * (1 - mean), 1e-300) / samples), samples)
