"""Bad input gets a LabkitError naming argument, value and what is allowed; nothing else escapes."""

import math

import pytest
from hypothesis import given, settings, strategies as st

import labkit
from labkit import LabkitError, catalog, retries, sharding
from labkit.model import Architecture


def assert_names(excinfo, argument, value_text):
    message = str(excinfo.value)
    assert argument in message and value_text in message and "allowed" in message, message


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), float("inf"), "0.9", True, None])
def test_availability_outside_zero_one(value):
    with pytest.raises(LabkitError) as excinfo:
        Architecture("a").add_component("app", value if value is not None else "x")
    assert "availability" in str(excinfo.value)


def test_error_is_a_value_error():
    assert issubclass(LabkitError, ValueError)


def test_unknown_component_names_the_known_ones():
    arch = catalog.monolith()
    with pytest.raises(LabkitError) as excinfo:
        arch.add_dependency("app", "cache")
    assert_names(excinfo, "callee", "'cache'")
    assert "'db'" in str(excinfo.value)


def test_cycle_is_refused():
    arch = Architecture("loop").add_component("a").add_component("b").add_component("c")
    arch.add_dependency("a", "b").add_dependency("b", "c")
    with pytest.raises(LabkitError) as excinfo:
        arch.add_dependency("c", "a")
    assert_names(excinfo, "dependency", "c -> a")
    assert "cycle" in str(excinfo.value)
    with pytest.raises(LabkitError):
        arch.add_dependency("a", "a")


def test_duplicate_name():
    arch = Architecture("dup").add_component("a")
    with pytest.raises(LabkitError) as excinfo:
        arch.add_component("a")
    assert_names(excinfo, "name", "'a'")


def test_empty_architecture():
    with pytest.raises(LabkitError) as excinfo:
        labkit.availability(Architecture("nothing"))
    assert_names(excinfo, "architecture", "'nothing'")


def test_soft_dependency_on_missing_component():
    with pytest.raises(LabkitError) as excinfo:
        catalog.detail_page().add_dependency("page", "chatbot", "soft")
    assert_names(excinfo, "callee", "'chatbot'")


def test_unknown_dependency_kind():
    arch = Architecture("k").add_component("a").add_component("b")
    with pytest.raises(LabkitError) as excinfo:
        arch.add_dependency("a", "b", "medium")
    assert_names(excinfo, "kind", "'medium'")


def test_k_greater_than_n():
    arch = Architecture("k").add_component("a").add_component("b")
    with pytest.raises(LabkitError) as excinfo:
        arch.add_group("g", ["a", "b"], k=3)
    assert_names(excinfo, "k", "3")
    with pytest.raises(LabkitError):
        labkit.k_of_n(4, 3, 0.9)


def test_zero_cells():
    with pytest.raises(LabkitError) as excinfo:
        catalog.cells(0)
    assert_names(excinfo, "n_cells", "0")
    with pytest.raises(LabkitError):
        sharding.cell_for("c", 0)


@pytest.mark.parametrize("key", [None, 1.5, ["a"], {"a": 1}, True, object()])
def test_unhashable_partition_key(key):
    with pytest.raises(LabkitError) as excinfo:
        sharding.cell_for(key, 4)
    assert "key" in str(excinfo.value) and "str, int or bytes" in str(excinfo.value)


def test_unknown_feature_and_override():
    arch = catalog.detail_page()
    with pytest.raises(LabkitError) as excinfo:
        labkit.availability(arch, "checkout")
    assert_names(excinfo, "feature", "'checkout'")
    with pytest.raises(LabkitError):
        labkit.availability(arch, overrides={"nope": 0.5})
    with pytest.raises(LabkitError):
        labkit.availability(arch, overrides={"price": 2})


def test_plain_sharding_needs_a_divisor():
    with pytest.raises(LabkitError) as excinfo:
        sharding.shard_count(8, 3, "plain")
    assert_names(excinfo, "shard_size", "3")


def test_both_availability_and_mtbf():
    with pytest.raises(LabkitError):
        labkit.Component("x", 0.9, mtbf=10, mttr=1)


anything = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                     st.lists(st.integers(-3, 3), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))

PUBLIC_CALLS = [
    lambda a, b: labkit.series(a, b), lambda a, b: labkit.parallel(a, b),
    lambda a, b: labkit.k_of_n(a, b, 0.9), lambda a, b: labkit.k_of_n(1, 2, a),
    lambda a, b: labkit.nines(a), lambda a, b: labkit.downtime_per_year(a),
    lambda a, b: labkit.availability_from_mtbf(a, b), lambda a, b: labkit.availability_from_nines(a),
    lambda a, b: labkit.format_duration(a), lambda a, b: labkit.format_percent(a),
    lambda a, b: labkit.availability(catalog.monolith(), a),
    lambda a, b: labkit.availability(catalog.monolith(), None, a),
    lambda a, b: labkit.availability(a), lambda a, b: labkit.blast_radius(catalog.cells(2), a),
    lambda a, b: labkit.single_points_of_failure(catalog.monolith(), a),
    lambda a, b: labkit.right_now(catalog.monolith(), a),
    lambda a, b: labkit.sampled_availability(catalog.monolith(), None, a, b),
    lambda a, b: labkit.Component(a, b), lambda a, b: labkit.Component("x", mtbf=a, mttr=b),
    lambda a, b: Architecture(a), lambda a, b: catalog.monolith().add_dependency(a, b),
    lambda a, b: catalog.monolith().add_group("g", a, b),
    lambda a, b: catalog.monolith().add_feature(a, b), lambda a, b: catalog.cells(2).set_partitions(a),
    lambda a, b: catalog.monolith().with_availability(a),
    lambda a, b: catalog.cells(a, b), lambda a, b: catalog.replicated_monolith(a),
    lambda a, b: catalog.sharded_workers(a, b), lambda a, b: catalog.ring_sized(a, b),
    lambda a, b: sharding.cell_for(a, b), lambda a, b: sharding.shard_for(a, 8, 2, b),
    lambda a, b: sharding.shard_count(a, b), lambda a, b: sharding.static_stability_capacity(a, b),
    lambda a, b: sharding.cells_needed(a, b), lambda a, b: sharding.overlap_distribution(a, b),
    lambda a, b: retries.retry_amplification(a, b), lambda a, b: sharding.customer_ids(a),
    lambda a, b: sharding.measured_poison_impact(a, 8, 2, b),
    lambda a, b: labkit.check.workbook(a), lambda a, b: labkit.check.workbook("01_monolith", a),
]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(range(len(PUBLIC_CALLS))), anything, anything)
def test_public_functions_raise_only_labkit_errors(which, a, b):
    try:
        PUBLIC_CALLS[which](a, b)
    except LabkitError as exc:
        assert "allowed" in str(exc)


@settings(max_examples=200, deadline=None)
@given(anything, anything)
def test_panel_actions_raise_only_labkit_errors(a, b):
    from labkit.breakit import BreakItModel
    model = BreakItModel(catalog.monolith())
    for action in (lambda: model.crash(a), lambda: model.toggle(a), lambda: model.apply_scenario(a),
                   lambda: model.set_availability(a, b), lambda: model.set_availability("app", a),
                   lambda: model.set_crashed(a if isinstance(a, list) else [a])):
        try:
            action()
        except LabkitError:
            pass
    results = model.results()
    assert all(0.0 <= r.availability <= 1.0 for r in results.features.values())
    assert not math.isnan(results.blast_radius)
