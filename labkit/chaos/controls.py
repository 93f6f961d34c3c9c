"""The labkit control: simulated time for pauses, and stop conditions (FIS's guardrails).

Chaos Toolkit calls a control's hooks around the experiment, the hypothesis, the method,
the rollbacks and every activity. This module's hooks do three things for the simulated
system:

- **pauses take simulated time**: an activity's ``"pauses": {"before": 10, "after": 120}``
  moves the system's clock (chaostoolkit-lib is told not to sleep); nothing waits in real
  time;
- **stop conditions**: declared like chaostoolkit-addons' safeguards, as probes with
  tolerances, they are watched while the method runs, every ``frequency`` simulated seconds
  (default: every step), including inside waits and pauses. The first time one falls
  outside its tolerance the experiment halts *at that moment*: the hook raises chaoslib's
  ``InterruptExecution``, chaostoolkit-lib marks the run ``interrupted``, and the rollbacks
  run from the halt time on. A stop condition already crossed when the method starts halts
  it before the first action (as FIS refuses to start under an alarm);
- **simulated time stamps**: each activity's journal entry gets ``simulated_time``
  (``start``, ``end`` in seconds), beside chaostoolkit's real timestamps.

Declare stop conditions in the experiment's ``controls``::

    "controls": [{"name": "stop conditions",
                  "provider": {"type": "python", "module": "labkit.chaos.controls",
                               "arguments": {"probes": [
                                   {"type": "probe", "name": "success ratio above 0.9",
                                    "frequency": 10,
                                    "tolerance": {"type": "range", "range": [0.9, 1.0]},
                                    "provider": {"type": "python",
                                                 "module": "labkit.chaos.probes",
                                                 "func": "success_ratio",
                                                 "arguments": {"window": 60}}}]}}}]

:func:`labkit.chaos.run.run_experiment` arms them on the system before chaostoolkit-lib runs
(and adds this control if the experiment names none, for the pauses). The watch itself,
outside an experiment:

>>> from labkit.catalog import cells
>>> from labkit.chaos.system import System
>>> system = System(cells(4), 1000, cell_capacity=400, seed=1)
>>> arm(system, [{"name": "served", "func": "success_ratio", "arguments": {"window": 30},
...               "tolerance": [0.9, 1.0], "frequency": 1.0}])
>>> watch(system, system.configuration) is None                      # all well at 60 s
True
>>> _ = system.inject("crash", "cell1-app")                          # a quarter of customers

>>> _ = system.advance(300)
>>> halt = watch(system, system.configuration)
>>> halt.at, round(halt.value, 3), system.now                        # halted at the crossing
(72.0, 0.899, 72.0)
"""

from __future__ import annotations

from typing import Any

from chaoslib import substitute
from chaoslib.exceptions import InterruptExecution, InvalidControl
from chaoslib.hypothesis import within_tolerance

from . import probes as _probes
from .system import Halt, System, system_of

MODULE = "labkit.chaos.controls"

__all__ = ["arm", "watch"]


# ----------------------------------------------------------------------- the watch


def arm(system: System, conditions: list[dict]) -> None:
    """Start an experiment on ``system`` with these (validated) stop conditions: each a dict
    with ``name``, ``func`` (a probe), ``arguments``, ``tolerance`` and ``frequency``."""
    system.control_state = {"phase": "start",
                         "conditions": [dict(c, next=system.now) for c in conditions]}


def watch(system: System, configuration: dict, *, until: float | None = None) -> Halt | None:
    """Check every stop condition at its times up to ``until`` (default: now); on the first
    crossing, halt the system there and return why (None if all held)."""
    until = system.now if until is None else until
    first: Halt | None = None
    for condition in system.control_state.get("conditions", []):
        t = condition["next"]
        while t <= until + 1e-9 and (first is None or t < first.at):
            halt = _crossed(system, condition, t, configuration)
            if halt is not None:
                first = halt
                break
            t += condition["frequency"]
        condition["next"] = t
    if first is not None:
        system.halt(first)
    return first


def _crossed(system: System, condition: dict, t: float, configuration: dict) -> Halt | None:
    try:
        with system.as_of(t):
            value = getattr(_probes, condition["func"])(**condition["arguments"],
                                                         configuration=configuration)
        met = within_tolerance(condition["tolerance"], value, configuration=configuration,
                               secrets=None)
    except Exception as exc:  # noqa: BLE001 - fail safe: a guardrail that cannot be read stops
        return Halt(condition["name"], t, None, condition["tolerance"],
                    f"stop condition {condition['name']!r} could not be evaluated at {t:g} s: {exc}")
    return None if met else Halt(condition["name"], t, value, condition["tolerance"])


# ------------------------------------------------------- chaostoolkit-lib's hooks


def validate_control(control: dict) -> None:
    """chaostoolkit-lib's validation hook (labkit's own validation is stricter and runs first)."""
    arguments = control.get("provider", {}).get("arguments", {}) or {}
    if not isinstance(arguments, dict) or set(arguments) - {"probes"}:
        raise InvalidControl("the labkit control takes one argument, 'probes' (stop conditions)")


def configure_control(configuration: dict | None = None, **arguments: Any) -> None:
    """Nothing to do: run_experiment arms the stop conditions on the system itself."""


def _system(configuration) -> System | None:
    try:
        return system_of(configuration)
    except Exception:  # noqa: BLE001 - not a labkit run: leave it alone
        return None


def before_hypothesis_control(context: Any = None, configuration: dict | None = None,
                              **arguments: Any) -> None:
    system = _system(configuration)
    if system is not None:
        state = system.control_state
        state["phase"] = "hypothesis after" if state.get("method started") else "hypothesis before"


def before_method_control(context: Any = None, configuration: dict | None = None,
                          **arguments: Any) -> None:
    system = _system(configuration)
    if system is None:
        return
    state = system.control_state
    state["phase"], state["method started"] = "method", True
    for condition in state.get("conditions", []):
        condition["next"] = system.now        # FIS checks its alarms before it starts
    _halt_if_crossed(system, configuration)


def after_method_control(context: Any = None, configuration: dict | None = None,
                         **arguments: Any) -> None:
    system = _system(configuration)
    if system is not None:
        system.control_state["phase"] = "after method"


def before_rollback_control(context: Any = None, configuration: dict | None = None,
                            **arguments: Any) -> None:
    system = _system(configuration)
    if system is not None:
        system.control_state["phase"] = "rollbacks"


def before_activity_control(context: Any = None, configuration: dict | None = None,
                            **arguments: Any) -> None:
    system = _system(configuration)
    if system is None or _stopped(system):
        return
    system.advance(_pause(context, "before", configuration))
    system.control_state["activity started"] = system.now
    if system.control_state.get("phase") == "method":
        _halt_if_crossed(system, configuration)


def after_activity_control(context: Any = None, state: Any = None,
                           configuration: dict | None = None, **arguments: Any) -> None:
    system = _system(configuration)
    if system is None or _stopped(system) or state is None:
        return
    start = system.control_state.get("activity started", system.now)
    system.advance(_pause(context, "after", configuration))
    if isinstance(state, dict):
        state["simulated_time"] = {"start": start, "end": system.now}
    if system.control_state.get("phase") == "method":
        try:
            _halt_if_crossed(system, configuration)
        finally:
            if isinstance(state, dict) and system.halted is not None:
                state["simulated_time"]["end"] = system.now


def _stopped(system: System) -> bool:
    # After a halt only the rollbacks still act (and take simulated time).
    return system.halted is not None and system.control_state.get("phase") != "rollbacks"


def _pause(activity: Any, when: str, configuration: dict | None) -> float:
    pauses = activity.get("pauses") if isinstance(activity, dict) else None
    if not pauses:
        return 0.0
    value = substitute(pauses, configuration, None).get(when)
    return float(value) if value else 0.0


def _halt_if_crossed(system: System, configuration: dict) -> None:
    halt = watch(system, configuration)
    if halt is not None:
        raise InterruptExecution(str(halt))
