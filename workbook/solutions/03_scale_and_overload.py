"""Instructor's key for workbook 03 (scale and overload): each answer computed with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``.
"""

import labkit
from labkit.backoff import occ_experiment
from labkit.simulation import constant, simulate

service = labkit.Architecture("service").add_component("service", capacity=1_200)

# (a) A shedding service serves its capacity every second and refuses the rest at once;
# nothing waits, so nothing times out: 1,200 req/s x 90 s. The 3,000 req/s offered do not
# enter (1,800 req/s are shed).
goodput = 1_200 * 90

# (b) With a queue, requests wait longer and longer; once the wait passes the clients' 5 s
# timeout, the service spends its capacity on requests nobody is waiting for (wasted work)
# and goodput collapses. Shedding keeps serving 1,200 req/s of good responses.
served = {mode: simulate(service, constant(1_500), duration=120, step=0.5, overload=mode,
                         max_queue=60, timeout=5).summary()["served"]
          for mode in ("shed", "queue")}
better = max(served, key=served.get)

# (c) During the spike the demand is 300 + 3 x 300 = 1,200 req/s for 900 req/s of capacity.
# Divided by demand, the buyers get 900 x 300 / 1,200 = 225 req/s of their 300.
buyers_share = (900 * 300 / (300 + 3 * 300)) / 300

# (d) In a fully failed state every new query becomes 3 attempts, so the database receives
# 3 x load. That still fits while 3 x load <= 600: the highest stable load is 600 / 3.
stable_load = 600 / 3

# (e) Brooker's experiment, 100 clients, 20 runs, seed 3: full jitter's mean calls over plain
# exponential backoff's (the blog: jitter "reduced our call count by more than half").
ratio = (occ_experiment("full", 100, runs=20, seed=3).calls
         / occ_experiment("exponential", 100, runs=20, seed=3).calls)

ANSWERS = {
    "goodput while shedding": goodput,
    "overload setting that keeps goodput": better,
    "buyers served in the monolith": buyers_share,
    "highest stable load": stable_load,
    "full jitter calls vs exponential": ratio,
}
