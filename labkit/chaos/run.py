"""Run an experiment with chaostoolkit-lib against a simulated system, and read the result.

:func:`run_experiment` checks the experiment (:mod:`labkit.chaos.experiment`), starts the
system afresh, and hands chaostoolkit-lib a copy whose configuration holds the system:
Chaos Toolkit's own way to give providers what they act on, so labkit's actions and probes
find it through the ``configuration`` argument chaostoolkit-lib passes them (no global
state, nothing to clean up, two systems can be run one after the other in one notebook).
chaostoolkit-lib then does what it does for a real system: hypothesis, method, hypothesis,
rollbacks, journal. It gets labkit's settings (never ``~/.chaostoolkit/settings.yaml``), no
notification or extension that could reach the network, and its log is kept in the result
instead of printed.

>>> from labkit.catalog import cells
>>> from labkit.chaos.system import System
>>> probe = {"type": "probe", "name": "served", "tolerance": [0.99, 1.0],
...          "provider": {"type": "python", "module": "labkit.chaos.probes",
...                       "func": "success_ratio", "arguments": {"window": 60}}}
>>> experiment = {
...     "title": "A cell crash", "description": "Customers of one cell of four fail.",
...     "steady-state-hypothesis": {"title": "served", "probes": [probe]},
...     "method": [{"type": "action", "name": "crash cell 2", "pauses": {"after": 120},
...                 "provider": {"type": "python", "module": "labkit.chaos.actions",
...                              "func": "crash_cell", "arguments": {"cell": 2}}}],
...     "rollbacks": [{"type": "action", "name": "restore cell 2",
...                    "provider": {"type": "python", "module": "labkit.chaos.actions",
...                                 "func": "restore_cell", "arguments": {"cell": 2}}}]}
>>> result = run_experiment(experiment, System(cells(4), 1000, cell_capacity=400, seed=1))
>>> print(result.summary)
A cell crash: deviated: held before, not after (served = 0.7504, outside [0.99, 1]); 1 activity, 1 rollback; simulated 60-180 s
>>> result.status, result.deviated, [r["status"] for r in result.rollbacks]
('completed', True, ['succeeded'])
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import LabkitError, check_choice
from ..simulation import Run
from .experiment import for_chaoslib, plan
from .controls import arm
from .system import Halt, System, shown

STRATEGIES = ("always", "default", "deviated", "never")
_LOGGERS = ("chaostoolkit", "chaostoolkit-lib")


@contextlib.contextmanager
def quiet_chaoslib():
    """Keep chaostoolkit-lib's log out of the notebook; yield the list it is collected in."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                lines.append(f"{record.levelname.lower()}: {record.getMessage()}")
            except Exception:  # noqa: BLE001 - a log line must never break a run
                pass

    handler = Collect(logging.INFO)
    saved = []
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    try:
        yield lines
    finally:
        for logger, level, propagate in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


# ------------------------------------------------------------------------- result


@dataclass
class ProbeCheck:
    """One hypothesis probe as checked: its value against its tolerance. ``met`` is None
    when chaostoolkit-lib did not check it (it stops at the first probe that fails)."""

    name: str
    func: str
    value: Any
    tolerance: Any
    met: bool | None
    at: float | None = None
    error: str = ""

    def describe(self) -> str:
        if self.met is None:
            return f"{self.name}: not checked"
        if self.error:
            return f"{self.name}: failed ({self.error})"
        return (f"{self.name} = {shown(self.value)}, "
                f"{'within' if self.met else 'outside'} {shown(self.tolerance)}")


@dataclass
class ExperimentResult:
    """What happened: chaostoolkit-lib's ``journal`` and ``status`` (completed, failed,
    aborted or interrupted), whether the steady state ``deviated``, the hypothesis probe by
    probe ``before`` and ``after`` the method (None where it did not run), the
    ``activities`` and ``rollbacks`` that ran, the stop condition that ``halted`` it (None if
    none), the ``faults`` as scheduled, and the simulated ``timeline`` (a
    :class:`labkit.simulation.Run` from 0 to the end, for
    :func:`labkit.views.timeline.timeline_chart`; None if the engine refused the run, which
    the failed probes and the ``log`` explain).

    ``title`` is the experiment's title as chaostoolkit-lib ran it: ``${name}`` filled in
    from the experiment's configuration, where labkit adds ``architecture`` (the name of the
    architecture under test), so one file can say whose game day it was:

    >>> from labkit.catalog import cells
    >>> from labkit.chaos.system import System
    >>> experiment = {"title": "${architecture} without cell ${cell}", "description": "d",
    ...               "configuration": {"cell": 3}, "method": []}
    >>> run_experiment(experiment, System(cells(4), 1000)).title
    '4 cells without cell 3'
    """

    title: str
    status: str
    deviated: bool
    before: list[ProbeCheck] | None
    after: list[ProbeCheck] | None
    activities: list[dict]
    rollbacks: list[dict]
    halted: Halt | None
    faults: list[dict]
    timeline: Run | None
    journal: dict
    start: float
    end: float
    seconds: float
    log: list[str] = field(default_factory=list)

    @property
    def held_before(self) -> bool | None:
        """Did the steady state hold before the method (None: no hypothesis)?"""
        return None if self.before is None else all(p.met for p in self.before)

    @property
    def held_after(self) -> bool | None:
        """Did it hold after the method (None: not checked)?"""
        return None if self.after is None else all(p.met for p in self.after)

    def _span(self):
        if self.timeline is None:
            raise LabkitError("this experiment has no timeline: the simulation failed "
                              "(see result.log)")
        t = self.timeline
        return t.window(self.start, self.end), t

    @property
    def requests_failed(self) -> float:
        """Requests that arrived while the experiment ran (from ``start`` to ``end``) and
        were not served: failed, shed or timed out. The hypothesis only sees its windows;
        this counts every second."""
        during, t = self._span()
        return float(t.new[during].sum() - t.good[during].sum())

    @property
    def served_share(self) -> float:
        """Share of the requests that arrived while the experiment ran that were served
        (1.0 if none arrived)."""
        during, t = self._span()
        new = float(t.new[during].sum())
        return float(t.good[during].sum()) / new if new > 0 else 1.0

    @property
    def verdict(self) -> str:
        if self.halted is not None:
            return f"halted: {self.halted}"
        if self.status == "aborted":
            return "aborted: an activity failed unexpectedly (see the log)"
        failed = next((c for c in (self.before or []) + (self.after or []) if c.error), None)
        if self.status == "failed" and failed is not None:
            return f"failed: a probe could not measure ({failed.describe()})"
        if self.before is not None and not self.held_before:
            return "steady state not met before the method (" + _first_miss(self.before) + \
                   "); the method did not run"
        if self.after is not None and not self.held_after:
            return "deviated: held before, not after (" + _first_miss(self.after) + ")"
        if self.before is None:
            return f"{self.status} (no steady-state hypothesis to check)"
        return "steady state held before and after"

    @property
    def summary(self) -> str:
        """One line: what happened, how many activities and rollbacks ran, when."""
        n, r = len(self.activities), len(self.rollbacks)
        return (f"{self.title}: {self.verdict}; {n} activit{'y' if n == 1 else 'ies'}, "
                f"{r} rollback{'' if r == 1 else 's'}; simulated {self.start:g}-{self.end:g} s")

    def __str__(self) -> str:
        return self.summary

    def __repr__(self) -> str:
        return f"<ExperimentResult {self.summary}>"

    def table(self) -> list[dict]:
        """One row per step taken: phase, activity, function, simulated time, status, value,
        tolerance and whether it was met."""
        rows = []
        for phase, checks in (("hypothesis before", self.before), ("hypothesis after", self.after)):
            for c in checks or []:
                rows.append({"phase": phase, "activity": c.name, "func": c.func,
                             "simulated time": c.at, "status": "not checked" if c.met is None
                             else ("met" if c.met else "not met"),
                             "value": c.value, "tolerance": c.tolerance})
            if phase == "hypothesis before":
                rows += [dict(a, phase="method") for a in self.activities]
        rows += [dict(a, phase="rollbacks") for a in self.rollbacks]
        order = ("phase", "activity", "func", "simulated time", "status", "value", "tolerance")
        return [{k: row.get(k) for k in order} for row in rows]

    def _repr_html_(self) -> str:
        head = ("phase", "activity", "func", "simulated time", "status", "value", "tolerance")
        cells = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(row[k]))}</td>" for k in head) + "</tr>"
            for row in self.table())
        faults = "".join(
            f"<li>{html.escape(f['fault'])} of {html.escape(f['target'])} from {f['from']:g} s "
            + (f"until {f['until']:g} s" if f["until"] is not None else "<b>still in effect</b>")
            + "</li>" for f in self.faults)
        return (f"<div class='labkit-experiment'><h4>{html.escape(self.title)}</h4>"
                f"<p>{html.escape(self.summary)}</p>"
                f"<table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>{cells}</table>"
                f"<p>Faults:</p><ul>{faults or '<li>none</li>'}</ul></div>")


def _cell(value: Any) -> str:
    """A table cell: a probe's value, or what an action did, in a few words."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "action" in value:
        if "to" in value:
            return f"time {value['from']:g} -> {value['to']:g} s"
        faults = value.get("faults", value.get("ended", []))
        verb = "ended " if "ended" in value else ""
        return "; ".join(f"{verb}{f['fault']} of {f['target']} from {f['from']:g} s"
                         + (f" until {f['until']:g} s" if f["until"] is not None else "")
                         for f in faults) or "nothing to end"
    return shown(value)


def _first_miss(checks: list[ProbeCheck]) -> str:
    miss = next((c for c in checks if c.met is False), None)
    return miss.describe() if miss is not None else "a probe failed"


def _checks(state: dict | None, probes: list) -> list[ProbeCheck] | None:
    if not state:
        return None
    runs = state.get("probes", [])
    out = []
    for i, probe in enumerate(probes):
        func = probe["provider"]["func"]
        if i < len(runs):
            run = runs[i]
            error = _error(run)
            out.append(ProbeCheck(probe["name"], func, run.get("output"), probe["tolerance"],
                                  bool(run.get("tolerance_met")),
                                  run.get("simulated_time", {}).get("start"), error))
        else:
            out.append(ProbeCheck(probe["name"], func, None, probe["tolerance"], None))
    return out


def _error(run: dict) -> str:
    """The last line of a failed activity's exception, without chaoslib's wrapper."""
    if run.get("status") != "failed":
        return ""
    line = (run.get("exception") or ["failed"])[-1].strip()
    for wrapper in ("chaoslib.exceptions.ActivityFailed: ", "labkit.errors.LabkitError: "):
        line = line[len(wrapper):] if line.startswith(wrapper) else line
    return line


def _rows(runs: list) -> list[dict]:
    rows = []
    for run in runs or []:
        activity = run.get("activity", {})
        stamp = run.get("simulated_time", {})
        rows.append({"activity": activity.get("name"), "type": activity.get("type"),
                     "func": activity.get("provider", {}).get("func"),
                     "simulated time": stamp.get("start"), "until": stamp.get("end"),
                     "status": run.get("status"), "value": run.get("output"),
                     "error": _error(run)})
    return rows


# ---------------------------------------------------------------------------- run


def run_experiment(experiment: Any, system: System, *, rollbacks: str = "always") -> ExperimentResult:
    """Check ``experiment`` (a dict, JSON or YAML text, or a path) against ``system``, then
    run it with chaostoolkit-lib from the system's start; return the result.

    ``rollbacks``: chaostoolkit-lib's rollback strategy. ``"always"`` (labkit's default) runs
    them even after a stop condition halted the experiment, as FIS reverts its actions when
    it stops; ``"default"`` is chaostoolkit's (not after a failure or an interruption);
    ``"deviated"`` only if the steady state deviated; ``"never"``.
    """
    rollbacks = check_choice("rollbacks", rollbacks, STRATEGIES)
    checked = plan(experiment, system)
    started = time.perf_counter()
    system.reset(planned_end=checked.end, changes=checked.changes)
    arm(system, checked.conditions)
    run = for_chaoslib(checked.experiment, system)
    settings = {"runtime": {"rollbacks": {"strategy": rollbacks}}}
    with quiet_chaoslib() as log:
        journal = _chaoslib_run(run, settings)
    journal["experiment"] = checked.experiment       # as written, without labkit's additions
    exp = checked.experiment
    probes = (exp.get("steady-state-hypothesis") or {}).get("probes") or []
    states = journal.get("steady_states", {})
    try:
        timeline = system.timeline()
    except LabkitError as exc:   # the engine refused a run; the failed probes say so too
        timeline = None
        log.append(f"error: no timeline: the simulation failed: {exc}")
    return ExperimentResult(
        title=_title(exp["title"], run["configuration"]), status=journal.get("status"),
        deviated=bool(journal.get("deviated")),
        before=_checks(states.get("before"), probes), after=_checks(states.get("after"), probes),
        activities=_rows(journal.get("run")), rollbacks=_rows(journal.get("rollbacks")),
        halted=system.halted, faults=system.faults, timeline=timeline, journal=journal,
        start=system.start, end=system.now, seconds=time.perf_counter() - started, log=log)


def _title(title: str, configuration: dict) -> str:
    """The title as chaostoolkit-lib runs it: ``${name}`` filled in from the configuration
    (which labkit's validation has checked holds every name used)."""
    from chaoslib import substitute
    return substitute(title, configuration, None)


def _chaoslib_run(experiment: dict, settings: dict) -> dict:
    from chaoslib.experiment import run_experiment as chaoslib_run_experiment

    if threading.current_thread() is threading.main_thread():
        return chaoslib_run_experiment(experiment, settings=settings)
    return _run_off_main_thread(experiment, settings)


def _run_off_main_thread(experiment: dict, settings: dict) -> dict:
    # chaostoolkit-lib's Runner.run installs signal handlers around the run (SIGTERM, SIGUSR1,
    # SIGUSR2), which Python allows on the main thread only. Elsewhere (a worker thread, a
    # widget callback off the main thread) run the same steps without them.
    from chaoslib.caching import with_cache
    from chaoslib.run import Runner
    from chaoslib.types import Strategy

    @with_cache
    def run(experiment, settings=None):
        with Runner(Strategy.DEFAULT) as runner:
            runner.configure(experiment, settings, None)
            return runner._run(runner.strategy, runner.schedule, experiment, None, runner.config,
                               runner.secrets, runner.settings, runner.event_registry)

    return run(experiment, settings=settings)
