"""The break-it and simulation panels driven from Python: events change the right numbers, in place.

Break-it panels: expected numbers are literals worked out by hand from the catalog's stated
availabilities, not recomputed with the functions the panel itself calls. Simulation panels:
runs are compared with each other (a knob must change the run) and with what the widgets show.
"""

import ipywidgets
import pytest

import labkit
from labkit import catalog
from labkit.breaker import hystrix
from labkit.breakit import AVAILABILITY_LADDER, BreakItModel, availability_ladder
from labkit.simulation import constant, rolling_peak
from labkit.simulation.study import Study
from labkit.views import SimulationPanel, break_it, panel_states, simulate_it, simulation_panel_states
from labkit.views.diagram import STATE_PARAM
from labkit.views.panel import ladder_label
from labkit.views.simpanel import COLUMN_PX, KNOB_PX
from labkit.views.timeline import LABEL_PX, ONE_BREAKER, strip_layout

MONOLITH_BUY = 0.999 * 0.9995 * 0.9995   # app x server x db = 0.99800124975


def browser_sends(widget, **state):
    """What arrives when the learner moves a widget in the browser (ipywidgets' entry point)."""
    widget.set_state(state)


def test_crashing_the_monolith_app_takes_every_feature_down():
    panel = break_it(catalog.monolith())
    chart, readout, toggle = panel.chart, panel.readout, panel.view.toggles["app"]
    before = readout.value
    assert "99.8 %" in before and "17.51 h" in before  # 0.99800124975; 0.00199875 x 8760 h = 17.51 h
    toggle.value = True
    results = panel.last_results
    assert [f.working for f in results.features.values()] == [False, False, False]
    assert [f.availability for f in results.features.values()] == [0.0, 0.0, 0.0]
    assert results.blast_radius == 1.0 and results.request_success_ratio == 0.0
    assert getattr(chart.params, STATE_PARAM) == {"app": "crashed", "server": "up", "db": "up"}
    # The same widgets, updated in place: nothing was re-created.
    assert panel.chart is chart and panel.readout is readout and panel.view.toggles["app"] is toggle
    assert "DOWN" in readout.value and "crashed</b> app" in readout.value
    toggle.value = False
    assert panel.last_results.features["buy"].availability == pytest.approx(0.99800124975, abs=1e-15)
    assert panel.model.crashed == []


def test_buttons_readout_and_diagram_use_the_component_names():
    # One name per component: what the learner reads in the panel is what a check accepts.
    panel = break_it(catalog.replicated_monolith(3))
    assert list(panel.view.toggles) == ["lb", "app-1", "app-2", "app-3", "db"]
    assert [b.description for b in panel.view.toggles.values()] == list(panel.view.toggles)
    assert list(panel.view.picker.options) == ["lb", "app-1", "app-2", "app-3", "db"]
    texts = [n["text"].replace("\n", "") for n in panel.chart.spec["layer"][2]["data"]["values"]]
    assert texts == ["lb", "app-1", "app-2", "app-3", "app tier", "db"]
    panel.model.crash("app-2")
    assert "crashed</b> app-2" in panel.readout.value


def test_slider_changes_availability_to_the_exact_number():
    panel = break_it(catalog.monolith())
    panel.view.picker.value = "db"
    panel.view.slider.value = 0.99
    buy = panel.last_results.features["buy"]
    assert panel.model.overrides == {"db": 0.99}
    assert buy.availability == pytest.approx(0.988515495, abs=1e-12)   # 0.999 x 0.9995 x 0.99
    assert buy.downtime_per_year == pytest.approx((1 - 0.988515495) * 31_536_000, rel=1e-9)
    assert buy.nines == pytest.approx(1.939888, abs=1e-6)


def test_slider_reaches_every_nine_the_lessons_use():
    ladder = availability_ladder(catalog.cells(4))
    for value in (0.9, 0.99, 0.999, 0.9995, 0.9999, 0.99999, 0.999999, 1.0):
        assert value in ladder
    assert ladder == sorted(set(ladder))
    # 0.99999 (the router) would have been rounded to 100 % by a 0.0001-step slider.
    assert ladder_label(0.99999) == "99.999 % · 5.00 nines"
    assert ladder_label(0.9995) == "99.95 % · 3.30 nines"
    assert ladder_label(1.0) == "100 % · ∞ nines"


def test_browser_echo_never_changes_the_model():
    # The browser reports the slider position back when it draws it; that is not a change.
    panel = break_it(catalog.cells(4))
    view = panel.view
    view.picker.value = "router"
    assert view.slider.value == 0.99999
    position = view.slider.index
    browser_sends(view.slider, index=position)
    browser_sends(view.picker, index=view.picker.index)
    assert panel.model.overrides == {} and panel.model.crashed == []
    # A real move lands on exactly the neighbouring stop, nothing rounded.
    browser_sends(view.slider, index=position + 1)
    assert panel.model.overrides == {"router": view.slider.options[position + 1][1]}
    assert panel.model.overrides["router"] == 0.999995


def test_value_set_from_code_joins_the_ladder_exactly():
    panel = break_it(catalog.monolith())
    panel.view.picker.value = "app"
    panel.model.set_availability("app", 0.97531)   # not a ladder stop
    assert panel.view.slider.value == 0.97531
    assert panel.model.overrides == {"app": 0.97531}
    assert 0.97531 not in AVAILABILITY_LADDER


def test_replica_crash_is_absorbed():
    panel = break_it(catalog.replicated_monolith(3))
    panel.view.toggles["app-1"].value = True
    r = panel.last_results
    assert r.features["buy"].working and r.blast_radius == 0.0
    # lb x (1 - 0.001^2) x db
    assert r.features["buy"].availability == pytest.approx(0.9999 * 0.999999 * 0.9995, abs=1e-15)
    assert r.states["app-1"] == "crashed" and r.states["app tier"] == "up"


def test_scenario_button_and_restore_all():
    panel = break_it(catalog.replicated_monolith(3))
    panel.view.scenario_buttons[0].click()  # poison request: every replica crashes
    assert panel.last_results.blast_radius == 1.0
    assert panel.model.crashed == ["app-1", "app-2", "app-3"]
    assert [t.value for t in panel.view.toggles.values()] == [False, True, True, True, False]
    panel.model.restore_all()
    assert panel.last_results.blast_radius == 0.0 and not any(t.value for t in panel.view.toggles.values())


def test_detail_page_degrades_instead_of_failing():
    panel = break_it(catalog.detail_page())
    panel.view.toggles["recommendations"].value = True
    r = panel.last_results
    assert r.features["can buy"].working and not r.features["whole page"].working
    assert r.states["page"] == "degraded" and r.states["recommendations"] == "crashed"
    assert getattr(panel.chart.params, STATE_PARAM)["page"] == "degraded"


def test_cell_crash_shows_blast_radius_one_over_n():
    panel = break_it(catalog.cells(4))
    panel.view.toggles["cell3-app"].value = True
    assert panel.last_results.blast_radius == 0.25
    assert "25.0%" in panel.readout.value
    assert panel.last_results.states["cell3-web"] == "failed"


def test_readout_shows_the_features_asked_for():
    arch = catalog.detail_page_cells(3)
    default = break_it(arch)
    assert "… and" in default.readout.value  # 9 features: not all fit
    panel = break_it(arch, features=["cell 1: can buy", "cell 2: can buy", "cell 3: can buy"])
    for feature in ("cell 1: can buy", "cell 2: can buy", "cell 3: can buy"):
        assert f"<td>{feature}</td>" in panel.readout.value
    assert "cell 1: whole page" not in panel.readout.value
    with pytest.raises(labkit.LabkitError, match="feature"):
        break_it(arch, features=["can buy"])


def test_switch_plain_to_shuffle_carries_the_crash():
    panel = break_it({"plain": catalog.sharded_workers(8, 2, "plain"),
                      "shuffle": catalog.sharded_workers(8, 2, "shuffle")})
    panel.model.apply_scenario("poison customer")
    assert panel.last_results.blast_radius == 0.25
    crashed = list(panel.model.crashed)
    panel.switch.value = "shuffle"
    assert panel.model.crashed == crashed
    assert panel.last_results.blast_radius == pytest.approx(1 / 28, abs=1e-15)
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


def click(view, *names):
    from altair.jupyter.jupyter_chart import PointSelection
    view._on_click({"new": PointSelection(name="clicked", value=[{"name": n} for n in names],
                                          store=[])})


def test_clicking_a_node_in_the_diagram_toggles_it():
    panel = break_it(catalog.monolith())
    # What the browser sends when the learner clicks the "db" box, then clicks it again.
    click(panel.view, "db")
    assert panel.model.crashed == ["db"]
    click(panel.view)
    assert panel.model.crashed == []


def test_clicking_a_group_says_why_nothing_crashed():
    panel = break_it(catalog.replicated_monolith(3))
    click(panel.view, "app tier")
    assert panel.model.crashed == []
    assert "app tier</b> is a replica group" in panel.view.status.value
    assert "app-1, app-2, app-3" in panel.view.status.value
    click(panel.view, "app tier", "app-2")  # then a member: that one crashes, the note goes
    assert panel.model.crashed == ["app-2"] and panel.view.status.value == ""


def test_widgets_cannot_drive_it_into_an_error():
    panel = break_it(catalog.monolith())
    with pytest.raises(Exception):
        panel.view.slider.value = 0.123   # not a stop on the ladder: the widget refuses it
    assert panel.model.overrides == {}
    with pytest.raises(labkit.LabkitError, match="name='no such thing'"):
        panel.model.crash("no such thing")
    with pytest.raises(labkit.LabkitError, match="architectures"):
        break_it("monolith")


def test_model_keeps_its_own_copy_of_the_architecture():
    arch = catalog.monolith()
    model = BreakItModel(arch)
    arch.add_component("cache", 0.5)
    assert model.breakable == ["app", "server", "db"]
    assert model.results().features["buy"].availability == pytest.approx(0.99800124975, abs=1e-15)


def test_panel_states_lists_live_panels_in_order():
    first = break_it(catalog.monolith())
    second = break_it(catalog.cells(4))
    second.model.crash("cell2-db")
    states = panel_states()
    mine = [s for s in states if s["architecture"] in ("monolith", "4 cells")][-2:]
    ratios = [s.pop("request_success_ratio") for s in mine]
    assert mine == [
        {"architecture": "monolith", "crashed": [], "overrides": {}, "showing": "monolith",
         "blast_radius": 0.0},
        {"architecture": "4 cells", "crashed": ["cell2-db"], "overrides": {}, "showing": "4 cells",
         "blast_radius": 0.25},
    ]
    # 3 of 4 cells up, each router x web x app x db = 0.99999 x 0.999^3
    assert ratios == pytest.approx([0.99800124975, 0.75 * 0.99999 * 0.997002999], abs=1e-15)
    del first, second


# ------------------------------------------------------------------ the simulation panel
#
# The panels of lessons 03, 05 and 06, built as those lessons build them (their parameters'
# defaults copied here), so a knob that stops mattering in a lesson's panel fails here.

BACKOFFS = ("none", "exponential", "full", "equal", "decorrelated")


def lesson03_panel():
    shop = labkit.Architecture("shop").add_component("shop", capacity=1_000, latency_ms=50)
    panel = simulate_it(shop, constant(800), duration=300, timeout=10, max_queue=30, seed=7)
    panel.study.fault, panel.study.spike_multiple = "spike", 2
    panel.study.fault_at, panel.study.fault_duration = 60, 60
    return panel, "shop"


def lesson05_panel():
    fleet = catalog.cells(4, regions=2, deploy_waves=2)
    panel = simulate_it(fleet, constant(1_000), duration=300, cell_capacity=1.1 * 1_000 / 3,
                        detection=10, breaker=hystrix(), fallback_capacity=1.1 * 1_000 / 2, seed=7)
    panel.study.fault, panel.study.fault_target = "crash", "wave1"
    panel.study.fault_at, panel.study.fault_duration = 60, 120
    return panel, "wave1"


def lesson06_panel():
    arch = catalog.ring(regions=8, cells_per_region=4)
    evening = constant(50_000) * rolling_peak(6, first_peak=450, offset=120, width=200)
    study = Study(arch, evening, duration=900, detection=10, arrivals="fluid")
    study.fault, study.fault_target, study.fault_at, study.fault_duration = "crash", "wave1", 420, 300
    study.failover = "health check"
    return SimulationPanel(study, title="Ring at Halloween: the first 15 minutes"), "wave1"


@pytest.mark.parametrize("build", [lesson03_panel, lesson05_panel, lesson06_panel],
                         ids=["lesson 03", "lesson 05", "lesson 06"])
def test_backoff_knob_changes_the_run(build):
    # Issue 12: at 1 s steps a 50 ms backoff landed every retry in the next step, so spike,
    # blip and crash gave identical numbers for all five settings.
    panel, target = build()
    panel.study.attempts = 3
    assert not panel.controls["backoff"].disabled
    for fault in ("spike", "blip", "crash"):
        panel.study.fault = fault
        panel.study.fault_target = target
        seen = {}
        for backoff in BACKOFFS:
            panel.controls["backoff"].value = backoff   # as the learner picks it
            assert panel.study.backoff == backoff
            s = panel.last_run.summary()
            seen[backoff] = (s["success ratio"], s["retries"], s["served"])
        assert len(set(seen.values())) == len(BACKOFFS), (fault, seen)
        # Waiting first spreads the retries after an outage or a surge: more get served.
        assert seen["exponential"][0] > seen["none"][0], (fault, seen)


def test_panel_retries_wait_one_step_unless_the_study_says_otherwise():
    panel, _ = lesson03_panel()
    assert panel.retry_base == 1.0 and panel.study.options()["retry"].base == 1.0
    assert "waits 1 s, then doubles (at most 20 s)" in panel.backoff_note.value
    shop = labkit.Architecture("shop").add_component("shop", capacity=100)
    own = simulate_it(shop, constant(80), duration=60, retry_options={"base": 0.2, "cap": 5.0})
    assert own.retry_base == 0.2 and own.study.options()["retry"].cap == 5.0
    fine = simulate_it(shop, constant(80), duration=60, step=0.5)
    assert fine.retry_base == 0.5


def test_knobs_that_cannot_matter_are_greyed_out():
    panel, _ = lesson03_panel()
    c = panel.controls
    # The lesson's spike: crash what cannot matter; one attempt: backoff cannot either.
    assert c["fault_target"].disabled and not c["spike_multiple"].disabled
    assert c["backoff"].disabled and not c["fault_at"].disabled
    panel.study.attempts = 2
    assert not c["backoff"].disabled
    c["fault"].value = "crash"
    assert not c["fault_target"].disabled and c["spike_multiple"].disabled
    c["fault"].value = "none"
    assert c["fault_at"].disabled and c["fault_duration"].disabled


def test_values_set_from_code_are_shown_exactly():
    # A slider rounds to its step or clamps to its range only when the learner moves it;
    # what code sets is what the study holds and what the slider shows.
    panel, _ = lesson03_panel()
    panel.study.fault_at = 60.5
    panel.study.spike_multiple = 2.25
    panel.study.attempts = 7
    panel.study.fault_duration = 400.0      # longer than the run
    assert (panel.study.fault_at, panel.study.spike_multiple) == (60.5, 2.25)
    assert (panel.study.attempts, panel.study.fault_duration) == (7, 400.0)
    c = panel.controls
    assert (c["fault_at"].value, c["spike_multiple"].value, c["attempts"].value) == (60.5, 2.25, 7)
    assert c["fault_duration"].value == 400.0 and c["fault_duration"].max >= 400.0
    # The readout format shows the value as held: no fixed decimals to round it.
    assert c["fault_at"].readout_format == c["spike_multiple"].readout_format == ".6"


def test_browser_echo_never_changes_the_study():
    panel, _ = lesson05_panel()
    before = panel.state()
    for name, control in panel.controls.items():
        browser_sends(control, **({"index": control.index} if hasattr(control, "index")
                                  else {"value": control.value}))
    assert panel.state() == before
    browser_sends(panel.controls["attempts"], value=3)   # a real move
    assert panel.study.attempts == 3 and panel.state()["attempts"] == 3


def test_simulation_panel_states_lists_live_panels():
    panel, _ = lesson03_panel()
    mine = simulation_panel_states()[-1]
    assert mine["fault"] == "spike" and mine["spike_multiple"] == 2.0 and mine["attempts"] == 1
    assert mine["success_ratio"] == panel.last_run.summary()["success ratio"]
    del panel


def test_knob_column_keeps_its_width():
    # The column never shrinks to make room for the chart (issue 12: 195 px of its 270).
    panel, _ = lesson05_panel()
    column = panel.children[1].children[0]
    assert column.layout.width == column.layout.min_width == f"{COLUMN_PX}px"
    assert column.layout.flex == "0 0 auto"
    assert all(c.layout.width == f"{KNOB_PX}px" for c in panel.controls.values())
    assert panel.children[1].layout.flex_flow == "row wrap"   # a narrow window: chart below
    sliders = [c for c in panel.controls.values() if isinstance(c, ipywidgets.widgets.widget_int._Int)
               or isinstance(c, ipywidgets.FloatSlider)]
    assert sliders and not any(s.continuous_update for s in sliders)   # a run per release


@pytest.mark.parametrize("rows", [1, 2, 4, 8, 16, 17, 18, 19, 32, 33, 60, 200])
@pytest.mark.parametrize("special", [(), ("fallback",), (ONE_BREAKER,), ("fallback", ONE_BREAKER)])
def test_strip_labels_never_overlap(rows, special):
    names = [f"cell {i} customers" for i in range(1, rows + 1)] + list(special)
    height, shown = strip_layout(names)
    row = height / len(names)
    places = [names.index(name) * row for name in shown]
    assert all(b - a >= LABEL_PX - 1e-9 for a, b in zip(places, places[1:])), (height, shown)
    assert set(special) <= set(shown) and shown[0] in (names[0], *special)
    if len(names) * 14 <= 264:
        assert shown == names   # while they fit, every row is labelled


def test_ring_strip_in_the_panel_labels_every_other_cell():
    panel, _ = lesson06_panel()
    strip = panel.chart.spec["vconcat"][2]
    label = strip["encoding"]["y"]["axis"]["labelExpr"]
    assert '"cell 1 customers"' in label and '"cell 3 customers"' in label
    assert '"cell 2 customers"' not in label and f'"{ONE_BREAKER}"' in label
    assert strip["height"] >= 8 * 32


def test_break_it_panel_shows_the_state_legend_once():
    panel = break_it(catalog.monolith())
    assert panel.chart.spec["layer"][1]["encoding"]["color"]["legend"] is None
    heading = panel.view.box.children[0].value
    assert heading.count("labkit-legend") == 1 and "crashed" in heading
    # Drawn on its own, the diagram keeps its legend.
    assert labkit.views.diagram(catalog.monolith()).to_dict()["layer"][1]["encoding"]["color"]["legend"]


def test_ring_request_panel_keeps_its_readout_beside_the_drawing():
    # Issue 12: 1,038 px tall, its readout off-screen while its diagram showed.
    from labkit.views.panel import DIAGRAM_BESIDE_PX
    panel = break_it(catalog.ring_request_path())
    assert panel.view.side_by_side
    assert panel.chart.spec["height"] <= DIAGRAM_BESIDE_PX
    beside = panel.view.box.children[1].children[1]
    assert panel.view.readout in beside.children
    wide = break_it(catalog.detail_page())
    assert not wide.view.side_by_side and wide.view.box.children[-1] is wide.view.readout


def test_diagram_rows_keep_room_for_their_labels():
    from labkit.views.diagram import layout_metrics
    ring = catalog.ring_request_path()
    assert layout_metrics(ring)["height"] == 632               # unchanged when nothing asks
    assert layout_metrics(ring, max_height=600)["height"] == 600
    squeezed = layout_metrics(ring, max_height=200)["height"]   # never below a label's room
    assert squeezed > 400
    with pytest.raises(labkit.LabkitError, match="max_height"):
        labkit.views.diagram(ring, max_height=10)
