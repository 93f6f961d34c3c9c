"""Instructor's key for workbook 05 (fallback cells and breakers): every artefact built with
labkit, and why it is right.

The workbook runs this file when executed with ``-p solutions <path to this file>``; each
check then simulates what is built here, exactly as it simulates a learner's answer.
"""

from labkit.breaker import BreakerConfig, CircuitBreaker, hystrix
from labkit.catalog import cells
from labkit.simulation import Fallback

# (1) Headroom for a dead cell. With N cells and room to lose one, the N - 1 survivors carry
# the whole 12,000 req/s peak: each cell needs 12,000 / (N - 1), the fleet N x 12,000 / (N - 1)
# (lesson 04's Z / (Z - 1)). But 12,000 is an average: requests arrive at random, so survivors
# that carry exactly the peak shed in every second that brings a cell more than its share
# (5 cells of 3,000 serve about 99.2 %, short of 99.9 %). So leave a margin, as lesson 05's
# cells do: 10 % over the peak, 13,200 req/s for the survivors, 13,200 / (N - 1) per cell.
# Five cells need 5 x 3,300 = 16,500, over the 15,000 budget; eight need 8 x 1,886 = 15,086,
# still over; nine need 9 x 1,650 = 14,850, within it. More, smaller cells each take a smaller
# share of a dead cell's load, so they need less spare. (A smaller margin passes too, e.g.
# 6 cells of 2,500, 4 % over the peak; none at all does not.)
fleet = cells(9, tier_capacity=1_650)

# (2) Deploy waves under a budget. A bad build fails its whole wave, so the cells outside the
# biggest wave carry the 1,200 req/s: with k cells in it, each cell needs 1,200 / (8 - k), the
# fleet 8 x 1,200 / (8 - k). catalog.cells puts consecutive cells in a wave, so w waves of 8
# hold at most ceil(8 / w) cells each. Two waves (k = 4): 300 each, 2,400 in all; three
# (k = 3): 240 each, 1,920; both over the 1,700 budget. Four waves (k = 2): 200 each, 1,600,
# within it, and within the deadline of 5 waves. Five waves (2, 2, 2, 1, 1) still have a
# wave of 2, so they need the same; more than five break the deadline. Any capacity from
# 200 to 1,700 / 8 = 212.5 per cell passes with 4 or 5 waves. (At 200 the 6 cells left carry
# exactly the peak: enough for this check's smooth arrivals; with random ones, as in
# exercise 1, a real fleet needs a margin too. 210, used here, gives the 6 cells left
# 1,260 req/s, 5 % over the peak, and costs 1,680.)
rollout = cells(8, deploy_waves=4, tier_capacity=210)

# (3) Half the calls fail, and the breaker never opens. The breaker judges nothing before 10
# calls; from then on, after every call, it judges the last 10, and opens at 5 failures of 10.
# So the first 10 calls may hold at most 4 failures, and each of calls 11 and 12 may fail
# only if the call it pushes out of the window failed too. At most 4 + 2 = 6 of 12 can fail,
# and only like this: calls 0 and 1 fail (they leave the window as calls 10 and 11 come in),
# two more somewhere among calls 2 to 9, and calls 10 and 11 fail. Every window of ten then
# holds exactly 4 failures. Replayed through labkit's breaker to be sure:
small = BreakerConfig(failure_rate_threshold=0.5, sliding_window_size=10, minimum_number_of_calls=10,
                      wait_duration_in_open_state=30, permitted_number_of_calls_in_half_open_state=2)
outcomes = "FF" + "SSSFSSFS" + "FF"
breaker = CircuitBreaker(small)
for second, outcome in enumerate(outcomes):
    if breaker.allow(second):
        breaker.record(outcome == "S", second)
assert outcomes.count("F") == 6 and breaker.state == "closed"

# (4) A breaker that tells a dead cell from a blip. A link that fails every call reaches a
# threshold t over a time window of W seconds after t x W seconds of failures. It must not
# open on a 3 s blip (t x W > 3) and must open within 4 s (t x W <= 4): a window of 8 s at
# 50 % opens at the end of the 4th failing second (lesson 05: a breaker decides at the end of
# each 1 s step), while a 3 s blip reaches only 3/8 = 37.5 %. Hystrix's 10 s window at 50 %
# needs 5 s: one second late. (A count
# window would have to hold 4 s of this link's 250 calls a second, so it depends on the
# traffic; seconds do not.) At least 20 calls before any decision, as Hystrix; a 5 s wait and
# one probe, so it closes within seconds of the cell coming back (resilience4j's 60 s wait
# would keep the healthy cell's customers away for a minute).
tuned = BreakerConfig(failure_rate_threshold=0.5, sliding_window_type="time",
                      sliding_window_size=8, minimum_number_of_calls=20,
                      wait_duration_in_open_state=5,
                      permitted_number_of_calls_in_half_open_state=1)

# (5) Breakers and a fallback cell, for 6 cells in 3 waves at 1,200 req/s (200 per cell).
# One breaker per router-to-cell link (breaker_at="cell"): only a dead cell's link opens,
# within seconds (faster than the 10 s health check), and the healthy cells' customers are
# never rejected, unlike one breaker for all, which counts every cell's errors together
# (Polly's 10 % opens on one dead cell of six; Hystrix's 50 % never opens on a dead wave, 33 %,
# and leaves the moving to the slow health check). Moved customers go to the fallback cell
# (redirect="fallback"), because the survivors' N+1 headroom covers one dead cell, not a
# wave of two: 4 x 264 = 1,056 req/s for 1,200. The fallback is live, so its path is known
# to work and it is warm (an idle one is cold, and its untested path may be broken).
# Sizing against the 420 budget: with a share s it serves s x 1,200 every day, and in a wave
# outage the wave's other (1 - s) x 400 on top: 400 + 800 s. The lesson's 5 % needs 440, over
# the budget; s <= 2.5 % fits 420. A 2 % share serves 24 req/s every day (1,440 requests
# before the outage), and 416 req/s in a wave outage: room to spare within 420.
settings = dict(breaker=hystrix(), breaker_at="cell", redirect="fallback",
                fallback=Fallback(420, mode="live", share=0.02))

ANSWERS = {
    "headroom for a dead cell": fleet,
    "deploy waves": rollout,
    "calls that never open the breaker": outcomes,
    "breaker that tells death from a blip": tuned,
    "breakers and a fallback cell": settings,
}
