"""Workbook 05: survivors' headroom, deploy waves, an idle fallback cell, circuit breakers.

Each expected answer is measured on labkit's simulation (fluid arrivals, so exact) or by
replaying calls through labkit's circuit breaker, not computed with the formula a learner
is likely to use.

>>> [e.name for e in exercises()][:2]
['cell capacity for N+1', 'largest safe deploy wave']
>>> len(exercises())
6
"""

from __future__ import annotations

from ..breaker import BreakerConfig, CircuitBreaker, polly, resilience4j
from ..catalog import cells
from ..check import Exercise
from ..simulation import Fallback, crash, simulate

# The numbers the workbook's questions state.
N_PLUS_ONE_CELLS = 4        # (1): 4 cells ...
N_PLUS_ONE_PEAK = 1_200     # ... for a peak of 1,200 requests per second
WAVE_CELLS = 8              # (2): 8 cells ...
WAVE_PEAK = 1_200           # ... at 1,200 requests per second ...
WAVE_CAPACITY = 210         # ... each serving at most 210
FALLBACK_LOAD = 1_000       # (3): 4 cells at 1,000 requests per second, each serving 300 ...
FALLBACK_CELL_CAPACITY = 300
FALLBACK_CAPACITY = 300     # ... and an idle fallback cell of 300 that warms up ...
FALLBACK_WARMUP = 60        # ... over 60 s
OUTAGE_AT, OUTAGE_FOR = 10, 120   # (3): cell 1 is down from 10 s for 120 s
# (4): a small breaker in resilience4j's vocabulary, and one call per second from 0 s.
SMALL_BREAKER = BreakerConfig(failure_rate_threshold=0.5, sliding_window_size=10,
                              minimum_number_of_calls=10, wait_duration_in_open_state=30,
                              permitted_number_of_calls_in_half_open_state=2)
OUTCOMES = "SSSFFFFFSFFFSS"  # S: the call succeeded, F: it failed
CLIENT_LOAD, CLIENT_CAPACITY = 1_000, 400   # (5), (6): 4 cells, each serving at most 400
CLIENT_CRASH_AT, CLIENT_CRASH_FOR, CLIENT_RUN = 30, 120, 200   # (5): cell 3 down, 200 s run


def _cell_capacity_for_n_plus_one() -> float:
    # Unlimited cells, one dies, the router fails over at once: the most any survivor is
    # asked to serve is the capacity it needs.
    run = simulate(cells(N_PLUS_ONE_CELLS), N_PLUS_ONE_PEAK, duration=30, arrivals="fluid",
                   faults=[crash("cell1-app", at=10, duration=20)], failover="health check",
                   detection=0)
    return float(run.cell_good[run.window(10, 30)].max() / run.step)


def _no_loss_with_wave(size: int) -> bool:
    faults = [crash(f"cell{c + 1}-app", at=10, duration=20) for c in range(size)]
    run = simulate(cells(WAVE_CELLS), WAVE_PEAK, duration=30, arrivals="fluid", faults=faults,
                   cell_capacity=WAVE_CAPACITY, failover="health check", detection=0)
    during = run.window(10, 30)
    return bool(run.good[during].sum() >= run.new[during].sum() * (1 - 1e-9))


def _largest_safe_wave() -> int:
    # Try waves of 1, 2, ... cells and keep the largest that loses nothing after failover.
    safe = [size for size in range(1, WAVE_CELLS + 1) if _no_loss_with_wave(size)]
    return max(safe, default=0)


def _idle_fallback_share() -> float:
    # Measured on the fallback cell itself: what it served while cell 1 was down, over what
    # cell 1's customers sent in that time.
    arch = cells(4)
    run = simulate(arch, FALLBACK_LOAD, duration=OUTAGE_AT + OUTAGE_FOR + 10,
                   arrivals="fluid", cell_capacity=FALLBACK_CELL_CAPACITY,
                   faults=[crash("cell1-app", at=OUTAGE_AT, duration=OUTAGE_FOR)],
                   failover="health check", detection=0, redirect="fallback",
                   fallback=Fallback(FALLBACK_CAPACITY, mode="idle", warmup=FALLBACK_WARMUP))
    during = run.window(OUTAGE_AT, OUTAGE_AT + OUTAGE_FOR)
    sent = run.new[during].sum() * arch.customer_shares["cell 1 customers"]
    return float(run.cell_good[during, -1].sum() / sent)


def _second_the_breaker_opens() -> int:
    # Replay the calls through labkit's breaker and note the second it first opens.
    breaker = CircuitBreaker(SMALL_BREAKER)
    for second, outcome in enumerate(OUTCOMES):
        if breaker.allow(second) and breaker.record(outcome == "S", second) == "open":
            return second
    return -1


def _client_breaker_run(config: BreakerConfig, dead: list[str], duration: float):
    return simulate(cells(4), CLIENT_LOAD, duration=duration, arrivals="fluid",
                    cell_capacity=CLIENT_CAPACITY, breaker=config, breaker_at="client",
                    faults=[crash(c, at=CLIENT_CRASH_AT, duration=CLIENT_CRASH_FOR)
                            for c in dead])


def _client_breaker_success() -> float:
    # Simulated, not estimated from the breaker's open time.
    return _client_breaker_run(polly(), ["cell3-app"], CLIENT_RUN).success_ratio


def _fewest_dead_cells_that_trip() -> int:
    # Crash 1, 2, ... cells and watch whether one resilience4j breaker in front ever opens.
    for k in range(1, 5):
        run = _client_breaker_run(resilience4j(), [f"cell{c + 1}-app" for c in range(k)],
                                  CLIENT_RUN)
        if (run.breaker == 1).any():
            return k
    return 0


def exercises() -> list[Exercise]:
    return [
        Exercise("cell capacity for N+1", "number", _cell_capacity_for_n_plus_one,
                 ("when one cell dies, the router spreads its customers over the others: how "
                  "many cells carry the whole peak then?",
                  "each survivor must serve the peak divided by the number of survivors "
                  "(lesson 04's static stability: N - 1 cells carry everything).")),
        Exercise("largest safe deploy wave", "count", _largest_safe_wave,
                 ("a bad build takes every cell of its wave at once; the cells outside the wave "
                  "must then carry the whole load.",
                  "find how many cells' capacity the load needs (round up), and subtract that "
                  "from the number of cells.")),
        Exercise("idle fallback share served", "number", _idle_fallback_share,
                 ("the idle fallback starts cold: its capacity grows step by step over the "
                  "warm-up, from the first second traffic reaches it. Give a fraction between "
                  "0 and 1.",
                  "simulate it (redirect=\"fallback\", fallback=Fallback(..., mode=\"idle\", "
                  "warmup=...)) and divide run.cell_good[during, -1].sum(), the fallback's good "
                  "responses, by what cell 1's customers sent during the outage.")),
        Exercise("second the breaker opens", "count", _second_the_breaker_opens,
                 ("a breaker computes no failure rate until its window holds at least "
                  "minimum_number_of_calls calls, however many of them failed.",
                  "replay the calls: for each second, breaker.allow(second), then "
                  "breaker.record(outcome == \"S\", second); note when breaker.state first "
                  "becomes \"open\". The threshold is compared with >=.")),
        Exercise("success ratio with one breaker for all", "number", _client_breaker_success,
                 ("one breaker in front of all four cells sees the failures of the whole "
                  "service: is a quarter of the calls above Polly's 10 % threshold? Give a "
                  "fraction between 0 and 1.",
                  "simulate it with breaker=polly(), breaker_at=\"client\" and "
                  "arrivals=\"fluid\", and read run.success_ratio.")),
        Exercise("dead cells that trip one breaker", "count", _fewest_dead_cells_that_trip,
                 ("without failover, k dead cells of four fail k quarters of the calls; the "
                  "breaker trips when that share reaches its threshold.",
                  "resilience4j's failureRateThreshold is 50 %, compared with >= (the "
                  "failure rate reaching the threshold trips it).")),
    ]
