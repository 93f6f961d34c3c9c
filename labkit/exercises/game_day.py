"""Workbook 07: game day. Experiments the learner writes, run by chaostoolkit-lib against the
simulation, and a change to an architecture chosen from its resilience report.

Four of the five exercises are :class:`~labkit.check.Build`\\ s, graded by what the artefact
does when labkit runs it:

1. **a broken experiment, fixed**: the learner's fixed experiment (YAML text, a dict or a
   file) is validated and run against Ring; it must still be the plan it was (region 3 down
   for two minutes, at least 99 % served), run to the end, and leave nothing broken behind;
2. **a guardrail**: the learner's stop condition is put on a ten-minute region outage and
   run twice: with the health check (harm the plan expects) it must let the game day run;
   without failover (harm it does not) it must halt it within 30 s;
3. **a game day for the photo site**: the learner's experiment (steady-state hypothesis,
   method, stop condition, rollback) must run against the photo site at its peak, deviate,
   hold once the report's top recommendation is applied, halt if the fault turns into a
   total outage, and put back what it broke;
4. **the fix**: the learner's changed photo site is run through the report again (no
   capacity shortfall, availability no lower) and through a component crash per replica.

The fifth asks which of labkit's actions have no AWS FIS counterpart, from
:func:`labkit.chaos.fis_mapping`. Every number a question states is computed here, at check
time, by labkit.

>>> [e.name for e in exercises()]
['broken experiment, fixed', 'guardrail for a region outage', 'game day for the photo site', 'the photo site, fixed', 'actions without a FIS action']
>>> grade_fix(photo_site())
Traceback (most recent call last):
...
labkit.check.NotYet: the report still finds a capacity shortfall: losing one of your app servers leaves 400 req/s for a peak of 600.
"""

from __future__ import annotations

import copy
import functools
import os
from typing import Any

from ..archfile import load_architecture
from ..catalog import ring
from ..chaos import System, fis_mapping, load_experiment, run_experiment, validate_experiment
from ..chaos.actions import ACTIONS
from ..chaos.experiment import KEYS
from ..check import Build, Exercise, NotYet
from ..formulas import format_percent
from ..model import Architecture
from ..report import resilience_report
from ..simulation import constant

# ----------------------------------------------------------------- the questions' numbers

SEED = 7
# (1), (2): Ring under a constant 150,000 req/s, spread evenly over its 32 cells.
TRAFFIC = 150_000
REGION = "region3"        # (1) and (2): region 3 goes down ...
PAUSE = 120               # (1): ... for two minutes, with the health check
DETECTION = 10            # seconds until the health check notices a dead cell
PLANNED = 600             # (2): ... or for a planned ten minutes
GUARD_WITHIN = 30         # (2): the stop condition must halt within this many seconds of the
                          # region going down without failover (a guardrail at 90 %, copied
                          # from the lesson, halts 50 s in: it must be placed, not copied)
WATCH = 65                # (2): how far into that outage the check runs to see when it halts
HALT_WITHIN = 60          # (3): halt within this many seconds of a total outage
LEAST_SERVED = 0.99       # (1): the plan's steady state: at least this share served

# (3), (4): the photo site, at its peak, against the report's target and RTO.
SITE_PEAK = 600           # requests per second
SITE_TARGET = 0.9995
SITE_RTO = 1              # hours (the file's mttr unit)
SITE_FEATURE = "view photos"
TOTAL_OUTAGE = "db"       # (3): crashed too, it takes every customer down

# Sizes: far more than any answer needs; anything bigger is refused before it runs.
MAX_TEXT = 50_000         # characters of an experiment's YAML or JSON
MAX_ACTIVITIES = 10       # steps in a method or rollbacks
MAX_COMPONENTS = 60       # an architecture handed in
MAX_REPLICAS = 12         # replicas crashed one by one in (4)
HORIZON = 900.0           # simulated seconds an experiment here may reach (a plan needs 660)

RESTORING = ("restore", "restore_cell", "restore_all")
FAULTS = tuple(a for a in ACTIONS if a not in RESTORING + ("wait",))

EXPERIMENT_HANDS_IN = "an experiment (YAML text, a dict, or the path of a .yaml or .json file)"
PROBE_HANDS_IN = ("a stop condition: a probe with a tolerance and a frequency, as a dict or "
                  "YAML text")
ARCH_HANDS_IN = "an Architecture (the photo site, changed)"

PHOTO_SITE = """\
name: photo site
description: a photo-sharing site, two app servers in two zones behind a load balancer
components:
  - {name: lb, kind: load balancer, availability: 0.9999, capacity: 5000, latency_ms: 2}
  - {name: app-a, availability: 0.999, capacity: 400, latency_ms: 60}
  - {name: app-b, availability: 0.999, capacity: 400, latency_ms: 60}
  - {name: db, kind: database, mtbf: 4380, mttr: 2, capacity: 2000, latency_ms: 5}
  - {name: search, availability: 0.995, latency_ms: 80}
groups:
  - {name: app servers, members: [app-a, app-b], k: 1}
failure_domains:
  - {name: zone-a, members: [app-a], availability: 0.9999}
  - {name: zone-b, members: [app-b], availability: 0.9999}
dependencies:
  - {from: lb, to: app servers}
  - {from: app-a, to: db}
  - {from: app-b, to: db}
  - {from: app-a, to: search, kind: soft}
  - {from: app-b, to: search, kind: soft}
features:
  - {name: view photos, requires: [lb], description: customers open and view photos}
"""

# (1): a colleague's experiment, with mistakes. The validator finds three of them, one at a
# time; the fourth only shows when it runs.
BROKEN_YAML = """\
title: Ring loses region 3
description: >-
  Region 3 goes down for two minutes. With the health check, customers must still be
  served: at least 99 % of their requests over the last minute.
configuration:
  region: region3
steady-state-hypothesis:
  title: customers are served
  probes:
    - type: probe
      name: served over the last minute
      tolerance: 0.99
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
      func: region_down
      arguments: {region: "${region}"}
    pauses: {after: 120}
rollbacks:
  - type: action
    name: bring the region back
    provider:
      type: python
      module: labkit.chaos.actions
      func: restore
      arguments: {component: region1}
"""


# ------------------------------------------------------------------------ the systems

def ring_system(failover: bool = False) -> System:
    """Ring under a constant 150,000 req/s (fluid arrivals, so exact), with the health check
    (10 s to notice a dead cell) or without failover; a fresh one for each run."""
    settings = {"failover": "health check", "detection": DETECTION} if failover else {}
    return System(ring(), constant(TRAFFIC), seed=SEED, arrivals="fluid", horizon=HORIZON,
                  **settings)


def photo_site() -> Architecture:
    """The photo site of exercises 3 and 4 (a fresh copy each time)."""
    return load_architecture(PHOTO_SITE)


def site_system(architecture: Architecture) -> System:
    """``architecture`` at the photo site's peak, 600 req/s (fluid arrivals)."""
    return System(architecture, SITE_PEAK, seed=SEED, arrivals="fluid", horizon=HORIZON)


def site_report(architecture: Architecture):
    """The resilience report the questions use: target 99.95 %, RTO 1 hour, peak 600 req/s."""
    return resilience_report(architecture, SITE_TARGET, rto=SITE_RTO, load=SITE_PEAK)


@functools.lru_cache(maxsize=None)
def _checking(which: str) -> System:
    """One system of each kind, kept to validate experiments against (validation rehearses
    on a scratch copy and never changes it); every run gets a fresh system."""
    return ring_system(failover=True) if which == "ring" else site_system(photo_site())


# ------------------------------------------------------------------------------ helpers

def _experiment(artefact: Any) -> dict:
    """Type- and size-check an experiment handed in; return it as a dict (not validated)."""
    if isinstance(artefact, (bool, int, float, complex)) or artefact is None:
        raise NotYet(f"hand in {EXPERIMENT_HANDS_IN}, not a number: the check runs what you "
                     "wrote.")
    if isinstance(artefact, bytes):
        raise NotYet("hand in the experiment as text (a str), not bytes.")
    if isinstance(artefact, str) and len(artefact) > MAX_TEXT:
        raise NotYet(f"your experiment is {len(artefact):,} characters long; one game day "
                     f"needs a few hundred (at most {MAX_TEXT:,} are read).")
    if not isinstance(artefact, (dict, str, os.PathLike)):
        raise NotYet(f"hand in {EXPERIMENT_HANDS_IN}, not {type(artefact).__name__}.")
    experiment = load_experiment(artefact)       # a LabkitError says what is wrong with it
    unknown = [k for k in experiment if not isinstance(k, str) or k not in KEYS]
    if unknown:                                  # refused before any system is built
        shown = unknown[0] if isinstance(unknown[0], str) else type(unknown[0]).__name__
        raise NotYet(f"your experiment has a part {shown[:40]!r} that Chaos Toolkit does not "
                     "know; an experiment has " + ", ".join(KEYS[1:9]) + ".")
    for part in ("method", "rollbacks"):
        steps = experiment.get(part)
        if isinstance(steps, list) and len(steps) > MAX_ACTIVITIES:
            raise NotYet(f"your {part} has {len(steps):,} steps; a game day here needs a "
                         f"few (at most {MAX_ACTIVITIES}).")
    return experiment


def _activities(experiment: dict, part: str) -> list[dict]:
    steps = experiment.get(part) or []
    return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []


def _func(activity: dict) -> str | None:
    provider = activity.get("provider")
    return provider.get("func") if isinstance(provider, dict) else None


def _hypothesis(experiment: dict) -> list[dict]:
    hypothesis = experiment.get("steady-state-hypothesis")
    probes = hypothesis.get("probes") if isinstance(hypothesis, dict) else None
    return [p for p in probes if isinstance(p, dict)] if isinstance(probes, list) else []


def _stop_conditions(experiment: dict) -> list[dict]:
    found = []
    for control in experiment.get("controls") or []:
        provider = control.get("provider") if isinstance(control, dict) else None
        arguments = provider.get("arguments") if isinstance(provider, dict) else None
        probes = arguments.get("probes") if isinstance(arguments, dict) else None
        found += [p for p in probes or [] if isinstance(p, dict)]
    return found


def _require_parts(experiment: dict, *, stop: bool) -> None:
    """The parts of a game-day plan, each named when it is missing."""
    if not _hypothesis(experiment):
        raise NotYet("your experiment has no steady-state hypothesis: nothing says what "
                     "\"working\" means, so nothing can tell whether the fault did harm.")
    faults = [a for a in _activities(experiment, "method")
              if a.get("type") == "action" and _func(a) in FAULTS]
    if not faults:
        raise NotYet("your method injects no fault: it needs an action that breaks something "
                     "(" + ", ".join(FAULTS[:4]) + ", ...).")
    if stop and not _stop_conditions(experiment):
        raise NotYet("your experiment has no stop condition: nothing halts it if the harm goes "
                     "past what you planned. Add one in its controls.")
    if not _activities(experiment, "rollbacks"):
        raise NotYet("your experiment has no rollback: nothing puts back what the method "
                     "broke.")


def _left_broken(result) -> None:
    """Raise if a fault the method started is still in effect after the rollbacks."""
    still = sorted({f["target"] for f in result.faults if f["until"] is None})
    if not still:
        return
    ended = sorted({e["target"] for r in result.rollbacks if isinstance(r.get("value"), dict)
                    for e in r["value"].get("ended", [])})
    what = ("it ended nothing the method started" if not ended
            else "it ended only " + ", ".join(ended))
    raise NotYet(f"after your experiment {', '.join(still)} is still down: your rollback ran, "
                 f"but {what}. Compare what it restores with what the method broke.")


def _verdict(result) -> str:
    return result.verdict.split(" (")[0]


# --------------------------------------------------------- (1) a broken experiment, fixed

def grade_fixed(artefact: Any) -> str:
    """The fixed experiment must validate, still be the plan it was, run to the end on Ring
    with the health check, and leave nothing broken."""
    experiment = _experiment(artefact)
    validate_experiment(experiment, _checking("ring"))   # names the first mistake left
    downs = [a for a in _activities(experiment, "method")
             if _func(a) == "region_outage" and a.get("type") == "action"]
    config = experiment.get("configuration") or {}
    regions = set()
    for a in downs:
        region = (a["provider"].get("arguments") or {}).get("region")
        if isinstance(region, str) and region.startswith("${") and region.endswith("}"):
            region = config.get(region[2:-1], region)
        regions.add(region)
    if REGION not in regions:
        raise NotYet("your experiment no longer takes region 3 down: fix the plan, do not "
                     "change it.")
    served = [p for p in _hypothesis(experiment) if _func(p) == "success_ratio"]
    if not served:
        raise NotYet("your steady state no longer measures the success ratio: keep the "
                     "plan's probe, fix its tolerance.")
    tolerance = served[0].get("tolerance")
    if isinstance(tolerance, dict):
        tolerance = tolerance.get("range")
    if not isinstance(tolerance, list) or len(tolerance) != 2 or tolerance[0] < LEAST_SERVED:
        raise NotYet(f"you loosened the steady state: the plan asks for at least "
                     f"{LEAST_SERVED * 100:g} % served, and your tolerance is {tolerance}.")
    if not _activities(experiment, "rollbacks"):
        raise NotYet("your experiment has no rollback: the plan brings the region back.")
    result = run_experiment(experiment, ring_system(failover=True))
    if result.status != "completed":
        raise NotYet(f"your experiment did not run to the end: {result.verdict}.")
    _left_broken(result)
    outage = [f for f in result.faults if f["target"] == REGION]
    down = max((f["until"] - f["from"] for f in outage), default=0.0)   # none: never down
    if abs(down - PAUSE) > 0.5:
        raise NotYet(f"your experiment keeps region 3 down for {down:g} s; the plan keeps it "
                     f"down for two minutes ({PAUSE} s) before the hypothesis is checked again: "
                     "fix the plan, do not change it.")
    back = max(f["until"] for f in outage)
    return (f"it runs: {_verdict(result)}, and the rollback brought region 3 back at "
            f"{back:g} s, {down:g} s after it went down.")


# -------------------------------------------------------------------- (2) a guardrail

def _stop_probe(artefact: Any) -> dict:
    if isinstance(artefact, (bool, int, float, complex)):
        raise NotYet(f"hand in {PROBE_HANDS_IN}, not a number.")
    if isinstance(artefact, str):
        if len(artefact) > MAX_TEXT:
            raise NotYet(f"your stop condition is {len(artefact):,} characters long; one "
                         "probe needs a few lines.")
        import yaml
        try:
            artefact = yaml.safe_load(artefact)
        except Exception as exc:  # noqa: BLE001 - any YAML error is a hint
            raise NotYet(f"your stop condition is not valid YAML ({type(exc).__name__}).") from None
        if isinstance(artefact, list) and len(artefact) == 1:
            artefact = artefact[0]
    if not isinstance(artefact, dict):
        raise NotYet(f"hand in {PROBE_HANDS_IN}, not {type(artefact).__name__}.")
    if len(artefact) > 10:
        raise NotYet(f"your stop condition has {len(artefact):,} fields; a probe has type, "
                     "name, provider, tolerance and frequency.")
    if "tolerance" not in artefact:
        raise NotYet("your stop condition has no tolerance: it needs the range of values that "
                     "let the experiment go on.")
    return artefact


def _guarded(probe: dict, pause: float = PLANNED) -> dict:
    return {"title": "Ring loses region 3 for ten minutes",
            "description": "Region 3 goes down for a planned ten minutes, with a guardrail.",
            "method": [{"type": "action", "name": "region 3 goes down",
                        "pauses": {"after": pause},
                        "provider": {"type": "python", "module": "labkit.chaos.actions",
                                     "func": "region_outage", "arguments": {"region": REGION}}}],
            "rollbacks": [{"type": "action", "name": "bring region 3 back",
                           "provider": {"type": "python", "module": "labkit.chaos.actions",
                                        "func": "restore", "arguments": {"target": REGION}}}],
            "controls": [{"name": "stop conditions", "provider": {
                "type": "python", "module": "labkit.chaos.controls",
                "arguments": {"probes": [probe]}}}]}


def grade_guardrail(artefact: Any) -> str:
    """With the health check the game day must run its ten minutes; without failover the
    stop condition must halt it within 30 s of region 3 going down."""
    probe = _stop_probe(artefact)
    experiment = _guarded(copy.deepcopy(probe))
    validate_experiment(experiment, _checking("ring"))
    healthy = run_experiment(experiment, ring_system(failover=True))
    if healthy.halted is not None:
        h = healthy.halted
        raise NotYet(f"your stop condition halted the game day with the health check at "
                     f"{h.at:g} s, {h.at - healthy.start:g} s into the outage: it stops harm "
                     f"the plan expects (the {DETECTION} s before the health check moves region "
                     f"3's customers; it read {_shown(h.value)}, outside {_shown(h.tolerance)}).")
    # Without failover only the first minute matters: run that much (and a little more), so
    # a guardrail that fires late is told when it fired.
    bad = run_experiment(_guarded(copy.deepcopy(probe), WATCH),
                         ring_system(failover=False))
    if bad.halted is None:
        raise NotYet(f"without failover your stop condition had not fired "
                     f"{bad.end - bad.start:g} s into the outage, while region 3's customers "
                     f"got nothing ({bad.requests_failed:,.0f} requests failed): every reading "
                     f"(every {_shown(probe.get('frequency', 1))} s) stayed inside its "
                     f"tolerance {_shown(probe.get('tolerance'))}.")
    late = bad.halted.at - bad.start
    if late > GUARD_WITHIN:
        raise NotYet(f"without failover your stop condition fired {late:g} s into the outage, "
                     f"later than {GUARD_WITHIN} s: by then {bad.requests_failed:,.0f} "
                     "requests had failed.")
    return (f"with the health check the game day runs its {PLANNED // 60} minutes; without "
            f"failover your stop condition halts it {late:g} s into the outage, after "
            f"{bad.requests_failed:,.0f} failed requests.")


def _shown(value: Any) -> str:
    from ..chaos.system import shown
    return shown(value)


# ----------------------------------------------------- (3) a game day for the photo site

def _with_total_outage(experiment: dict) -> dict:
    """The experiment with the database crashed too, at the method's start."""
    harsh = copy.deepcopy(experiment)
    harsh["method"] = [{"type": "action", "name": "the database crashes too",
                        "provider": {"type": "python", "module": "labkit.chaos.actions",
                                     "func": "crash", "arguments": {"component": TOTAL_OUTAGE}}}
                       ] + list(harsh.get("method") or [])
    harsh["rollbacks"] = list(harsh.get("rollbacks") or []) + [
        {"type": "action", "name": "the database restarts",
         "provider": {"type": "python", "module": "labkit.chaos.actions", "func": "restore",
                      "arguments": {"target": TOTAL_OUTAGE}}}]
    return harsh


def grade_game_day(artefact: Any) -> str:
    """Runs against the photo site at its peak and deviates; holds after the report's top
    recommendation; halts within a minute if the database crashes too; puts back what it
    broke."""
    experiment = _experiment(artefact)
    validate_experiment(experiment, _checking("site"))
    _require_parts(experiment, stop=True)
    site = photo_site()
    before = run_experiment(experiment, site_system(site))
    if before.held_before is False:
        raise NotYet(f"{before.verdict}: at {SITE_PEAK} req/s with nothing broken the site "
                     "must count as working.")
    if before.halted is not None:
        h = before.halted
        raise NotYet(f"your stop condition halted the game day at {h.at:g} s (it read "
                     f"{_shown(h.value)}, outside {_shown(h.tolerance)}): on the site as it is, "
                     "that is the harm the game day sets out to show. A guardrail belongs "
                     "between the harm you expect and the harm you do not.")
    if before.status != "completed":
        raise NotYet(f"your experiment did not run to the end: {before.verdict}.")
    if not before.deviated:
        raise NotYet("your experiment held on the photo site as it is: it does not show the "
                     "weakness the report names (it measured "
                     + "; ".join(c.describe() for c in before.after or []) + "). The report's "
                     "top recommendation says which fault it guards against.")
    _left_broken(before)
    top = site_report(site).recommendations[0]
    from ..report import apply
    after = run_experiment(experiment, site_system(apply(site, top)))
    if after.deviated or after.halted is not None or after.status != "completed":
        raise NotYet(f"after the report's top recommendation ({top.title.split(' (')[0]}), "
                     f"your experiment still fails: {after.verdict}. It should hold once the "
                     "weakness is fixed.")
    harsh = run_experiment(_with_total_outage(experiment), site_system(site))
    if harsh.halted is None:
        read = "; ".join(f"tolerance {_shown(p.get('tolerance'))}, read every "
                         f"{_shown(p.get('frequency', 1))} s" for p in _stop_conditions(experiment))
        raise NotYet(f"your stop condition never fires: when the database crashed too and "
                     f"nobody was served, the game day ran on to {harsh.end:g} s "
                     f"({harsh.requests_failed:,.0f} requests failed). It lets that through "
                     f"({read}).")
    late = harsh.halted.at - harsh.start
    if late > HALT_WITHIN:
        raise NotYet(f"your stop condition fires {late:g} s after the database crashed too, "
                     f"later than {HALT_WITHIN} s: by then {harsh.requests_failed:,.0f} "
                     "requests had failed.")
    value = before.after[0].value if before.after else None
    return (f"on the site as it is it deviates ({before.after[0].name} = {_shown(value)}); "
            f"after the report's top recommendation it holds; with the database down too your "
            f"stop condition halts it {late:g} s in; and the rollback puts back what it broke.")


# ------------------------------------------------------------------ (4) the fix

def grade_fix(artefact: Any) -> str:
    """The changed photo site: no capacity shortfall in the report, availability no lower,
    and a crash of any one replica at the peak costs nothing."""
    if isinstance(artefact, (bool, int, float, complex, str, bytes, dict, list, tuple)):
        raise NotYet(f"hand in {ARCH_HANDS_IN}, not {type(artefact).__name__}: the check runs "
                     "the report and game days on it.")
    if not isinstance(artefact, Architecture):
        raise NotYet(f"hand in {ARCH_HANDS_IN}, not {type(artefact).__name__}.")
    if len(artefact.graph) > MAX_COMPONENTS:
        raise NotYet(f"your architecture has {len(artefact.graph):,} components; the photo "
                     f"site has {len(photo_site().graph)} (at most {MAX_COMPONENTS} are graded).")
    arch = artefact.copy()
    if SITE_FEATURE not in arch.feature_names:
        raise NotYet(f"your architecture has no feature {SITE_FEATURE!r}: start from "
                     "photo_site() and change it.")
    report = site_report(arch)
    short = [r for r in report.capacity if not r["ok"]]
    if short:
        row = short[0]
        if row["kind"] == "component":
            raise NotYet(f"the report still finds a capacity shortfall: {row['pool']} serves "
                         f"at most {row['unit_capacity']:g} req/s at a peak of "
                         f"{row['load']:g}.")
        raise NotYet(f"the report still finds a capacity shortfall: losing one of your "
                     f"{row['pool']} leaves {row['capacity_after_losing_one']:g} req/s for a "
                     f"peak of {row['load']:g}.")
    was = site_report(photo_site()).feature(SITE_FEATURE)["availability"]
    now = report.feature(SITE_FEATURE)["availability"]
    if now < was - 1e-12:
        raise NotYet(f"your change lowers {SITE_FEATURE} from {format_percent(was)} to "
                     f"{format_percent(now)}: keep the replicas.")
    needed = arch.needs(arch.feature(SITE_FEATURE).requires)
    replicas = [m for g in arch.components if arch.component(g).kind == "group" and g in needed
                for m in arch.dependencies(g, "member") if arch.component(m).kind != "group"]
    if not replicas:
        raise NotYet("your site has no replicas left: one crash would take it down.")
    if len(replicas) > MAX_REPLICAS:
        raise NotYet(f"your site has {len(replicas)} replicas; at most {MAX_REPLICAS} are "
                     "crashed one by one here.")
    for name in replicas:
        result = run_experiment(_crash_one(name), site_system(arch))
        if result.held_before is False:
            raise NotYet(f"with nothing broken your site does not serve its peak: "
                         f"{result.verdict}.")
        if result.deviated:
            raise NotYet(f"with {name} down, your site serves "
                         f"{format_percent(result.after[0].value)} of its {SITE_PEAK} req/s "
                         "over the last minute: the others do not carry the peak alone.")
    return (f"the report finds no capacity shortfall, {SITE_FEATURE} stays at "
            f"{format_percent(now)}, and losing any one of {', '.join(replicas)} at "
            f"{SITE_PEAK} req/s costs nothing.")


def _crash_one(name: str) -> dict:
    served = {"type": "probe", "name": "served over the last minute",
              "tolerance": [LEAST_SERVED, 1.0],
              "provider": {"type": "python", "module": "labkit.chaos.probes",
                           "func": "success_ratio", "arguments": {"window": 60}}}
    return {"title": f"the site loses {name}", "description": "one replica crashes at the peak",
            "steady-state-hypothesis": {"title": "served", "probes": [served]},
            "method": [{"type": "action", "name": f"crash {name}", "pauses": {"after": PAUSE},
                        "provider": {"type": "python", "module": "labkit.chaos.actions",
                                     "func": "crash", "arguments": {"component": name}}}],
            "rollbacks": [{"type": "action", "name": "restart it",
                           "provider": {"type": "python", "module": "labkit.chaos.actions",
                                        "func": "restore", "arguments": {"target": name}}}]}


# ----------------------------------------------------------- (5) what FIS has no action for

def _actions_without_fis() -> list[str]:
    return [row["labkit"].split(".", 1)[1] for row in fis_mapping()
            if row["labkit"].startswith("actions.") and row["AWS FIS"].startswith("no FIS action")]


# ---------------------------------------------------------------------------- chapter

def exercises() -> list:
    return [
        Build("broken experiment, fixed", grade_fixed,
              ("validate_experiment(fixed, ring_system(failover=True)) names the first field "
               "that is wrong, and stops there; once it validates, run it and read "
               "result.verdict and result.faults.",
               "change only what the check names: the rest of the plan (region 3, two "
               "minutes, at least 99 % served, the region brought back) stays as it was."),
              EXPERIMENT_HANDS_IN),
        Build("guardrail for a region outage", grade_guardrail,
              ("work out what the last minute reads in each run: with the health check region "
               "3's customers lose 10 s, without failover everything from the fault on; "
               "region 3 carries one eighth of the requests.",
               "the guardrail must sit between the two: below the worst reading of the healthy "
               f"run, above what the other run reads {GUARD_WITHIN} s into the outage; read it "
               "every few seconds (its frequency)."),
              PROBE_HANDS_IN),
        Build("game day for the photo site", grade_game_day,
              ("build on the lesson's component_crash experiment "
               "(load_experiment(example_path(\"component_crash\"))) and give each part its "
               "job on this site: the hypothesis catches the harm of the fault the top "
               "recommendation guards against, the stop condition lets that harm run and halts "
               "worse, the rollback undoes the method (lesson 07, section 3).",
               "losing one app server costs a third of the requests at the peak: the "
               "hypothesis should catch that, the stop condition should not; a total outage "
               "should trip the stop condition within a minute."),
              EXPERIMENT_HANDS_IN),
        Build("the photo site, fixed", grade_fix,
              ("run site_report(photo_site()) and read its capacity rows and its first "
               "recommendation; apply(site, recommendation) returns the changed copy.",
               "with one app server down, the others must carry the whole peak alone (N+1 "
               "headroom, lesson 04): the report's capacity row says how far short they are."),
              ARCH_HANDS_IN),
        Exercise("actions without a FIS action", "names", _actions_without_fis,
                 ("look through the rows of fis_mapping() whose labkit column starts with "
                  "actions.: which say that FIS has no action for them?",
                  "give the action names as labkit spells them (crash_cell, not "
                  "actions.crash_cell), as a list; a row saying \"no single action\" has FIS "
                  "actions that do part of the job, so leave it out.")),
    ]
