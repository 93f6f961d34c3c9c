"""Workbook 07: game day. Experiments on Ring, a guardrail, a broken experiment, the
resilience-report loop on my_shop.yaml, and what AWS FIS has no action for.

Each expected answer is computed by labkit when the check runs: the experiments are run by
chaostoolkit-lib against the simulation (fluid arrivals, so exact), the broken experiment is
handed to :func:`labkit.chaos.validate_experiment`, the report loop is run by
:func:`labkit.report.resilience_report` and :func:`labkit.report.apply`, and the FIS rows
come from :func:`labkit.chaos.fis_mapping`.

>>> [e.name for e in exercises()][:2]
['success ratio after a cell crash', 'second the guardrail halts']
>>> len(exercises())
6
>>> print(BROKEN_YAML.splitlines()[0])
title: Ring loses a region
"""

from __future__ import annotations

from ..archfile import load_architecture
from ..catalog import ring
from ..chaos import System, fis_mapping, run_experiment, validate_experiment
from ..check import Exercise
from ..errors import LabkitError
from ..report import apply, resilience_report
from ..simulation import constant

# The numbers the workbook's questions state.
TRAFFIC = 150_000         # (1), (2): Ring under a constant 150,000 req/s, spread over its cells
SEED = 7
CELL = 5                  # (1): cell 5 crashes ...
PAUSE = 120               # ... and the hypothesis is checked again 120 s later
REGION = "region3"        # (2): region 3 goes down for a planned ten minutes ...
PLANNED = 600
GUARDRAIL = 0.95          # ... with a stop condition: at least 95 % served over the last
WINDOW = 60               # 60 s, checked every 5 s
FREQUENCY = 5
SHOP = "my_shop.yaml"     # (4), (5): lesson 07's report loop on labkit's example ...
TARGET, RTO, PEAK = 0.9999, 1, 1_000   # ... with the lesson's target, RTO (hours) and peak
ROUNDS = 2                # the lesson applied two recommendations; the third report is asked
FEATURE = "checkout"      # (5)

# (3): an experiment with one mistake, as a learner would write it.
BROKEN_YAML = """\
title: Ring loses a region
description: Region 3 goes down for two minutes; customers must still be served.
configuration:
  region: region3
steady-state-hypothesis:
  title: customers are served
  probes:
    - type: probe
      name: served over the last minute
      tolerance: [0.99, 1.0]
      provider:
        type: python
        module: labkit.chaos.probes
        func: success_ratio
        arguments: {window: 60}
method:
  - type: action
    name: region 3 goes down
    provider:
      type: python
      module: labkit.chaos.actions
      func: region_outage
      arguments: {region: "${region}"}
    pauses: {after: 120}
rollbacks:
  - type: action
    name: bring region 3 back
    provider:
      type: python
      module: labkit.chaos.actions
      func: restore
      arguments: {component: "${region}"}
"""


def _system() -> System:
    return System(ring(), constant(TRAFFIC), seed=SEED, arrivals="fluid")


def _probe(func: str, tolerance, name: str, **arguments) -> dict:
    return {"type": "probe", "name": name, "tolerance": tolerance,
            "provider": {"type": "python", "module": "labkit.chaos.probes", "func": func,
                         "arguments": arguments}}


def _action(func: str, name: str, pause: float, **arguments) -> dict:
    return {"type": "action", "name": name, "pauses": {"after": pause},
            "provider": {"type": "python", "module": "labkit.chaos.actions", "func": func,
                         "arguments": arguments}}


def _after_cell_crash() -> float:
    # Run by chaostoolkit-lib: the hypothesis's value after the method.
    experiment = {"title": "Ring loses a cell", "description": "one cell crashes, no failover",
                  "steady-state-hypothesis": {"title": "served", "probes": [
                      _probe("success_ratio", [0.99, 1.0], "served", window=WINDOW)]},
                  "method": [_action("crash_cell", "crash a cell", PAUSE, cell=CELL)]}
    return float(run_experiment(experiment, _system()).after[0].value)


def _second_the_guardrail_halts() -> float:
    guard = dict(_probe("success_ratio", {"type": "range", "range": [GUARDRAIL, 1.0]},
                        "guardrail", window=WINDOW), frequency=FREQUENCY)
    experiment = {"title": "Ring loses a region", "description": "ten minutes, guarded",
                  "method": [_action("region_outage", "region down", PLANNED, region=REGION)],
                  "rollbacks": [{"type": "action", "name": "restore",
                                 "provider": {"type": "python", "module": "labkit.chaos.actions",
                                              "func": "restore_all"}}],
                  "controls": [{"name": "stop conditions", "provider": {
                      "type": "python", "module": "labkit.chaos.controls",
                      "arguments": {"probes": [guard]}}}]}
    result = run_experiment(experiment, _system())
    return -1.0 if result.halted is None else float(result.halted.at)


def _field_named() -> str:
    # What the validator says, up to the '=' that follows the field's path.
    try:
        validate_experiment(BROKEN_YAML, _system())
    except LabkitError as error:
        return str(error).split("=", 1)[0]
    return "(the experiment is valid)"


def _third_report():
    arch = load_architecture(SHOP)
    for _ in range(ROUNDS):
        arch = apply(arch, resilience_report(arch, TARGET, rto=RTO, load=PEAK).recommendations[0])
    return arch, resilience_report(arch, TARGET, rto=RTO, load=PEAK)


def _third_top_target() -> str:
    return _third_report()[1].recommendations[0].target


def _availability_after_third() -> float:
    arch, report = _third_report()
    changed = apply(arch, report.recommendations[0])
    return resilience_report(changed, TARGET, rto=RTO, load=PEAK).feature(FEATURE)["availability"]


def _actions_without_fis() -> list[str]:
    return [row["labkit"].split(".", 1)[1] for row in fis_mapping()
            if row["labkit"].startswith("actions.") and row["AWS FIS"].startswith("no FIS action")]


def exercises() -> list[Exercise]:
    return [
        Exercise("success ratio after a cell crash", "number", _after_cell_crash,
                 ("without failover the crashed cell's customers get nothing, and under constant "
                  "traffic every cell carries the same share of the requests. Give a fraction "
                  "between 0 and 1.",
                  "add one action to the method: crash_cell with the cell's number and "
                  "pauses {\"after\": ...}; run it and read result.after[0].value.")),
        Exercise("second the guardrail halts", "count", _second_the_guardrail_halts,
                 ("the stop condition reads the last minute every few seconds; it halts at the "
                  "first reading below its tolerance. What share of the requests does one "
                  "region of eight carry under constant traffic?",
                  "the experiment starts at the system's start, 60 s; give result.halted.at, "
                  "a simulated time in seconds, not the seconds since the fault.")),
        Exercise("field the validator names", "name", _field_named,
                 ("run validate_experiment(broken, system()) inside try/except labkit.LabkitError "
                  "and print the error.",
                  "the message starts with the field's path, then '=' and the value: give "
                  "the path, without the value.")),
        Exercise("top recommendation, third round", "name", _third_top_target,
                 ("repeat the lesson's loop: report, apply its first recommendation, and again; "
                  "then a third report with the same target, rto and load.",
                  "give report.recommendations[0].target of the third report: the name of the "
                  "component it changes.")),
        Exercise("checkout after the third change", "availability", _availability_after_third,
                 ("apply the third report's first recommendation too, then run the report once "
                  "more. Give a fraction, not a percentage.",
                  "read report.feature(\"checkout\")[\"availability\"], or the recommendation's "
                  "predicted .after[\"availability\"], which should agree.")),
        Exercise("actions without a FIS action", "names", _actions_without_fis,
                 ("look through the rows of fis_mapping() whose labkit column starts with "
                  "actions.: which say that FIS has no action for them?",
                  "give the action names as labkit spells them (crash_cell, not "
                  "actions.crash_cell), as a list; a row saying \"no single action\" has FIS "
                  "actions that do part of the job, so leave it out.")),
    ]
