"""Benchmarks: an hour of Ring-scale Halloween traffic, and a simulation panel re-run.

Budgets (issue 7): 1 hour of 300k req/s over 8 regions x 4 cells at 1 s steps <= 0.5 s; a
panel re-run after a control change p95 <= 50 ms at lesson scale. Figures are printed; what
is asserted is that the timed runs computed the right thing.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from labkit.catalog import cells, ring, ring_sized
from labkit.simulation import Retry, constant, crash, region_outage, rolling_peak, simulate
from labkit.views import simulate_it

PEAK = 300_000          # requests per second at the evening peak (Ring, as reported: S14)
HALLOWEEN = 6           # more than six times typical usage (facts.md)


def _halloween():
    # Typical traffic of PEAK / 6, peaking at 6x as the evening rolls west across regions.
    return constant(PEAK / HALLOWEEN) * rolling_peak(HALLOWEEN, first_peak=1200, offset=300, width=1200)


@pytest.mark.parametrize("name, build, traffic, options", [
    ("shedding, no faults", ring_sized, lambda: constant(PEAK), {"cell_capacity": 12_000}),
    ("queue, retries, a dead cell, failover", ring_sized, lambda: constant(PEAK), {
        "cell_capacity": 12_000, "overload": "queue", "max_queue": 5, "retry": Retry(3),
        "failover": "health check", "faults": [crash("cell3-api", at=1200, duration=600)]}),
    ("Ring: Halloween rolling peak, queued work, a region lost, failover", ring, _halloween, {
        "overload": "queue", "max_queue": 5, "retry": Retry(3), "failover": "health check",
        "faults": [region_outage("region1", at=1200, duration=600),
                   crash("cell9-transcode", at=600, duration=900)]}),
])
def test_ring_hour(capsys, name, build, traffic, options):
    arch = build()
    runs, wall, cpu = [], [], []
    for seed in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        runs.append(simulate(arch, traffic(), duration=3600, seed=seed, **options))
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    with capsys.disabled():
        print(f"\nRing hour ({name}): {len(runs[0].cells)} cells, 3,600 steps, peak "
              f"{runs[0].offered.max():,.0f} req/s: median {np.median(wall) * 1000:.0f} ms wall, "
              f"{np.median(cpu) * 1000:.0f} ms CPU; best {min(wall) * 1000:.0f} ms (budget 500 ms)")
    run = runs[0]
    assert run.offered.max() > 0.85 * PEAK          # the peak was really simulated
    assert run.success_ratio > 0.99


def test_panel_rerun(capsys):
    panel = simulate_it(cells(4), constant(1000), duration=300, cell_capacity=300)
    panel.study.fault, panel.study.fault_target = "crash", "cell2-app"
    ms = []
    for i in range(30):
        start = time.perf_counter()
        panel.study.fault_at = 20 + i
        ms.append((time.perf_counter() - start) * 1000)
    with capsys.disabled():
        print(f"\nsimulation panel re-run and redraw (4 cells, 300 steps): p50 "
              f"{np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms (budget 50)")
    # the last change is the one simulated and drawn
    assert panel.last_run.cell_up[48, 1] and not panel.last_run.cell_up[49, 1]
    assert panel.chart.spec["datasets"]["steps"][0]["time"] == 0.0
