"""Workbook 01: the monolith, chains and replicas."""

from __future__ import annotations


from ..analysis import availability, brute_force_availability
from ..failures import single_points_of_failure
from ..formulas import downtime_per_year, parallel, series
from ..catalog import monolith, replicated_monolith
from ..check import Exercise

# The numbers the workbook's questions state.
CHAIN = {"load balancer": 0.9999, "app": 0.999, "database": 0.9995}
REPLICA = 0.98
TARGET = 0.9999
HOURS = 3600.0


def _replicas_needed() -> int:
    # Smallest n with 1 - (1 - a)^n >= target, found by counting, not by the log formula,
    # so the check does not share the learner's likely shortcut.
    n = 1
    while parallel(*[REPLICA] * n) < TARGET:
        n += 1
    return n


def _monolith_downtime_hours() -> float:
    # Availability by enumerating every up/down world (not the product formula the learner
    # is likely to use), then the 365-day year of labkit.downtime_per_year, in hours.
    return downtime_per_year(brute_force_availability(monolith())) / HOURS


def exercises() -> list[Exercise]:
    return [
        Exercise("chain availability", "availability", lambda: series(*CHAIN.values()),
                 ("every hard dependency in a chain must be up at once, so the availabilities "
                  "multiply.",
                  "series availability is the product of the parts: check you used all three "
                  "numbers, as fractions (0.999, not 99.9).")),
        Exercise("monolith downtime per year", "number", _monolith_downtime_hours,
                 ("first the monolith's availability: its three parts are in series. Then "
                  "downtime = (1 - availability) x the hours in a 365-day year.",
                  "labkit.downtime_per_year gives seconds; the question asks for hours.")),
        Exercise("replicas for four nines", "count", _replicas_needed,
                 ("with independent replicas the tier is down only when all are down at once: "
                  "(1 - a)^n.",
                  "count up from one replica and stop at the first n where 1 - (1 - a)^n "
                  "reaches the target.")),
        Exercise("single points of failure", "names",
                 lambda: single_points_of_failure(replicated_monolith(3)),
                 ("which components' failure alone, with everything else up, stops every "
                  "feature? Replicas cover for each other.",
                  "think about what every replica shares; labkit.single_points_of_failure(arch) "
                  "lists them for you.")),
        Exercise("ceiling with many replicas", "availability",
                 lambda: availability(replicated_monolith(12)),
                 ("with many replicas the app tier is almost never down; what is left in "
                  "series with it?",
                  "the ceiling is the product of the availabilities of the components every "
                  "replica shares; or ask labkit.availability for the 12-replica architecture.")),
    ]
