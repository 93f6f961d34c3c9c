"""Simulation: the system in time, under load, with faults, retries, breakers and fallback.

``simulate`` runs an architecture step by step (see :mod:`labkit.simulation.engine`);
``traffic`` profiles say how much load arrives; ``faults`` say what breaks and when.

>>> from labkit.catalog import monolith
>>> from labkit.simulation import constant, crash, simulate
>>> run = simulate(monolith(), constant(100), duration=10, faults=[crash("db", at=5, duration=5)])
>>> round(run.success_ratio, 1)
0.5
"""

from .engine import Fallback, Retry, Run, simulate
from .layers import simulate_stack
from .faults import (Fault, added_latency, bad_deploy, crash, error_rate, network_blip,
                     poison_request, region_outage, traffic_spike, zone_outage)
from .states import time_up
from .traffic import Traffic, constant, ramp, rolling_peak, spike

__all__ = ["Fallback", "Fault", "Retry", "Run", "Traffic", "added_latency", "bad_deploy",
           "constant", "crash", "error_rate", "network_blip", "poison_request", "ramp",
           "region_outage", "rolling_peak", "simulate", "simulate_stack", "spike", "time_up", "traffic_spike", "zone_outage"]
