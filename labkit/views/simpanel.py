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

Retries in a panel back off on the panel's own time scale. The engine moves in steps (1 s
unless the study says otherwise), and a wait shorter than a step lands in the next step
whatever it is, so a 50 ms backoff would make every backoff setting give the same run. Unless
the study sets ``retry_options={"base": ...}`` itself, a panel's retries wait one step first,
then double (exponential: 1 s, 2 s, 4 s, ... up to the cap, 20 s), and the backoff knob
changes the run:

>>> panel.study.attempts = 3
>>> panel.retry_base
1.0
>>> runs = set()
>>> for backoff in ("none", "exponential", "full", "equal", "decorrelated"):
...     panel.study.backoff = backoff
...     runs.add(round(panel.last_run.summary()["retries"]))
>>> len(runs)
5
"""

from __future__ import annotations

import html
import weakref

import altair as alt
import ipywidgets as widgets

from ..errors import check_number
from ..formulas import format_percent
from ..simulation.engine import BACKOFFS, MAX_STEPS, Retry
from ..simulation.study import BREAKERS, FALLBACKS, FAULTS, Study
from .timeline import timeline_chart, timeline_spec, timeline_template

# JupyterLab's output area is about 970 px wide in a 1400 px window with the file browser
# open. The knob column keeps its width (it never shrinks to make room for the chart), so
# every slider shows its value and every dropdown its arrow; the chart's plot is narrow
# enough that its axes and legends fit beside it. A narrower window wraps the chart below.
KNOB_PX = 270          # each knob: an 80 px label, then the control and its value
LABEL_PX = 80
COLUMN_PX = 280        # the knob column
CHART_PX = 420         # the timeline's plot width in a panel
# Decimal places as the model holds them: 60 -> "60", 60.5 -> "60.5", 2 -> "2", 2.5 -> "2.5".
# A slider's readout shows the value the study holds, never a rounded one.
EXACT = ".6"   # d3-format with no type: like "g", insignificant zeros trimmed


def readout_html(run) -> str:
    """The run's totals in one line a learner can read."""
    s = run.summary()
    return (f"<b>Request success ratio</b> {format_percent(s['success ratio'])} · "
            f"served {s['served']:,.0f} of {s['new']:,.0f} new requests · "
            f"retries {s['retries']:,.0f} · shed {s['shed']:,.0f} · timed out {s['timed out']:,.0f}"
            f" · wasted work {s['wasted']:,.0f} · errors {s['errors'] + s['rejected']:,.0f}")


def retry_at_panel_scale(study: Study) -> float:
    """Give ``study``'s retries a first backoff wait of one step (unless it sets its own
    ``base``) and return that wait in seconds.

    A wait shorter than the engine's step lands in the next step whatever the policy, so at
    the default 50 ms every backoff setting would give the same run at 1 s steps.
    """
    options = study.settings.get("retry_options", {})
    if not isinstance(options, dict):
        return Retry.base  # the study reports the bad value itself on its next run
    if "base" not in options:
        step = float(study.settings.get("step", 1.0))
        cap = options.get("cap", Retry.cap)
        study.settings["retry_options"] = {**options, "base": min(max(step, Retry.base), cap)}
    return float(study.settings["retry_options"]["base"])


class SimulationPanel(widgets.VBox):
    """Knobs on the left of a timeline; each change re-runs the study and redraws in place.

    Knobs that cannot change the run right now are greyed out, and say why when hovered:
    ``crash what`` unless the fault is a crash, ``spike x`` unless it is a spike, the fault's
    times when there is no fault, ``backoff`` while there is only one attempt.
    """

    _live: list = []  # weak references to every panel made in this kernel, oldest first

    def __init__(self, study: Study, title: str = "") -> None:
        self.study = study
        self.retry_base = retry_at_panel_scale(study)
        self.last_run = study.run()
        fallback_row = study.fallback_capacity is not None
        self._template = timeline_template(self.last_run, width=CHART_PX, fallback=fallback_row)
        self.chart = alt.JupyterChart(timeline_chart(self.last_run, width=CHART_PX),
                                      embed_options={"renderer": "svg", "actions": False})
        # The same rows and labels from the first drawing on as after any later change.
        self.chart.spec = timeline_spec(self._template, self.last_run)
        self.chart.add_class("labkit-timeline")
        self.readout = widgets.HTML(readout_html(self.last_run))
        self.readout.add_class("labkit-sim-readout")
        self.controls = self._build_controls(study)
        for name, control in self.controls.items():
            control.add_class(f"labkit-sim-{name.replace('_', '-')}")
            if isinstance(control, widgets.ToggleButtons):
                # ipywidgets lays ToggleButtons out as a block, so their label sits above the
                # buttons; as an inline row they line up with every other knob.
                control.add_class("widget-inline-hbox")
            control.observe(self._on_control(name), names="value")
        study.observe(self._on_study, names=list(self.controls))
        self._sync_enabled()
        cap = study.settings["retry_options"].get("cap", Retry.cap) \
            if isinstance(study.settings.get("retry_options"), dict) else Retry.cap
        self.backoff_note = widgets.HTML(
            f"<div style='color:#555;font-size:90%;line-height:1.3;margin-left:{LABEL_PX + 8}px'>"
            f"waits {self.retry_base:g} s, then doubles (at most {cap:g} s); jitter makes each "
            "wait random</div>", layout=widgets.Layout(width=f"{KNOB_PX}px"))
        self.backoff_note.add_class("labkit-note")
        heading = widgets.HTML(f"<b>{html.escape(title or study.architecture.name)}</b> — change "
                               "a knob and the run is simulated again (same seed, so only your "
                               "change differs).")
        names = list(self.controls)
        column = ([self.controls[n] for n in names[:names.index("backoff") + 1]] + [self.backoff_note]
                  + [self.controls[n] for n in names[names.index("backoff") + 1:]])
        knobs = widgets.VBox(column, layout=widgets.Layout(width=f"{COLUMN_PX}px",
                                                           min_width=f"{COLUMN_PX}px",
                                                           flex="0 0 auto"))
        knobs.add_class("labkit-sim-knobs")
        body = widgets.HBox([knobs, self.chart],
                            layout=widgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        super().__init__([heading, body, self.readout])
        self.add_class("labkit-sim-panel")
        SimulationPanel._live[:] = [ref for ref in SimulationPanel._live if ref() is not None]
        SimulationPanel._live.append(weakref.ref(self))

    @staticmethod
    def _build_controls(study: Study) -> dict:
        knob = widgets.Layout(width=f"{KNOB_PX}px")
        style = {"description_width": f"{LABEL_PX}px"}
        # Sliders run the study when let go, not at every pixel of a drag.
        slider = {"layout": knob, "style": style, "continuous_update": False,
                  "readout_format": EXACT}
        # Buttons as wide as their words, so "health check" is never cut.
        buttons = {"style": {**style, "button_width": "auto"}, "layout": knob}
        fallbacks = FALLBACKS if study.fallback_capacity is not None else ("none",)
        duration = float(study.duration)
        return {
            "fault": widgets.Dropdown(options=FAULTS, value=study.fault, description="fault",
                                      layout=knob, style=style),
            "fault_target": widgets.Dropdown(options=[""] + study.targets, value=study.fault_target,
                                             description="crash what", layout=knob, style=style,
                                             tooltip="what the crash takes down (fault: crash)"),
            "fault_at": widgets.FloatSlider(value=study.fault_at, min=0.0,
                                            max=max(duration - 1.0, study.fault_at), step=1.0,
                                            description="from (s)", **slider,
                                            tooltip="when the fault starts, in seconds"),
            "fault_duration": widgets.FloatSlider(value=study.fault_duration,
                                                  min=min(1.0, study.fault_duration),
                                                  max=max(duration, study.fault_duration), step=1.0,
                                                  description="for (s)", **slider,
                                                  tooltip="how long the fault lasts, in seconds"),
            "spike_multiple": widgets.FloatSlider(value=study.spike_multiple,
                                                  min=min(1.0, study.spike_multiple),
                                                  max=max(10.0, study.spike_multiple), step=0.5,
                                                  description="spike x", **slider,
                                                  tooltip="traffic times this during the spike "
                                                          "(fault: spike)"),
            "attempts": widgets.IntSlider(value=study.attempts, min=min(1, study.attempts),
                                          max=max(5, study.attempts), description="attempts",
                                          **{**slider, "readout_format": "d"},
                                          tooltip="tries per request in all: 1 never retries"),
            "backoff": widgets.Dropdown(options=BACKOFFS, value=study.backoff, description="backoff",
                                        layout=knob, style=style,
                                        tooltip="how long a retry waits (attempts 2 or more)"),
            "overload": widgets.ToggleButtons(options=("shed", "queue"), value=study.overload,
                                              description="overload", **buttons),
            "failover": widgets.ToggleButtons(options=("none", "health check"), value=study.failover,
                                              description="failover", **buttons),
            "breaker": widgets.Dropdown(options=BREAKERS, value=study.breaker, description="breaker",
                                        layout=knob, style=style),
            "fallback": widgets.Dropdown(options=fallbacks, value=study.fallback,
                                         description="fallback", layout=knob, style=style),
        }

    def _sync_enabled(self) -> None:
        """Grey out the knobs that cannot change the run with the others as they are."""
        s, c = self.study, self.controls
        c["fault_target"].disabled = s.fault != "crash"
        c["spike_multiple"].disabled = s.fault != "spike"
        c["fault_at"].disabled = c["fault_duration"].disabled = s.fault == "none"
        c["backoff"].disabled = s.attempts < 2

    def _on_control(self, name):
        def handler(change):
            if getattr(self.study, name) != change["new"]:
                setattr(self.study, name, change["new"])
        return handler

    def _on_study(self, change) -> None:
        control = self.controls[change["name"]]
        value = change["new"]
        # A value set from code beyond a slider's range widens the range, so the slider
        # shows it as it is instead of clamping (and so changing) the model.
        if isinstance(control, (widgets.FloatSlider, widgets.IntSlider)):
            control.max = max(control.max, value)
            control.min = min(control.min, value)
        if control.value != value:
            control.value = value
        self._sync_enabled()
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

    def state(self) -> dict:
        """What the learner has set (each knob as the study holds it) and what the readout says."""
        summary = self.last_run.summary()
        return {**{name: getattr(self.study, name) for name in self.controls},
                "success_ratio": summary["success ratio"], "retries": summary["retries"]}


def simulation_panel_states() -> list[dict]:
    """The state of every simulation panel alive in this kernel, oldest first.

    The browser test compares this, taken in JupyterLab after Run All, with the same taken
    in a papermill run: a widget's echo or rounding must never change a study.
    """
    alive = [ref() for ref in SimulationPanel._live]
    return [panel.state() for panel in alive if panel is not None]


def simulate_it(arch, traffic, *, duration: float = 600.0, title: str = "",
                fallback_capacity: float | None = None, **settings) -> SimulationPanel:
    """A simulation panel for ``arch`` under ``traffic``; ``settings`` go to ``simulate``."""
    # The fault sliders move in whole seconds inside the run, so a panel needs at least two.
    check_number("duration", duration, low=2.0, high=float(MAX_STEPS),
                 allowed=f"expected seconds from 2 to {MAX_STEPS:,} for a panel")
    return SimulationPanel(Study(arch, traffic, duration=duration,
                                 fallback_capacity=fallback_capacity, **settings), title)
