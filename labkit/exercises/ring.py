"""Workbook 06: Ring at Halloween, graded on what the learner builds.

Five :class:`~labkit.check.Build` exercises. Each grader runs the learner's artefact through
labkit and measures it against the requirement the question states (the constants below);
nothing is compared with a stored answer:

1. ``region lost at the peak``: Ring's cells and an optional fallback cell, simulated at a
   360,000 req/s peak while region 1 is down: enough served, within a capacity budget;
2. ``transcoders below the peak rate``: a Ring whose transcoders are cheaper than the peak
   rate, simulated over the lesson's Halloween evening with cell 1's transcoder down for four
   minutes: no clip late, and the cheapest such transcoders to the nearest 10 clips/s. The
   learner hands in, as evidence, their own runs of that Ring and of the same Ring with every
   transcoder 10 clips/s slower; the grader simulates both too and checks the runs are
   those evenings, so the check's reply is never a substitute for simulating;
3. ``request path at six nines``: one request's path, by exact analysis: six nines with
   routers at 99.9 %, no component better than 99.99 %, and no router more than needed;
4. ``six nines, estimated``: a run of labkit's rare-event estimator, rerun from its own seed
   on the stated system: relative error, sample budget, and a 95 % interval that holds exact
   analysis's value;
5. ``a clean month at 130,000 req/s``: the learner's simulated incident and the zero-failure
   bounds they computed from its counts, read as requests and as days.

>>> [e.name for e in exercises()]
['region lost at the peak', 'transcoders below the peak rate', 'request path at six nines', 'six nines, estimated', 'a clean month at 130,000 req/s']
>>> _grade_month(3.2e-7)
Traceback (most recent call last):
...
labkit.check.NotYet: a bare number is not a record: hand in a dict with your incident run and your numbers, {"incident": run, "as requests": ..., "as days": ..., "days for six nines": ...}.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re

import numpy as np

from ..analysis import Estimate, availability
from ..catalog import ring_request_path
from ..check import Build, NotYet
from ..formulas import downtime_per_year, format_duration, nines
from ..model import Architecture
from ..rare_events import (METHODS, RareEstimate, crude_unavailability, rare_unavailability,
                           requests_needed_for, system_fingerprint, zero_failure_upper_bound)
from ..simulation import Fallback, Run, constant, crash, region_outage, rolling_peak, simulate

# ---------------------------------------------------------------- what the questions state

REGIONS = 8                   # Ring's regions (talk, S14, as reported)
DETECTION = 10.0              # seconds before the health check notices a dead cell

# (1) A region lost at a peak of 360,000 req/s, every region at its peak at once.
PEAK = 360_000
REGION_AT, REGION_FOR, REGION_RUN = 30.0, 300.0, 360.0
REGION_TARGET = 0.996         # share of the run's requests served, at least
CAPACITY_BUDGET = 420_000     # req/s of capacity in all: cells plus fallback cell, at most

# (2) The lesson's Halloween evening; cell 1's transcoder down 4 minutes from 420 s.
TYPICAL, HALLOWEEN, FIRST_PEAK, OFFSET, WIDTH, EVENING = 50_000, 6, 450.0, 120.0, 200.0, 1800.0
TRANSCODER, OUTAGE_AT, OUTAGE_FOR = "cell1-transcode", 420.0, 240.0
TRANSCODE_BUDGET = 400.0      # clips per second per transcoder, at most
TRANSCODE_STEP = 10.0         # the cheapest to within this: this much slower leaves a clip late
DEADLINE, CLIPS_PER_REQUEST = 300.0, 0.05

# (3) One request's path: routers at 99.9 %, nothing better than 99.99 %.
ROUTER_AVAILABILITY = 0.999
BEST_COMPONENT = 0.9999
SIX_NINES = 6.0
MAX_ROUTERS = 16

# (4) Estimate the unavailability of this path (about 1.2e-7) to 2 % with 200,000 samples.
ESTIMATED_PATH = {"tier_availability": 0.99995}
TARGET_ERROR = 0.02
SAMPLE_BUDGET = 200_000
CONFIDENCE = 0.95

# (5) A month without one failed request at the talk's 130,000 req/s (S9, as reported); the
# incident that may come on any day: a bad deploy to wave 1, the health check after 10 s.
REPORTED = 130_000
DAYS = 30
WAVE_CELLS = 8
DAY = 24 * 3600.0

# Sizes a grader accepts before it simulates anything.
MAX_COMPONENTS = 1_000        # ring() has 173
MAX_CELLS = 128               # 8 regions x 16 cells
MAX_PATH_COMPONENTS = 64      # ring_request_path(routers=16) has 33
MAX_RUN_STEPS = 100_000


def _kind(value) -> str:
    return type(value).__name__


def _bare_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _finite(value) -> bool:
    """A real number a float can hold (10**400 and nan are not)."""
    try:
        return _bare_number(value) and not isinstance(value, complex) and math.isfinite(value)
    except (OverflowError, TypeError, ValueError):
        return False


def _count(value) -> str:
    return f"{value:,.0f}"


def _pct(share: float) -> str:
    """4.2 %: a relative error, written as the lessons write it."""
    return f"{share * 100:.2g}\u00a0%" if share < 0.1 else f"{share * 100:.0f}\u00a0%"


def _percent(share: float) -> str:
    """99.653 %: enough digits to see a target of 99.6 % met or missed."""
    return f"{share * 100:.3f}\u00a0%"


# ---------------------------------------------------------------- (1) a region at the peak


def _design(design) -> tuple[Architecture, Fallback | None]:
    if _bare_number(design):
        raise NotYet("a bare number is not a design: hand in {\"ring\": ring(...), "
                     "\"fallback\": None or Fallback(...)}.")
    if isinstance(design, Architecture):
        arch, fallback = design, None
    elif isinstance(design, dict):
        extra = [k for k in list(design)[:10] if k not in ("ring", "fallback")]
        if len(design) > 2 or extra:
            raise NotYet("your design has entries other than \"ring\" and \"fallback\" "
                         f"({', '.join(map(repr, extra))}): hand in just those two.")
        arch, fallback = design.get("ring"), design.get("fallback")
    else:
        raise NotYet(f"expected a dict {{\"ring\": ring(...), \"fallback\": ...}}, got a "
                     f"{_kind(design)}.")
    if not isinstance(arch, Architecture):
        raise NotYet(f"your design's \"ring\" is a {_kind(arch)}: build it with ring(...).")
    if fallback is not None and not isinstance(fallback, Fallback):
        raise NotYet(f"your design's \"fallback\" is a {_kind(fallback)}: give None or "
                     "Fallback(capacity, mode=..., share=...).")
    _ring_size(arch)
    regions = [n for n in arch.components if re.fullmatch(r"region\d+", n)]
    if len(regions) != REGIONS:
        raise NotYet(f"your Ring has {len(regions)} regions; Ring runs in {REGIONS} "
                     "(talk, S14): keep regions=8.")
    return arch, fallback


def _ring_size(arch: Architecture) -> int:
    """Refuse what is too big to simulate in a second; return the number of cells."""
    if len(arch.graph) > MAX_COMPONENTS:
        raise NotYet(f"your architecture has {len(arch.graph):,} components; this check "
                     f"simulates at most {MAX_COMPONENTS:,} (ring() has 173).")
    cells = len(arch.partitions)
    if cells > MAX_CELLS:
        raise NotYet(f"your Ring has {cells:,} cells; this check simulates at most "
                     f"{MAX_CELLS} (8 regions of 16).")
    if cells == 0:
        raise NotYet("your architecture has no cells: build it with ring(...).")
    return cells


def _grade_region(design) -> str:
    arch, fallback = _design(design)
    run = simulate(arch, constant(PEAK), duration=REGION_RUN, arrivals="fluid",
                   faults=[region_outage("region1", at=REGION_AT, duration=REGION_FOR)],
                   failover="health check", detection=DETECTION, fallback=fallback)
    cells = len(run.cells) - (fallback is not None)
    cell_capacity = run.capacity[0, :cells]
    if not np.all(np.isfinite(cell_capacity)):
        raise NotYet("your cells have no capacity limit, and capacity costs money: give "
                     "ring(...) a cell_capacity.")
    cost = float(cell_capacity.sum()) + (fallback.capacity if fallback else 0.0)
    served, shed = run.success_ratio, float(run.shed.sum())
    failed = float(run.new.sum() - run.good.sum())
    if served < REGION_TARGET:
        middle = int(np.searchsorted(run.times, REGION_AT + REGION_FOR / 2))
        alive = run.cell_up[middle, :cells]
        survivors = float(run.capacity[middle, :cells][alive].sum())
        why = (f"with region 1 down your {int(alive.sum())} surviving cells have "
               f"{_count(survivors)} req/s of capacity")
        if fallback is not None:
            asked = fallback.share * PEAK if fallback.mode == "live" else 0.0
            if fallback.mode == "idle":
                why += ("; your fallback cell is idle, so the health check moves region 1's "
                        "customers to the live cells, not to it, and an idle cell would "
                        "first have to warm up (lesson 05)")
            elif asked > fallback.capacity:
                why += (f"; your live fallback cell is sent {fallback.share * 100:g} % of the "
                        f"traffic, {_count(asked)} req/s, but serves at most "
                        f"{_count(fallback.capacity)}")
            else:
                why += f", while your fallback cell takes {_count(asked)} req/s of the load"
        raise NotYet(f"{why}: {_count(shed)} requests shed and {_count(failed)} failed in "
                     f"all; {_percent(served)} served, the target is "
                     f"{_percent(REGION_TARGET)}.")
    if cost > CAPACITY_BUDGET:
        raise NotYet(f"your design serves {_percent(served)}, but its capacity costs "
                     f"{_count(cost)} req/s in all (cells plus fallback cell); the budget "
                     f"is {_count(CAPACITY_BUDGET)}.")
    extra = ""
    if fallback is not None and fallback.mode == "idle":
        extra = " (your idle fallback cell served nothing: it is only cost)"
    lost = (f"{_count(failed)} failed, none shed: only the {DETECTION:.0f} s before the "
            "health check notices" if shed < 0.5 else
            f"{_count(failed)} failed, {_count(shed)} of them shed")
    return (f"with region 1 down at {_count(PEAK)} req/s your design serves "
            f"{_percent(served)} ({lost}) for {_count(cost)} req/s of capacity{extra}.")


# ---------------------------------------------------------------- (2) a transcoder after an outage


def halloween_evening():
    """The lesson's evening: 50,000 req/s typical, 6x at each region's peak, rolling west."""
    return constant(TYPICAL) * rolling_peak(HALLOWEEN, first_peak=FIRST_PEAK, offset=OFFSET,
                                            width=WIDTH)


TRANSCODE_KEYS = ("ring", "run", "run 10 clips/s slower")


def _transcoding_design(design) -> tuple[Architecture, Run, Run]:
    """The learner's Ring and the two runs they hand in as evidence, type-checked."""
    if _bare_number(design):
        raise NotYet("a bare number is not a Ring: build one with ring(transcode_capacity=...) "
                     "and hand it in with your two runs.")
    if isinstance(design, Architecture):
        raise NotYet("hand in your Ring with the two runs that show it is the cheapest: "
                     "{\"ring\": ring(...), \"run\": its evening, \"run 10 clips/s slower\": "
                     "the same evening with every transcoder 10 clips/s slower}.")
    if not isinstance(design, dict):
        raise NotYet(f"expected a dict {{\"ring\": ..., \"run\": ..., \"run 10 clips/s "
                     f"slower\": ...}}, got a {_kind(design)}.")
    missing = [k for k in TRANSCODE_KEYS if k not in design]
    if missing or len(design) != len(TRANSCODE_KEYS):
        what = f"no {', '.join(map(repr, missing))}" if missing else "entries it does not ask for"
        raise NotYet(f"your hand-in has {what}: give exactly "
                     f"{', '.join(map(repr, TRANSCODE_KEYS))}.")
    arch = design["ring"]
    if not isinstance(arch, Architecture):
        raise NotYet(f"your \"ring\" is a {_kind(arch)}: build it with "
                     "ring(transcode_capacity=...).")
    runs = tuple(_checked_run(design[k], k, "simulate(...) returned for it")
                 for k in TRANSCODE_KEYS[1:])
    return arch, runs[0], runs[1]


def _same_evening(mine: Run, label: str, arch_said: str, theirs: Run) -> None:
    """Refuse a run that is not the question's evening on the Ring it should be of."""
    if mine.step != theirs.step or len(mine.times) != len(theirs.times):
        raise NotYet(f"your \"{label}\" lasts {len(theirs.times) * theirs.step:,.0f} s in steps "
                     f"of {theirs.step:g} s; the question's evening is {EVENING:,.0f} s "
                     "(duration=1800, the default step).")
    if not np.allclose(theirs.new, mine.new, rtol=1e-9):
        raise NotYet(f"your \"{label}\" is offered other traffic than the question's "
                     "evening: constant(50_000) * rolling_peak(6, first_peak=450, offset=120, "
                     "width=200), with arrivals=\"fluid\".")
    if list(theirs.queues) != list(mine.queues):
        raise NotYet(f"your \"{label}\" has {len(theirs.queues)} queues; {arch_said} has "
                     f"{len(mine.queues)}: simulate {arch_said}.")
    same = all(a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-6) for a, b in (
        (mine.good, theirs.good), (mine.work_done, theirs.work_done),
        (mine.work_late, theirs.work_late), (mine.backlog, theirs.backlog)))
    if not same:
        column = mine.queues.index(f"cell1-api -> {TRANSCODER}")
        crashed = theirs.backlog[:, column].max() >= 0.5 * mine.backlog[:, column].max()
        raise NotYet(f"your \"{label}\" is not the question's evening on {arch_said}: "
                     + ("simulate that Ring, with its transcoders as they are." if crashed else
                        f"it has no crash of {TRANSCODER} at {OUTAGE_AT:.0f} s for "
                        f"{OUTAGE_FOR:.0f} s (faults=[crash(...)])."))


def _grade_transcoders(design) -> str:
    arch, own_run, slower_run = _transcoding_design(design)
    cells = _ring_size(arch)
    if cells != 32 or len([n for n in arch.components if re.fullmatch(r"region\d+", n)]) != 8:
        raise NotYet(f"your Ring has {cells} cells; the question's has 32 in 8 regions (more "
                     "cells would each get less work): keep ring()'s cells.")
    queues = {consumer: (deadline, per) for _, consumer, deadline, per in arch.queues()
              if consumer.endswith("-transcode")}
    if TRANSCODER not in queues:
        raise NotYet("your Ring has no queue into cell1-transcode: build it with ring(...).")
    deadlines = {d for d, _ in queues.values()}
    if deadlines != {DEADLINE}:
        raise NotYet(f"you changed the transcode deadline (to {max(deadlines):g} s): a clip "
                     f"must be ready within {DEADLINE:g} s, that is the work's; change the "
                     "transcoders, not the deadline.")
    if {p for _, p in queues.values()} != {CLIPS_PER_REQUEST}:
        raise NotYet(f"you changed the clips each request brings: it is "
                     f"{CLIPS_PER_REQUEST} per request; change the transcoders, not the work.")
    capacities = [arch.component(c).capacity for c in queues]
    fastest = max(capacities)
    if fastest > TRANSCODE_BUDGET:
        raise NotYet(f"your transcoders do up to {fastest:,.0f} clips/s; the budget is "
                     f"{TRANSCODE_BUDGET:,.0f} per transcoder.")
    run = _transcoding_evening(arch)
    _same_evening(run, "run", "your Ring", own_run)
    failed = float(run.new.sum() - run.good.sum())
    if failed > 0.5:
        raise NotYet(f"your Ring fails {_count(failed)} requests this evening, so fewer "
                     "clips reach the queues: keep every request served (ring()'s cells "
                     "have room for the peak).")
    column = run.queues.index(f"cell1-api -> {TRANSCODER}")
    transcode = [i for i, q in enumerate(run.queues) if q.endswith("-transcode")]
    late = run.work_late[:, transcode].sum(axis=0)
    oldest = float(run.backlog_age[:, column].max())
    slowest = min(capacities)
    described = (f"{slowest:,.0f} clips/s" if slowest == fastest
                 else f"{slowest:,.0f} to {fastest:,.0f} clips/s")
    if late.sum() > 0.5:
        own = float(late[transcode.index(column)])
        others = int(np.count_nonzero(late > 0.5)) - (own > 0.5)
        where = f"{_count(own)} in cell 1's queue"
        if others:
            where += (f" and {_count(late.sum() - own)} in {others} other cells' queues, "
                      "whose transcoders were never down")
        raise NotYet(f"your run shows that with transcoders of {described}, "
                     f"{_count(late.sum())} clips are late: {where}. In cell 1 the oldest "
                     f"clip waited {oldest:.0f} s; the deadline is {DEADLINE:.0f} s.")
    # The cheapest, to the nearest TRANSCODE_STEP: the learner's own run of the same Ring with
    # every transcoder that much slower must show a clip late. The grader simulates that Ring
    # too and checks the run is its evening, so the evidence is the learner's simulation, not
    # this check's reply (a transcoder of TRANSCODE_STEP or less is too slow in any case).
    if slowest > TRANSCODE_STEP:
        slower = _transcoding_evening(_with_transcoders(arch, queues, -TRANSCODE_STEP))
        _same_evening(slower, "run 10 clips/s slower",
                      "your Ring with every transcoder 10 clips/s slower", slower_run)
        slower_late = float(slower.work_late[:, transcode].sum())
        if slower_late <= 0.5:
            raise NotYet(f"your own runs show no clip late with transcoders of {described} "
                         f"(cell 1's oldest waited {oldest:.0f} s of its {DEADLINE:.0f}) and "
                         f"none {TRANSCODE_STEP:.0f} clips/s slower either: that Ring is "
                         f"cheaper and keeps every clip on time too. Hand in the cheapest, to "
                         f"the nearest {TRANSCODE_STEP:.0f} clips/s.")
    else:
        slower_late = math.inf
    peak_rate = float(run.work_added[:, column].max() / run.step)
    return (f"with transcoders of {described}, below the {peak_rate:,.0f} clips/s a cell "
            f"queues at its peak, no clip is late: cell 1's oldest waited {oldest:.0f} s of "
            f"its {DEADLINE:.0f}; your run {TRANSCODE_STEP:.0f} clips/s slower has "
            f"{_count(slower_late)} late.")


def _transcoding_evening(arch: Architecture) -> Run:
    """The question's evening: cell 1's transcoder down for 4 minutes from 420 s."""
    return simulate(arch, halloween_evening(), duration=EVENING, arrivals="fluid",
                    faults=[crash(TRANSCODER, at=OUTAGE_AT, duration=OUTAGE_FOR)])


def _with_transcoders(arch: Architecture, transcoders, change: float) -> Architecture:
    """A copy of ``arch`` with every transcoder's capacity changed by ``change`` clips/s."""
    slower = arch.copy()
    for name in transcoders:
        old = slower.component(name)
        slower.graph.nodes[name]["component"] = dataclasses.replace(
            old, capacity=old.capacity + change)
    return slower._changed()


# ---------------------------------------------------------------- (3) the request path


def _as_request_path(path) -> tuple[Architecture, dict]:
    """The learner's path, checked to be one ring_request_path builds; and its arguments."""
    if _bare_number(path):
        raise NotYet("a bare number is not a request path: build one with "
                     "ring_request_path(...) and hand that in.")
    if not isinstance(path, Architecture):
        raise NotYet(f"expected a request path built with ring_request_path(...), got a "
                     f"{_kind(path)}.")
    if len(path.graph) > MAX_PATH_COMPONENTS:
        raise NotYet(f"your path has {len(path.graph):,} components; a request path has at "
                     f"most {MAX_PATH_COMPONENTS} (16 routers).")
    names = set(path.components)
    routers = [n for n in path.components if re.fullmatch(r"router\d+", n)]
    needed = {"cell-edge", "cell-region", "cell-build"}
    if not routers or not needed <= names:
        raise NotYet("this is not a request path ring_request_path builds (no routers, or "
                     "no cell-edge, cell-region, cell-build): build it with "
                     "ring_request_path(...).")
    settings = {"routers": len(routers),
                "router_availability": path.availability_of(routers[0]),
                "tier_availability": path.availability_of("cell-edge"),
                "region_availability": path.availability_of("cell-region"),
                "deploy_availability": path.availability_of("cell-build"),
                "fallback": "fallback-edge" in names}
    rebuilt = ring_request_path(**settings)
    same = (path.components == rebuilt.components
            and sorted(path.edges()) == sorted(rebuilt.edges())
            and all(path.component(n).availability == rebuilt.component(n).availability
                    and path.component(n).k == rebuilt.component(n).k for n in rebuilt.components)
            and {f: tuple(x.requires) for f, x in path.features.items()}
            == {f: tuple(x.requires) for f, x in rebuilt.features.items()})
    if not same:
        raise NotYet("your path is not one ring_request_path(...) builds (changed by hand, "
                     "or components with different availabilities where it gives them the "
                     "same): build it with ring_request_path and its arguments only.")
    return rebuilt, settings


def _grade_path(path) -> str:
    path, settings = _as_request_path(path)
    if settings["router_availability"] != ROUTER_AVAILABILITY:
        raise NotYet(f"your routers are at {settings['router_availability'] * 100:g} %; the "
                     f"question's routers are at {ROUTER_AVAILABILITY * 100:g} % each.")
    better = {k: v for k, v in settings.items()
              if k.endswith("availability") and k != "router_availability" and v > BEST_COMPONENT}
    if better:
        which, value = max(better.items(), key=lambda kv: kv[1])
        raise NotYet(f"your {which.replace('_availability', '')} components are at "
                     f"{value * 100:g} %: the question allows nothing better than "
                     f"{BEST_COMPONENT * 100:g} %.")
    a = availability(path)
    got = nines(a)
    k = settings["routers"]
    if got < SIX_NINES:
        routers_down = (1 - ROUTER_AVAILABILITY) ** k
        if not settings["fallback"]:
            why = ("without a fallback cell the request needs its own cell's tiers, region "
                   "and build in series")
        elif routers_down >= 0.5 * (1 - a):
            why = (f"your {k} router{'s' if k > 1 else ''} at 99.9 % are all down together "
                   f"{routers_down:.2g} of the time")
        else:
            why = (f"its own cell and the fallback cell are down together "
                   f"{(1 - a) - routers_down:.2g} of the time")
        raise NotYet(f"your path reaches {got:.2f} nines, short of six: {why}.")
    if k > 1:
        fewer = ring_request_path(**dict(settings, routers=k - 1))
        if nines(availability(fewer)) >= SIX_NINES:
            raise NotYet(f"your path reaches {got:.2f} nines with {k} routers, but it would "
                         "reach six with fewer: use no more routers than six nines needs.")
    routers_down = (1 - ROUTER_AVAILABILITY) ** k
    cells_down = (1 - a) - routers_down
    limit = ("its own cell and the fallback cell down together" if cells_down >= routers_down
             else f"all {k} routers down together")
    return (f"your path reaches {got:.2f} nines ({format_duration(downtime_per_year(a))} a "
            f"year) with {k} routers at 99.9 %; with one fewer it would not. What limits it: "
            f"{limit} ({max(cells_down, routers_down):.2g} of the time, against "
            f"{min(cells_down, routers_down):.2g} for "
            + ("the routers" if cells_down >= routers_down else "the two cells") + ").")


# ---------------------------------------------------------------- (4) the estimate


def estimated_path() -> Architecture:
    """The system exercise 4 estimates: ring_request_path(tier_availability=0.99995)."""
    return ring_request_path(**ESTIMATED_PATH)


def _checked_estimate(est) -> RareEstimate:
    if _bare_number(est):
        raise NotYet("a bare number is not an estimate: hand in the object rare_unavailability "
                     "returns (it carries its samples, seed and interval).")
    if isinstance(est, Estimate) and not isinstance(est, RareEstimate):
        raise NotYet("that is sampled_availability's estimate of the availability: hand in "
                     "rare_unavailability's (or crude_unavailability's) estimate of the "
                     "unavailability.")
    if not isinstance(est, RareEstimate):
        raise NotYet(f"expected the estimate rare_unavailability returns, got a {_kind(est)}.")
    fields = (est.value, est.standard_error, est.low, est.high, est.confidence)
    if not all(_finite(x) for x in fields):
        raise NotYet("this estimate holds a value that is not a finite number: it is not one "
                     "labkit's estimator made.")
    if not isinstance(est.samples, int) or isinstance(est.samples, bool) or est.samples < 1:
        raise NotYet("this estimate's sample count is not a whole number of samples: it is "
                     "not one labkit's estimator made.")
    if est.samples > SAMPLE_BUDGET:
        raise NotYet(f"your run drew {est.samples:,} samples; the budget is "
                     f"{SAMPLE_BUDGET:,}.")
    if est.method not in METHODS or not isinstance(est.seed, int) or est.system is None:
        raise NotYet("this estimate records no seed or system: it was not returned by "
                     "labkit's estimator. Hand in what rare_unavailability returned.")
    return est


def _grade_estimate(est) -> str:
    est = _checked_estimate(est)
    path = estimated_path()
    if est.system != system_fingerprint(path) or est.feature != "request served":
        raise NotYet("your estimate is of another system than the question's: estimate "
                     "ring_request_path(tier_availability=0.99995) exactly as it comes.")
    if not math.isclose(est.confidence, CONFIDENCE, rel_tol=1e-9):
        raise NotYet(f"your interval is a {est.confidence * 100:.3g} % one; the question "
                     f"asks for {CONFIDENCE * 100:.0f} % (the default).")
    estimator = rare_unavailability if est.method == "importance" else crude_unavailability
    again = estimator(path, samples=est.samples, seed=est.seed, confidence=CONFIDENCE)
    if not all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-300) for x, y in (
            (est.value, again.value), (est.standard_error, again.standard_error),
            (est.low, again.low), (est.high, again.high))) or est.failures != again.failures:
        raise NotYet("this estimate is not what labkit's estimator gives for its own seed and "
                     "samples: hand in the object rare_unavailability returned, unchanged.")
    exact = 1 - availability(path)
    if est.failures == 0:
        needed = (1 - exact) / (exact * TARGET_ERROR ** 2)
        raise NotYet(f"{est.method} sampling saw no failure in your {est.samples:,} samples: "
                     "its estimate is 0 and its relative error unknown. Crude Monte Carlo "
                     f"would need about {needed:.1g} samples for {_pct(TARGET_ERROR)} here, "
                     "far beyond the budget.")
    if est.relative_error > TARGET_ERROR:
        advice = ("more samples: the relative error shrinks as 1/√samples" if
                  est.method == "importance" else
                  f"crude Monte Carlo saw only {est.failures:,} failed worlds, and within "
                  "the budget it cannot see many more at this rarity")
        raise NotYet(f"your estimate's relative error is {_pct(est.relative_error)}, the "
                     f"target {_pct(TARGET_ERROR)}: {advice}.")
    if not est.low <= exact <= est.high:
        raise NotYet(f"your 95 % interval, {est.low:.3g} to {est.high:.3g}, misses exact "
                     f"analysis's {exact:.3g}. That happens to about 1 honest run in 20 (what "
                     "95 % means): run it again with another seed.")
    return (f"{est.method} sampling, {est.samples:,} samples: {est.value:.3g} ± "
            f"{_pct(est.relative_error)}; its 95 % interval, {est.low:.3g} to {est.high:.3g}, "
            f"holds exact analysis's {exact:.3g}.")


# ---------------------------------------------------------------- (5) a clean month


MONTH_KEYS = ("incident", "as requests", "as days", "days for six nines")


def month_evidence(failed_per_incident: float) -> dict:
    """What a month without one failure supports at 130,000 req/s, both readings (95 %).

    ``as requests``: every request an independent trial. ``as days``: each day an
    independent chance of one incident that fails ``failed_per_incident`` requests, so the
    failure rate is at most (chance of an incident on a day) x (its share of a day's
    requests). ``days for six nines``: the fewest clean days for the second reading to
    support six nines.

    >>> e = month_evidence(325_000)
    >>> f"{e['as requests']:.2g}", f"{e['as days']:.2g}", e["days for six nines"]
    ('8.9e-12', '2.7e-06', 86)
    """
    requests = int(DAYS * DAY * REPORTED)
    share = failed_per_incident / (REPORTED * DAY)
    allowed = 1 - 10 ** -SIX_NINES
    chance = (1 - allowed) / share
    return {"as requests": zero_failure_upper_bound(requests, CONFIDENCE),
            "as days": zero_failure_upper_bound(DAYS, CONFIDENCE) * share,
            "days for six nines": 1 if chance >= 1 else requests_needed_for(1 - chance,
                                                                           CONFIDENCE),
            "share": share, "requests": requests}


def _checked_run(run, label: str = "incident",
                 returned: str = "simulate(...) returned for the incident") -> Run:
    """A Run simulate() made, of a size this check reads; else a NotYet naming ``label``."""
    if run is None:
        raise NotYet(f"your \"{label}\" is still None: simulate it and put the Run "
                     "simulate(...) returns there.")
    if not isinstance(run, Run):
        raise NotYet(f"your \"{label}\" is a {_kind(run)}: hand in the Run that {returned}.")
    not_a_run = f"your \"{label}\" is not a Run that simulate(...) returned."
    arrays = (run.times, run.new, run.good, run.cell_up)
    if not all(isinstance(a, np.ndarray) for a in arrays) or run.times.ndim != 1:
        raise NotYet(not_a_run)
    steps = len(run.times)
    if steps > MAX_RUN_STEPS or run.cell_up.size > MAX_RUN_STEPS * (MAX_CELLS + 1):
        raise NotYet(f"your \"{label}\" is {steps:,} steps long; this check reads at most "
                     f"{MAX_RUN_STEPS:,} steps.")
    if (steps == 0 or run.new.shape != (steps,) or run.good.shape != (steps,)
            or run.cell_up.ndim != 2 or run.cell_up.shape[0] != steps
            or not isinstance(run.step, (int, float)) or not run.step > 0
            or not np.all(np.isfinite(run.new)) or not np.all(np.isfinite(run.good))):
        raise NotYet(not_a_run)
    work = (run.work_added, run.work_done, run.work_late, run.backlog, run.backlog_age)
    if (not isinstance(run.queues, list) or len(run.queues) > 2 * MAX_CELLS
            or not all(isinstance(a, np.ndarray) and a.ndim == 2 and a.size <= steps * len(run.queues)
                       for a in work)):
        raise NotYet(not_a_run)
    return run


def _month_number(record: dict, key: str, whole: bool = False) -> float:
    value = record[key]
    wanted = "a whole number of days" if whole else "a failure rate, a number from 0 to 1"
    if value is None:
        raise NotYet(f"your \"{key}\" is still None: work it out from your incident's numbers.")
    if not _bare_number(value) or isinstance(value, complex):
        raise NotYet(f"your \"{key}\" is a {_kind(value)}: give {wanted}.")
    if not _finite(value):
        raise NotYet(f"your \"{key}\" is not a finite number a float can hold: give {wanted}.")
    if whole and (value < 1 or value != int(value) or value > 10**9):
        raise NotYet(f"your \"{key}\" is {value:g}: give {wanted}.")
    if not whole and not 0 < value <= 1:
        raise NotYet(f"your \"{key}\" is {value:g}: a bound on a failure rate lies above 0 "
                     "and at most 1.")
    return float(value)


def _grade_month(record) -> str:
    if _bare_number(record):
        raise NotYet("a bare number is not a record: hand in a dict with your incident run "
                     "and your numbers, {\"incident\": run, \"as requests\": ..., "
                     "\"as days\": ..., \"days for six nines\": ...}.")
    if not isinstance(record, dict):
        raise NotYet(f"expected a dict {{\"incident\": run, \"as requests\": ..., \"as days\": "
                     f"..., \"days for six nines\": ...}}, got a {_kind(record)}.")
    missing = [k for k in MONTH_KEYS if k not in record]
    if missing or len(record) != len(MONTH_KEYS):
        what = f"no {', '.join(map(repr, missing))}" if missing else "entries it does not ask for"
        raise NotYet(f"your record has {what}: give exactly "
                     f"{', '.join(map(repr, MONTH_KEYS))}.")
    run = _checked_run(record["incident"])
    rate = float(run.new.sum()) / (len(run.times) * run.step)
    if not math.isclose(rate, REPORTED, rel_tol=0.01):
        raise NotYet(f"your incident run offers {rate:,.0f} req/s on average; the month's "
                     f"traffic is the talk's {REPORTED:,} req/s (constant({REPORTED}), no "
                     "spike).")
    cells = len([c for c in run.cells if c != "fallback"]) if isinstance(run.cells, list) else 0
    if cells != 32:
        raise NotYet(f"your incident run has {cells} cells; run it on ring(), with its 32.")
    down = int((~run.cell_up[:, :cells].astype(bool)).sum(axis=1).max())
    if down != WAVE_CELLS:
        raise NotYet(f"your incident takes down {down} cell{'s' if down != 1 else ''} at "
                     f"once; the question's incident is a bad deploy to wave 1, which holds "
                     f"{WAVE_CELLS} of ring()'s cells.")
    failed = float(run.new.sum() - run.good.sum())
    usual = DETECTION * REPORTED * WAVE_CELLS / cells
    if not 0.5 * usual <= failed <= 2 * usual:
        raise NotYet(f"your incident failed {_count(failed)} requests: "
                     + ("far more than the 10 s before the health check notices would; turn "
                        "failover on (failover=\"health check\", detection=10)." if failed > usual
                        else "far fewer than the 10 s before the health check notices would: "
                        "give it detection=10."))
    want = month_evidence(failed)
    got = {k: _month_number(record, k, whole=(k == "days for six nines"))
           for k in MONTH_KEYS[1:]}
    close = 0.06   # the rule of three (3/n) is within about 5 % of the exact bound here
    if not math.isclose(got["as requests"], want["as requests"], rel_tol=close):
        if math.isclose(got["as requests"], zero_failure_upper_bound(DAYS), rel_tol=close):
            raise NotYet("your \"as requests\" counts days, not requests: read as requests, "
                         "every request of the month at 130,000 req/s is one trial.")
        raise NotYet(f"your \"as requests\" ({got['as requests']:.3g}) is not the 95 % bound "
                     "after a month of requests at 130,000 req/s without a failure: n is the "
                     "month's requests.")
    if not math.isclose(got["as days"], want["as days"], rel_tol=close):
        chance = zero_failure_upper_bound(DAYS)
        if math.isclose(got["as days"], chance, rel_tol=close):
            why = ("that is the chance of an incident on a given day; the failure rate is "
                   "that chance times the share of a day's requests one incident fails")
        elif math.isclose(got["as days"] * DAYS, want["as days"], rel_tol=close):
            why = ("you divided by a month's requests; the chance is per day, so take the "
                   "incident's share of one day's requests")
        else:
            why = (f"with your incident's {_count(failed)} failed requests, read the month "
                   f"as {DAYS} independent days")
        raise NotYet(f"your \"as days\" ({got['as days']:.3g}) is not what your own incident "
                     f"gives: {why}.")
    fewest = want["days for six nines"]
    by_three = math.ceil(3 * want["share"] / 10 ** -SIX_NINES)   # the rule of three's answer
    if not fewest <= got["days for six nines"] <= max(fewest, by_three):
        direction = "too few" if got["days for six nines"] < fewest else "more than needed"
        raise NotYet(f"your \"days for six nines\" ({got['days for six nines']:.0f}) is "
                     f"{direction}: find the fewest clean days n whose bound, times your "
                     "incident's share of a day's requests, is at most 1e-6.")
    return (f"read as independent requests, your clean month at {REPORTED:,} req/s supports "
            f"{nines(1 - want['as requests']):.2f} nines; read as days that may each bring "
            f"your incident ({_count(failed)} failed), {nines(1 - want['as days']):.2f} nines"
            f"{', not six' if want['as days'] > 10 ** -SIX_NINES else ''}. Six nines needs "
            f"{fewest} clean days of that reading.")


# ---------------------------------------------------------------- the chapter


def exercises() -> list[Build]:
    return [
        Build("region lost at the peak", _grade_region,
              ("when region 1 goes down, the cells of the other 7 regions (and a fallback "
               "cell, if you have one) must carry the whole peak. Compare what they can "
               "serve with what they are sent; capacity anywhere else is only cost.",
               "two ways fit the budget: cells big enough that 7/8 of them carry the peak, or "
               "today's cells with a live fallback cell large enough for the share of the "
               "traffic it is sent. Simulate your design as the question says and read "
               "run.success_ratio and run.shed."),
              "a dict {\"ring\": ring(...), \"fallback\": None or Fallback(...)}"),
        Build("transcoders below the peak rate", _grade_transcoders,
              ("a queue lets a transcoder fall behind for a while: a clip only has to be done "
               "within its 300 s deadline. The outage's backlog and the peak's both have to "
               "be worked off in time, and the slower the transcoder, the longer that takes.",
               "simulate the evening with ring(transcode_capacity=c) for a few c under the "
               "budget and read run.work_late.sum(): narrow c down until it has no clip late "
               "while 10 clips/s less has some."),
              "a dict {\"ring\": ring(transcode_capacity=...), \"run\": ..., "
              "\"run 10 clips/s slower\": ...}"),
        Build("request path at six nines", _grade_path,
              ("the request fails when all routers are down, or when its own cell and the "
               "fallback cell are down together; each part must stay well under one in a "
               "million.",
               "try ring_request_path(routers=k, router_availability=0.999, "
               "tier_availability=t) for a few k and t, and read nines(availability(path))."),
              "a request path built with ring_request_path(...)"),
        Build("six nines, estimated", _grade_estimate,
              ("at about one failure in ten million, crude Monte Carlo sees nothing within "
               "the budget; importance sampling sees failures on purpose, and its relative "
               "error shrinks as 1/√samples.",
               "call est = rare_unavailability(system, samples=n, seed=s) for a few n up to "
               "the budget and read est.relative_error and est.confidence_interval."),
              "the estimate rare_unavailability(...) returns"),
        Build("a clean month at 130,000 req/s", _grade_month,
              ("read as requests, every request of the month is an independent trial; read "
               "as days, each day is one chance of your incident, and an incident fails "
               "many requests at once.",
               "zero_failure_upper_bound(n) for n = the month's requests; then "
               "zero_failure_upper_bound(30) times your incident's failed requests over one "
               "day's requests at 130,000 req/s; for the days, increase n until that product "
               "is at most 1e-6."),
              "a dict {\"incident\": run, \"as requests\": ..., \"as days\": ..., "
              "\"days for six nines\": ...}"),
    ]
