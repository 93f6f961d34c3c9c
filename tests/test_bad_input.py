"""Bad input gets a LabkitError naming argument, value and what is allowed; nothing else escapes.

The fuzzing below takes every public function with arguments that work, replaces one or two
of them with something hostile (None, huge and negative ints, NaN, floats where ints go,
strings where lists go, absurd sizes, objects of the wrong type), and requires either a
result or a prompt ``LabkitError`` whose message names an argument and says what is allowed:
never another exception, never a hang, never a memory blow-up. Builder methods that refuse
must leave the architecture exactly as it was.

The number of examples is ``LABKIT_FUZZ_EXAMPLES`` (default 1,500 per test; the session
note reports a run at 10,000).
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import labkit
from labkit import LabkitError, archfile, backoff, breaker, catalog, chaos, retries, sharding, simulation, views
from labkit import rare_events, report as resilience
from labkit.views.report import report_chart, report_table
from labkit.breakit import BreakItModel, availability_ladder
from labkit.check import workbook
from labkit.model import Architecture, Component
from labkit.structure import compile_structure
from labkit.views import break_it, curve_chart, diagram, nines_chart

EXAMPLES = int(os.environ.get("LABKIT_FUZZ_EXAMPLES", "1500"))
PROMPT_SECONDS = 5.0          # "within a second" with room for a loaded CI machine
SMALL_MEMORY = 256 * 2**20    # bytes a refused or accepted call may allocate at its peak


def assert_names(excinfo, argument, value_text):
    message = str(excinfo.value)
    assert argument in message and value_text in message and "allowed" in message, message


# ------------------------------------------------------------------ hand-picked classes


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), float("inf"), "0.9", True, None,
                                   10**400, -10**400, [0.9], {"a": 1}])
def test_availability_outside_zero_one(value):
    with pytest.raises(LabkitError) as excinfo:
        Architecture("a").add_component("app", value)
    assert "availability" in str(excinfo.value) and "allowed" in str(excinfo.value)


@pytest.mark.parametrize("build, argument", [
    (lambda: Component("x", None), "availability"),
    (lambda: catalog.monolith(app=None), "app"),
    (lambda: catalog.monolith(app=1.5), "app"),
    (lambda: catalog.monolith(db=-1), "db"),
    (lambda: catalog.replicated_monolith(load_balancer=None), "load_balancer"),
    (lambda: catalog.detail_page(widget=None), "widget"),
    (lambda: catalog.detail_page(graceful="yes"), "graceful"),
    (lambda: catalog.cells(router_availability=None), "router_availability"),
    (lambda: catalog.cells(region_availability=2.0), "region_availability"),      # regions=1
    (lambda: catalog.cells(deploy_availability=float("nan")), "deploy_availability"),  # no waves
    (lambda: catalog.cells(shared_database=1), "shared_database"),
    (lambda: catalog.ring_sized(64, 64, 16), "cells_per_region"),
    (lambda: catalog.cells(512, [f"t{i}" for i in range(64)]), "tiers"),
    (lambda: catalog.cells(tiers=["web", "   "]), "tiers"),
    (lambda: catalog.sharded_workers(worker_availability=None), "worker_availability"),
    (lambda: catalog.in_cells(catalog.monolith(), router_availability=None), "router_availability"),
    (lambda: Architecture("a").add_failure_domain("zone", ["x"]), "members"),
    (lambda: Component("x", description=5), "description"),
    (lambda: Component("   "), "name"),
    (lambda: Component("x", kind="group"), "k"),
    (lambda: Architecture("a").add_component("g", kind="group", k=1), "kind"),
    (lambda: labkit.nines(10**400), "availability"),
    (lambda: labkit.series(10**400), "availabilities[0]"),
    (lambda: sharding.customers_per_cell("abc", 4), "customers"),
    (lambda: sharding.customers_per_cell(None, 4), "customers"),
    (lambda: sharding.customers_per_cell(["k"], 10**9), "cells"),
    (lambda: retries.count_calls_to_bottom(10, 12), "layers"),
    (lambda: labkit.sampled_availability(catalog.ring_sized(), samples=10_000_000), "samples"),
    (lambda: sharding.measured_poison_impact(["a", "a"], 8, 2), "customers"),
])
def test_each_argument_is_checked_and_named(build, argument):
    with pytest.raises(LabkitError) as excinfo:
        build()
    assert str(excinfo.value).startswith(f"{argument}="), str(excinfo.value)
    assert "allowed" in str(excinfo.value)


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


def test_duplicates_are_refused():
    arch = Architecture("dup").add_component("a").add_scenario("s", ["a"])
    with pytest.raises(LabkitError) as excinfo:
        arch.add_component("a")
    assert_names(excinfo, "name", "'a'")
    with pytest.raises(LabkitError) as excinfo:
        arch.add_scenario("s", ["a"])   # once silently overwritten
    assert_names(excinfo, "name", "'s'")


def test_empty_architecture():
    with pytest.raises(LabkitError) as excinfo:
        labkit.availability(Architecture("nothing"))
    assert_names(excinfo, "architecture", "'nothing'")


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


def test_groups_have_no_availability_of_their_own():
    arch = catalog.replicated_monolith(3)
    with pytest.raises(LabkitError) as excinfo:
        arch.with_availability({"app tier": 0.5})   # once silently ignored
    assert_names(excinfo, "overrides", "'app tier'")
    with pytest.raises(LabkitError) as excinfo:
        BreakItModel(arch).crash("app tier")
    assert "replica group cannot crash" in str(excinfo.value)


def test_plain_sharding_needs_a_divisor():
    with pytest.raises(LabkitError) as excinfo:
        sharding.shard_count(8, 3, "plain")
    assert_names(excinfo, "shard_size", "3")


def test_both_availability_and_mtbf():
    with pytest.raises(LabkitError):
        labkit.Component("x", 0.9, mtbf=10, mttr=1)


def test_evaluate_refuses_probabilities_outside_zero_one():
    structure = compile_structure(catalog.monolith())
    with pytest.raises(LabkitError):
        structure.evaluate(np.full(len(structure.variables), 1.5))


# ------------------------------------------------------------------------- fuzzing

huge_ints = st.sampled_from([10**9, 10**12, 2**63, 2**64 + 1, 10**400, -10**400, -1, -(2**63)])
hostile = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), huge_ints,
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.5, 2.5, 1e300, -0.0]),
    st.text(max_size=8), st.sampled_from(["", "   ", "x" * 5000, "db", "app", "router"]),
    st.binary(max_size=4),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none()), max_size=4),
    st.tuples(st.integers(), st.floats()),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.floats(), st.none()), max_size=2),
    st.sampled_from([object(), np.nan, np.int64(3), np.float64(0.5), range(10**12),
                     [0.5] * 1000, {"app": 0.5}, {"app": None}, ("a", "a")]),
)


# HotOS 2021's database: 300 QPS, answers in 50 ms (lesson 03).
_HOTOS = Architecture("db").add_component("database", capacity=300.0, latency_ms=50.0)


# A system with work queues, for the probes that read them.
_QUEUED = chaos.System(catalog.ring(2, 2), 1000, seed=1)


def _ring_small():
    return catalog.ring_sized(2, 2, 3)


# Each entry: a public call and arguments that work. The fuzzer replaces one or two of them.
_REPORT = resilience.resilience_report(catalog.monolith(), 0.999)

SMALL_EXPERIMENT = {
    "title": "crash a cell", "description": "one cell of two",
    "steady-state-hypothesis": {"title": "served", "probes": [
        {"type": "probe", "name": "served", "tolerance": [0.4, 1.0],
         "provider": {"type": "python", "module": "labkit.chaos.probes",
                      "func": "success_ratio", "arguments": {"window": 10}}}]},
    "method": [{"type": "action", "name": "crash cell 1", "pauses": {"after": 10},
                "provider": {"type": "python", "module": "labkit.chaos.actions",
                             "func": "crash_cell", "arguments": {"cell": 1}}}],
    "rollbacks": [{"type": "action", "name": "restore", "provider": {
        "type": "python", "module": "labkit.chaos.actions", "func": "restore_all"}}]}

CALLS = [
    ("series", labkit.series, (0.9, 0.99), {}),
    ("parallel", labkit.parallel, (0.9, 0.99), {}),
    ("k_of_n", labkit.k_of_n, (2, 3, 0.99), {}),
    ("availability_from_mtbf", labkit.availability_from_mtbf, (100.0, 1.0), {}),
    ("nines", labkit.nines, (0.999,), {}),
    ("availability_from_nines", labkit.availability_from_nines, (3,), {}),
    ("downtime_per_year", labkit.downtime_per_year, (0.999,), {}),
    ("format_duration", labkit.format_duration, (3600.0,), {}),
    ("format_percent", labkit.format_percent, (0.999,), {}),
    ("nines_table", labkit.nines_table, ([0.99, 0.999],), {}),
    ("availability", labkit.availability, (catalog.monolith(), "buy", {"db": 0.5}), {}),
    ("feature_availability", labkit.feature_availability, (catalog.monolith(), {"db": 0.5}), {}),
    ("request_success_ratio", labkit.request_success_ratio, (catalog.cells(2), {"router": 0.9}), {}),
    ("brute_force_availability", labkit.brute_force_availability, (catalog.monolith(), "buy"), {}),
    ("sampled_availability", labkit.sampled_availability, (catalog.monolith(), "buy", 1000, 1), {}),
    ("single_points_of_failure", labkit.single_points_of_failure, (catalog.monolith(), "buy"), {}),
    ("right_now", labkit.right_now, (catalog.monolith(), ["db"]), {}),
    ("blast_radius", labkit.blast_radius, (catalog.cells(2), ["cell1-app"]), {}),
    ("features_working", labkit.features_working, (catalog.monolith(), ["db"]), {}),
    ("compile_structure", compile_structure, (catalog.monolith(),), {}),
    ("Component", Component, ("x", 0.9), {"kind": "service", "capacity": 10.0, "latency_ms": 1.0,
                                          "description": "d", "pos": (0.0, 1.0)}),
    ("Component mtbf", Component, ("x",), {"mtbf": 10.0, "mttr": 1.0}),
    ("Architecture", Architecture, ("a", "described"), {}),
    ("cells", catalog.cells, (4, ("web", "db")), {"regions": 2, "deploy_waves": 2, "seed": 1,
                                                   "customers": ["c1", "c2", "c3"]}),
    ("monolith", catalog.monolith, (0.9, 0.9, 0.9), {}),
    ("replicated_monolith", catalog.replicated_monolith, (3, 0.9, 0.9, 0.9), {}),
    ("detail_page", catalog.detail_page, (True, 0.9, 0.9, 0.9), {}),
    ("ring_sized", catalog.ring_sized, (2, 2, 3), {}),
    ("sharded_workers", catalog.sharded_workers, (8, 2, "shuffle", 0.9, ["a", "b"], 0, "a"), {}),
    ("in_cells", catalog.in_cells, (catalog.monolith(), 3), {"router_availability": 0.9,
                                                           "features": ["buy"],
                                                           "customer_feature": "buy"}),
    ("detail_page_cells", catalog.detail_page_cells, (2, True), {}),
    ("cell_for", sharding.cell_for, ("k", 4, 0), {}),
    ("cells_for", sharding.cells_for, (["a", "b"], 4, 0), {}),
    ("customers_per_cell", sharding.customers_per_cell, (["a", "b"], 4, 0), {}),
    ("customer_ids", sharding.customer_ids, (10, "c"), {}),
    ("cell_blast_radius", sharding.cell_blast_radius, (8, 1), {}),
    ("static_stability_capacity", sharding.static_stability_capacity, (3, 1), {}),
    ("cells_needed", sharding.cells_needed, (100.0, 10.0, 1), {}),
    ("shard_count", sharding.shard_count, (8, 2, "shuffle"), {}),
    ("all_shards", sharding.all_shards, (8, 2, "shuffle"), {}),
    ("shard_for", sharding.shard_for, ("k", 8, 2, "shuffle", 0), {}),
    ("shard_indexes", sharding.shard_indexes, (["a", "b"], 8, 2, "shuffle", 0), {}),
    ("poison_blast_radius", sharding.poison_blast_radius, (8, 2, "shuffle"), {}),
    ("overlap_distribution", sharding.overlap_distribution, (8, 2), {}),
    ("measured_poison_impact", sharding.measured_poison_impact, (["a", "b", "c"], 8, 2, "shuffle",
                                                                 "a", 0), {}),
    ("retry_amplification", retries.retry_amplification, (3, 5), {}),
    ("count_calls_to_bottom", retries.count_calls_to_bottom, (3, 5), {}),
    ("workbook", workbook, ("01_monolith", ""), {}),
    ("break_it", break_it, (catalog.monolith(), ["buy"]), {}),
    ("diagram", diagram, (catalog.monolith(), {"app": "up"}), {}),
    ("availability_ladder", availability_ladder, (catalog.monolith(), 0.97), {}),
    ("curve_chart", curve_chart, ([{"n": 1, "a": 0.9}], "n", "a"), {}),
    # the simulation layer (issue 7)
    ("simulate", simulation.simulate, (catalog.cells(2), 100), {
        "duration": 20, "step": 1.0, "cell_capacity": 80.0, "overload": "queue", "max_queue": 5.0,
        "timeout": 1.0, "failover": "health check", "detection": 2.0, "seed": 1,
        "faults": [simulation.crash("cell1-app", 5, 5)]}),
    ("simulate fallback", simulation.simulate, (catalog.cells(2), 100), {
        "duration": 10, "fallback": simulation.Fallback(50), "redirect": "fallback",
        "breaker": breaker.hystrix(), "breaker_at": "cell"}),
    ("Retry", simulation.Retry, (3, "full", 0.05, 20.0, 10.0, 0.1), {}),
    ("Fallback", simulation.Fallback, (100.0, "idle", 0.05, 60.0, 0.1, 5.0), {}),
    ("crash", simulation.crash, ("db", 1.0, 2.0), {}),
    ("error_rate", simulation.error_rate, ("db", 0.5, 1.0, 2.0), {}),
    ("added_latency", simulation.added_latency, ("db", 100.0, 1.0, 2.0), {}),
    ("traffic_spike", simulation.traffic_spike, (2.0, 1.0, 2.0, "*"), {}),
    ("network_blip", simulation.network_blip, (1.0, 2.0, "*", "responses"), {}),
    ("poison_request", simulation.poison_request, ("cell1-app", 1.0, 5.0, 60.0), {}),
    ("constant", simulation.constant, (100.0,), {}),
    ("spike", simulation.spike, (2.0, 10.0, 5.0, 1.0), {}),
    ("ramp", simulation.ramp, (1.0, 2.0, 10.0), {}),
    ("rolling_peak", simulation.rolling_peak, (6.0, 100.0, 60.0, 30.0), {}),
    ("ring", catalog.ring, (2, 2), {
        "tiers": ("edge", "api"), "cell_capacity": 1000.0, "tier_availability": 0.999,
        "region_availability": 0.9999, "router_availability": 0.99999, "deploy_waves": 2,
        "clips_per_request": 0.1, "transcode_capacity": 50.0, "transcode_deadline": 60.0,
        "notifications_per_request": 0.1, "notify_capacity": 100.0, "notify_deadline": 5.0}),
    ("ring_request_path", catalog.ring_request_path, (), {
        "routers": 3, "router_availability": 0.9999, "tier_availability": 0.9995,
        "region_availability": 0.9999, "deploy_availability": 0.9999, "fallback": True}),
    ("simulate ring", simulation.simulate, (catalog.ring(2, 2), 1000), {
        "duration": 20, "faults": [simulation.crash("cell1-transcode", 2, 10)]}),
    # architecture files and the resilience report (issue 8); save_architecture is left out:
    # a hostile string like "a.yaml" would write a file into the working directory
    ("load_architecture", archfile.load_architecture, ("my_shop.yaml",), {}),
    ("load_architecture dict", archfile.load_architecture, ({"name": "s", "components": [
        {"name": "web", "availability": 0.999, "capacity": 10.0}],
        "features": [{"name": "f", "requires": ["web"]}]},), {}),
    ("dump_architecture", archfile.dump_architecture, (catalog.monolith(),), {}),
    ("example_path", archfile.example_path, ("my_shop.yaml",), {}),
    ("resilience_report", resilience.resilience_report, (catalog.monolith(), 0.999),
     {"rto": 1.0, "load": 100.0}),
    ("resilience_report targets", resilience.resilience_report,
     (catalog.cells(2), {"cell 1 customers": 0.99}), {}),
    ("resilience_report time_unit", resilience.resilience_report, (catalog.monolith(), 0.999),
     {"rto": 1.0, "time_unit": "min"}),
    ("queue_work", resilience.queue_work, (catalog.ring(2, 2), 1000.0), {}),
    ("request_log", sharding.request_log, (100, 3, 1), {}),
    ("blip_run", simulation.study.blip_run, (_HOTOS, 100.0), {"blip": 5.0}),
    ("metastable_boundary", simulation.study.metastable_boundary, (_HOTOS,),
     {"low": 100.0, "high": 200.0, "resolution": 50.0}),
    ("blip_sweep", simulation.study.blip_sweep, (_HOTOS, [100.0, 150.0]), {"blip": 5.0}),
    ("offered_after_blip", simulation.study.offered_after_blip,
     (simulation.study.blip_run(_HOTOS, 100.0, blip=5.0),), {}),
    ("demand", resilience.demand, (catalog.ring(2, 2), 1000.0), {}),
    ("open_spells", breaker.open_spells, (simulation.simulate(
        catalog.cells(2), 100, duration=20, breaker=breaker.hystrix(),
        faults=[simulation.crash("cell1-db", 2, 10)]),), {"link": 0}),
    ("system_fingerprint", rare_events.system_fingerprint, (catalog.ring_request_path(),),
     {"feature": "request served"}),
    ("routing_impact", sharding.routing_impact, (["a", "b", "a"], [0, 1, 0], 4, "a"), {}),
    ("sharded_workers of one", catalog.sharded_workers, (4, 1), {"scheme": "shuffle"}),
    ("replica_share", catalog.replicated_monolith(3).replica_share, ("app-1",),
     {"up": {"app-2": False}}),
    ("load_shares", catalog.replicated_monolith(3).load_shares, (["lb"],),
     {"up": {"app-2": False}}),
    ("apply", resilience.apply, (catalog.monolith(), _REPORT.recommendations[0]), {}),
    ("report_table", report_table, (_REPORT, "features"), {}),
    ("report_chart", report_chart, (_REPORT,), {"width": 300}),
    # six nines with evidence (issue 8)
    ("rare_unavailability", rare_events.rare_unavailability, (catalog.ring_request_path(),),
     {"feature": "request served", "samples": 2_000, "seed": 1, "method": "importance",
      "confidence": 0.95}),
    ("crude_unavailability", rare_events.crude_unavailability, (catalog.monolith(),),
     {"feature": None, "samples": 2_000, "seed": 1, "confidence": 0.9}),
    ("zero_failure_upper_bound", rare_events.zero_failure_upper_bound, (1_000_000, 0.95), {}),
    ("rule_of_three", rare_events.rule_of_three, (1_000,), {}),
    ("requests_needed_for", rare_events.requests_needed_for, (0.999999, 0.95), {}),
    # the experiments layer (issue 8)
    ("chaos.System", chaos.System, (catalog.cells(2), 100), {
        "seed": 1, "step": 1.0, "start": 10.0, "horizon": 600.0, "cell_capacity": 80.0,
        "failover": "health check"}),
    ("chaos.run_experiment", chaos.run_experiment,
     (SMALL_EXPERIMENT, chaos.System(catalog.cells(2), 100, start=10)), {"rollbacks": "always"}),
    ("chaos.validate_experiment", chaos.validate_experiment,
     (SMALL_EXPERIMENT, chaos.System(catalog.cells(2), 100, start=10)), {}),
    ("chaos.load_experiment", chaos.load_experiment,
     ('{"title": "t", "description": "d", "method": []}',), {}),
    ("chaos.example_path", chaos.example_path, ("cell_crash",), {}),
    # probes of the event-driven queues (issue 12): a window and the system's configuration
    ("probes.work_on_time", chaos.probes.work_on_time, (60.0,),
     {"configuration": _QUEUED.configuration}),
    ("probes.work_backlog", chaos.probes.work_backlog, (), {"configuration": _QUEUED.configuration}),
    ("probes.oldest_work_age", chaos.probes.oldest_work_age, (),
     {"configuration": _QUEUED.configuration}),
    ("StackRun.peak_calls_per_s", simulation.simulate_stack(100, duration=10, layers=3).peak_calls_per_s,
     ("layer2",), {}),
    ("simulate_stack", simulation.simulate_stack, (100,), {
        "duration": 10, "layers": 3, "retry": simulation.Retry(3), "retrying": "every layer",
        "capacity": 500.0, "step": 0.5, "faults": [simulation.crash("layer3", 2, 3)],
        "arrivals": "poisson", "seed": 1}),
    ("time_up", simulation.time_up, (catalog.monolith(), 1e5, 600.0, 1), {}),
    ("sleep_for", backoff.sleep_for, ("full", 2, 0.005, 2.0, 1), {}),
    ("backoff_delays", backoff.backoff_delays, ("equal", 3, 0.005, 2.0, 1), {}),
    ("delay_distribution", backoff.delay_distribution, ("full", 1, 0.1, 5.0, 0.1, 60), {}),
    ("occ_experiment", backoff.occ_experiment, ("full", 10), {"runs": 2, "seed": 1}),
    ("BreakerConfig", breaker.BreakerConfig, (0.5, "count", 10, 10, 5.0, 2), {}),
    ("CircuitBreaker", breaker.CircuitBreaker, (breaker.resilience4j(),), {}),
    ("BreakerBank", breaker.BreakerBank, (breaker.hystrix(), 3), {}),
    ("simulate_it", views.simulate_it, (catalog.cells(2), 100), {"duration": 20}),
    ("nines_chart", nines_chart, ([{"architecture": "x", "nines": 3.0}],), {}),
]


def _call_with(entry, replacements: dict):
    _, fn, args, kwargs = entry
    args, kwargs = list(args), dict(kwargs)
    for slot, value in replacements.items():
        if isinstance(slot, int):
            args[slot] = value
        else:
            kwargs[slot] = value
    return fn(*args, **kwargs)


def _slots(entry):
    _, _, args, kwargs = entry
    return list(range(len(args))) + list(kwargs)


@pytest.mark.parametrize("entry", CALLS, ids=[c[0] for c in CALLS])
def test_valid_arguments_work(entry):
    # The fuzzer's baseline: unchanged, every call succeeds (so a refusal below is the
    # hostile value's doing).
    _call_with(entry, {})


@contextlib.contextmanager
def address_space_limit(extra_bytes: int = 3 * 2**30):
    """Let the test process grow by at most ``extra_bytes`` while the block runs.

    A hostile input that makes labkit allocate without bound then fails with MemoryError
    (an escape the test reports) instead of taking the machine's memory with it.
    """
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[0])
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = pages * resource.getpagesize() + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _refuses_cleanly(run):
    with address_space_limit():
        _measured(run)


def _measured(run):
    tracemalloc.start()
    start = time.perf_counter()
    result = None
    try:
        result = run()
    except LabkitError as exc:
        message = str(exc)
        assert "=" in message and "is not allowed:" in message, message
    finally:
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert seconds < PROMPT_SECONDS, f"took {seconds:.1f} s"
    assert peak < SMALL_MEMORY, f"allocated {peak / 2**20:.0f} MiB"
    return result


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_public_functions_raise_only_labkit_errors(data):
    entry = data.draw(st.sampled_from(CALLS), label="call")
    slots = _slots(entry)
    chosen = data.draw(st.lists(st.sampled_from(slots), min_size=1, max_size=2, unique=True),
                       label="arguments replaced")
    replacements = {slot: data.draw(hostile, label=f"argument {slot}") for slot in chosen}
    _refuses_cleanly(lambda: _call_with(entry, replacements))


# Builder methods of Architecture: refuse, and leave it untouched, or succeed.
BUILDERS = [
    ("add_component", ("new", 0.9), {"kind": "service"}),
    ("add_dependency", ("app", "db", "soft"), {}),
    ("add_dependencies", ("app", ["db"], "soft"), {}),
    ("add_group", ("g", ["app", "db"], 1), {}),
    ("add_failure_domain", ("zone", ["app", "db"], 0.99), {}),
    ("add_feature", ("f", ["app"], "d"), {}),
    ("set_partitions", ({"buy": 1.0},), {}),
    ("add_scenario", ("s", ["db"], "d"), {}),
    ("add_queue", ("app", "db"), {"deadline": 30.0, "per_request": 0.5}),
    ("with_availability", ({"db": 0.5},), {}),
    ("dependencies", ("app", "hard"), {}),
    ("feature", ("buy",), {}),
]


def fingerprint(arch: Architecture):
    return (arch.version, list(arch.graph.nodes(data=True)), list(arch.graph.edges(data=True)),
            dict(arch.features), dict(arch.partitions), dict(arch.scenarios))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_refused_builder_calls_change_nothing(data):
    arch = catalog.monolith()
    name, args, kwargs = data.draw(st.sampled_from(BUILDERS), label="builder")
    slots = list(range(len(args))) + list(kwargs)
    chosen = data.draw(st.lists(st.sampled_from(slots), min_size=1, max_size=2, unique=True))
    args, kwargs = list(args), dict(kwargs)
    for slot in chosen:
        value = data.draw(hostile, label=f"argument {slot}")
        if isinstance(slot, int):
            args[slot] = value
        else:
            kwargs[slot] = value
    before = fingerprint(arch)
    try:
        with address_space_limit():
            getattr(arch, name)(*args, **kwargs)
    except LabkitError:
        assert fingerprint(arch) == before, f"a refused {name} changed the architecture"


@settings(max_examples=max(200, EXAMPLES // 5), deadline=None)
@given(hostile, hostile)
def test_panel_actions_raise_only_labkit_errors(a, b):
    model = BreakItModel(catalog.replicated_monolith(2))
    with address_space_limit():
        _try_actions(model, a, b)
    results = model.results()
    assert all(0.0 <= r.availability <= 1.0 for r in results.features.values())
    assert 0.0 <= results.request_success_ratio <= 1.0
    assert not math.isnan(results.blast_radius)


def _try_actions(model, a, b):
    for action in (lambda: model.crash(a), lambda: model.toggle(a), lambda: model.apply_scenario(a),
                   lambda: model.set_availability(a, b), lambda: model.set_availability("db", a),
                   lambda: model.set_crashed(a), lambda: model.restore(a),
                   lambda: model.availability_of(a)):
        try:
            action()
        except LabkitError:
            pass


@settings(max_examples=max(200, EXAMPLES // 5), deadline=None)
@given(st.sampled_from(["chain availability", "fewest replicas for three nines", "lift the ceiling",
                        "single points of failure", "deploy in waves"]), hostile)
def test_a_learners_answer_never_raises(name, answer):
    # A check answers any answer with right or wrong and a hint; only the exercise name is
    # validated.
    with address_space_limit():
        result = _measured(lambda: workbook("01_monolith").check(name, answer))
    assert result.passed in (True, False)
