"""Workbook 01: the monolith, chains and replicas."""

from __future__ import annotations


from ..availability import availability, parallel, series, single_points_of_failure
from ..catalog import replicated_monolith
from ..check import Exercise

# The numbers the workbook's questions state.
CHAIN = {"load balancer": 0.9999, "app": 0.999, "database": 0.9995}
REPLICA = 0.98
TARGET = 0.9999


def _replicas_needed() -> int:
    # Smallest n with 1 - (1 - a)^n >= target, found by counting, not by the log formula,
    # so the check does not share the learner's likely shortcut.
    n = 1
    while parallel(*[REPLICA] * n) < TARGET:
        n += 1
    return n


def exercises() -> list[Exercise]:
    return [
        Exercise("chain availability", "availability", lambda: series(*CHAIN.values()),
                 ("every hard dependency in a chain must be up at once: multiply.",
                  "series availability is the product of the parts; check you used all three.")),
        Exercise("replicas for four nines", "count", _replicas_needed,
                 ("with independent replicas the tier is down only when all are down: "
                  "(1 - a)^n.",
                  "try n = 1, 2, 3, ... until 1 - (1 - a)^n reaches the target.")),
        Exercise("single points of failure", "names",
                 lambda: single_points_of_failure(replicated_monolith(3)),
                 ("which components' failure alone stops every feature? Replicas cover "
                  "each other.",
                  "labkit.single_points_of_failure(arch) lists them; think about what "
                  "every replica shares.")),
        Exercise("ceiling with many replicas", "availability",
                 lambda: availability(replicated_monolith(12)),
                 ("with many replicas the app tier is almost never down; what is left "
                  "in series with it?",
                  "the ceiling is the product of the shared components' availabilities.")),
    ]


