"""Exact availability (compiled BDD) against independent methods, on the catalog and random DAGs."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import labkit
from labkit import catalog
from labkit.structure import compile_structure, feature_works

from strategies import architectures

SMALL_CATALOG = [catalog.monolith(), catalog.replicated_monolith(3), catalog.detail_page(),
                 catalog.detail_page(graceful=False), catalog.cells(3),
                 catalog.cells(2, shared_database=True), catalog.sharded_workers(6, 2, "plain"),
                 catalog.sharded_workers(5, 2, "shuffle"), catalog.ring_sized(2, 2, 3),
                 catalog.cells(4, ("web", "app"), regions=2, deploy_waves=2)]


@pytest.mark.parametrize("arch", SMALL_CATALOG, ids=lambda a: a.name)
def test_catalog_exact_equals_brute_force(arch):
    for feature in arch.feature_names:
        assert labkit.availability(arch, feature) == pytest.approx(
            labkit.brute_force_availability(arch, feature), abs=1e-12)


@pytest.mark.parametrize("arch", SMALL_CATALOG, ids=lambda a: a.name)
def test_sampler_agrees_with_brute_force(arch):
    # The sampler is checked against brute force (not against the BDD it is meant to check),
    # with availabilities low enough that failures are common: within 4 standard errors of
    # 200,000 samples, i.e. well under 1 % of the unavailability.
    worse = arch.with_availability({c: 0.9 for c in arch.breakable})
    for feature in worse.feature_names[:3]:
        estimate = labkit.sampled_availability(worse, feature, samples=200_000, seed=1)
        exact = labkit.brute_force_availability(worse, feature)
        assert abs(estimate.value - exact) <= 4 * estimate.standard_error + 1e-12


@settings(max_examples=150, deadline=None)
@given(architectures())
def test_random_dags_exact_equals_brute_force(arch):
    for feature in arch.feature_names:
        assert labkit.availability(arch, feature) == pytest.approx(
            labkit.brute_force_availability(arch, feature), abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(architectures(), st.data())
def test_raising_any_availability_never_lowers_a_feature(arch, data):
    structure = compile_structure(arch)
    if not structure.variables:
        return
    name = data.draw(st.sampled_from(structure.variables))
    before = structure.availability()
    higher = data.draw(st.floats(arch.availability_of(name), 1.0))
    after = structure.availability({name: higher})
    for feature in before:
        assert after[feature] >= before[feature] - 1e-12


@settings(max_examples=100, deadline=None)
@given(architectures(), st.data())
def test_compiled_structure_agrees_on_every_single_world(arch, data):
    # With availabilities 0/1 the BDD must return exactly the graph's own verdict.
    structure = compile_structure(arch)
    up = data.draw(st.lists(st.booleans(), min_size=len(structure.variables),
                            max_size=len(structure.variables)))
    verdict = feature_works(arch, np.array([up], dtype=bool), structure.variables)
    values = structure.availability(dict(zip(structure.variables, map(float, up))))
    for feature, works in verdict.items():
        assert values[feature] == float(works[0])


@settings(max_examples=60, deadline=None)
@given(architectures())
def test_single_points_of_failure_fail_the_feature_alone(arch):
    for feature in arch.feature_names:
        spofs = set(labkit.single_points_of_failure(arch, feature))
        for name in compile_structure(arch).variables:
            alone = labkit.features_working(arch, [name])[feature]
            assert (name in spofs) == (not alone)


def test_series_and_parallel_through_the_graph():
    arch = labkit.Architecture("chain")
    arch.add_component("a", 0.99).add_component("b", 0.98).add_component("c", 0.97)
    arch.add_dependency("a", "b").add_dependency("b", "c")
    assert labkit.availability(arch) == pytest.approx(labkit.series(0.99, 0.98, 0.97))
    replicas = catalog.replicated_monolith(4)
    expected = 0.9999 * labkit.parallel(*[0.999] * 4) * 0.9995
    assert labkit.availability(replicas) == pytest.approx(expected, abs=1e-15)


def test_shared_domain_is_not_counted_twice():
    # Two replicas in one zone: naive parallel would square the zone's unavailability.
    arch = labkit.Architecture("one zone")
    arch.add_component("a", 0.99).add_component("b", 0.99)
    arch.add_group("pair", ["a", "b"], 1)
    arch.add_failure_domain("zone", ["a", "b"], 0.999)
    arch.add_feature("serve", ["pair"])
    assert labkit.availability(arch) == pytest.approx(0.999 * labkit.parallel(0.99, 0.99))
    assert labkit.availability(arch) < labkit.parallel(0.99 * 0.999, 0.99 * 0.999)


def test_graceful_degradation_keeps_buying():
    page = catalog.detail_page()
    values = labkit.feature_availability(page)
    assert values["can buy"] > values["whole page"]
    all_hard = labkit.availability(catalog.detail_page(graceful=False), "can buy")
    assert values["can buy"] > all_hard
    assert all_hard == pytest.approx(values["whole page"])  # every widget needed either way
    snap = labkit.right_now(page, ["recommendations"])
    assert snap.features == {"can buy": True, "whole page": False, "see reviews": True}
    assert snap.states["page"] == "degraded"
    snap = labkit.right_now(page, ["reviews db"])
    assert {c for c, s in snap.states.items() if s == "failed"} == {"star rating", "reviews", "questions"}
    assert labkit.right_now(page, ["price"]).features["can buy"] is False


def test_cells_with_shared_database_make_it_a_spof():
    arch = catalog.cells(4, shared_database=True)
    assert "shared-db" in labkit.single_points_of_failure(arch, "cell 1 customers")
    assert labkit.blast_radius(arch, ["shared-db"]) == 1.0
    assert labkit.blast_radius(catalog.cells(4), ["cell3-db"]) == 0.25


def test_region_outage_takes_its_cells():
    arch = catalog.cells(8, regions=4)
    assert labkit.blast_radius(arch, ["region1"]) == pytest.approx(2 / 8)


def test_request_success_ratio_is_share_weighted():
    arch = catalog.cells(4)
    per_cell = labkit.series(0.99999, 0.999, 0.999, 0.999)
    assert labkit.request_success_ratio(arch) == pytest.approx(per_cell)
    crashed = labkit.request_success_ratio(arch, {"cell1-web": 0.0})
    assert crashed == pytest.approx(per_cell * 3 / 4)


def test_nines_and_back():
    for n in (1, 2, 3.5, 6):
        assert labkit.nines(labkit.availability_from_nines(n)) == pytest.approx(n)
    assert math.isinf(labkit.nines(1.0))
    assert labkit.nines(0.0) == 0.0


def test_compile_is_cached_until_the_architecture_changes():
    arch = catalog.monolith()
    first = compile_structure(arch)
    assert compile_structure(arch) is first
    arch.add_component("cache", 0.99)
    assert compile_structure(arch) is not first


def test_detail_page_in_cells():
    page = catalog.detail_page()
    arch = catalog.detail_page_cells(3)
    per_cell = 0.99999 * labkit.availability(page, "can buy")
    assert labkit.request_success_ratio(arch) == pytest.approx(per_cell)
    assert labkit.blast_radius(arch, ["cell2-price"]) == pytest.approx(1 / 3)
    assert labkit.blast_radius(arch, ["cell2-reviews db"]) == 0.0  # soft: the page degrades
    assert labkit.single_points_of_failure(arch, "cell 1: can buy") == [
        "router"] + [f"cell1-{c}" for c in labkit.single_points_of_failure(page, "can buy")]


def test_in_cells_matches_brute_force():
    arch = catalog.in_cells(catalog.replicated_monolith(2), 2)
    for feature in arch.feature_names:
        assert labkit.availability(arch, feature) == pytest.approx(
            labkit.brute_force_availability(arch, feature), abs=1e-12)


def test_deploy_waves_bound_a_bad_deploy():
    arch = catalog.cells(6, deploy_waves=3)
    assert labkit.blast_radius(arch, ["wave1"]) == pytest.approx(2 / 6)
    assert labkit.blast_radius(arch, arch.scenarios["bad deploy to every cell"].crashes) == 1.0
    assert "wave1" in labkit.single_points_of_failure(arch, "cell 2 customers")
    assert "wave2" in labkit.single_points_of_failure(arch, "cell 3 customers")
    small = catalog.cells(3, ("web", "app"), deploy_waves=2)
    for feature in small.feature_names:
        assert labkit.availability(small, feature) == pytest.approx(
            labkit.brute_force_availability(small, feature), abs=1e-12)
