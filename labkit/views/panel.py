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

import math
import re
from typing import Mapping

import altair as alt
import ipywidgets as widgets

from ..breakit import BreakItModel, PanelResults
from ..errors import fail
from ..formulas import format_duration, format_percent
from ..model import Architecture
from .diagram import CLICK_PARAM, STATE_COLOURS, STATE_PARAM, diagram


def css_name(name: str) -> str:
    """A component name as a CSS class fragment: 'buy box' -> 'buy-box'."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "component"


def readout_html(arch: Architecture, results: PanelResults) -> str:
    """The live numbers as a small HTML table."""
    rows = []
    for name, r in results.features.items():
        mark = ("<span style='color:#2e7d32'>served</span>" if r.working
                else "<b style='color:#c0392b'>DOWN</b>")
        shown_nines = "∞" if math.isinf(r.nines) else f"{r.nines:.2f}"
        rows.append(f"<tr><td>{name}</td><td>{mark}</td><td>{format_percent(r.availability)}</td>"
                    f"<td>{shown_nines}</td><td>{format_duration(r.downtime_per_year)}</td></tr>")
    if len(rows) > 8:  # many cells or shards: show the worst few, the totals say the rest
        order = sorted(results.features, key=lambda f: results.features[f].availability)
        keep = set(order[:6])
        rows = [row for row, name in zip(rows, results.features) if name in keep]
        rows.append(f"<tr><td colspan=5>… {len(results.features) - 6} more features</td></tr>")
    crashed = ", ".join(arch.component(c).display_name for c in results.crashed) or "nothing"
    totals = (f"<b>Request success ratio</b> {format_percent(results.request_success_ratio)}"
              f" · <b>customers affected now (blast radius)</b> {results.blast_radius:.1%}"
              f" · <b>crashed</b> {crashed}")
    return ("<style>.labkit-table td, .labkit-table th {padding: 1px 12px; text-align: left}"
            "</style><table class='labkit-table'><tr><th>feature</th><th>right now</th>"
            "<th>availability</th><th>nines</th><th>downtime / year</th></tr>"
            + "".join(rows) + f"</table><div>{totals}</div>"
            "<div style='color:#555;font-size:90%'>Availability is computed exactly with the "
            "crashed components staying down and every other component up with its own "
            "availability, failing independently except through shared components.</div>")


class _ArchitectureView:
    """The widgets for one architecture, built once."""

    def __init__(self, model: BreakItModel, on_change) -> None:
        self.model = model
        arch = model.architecture
        results = model.results()
        self.chart = alt.JupyterChart(diagram(arch, results.states),
                                      embed_options={"renderer": "svg", "actions": False})
        self.chart.add_class("labkit-diagram")
        self.toggles: dict[str, widgets.ToggleButton] = {}
        shown = [arch.component(c).display_name for c in model.breakable]
        # Copies in cells share a label ("price" in every cell): buttons then use the name.
        caption = {c: label if shown.count(label) == 1 else c for c, label in zip(model.breakable, shown)}
        for name in model.breakable:
            button = widgets.ToggleButton(value=False, description=caption[name],
                                          tooltip=f"crash or restore {name}", icon="bolt",
                                          layout=widgets.Layout(width="auto"))
            button.add_class(f"labkit-crash-{css_name(name)}")
            button.observe(self._on_toggle(name), names="value")
            self.toggles[name] = button
        self.picker = widgets.Dropdown(options=[(caption[c], c) for c in model.breakable],
                                       description="component", layout=widgets.Layout(width="260px"))
        self.slider = widgets.FloatSlider(value=model.availability_of(model.breakable[0]),
                                          min=0.9, max=1.0, step=0.0001, readout_format=".2%",
                                          description="availability", continuous_update=True,
                                          layout=widgets.Layout(width="420px"))
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
        self.readout = widgets.HTML(readout_html(arch, results))
        self.readout.add_class("labkit-readout")
        self.chart.selections.observe(self._on_click, names=[CLICK_PARAM])
        self._states = dict(results.states)
        # Registered for all names so it runs *after* altair's own params observer (observers
        # of a specific name run first); otherwise altair re-applies a stale value afterwards.
        self.chart.params.observe(self._keep_states)
        self._clicked: set[str] = set()
        legend = " ".join(f"<span style='color:{c}'>●</span> {s}" for s, c in STATE_COLOURS.items())
        self.box = widgets.VBox([
            widgets.HTML(f"<b>{arch.name}</b> — {arch.description}. Click a box or a button to "
                         f"crash it; click again to restore. {legend}"),
            self.chart,
            widgets.HBox(list(self.toggles.values()), layout=widgets.Layout(flex_flow="row wrap")),
            widgets.HBox([self.picker, self.slider]),
            widgets.HBox(self.scenario_buttons + [restore], layout=widgets.Layout(flex_flow="row wrap")),
            self.readout,
        ])
        model.observe(lambda _change: on_change(self), names=["crashed", "overrides"])
        self._syncing = False

    def _on_toggle(self, name):
        def handler(change):
            if self._syncing:
                return
            (self.model.crash if change["new"] else self.model.restore)(name)
        return handler

    def _on_pick(self, change):
        self._syncing = True
        try:
            self.slider.value = self.model.availability_of(change["new"])
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
                self.model.toggle(name)
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
                self.slider.value = self.model.availability_of(self.picker.value)
        finally:
            self._syncing = False
        self.readout.value = readout_html(self.model.architecture, results)
        self._states = dict(results.states)
        setattr(self.chart.params, STATE_PARAM, dict(self._states))
        return results


class BreakItPanel(widgets.VBox):
    """Crash, slow and restore components; read availability, nines, downtime, blast radius.

    Pass one architecture, or a mapping of names to architectures to compare them (plain vs
    shuffle sharding): the crashed components carry over by name when you switch.
    """

    def __init__(self, architectures: Architecture | Mapping[str, Architecture]) -> None:
        if isinstance(architectures, Architecture):
            architectures = {architectures.name: architectures}
        if not isinstance(architectures, Mapping) or not architectures:
            raise fail("architectures", architectures,
                       "expected an Architecture or a non-empty mapping of name to Architecture")
        self.models = {key: BreakItModel(arch) for key, arch in architectures.items()}
        self.views = {key: _ArchitectureView(model, self._on_change)
                      for key, model in self.models.items()}
        self.switch = widgets.ToggleButtons(options=list(self.models), description="compare")
        self.switch.add_class("labkit-switch")
        self.switch.observe(self._on_switch, names="value")
        self.current = next(iter(self.models))
        children = ([self.switch] if len(self.models) > 1 else []) + [self.views[self.current].box]
        super().__init__(children)
        self.add_class("labkit-panel")
        self.last_results = self.views[self.current].model.results()

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


def break_it(architectures: Architecture | Mapping[str, Architecture]) -> BreakItPanel:
    """Build the break-it panel for an architecture (or several to compare)."""
    return BreakItPanel(architectures)
