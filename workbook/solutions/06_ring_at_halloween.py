"""Instructor's key for workbook 06 (Ring at Halloween): each answer with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``.
"""

from labkit import availability, downtime_per_year, nines
from labkit.catalog import ring, ring_request_path
from labkit.rare_events import requests_needed_for
from labkit.simulation import constant, crash, simulate

# (1) Six nines may be down 1e-6 of the time: 1e-6 x 31,536,000 s = 31.5 s a year
# (facts.md's table).
downtime = downtime_per_year(0.999999)

# (2) Zero failures in n requests support "at most 1 - 0.05 ** (1/n)" at 95 %, about 3 / n:
# n = 3 / 1e-6 = 3 million by the rule of three; exactly, 2,995,731.
needed = requests_needed_for(0.999999, 0.95)

# (3) A region outage takes its 4 cells; the other 28 carry the 300,000 req/s peak.
arch = ring()
cells, regions = len(arch.customer_shares), 8
survivor_capacity = 300_000 / (cells - cells // regions)

# (4) One cell serves 300,000 / 32 = 9,375 req/s and queues 0.05 clips per request:
# 468.75 clips/s pile up for 120 s. Simulated, the largest backlog of cell 1's transcoder:
run = simulate(arch, constant(300_000), duration=150, arrivals="fluid",
               faults=[crash("cell1-transcode", at=10, duration=120)])
backlog = run.backlog[:, run.queues.index("cell1-api -> cell1-transcode")].max()

# (5) Routers in parallel (1 - 1e-12), then edge, api and store at 99.95 % and the region and
# the build at 99.99 % in series: about 99.83 %.
without_fallback = availability(ring_request_path(fallback=False))

# (6) One router at 99.9 % leaves 3 nines; two leave 1e-6 + the cells' 2.5e-7, 5.9 nines;
# three are the first with six.
routers = next(k for k in range(1, 17)
               if nines(availability(ring_request_path(routers=k, router_availability=0.999,
                                                       tier_availability=0.9999))) >= 6)

ANSWERS = {
    "downtime per year at six nines": downtime,
    "requests with zero failures for six nines": needed,
    "capacity per cell after a region outage": survivor_capacity,
    "largest transcode backlog": backlog,
    "request path without the fallback": without_fallback,
    "fewest routers for six nines": routers,
}
