"""Instructor's key for workbook 03 (scale and overload): every artefact built with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``; each
check then runs the artefact below through labkit's simulation, exactly as it runs a
learner's. The comments say why each one is right; the checks measure that it is.
"""

import labkit
from labkit.simulation import Retry
from labkit.simulation.study import metastable_boundary

# (a) Bounded queue. Four 3 s bursts at twice the 900 req/s load put 1,800 req/s on a
# 1,200 req/s service: 600 req/s too many for 3 s, 1,800 requests, which is 1.5 s of work.
# A queue must hold at least that much or the bursts overflow it (shedding refuses all
# 1,800 of each burst). But clients give up after 5 s: in the 60 s spike a queue that keeps
# requests 5 s or longer fills with requests nobody waits for, and goodput collapses. Any
# bound from about 1.5 s to just under 5 s does both; 3 s leaves room on either side.
bounded_queue = {"overload": "queue", "max_queue": 3}

# (b) Retry budget. One retry (2 attempts) masks 5 % transient errors: both attempts fail
# only 0.05 x 0.05 = 0.25 % of the time. Without a budget, the 10 s blip makes every query
# time out and retry, the database receives 2 x 280 = 560 QPS for its 300, and the storm
# never ends (HotOS's example). The refill sizes the budget for transient errors: 5 % of
# 280 QPS is 14 retries a second, and 0.1 per success refills about 27 tokens a second.
# The refill also caps the retries when errors are common: at 30 % errors about 196
# queries a second succeed, so 0.1 per success lets out about 20 retries a second, and
# 280 + 20 just fits in 300 QPS (a refill of 1, retries up to every success, overloads
# the database and serves fewer queries than no retries at all).
# The bucket's size is what a blip lets out: when nothing succeeds nothing refills it, so
# it empties once and stays empty. The lesson's bucket of 100 lets 100 retries out during
# the blip; 20 stays well under the limit of 50 and still absorbs bursts of transient errors.
retry_budget = Retry(attempts=2, budget=20, refill=0.1)

# (c) Retry at one layer. Retrying at every layer multiplies: 3 attempts at 5 callers puts
# up to 3^5 = 243 calls on the database per request when it is down. Retrying at one layer
# only (the Builders' Library's advice: retry at one point in the stack) masks the same
# transient errors (1 - 0.05^3 of requests succeed) and sends at most 3 calls per request.
# The client and layer1 may not retry here, so the one layer is layer2 (layer3 or layer4
# would do as well: a failure at the database reaches every layer above it).
retry_at_one_layer = {"retry": Retry(attempts=3), "retrying": [False, False, True, False, False]}

# (d) Tuned backoff. Jitter spreads clients that collided (plain exponential: they sleep
# equally long and collide again). With Brooker's base of 5 ms, full jitter still needs
# about 43 % of exponential's calls: the first retries are too close together. A base of
# 50 ms spreads them (fewer calls); a cap of 0.5 s (instead of 2 s or 20 s) keeps the last
# client from sleeping for seconds (less time), so everyone is done within about 3 s.
tuned_backoff = {"backoff": "full", "base": 0.05, "cap": 0.5}

# (e) Stable capacity. With one retry a failed system receives twice its load: 2 x 280 =
# 560 QPS. If that fits, even a system whose every query is timing out drains its queue and
# recovers, whatever the trigger's length (HotOS's "stable" region); below it, a long
# enough blip leaves it down (in the simulation a database of 540 QPS already fails the
# 60 s blip). So 560 QPS is the cheapest capacity that is safe from any blip, and 20 QPS
# less does not survive these blips.
stable_capacity = labkit.Architecture("database").add_component(
    "db", kind="database", capacity=560, latency_ms=50)

# (f) Boundary after a long blip, a value measured with labkit. HotOS's rule: at 150 QPS
# twice the load fits in 300 QPS, so the database recovers from any blip; a longer blip
# leaves a bigger queue, so the boundary falls from about 170 QPS (10 s blip) toward 150 but
# not below it. Search from 150 to 150 + 64 (the widest range the search allows for a 60 s
# blip at 1 QPS), with steady arrivals as the question says.
database = labkit.Architecture("database").add_component(
    "db", kind="database", capacity=300, latency_ms=50)
boundary_after_long_blip = metastable_boundary(database, low=150, high=214, blip=60,
                                               arrivals="fluid").recovers

ANSWERS = {
    "bounded queue": bounded_queue,
    "retry budget": retry_budget,
    "retry at one layer": retry_at_one_layer,
    "tuned backoff": tuned_backoff,
    "stable capacity": stable_capacity,
    "boundary after a long blip": boundary_after_long_blip,
}
