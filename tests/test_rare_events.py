"""Rare-event estimates (labkit.rare_events) against exact analysis, and zero-failure evidence.

Expectations are worked by hand where possible (literal numbers below, with their working);
the rest compares the estimator with the exact BDD analysis, which shares no code with it
beyond the model. Confidence checks use 4 standard errors (plus float slack), so with fixed
seeds a failure is a bug, not bad luck.
"""

from __future__ import annotations

import math
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import labkit
from labkit import LabkitError, catalog, rare_events
from labkit.model import Architecture
from labkit.rare_events import (crude_unavailability, rare_unavailability, requests_needed_for,
                                rule_of_three, zero_failure_upper_bound)

from strategies import architectures

# A numpy warning (overflow, invalid value) in an estimate is a bug here, not noise.
pytestmark = pytest.mark.filterwarnings("error")

Z = 4.0


def exact_unavailability(arch, feature=None) -> float:
    return 1.0 - labkit.availability(arch, feature)


def assert_agrees(est, exact, z=Z):
    slack = 1e-9 * exact + 1e-14  # float error of 1 - availability near 1
    assert abs(est.value - exact) <= z * est.standard_error + slack, (est.summary(), exact)


def two_of_three(q: float) -> Architecture:
    """Three replicas, two needed: u = 3 q^2 (1 - q) + q^3."""
    arch = Architecture("2 of 3")
    for name in ("r1", "r2", "r3"):
        arch.add_component(name, 1 - q)
    return arch.add_group("quorum", ["r1", "r2", "r3"], k=2).add_feature("serve", ["quorum"])


def ring_like(scale: float = 1.0) -> Architecture:
    """ring_sized's shape (8 regions x 4 cells x 5 tiers), availabilities set for ~1e-6.

    Per cell: router 1e-7 + 5 tiers x 1.5e-7 + region 2e-7 = 1.05e-6, to first order.
    """
    return catalog.cells(32, catalog.RING_TIERS[:5], regions=8,
                         tier_availability=1 - 1.5e-7 * scale,
                         router_availability=1 - 1e-7 * scale,
                         region_availability=1 - 2e-7 * scale)


# ------------------------------------------------------------------ hand-worked values


def test_three_replicas_of_three_nines_is_one_in_a_billion():
    # Load balancer and database perfect: only all three replicas down fails: 0.001^3.
    arch = catalog.replicated_monolith(3, app=0.999, load_balancer=1.0, db=1.0)
    est = rare_unavailability(arch, samples=20_000, seed=1)
    assert_agrees(est, 1e-9)
    assert est.low <= 1e-9 <= est.high
    # The one failed world is drawn with probability h = (4/11 + q^3 / P(any down)) / 3
    # (parts: natural, conditional with g(3) = (1/3) / (1 + 1/2 + 1/3) = 2/11, balanced with
    # g(3) / C(3, 3) = 2/11), so the relative error is sqrt(1/h - 1) / sqrt(n) ->
    # sqrt(33/4 - 1) / sqrt(20000) = 0.01904 as q -> 0.
    assert est.relative_error == pytest.approx(math.sqrt(29 / 4) / math.sqrt(20_000), rel=0.1)


@pytest.mark.parametrize("q", [1e-3, 1e-4, 1e-5])
def test_two_of_three_quorum(q):
    exact = 3 * q * q * (1 - q) + q ** 3            # 2.998e-6, 2.9998e-8, 2.99998e-10
    assert exact_unavailability(two_of_three(q)) == pytest.approx(exact, rel=1e-6)
    est = rare_unavailability(two_of_three(q), samples=10_000, seed=3)
    assert_agrees(est, exact)
    assert est.relative_error < 0.05


def test_cells_at_about_a_million_to_one():
    # Each cell: router 1e-7 and three tiers of 2e-7 in series:
    # 1 - (1 - 1e-7)(1 - 2e-7)^3 = 6.9999988e-7 (the next terms are 1e-13 and below).
    arch = catalog.cells(4, tier_availability=0.9999998, router_availability=0.9999999)
    est = rare_unavailability(arch, "cell 3 customers", samples=5_000, seed=4)
    assert_agrees(est, 6.9999988e-7)
    assert est.relative_error < 0.05


def test_one_component_is_estimated_without_variance():
    # One free component: the only failed world is "it is down", drawn with weight exactly q.
    arch = Architecture("one").add_component("x", 1 - 1e-7)
    est = rare_unavailability(arch, samples=1_000, seed=0)
    assert est.value == pytest.approx(1e-7, rel=1e-9)
    assert est.standard_error <= 1e-12 * est.value


def test_certain_answers_need_no_samples():
    perfect = catalog.monolith(app=1.0, server=1.0, db=1.0)
    est = rare_unavailability(perfect, samples=1_000)
    assert (est.value, est.standard_error, est.samples, est.interval_kind) == (0.0, 0.0, 0, "exact")
    assert est.summary() == "unavailability 0 (exact: every component that matters is certain)"
    dead = catalog.monolith(db=0.0)
    assert rare_unavailability(dead, samples=1_000, confidence=0.9) == rare_events.RareEstimate(
        1.0, 0.0, 0, "importance", 1.0, 1.0, 0.9, "exact", 0)
    # Three replicas, one dead for good: two left to fail.
    arch = catalog.replicated_monolith(3, app=0.999, load_balancer=1.0, db=1.0)
    one_dead = arch.with_availability({"app-1": 0.0})
    assert_agrees(rare_unavailability(one_dead, samples=5_000, seed=2), 1e-6)


def test_zero_failures_seen_gives_an_honest_bound():
    # A 40-of-40-down cut set (1-of-40 group): more failures than the biased parts draw, so
    # no failed world is seen; the interval must still hold 0.5^40 = 9.09e-13, as a
    # zero-failure bound: P(any down) / (1/3) * (1 - 0.05^(1/n)).
    arch = Architecture("wide")
    names = [f"w{i}" for i in range(40)]
    for name in names:
        arch.add_component(name, 0.5)
    arch.add_group("any", names, k=1).add_feature("serve", ["any"])
    est = rare_unavailability(arch, samples=1_000, seed=0)
    assert est.failures == 0 and est.value == 0.0
    assert est.interval_kind == "95 % zero-failure bound"
    assert est.high == pytest.approx(3 * (1 - 0.5 ** 40) * (1 - 0.05 ** (1 / 1000)))
    assert est.low <= 0.5 ** 40 <= est.high
    assert est.summary() == ("unavailability at most 0.00897 (95 % zero-failure bound, no "
                             "failure in 1,000 samples), importance")
    # at 99 %: 3 x (1 - 0.01^(1/1000)) = 3 x 0.0045946 = 0.013784
    assert rare_unavailability(arch, samples=1_000, seed=0, confidence=0.99) == \
        rare_events.RareEstimate(0.0, 0.0, 1_000, "importance", 0.0,
                                 pytest.approx(0.013784, rel=1e-4), 0.99,
                                 "99 % zero-failure bound", 0)


@pytest.mark.parametrize("k, exact", [
    (1, 0.9 ** 40),                                                       # 0.014781
    (38, sum(math.comb(40, j) * 0.1 ** j * 0.9 ** (40 - j) for j in range(38))),  # 1 - ...
])
def test_worlds_with_more_than_32_failures_are_weighted_right(k, exact):
    # 40 replicas of availability 0.1: the failed worlds have 36 failures on average, more
    # than the biased parts draw, so only the natural part finds them; it still must be exact.
    arch = Architecture("wide")
    names = [f"w{i}" for i in range(40)]
    for name in names:
        arch.add_component(name, 0.1)
    arch.add_group("pool", names, k=k).add_feature("serve", ["pool"])
    assert exact_unavailability(arch) == pytest.approx(exact, rel=1e-9)
    assert_agrees(rare_unavailability(arch, samples=20_000, seed=6), exact)


def test_a_long_chain_is_sampled_in_blocks():
    # 300 components in series (every one relevant): u = 1 - (1 - 1e-7)^300 = 2.99996e-5;
    # blocks are 4M / 300 = 13,981 worlds, so 40,000 samples take three of them.
    arch = Architecture("chain")
    names = [f"c{i}" for i in range(300)]
    for name in names:
        arch.add_component(name, 1 - 1e-7)
    for upper, lower in zip(names, names[1:]):
        arch.add_dependency(upper, lower)
    est = rare_unavailability(arch, samples=40_000, seed=8)
    assert_agrees(est, 1 - (1 - 1e-7) ** 300)
    assert (est.samples, est.failures) == (40_000, 40_000)   # every world drawn fails


def test_standard_error_is_right_across_many_blocks(monkeypatch):
    # The three-replica case has relative error sqrt(29/4) per sample (see above); with blocks
    # of 2 worlds, half the spread lies between blocks, so the blocks must be combined right.
    monkeypatch.setattr(rare_events, "_ROWS_PER_BLOCK", 2)
    arch = catalog.replicated_monolith(3, app=0.999, load_balancer=1.0, db=1.0)
    est = rare_unavailability(arch, samples=3_000, seed=9)
    assert est.relative_error == pytest.approx(math.sqrt(29 / 4 / 3_000), rel=0.15)
    assert_agrees(est, 1e-9)
    assert est.samples == 3_000 and 0 < est.failures < 3_000


def test_intervals_stay_inside_zero_one():
    # Almost certain to fail: u = 1 - 0.01^3 = 0.999999. (Importance sampling is no help
    # here: its relative error is 5 % at 500 samples, where crude would be 0.005 %.)
    arch = catalog.monolith(app=0.01, server=0.01, db=0.01)
    for seed in (0, 1):   # seed 1's weighted mean passes 1 and is cut there
        est = rare_unavailability(arch, samples=500, seed=seed)
        assert 0.0 <= est.low <= est.value <= est.high <= 1.0
        assert_agrees(est, 0.999999)
    assert est.value == 1.0


def test_standard_error_is_the_sample_standard_deviation_over_root_n():
    # Three replicas: a drawn world is either the failed one, weight w, or weighs 0. With f
    # failed of n: mean f w / n, and SE^2 = (f w^2 - n mean^2) / (n - 1) / n.
    arch = catalog.replicated_monolith(3, app=0.999, load_balancer=1.0, db=1.0)
    est = rare_unavailability(arch, samples=100, seed=5)
    n, f = 100, est.failures
    w = est.value * n / f
    assert est.standard_error == pytest.approx(
        math.sqrt((f * w * w - n * est.value ** 2) / (n - 1) / n), rel=1e-9)


def test_defaults():
    arch = catalog.replicated_monolith(3, app=0.999, load_balancer=1.0, db=1.0)
    assert rare_unavailability(arch) == rare_unavailability(arch, None, 20_000, 0, "importance",
                                                            0.95)
    page = catalog.detail_page()      # seeds 0 and 1 see different counts of failures here
    assert crude_unavailability(page) == crude_unavailability(page, "can buy", 20_000, 0, 0.95)
    assert crude_unavailability(page) != crude_unavailability(page, "can buy", 20_000, 1, 0.95)


def test_confidence_sets_the_interval():
    arch = ring_like()
    at_95 = rare_unavailability(arch, samples=2_000, seed=1)
    at_90 = rare_unavailability(arch, samples=2_000, seed=1, confidence=0.9)
    assert at_90.value == at_95.value and at_90.confidence == 0.9
    assert at_90.interval_kind == "90 % normal"
    # half-widths in the ratio of the normal quantiles: 1.644854 / 1.959964
    assert (at_90.high - at_90.value) / (at_95.high - at_95.value) == pytest.approx(
        1.644854 / 1.959964, rel=1e-6)
    assert at_95.high - at_95.value == pytest.approx(1.959964 * at_95.standard_error, rel=1e-6)


# ------------------------------------------------------------------ exact agreement


CATALOG = [
    ("monolith", catalog.monolith, None),
    ("replicated monolith", lambda: catalog.replicated_monolith(3), None),
    ("detail page, can buy", catalog.detail_page, "can buy"),
    ("detail page, whole page", lambda: catalog.detail_page(False), "whole page"),
    ("detail page cells", lambda: catalog.detail_page_cells(2), "cell 2: can buy"),
    ("cells with waves and shared db", lambda: catalog.cells(8, regions=2, deploy_waves=2,
                                                            shared_database=True), None),
    ("ring sized", catalog.ring_sized, "cell 17 customers"),
    ("sharded workers", lambda: catalog.sharded_workers(8, 2, "shuffle"), None),
    ("monolith in cells", lambda: catalog.in_cells(catalog.monolith(), 3), "cell 2: buy"),
    # rare versions: unavailability 1e-6 ... 1e-9
    ("replicated monolith 1e-9", lambda: catalog.replicated_monolith(3, 0.999, 1.0, 1.0), None),
    ("replicated monolith 1e-7", lambda: catalog.replicated_monolith(3, 0.999, 0.99999995,
                                                                     0.99999995), None),
    ("monolith in cells 3e-7", lambda: catalog.in_cells(
        catalog.monolith(0.9999999, 0.99999995, 0.99999995), 3, router_availability=0.9999999),
     None),
    ("replicas in cells 1e-6", lambda: catalog.in_cells(
        catalog.replicated_monolith(2, 0.9993, 0.9999998, 0.9999997), 4,
        router_availability=0.9999999), "cell 4: buy"),
    ("ring-like 1e-6", ring_like, None),
    ("ring-like 1e-9", lambda: ring_like(1e-3), None),
]


@pytest.mark.parametrize("build, feature", [c[1:] for c in CATALOG], ids=[c[0] for c in CATALOG])
def test_agrees_with_exact_analysis_on_the_catalog(build, feature):
    arch = build()
    exact = exact_unavailability(arch, feature)
    est = rare_unavailability(arch, feature, samples=10_000, seed=5)
    assert_agrees(est, exact)
    assert est.relative_error < 0.1
    assert est.interval_kind == "95 % normal" and est.method == "importance"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(max_components=8), st.sampled_from([1.0, 1e-3, 1e-6]),
       st.integers(0, 2**32))
def test_agrees_with_exact_analysis_on_random_architectures(arch, scale, seed):
    # Every unavailability scaled down together: from ordinary to 1e-6 x ordinary.
    arch = arch.with_availability({c: 1 - (1 - arch.availability_of(c)) * scale
                                   for c in arch.breakable})
    for feature in arch.feature_names:
        est = rare_unavailability(arch, feature, samples=2_000, seed=seed)
        assert_agrees(est, exact_unavailability(arch, feature), z=4.5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(max_components=7), st.lists(st.integers(0, 8), min_size=7, max_size=7),
       st.integers(0, 2**32))
def test_unlike_unavailabilities_are_estimated_too(arch, powers, seed):
    # Each component's unavailability scaled by its own 10^-k: the case balanced biasing is for.
    arch = arch.with_availability({c: 1 - (1 - arch.availability_of(c)) * 10.0 ** -powers[i]
                                   for i, c in enumerate(arch.breakable)})
    for feature in arch.feature_names:
        est = rare_unavailability(arch, feature, samples=2_000, seed=seed)
        assert_agrees(est, exact_unavailability(arch, feature), z=4.5)


# ------------------------------------------------------------------ bounded relative error


def relative_errors(case, scales, samples=5_000, seed=11):
    build, exact_of = BRE_CASES[case]
    rows = []
    for scale in scales:
        arch = build(scale)
        est = rare_unavailability(arch, samples=samples, seed=seed)
        exact = exact_of(scale) if exact_of else exact_unavailability(arch)
        assert_agrees(est, exact)
        rows.append((exact, est.relative_error, crude_unavailability(arch, samples=samples,
                                                                     seed=seed)))
    return rows


BRE_CASES = {
    # (architecture at a scale of all unavailabilities, exact unavailability by hand or None)
    # u = 1.05e-6 x scale: cut sets of one component
    "ring-like": (ring_like, None),
    # u = (1e-3 x scale)^3 = 1e-9 ... 1e-18, past what 1 - availability can resolve in floats
    "three replicas": (lambda s: catalog.replicated_monolith(3, 1 - 1e-3 * s, 1.0, 1.0),
                       lambda s: (1e-3 * s) ** 3),
    # u = 1.09e-6 ... 6e-10: one-component and two-component cut sets, rates 1e-7 and 7e-4
    "replicas in cells": (lambda s: catalog.in_cells(catalog.replicated_monolith(
        2, 1 - 7e-4 * s, 1 - 2e-7 * s, 1 - 3e-7 * s), 4, router_availability=1 - 1e-7 * s), None),
}


@pytest.mark.parametrize("case", BRE_CASES)
def test_relative_error_stays_bounded_as_unavailability_shrinks(case):
    # Measured with 5,000 samples (seed 11), RE at scales 1, 1/10, 1/100, 1/1000 (1e-4, 1e-5):
    #   ring-like          0.0118  0.0118  0.0118  0.0118  (0.0118  0.0118)  u 1.05e-6 -> 1.05e-9
    #   three replicas     0.0390  0.0390  0.0390  0.0390  (0.0390  0.0390)  u 1e-9 -> 1e-18
    #   replicas in cells  0.0333  0.0460  0.0495  0.0499  (0.0500  0.0500)  u 1.09e-6 -> 6e-10
    # while crude Monte Carlo's RE, sqrt((1 - u) / (n u)), grows sqrt(10) = 3.2-fold per
    # step: 13.8 at 1.05e-6 with these 5,000 samples, 436 at 1.05e-9; and it sees no failure.
    rows = relative_errors(case, [1, 1e-1, 1e-2, 1e-3])
    errors = [re for _, re, _ in rows]
    assert max(errors) < 0.06
    assert max(errors) / min(errors) < 2.0
    crude_theory = [math.sqrt((1 - u) / (5_000 * u)) for u, _, _ in rows]
    assert crude_theory[-1] / crude_theory[0] > 30          # crude: unbounded
    for _, _, crude in rows:
        assert crude.value == 0.0 and crude.failures == 0


def test_relative_error_bound_holds_for_the_worst_case_constant():
    # The docstring's bound: RE <= sqrt((B - 1) / n), B = max_k 3 C(m, k) / g(k). For the
    # 2-of-3 quorum, m = 3, g = (6/11, 3/11, 2/11): B = max(3*3*11/6, 3*3*11/3, 3*1*11/2) = 33.
    for q in (1e-2, 1e-5, 1e-8):
        est = rare_unavailability(two_of_three(q), samples=4_000, seed=7)
        assert est.relative_error <= 1.2 * math.sqrt(32 / 4_000)


# ------------------------------------------------------------------ crude on the same budget


def test_crude_sees_nothing_at_a_million_to_one():
    arch = ring_like()
    exact = exact_unavailability(arch)          # 1.05e-6
    rare = rare_unavailability(arch, samples=20_000, seed=0)
    crude = crude_unavailability(arch, samples=20_000, seed=0)
    assert crude.value == 0.0 and crude.failures == 0
    # Wilson's upper end with no failures: z^2 / (n + z^2) = 3.8415 / 20003.84 = 1.9204e-4.
    assert crude.high == pytest.approx(1.9204e-4, rel=1e-3)
    assert crude.low == 0.0 and crude.interval_kind == "95 % Wilson score"
    assert crude.low <= exact <= crude.high and rare.low <= exact <= rare.high
    assert (crude.high - crude.low) > 1000 * (rare.high - rare.low)
    assert rare_unavailability(arch, samples=20_000, seed=0, method="crude") == crude


def wilson(failures: int, n: int, z: float) -> tuple[float, float]:
    """Wilson's score interval, written out from the textbook formula."""
    p = failures / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_crude_agrees_where_failures_are_common():
    arch = catalog.monolith()
    crude = crude_unavailability(arch, samples=50_000, seed=2)
    assert crude.low <= 1 - 0.998001 <= crude.high
    # It is sampled_availability's count, turned round.
    twin = labkit.sampled_availability(arch, samples=50_000, seed=2)
    failures = 50_000 - round(twin.value * 50_000)
    assert (crude.failures, crude.samples, crude.method, crude.confidence) == (
        failures, 50_000, "crude", 0.95)
    assert crude.value == failures / 50_000
    p = failures / 50_000
    assert crude.standard_error == pytest.approx(math.sqrt(p * (1 - p) / 50_000), rel=1e-12)
    assert crude.confidence_interval == pytest.approx(wilson(failures, 50_000, 1.959964), rel=1e-6)


def test_crude_estimates_the_feature_asked_for():
    arch = catalog.detail_page()       # unavailable: can buy 0.0046, whole page 0.0115
    for feature in ("can buy", "whole page"):
        crude = crude_unavailability(arch, feature, samples=50_000, seed=3, confidence=0.9)
        assert crude.low <= exact_unavailability(arch, feature) <= crude.high
        assert crude.confidence_interval == pytest.approx(
            wilson(crude.failures, 50_000, 1.644854), rel=1e-6)
        assert crude.interval_kind == "90 % Wilson score"
        assert rare_unavailability(arch, feature, 50_000, 3, "crude", 0.9) == crude
    assert (crude_unavailability(arch, "can buy", samples=50_000, seed=3).value
            < crude_unavailability(arch, "whole page", samples=50_000, seed=3).value)


def test_crude_with_one_failure():
    # u = 0.001, 1,000 samples, seed 3: one failure. Wilson: 0.000177 .. 0.005643.
    crude = crude_unavailability(catalog.monolith(app=0.999, server=1.0, db=1.0), samples=1_000,
                                 seed=3)
    assert crude.failures == 1
    assert crude.confidence_interval == pytest.approx(wilson(1, 1_000, 1.959964), rel=1e-6)
    assert crude.confidence_interval == pytest.approx((0.000177, 0.005643), abs=1e-6)


def test_crude_when_everything_fails():
    crude = crude_unavailability(catalog.monolith(db=0.0), samples=1_000, seed=0)
    assert (crude.value, crude.failures, crude.high, crude.standard_error) == (1.0, 1_000, 1.0, 0.0)
    assert crude.low == pytest.approx(wilson(1_000, 1_000, 1.959964)[0], rel=1e-9)


# ------------------------------------------------------------------ reproducible, bounded


def test_same_seed_same_numbers():
    arch = ring_like()
    assert rare_unavailability(arch, seed=3) == rare_unavailability(arch, seed=3)
    assert rare_unavailability(arch, seed=3).value != rare_unavailability(arch, seed=4).value


def test_components_that_cannot_matter_are_not_sampled():
    # Cell 2's tiers cannot fail cell 1's customers: changing them changes nothing, bit for bit.
    arch = catalog.cells(4, tier_availability=0.9999998)
    other = arch.with_availability({"cell2-app": 0.5, "cell2-db": 0.1})
    assert (rare_unavailability(arch, "cell 1 customers", seed=1)
            == rare_unavailability(other, "cell 1 customers", seed=1))


def test_memory_stays_bounded_in_blocks():
    arch = catalog.ring_sized()
    tracemalloc.start()
    est = rare_unavailability(arch, samples=300_000, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 2**20
    assert_agrees(est, exact_unavailability(arch))
    assert (est.samples, est.failures) == (300_000, 300_000)  # ten blocks; cells are series


def test_summary_reads_well():
    est = rare_unavailability(catalog.replicated_monolith(3, 0.999, 1.0, 1.0), samples=20_000,
                              seed=1)
    text = est.summary()
    assert text.startswith("unavailability 9.94e-10 ± 1.9 % (95 % normal interval")
    assert "importance, 20,000 samples" in text


# ------------------------------------------------------------------ zero-failure evidence


@pytest.mark.parametrize("n, confidence, expected", [
    (100, 0.95, 0.029513049607040),       # 1 - 0.05^(1/100)
    (100, 0.99, 0.045007413978564),       # 1 - 0.01^(1/100)
    (1_000_000, 0.95, 2.9957277863525e-6),
    (11_232_000_000, 0.95, 2.6671e-10),   # a day at 130,000 req/s, no failure: -ln(0.05)/n
    (1, 0.95, 0.95),
])
def test_zero_failure_upper_bound_is_exact(n, confidence, expected):
    assert zero_failure_upper_bound(n, confidence) == pytest.approx(expected, rel=1e-4)
    # and it is what it claims: zero failures in n trials has probability 1 - c at the bound
    p = zero_failure_upper_bound(n, confidence)
    assert (1 - p) ** n == pytest.approx(1 - confidence, rel=1e-6)


@pytest.mark.parametrize("n", [100, 300, 1_000, 10**4, 10**6, 10**9, 4 * 10**12])
def test_rule_of_three_is_within_a_few_percent(n):
    assert rule_of_three(n) == 3 / n
    # -ln(0.05) = 2.9957: 3/n overstates the exact bound by 0.14 % for large n, 1.7 % at 100
    assert rule_of_three(n) / zero_failure_upper_bound(n) == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize("availability, confidence, n", [
    (0.99, 0.95, 299),           # ln 0.05 / ln 0.99 = 298.07
    (0.9, 0.95, 29),             # 28.43
    (0.999999, 0.95, 2_995_731),  # 2,995,730.78: six nines needs about 3 million clean requests
    (0.999999, 0.99, 4_605_168),  # ln 0.01 / ln 0.999999 = 4,605,167.7
    (0.5, 0.5, 1),
    (0.0, 0.95, 1),
])
def test_requests_needed_for(availability, confidence, n):
    assert requests_needed_for(availability, confidence) == n
    assert zero_failure_upper_bound(n, confidence) <= 1 - availability
    if n > 1:
        assert zero_failure_upper_bound(n - 1, confidence) > 1 - availability


def test_requests_needed_for_is_the_smallest_enough():
    # Three clean requests are exactly enough for 75 % at 1 - 0.75^3 = 57.8125 %:
    # 1 - 0.421875^(1/3) = 0.25. (The logarithms, rounded, say 3.0000000000000004.)
    assert requests_needed_for(0.75, 0.578125) == 3
    # Families on the boundary, a = 1 - 1/x and c = 1 - a^k, where rounding tips the first
    # guess either way, and a spread up to 15 nines: always the smallest n that is enough.
    cases = [(1 - 1 / x, 1 - (1 - 1 / x) ** k) for x in range(2, 60) for k in range(1, 40)]
    cases += [(1 - 10.0 ** -e, c) for e in range(1, 16) for c in (0.5, 0.9, 0.95, 0.99, 0.999)]
    for a, c in cases:
        n = requests_needed_for(a, c)
        assert zero_failure_upper_bound(n, c) <= 1 - a, (a, c, n)
        assert n == 1 or zero_failure_upper_bound(n - 1, c) > 1 - a, (a, c, n)


def test_a_hundred_percent_can_never_be_shown():
    with pytest.raises(LabkitError) as excinfo:
        requests_needed_for(1.0)
    assert str(excinfo.value).startswith("availability=1.0 is not allowed")
    assert "100 %" in str(excinfo.value)
    with pytest.raises(LabkitError) as excinfo:
        requests_needed_for(1.5)
    assert str(excinfo.value) == ("availability=1.5 is not allowed: expected a number from 0 to "
                                  "below 1: no finite number of successes shows 100 %")
    with pytest.raises(LabkitError) as excinfo:
        zero_failure_upper_bound(100, 1.0)
    assert str(excinfo.value) == ("confidence=1.0 is not allowed: expected a confidence above 0 "
                                  "and below 1 (at most 0.999999999999), e.g. 0.95")


# ------------------------------------------------------------------ bad input


def _monolith():
    return catalog.monolith()


BAD = [
    # (call, argument named first in the message)
    (lambda: rare_unavailability(None), "architecture"),
    (lambda: rare_unavailability("monolith"), "architecture"),
    (lambda: rare_unavailability(Architecture("empty")), "architecture"),
    (lambda: rare_unavailability(_monolith(), "checkout"), "feature"),
    (lambda: rare_unavailability(_monolith(), 5), "feature"),
    (lambda: rare_unavailability(_monolith(), samples=None), "samples"),
    (lambda: rare_unavailability(_monolith(), samples=float("nan")), "samples"),
    (lambda: rare_unavailability(_monolith(), samples=-5), "samples"),
    (lambda: rare_unavailability(_monolith(), samples=10), "samples"),
    (lambda: rare_unavailability(_monolith(), samples=1e6), "samples"),
    (lambda: rare_unavailability(_monolith(), samples="1000"), "samples"),
    (lambda: rare_unavailability(_monolith(), samples=True), "samples"),
    (lambda: rare_unavailability(_monolith(), samples=10**400), "samples"),
    (lambda: rare_unavailability(catalog.ring_sized(), samples=10**7), "samples"),
    (lambda: rare_unavailability(_monolith(), seed=-1), "seed"),
    (lambda: rare_unavailability(_monolith(), seed=2**63 + 1), "seed"),
    (lambda: rare_unavailability(_monolith(), seed=1.5), "seed"),
    (lambda: rare_unavailability(_monolith(), method="magic"), "method"),
    (lambda: rare_unavailability(_monolith(), method=None), "method"),
    (lambda: rare_unavailability(_monolith(), confidence=1.0), "confidence"),
    (lambda: rare_unavailability(_monolith(), confidence=0), "confidence"),
    (lambda: rare_unavailability(_monolith(), confidence=float("nan")), "confidence"),
    (lambda: rare_unavailability(_monolith(), confidence="95%"), "confidence"),
    (lambda: rare_unavailability(_monolith(), method="crude", samples=10**400), "samples"),
    (lambda: crude_unavailability(None), "architecture"),
    (lambda: crude_unavailability(_monolith(), "nope"), "feature"),
    (lambda: crude_unavailability(_monolith(), samples=10**12), "samples"),
    (lambda: crude_unavailability(_monolith(), confidence=-0.5), "confidence"),
    (lambda: zero_failure_upper_bound(0), "requests"),
    (lambda: zero_failure_upper_bound(-3), "requests"),
    (lambda: zero_failure_upper_bound(None), "requests"),
    (lambda: zero_failure_upper_bound(1e6), "requests"),
    (lambda: zero_failure_upper_bound("100"), "requests"),
    (lambda: zero_failure_upper_bound(10**400), "requests"),
    (lambda: zero_failure_upper_bound(100, 1.5), "confidence"),
    (lambda: zero_failure_upper_bound(100, None), "confidence"),
    (lambda: rule_of_three(0), "requests"),
    (lambda: rule_of_three(float("inf")), "requests"),
    (lambda: requests_needed_for(None), "availability"),
    (lambda: requests_needed_for(float("nan")), "availability"),
    (lambda: requests_needed_for(-0.1), "availability"),
    (lambda: requests_needed_for(10**400), "availability"),
    (lambda: requests_needed_for("0.999"), "availability"),
    (lambda: requests_needed_for(0.999, 1.0), "confidence"),
]


@pytest.mark.parametrize("call, argument", BAD, ids=[f"{i}-{b[1]}" for i, b in enumerate(BAD)])
def test_bad_input_is_refused_promptly_and_named(call, argument):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(LabkitError) as excinfo:
            call()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    message = str(excinfo.value)
    assert message.startswith(f"{argument}="), message
    assert "is not allowed:" in message and "expected" in message
    assert seconds < 2.0 and peak < 16 * 2**20


def test_the_largest_budget_allowed_is_still_prompt():
    # The cap keeps one call to a couple of seconds: here, 5 x 7 components per sample.
    arch = catalog.ring_sized()
    limit = rare_events.MAX_RARE_WORK // (5 * 7)
    with pytest.raises(LabkitError):
        rare_unavailability(arch, samples=limit + 1)
    assert limit > 1_000_000   # and still far more than six nines needs


def test_every_estimate_records_how_to_rerun_it():
    path = catalog.ring_request_path(tier_availability=0.9999)
    for estimator in (rare_unavailability, crude_unavailability):
        est = estimator(path, samples=2_000, seed=11)
        assert (est.seed, est.feature, est.system) == (
            11, "request served", rare_events.system_fingerprint(path))
        again = estimator(catalog.ring_request_path(tier_availability=0.9999),
                          samples=est.samples, seed=est.seed)
        assert (again.value, again.standard_error, again.low, again.high) == (
            est.value, est.standard_error, est.low, est.high)
    # Not compared, not shown: estimates with the same numbers are equal, as before.
    est = rare_unavailability(path, samples=2_000, seed=11)
    assert est == rare_events.RareEstimate(est.value, est.standard_error, est.samples,
                                           est.method, est.low, est.high, est.confidence,
                                           est.interval_kind, est.failures)
    assert "seed" not in repr(est)


def test_the_fingerprint_sees_what_decides_the_estimate():
    path = catalog.ring_request_path()
    same = rare_events.system_fingerprint(path)
    assert rare_events.system_fingerprint(catalog.ring_request_path()) == same
    assert rare_events.system_fingerprint(path.with_availability({"cell-store": 0.999})) != same
    assert rare_events.system_fingerprint(catalog.ring_request_path(routers=2)) != same
    assert rare_events.system_fingerprint(catalog.ring_request_path(fallback=False)) != same
    renamed = path.copy(name="another name")     # names and descriptions do not decide
    assert rare_events.system_fingerprint(renamed) == same
