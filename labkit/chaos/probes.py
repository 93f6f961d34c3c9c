"""Probes: measurements of the simulated system as Chaos Toolkit Python providers.

A probe measures a window of the past, the last ``window`` seconds before now, of the
simulated run; it never changes the system. In a steady-state hypothesis (or a stop
condition) it carries a tolerance::

    {"type": "probe", "name": "customers are served",
     "tolerance": {"type": "range", "range": [0.99, 1.0]},
     "provider": {"type": "python", "module": "labkit.chaos.probes",
                  "func": "success_ratio", "arguments": {"window": 60}}}

Values are plain numbers (or a word, for :func:`breaker_state`), so Chaos Toolkit's
tolerances apply as they would to a real system's metrics. ``KINDS`` says what each probe
returns, which is how labkit refuses a tolerance no value could ever meet.

>>> from labkit.catalog import cells
>>> from labkit.chaos.system import System
>>> system = System(cells(4), 1000, cell_capacity=400, seed=1)
>>> config = system.configuration
>>> success_ratio(60, configuration=config), cells_down(configuration=config)
(1.0, 0)
>>> _ = system.inject("crash", "cell3-db")
>>> _ = system.advance(60)
>>> round(success_ratio(60, configuration=config), 2), cells_down(configuration=config)
(0.75, 1)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import fail
from .system import system_of

__all__ = ["KINDS", "PROBES", "backlog", "backlog_seconds", "breaker_state", "cell_success_ratio",
           "cells_down", "goodput", "oldest_work_age", "open_breakers", "p99_latency",
           "shed_share", "success_ratio", "work_backlog", "work_on_time"]

BREAKER_STATES = ("closed", "open", "half-open")


def success_ratio(window: float = 60.0, configuration: dict | None = None) -> float:
    """Requests served well over new requests in the last ``window`` seconds (1.0 if none
    arrived): the "nines" view of availability."""
    w = system_of(configuration).window(window)
    new = float(w.new.sum())
    return min(1.0, float(w.good.sum()) / new) if new > 0 else 1.0


def cell_success_ratio(cell: int | str, window: float = 60.0,
                       configuration: dict | None = None) -> float:
    """The same for the customers of one cell (number or name): served over served plus
    failed, shed or timed out (1.0 if none ended): how far a failure's blast reached."""
    system = system_of(configuration)
    j = system.cell("cell", cell)
    w = system.window(window)
    good, failed = float(w.cell_good[:, j].sum()), float(w.cell_failed[:, j].sum())
    return good / (good + failed) if good + failed > 0 else 1.0


def p99_latency(window: float = 60.0, configuration: dict | None = None) -> float:
    """Milliseconds: the worst one-step 99th percentile latency of good responses in the
    window; 0.0 if nothing was asked, infinity if requests came and none was served."""
    w = system_of(configuration).window(window)
    values = w.latency_p99[~np.isnan(w.latency_p99)] if not w.empty else np.zeros(0)
    if len(values):
        return float(values.max())
    return math.inf if float(w.new.sum()) > 0 else 0.0


def goodput(window: float = 60.0, configuration: dict | None = None) -> float:
    """Good responses per second, averaged over the window (0.0 before anything happened)."""
    w = system_of(configuration).window(window)
    steps = len(w.good)
    return float(w.good.sum()) / (steps * w.step) if steps else 0.0


def shed_share(window: float = 60.0, configuration: dict | None = None) -> float:
    """Share of the requests offered (new and retries) that were shed, in the window."""
    w = system_of(configuration).window(window)
    offered = float(w.new.sum() + w.retries.sum())
    return float(w.shed.sum()) / offered if offered > 0 else 0.0


def backlog(configuration: dict | None = None) -> float:
    """Requests waiting in queues now (0 when the system sheds instead of queueing)."""
    w = system_of(configuration).latest()
    return float(w.queued[-1]) if not w.empty else 0.0


def backlog_seconds(configuration: dict | None = None) -> float:
    """Seconds the queues would take to drain at the capacity now: how long a request
    arriving now would wait (an estimate of queue age: the engine keeps no ages to report).
    Infinity if requests wait and nothing can serve them."""
    w = system_of(configuration).latest()
    if w.empty or w.queued[-1] <= 0:
        return 0.0
    capacity = float(np.sum(w.capacity[-1]))
    return float(w.queued[-1]) / capacity if capacity > 0 else math.inf


def work_backlog(configuration: dict | None = None) -> float:
    """Work items waiting in the event-driven queues now (``queues:`` in an architecture
    file, ``Architecture.add_queue``): grows while a consumer is down or too slow; 0 without
    queues. (:func:`backlog` counts *requests* waiting for a busy service instead.)"""
    w = system_of(configuration).latest()
    return float(np.sum(w.backlog[-1])) if not w.empty and w.backlog.size else 0.0


def oldest_work_age(configuration: dict | None = None) -> float:
    """Seconds the oldest waiting work item has waited now (0 without waiting work): compare
    it with the queue's deadline."""
    w = system_of(configuration).latest()
    return float(np.max(w.backlog_age[-1])) if not w.empty and w.backlog_age.size else 0.0


def work_on_time(window: float = 60.0, configuration: dict | None = None) -> float:
    """Share of the work items finished in the last ``window`` seconds that were done before
    their deadline (1.0 if none finished, or without queues): the event-driven side's
    "customers are served"."""
    w = system_of(configuration).window(window)
    if w.empty or not w.work_done.size:
        return 1.0
    done, late = float(w.work_done.sum()), float(w.work_late.sum())
    return done / (done + late) if done + late > 0 else 1.0


def cells_down(configuration: dict | None = None) -> int:
    """How many customer cells cannot serve now (the fallback cell is not counted)."""
    system = system_of(configuration)
    w = system.latest()
    return int((~w.cell_up[-1, :len(system.cells)]).sum()) if not w.empty else 0


def open_breakers(configuration: dict | None = None) -> int:
    """How many circuit breakers are open or half-open now (0 without breakers)."""
    w = system_of(configuration).latest()
    return int((w.breaker[-1] != 0).sum()) if not w.empty and w.breaker.shape[1] else 0


def breaker_state(cell: int | str | None = None, configuration: dict | None = None) -> str:
    """``"closed"``, ``"open"`` or ``"half-open"``: the breaker on the router's link to
    ``cell`` now, or the one breaker in front of the service (``cell`` null) when the system's
    breaker sits at the client."""
    system = system_of(configuration)
    settings = system.settings
    if settings.get("breaker") is None:
        raise fail("cell", cell, "this system has no circuit breakers (give System(..., "
                   "breaker=labkit.breaker.BreakerConfig()))")
    at_client = settings.get("breaker_at", "cell") == "client"
    if at_client and cell is not None:
        raise fail("cell", cell, "expected null: this system has one breaker, in front of the "
                   "whole service (breaker_at='client')")
    j = 0 if at_client else system.cell("cell", cell)
    w = system.latest()
    return BREAKER_STATES[int(w.breaker[-1, j])] if not w.empty else "closed"


# What each probe returns: a share in [0, 1], a non-negative quantity, a count, or a word.
KINDS = {"success_ratio": "share", "cell_success_ratio": "share", "shed_share": "share",
         "p99_latency": "quantity", "goodput": "quantity", "backlog": "quantity",
         "backlog_seconds": "quantity", "work_backlog": "quantity", "oldest_work_age": "quantity",
         "work_on_time": "share", "cells_down": "count", "open_breakers": "count",
         "breaker_state": "word"}
PROBES = tuple(KINDS)
WORDS = {"breaker_state": BREAKER_STATES}
