"""Workbook 06: Ring at Halloween, six nines and the evidence for them.

Each expected answer is computed by labkit when the check runs: downtime and the zero-failure
bound from :mod:`labkit.formulas` and :mod:`labkit.rare_events`, capacities and backlogs
measured on the simulation (fluid arrivals, so exact), availabilities by exact analysis
(brute force over every world for the small request path, not the series formula a learner
is likely to use).

>>> [e.name for e in exercises()][:2]
['downtime per year at six nines', 'requests with zero failures for six nines']
>>> len(exercises())
6
"""

from __future__ import annotations

import math

from ..analysis import availability, brute_force_availability
from ..catalog import ring, ring_request_path
from ..check import Exercise
from ..formulas import availability_from_nines, downtime_per_year, nines
from ..rare_events import requests_needed_for
from ..simulation import constant, crash, region_outage, simulate

# The numbers the workbook's questions state.
SIX_NINES = 6                 # (1), (2): 99.9999 %
CONFIDENCE = 0.95             # (2): a 95 % upper bound
PEAK = 300_000                # (3), (4): requests per second, every region at its peak at once
OUTAGE_AT, OUTAGE_FOR = 10, 120   # (4): cell 1's transcode consumer is down from 10 s for 120 s
ROUTER_AVAILABILITY = 0.999   # (6): each router instance
TIER_AVAILABILITY = 0.9999    # (6): each tier of a cell, own and fallback


def _downtime_at_six_nines() -> float:
    return downtime_per_year(availability_from_nines(SIX_NINES))


def _requests_for_six_nines() -> int:
    return requests_needed_for(availability_from_nines(SIX_NINES), CONFIDENCE)


def _capacity_after_region_outage() -> float:
    # Cells without a capacity limit, region 1 down, failover at once: the most any surviving
    # cell is asked to serve is the capacity it needs.
    run = simulate(ring(cell_capacity=math.inf), constant(PEAK), duration=30, arrivals="fluid",
                   faults=[region_outage("region1", at=10, duration=20)],
                   failover="health check", detection=0)
    return float(run.cell_good[run.window(10, 30)].max() / run.step)


def _transcode_backlog() -> float:
    # Measured on the queue itself: the most clips ever waiting for cell 1's transcoder.
    run = simulate(ring(), constant(PEAK), duration=OUTAGE_AT + OUTAGE_FOR + 20,
                   arrivals="fluid", faults=[crash("cell1-transcode", at=OUTAGE_AT,
                                                   duration=OUTAGE_FOR)])
    return float(run.backlog[:, run.queues.index("cell1-api -> cell1-transcode")].max())


def _path_without_fallback() -> float:
    # Every world of the path's components, weighed: independent of the series formula.
    return brute_force_availability(ring_request_path(fallback=False))


def _fewest_routers() -> int:
    for routers in range(1, 17):
        path = ring_request_path(routers=routers, router_availability=ROUTER_AVAILABILITY,
                                 tier_availability=TIER_AVAILABILITY)
        if nines(availability(path)) >= SIX_NINES:
            return routers
    return 0


def exercises() -> list[Exercise]:
    return [
        Exercise("downtime per year at six nines", "number", _downtime_at_six_nines,
                 ("six nines is 99.9999 %: the share of the time it may be down is what is left "
                  "to 100 %. Give seconds.",
                  "multiply 1 - 0.999999 by the seconds in a 365-day year, or use "
                  "labkit.downtime_per_year.")),
        Exercise("requests with zero failures for six nines", "number",
                 _requests_for_six_nines,
                 ("after n requests without a failure, the 95 % upper bound on the failure "
                  "probability is about 3 / n (the rule of three): set it equal to what six "
                  "nines allows.",
                  "solve 3 / n = 1 - 0.999999 for n, or use "
                  "labkit.rare_events.requests_needed_for(0.999999).")),
        Exercise("capacity per cell after a region outage", "number",
                 _capacity_after_region_outage,
                 ("a region outage takes every cell of its region; the cells of the other "
                  "regions then carry the whole peak. How many cells are left?",
                  "ring() has 8 regions of 4 cells: divide the peak by the cells outside "
                  "region 1.")),
        Exercise("largest transcode backlog", "number", _transcode_backlog,
                 ("while the consumer is down, every request its cell serves adds work to the "
                  "queue and nothing takes it off. How many clips per second does one cell "
                  "produce at this load?",
                  "one cell serves the peak divided by 32; each request adds 0.05 clips; "
                  "multiply that rate by the seconds the consumer is down.")),
        Exercise("request path without the fallback", "availability", _path_without_fallback,
                 ("without the fallback cell the request needs any one of the routers and "
                  "everything its own cell depends on. Give a fraction, not a percentage.",
                  "the routers, in parallel, fail only when all three do (0.0001 ** 3, next "
                  "to nothing); multiply the availabilities of the three tiers, the region "
                  "and the build, in series; or call labkit.availability on "
                  "catalog.ring_request_path(fallback=False).")),
        Exercise("fewest routers for six nines", "count", _fewest_routers,
                 ("with the fallback cell and tiers at 99.99 %, the cells give about 6.6 nines "
                  "on their own; the routers must not take more than that away.",
                  "try routers = 1, 2, ... in turn in ring_request_path(routers=..., "
                  "router_availability=0.999, tier_availability=0.9999) and keep the first "
                  "whose nines are at least 6.")),
    ]
