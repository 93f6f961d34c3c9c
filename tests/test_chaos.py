"""Experiments in Chaos Toolkit's format, run by chaostoolkit-lib against a simulated system.

What is checked: the steady-state hypothesis holds without a fault and deviates with a cell
crash when its tolerance demands it; stop conditions halt the method at the moment they are
crossed, and the rollbacks still run; pauses and waits are simulated time; the same seed
gives the same result; nothing touches the network, sleeps or reads ~/.chaostoolkit; bad
experiments (hand-picked and generated) are refused with a LabkitError naming the field.
"""

from __future__ import annotations

import copy
import json
import re
import socket
import threading

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from labkit import LabkitError, catalog
from labkit.chaos import (ExperimentResult, System, actions, example_path, examples, fis_mapping,
                          load_experiment, probes, run_experiment, validate_experiment)
from labkit.chaos.controls import arm, watch
from labkit.simulation import crash, simulate, traffic_spike, added_latency, Retry
from labkit.breaker import BreakerConfig

from strategies import architectures

# ------------------------------------------------------------------------- helpers


def four_cells(**settings) -> System:
    """4 cells of 400 req/s under 1,000 req/s: each cell carries a quarter of customers."""
    return System(catalog.cells(4), 1000, cell_capacity=400, seed=1, **settings)


def probe(func, tolerance=None, name=None, pauses=None, **arguments) -> dict:
    activity = {"type": "probe", "name": name or func,
                "provider": {"type": "python", "module": "labkit.chaos.probes", "func": func,
                             "arguments": arguments}}
    if tolerance is not None:
        activity["tolerance"] = tolerance
    if pauses:
        activity["pauses"] = pauses
    return activity


def action(func, name=None, pauses=None, **arguments) -> dict:
    activity = {"type": "action", "name": name or func,
                "provider": {"type": "python", "module": "labkit.chaos.actions", "func": func,
                             "arguments": arguments}}
    if pauses:
        activity["pauses"] = pauses
    return activity


def experiment(method, hypothesis=(), rollbacks=(), stop=None, **extra) -> dict:
    exp = {"title": "test", "description": "a test experiment", "method": list(method), **extra}
    if hypothesis:
        exp["steady-state-hypothesis"] = {"title": "served", "probes": list(hypothesis)}
    if rollbacks:
        exp["rollbacks"] = list(rollbacks)
    if stop is not None:
        exp["controls"] = [{"name": "stop conditions", "provider": {
            "type": "python", "module": "labkit.chaos.controls", "arguments": {"probes": stop}}}]
    return exp


SERVED = probe("success_ratio", {"type": "range", "range": [0.99, 1.0]}, "served", window=60)


# ------------------------------------------------------------ hypothesis and method


def test_hypothesis_holds_without_a_fault():
    result = run_experiment(experiment([action("wait", seconds=120)], [SERVED]), four_cells())
    assert result.status == "completed" and not result.deviated
    assert result.held_before and result.held_after
    assert result.after[0].value > 0.999
    assert (result.start, result.end) == (60.0, 180.0)


def test_a_cell_crash_deviates_when_the_tolerance_demands_it():
    crash_two = action("crash_cell", cell=2, pauses={"after": 120})
    result = run_experiment(experiment([crash_two], [SERVED]), four_cells())
    assert result.status == "completed" and result.deviated
    assert result.held_before is True and result.held_after is False
    assert result.after[0].value == pytest.approx(0.75, abs=0.02)   # a quarter of customers
    assert result.after[0].met is False and result.after[0].at == 180.0
    # A tolerance that expects a quarter of customers to fail holds.
    lenient = probe("success_ratio", [0.7, 1.0], window=60)
    assert not run_experiment(experiment([crash_two], [lenient]), four_cells()).deviated


def test_the_blast_radius_is_one_cell():
    method = [action("crash_cell", cell=2, pauses={"after": 60}),
              probe("cell_success_ratio", cell=1, window=60),
              probe("cell_success_ratio", cell=2, window=60), probe("cells_down")]
    values = [a["value"] for a in run_experiment(experiment(method), four_cells()).activities]
    assert values[1:] == [1.0, 0.0, 1]


def test_health_checks_move_customers_and_the_steady_state_holds_again():
    crash_two = action("crash_cell", cell=2, pauses={"after": 120})
    result = run_experiment(experiment([crash_two], [SERVED]), four_cells(failover="health check"))
    assert result.held_after and not result.deviated


def test_steady_state_not_met_before_means_no_method():
    overloaded = System(catalog.cells(4), 1000, cell_capacity=200, seed=1)   # sheds 20 %
    result = run_experiment(experiment([action("crash_cell", cell=1)], [SERVED],
                                       [action("restore_all")]), overloaded)
    assert result.held_before is False and result.after is None
    assert result.activities == [] and "not met before" in result.summary
    assert [r["status"] for r in result.rollbacks] == ["succeeded"]


# ------------------------------------------------------------------- stop conditions


def _guardrail(frequency=None, low=0.9, window=30):
    condition = probe("success_ratio", {"type": "range", "range": [low, 1.0]}, "served",
                      window=window)
    if frequency is not None:
        condition["frequency"] = frequency
    return [condition]


def _crossing(schedule, low=0.9, window=30, start=60.0, until=700.0, every=1.0):
    """When a fresh system with these faults first measures a success ratio below ``low``."""
    system = four_cells()
    for target in schedule:
        system.inject("crash", target, source="test")
    system.advance(until - system.now)
    t = start
    while t <= until:
        with system.as_of(t):
            if probes.success_ratio(window, configuration=system.configuration) < low:
                return t
        t += every
    return None


def test_a_stop_condition_halts_the_method_when_crossed_and_rollbacks_run():
    method = [action("crash_cell", cell=2), action("wait", seconds=600),
              action("crash_cell", cell=3), action("wait", seconds=600)]
    result = run_experiment(experiment(method, [SERVED], [action("restore_all")],
                                       stop=_guardrail()), four_cells())
    assert result.status == "interrupted" and result.halted is not None
    # Watched every simulated step, inside the wait: halted where a replay first crosses.
    expected = _crossing(["cell2-web", "cell2-app", "cell2-db"])
    assert result.halted.at == expected and 60 < expected < 660
    assert result.halted.value < 0.9 and "served" in result.summary
    # Mid-method: the second crash never ran; the wait was cut at the halt.
    assert [a["func"] for a in result.activities] == ["crash_cell", "wait"]
    assert result.activities[1]["until"] == expected
    assert result.after is None                              # no hypothesis after a halt
    # The rollback ran at the halt time and ended the crash there.
    assert [r["status"] for r in result.rollbacks] == ["succeeded"]
    assert result.rollbacks[0]["simulated time"] == expected
    assert {f["until"] for f in result.faults} == {expected}
    assert result.end == expected and len(result.timeline.times) == expected


def test_a_stop_condition_checked_every_minute_halts_on_the_minute():
    method = [action("crash_cell", cell=2), action("wait", seconds=600)]
    result = run_experiment(experiment(method, stop=_guardrail(frequency=60)), four_cells())
    assert result.halted.at == 120.0       # checks at 60 (fine), 120 (crossed)


def test_a_stop_condition_already_crossed_stops_the_method_before_it_starts():
    overloaded = System(catalog.cells(4), 1000, cell_capacity=200, seed=1)
    result = run_experiment(experiment([action("crash_cell", cell=1)], stop=_guardrail()),
                            overloaded)
    assert result.status == "interrupted" and result.halted.at == 60.0
    assert result.activities == [] and result.faults == []


def test_a_stop_condition_that_holds_lets_the_experiment_complete():
    method = [action("crash_cell", cell=2), action("wait", seconds=300)]
    result = run_experiment(experiment(method, stop=_guardrail(low=0.5)), four_cells())
    assert result.status == "completed" and result.halted is None and result.end == 360.0


def test_rollback_strategies():
    method = [action("crash_cell", cell=2), action("wait", seconds=600)]
    exp = experiment(method, rollbacks=[action("restore_cell", cell=2)], stop=_guardrail())
    default = run_experiment(exp, four_cells(), rollbacks="default")
    assert default.status == "interrupted" and default.rollbacks == []
    assert {f["until"] for f in default.faults} == {None}       # still in effect
    never = run_experiment(experiment(method[:1], rollbacks=[action("restore_all")]),
                           four_cells(), rollbacks="never")
    assert never.rollbacks == []
    with pytest.raises(LabkitError) as excinfo:
        run_experiment(exp, four_cells(), rollbacks="sometimes")
    assert "rollbacks='sometimes'" in str(excinfo.value)


def test_watch_outside_an_experiment():
    system = four_cells()
    arm(system, [{"name": "served", "func": "success_ratio", "arguments": {"window": 30},
                  "tolerance": [0.9, 1.0], "frequency": 1.0}])
    system.inject("crash", "cell1-app")
    system.advance(20)
    assert watch(system, system.configuration, until=70.0) is None
    halt = watch(system, system.configuration)
    assert halt is None or halt.at <= 80.0


def _broken_when_measuring(monkeypatch):
    real = probes.success_ratio

    def broken(window=60.0, configuration=None):
        if not configuration["labkit_system"].dry:      # checking an experiment still works
            raise RuntimeError("the metrics store is down")
        return real(window, configuration=configuration)

    monkeypatch.setattr(probes, "success_ratio", broken)


def test_a_probe_that_fails_fails_the_experiment(monkeypatch):
    _broken_when_measuring(monkeypatch)
    result = run_experiment(experiment([action("wait", seconds=10)], [SERVED],
                                       [action("restore_all")]), four_cells())
    assert result.status == "failed" and result.activities == []
    assert result.before[0].error == "RuntimeError: the metrics store is down"
    assert "failed: a probe could not measure" in result.summary
    assert result.rollbacks[0]["status"] == "succeeded"


def test_a_stop_condition_that_cannot_be_read_halts(monkeypatch):
    _broken_when_measuring(monkeypatch)
    result = run_experiment(experiment([action("wait", seconds=10)], stop=_guardrail()),
                            four_cells())
    assert result.status == "interrupted" and result.halted.at == 60.0
    assert "could not be evaluated" in str(result.halted)


# -------------------------------------------------------------------------- rollbacks


def test_rollbacks_end_faults_at_the_time_they_run():
    method = [action("crash", component="cell1-app"), action("added_latency", component="cell3-web",
                                                             ms=200, duration=30),
              action("wait", seconds=100)]
    result = run_experiment(experiment(method, rollbacks=[action("restore", target="cell1-app",
                                                                 pauses={"before": 20})]),
                            four_cells())
    faults = {f["fault"]: f for f in result.faults}
    assert faults["crash"]["until"] == 180.0               # 60 + 100 s wait + 20 s pause
    assert faults["latency"]["until"] == 90.0              # its own duration
    assert result.rollbacks[0]["value"]["ended"][0]["target"] == "cell1-app"
    run = result.timeline
    assert not run.cell_up[100, 0] and run.cell_up[179, 0] == False  # noqa: E712
    assert len(run.times) == 180


def test_restoring_what_is_not_broken_is_harmless():
    result = run_experiment(experiment([], rollbacks=[action("restore", target="router"),
                                                      action("restore_all")]), four_cells())
    assert [r["value"]["ended"] for r in result.rollbacks] == [[], []]


# --------------------------------------------------------------------- simulated time


def test_pauses_and_waits_are_simulated_time(monkeypatch):
    import time

    def no_sleep(seconds):
        raise AssertionError(f"slept {seconds} s of real time")

    monkeypatch.setattr(time, "sleep", no_sleep)
    method = [action("crash_cell", cell=1, duration=600, pauses={"before": 600, "after": 3000}),
              probe("cells_down", pauses={"after": 60})]
    result = run_experiment(experiment(method, [SERVED]), four_cells())
    stamps = [(a["simulated time"], a["until"]) for a in result.activities]
    assert stamps == [(660.0, 3660.0), (3660.0, 3720.0)]
    assert result.faults[0]["from"] == 660.0 and result.faults[0]["until"] == 1260.0
    assert result.end == 3720.0 and result.seconds < 5.0


def test_each_schedule_is_simulated_only_as_far_as_it_holds():
    # Before the crash at 60 s only 60 s need simulating; after it, to the end (180 s).
    system = four_cells()
    run_experiment(example_path("cell_crash"), system)
    assert sorted(len(run.times) for _, _, run in system._runs) == [61, 181]


def test_pauses_can_come_from_the_configuration():
    exp = experiment([action("wait", seconds=10, pauses={"after": "${soak}"})],
                     configuration={"soak": 50})
    assert run_experiment(exp, four_cells()).end == 120.0


def test_same_seed_same_result():
    exp = load_experiment(example_path("cell_crash"))
    first, second = (run_experiment(exp, four_cells()) for _ in range(2))
    outputs = lambda r: [(a["activity"], a["value"]) for a in r.activities + r.rollbacks]  # noqa: E731
    assert outputs(first) == outputs(second)
    assert [c.value for c in first.after] == [c.value for c in second.after]
    assert np.array_equal(first.timeline.good, second.timeline.good)
    other = run_experiment(exp, System(catalog.cells(4), 1000, cell_capacity=400, seed=2))
    assert other.after[0].value != first.after[0].value


def test_the_past_never_changes():
    # The design relies on it: a run simulated later, with more faults after `now`, or a
    # shorter one, agrees with every step already measured.
    arch = catalog.cells(4, regions=2)
    options = dict(cell_capacity=300, seed=3, retry=Retry(3, "full"), failover="health check",
                   overload="queue")
    early = [crash("cell1-app", 50, 100)]
    later = early + [traffic_spike(3, 300, 100), added_latency("region2", 500, 400, 50)]
    a = simulate(arch, 1000, duration=600, faults=early, **options)
    b = simulate(arch, 1000, duration=600, faults=later, **options)
    c = simulate(arch, 1000, duration=300, faults=early, **options)
    for name in ("good", "new", "retries", "errors", "shed", "queued", "cell_up"):
        assert np.array_equal(getattr(a, name)[:300], getattr(b, name)[:300]), name
        assert np.array_equal(getattr(a, name)[:300], getattr(c, name)), name
    # And in a System: a measurement replayed after more faults gives the same number.
    system = four_cells()
    system.inject("crash", "cell2-app")
    system.advance(100)
    before = probes.success_ratio(60, configuration=system.configuration)
    system.inject("crash", "cell3-app")
    system.advance(100)
    with system.as_of(160.0):
        assert probes.success_ratio(60, configuration=system.configuration) == before


# ------------------------------------------------------------- offline, quiet, alone


def test_nothing_touches_the_network_or_the_users_settings(monkeypatch):
    import chaoslib.settings

    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("the network is blocked in this test")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(chaoslib.settings, "load_settings", refuse)
    system = System(catalog.cells(6, regions=3), 1200, cell_capacity=300, seed=1,
                    failover="health check")
    result = run_experiment(example_path("az_power_interruption"), system)
    assert result.status == "completed" and attempts == []


def test_chaoslib_log_is_kept_not_printed(capsys):
    result = run_experiment(example_path("cell_crash"), four_cells())
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert any("Rollback: restore the cell" in line for line in result.log)


def test_runs_off_the_main_thread():
    out = {}
    thread = threading.Thread(target=lambda: out.update(
        result=run_experiment(example_path("cell_crash"), four_cells())))
    thread.start()
    thread.join()
    assert out["result"].deviated


# --------------------------------------------------------------------- the result


def test_the_journal_is_chaoslibs_and_serialisable():
    exp = load_experiment(example_path("cell_crash"))
    result = run_experiment(exp, four_cells())
    journal = result.journal
    assert journal["experiment"] == exp and journal["status"] == result.status
    assert {"chaoslib-version", "steady_states", "run", "rollbacks", "deviated"} <= set(journal)
    assert journal["run"][0]["simulated_time"] == {"start": 60.0, "end": 180.0}
    json.dumps(journal)


def test_summary_table_and_html():
    result = run_experiment(example_path("cell_crash"), four_cells())
    assert "\n" not in result.summary and result.summary.startswith("Losing one cell")
    assert str(result) == result.summary and isinstance(result, ExperimentResult)
    rows = result.table()
    assert [r["phase"] for r in rows] == (["hypothesis before"] * 2 + ["method"] * 2
                                          + ["hypothesis after"] * 2 + ["rollbacks"])
    assert rows[5]["status"] == "not checked"          # chaostoolkit stops at the first miss
    page = result._repr_html_()
    assert "<table>" in page and "still in effect" not in page and "cell2-app" in page
    hostile = experiment([], title="<script>alert(1)</script>")
    assert "<script>" not in run_experiment(hostile, four_cells())._repr_html_()


def test_the_timeline_draws():
    from labkit.views.timeline import timeline_chart

    result = run_experiment(example_path("cell_crash"), four_cells())
    assert timeline_chart(result.timeline).to_dict()["vconcat"]


def test_fis_mapping_covers_every_part_and_action():
    rows = fis_mapping()
    assert all(set(r) == {"Chaos Toolkit", "labkit", "AWS FIS", "note"} for r in rows)
    named = {r["labkit"] for r in rows}
    assert {f"actions.{name}" for name in actions.ACTIONS} <= named
    text = json.dumps(rows)
    for part in ("stop conditions", "rollbacks", "steady-state-hypothesis", "targets",
                 "AZ Availability: Power Interruption"):
        assert part in text


# ------------------------------------------------------------------------ examples


def test_examples_ship_and_validate():
    assert set(examples()) >= {"cell_crash", "az_power_interruption"}
    regions = System(catalog.cells(6, regions=3), 1200, cell_capacity=300)
    validate_experiment(example_path("az_power_interruption"), regions)
    validate_experiment(example_path("cell_crash"), four_cells())
    with pytest.raises(LabkitError) as excinfo:
        validate_experiment(example_path("az_power_interruption"), four_cells())
    assert "method[0].provider.arguments.zone='region1'" in str(excinfo.value)


def test_az_power_interruption_holds_with_failover_and_halts_without():
    regions = dict(cell_capacity=300, seed=1)
    ok = run_experiment(example_path("az_power_interruption"),
                        System(catalog.cells(6, regions=3), 1200, failover="health check", **regions))
    assert ok.status == "completed" and ok.held_after and ok.end == 3660.0
    outage, recovery = ok.faults
    assert (outage["fault"], outage["target"], outage["from"], outage["until"]) == \
        ("crash", "region1", 60.0, 1860.0)
    assert (recovery["fault"], recovery["amount"], recovery["from"], recovery["until"]) == \
        ("latency", 100.0, 1860.0, 3660.0)
    assert ok.activities[2]["value"] == 2                       # two cells in the zone
    assert ok.after[1].value >= 100.0                           # still slow while recovering
    halted = run_experiment(example_path("az_power_interruption"),
                            System(catalog.cells(6, regions=3), 1200, **regions))
    assert halted.status == "interrupted" and halted.halted.at <= 120.0
    assert halted.rollbacks[0]["value"]["ended"]                # the zone was restored


# ------------------------------------------- the loop on an architecture of your own


def _own_file(name="photo site"):
    """A learner's own file, as in issue 12: a load balancer, two app servers in two zones
    (400 req/s each, for a peak of 600), a database."""
    from labkit.archfile import load_architecture
    return load_architecture(f"""
name: {name}
components:
  - {{name: lb, kind: load balancer, capacity: 5000}}
  - {{name: app-a, availability: 0.999, capacity: 400}}
  - {{name: app-b, availability: 0.999, capacity: 400}}
  - {{name: db, kind: database, availability: 0.9995, capacity: 2000}}
groups:
  - {{name: app servers, members: [app-a, app-b]}}
failure_domains:
  - {{name: zone-a, members: [app-a]}}
  - {{name: zone-b, members: [app-b]}}
dependencies:
  - {{from: lb, to: app servers}}
  - {{from: app-a, to: db}}
  - {{from: app-b, to: db}}
features:
  - {{name: view photos, requires: [lb]}}
""")


def test_summary_title_comes_from_the_file(tmp_path):
    # Issue 12: every summary was titled "My shop loses its zone..." whatever the file said.
    path = tmp_path / "mine.yaml"
    exp = load_experiment(example_path("zone_outage"))
    exp["title"] = "The photo site loses zone-b at the evening peak"
    exp["configuration"]["zone"] = "zone-b"
    path.write_text(yaml.safe_dump(exp, sort_keys=False))
    result = run_experiment(path, System(_own_file(), 600, seed=1))
    assert result.title == "The photo site loses zone-b at the evening peak"
    assert result.summary.startswith("The photo site loses zone-b at the evening peak: ")
    assert "My shop" not in result.summary and "my shop" not in result.summary


def test_title_names_the_architecture_and_the_target_from_the_configuration():
    exp = load_experiment(example_path("component_crash"))
    exp["configuration"]["component"] = "app-a"
    result = run_experiment(exp, System(_own_file("pixel barn"), 600, seed=1, arrivals="fluid"))
    assert result.title == "pixel barn loses app-a at the peak"
    assert result.summary.startswith("pixel barn loses app-a at the peak: ")
    # The journal keeps the experiment as written (chaostoolkit's record of the plan).
    assert result.journal["experiment"]["title"] == "${architecture} loses ${component} at the peak"
    own = dict(exp, configuration={"component": "app-a", "architecture": "our photos"})
    assert run_experiment(own, System(_own_file(), 600, seed=1)).title == "our photos loses app-a at the peak"


def test_a_title_naming_a_value_the_configuration_lacks_is_refused():
    exp = load_experiment(example_path("zone_outage"))
    exp["title"] = "${architecture} loses ${zon} at the peak"
    with pytest.raises(LabkitError) as excinfo:
        validate_experiment(exp, System(_own_file(), 600, seed=1))
    assert "title=" in str(excinfo.value) and "${zon}" in str(excinfo.value)
    assert "did you mean 'zone'?" in str(excinfo.value)


def test_component_crash_confirms_a_headroom_recommendation():
    # Issue 12: the recipe had no experiment for a headroom recommendation. The report says
    # losing one app server leaves 400 req/s for a peak of 600; the component crash shows
    # it (deviates), the recommendation is applied, and the same experiment holds.
    from labkit.report import apply, resilience_report
    site = _own_file()
    report = resilience_report(site, 0.999, load=600)
    top = report.recommendations[0]
    assert top.action == "add headroom" and top.target == "app servers"
    exp = load_experiment(example_path("component_crash"))
    exp["configuration"]["component"] = "app-a"
    # The shipped stop condition (80 %) would halt on this expected harm (a third lost):
    # the recipe lowers it to sit between the harm expected and a total outage.
    exp["controls"][0]["provider"]["arguments"]["probes"][0]["tolerance"]["range"] = [0.5, 1.0]
    before = run_experiment(exp, System(site, 600, seed=1, arrivals="fluid"))
    assert before.status == "completed" and before.deviated
    assert before.after[0].value == pytest.approx(400 / 600)
    assert not [f for f in before.faults if f["until"] is None]        # the rollback restarted it
    after = run_experiment(exp, System(apply(site, top), 600, seed=1, arrivals="fluid"))
    assert after.status == "completed" and not after.deviated and after.held_after
    shipped = run_experiment(example_path("component_crash"),
                             System(load_architecture_example(), 1000, seed=1, arrivals="fluid"))
    assert shipped.title == "my shop loses api at the peak"


def load_architecture_example():
    from labkit.archfile import load_architecture
    return load_architecture("my_shop.yaml")


def test_zone_outage_confirms_a_zone_replica():
    from labkit.report import apply, resilience_report
    shop = load_architecture_example()
    zone = next(r for r in resilience_report(shop, 0.9999).recommendations
                if r.target == "zone-a")
    fast = dict(arrivals="fluid", seed=1)
    shop_at_800 = run_experiment(example_path("zone_outage"), System(shop, 800, **fast))
    assert shop_at_800.deviated and shop_at_800.after[0].value == 0.0
    replicated = run_experiment(example_path("zone_outage"), System(apply(shop, zone), 800, **fast))
    assert replicated.status == "completed" and replicated.held_after


def _photo_site(thumbnailer=None):
    """labkit's photo_site.yaml; ``thumbnailer``: its worker's items per second instead of 45."""
    from labkit.archfile import example_path as file_of, load_architecture
    text = file_of("photo_site.yaml").read_text()
    if thumbnailer is not None:
        assert text.count("capacity: 45") == 1
        text = text.replace("capacity: 45", f"capacity: {thumbnailer}")
    return load_architecture(text)


def _worker_day(restart=None):
    exp = load_experiment(example_path("consumer_crash"))
    if restart is not None:
        exp["method"][0]["pauses"]["after"] = restart
    return exp


def test_consumer_crash_asks_whether_the_worker_recovers_not_only_whether_it_absorbs():
    # Second learner read, items 8-9: the shipped experiment checked its hypothesis before
    # the rollback (absorbing only) and its stop condition watched the success ratio, which
    # a worker's crash never moves. The method now restarts the worker and gives it time to
    # catch up before the check; the stop condition watches the oldest item's wait.
    exp = _worker_day()
    funcs = [step["provider"]["func"] for step in exp["method"]]
    assert funcs == ["crash", "oldest_work_age", "restore"]
    assert exp["method"][-1]["pauses"]["after"] >= 60             # time to catch up
    stop = exp["controls"][0]["provider"]["arguments"]["probes"][0]
    assert stop["provider"]["func"] == "oldest_work_age"
    deadline = 600                                                 # photo_site.yaml's queues
    assert 0 < stop["tolerance"]["range"][1] < deadline
    result = run_experiment(exp, System(_photo_site(), 600, seed=7, arrivals="fluid"))
    assert result.status == "completed" and not result.deviated and result.held_after
    came_back = next(a["value"] for a in result.activities if a["func"] == "oldest_work_age")
    assert came_back == pytest.approx(119, abs=1)                # waited through the crash ...
    assert result.after[1].value == 0                              # ... and caught up after it
    assert [(f["target"], f["from"], f["until"]) for f in result.faults] == [("thumbnailer", 60, 180)]
    assert (result.start, result.end) == (60, 480)


@pytest.mark.parametrize("capacity, after", [(31, 109), (25, 179)])
def test_consumer_crash_finds_a_worker_without_room_to_catch_up(capacity, after):
    # Item 7: the simulation starts with an empty queue and checks the hypothesis first at
    # 60 s, so a worker with too little spare capacity (or none) passes the check before;
    # the check after its restart catches it. 31 items/s for 30 drains two minutes' work
    # in an hour.
    result = run_experiment(_worker_day(), System(_photo_site(capacity), 600, seed=7, arrivals="fluid"))
    assert result.held_before and result.deviated
    assert result.after[0].value == 1.0                            # customers never noticed
    assert result.after[1].value == pytest.approx(after, abs=1)
    # Starting the clock later lets a backlog show before the fault is injected.
    later = run_experiment(_worker_day(), System(_photo_site(25), 600, seed=7, arrivals="fluid", start=600))
    assert later.held_before is False and not later.activities
    on_time = run_experiment(_worker_day(), System(_photo_site(), 600, seed=7, arrivals="fluid", start=600))
    assert on_time.held_after


def test_consumer_crash_halts_a_restart_as_long_as_the_deadline_before_work_is_late():
    result = run_experiment(_worker_day(600), System(_photo_site(), 600, seed=7, arrivals="fluid"))
    assert result.status == "interrupted" and result.halted is not None
    assert result.halted.at == 550 and result.halted.value > 480
    assert float(result.timeline.work_late.sum()) == 0.0           # stopped before the deadline
    assert [f["until"] for f in result.faults] == [550]            # the rollback restarted it


def test_lesson_07_recipe_for_your_own_file_runs(tmp_path, monkeypatch):
    # The "your turn" recipe is markdown, so no notebook run executes it: run it here, on a
    # fresh copy of the example, as a learner would before editing the copy.
    import nbformat
    from conftest import REPO
    from labkit import archfile
    from labkit.report import apply, resilience_report
    from labkit.views.report import report_table
    nb = nbformat.read(REPO / "lessons" / "07_game_day.ipynb", as_version=4)
    blocks = [b for c in nb.cells if c.cell_type == "markdown"
              for b in re.findall(r"```python\n(.*?)```", c.source, re.S)]
    recipe = next(b for b in blocks if "component_crash" in b and "zone_outage" in b)
    monkeypatch.chdir(tmp_path)
    printed = []
    namespace = dict(archfile=archfile, resilience_report=resilience_report, apply=apply,
                     report_table=report_table, load_experiment=load_experiment,
                     example_path=example_path, run_experiment=run_experiment, System=System,
                     target=0.9999, rto=1, peak=1_000, seed=7, display=lambda *a: None,
                     print=printed.append)
    exec(compile(recipe, "lesson 07 recipe", "exec"), namespace)
    assert [p.split(":")[0] for p in printed] == ["my shop loses api at the peak",
                                                  "my shop loses zone-a at the peak"]


def test_requests_failed_and_served_share_count_the_whole_run():
    result = run_experiment(example_path("cell_crash"), four_cells(arrivals="fluid"))
    t = result.timeline
    during = t.window(result.start, result.end)
    assert result.requests_failed == pytest.approx(float(t.new[during].sum() - t.good[during].sum()))
    assert result.requests_failed == pytest.approx(250 * 120)          # a quarter of 1,000 req/s
    assert result.served_share == pytest.approx(0.75)
    shedding = System(catalog.cells(4), 1000, cell_capacity=200, seed=1, arrivals="fluid")
    refused = run_experiment(experiment([action("crash_cell", cell=1, pauses={"after": 60})],
                                        [SERVED]), shedding)
    assert refused.held_before is False and not refused.activities
    assert refused.start == refused.end and refused.requests_failed == 0.0   # nothing ran
    assert refused.served_share == 1.0


# ----------------------------------------------------------------- any architecture


@pytest.mark.parametrize("arch", [catalog.monolith(), catalog.replicated_monolith(3),
                                  catalog.detail_page(), catalog.cells(4, deploy_waves=2),
                                  catalog.detail_page_cells(2), catalog.sharded_workers(4, 2)],
                         ids=lambda a: a.name)
def test_any_architecture(arch):
    system = System(arch, 100, seed=1)
    target = arch.breakable[-1]
    exp = experiment([action("crash", component=target, pauses={"after": 30})],
                     [probe("success_ratio", [0.0, 1.0], window=30)],
                     [action("restore", target=target)])
    result = run_experiment(exp, system)
    assert result.status == "completed" and result.faults[0]["until"] == 90.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(architectures(max_components=6), st.data())
def test_random_architectures(arch, data):
    system = System(arch, 50, seed=1, start=10, horizon=200)
    target = data.draw(st.sampled_from(arch.breakable))
    exp = experiment([action("crash", component=target, duration=20),
                      action("wait", seconds=30), probe("cells_down")],
                     [probe("success_ratio", [0.0, 1.0], window=10)])
    result = run_experiment(exp, system)
    assert result.status == "completed" and 0.0 <= result.after[0].value <= 1.0


def test_crash_cell_needs_a_cell_of_its_own():
    system = System(catalog.sharded_workers(4, 2, "shuffle"), 100)
    with pytest.raises(LabkitError) as excinfo:
        validate_experiment(experiment([action("crash_cell", cell=1)]), system)
    assert "method[0].provider.arguments.cell=1" in str(excinfo.value)


# ------------------------------------------------------------------- the probes


def test_queue_and_shedding_probes():
    queueing = System(catalog.cells(2), 1000, cell_capacity=400, overload="queue", max_queue=20,
                      timeout=30, seed=1)
    config = queueing.configuration
    queueing.advance(60)
    assert probes.backlog(configuration=config) > 0
    assert probes.backlog_seconds(configuration=config) > 0
    shedding = System(catalog.cells(2), 1000, cell_capacity=400, seed=1)
    assert probes.shed_share(60, configuration=shedding.configuration) == pytest.approx(0.2, abs=0.02)
    assert probes.goodput(60, configuration=shedding.configuration) == pytest.approx(800, rel=0.02)
    assert probes.backlog(configuration=shedding.configuration) == 0.0


def test_breaker_probes():
    system = System(catalog.cells(4), 1000, seed=1, breaker=BreakerConfig(
        minimum_number_of_calls=10, sliding_window_size=10, wait_duration_in_open_state=60))
    config = system.configuration
    assert probes.open_breakers(configuration=config) == 0
    assert probes.breaker_state(2, configuration=config) == "closed"
    actions.crash("cell2-app", configuration=config)
    actions.wait(10, configuration=config)
    assert probes.breaker_state(2, configuration=config) == "open"
    assert probes.open_breakers(configuration=config) == 1
    exp = experiment([], [probe("breaker_state", "closed", cell=2)])
    assert run_experiment(exp, system).held_before
    with pytest.raises(LabkitError) as excinfo:
        validate_experiment(experiment([], [probe("breaker_state", "shut", cell=2)]), system)
    assert "tolerance='shut'" in str(excinfo.value)


def test_latency_probe():
    system = four_cells()
    assert probes.p99_latency(60, configuration=system.configuration) == 0.0
    actions.added_latency("cell1-app", 250, configuration=system.configuration)
    actions.wait(30, configuration=system.configuration)
    assert probes.p99_latency(30, configuration=system.configuration) >= 250.0


def test_providers_need_the_system():
    with pytest.raises(LabkitError) as excinfo:
        actions.crash("cell1-app")
    assert "configuration=None" in str(excinfo.value) and "system.configuration" in str(excinfo.value)
    with pytest.raises(LabkitError):
        probes.success_ratio(60, configuration={"labkit_system": "not a system"})


def test_clashing_faults():
    config = four_cells().configuration
    actions.crash("cell1-app", duration=100, configuration=config)
    extended = actions.crash("cell1-app", duration=300, configuration=config)["faults"][0]
    assert (extended["from"], extended["until"]) == (60.0, 360.0)
    kept = actions.crash("cell1-app", duration=10, configuration=config)["faults"][0]
    assert kept["until"] == 360.0 and len(config["labkit_system"].faults) == 1
    actions.error_rate("cell2-app", 0.5, configuration=config)
    with pytest.raises(LabkitError) as excinfo:
        actions.error_rate("cell2-app", 0.2, configuration=config)
    assert "component='cell2-app'" in str(excinfo.value)
    exp = experiment([action("error_rate", component="cell2-app", rate=0.5),
                      action("error_rate", component="cell2-app", rate=0.2)])
    with pytest.raises(LabkitError) as excinfo:
        validate_experiment(exp, four_cells())
    assert str(excinfo.value).startswith("method[1].provider.arguments.component='cell2-app'")


# -------------------------------------------------------------------- loading


def test_loading_json_yaml_and_paths(tmp_path):
    exp = experiment([action("wait", seconds=5)])
    text = json.dumps(exp)
    assert load_experiment(text) == exp
    (tmp_path / "e.json").write_text(text)
    (tmp_path / "e.yml").write_text("title: test\ndescription: a test experiment\nmethod: []\n")
    assert load_experiment(tmp_path / "e.json") == exp
    assert load_experiment(str(tmp_path / "e.yml"))["method"] == []
    assert load_experiment(example_path("az_power_interruption"))["title"] == "AZ power interruption"


@pytest.mark.parametrize("source, shown", [
    ('{"title": "t",', "expected valid JSON"),
    ("title: [unclosed", "expected valid YAML"),
    ("title: t\n  bad: indentation", "expected valid YAML"),
    ("- a list\n- not a mapping", "expected an experiment"),
    ("just words", "expected an experiment"),
    ("missing.json", "expected a readable UTF-8 file"),
    ("[" * 100_000, "expected valid YAML"),
    ("{" + '"a":' * 1 + "[" * 100_000, "expected valid JSON"),
    (b"{}", "expected an experiment"),
    (None, "expected an experiment"),
    (42, "expected an experiment"),
])
def test_loading_refuses_junk(source, shown):
    with pytest.raises(LabkitError) as excinfo:
        load_experiment(source)
    message = str(excinfo.value)
    assert message.startswith("experiment=") and shown in message and "is not allowed" in message


def test_yaml_errors_say_where(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("title: t\ndescription: d\nmethod:\n  - type: action\n    name: [\n")
    with pytest.raises(LabkitError) as excinfo:
        load_experiment(path)
    assert "line " in str(excinfo.value)


# --------------------------------------------------------------- bad experiments


def _mutated(change):
    exp = load_experiment(example_path("cell_crash"))
    exp = copy.deepcopy(exp)
    change(exp)
    return exp


def _hypothesis_probe(exp, i=0):
    return exp["steady-state-hypothesis"]["probes"][i]


BAD = [
    (lambda e: e["method"][0]["provider"].update(func="crash_cel"),
     "method[0].provider.func='crash_cel'", "did you mean 'crash_cell'"),
    (lambda e: _hypothesis_probe(e)["provider"].update(func="p99"),
     "steady-state-hypothesis.probes[0].provider.func='p99'", "p99_latency"),
    (lambda e: e.pop("title"), "title=None", "non-empty string"),
    (lambda e: e.pop("description"), "description=None", "non-empty string"),
    (lambda e: e.pop("method"), "method=None", "list of activities"),
    (lambda e: e["method"][0].pop("provider"), "method[0].provider=None", "type 'python'"),
    (lambda e: e["method"][0].pop("name"), "method[0].name=None", "non-empty string"),
    (lambda e: e["method"][0].update(type="chaos"), "method[0].type='chaos'", "'action' or 'probe'"),
    (lambda e: _hypothesis_probe(e).pop("tolerance"),
     "steady-state-hypothesis.probes[0].tolerance=None", "expected a tolerance"),
    (lambda e: _hypothesis_probe(e).update(tolerance=[0.99, 1.5]),
     "steady-state-hypothesis.probes[0].tolerance[1]=1.5", "between 0 and 1"),
    (lambda e: _hypothesis_probe(e).update(tolerance={"type": "range", "range": [1.01, 2]}),
     "steady-state-hypothesis.probes[0].tolerance.range[0]=1.01", "between 0 and 1"),
    (lambda e: _hypothesis_probe(e).update(tolerance={"type": "range", "range": [0.99, 0.9]}),
     "steady-state-hypothesis.probes[0].tolerance.range=[0.99, 0.9]", "low <= high"),
    (lambda e: _hypothesis_probe(e).update(tolerance=0.99),
     "steady-state-hypothesis.probes[0].tolerance=0.99", "range [low, high]"),
    (lambda e: _hypothesis_probe(e).update(tolerance=True),
     "steady-state-hypothesis.probes[0].tolerance=True", "range [low, high]"),
    (lambda e: _hypothesis_probe(e).update(tolerance={"type": "regex", "pattern": "."}),
     "steady-state-hypothesis.probes[0].tolerance.pattern='.'", "only 'type' and 'range'"),
    (lambda e: _hypothesis_probe(e, 1).update(tolerance=[-5, 500]),
     "steady-state-hypothesis.probes[1].tolerance[0]=-5", "p99_latency is 0 or more"),
    (lambda e: e["method"][0]["provider"]["arguments"].update(duration=-1),
     "method[0].provider.arguments.duration=-1", "above 0"),
    (lambda e: e["method"][0]["provider"]["arguments"].update(duration=float("nan")),
     "method[0].provider.arguments.duration=nan", "finite"),
    (lambda e: e["method"][0]["provider"]["arguments"].update(duration=1e9),
     "method[0].provider.arguments.duration=1000000000.0", "at most 86400"),
    (lambda e: e["method"][0].update(pauses={"after": -3}), "method[0].pauses.after=-3", "seconds"),
    (lambda e: e["method"][0].update(pauses={"after": 86_000}),
     "method[0].pauses.after=86000", "horizon"),
    (lambda e: e["method"][0].update(pauses={"after": "soon"}), "method[0].pauses.after='soon'",
     "${name}"),
    (lambda e: e["configuration"].update(cell=9), "method[0].provider.arguments.cell=9",
     "cell number from 1 to 4"),
    (lambda e: e["method"][0]["provider"].update(func="crash", arguments={"component": "cell9-db"}),
     "method[0].provider.arguments.component='cell9-db'", "a component of"),
    (lambda e: e["method"][0]["provider"].update(func="zone_outage", arguments={"zone": "az1"}),
     "method[0].provider.arguments.zone='az1'", "no failure domains"),
    (lambda e: e["method"][0]["provider"]["arguments"].update(cel=2),
     "method[0].provider.arguments.cel=2", "did you mean 'cell'"),
    (lambda e: e["method"][0]["provider"].update(arguments={}),
     "method[0].provider.arguments={}", "crash_cell needs 'cell'"),
    (lambda e: e["method"][0]["provider"].update(module="chaosaws.ec2.actions"),
     "method[0].provider.module='chaosaws.ec2.actions'", "'labkit.chaos.actions'"),
    (lambda e: e["method"][0]["provider"].update(type="process"),
     "method[0].provider.type='process'", "'python'"),
    (lambda e: e["method"][0].update(background=True), "method[0].background=True",
     "simulated time"),
    (lambda e: e["method"][1].update(tolerance=1), "method[1].tolerance=1",
     "steady-state hypothesis"),
    (lambda e: e["rollbacks"].append(e["method"][1]), "rollbacks[1].type='probe'", "'action'"),
    (lambda e: e["method"].append({"ref": "nothing"}), "method[2].ref='nothing'", "name of a probe"),
    (lambda e: e.update(steady_state_hypothesis={}), "steady_state_hypothesis={}",
     "did you mean 'steady-state-hypothesis'"),
    (lambda e: e.update(secrets={}), "secrets={}", "no secrets"),
    (lambda e: e["configuration"].update(labkit_system=1), "configuration.labkit_system=1",
     "reserved"),
    (lambda e: e["configuration"].update(cell={"type": "env", "key": "CELL"}),
     "configuration.cell=", "environment"),
    (lambda e: e.update(controls=[{"name": "c", "provider": {
        "type": "python", "module": "chaosaddons.controls.safeguards"}}]),
     "controls[0].provider.module='chaosaddons.controls.safeguards'", "labkit.chaos.controls"),
    (lambda e: e.update(controls=[{"name": "c", "provider": {
        "type": "python", "module": "labkit.chaos.controls",
        "arguments": {"probes": [probe("success_ratio", window=60)]}}}]),
     "controls[0].provider.arguments.probes[0].tolerance=None", "expected a tolerance"),
    (lambda e: e.update(controls=[{"name": "c", "provider": {
        "type": "python", "module": "labkit.chaos.controls",
        "arguments": {"probes": [dict(probe("success_ratio", [0.9, 1], window=-1))]}}}]),
     "controls[0].provider.arguments.probes[0].provider.arguments.window=-1", "above 0"),
    (lambda e: e.update(controls=[{"name": "c", "provider": {
        "type": "python", "module": "labkit.chaos.controls",
        "arguments": {"probes": [dict(probe("success_ratio", [0.9, 1]), frequency=0)]}}}]),
     "controls[0].provider.arguments.probes[0].frequency=0", "seconds from 1"),
    (lambda e: e.update(tags=["", "x"]), "tags[0]=''", "non-empty"),
]


@pytest.mark.parametrize("change, field, allowed", BAD, ids=[b[1].split("=")[0] for b in BAD])
def test_bad_experiments_name_the_field(change, field, allowed):
    with pytest.raises(LabkitError) as excinfo:
        validate_experiment(_mutated(change), four_cells())
    message = str(excinfo.value)
    assert message.startswith(field) and allowed in message and "is not allowed" in message, message


def test_running_a_bad_experiment_refuses_before_anything_runs():
    system = four_cells()
    with pytest.raises(LabkitError):
        run_experiment(_mutated(lambda e: e["method"][0]["provider"].update(func="nope")), system)
    assert system.faults == [] and system.now == system.start
    with pytest.raises(LabkitError) as excinfo:
        run_experiment(example_path("cell_crash"), "not a system")
    assert "system='not a system'" in str(excinfo.value)


def test_chaoslibs_refusals_are_translated(monkeypatch):
    from chaoslib.exceptions import InvalidExperiment
    import chaoslib.experiment

    def refuse(experiment):
        raise InvalidExperiment("experiment requires a title")

    monkeypatch.setattr(chaoslib.experiment, "ensure_experiment_is_valid", refuse)
    with pytest.raises(LabkitError) as excinfo:
        validate_experiment(example_path("cell_crash"), four_cells())
    assert "chaostoolkit-lib refused it: experiment requires a title" in str(excinfo.value)


def test_system_refuses_bad_settings():
    for build, argument in [(lambda: System(catalog.cells(2), 100, colour="red"), "colour"),
                            (lambda: System(catalog.cells(2), 100, horizon=1e9), "horizon"),
                            (lambda: System(catalog.cells(2), 100, start=-1), "start"),
                            (lambda: System(catalog.cells(2), 100, failover="maybe"), "failover"),
                            (lambda: System("cells", 100), "architecture")]:
        with pytest.raises(LabkitError) as excinfo:
            build()
        assert str(excinfo.value).startswith(argument + "="), str(excinfo.value)


# ------------------------------------------------------------------ generated junk

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["cell2-app", "region1", "${cell}", "crash_cell",
                                              "success_ratio", "labkit.chaos.actions", "probe"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10) | st.sampled_from(
        ["type", "name", "provider", "tolerance", "arguments", "func", "module", "pauses"]),
        children, max_size=4),
    max_leaves=20)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _replace(tree, path, value):
    if not path:
        return value
    tree = copy.deepcopy(tree)
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return tree


def _refused_cleanly(excinfo_value):
    message = str(excinfo_value)
    assert "=" in message and "is not allowed:" in message, message


SMALL = System(catalog.cells(2), 100, cell_capacity=80, seed=1, start=10, horizon=400)
BASE = experiment([action("crash_cell", cell=1, duration=20, pauses={"after": 10}),
                   probe("cells_down"), action("wait", seconds=10)],
                  [probe("success_ratio", [0.5, 1.0], window=10)],
                  [action("restore_all")], stop=_guardrail(low=0.1, window=10),
                  configuration={"cell": 1})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_experiments_run_or_are_refused(data):
    path = data.draw(st.sampled_from(list(_paths(BASE))), label="path")
    junk = data.draw(json_values, label="value")
    exp = _replace(BASE, path, junk)
    try:
        validate_experiment(exp, SMALL)
    except LabkitError as exc:
        _refused_cleanly(exc)
        return
    result = run_experiment(exp, SMALL)
    assert result.status in ("completed", "failed", "aborted", "interrupted")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values | st.text(max_size=200) | st.binary(max_size=20))
def test_junk_experiments_are_refused(junk):
    with pytest.raises(LabkitError) as excinfo:
        run_experiment(junk, SMALL)
    _refused_cleanly(excinfo.value)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_junk_yaml_is_refused(text):
    try:
        exp = load_experiment("title: t\ndescription: d\nmethod: []\nrollbacks: " + text)
    except LabkitError as exc:
        _refused_cleanly(exc)
        return
    try:
        validate_experiment(exp, SMALL)
    except LabkitError as exc:
        _refused_cleanly(exc)


def test_work_probes_read_the_event_driven_queues():
    # A mail worker down for 700 s behind a 600 s deadline: its work waits, ages, then is late.
    # The probes must read what the run itself recorded (a second view of the same arrays).
    from pathlib import Path
    from labkit.archfile import load_architecture
    from labkit.chaos import probes
    arch = load_architecture(Path(__file__).parent / "data" / "blog.yaml")
    system = System(arch, 300, seed=1, arrivals="fluid")
    config = system.configuration
    assert probes.work_backlog(configuration=config) == 0.0
    assert probes.oldest_work_age(configuration=config) == 0.0
    system.inject("crash", "mailer")
    system.advance(700)
    run = system.timeline()
    assert probes.work_backlog(configuration=config) == pytest.approx(float(run.backlog[-1].sum()))
    assert probes.oldest_work_age(configuration=config) == pytest.approx(float(run.backlog_age[-1].max()))
    assert probes.oldest_work_age(configuration=config) >= 599
    late, done = float(run.work_late[-300:].sum()), float(run.work_done[-300:].sum())
    assert late > 0 and probes.work_on_time(300, configuration=config) == pytest.approx(done / (done + late))
    assert probes.work_on_time(300, configuration=config) < 0.5
