"""Exact analysis and what fails, against numbers worked out by hand from the catalog's
stated availabilities (not recomputed with the functions under test)."""

from __future__ import annotations

import math

import pytest

import labkit
from labkit import LabkitError, catalog
from labkit.analysis import MAX_BRUTE_FORCE, MAX_SAMPLED_WORK, success_ratio
from labkit.failures import crashed_overrides

W, B, P = 0.999, 0.9995, 0.9999   # detail page: widget, backend, page


def test_exact_values_by_hand():
    assert labkit.availability(catalog.monolith()) == pytest.approx(0.99800124975, abs=1e-15)
    assert labkit.availability(catalog.monolith(), "review", {"db": 0.5}) == pytest.approx(
        0.999 * 0.9995 * 0.5, abs=1e-15)
    page = labkit.feature_availability(catalog.detail_page())
    assert list(page) == ["can buy", "whole page", "see reviews"]
    assert page["can buy"] == pytest.approx(P * W**3 * B**3, abs=1e-15)
    assert page["whole page"] == pytest.approx(P * W**9 * B**5, abs=1e-15)
    assert page["see reviews"] == pytest.approx(P * W**5 * B**4, abs=1e-15)
    crashed = labkit.feature_availability(catalog.detail_page(), {"reviews db": 0.0})
    assert crashed["whole page"] == 0.0 and crashed["can buy"] == page["can buy"]


def test_request_success_ratio_weights_by_customers():
    cell = 0.99999 * 0.999**3
    assert labkit.request_success_ratio(catalog.cells(4)) == pytest.approx(cell, abs=1e-15)
    assert labkit.request_success_ratio(catalog.cells(4), {"cell2-db": 0.0}) == pytest.approx(
        0.75 * cell, abs=1e-15)
    assert labkit.request_success_ratio(catalog.monolith()) == pytest.approx(0.99800124975, abs=1e-15)
    assert success_ratio({"a": 0.5, "b": 0.5}, {"a": 1.0, "b": 1.0 + 1e-15}) == 1.0
    assert success_ratio({"a": 0.25, "b": 0.75}, {"a": 0.0, "b": 0.5}) == 0.375
    assert success_ratio({"a": 1.0}, {"a": -1e-18}) == 0.0


def test_brute_force_by_hand_and_its_bound():
    assert labkit.brute_force_availability(catalog.monolith(), "buy") == pytest.approx(
        0.99800124975, abs=1e-15)
    assert labkit.brute_force_availability(catalog.replicated_monolith(2)) == pytest.approx(
        0.9999 * (1 - 0.001**2) * 0.9995, abs=1e-15)
    chain = labkit.Architecture("chain")
    for i in range(MAX_BRUTE_FORCE):
        chain.add_component(f"c{i}", 0.5)
    assert labkit.brute_force_availability(chain) == pytest.approx(0.5**MAX_BRUTE_FORCE, rel=1e-12)
    chain.add_component("one more", 0.5)
    with pytest.raises(LabkitError) as excinfo:
        labkit.brute_force_availability(chain)
    assert str(excinfo.value) == ("architecture='chain' is not allowed: brute force enumerates "
                                  "2^n worlds; expected at most 20 components that can fail, got 21")


def test_sampled_is_reproducible_and_bounded():
    estimate = labkit.sampled_availability(catalog.monolith(), samples=10_000, seed=3)
    assert (estimate.value, estimate.samples) == (0.9981, 10_000)
    assert estimate.standard_error == pytest.approx(math.sqrt(0.9981 * 0.0019 / 10_000), rel=1e-12)
    assert estimate.interval(2) == pytest.approx((0.9981 - 2 * estimate.standard_error,
                                                  0.9981 + 2 * estimate.standard_error))
    assert estimate.interval() == pytest.approx((0.9981 - 4 * estimate.standard_error,
                                                 0.9981 + 4 * estimate.standard_error))
    assert labkit.sampled_availability(catalog.monolith(), samples=10_000, seed=3) == estimate
    assert labkit.sampled_availability(catalog.monolith(), samples=10_000, seed=4) != estimate
    assert labkit.sampled_availability(catalog.monolith(), "review", samples=1).samples == 1
    perfect = labkit.Architecture("p").add_component("x", 1.0)
    assert labkit.sampled_availability(perfect, samples=100).value == 1.0
    limit = MAX_SAMPLED_WORK // 3
    with pytest.raises(LabkitError) as excinfo:
        labkit.sampled_availability(catalog.monolith(), samples=limit + 1)
    assert str(excinfo.value).startswith(f"samples={limit + 1} ")
    assert f"at most {limit}" in str(excinfo.value)
    with pytest.raises(LabkitError, match="^seed=-1 "):
        labkit.sampled_availability(catalog.monolith(), seed=-1)
    with pytest.raises(LabkitError, match="^samples=0 "):
        labkit.sampled_availability(catalog.monolith(), samples=0)


def test_samples_in_blocks_cover_every_sample():
    # More samples than one block: the count must still be exact.
    from labkit.analysis import _ROWS_PER_CHUNK
    n = _ROWS_PER_CHUNK * 2 + 7
    half = labkit.Architecture("coin").add_component("x", 0.5)
    estimate = labkit.sampled_availability(half, samples=n, seed=0)
    assert estimate.samples == n and abs(estimate.value - 0.5) < 4 * estimate.standard_error
    assert estimate.value * n == int(round(estimate.value * n))


def test_what_fails_right_now():
    now = labkit.right_now(catalog.detail_page(), ["reviews db"])
    assert now.states == {
        "page": "degraded", "title": "up", "price": "up", "buy box": "up", "images": "up",
        "star rating": "failed", "reviews": "failed", "recommendations": "up",
        "delivery estimate": "up", "questions": "failed", "catalog": "up", "pricing": "up",
        "inventory": "up", "reviews db": "crashed", "personalization": "up"}
    assert now.features == {"can buy": True, "whole page": False, "see reviews": False}
    assert now.blast_radius == 0.0
    assert labkit.component_states(catalog.monolith(), ["db"]) == {
        "app": "failed", "server": "up", "db": "crashed"}
    assert labkit.features_working(catalog.monolith(), []) == {
        "browse": True, "buy": True, "review": True}
    assert labkit.blast_radius(catalog.cells(4), ["cell1-db", "cell2-web"]) == 0.5
    assert labkit.blast_radius(catalog.cells(4, shared_database=True), ["shared-db"]) == 1.0
    assert labkit.blast_radius(catalog.cells(8), "router") == 1.0


def test_single_points_of_failure_by_hand():
    assert labkit.single_points_of_failure(catalog.monolith()) == ["app", "server", "db"]
    assert labkit.single_points_of_failure(catalog.replicated_monolith(1)) == ["lb", "app-1", "db"]
    assert labkit.single_points_of_failure(catalog.detail_page(), "can buy") == [
        "page", "title", "price", "buy box", "catalog", "pricing", "inventory"]
    assert labkit.single_points_of_failure(catalog.cells(2), "cell 2 customers") == [
        "router", "cell2-web", "cell2-app", "cell2-db"]
    assert labkit.single_points_of_failure(catalog.sharded_workers(4, 2, "plain"),
                                           "customers on w3+w4") == []
    two_of_two = labkit.Architecture("pair").add_component("a").add_component("b")
    two_of_two.add_group("both", ["a", "b"], k=2).add_feature("f", ["both"])
    assert labkit.single_points_of_failure(two_of_two) == ["a", "b"]


def test_crashed_overrides_and_their_refusals():
    arch = catalog.replicated_monolith(2)
    assert crashed_overrides(arch, ["db", "lb", "db"]) == {"db": 0.0, "lb": 0.0}
    assert crashed_overrides(arch, "db") == {"db": 0.0}
    with pytest.raises(LabkitError) as excinfo:
        crashed_overrides(arch, ["app tier"])
    assert str(excinfo.value) == (
        "crashed='app tier' is not allowed: a replica group cannot crash: it works while any 1 "
        "of its members work; crash members instead: app-1, app-2")
    with pytest.raises(LabkitError, match="^name='nope' "):
        crashed_overrides(arch, ["nope"], "name")


def test_brute_force_across_blocks():
    # 2^20 worlds in 32 blocks, most of them working: every block must be counted once.
    arch = labkit.Architecture("any of twenty")
    names = [f"r{i}" for i in range(20)]
    for name in names:
        arch.add_component(name, 0.5)
    arch.add_group("tier", names, k=1).add_feature("serve", ["tier"])
    assert labkit.brute_force_availability(arch) == pytest.approx(1 - 0.5**20, rel=1e-15)


def test_sample_and_seed_bounds_are_exact():
    single = labkit.Architecture("one").add_component("x", 0.5)
    with pytest.raises(LabkitError, match=f"^samples={MAX_SAMPLED_WORK + 1} "):
        labkit.sampled_availability(single, samples=MAX_SAMPLED_WORK + 1)
    assert labkit.sampled_availability(single, samples=10, seed=2**63).samples == 10
    with pytest.raises(LabkitError, match="^seed="):
        labkit.sampled_availability(single, samples=10, seed=2**63 + 1)
    default = labkit.sampled_availability(single, samples=1000)
    assert default == labkit.sampled_availability(single, samples=1000, seed=0)


def test_soft_failures_degrade_and_groups_list_their_members():
    now = labkit.right_now(catalog.detail_page(), ["recommendations"])
    assert now.states["page"] == "degraded" and now.states["recommendations"] == "crashed"
    assert [s for s in now.states.values()].count("degraded") == 1
    assert labkit.right_now(catalog.monolith(), ["db"]).states["app"] == "failed"
    wide = catalog.replicated_monolith(9)
    with pytest.raises(LabkitError) as excinfo:
        crashed_overrides(wide, ["app tier"])
    assert str(excinfo.value).endswith("app-1, app-2, app-3, app-4, app-5, app-6, app-7, app-8")
    with pytest.raises(LabkitError, match="^crashed=5 "):
        crashed_overrides(wide, 5)
