"""Benchmarks: whole Chaos Toolkit experiments run by chaostoolkit-lib on simulated systems.

Budget (issue 8): a whole experiment run (checking, chaostoolkit-lib's run, hypothesis
before and after, rollbacks, result) <= 2 s. Figures are printed, split into time spent in
the simulation engine and the rest (checking, chaostoolkit-lib, probes, stop conditions);
what is asserted is that the timed runs computed the right thing.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import labkit.chaos.system as chaos_system
from labkit.catalog import cells, ring_sized
from labkit.chaos import System, example_path, run_experiment, validate_experiment

RUNS = 5


def _timed(monkeypatch, make_system, experiment):
    """Median seconds of a whole run and of the engine inside it, and the last result."""
    systems = [make_system() for _ in range(RUNS)]     # built (and checked) before timing
    engine = []
    real = chaos_system.simulate

    def timed_simulate(*args, **kwargs):
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            engine[-1] += time.perf_counter() - start

    monkeypatch.setattr(chaos_system, "simulate", timed_simulate)
    totals, result = [], None
    for system in systems:
        engine.append(0.0)
        start = time.perf_counter()
        result = run_experiment(experiment, system)
        totals.append(time.perf_counter() - start)
    return float(np.median(totals)), float(np.median(engine)), result


CASES = {
    "cell crash, 4 cells, 2 simulated minutes": (
        lambda: System(cells(4), 1000, cell_capacity=400, seed=1), "cell_crash",
        lambda r: r.deviated and abs(r.after[0].value - 0.75) < 0.02),
    "AZ power interruption, 6 cells in 3 zones, failover, 1 simulated hour": (
        lambda: System(cells(6, regions=3), 1200, cell_capacity=300, failover="health check",
                       seed=1), "az_power_interruption",
        lambda r: r.status == "completed" and r.held_after and r.end == 3660.0),
    "AZ power interruption without failover: halted by its stop condition": (
        lambda: System(cells(6, regions=3), 1200, cell_capacity=300, seed=1),
        "az_power_interruption",
        lambda r: r.status == "interrupted" and r.halted.at <= 120.0 and r.rollbacks),
    "cell crash at Ring scale: 32 cells, 300k req/s": (
        lambda: System(ring_sized(), 300_000, cell_capacity=12_000, seed=1), "cell_crash",
        lambda r: r.deviated and abs(r.after[0].value - 31 / 32) < 0.01),
}


@pytest.mark.parametrize("name", CASES)
def test_whole_experiment(capsys, monkeypatch, name):
    make_system, example, check = CASES[name]
    total, engine, result = _timed(monkeypatch, make_system, example_path(example))
    with capsys.disabled():
        print(f"\nexperiment ({name}): median {total * 1000:.0f} ms per whole run, of which "
              f"{engine * 1000:.0f} ms simulating (budget 2,000 ms); {result.summary}")
    assert check(result), result.summary


def test_checking_an_experiment(capsys):
    system = System(cells(6, regions=3), 1200, cell_capacity=300)
    times = []
    for _ in range(20):
        start = time.perf_counter()
        validate_experiment(example_path("az_power_interruption"), system)
        times.append(time.perf_counter() - start)
    with capsys.disabled():
        print(f"\nchecking az_power_interruption.yaml (load, validate, rehearse, chaostoolkit-lib's "
              f"validation): median {np.median(times) * 1000:.1f} ms")
    assert system.now == system.start and system.faults == []
