"""Event-driven work: queues between producers and consumers (Architecture.add_queue), the
engine's backlogs and deadlines, and Ring as the catalog models it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from labkit import LabkitError
from labkit.analysis import availability
from labkit.catalog import RING_HALLOWEEN, RING_PEAK, ring
from labkit.model import Architecture
from labkit.simulation import constant, crash, region_outage, rolling_peak, simulate


def shop(consumer_capacity=50.0, deadline=60.0, per_request=0.1):
    a = Architecture("a").add_component("api", 0.999, capacity=1_000).add_component(
        "transcode", 0.99, capacity=consumer_capacity)
    return a.add_queue("api", "transcode", deadline=deadline, per_request=per_request)


def test_a_queue_is_soft_for_availability():
    a = shop()
    assert availability(a) == pytest.approx(0.999)
    assert availability(a.with_availability(transcode=0.0)) == pytest.approx(0.999)
    assert a.queues() == [("api", "transcode", 60.0, 0.1)]
    assert a.dependencies("api", "soft") == ["transcode"]


def test_a_short_consumer_outage_delays_work_and_fails_nothing():
    # 400 req/s x 0.1 = 40 items/s; the consumer does 50/s. Down for 30 s: 1,200 items wait,
    # and drain at 50 - 40 = 10/s, in 120 s. The oldest waits 29 s (< the 60 s deadline).
    run = simulate(shop(), constant(400), duration=400, arrivals="fluid",
                   faults=[crash("transcode", at=100, duration=30)])
    assert run.success_ratio == 1.0
    assert run.backlog[:, 0].max() == pytest.approx(1_200)
    assert run.backlog[129, 0] == pytest.approx(1_200) and run.backlog[130, 0] == pytest.approx(1_190)
    # 1,200 at the end of step 129, then 10 fewer a step: empty at the end of step 249
    assert np.flatnonzero(run.backlog[:, 0] > 1e-6).max() == 129 + 120 - 1
    assert run.backlog_age.max() == 29.0
    assert run.work_late.sum() == 0 and run.on_time_share() == 1.0


def test_a_long_outage_makes_work_late_exactly_as_worked_by_hand():
    # Down from 100 s to 190 s. Items from steps 100..129 reach the 60 s deadline while it is
    # down (30 x 40); at 190 the items of step 130 are exactly 60 s old: 40 more. Then the
    # consumer catches up, oldest first, and nothing else is late.
    run = simulate(shop(), constant(400), duration=600, arrivals="fluid",
                   faults=[crash("transcode", at=100, duration=90)])
    assert run.work_late.sum() == pytest.approx(1_240)
    assert run.work_late[160:191, 0].sum() == pytest.approx(1_240)
    assert run.success_ratio == 1.0
    assert run.on_time_share() == pytest.approx(1 - 1_240 / (run.work_done.sum() + 1_240))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_work_is_conserved(seed):
    run = simulate(shop(consumer_capacity=30), constant(400), duration=300, seed=seed,
                   faults=[crash("transcode", at=50, duration=40), crash("api", at=200, duration=20)])
    added = run.work_added.sum()
    assert added == pytest.approx(run.work_done.sum() + run.work_late.sum() + run.backlog[-1].sum())
    # work comes from good responses only
    assert added == pytest.approx(0.1 * run.good.sum())


def test_a_consumer_slower_than_the_inflow_falls_behind_and_work_goes_late():
    run = simulate(shop(consumer_capacity=30), constant(400), duration=300, arrivals="fluid")
    # 40 items/s arrive, 30 are done: the backlog grows until items reach the deadline, then
    # 10/s go late, for ever.
    assert run.work_late[-50:, 0] == pytest.approx(np.full(50, 10.0))
    assert run.backlog_age[-1, 0] == 59.0
    assert run.summary()["oldest backlog (s)"] == 59.0


def test_ring_is_what_its_docstring_says():
    arch = ring()
    assert len(arch.customer_shares) == 32
    assert sum(arch.customer_shares.values()) == pytest.approx(1.0)
    # Hand-worked: a customer's cell needs the router, its region, its deploy wave's build
    # and its three tiers; the queued consumers do not count.
    assert availability(arch, "cell 1 customers") == pytest.approx(0.99999 * 0.9999 * 0.9999 * 0.9995**3)
    q = arch.queues()
    assert len(q) == 64 and {c.split("-")[1] for _, c, _, _ in q} == {"transcode", "notify"}
    assert RING_PEAK / 28 < 12_000   # the cells left after a region is lost can carry the peak


def test_ring_survives_a_region_at_the_halloween_peak_and_its_work_waits():
    halloween = constant(RING_PEAK / RING_HALLOWEEN) * rolling_peak(RING_HALLOWEEN, first_peak=600,
                                                                    offset=0, width=1200)
    faults = [region_outage("region1", at=500, duration=300)]
    run = simulate(ring(), halloween, duration=1200, faults=faults, failover="health check",
                   detection=10, seed=1)
    assert run.offered.max() > 0.95 * RING_PEAK
    # Requests: only region 1's share of the 10 s before failover is lost.
    lost = 1 - run.success_ratio
    assert 0 < lost < 4 / 32 * 10 / 1200 * 2
    # Work of the cells that moved is served elsewhere: region 1's consumers had none queued
    # past the deadline... but the notifications of the failed-over customers went to other
    # cells' queues, which keep up: nothing late with this sizing.
    assert run.on_time_share() > 0.999


@pytest.mark.parametrize("kwargs, argument", [
    ({"deadline": 0}, "deadline"), ({"deadline": math.nan}, "deadline"), ({"deadline": None}, "deadline"),
    ({"deadline": 10**6}, "deadline"), ({"deadline": 5, "per_request": -1}, "per_request"),
    ({"deadline": 5, "per_request": "1"}, "per_request"),
])
def test_bad_queues_are_refused(kwargs, argument):
    a = Architecture("a").add_component("api").add_component("w")
    with pytest.raises(LabkitError, match=rf"^{argument}="):
        a.add_queue("api", "w", **kwargs)
    assert a.queues() == []


def test_bad_queue_ends_are_refused():
    a = Architecture("a").add_component("api").add_component("w").add_component("x")
    a.add_group("g", ["x"])
    for args, argument in ((("nope", "w"), "producer"), (("api", "nope"), "consumer"),
                           (("g", "w"), "producer")):
        with pytest.raises(LabkitError, match=rf"^{argument}="):
            a.add_queue(*args, deadline=5)
    a.copy().add_queue("api", "g", deadline=5)     # a pool of workers drains one queue
    a.add_queue("api", "w", deadline=5)
    with pytest.raises(LabkitError):
        a.add_queue("api", "w", deadline=5)     # the same edge twice
    with pytest.raises(LabkitError):
        a.add_queue("w", "api", deadline=5)     # a cycle


@pytest.mark.parametrize("kwargs, argument", [
    ({"regions": 0}, "regions"), ({"cells_per_region": 100}, "cells_per_region"),
    ({"tiers": ["edge"]}, "tiers"), ({"clips_per_request": -1}, "clips_per_request"),
    ({"notify_deadline": math.inf}, "notify_deadline"), ({"cell_capacity": 0}, "tier_capacity"),
])
def test_bad_ring_arguments(kwargs, argument):
    with pytest.raises(LabkitError, match=rf"^{argument}="):
        ring(**kwargs)


@pytest.mark.parametrize("routers, tier, fallback", [(3, 0.9995, True), (1, 0.9995, True),
                                                     (3, 0.9999, True), (2, 0.999, False)])
def test_ring_request_path_is_the_hand_worked_formula(routers, tier, fallback):
    from labkit.catalog import ring_request_path
    arch = ring_request_path(routers=routers, tier_availability=tier, fallback=fallback)
    router_ok = 1 - (1 - 0.9999) ** routers
    path = tier**3 * 0.9999 * 0.9999          # three tiers, the region, the build
    cell_ok = 1 - (1 - path) ** (2 if fallback else 1)
    assert availability(arch) == pytest.approx(router_ok * cell_ok, rel=1e-12)


def test_six_nines_needs_the_fallback_cell_in_this_model():
    from labkit.catalog import ring_request_path
    from labkit.formulas import nines
    assert nines(availability(ring_request_path(fallback=False))) < 3
    assert 5.5 < nines(availability(ring_request_path())) < 6
    assert nines(availability(ring_request_path(tier_availability=0.9999))) > 6
