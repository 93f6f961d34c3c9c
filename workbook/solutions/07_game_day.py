"""Instructor's key for workbook 07 (game day): each answer with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``.
"""

from labkit import LabkitError
from labkit.archfile import load_architecture
from labkit.catalog import ring
from labkit.chaos import System, fis_mapping, run_experiment, validate_experiment
from labkit.exercises.game_day import BROKEN_YAML
from labkit.report import apply, resilience_report
from labkit.simulation import constant


def system():
    return System(ring(), constant(150_000), seed=7, arrivals="fluid")


def provider(module, func, **arguments):
    return {"type": "python", "module": f"labkit.chaos.{module}", "func": func, "arguments": arguments}


served = {"type": "probe", "name": "served over the last minute", "tolerance": [0.99, 1.0],
          "provider": provider("probes", "success_ratio", window=60)}

# (1) Without failover cell 5's customers, 1 of 32 equal shares, get nothing: 31/32 of the
# requests are served over the last minute.
one_cell = {"title": "Ring loses a cell", "description": "Cell 5 crashes; no failover.",
            "steady-state-hypothesis": {"title": "customers are served", "probes": [served]},
            "method": [{"type": "action", "name": "crash cell 5", "pauses": {"after": 120},
                        "provider": provider("actions", "crash_cell", cell=5)}]}
after_crash = run_experiment(one_cell, system()).after[0].value

# (2) Region 3 carries 1/8 of the requests. Over a 60 s window, t seconds of outage leave
# 1 - t / 480 served; below 0.95 once t > 24 s. Read every 5 s from 60 s: at 80 s (t = 20)
# it reads 0.958, at 85 s (t = 25) 0.948: halted at 85 s.
guardrail = {"type": "probe", "name": "at least 95 % served over a minute", "frequency": 5,
             "tolerance": {"type": "range", "range": [0.95, 1.0]},
             "provider": provider("probes", "success_ratio", window=60)}
ten_minutes = {"title": "Ring loses a region", "description": "Region 3, ten minutes, guarded.",
               "method": [{"type": "action", "name": "region 3 goes down", "pauses": {"after": 600},
                           "provider": provider("actions", "region_outage", region="region3")}],
               "rollbacks": [{"type": "action", "name": "bring it back",
                              "provider": provider("actions", "restore", target="region3")}],
               "controls": [{"name": "stop conditions", "provider": {
                   "type": "python", "module": "labkit.chaos.controls",
                   "arguments": {"probes": [guardrail]}}}]}
halted_at = run_experiment(ten_minutes, system()).halted.at

# (3) restore takes a `target`, not a `component`: the validator names the rollback's argument.
try:
    validate_experiment(BROKEN_YAML, system())
    field = None
except LabkitError as error:
    field = str(error).split("=", 1)[0]

# (4) The lesson's two rounds (api's headroom, then zone-a replicated in zone-b), then a
# third report: its first recommendation is a replica of the database, the last single
# point of failure with a long repair (2 h).
arch = load_architecture("my_shop.yaml")
for _ in range(2):
    arch = apply(arch, resilience_report(arch, 0.9999, rto=1, load=1_000).recommendations[0])
third = resilience_report(arch, 0.9999, rto=1, load=1_000).recommendations[0]

# (5) Applied, checkout reaches 99.99976 %: the 99.99 % target is met at last.
checkout = resilience_report(apply(arch, third), 0.9999, rto=1, load=1_000).feature("checkout")["availability"]

# (6) The rows whose FIS column starts "no FIS action": a bad deploy is a deployment, a spike
# is a load generator, a poison request is a crafted request.
no_fis = [row["labkit"].removeprefix("actions.") for row in fis_mapping()
          if row["labkit"].startswith("actions.") and row["AWS FIS"].startswith("no FIS action")]

ANSWERS = {
    "success ratio after a cell crash": after_crash,
    "second the guardrail halts": halted_at,
    "field the validator names": field,
    "top recommendation, third round": third.target,
    "checkout after the third change": checkout,
    "actions without a FIS action": no_fis,
}
