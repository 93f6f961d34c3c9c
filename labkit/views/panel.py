"""The break-it panel: crash, slow or restore components and watch the numbers move.

A model object (:class:`BreakItModel`, traitlets) holds what the learner changed; the panel
(:class:`BreakItPanel`) is a thin ipywidgets view over it. Every widget is built once; an
event changes the model, and one observer rewrites the readout and the diagram's
``node_state`` parameter in place.

>>> from labkit.catalog import monolith
>>> panel = break_it(monolith())
>>> panel.model.crash("app")
>>> panel.model.results().features["buy"].working
False
"""

from __future__ import annotations

import html
import math
import re
import weakref
from typing import Mapping

import altair as alt
import ipywidgets as widgets

from ..breakit import BreakItModel, PanelResults, availability_ladder
from ..errors import check_names, fail
from ..formulas import format_duration, format_percent, nines
from ..model import Architecture
from .diagram import CLICK_PARAM, STATE_COLOURS, STATE_PARAM, diagram, layout_metrics


def css_name(name: str) -> str:
    """A component name as a CSS class fragment: 'buy box' -> 'buy-box'."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "component"


MAX_ROWS = 8  # readout rows before it shows only what is down or worst
# The panel must fit a 1000 px window (JupyterLab leaves about 880 px for the notebook) with
# its readout in sight. A drawing at most this wide has the readout beside it (the output
# area is about 970 px wide with the file browser open; the readout needs about 480).
SIDE_BY_SIDE_PX = 480
DIAGRAM_BESIDE_PX = 600   # the tallest drawing with the readout beside it: the buttons go below
DIAGRAM_ABOVE_PX = 420    # ... and with the buttons and the readout below it


def readout_html(arch: Architecture, results: PanelResults, shown: list[str] | None = None) -> str:
    """The live numbers as a small HTML table: ``shown`` features, or a sensible few."""
    if shown is None:
        shown = list(results.features)
        if len(shown) > MAX_ROWS:  # many cells or shards: what is down, then the worst
            shown = sorted(shown, key=lambda f: (results.features[f].working,
                                                 results.features[f].availability))[:MAX_ROWS - 2]
    rows = []
    for name in shown:
        r = results.features[name]
        mark = ("<span style='color:#2e7d32'>served</span>" if r.working
                else "<b style='color:#c0392b'>DOWN</b>")
        shown_nines = "∞" if math.isinf(r.nines) else f"{r.nines:.2f}"
        rows.append(f"<tr><td>{html.escape(name)}</td><td>{mark}</td>"
                    f"<td>{format_percent(r.availability)}</td><td>{shown_nines}</td>"
                    f"<td>{format_duration(r.downtime_per_year)}</td></tr>")
    hidden = len(results.features) - len(shown)
    if hidden:
        down = sum(1 for f, r in results.features.items() if not r.working and f not in shown)
        rows.append(f"<tr><td colspan=5>… and {hidden} more features ({down} of them down)"
                    "</td></tr>")
    crashed = html.escape(", ".join(results.crashed)) or "nothing"
    totals = (f"<b>Request success ratio</b> {format_percent(results.request_success_ratio)}"
              f" · <b>customers affected now (blast radius)</b> {results.blast_radius:.1%}"
              f" · <b>crashed</b> {crashed}")
    # Lines as tall as their text (an HTML widget's are 28 px, a button's height), so the
    # readout stays short enough to sit in view beside or below the drawing.
    return ("<style>.labkit-table td, .labkit-table th {padding: 1px 10px; text-align: left}"
            ".labkit-table th {white-space: nowrap}</style><div style='line-height: 1.4'>"
            "<table class='labkit-table'><tr><th>feature</th><th>right now</th>"
            "<th>availability</th><th>nines</th><th>downtime / year</th></tr>"
            + "".join(rows) + f"</table><div style='margin-top: 4px'>{totals}</div>"
            "<div style='color:#555;font-size:90%;margin-top: 4px'>Availability is computed "
            "exactly with the crashed components staying down and every other component up with "
            "its own availability, failing independently except through shared components."
            "</div></div>")


def ladder_label(value: float) -> str:
    """A slider stop as a person reads it: '99.95 % · 3.30 nines'."""
    n = nines(value)
    return f"{format_percent(value)} · {'∞' if math.isinf(n) else f'{n:.2f}'} nines"


class _ArchitectureView:
    """The widgets for one architecture, built once."""

    def __init__(self, model: BreakItModel, on_change, shown: list[str] | None) -> None:
        self.model = model
        self.shown = shown
        arch = model.architecture
        results = model.results()
        # A narrow drawing gets the readout beside it, so the numbers stay in sight while the
        # drawing is; a wide one gets it below, with less height, for the same reason.
        self.side_by_side = layout_metrics(arch)["width"] <= SIDE_BY_SIDE_PX
        tallest = DIAGRAM_BESIDE_PX if self.side_by_side else DIAGRAM_ABOVE_PX
        # The states' legend is in the heading, once: none under the drawing.
        self.chart = alt.JupyterChart(diagram(arch, results.states, legend=False, max_height=tallest),
                                      embed_options={"renderer": "svg", "actions": False})
        self.chart.add_class("labkit-diagram")
        self.chart.layout.flex = "0 0 auto"
        self.toggles: dict[str, widgets.ToggleButton] = {}
        for name in model.breakable:
            button = widgets.ToggleButton(value=False, description=name,
                                          tooltip=f"crash or restore {name}", icon="bolt",
                                          layout=widgets.Layout(width="auto"))
            button.add_class(f"labkit-crash-{css_name(name)}")
            button.observe(self._on_toggle(name), names="value")
            self.toggles[name] = button
        self.picker = widgets.Dropdown(options=model.breakable, description="component",
                                       layout=widgets.Layout(width="260px"))
        # A selection slider syncs an index, not a float: the browser can neither round the
        # value nor echo back a different one, so the model holds exactly what was chosen.
        first = model.breakable[0]
        self._ladder = availability_ladder(arch)
        self.slider = widgets.SelectionSlider(
            options=[(ladder_label(v), v) for v in self._ladder],
            value=model.availability_of(first), description="availability",
            continuous_update=True, layout=widgets.Layout(width="520px"),
            style={"description_width": "initial"})
        self.slider.add_class("labkit-availability")
        self.picker.observe(self._on_pick, names="value")
        self.slider.observe(self._on_slide, names="value")
        self.scenario_buttons = []
        for name, scenario in arch.scenarios.items():
            button = widgets.Button(description=name, tooltip=scenario.description,
                                    button_style="warning", layout=widgets.Layout(width="auto"))
            button.add_class(f"labkit-scenario-{css_name(name)}")
            button.on_click(lambda _b, n=name: model.apply_scenario(n))
            self.scenario_buttons.append(button)
        restore = widgets.Button(description="restore all", button_style="success", icon="undo")
        restore.add_class("labkit-restore")
        restore.on_click(lambda _b: model.restore_all())
        self.readout = widgets.HTML(readout_html(arch, results, shown))
        self.readout.add_class("labkit-readout")
        self.status = widgets.HTML("")
        self.status.add_class("labkit-status")
        self.chart.selections.observe(self._on_click, names=[CLICK_PARAM])
        self._states = dict(results.states)
        # Registered for all names so it runs *after* altair's own params observer (observers
        # of a specific name run first); otherwise altair re-applies a stale value afterwards.
        self.chart.params.observe(self._keep_states)
        self._clicked: set[str] = set()
        legend = " ".join(f"<span style='color:{c}'>●</span> {s}" for s, c in STATE_COLOURS.items())
        heading = widgets.HTML(f"<b>{html.escape(arch.name)}</b> — {html.escape(arch.description)}. "
                               "Click a node or a button to crash it; click again to restore. "
                               f"<span class='labkit-legend'>{legend}</span>")
        controls = [
            widgets.HBox(list(self.toggles.values()), layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.picker, self.slider], layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox(self.scenario_buttons + [restore], layout=widgets.Layout(flex_flow="row wrap")),
        ]
        if self.side_by_side:
            beside = widgets.VBox([self.status, self.readout],
                                  layout=widgets.Layout(flex="1 1 0", min_width="0"))
            rows = [heading, widgets.HBox([self.chart, beside],
                                          layout=widgets.Layout(align_items="flex-start"))] + controls
        else:
            rows = [heading, self.chart] + controls + [self.status, self.readout]
        self.box = widgets.VBox(rows)
        model.observe(lambda _change: on_change(self), names=["crashed", "overrides"])
        self._syncing = False

    def _on_toggle(self, name):
        def handler(change):
            if self._syncing:
                return
            (self.model.crash if change["new"] else self.model.restore)(name)
        return handler

    def _show_on_slider(self, name: str) -> None:
        # Called only while _syncing: an off-ladder value set from code joins the ladder, so
        # the slider shows it exactly instead of snapping the model to a neighbour.
        value = self.model.availability_of(name)
        if value not in self._ladder:
            self._ladder = sorted(set(self._ladder) | {value})
            self.slider.options = [(ladder_label(v), v) for v in self._ladder]
        self.slider.value = value

    def _on_pick(self, change):
        self._syncing = True
        try:
            self._show_on_slider(change["new"])
        finally:
            self._syncing = False

    def _on_slide(self, change):
        if not self._syncing and self.picker.value is not None:
            self.model.set_availability(self.picker.value, change["new"])

    def _on_click(self, change):
        # With toggle="true" every click adds or removes exactly one name from the selection,
        # so the difference from last time is the box that was clicked.
        value = getattr(change["new"], "value", None) or []
        now = {v.get("name") for v in value if isinstance(v, dict)}
        for name in now ^ self._clicked:
            if name in self.toggles:
                self.status.value = ""
                self.model.toggle(name)
            elif name in self.model.architecture.components:
                group = self.model.architecture.component(name)
                members = self.model.architecture.dependencies(name, "member")
                self.status.value = (
                    f"<span style='color:#8a5a00'><b>{html.escape(name)}</b> is a replica group: "
                    f"it works while at least {group.k} of its {len(members)} members work, so "
                    f"it cannot crash by itself. Crash its members instead: "
                    f"{html.escape(', '.join(members))}.</span>")
        self._clicked = now

    def _keep_states(self, change):
        # When the browser (re)draws the chart it reports the spec's initial parameter values
        # back, which would leave the kernel believing the drawing shows the current states.
        # Send the current states again whenever what came back differs.
        if change["name"] == STATE_PARAM and change["new"] != self._states:
            setattr(self.chart.params, STATE_PARAM, dict(self._states))

    def refresh(self) -> PanelResults:
        """Recompute and update the existing widgets and chart in place."""
        results = self.model.results()
        self._syncing = True
        try:
            crashed = set(results.crashed)
            for name, button in self.toggles.items():
                button.value = name in crashed
                button.button_style = "danger" if name in crashed else ""
            if self.picker.value is not None:
                self._show_on_slider(self.picker.value)
        finally:
            self._syncing = False
        self.readout.value = readout_html(self.model.architecture, results, self.shown)
        self._states = dict(results.states)
        setattr(self.chart.params, STATE_PARAM, dict(self._states))
        return results


class BreakItPanel(widgets.VBox):
    """Crash, slow and restore components; read availability, nines, downtime, blast radius.

    Pass one architecture, or a mapping of names to architectures to compare them (plain vs
    shuffle sharding): the crashed components carry over by name when you switch.
    ``features``: the features the readout lists (default: all, or the down and worst few
    when there are many).
    """

    _live: list = []  # weak references to every panel made in this kernel, oldest first

    def __init__(self, architectures: Architecture | Mapping[str, Architecture],
                 features: list[str] | None = None) -> None:
        if isinstance(architectures, Architecture):
            architectures = {architectures.name: architectures}
        if not isinstance(architectures, Mapping) or not architectures or not all(
                isinstance(k, str) and isinstance(a, Architecture) for k, a in architectures.items()):
            raise fail("architectures", architectures,
                       "expected an Architecture or a non-empty mapping of name to Architecture")
        if len(architectures) > 8:
            raise fail("architectures", architectures, "expected at most 8 to compare")
        self.models = {key: BreakItModel(arch) for key, arch in architectures.items()}
        shown = None
        if features is not None:
            shown = check_names("features", features)
            for model in self.models.values():
                for name in shown:
                    model.architecture.feature(name)  # raises, naming the known features
        self.views = {key: _ArchitectureView(model, self._on_change, shown)
                      for key, model in self.models.items()}
        self.switch = widgets.ToggleButtons(options=list(self.models), description="compare")
        self.switch.add_class("labkit-switch")
        self.switch.observe(self._on_switch, names="value")
        self.current = next(iter(self.models))
        children = ([self.switch] if len(self.models) > 1 else []) + [self.views[self.current].box]
        super().__init__(children)
        self.add_class("labkit-panel")
        self.last_results = self.views[self.current].model.results()
        BreakItPanel._live[:] = [ref for ref in BreakItPanel._live if ref() is not None]
        BreakItPanel._live.append(weakref.ref(self))

    @property
    def model(self) -> BreakItModel:
        """The model of the architecture on show."""
        return self.models[self.current]

    @property
    def view(self) -> _ArchitectureView:
        return self.views[self.current]

    @property
    def chart(self) -> alt.JupyterChart:
        return self.view.chart

    @property
    def readout(self) -> widgets.HTML:
        return self.view.readout

    def _on_change(self, view: _ArchitectureView) -> None:
        results = view.refresh()
        if view is self.view:
            self.last_results = results

    def _on_switch(self, change) -> None:
        old, new = self.models[change["old"]], self.models[change["new"]]
        self.current = change["new"]
        new.set_crashed([c for c in old.crashed if c in new.breakable])
        self.children = tuple(([self.switch] if len(self.models) > 1 else [])
                              + [self.views[self.current].box])
        self.last_results = self.view.refresh()

    def results(self) -> PanelResults:
        return self.model.results()

    def state(self) -> dict:
        """What the learner has set on the architecture on show, and what the readout says."""
        results = self.model.results()
        return {**self.model.state(), "showing": self.current,
                "request_success_ratio": results.request_success_ratio,
                "blast_radius": results.blast_radius}


def panel_states() -> list[dict]:
    """The state of every break-it panel alive in this kernel, oldest first.

    The browser test compares this, taken in JupyterLab after Run All, with the same taken
    in a papermill run: a widget's echo or rounding must never change a model.
    """
    alive = [ref() for ref in BreakItPanel._live]
    return [panel.state() for panel in alive if panel is not None]


def break_it(architectures: Architecture | Mapping[str, Architecture],
             features: list[str] | None = None) -> BreakItPanel:
    """Build the break-it panel for an architecture (or several to compare)."""
    return BreakItPanel(architectures, features)
