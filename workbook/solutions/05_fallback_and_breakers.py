"""Instructor's key for workbook 05 (fallback cells and breakers): each answer with labkit.

The workbook runs this file when executed with ``-p solutions <path to this file>``.
"""

import math

from labkit.breaker import BreakerConfig, CircuitBreaker, polly, resilience4j
from labkit.catalog import cells
from labkit.simulation import Fallback, crash, simulate

# (1) With one of 4 cells down, the other 3 carry the whole peak (lesson 04's static
# stability, N - 1 cells carry everything): 1,200 / 3 per cell.
capacity = 1_200 / (4 - 1)

# (2) The load needs ceil(1,200 / 210) = 6 cells (5.71 rounded up); the other 8 - 6 = 2 may
# go down together. A wave of 3 leaves 5 x 210 = 1,050 req/s for 1,200.
wave = 8 - math.ceil(1_200 / 210)

# (3) The idle fallback's capacity grows by 300 / 60 = 5 req/s each second from 10 s, and it
# serves min(250, its capacity): 5 + 10 + ... + 245 for 49 s, then 250 for 71 s. Simulated:
arch = cells(4)
run = simulate(arch, 1_000, duration=140, arrivals="fluid", cell_capacity=300,
               faults=[crash("cell1-app", at=10, duration=120)], failover="health check",
               detection=0, redirect="fallback", fallback=Fallback(300, mode="idle", warmup=60))
outage = run.window(10, 130)
idle_share = run.cell_good[outage, -1].sum() / (run.new[outage].sum() / 4)

# (4) No rate before 10 calls: at second 9 the window holds calls 0-9, six failures of ten,
# 60 % >= 50 %. (At second 5, three of six had failed, 50 %, but six calls are not enough.)
small = BreakerConfig(failure_rate_threshold=0.5, sliding_window_size=10, minimum_number_of_calls=10,
                      wait_duration_in_open_state=30, permitted_number_of_calls_in_half_open_state=2)
breaker = CircuitBreaker(small)
opened = None
for second, outcome in enumerate("SSSFFFFFSFFFSS"):
    if breaker.allow(second) and breaker.record(outcome == "S", second) == "open" and opened is None:
        opened = second

# (5) A quarter of the calls fail: 25 % >= Polly's 10 %. The one breaker opens and rejects
# everything, its trial calls keep meeting 25 % failures, and it closes only after cell 3 is
# back: a partial failure made total (Brooker 2022).
one_for_all = simulate(cells(4), 1_000, duration=200, arrivals="fluid", cell_capacity=400,
                       faults=[crash("cell3-app", at=30, duration=120)], breaker=polly(),
                       breaker_at="client")

# (6) k dead cells of 4 fail k/4 of the calls: 1 cell is 25 % < 50 %; 2 cells are 50 %, which
# reaches the threshold (compared with >=).
for dead in range(1, 5):
    run = simulate(cells(4), 1_000, duration=60, arrivals="fluid", cell_capacity=400,
                   faults=[crash(f"cell{c + 1}-app", at=10, duration=40) for c in range(dead)],
                   breaker=resilience4j(), breaker_at="client")
    if (run.breaker == 1).any():
        break

ANSWERS = {
    "cell capacity for N+1": capacity,
    "largest safe deploy wave": wave,
    "idle fallback share served": idle_share,
    "second the breaker opens": opened,
    "success ratio with one breaker for all": one_for_all.success_ratio,
    "dead cells that trip one breaker": dead,
}
