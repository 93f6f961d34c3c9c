"""Workbook 03: overload, shedding or queueing, shared capacity, metastable load, jitter.

Each expected answer is measured on labkit's simulation (fluid arrivals, so exact) or on its
reproduction of Brooker's experiment, not computed with the formula a learner is likely to use.

>>> [e.name for e in exercises()][:2]
['goodput while shedding', 'overload setting that keeps goodput']
"""

from __future__ import annotations

from ..backoff import occ_sweep
from ..check import Exercise
from ..model import Architecture
from ..simulation import Retry, constant, network_blip, simulate, traffic_spike

# The numbers the workbook's questions state.
SHED_CAPACITY = 1_200      # (a), (b): requests per second one service serves
SHED_OFFERED = 3_000       # (a): requests per second arriving ...
SHED_SECONDS = 90          # ... for this long
MODES_OFFERED = 1_500      # (b): requests per second arriving for MODES_SECONDS
MODES_SECONDS = 120
MODES_TIMEOUT = 5.0        # (b): seconds a client waits
MODES_QUEUE = 60.0         # (b): seconds a request may wait in the queue
APP_CAPACITY = 900         # (c): the monolith's one app
GROUP_LOAD = 300           # (c): buyers and readers, each, requests per second
READERS_MULTIPLE = 3       # (c): the readers' spike
DB_CAPACITY = 600          # (d): queries per second the database serves
ATTEMPTS = 3               # (d): attempts in all per query (the first and two retries)
CLIENTS, RUNS, SEED = 100, 20, 3   # (e): Brooker's experiment


def _service(capacity: float) -> Architecture:
    return Architecture("service").add_component("service", capacity=capacity)


def _goodput_while_shedding() -> float:
    run = simulate(_service(SHED_CAPACITY), constant(SHED_OFFERED), duration=SHED_SECONDS,
                   overload="shed", arrivals="fluid")
    return float(run.good.sum())


def _better_overload_setting() -> str:
    # Simulate both settings and keep the one that served more good responses.
    served = {mode: simulate(_service(SHED_CAPACITY), constant(MODES_OFFERED),
                             duration=MODES_SECONDS, step=0.5, overload=mode,
                             max_queue=MODES_QUEUE, timeout=MODES_TIMEOUT,
                             arrivals="fluid").good.sum()
              for mode in ("shed", "queue")}
    return max(served, key=served.get)


def _buyers_served_in_monolith() -> float:
    # The engine divides the shared app's capacity by demand; read the buyers' share off it.
    arch = Architecture("monolith").add_component("app", capacity=APP_CAPACITY)
    arch.add_feature("buyers", ["app"]).add_feature("readers", ["app"])
    arch.set_partitions({"buyers": 0.5, "readers": 0.5})
    run = simulate(arch, constant(2 * GROUP_LOAD), duration=20, arrivals="fluid",
                   faults=[traffic_spike(READERS_MULTIPLE, at=10, duration=10, target="readers")])
    buyers = run.cells.index("buyers")
    good, failed = run.cell_good[15, buyers], run.cell_failed[15, buyers]
    return float(good / (good + failed))


def _highest_stable_load() -> float:
    # Measure how many requests the database receives per new request when every attempt
    # times out (a blip that loses every response for the whole run), then the load at which
    # that many still fit in the capacity.
    run = simulate(_service(DB_CAPACITY), constant(100), duration=10, step=0.1,
                   overload="queue", max_queue=5, timeout=1.0, retry=Retry(ATTEMPTS),
                   faults=[network_blip(at=0, duration=10)], arrivals="fluid")
    per_new_request = run.offered[-1] / run.new[-1]
    return DB_CAPACITY / float(per_new_request)


def _jitter_ratio() -> float:
    # Through occ_sweep, which seeds each point as occ_experiment does.
    rows = {r["policy"]: r["calls"] for r in occ_sweep(["exponential", "full"], [CLIENTS],
                                                       runs=RUNS, seed=SEED)}
    return rows["full"] / rows["exponential"]


def exercises() -> list[Exercise]:
    return [
        Exercise("goodput while shedding", "number", _goodput_while_shedding,
                 ("a shedding service serves its capacity in every second of the overload and "
                  "refuses the rest at once; nothing waits, so nothing times out.",
                  "good responses = capacity (per second) x duration (seconds); how much more "
                  "arrives does not change it.")),
        Exercise("overload setting that keeps goodput", "name", _better_overload_setting,
                 ("an answer that reaches a client after its timeout counts for nothing. Which "
                  "setting lets requests wait longer than the client does?",
                  "simulate both with labkit.simulation.simulate(..., overload=...) and compare "
                  "run.summary()['served'].")),
        Exercise("buyers served in the monolith", "number", _buyers_served_in_monolith,
                 ("in the monolith both groups share the app's capacity in proportion to their "
                  "demand. Give a fraction between 0 and 1, not a percentage.",
                  "add up both groups' demand during the spike; the buyers get the capacity "
                  "times their part of that demand. Divide that by what they asked for.")),
        Exercise("highest stable load", "number", _highest_stable_load,
                 ("when every attempt times out, each new query turns into as many queries as "
                  "there are attempts.",
                  "the database is stable while attempts x load still fits in its capacity; "
                  "solve for the load.")),
        Exercise("full jitter calls vs exponential", "number", _jitter_ratio,
                 ("run labkit.backoff.occ_experiment for both policies with the same clients, "
                  "runs and seed, and divide full jitter's calls by exponential's.",
                  "occ_experiment(policy, clients, runs=..., seed=...).calls is the mean number "
                  "of calls; the policies are spelled \"full\" and \"exponential\"."),
                 tolerance=0.03),
    ]
