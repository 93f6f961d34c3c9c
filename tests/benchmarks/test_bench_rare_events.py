"""Benchmark: estimating an unavailability of about 1e-6 to within 10 % relative error.

Budget (DESIGN.md): <= 1 s. Two architectures of ring_sized's shape and scale whose exact
unavailability is about 1e-6: one with cut sets of single components (every tier, the router,
the region), and one with a replicated tier (cut sets of two replicas as well). For each, the
budget is doubled from 100 samples until the relative error is at most 10 %, and that run is
timed; crude Monte Carlo on the same budget is printed beside it, and a table shows the
relative error staying put as every unavailability shrinks tenfold, then a hundredfold...
Figures are printed for CI's log; nothing asserts a time (shared machines make timings noisy),
only that the timed runs computed the right thing.
"""

from __future__ import annotations

import math
import time

import pytest

import labkit
from labkit import catalog
from labkit.rare_events import crude_unavailability, rare_unavailability

TARGET = 0.10      # relative error
BUDGET_S = 1.0


def ring_like(scale: float = 1.0):
    """8 regions x 4 cells x 5 tiers; per cell 1e-7 + 5 x 1.5e-7 + 2e-7 = 1.05e-6 (first order)."""
    return catalog.cells(32, catalog.RING_TIERS[:5], regions=8,
                         tier_availability=1 - 1.5e-7 * scale,
                         router_availability=1 - 1e-7 * scale,
                         region_availability=1 - 2e-7 * scale)


def replicated_cells(scale: float = 1.0):
    """32 cells of a 2-replica app behind a load balancer: 1e-7 + 2e-7 + 3e-7 + (7e-4)^2."""
    return catalog.in_cells(catalog.replicated_monolith(2, 1 - 7e-4 * scale, 1 - 2e-7 * scale,
                                                        1 - 3e-7 * scale),
                            32, router_availability=1 - 1e-7 * scale)


CASES = {"ring-like cells (single-component cut sets)": ring_like,
         "cells of 2 replicas (cut sets of 1 and 2)": replicated_cells}


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


@pytest.mark.parametrize("name", CASES)
def test_one_in_a_million_to_ten_percent(capsys, name):
    arch = CASES[name]()
    exact = 1 - labkit.availability(arch)
    rare_unavailability(arch, samples=100, seed=0)  # warm: imports and first-call costs
    samples, lines = 100, []
    while True:
        est, seconds = _timed(lambda: rare_unavailability(arch, samples=samples, seed=1))
        if est.relative_error <= TARGET or samples >= 1_000_000:
            break
        samples *= 2
    crude, crude_seconds = _timed(lambda: crude_unavailability(arch, samples=samples, seed=1))
    fixed, fixed_seconds = _timed(lambda: rare_unavailability(arch, samples=20_000, seed=1))
    crude_fixed, crude_fixed_seconds = _timed(
        lambda: crude_unavailability(arch, samples=20_000, seed=1))
    crude_needs = 100 * (1 - exact) / exact
    lines += [
        "", f"rare unavailability: {name}, {len(arch.components)} components, "
        f"exact unavailability {exact:.4g} (feature {arch.feature().name!r})",
        f"{'what':<34} {'samples':>9} {'seconds':>8} {'estimate':>10} {'RE':>7}  interval",
        f"{'importance, to RE <= 10 %':<34} {samples:>9,} {seconds:>8.4f} {est.value:>10.4g} "
        f"{est.relative_error:>7.2%}  {est.low:.3g} .. {est.high:.3g} (budget {BUDGET_S} s)",
        f"{'crude, same budget':<34} {samples:>9,} {crude_seconds:>8.4f} {crude.value:>10.4g} "
        f"{_re(crude):>7}  {crude.low:.3g} .. {crude.high:.3g} ({crude.failures} failures seen)",
        f"{'importance, 20,000 samples':<34} {20_000:>9,} {fixed_seconds:>8.4f} {fixed.value:>10.4g} "
        f"{fixed.relative_error:>7.2%}  {fixed.low:.3g} .. {fixed.high:.3g}",
        f"{'crude, 20,000 samples':<34} {20_000:>9,} {crude_fixed_seconds:>8.4f} "
        f"{crude_fixed.value:>10.4g} {_re(crude_fixed):>7}  {crude_fixed.low:.3g} .. "
        f"{crude_fixed.high:.3g}",
        f"crude needs about {crude_needs:,.0f} samples for 10 % (facts.md: sqrt((1 - p) / (n p))),"
        f" about {crude_fixed_seconds / 20_000 * crude_needs:,.0f} s at the rate just measured",
    ]
    with capsys.disabled():
        print("\n".join(lines))
    # What was timed is right.
    assert est.relative_error <= TARGET
    assert abs(est.value - exact) <= 4 * est.standard_error
    assert abs(fixed.value - exact) <= 4 * fixed.standard_error
    assert crude.low <= exact <= crude.high


def _re(estimate) -> str:
    return "inf" if math.isinf(estimate.relative_error) else f"{estimate.relative_error:.2%}"


@pytest.mark.parametrize("name", CASES)
def test_relative_error_as_unavailability_shrinks(capsys, name):
    lines = ["", f"bounded relative error, 5,000 samples: {name}",
             f"{'scale':>7} {'exact u':>10} {'estimate':>10} {'RE':>7} {'crude RE (theory)':>18} "
             f"{'crude sees':>10}"]
    errors = []
    for scale in (1, 1e-1, 1e-2, 1e-3):
        arch = CASES[name](scale)
        exact = 1 - labkit.availability(arch)
        est = rare_unavailability(arch, samples=5_000, seed=11)
        crude = crude_unavailability(arch, samples=5_000, seed=11)
        errors.append(est.relative_error)
        lines.append(f"{scale:>7g} {exact:>10.3g} {est.value:>10.3g} {est.relative_error:>7.2%} "
                     f"{math.sqrt((1 - exact) / (5_000 * exact)):>18.3g} {crude.failures:>10}")
        assert abs(est.value - exact) <= 4 * est.standard_error + 1e-14
    with capsys.disabled():
        print("\n".join(lines))
    assert max(errors) / min(errors) < 2.0
