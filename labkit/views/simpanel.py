"""The simulation panel: schedule a fault, turn the retry, overload, failover, breaker and
fallback knobs, and watch the timeline redraw.

A thin ipywidgets view over a :class:`labkit.simulation.study.Study` (the model): every
widget is built once; a change sets a knob on the study, which re-runs, and the existing
chart and readout are updated in place.

>>> from labkit.catalog import cells
>>> from labkit.simulation import constant
>>> panel = simulate_it(cells(4), constant(1000), duration=120, cell_capacity=300)
>>> panel.study.fault = "crash"
>>> panel.study.fault_target = "cell1-app"
>>> panel.last_run.success_ratio < 0.9
True
"""

from __future__ import annotations

import html

import altair as alt
import ipywidgets as widgets

from ..errors import check_number
from ..formulas import format_percent
from ..simulation.engine import BACKOFFS, MAX_STEPS
from ..simulation.study import BREAKERS, FALLBACKS, FAULTS, Study
from .timeline import timeline_chart, timeline_spec, timeline_template


def readout_html(run) -> str:
    """The run's totals in one line a learner can read."""
    s = run.summary()
    return (f"<b>Request success ratio</b> {format_percent(s['success ratio'])} · "
            f"served {s['served']:,.0f} of {s['new']:,.0f} new requests · "
            f"retries {s['retries']:,.0f} · shed {s['shed']:,.0f} · timed out {s['timed out']:,.0f}"
            f" · wasted work {s['wasted']:,.0f} · errors {s['errors'] + s['rejected']:,.0f}")


class SimulationPanel(widgets.VBox):
    """Knobs on the left of a timeline; each change re-runs the study and redraws in place."""

    def __init__(self, study: Study, title: str = "") -> None:
        self.study = study
        self.last_run = study.run()
        self.chart = alt.JupyterChart(timeline_chart(self.last_run),
                                      embed_options={"renderer": "svg", "actions": False})
        self._template = timeline_template(self.last_run)
        self.chart.add_class("labkit-timeline")
        self.readout = widgets.HTML(readout_html(self.last_run))
        self.readout.add_class("labkit-sim-readout")
        short = widgets.Layout(width="250px")
        style = {"description_width": "90px"}
        fallbacks = FALLBACKS if study.fallback_capacity is not None else ("none",)
        self.controls = {
            "fault": widgets.Dropdown(options=FAULTS, value=study.fault, description="fault",
                                      layout=short, style=style),
            "fault_target": widgets.Dropdown(options=[""] + study.targets, value=study.fault_target,
                                             description="crash what", layout=short, style=style),
            "fault_at": widgets.IntSlider(value=int(study.fault_at), min=0,
                                          max=int(study.duration) - 1, description="from (s)",
                                          layout=short, style=style),
            "fault_duration": widgets.IntSlider(value=int(study.fault_duration), min=1,
                                                max=int(study.duration), description="for (s)",
                                                layout=short, style=style),
            "spike_multiple": widgets.FloatSlider(value=study.spike_multiple, min=1.0, max=10.0,
                                                  step=0.5, description="spike x",
                                                  layout=short, style=style),
            "attempts": widgets.IntSlider(value=study.attempts, min=1, max=5, description="attempts",
                                          layout=short, style=style),
            "backoff": widgets.Dropdown(options=BACKOFFS, value=study.backoff, description="backoff",
                                        layout=short, style=style),
            "overload": widgets.ToggleButtons(options=("shed", "queue"), value=study.overload,
                                              description="overload", style=style),
            "failover": widgets.ToggleButtons(options=("none", "health check"), value=study.failover,
                                              description="failover", style=style),
            "breaker": widgets.Dropdown(options=BREAKERS, value=study.breaker, description="breaker",
                                        layout=short, style=style),
            "fallback": widgets.Dropdown(options=fallbacks, value=study.fallback,
                                         description="fallback", layout=short, style=style),
        }
        for name, control in self.controls.items():
            control.add_class(f"labkit-sim-{name.replace('_', '-')}")
            control.observe(self._on_control(name), names="value")
        study.observe(self._on_study, names=list(self.controls))
        heading = widgets.HTML(f"<b>{html.escape(title or study.architecture.name)}</b> — change "
                               "a knob and the run is simulated again (same seed, so only your "
                               "change differs).")
        knobs = widgets.VBox(list(self.controls.values()), layout=widgets.Layout(width="270px"))
        super().__init__([heading, widgets.HBox([knobs, self.chart]), self.readout])
        self.add_class("labkit-sim-panel")

    def _on_control(self, name):
        def handler(change):
            if getattr(self.study, name) != change["new"]:
                setattr(self.study, name, change["new"])
        return handler

    def _on_study(self, change) -> None:
        control = self.controls[change["name"]]
        if control.value != change["new"]:
            control.value = change["new"]
        self.refresh()

    def refresh(self):
        """Re-run the study and update the chart and readout in place."""
        try:
            run = self.study.run()
        except ValueError as exc:  # e.g. "crash" chosen before a target: say what is missing
            self.readout.value = f"<span style='color:#8a5a00'>{html.escape(str(exc))}</span>"
            return self.last_run
        self.last_run = run
        self.chart.spec = timeline_spec(self._template, run)
        self.readout.value = readout_html(run)
        return run


def simulate_it(arch, traffic, *, duration: float = 600.0, title: str = "",
                fallback_capacity: float | None = None, **settings) -> SimulationPanel:
    """A simulation panel for ``arch`` under ``traffic``; ``settings`` go to ``simulate``."""
    # The fault sliders move in whole seconds inside the run, so a panel needs at least two.
    check_number("duration", duration, low=2.0, high=float(MAX_STEPS),
                 allowed=f"expected seconds from 2 to {MAX_STEPS:,} for a panel")
    return SimulationPanel(Study(arch, traffic, duration=duration,
                                 fallback_capacity=fallback_capacity, **settings), title)
