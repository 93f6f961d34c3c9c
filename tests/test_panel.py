"""The break-it panel driven from Python: events change the right numbers, in place."""

import pytest

import labkit
from labkit import catalog
from labkit.views import break_it
from labkit.views.diagram import STATE_PARAM


def test_crashing_the_monolith_app_takes_every_feature_down():
    panel = break_it(catalog.monolith())
    chart, readout, toggle = panel.chart, panel.readout, panel.view.toggles["app"]
    before = readout.value
    assert "99.8 %" in before  # 0.999 * 0.9995 * 0.9995
    toggle.value = True
    results = panel.last_results
    assert all(not f.working and f.availability == 0 for f in results.features.values())
    assert results.blast_radius == 1.0
    assert getattr(chart.params, STATE_PARAM)["app"] == "crashed"
    # The same widgets, updated in place: nothing was re-created.
    assert panel.chart is chart and panel.readout is readout and panel.view.toggles["app"] is toggle
    assert readout.value != before and "DOWN" in readout.value
    toggle.value = False
    assert panel.last_results.features["buy"].availability == pytest.approx(
        labkit.availability(catalog.monolith()))


def test_slider_changes_availability_to_the_exact_number():
    panel = break_it(catalog.monolith())
    panel.view.picker.value = "db"
    panel.view.slider.value = 0.99
    expected = labkit.series(0.999, 0.9995, 0.99)
    assert panel.last_results.features["buy"].availability == pytest.approx(expected)
    assert panel.last_results.features["buy"].downtime_per_year == pytest.approx(
        labkit.downtime_per_year(expected))
    assert panel.last_results.features["buy"].nines == pytest.approx(labkit.nines(expected))


def test_replica_crash_is_absorbed():
    panel = break_it(catalog.replicated_monolith(3))
    panel.view.toggles["app-1"].value = True
    r = panel.last_results
    assert r.features["buy"].working and r.blast_radius == 0.0
    assert r.features["buy"].availability == pytest.approx(0.9999 * labkit.parallel(0.999, 0.999) * 0.9995)
    assert r.states["app-1"] == "crashed" and r.states["app tier"] == "up"


def test_scenario_button_and_restore_all():
    panel = break_it(catalog.replicated_monolith(3))
    panel.view.scenario_buttons[0].click()  # poison request: every replica crashes
    assert panel.last_results.blast_radius == 1.0
    assert all(panel.view.toggles[f"app-{i}"].value for i in (1, 2, 3))
    panel.model.restore_all()
    assert panel.last_results.blast_radius == 0.0 and not any(t.value for t in panel.view.toggles.values())


def test_detail_page_degrades_instead_of_failing():
    panel = break_it(catalog.detail_page())
    panel.view.toggles["recommendations"].value = True
    r = panel.last_results
    assert r.features["can buy"].working and not r.features["whole page"].working
    assert r.states["page"] == "degraded"
    assert getattr(panel.chart.params, STATE_PARAM)["page"] == "degraded"


def test_cell_crash_shows_blast_radius_one_over_n():
    panel = break_it(catalog.cells(4))
    panel.view.toggles["cell3-app"].value = True
    assert panel.last_results.blast_radius == pytest.approx(0.25)
    assert "25.0%" in panel.readout.value


def test_switch_plain_to_shuffle_carries_the_crash():
    panel = break_it({"plain": catalog.sharded_workers(8, 2, "plain"),
                      "shuffle": catalog.sharded_workers(8, 2, "shuffle")})
    panel.model.apply_scenario("poison customer")
    assert panel.last_results.blast_radius == pytest.approx(0.25)
    crashed = set(panel.model.crashed)
    panel.switch.value = "shuffle"
    assert set(panel.model.crashed) == crashed
    assert panel.last_results.blast_radius == pytest.approx(1 / 28)
    assert panel.children[-1] is panel.views["shuffle"].box


def test_browser_redraw_reporting_initial_states_is_corrected():
    # On (re)draw the browser reports the spec's initial node_state; the panel must resend.
    panel = break_it(catalog.monolith())
    panel.model.crash("app")
    setattr(panel.chart.params, STATE_PARAM, {"app": "up", "server": "up", "db": "up"})
    assert getattr(panel.chart.params, STATE_PARAM)["app"] == "crashed"
    # The same arriving as a message from the browser (ipywidgets' own entry point).
    panel.chart.set_state({"_params": {STATE_PARAM: {"app": "up", "server": "up", "db": "up"}}})
    assert panel.chart._params[STATE_PARAM]["app"] == "crashed"


def test_clicking_a_node_in_the_diagram_toggles_it():
    from altair.jupyter.jupyter_chart import PointSelection
    panel = break_it(catalog.monolith())
    view = panel.view
    # What the browser sends when the learner clicks the "db" box, then clicks it again.
    view._on_click({"new": PointSelection(name="clicked", value=[{"name": "db"}], store=[])})
    assert panel.model.crashed == ["db"]
    view._on_click({"new": PointSelection(name="clicked", value=[], store=[])})
    assert panel.model.crashed == []


def test_widgets_cannot_drive_it_into_an_error():
    panel = break_it(catalog.monolith())
    panel.view.slider.value = 0.0  # clamps to the slider's minimum, never an invalid availability
    assert 0.9 <= panel.view.slider.value <= 1.0
    with pytest.raises(labkit.LabkitError):
        panel.model.crash("no such thing")
    with pytest.raises(labkit.LabkitError):
        break_it("monolith")
