"""Instructor's key for workbook 07 (game day): every artefact built with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``. Four of
the five answers are things the checks *run*: a fixed experiment, a stop condition, a whole
game-day experiment and a changed architecture. Numbers alone would not pass them.
"""

from labkit.chaos import fis_mapping, run_experiment
from labkit.exercises.game_day import BROKEN_YAML, photo_site, site_report, site_system
from labkit.report import apply

# (1) The colleague's experiment has four mistakes. validate_experiment names three of them,
# one at a time: the tolerance is a bare number (it must be a range: at least 99 %, at most
# 100 %), region_down is not a labkit action (region_outage is), and restore takes a
# `target`, not a `component`. The fourth only shows when it runs: the rollback restores
# region 1, which nothing broke, so region 3 stays down; restore the region the method took
# down, from the configuration. Everything else is the plan and stays: the pause of 120 s
# (region 3 down for two minutes before the hypothesis is checked again) and the region.
fixed = (BROKEN_YAML
         .replace("tolerance: 0.99", "tolerance: [0.99, 1.0]")
         .replace("func: region_down", "func: region_outage")
         .replace("arguments: {component: region1}", 'arguments: {target: "${region}"}'))

# (2) Region 3 carries 1/8 of Ring's constant traffic. With the health check its customers
# lose 10 s, so the last minute never reads below 1 - (10/60)/8 = 0.979; without failover
# they lose everything, and t seconds into the outage the last minute reads 1 - (t/60)/8:
# 0.95 at t = 24 s, 0.9375 at t = 30 s, 0.9 at t = 48 s. To halt within 30 s the guardrail
# must sit above 0.9375 and below 0.979 (the lesson's 90 % would halt only 50 s in). At 95 %,
# read every 5 s, it never fires on the health check's run and fires 25 s into the other.
stop_condition = {
    "type": "probe", "name": "at least 95 % served over a minute", "frequency": 5,
    "tolerance": {"type": "range", "range": [0.95, 1.0]},
    "provider": {"type": "python", "module": "labkit.chaos.probes", "func": "success_ratio",
                 "arguments": {"window": 60}},
}

# (3) The report's top recommendation is N+1 headroom for the app servers: losing one leaves
# 400 req/s for a peak of 600. The game day crashes one of them at the peak: as the site is,
# the last minute reads 400/600 = 0.667, outside [0.99, 1] (deviated); with 600 req/s each,
# 1.0 (held). The shipped component_crash experiment's stop condition (80 %) would halt this
# expected harm at 100 s, so the guardrail sits lower, at 50 %: above what a total outage
# reads within a minute (it halts 35 s after the database dies too), below the 0.667 the
# planned harm costs. The rollback restarts the server the method crashed.
game_day = """\
title: The photo site loses one app server at its peak
description: >-
  app-a crashes at 600 req/s for two minutes. app-b must carry the peak alone: at least
  99 % served over the last minute. Halt if less than half is served over a minute.
configuration:
  server: app-a
steady-state-hypothesis:
  title: customers can view photos
  probes:
    - type: probe
      name: served over the last minute
      tolerance: [0.99, 1.0]
      provider:
        type: python
        module: labkit.chaos.probes
        func: success_ratio
        arguments: {window: 60}
controls:
  - name: stop conditions
    provider:
      type: python
      module: labkit.chaos.controls
      arguments:
        probes:
          - type: probe
            name: at least half served over a minute
            frequency: 5
            tolerance: [0.5, 1.0]
            provider:
              type: python
              module: labkit.chaos.probes
              func: success_ratio
              arguments: {window: 60}
method:
  - type: action
    name: one app server crashes
    provider:
      type: python
      module: labkit.chaos.actions
      func: crash
      arguments: {component: "${server}"}
    pauses: {after: 120}
rollbacks:
  - type: action
    name: restart the app server
    provider:
      type: python
      module: labkit.chaos.actions
      func: restore
      arguments: {target: "${server}"}
"""

# (4) Apply the headroom recommendation: each app server gets 600 req/s, so either carries
# the peak alone. The report then finds no shortfall and availability is unchanged (the
# change is capacity, not redundancy); the game day of (3) now holds.
site = photo_site()
report = site_report(site)
headroom = next(r for r in report.recommendations if r.action == "add headroom")
fixed_site = apply(site, headroom)
assert not run_experiment(game_day, site_system(fixed_site)).deviated

# (5) The rows whose FIS column starts "no FIS action": a bad deploy is a deployment, a spike
# is a load generator, a poison request is a crafted request.
no_fis = [row["labkit"].removeprefix("actions.") for row in fis_mapping()
          if row["labkit"].startswith("actions.") and row["AWS FIS"].startswith("no FIS action")]

ANSWERS = {
    "broken experiment, fixed": fixed,
    "guardrail for a region outage": stop_condition,
    "game day for the photo site": game_day,
    "the photo site, fixed": fixed_site,
    "actions without a FIS action": no_fis,
}
