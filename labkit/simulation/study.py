"""A study: one architecture and its traffic, with the knobs a learner turns, and the run that
follows from them. The model behind the simulation panel (``labkit.views.simulate_it``).

Also HotOS 2021's metastable-failure experiment, as lesson 03 and workbook 03 run it:
:func:`blip_run` (a database, clients that retry, a network blip), :func:`goodput_after_blip`,
:func:`offered_after_blip` and :func:`metastable_boundary`, which finds the load at which the system stops recovering.

>>> from labkit.catalog import cells
>>> from labkit.simulation import constant
>>> study = Study(cells(4), constant(1000), duration=300, cell_capacity=300)
>>> study.fault, study.fault_target = "crash", "cell2-app"
>>> round(study.run().success_ratio, 2)
0.9
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import traitlets

from ..errors import check_choice, check_list, check_number, fail
from ..model import Architecture, as_architecture
from .engine import Fallback, Retry, simulate
from .faults import crash, network_blip, traffic_spike
from .traffic import as_traffic, constant

FAULTS = ("none", "crash", "spike", "blip")
BREAKERS = ("off", "per cell", "one for all")
FALLBACKS = ("none", "live", "idle")


class Study(traitlets.HasTraits):
    """What a learner can change; :meth:`run` simulates it.

    ``fault``: none, crash (``fault_target``: a component, a region or a deploy wave), spike
    (``spike_multiple`` x traffic) or blip (the network loses responses); from ``fault_at`` for
    ``fault_duration`` seconds. ``attempts``/``backoff``: client retries. ``overload``: shed
    or queue. ``failover``: none or health check. ``breaker``: off, per cell (router to cell)
    or one for all (in front of the service). ``fallback``: none, live or idle.
    """

    fault = traitlets.Unicode("none")
    fault_target = traitlets.Unicode("")
    fault_at = traitlets.Float(60.0)
    fault_duration = traitlets.Float(120.0)
    spike_multiple = traitlets.Float(2.0)
    attempts = traitlets.Int(1)
    backoff = traitlets.Unicode("none")
    overload = traitlets.Unicode("shed")
    failover = traitlets.Unicode("none")
    breaker = traitlets.Unicode("off")
    fallback = traitlets.Unicode("none")

    def __init__(self, arch: Architecture, traffic, *, duration: float = 600.0,
                 fallback_capacity: float | None = None, **settings) -> None:
        super().__init__()
        self.architecture = as_architecture(arch).copy()
        self.traffic = as_traffic(traffic)
        self.duration = duration
        self.settings = dict(settings)
        self.fallback_capacity = fallback_capacity
        self.targets = self.architecture.breakable
        self.run()  # validates the settings now, not at the learner's first click

    @traitlets.validate("fault")
    def _fault(self, proposal):
        return check_choice("fault", proposal["value"], FAULTS)

    @traitlets.validate("breaker")
    def _breaker(self, proposal):
        return check_choice("breaker", proposal["value"], BREAKERS)

    @traitlets.validate("fallback")
    def _fallback(self, proposal):
        value = check_choice("fallback", proposal["value"], FALLBACKS)
        if value != "none" and self.fallback_capacity is None:
            raise fail("fallback", value, "this study has no fallback cell (give fallback_capacity)")
        return value

    @traitlets.validate("fault_target")
    def _target(self, proposal):
        value = proposal["value"]
        if value:
            self.architecture._require_component("fault_target", value)
        return value

    def faults(self) -> list:
        """The faults the current knobs describe."""
        if self.fault == "none":
            return []
        if self.fault == "crash":
            if not self.fault_target:
                raise fail("fault_target", self.fault_target, "expected a component to crash")
            return [crash(self.fault_target, self.fault_at, self.fault_duration)]
        if self.fault == "spike":
            return [traffic_spike(self.spike_multiple, self.fault_at, self.fault_duration)]
        return [network_blip(self.fault_at, self.fault_duration)]

    def options(self) -> dict:
        """Keyword arguments for :func:`labkit.simulation.simulate` from the knobs."""
        options = dict(self.settings)
        retry_options = options.pop("retry_options", {})
        if not isinstance(retry_options, dict):
            raise fail("retry_options", retry_options, "expected a dict of Retry settings, "
                       "e.g. {'base': 1.0, 'cap': 20.0}")
        try:
            options["retry"] = Retry(self.attempts, self.backoff, **retry_options)
        except TypeError as exc:
            raise fail("retry_options", retry_options, "expected Retry settings: base, cap, "
                       "budget, refill") from exc
        options["overload"] = self.overload
        options["failover"] = self.failover
        if self.breaker != "off":
            from ..breaker import BreakerConfig
            options["breaker"] = options.get("breaker") or BreakerConfig()
            options["breaker_at"] = "cell" if self.breaker == "per cell" else "client"
        else:
            options.pop("breaker", None)
        if self.fallback != "none":
            options["fallback"] = Fallback(self.fallback_capacity, mode=self.fallback)
            options.setdefault("redirect", "fallback")
        return options

    def run(self):
        """Simulate with the current knobs (same seed every time, so only the knobs differ)."""
        return simulate(self.architecture, self.traffic, duration=self.duration,
                        faults=self.faults(), **self.options())


# ---------------------------------------------------------------- HotOS 2021's blip experiment
#
# Bronson et al., "Metastable Failures in Distributed Systems", HotOS 2021 (lessons/sources.md,
# "metastable"): a database, clients that time out and retry, and a network blip. The
# functions below run that experiment on any architecture, and find the load at which the
# system stops recovering from it. The queue, the steps and the blip losing responses are
# the lab's own model of the example (lesson 03).

BLIP_AT = 5.0       # seconds of normal load before the blip
BLIP_TAIL = 30.0    # seconds the run goes on after the blip
RECOVERY_WINDOW = 10.0   # the run's last seconds, where recovery is measured
MAX_BISECTIONS = 40
#: Simulated steps one search or sweep may take in all (about a second of work): a finer
#: resolution, more loads, a longer blip or a finer step must fit in it.
MAX_STUDY_STEPS = 8_000


def _steps_per_blip_run(blip: Any, step: Any) -> int:
    blip = check_number("blip", blip, low=0.0, low_open=True, high=600.0,
                        allowed="expected seconds above 0, at most 600")
    step = check_number("step", step, low=0.0, low_open=True, high=60.0,
                        allowed="expected seconds above 0, at most 60")
    return math.ceil((BLIP_AT + blip + BLIP_TAIL) / step)


def blip_run(arch: Architecture, load: float, *, blip: float = 10.0, retry: Retry = Retry(2),
             timeout: float = 1.0, max_queue: float = 10.0, step: float = 0.1,
             arrivals: str = "poisson", seed: int = 0):
    """HotOS 2021's experiment on ``arch`` at ``load`` requests per second: 5 s of normal
    load, a network blip of ``blip`` seconds that loses every response, then 30 s more.

    Clients time out after ``timeout`` seconds and retry as ``retry`` says (HotOS: once, so
    ``Retry(2)``); past capacity, the server queues up to ``max_queue`` seconds of work.
    Returns the :class:`~labkit.simulation.Run`; :func:`goodput_after_blip` reads it.

    >>> from labkit.model import Architecture
    >>> db = Architecture("database").add_component("db", capacity=300, latency_ms=50)
    >>> round(goodput_after_blip(blip_run(db, 140, arrivals="fluid")))
    140
    >>> round(goodput_after_blip(blip_run(db, 280, arrivals="fluid")))
    0
    """
    load = check_number("load", load, low=0.0, low_open=True, high=1e6,
                        allowed="expected requests per second above 0, at most 1e6")
    blip = check_number("blip", blip, low=0.0, low_open=True, high=600.0,
                        allowed="expected seconds above 0, at most 600")
    return simulate(arch, constant(load), duration=BLIP_AT + blip + BLIP_TAIL, step=step,
                    overload="queue", max_queue=max_queue, timeout=timeout, retry=retry,
                    faults=[network_blip(at=BLIP_AT, duration=blip)], arrivals=arrivals, seed=seed)


def goodput_after_blip(run) -> float:
    """Good responses per second over a :func:`blip_run`'s last 10 s (from 20 s after the
    blip's end): near the load if the system recovered, near 0 if the failure outlived it."""
    from .engine import Run
    if not isinstance(run, Run):
        raise fail("run", run, "expected the result of blip_run(...) or simulate(...)")
    end = float(run.times[-1] + run.step)
    return run.mean_goodput(max(0.0, end - RECOVERY_WINDOW))


def offered_after_blip(run) -> float:
    """Requests offered per second (new ones plus retries) over a :func:`blip_run`'s last
    10 s, the window of :func:`goodput_after_blip`: near the load if the system recovered,
    near twice the load (with one retry) if the retries sustain the failure.

    >>> from labkit.model import Architecture
    >>> db = Architecture("database").add_component("db", capacity=300, latency_ms=50)
    >>> round(offered_after_blip(blip_run(db, 140, arrivals="fluid")))
    140
    >>> round(offered_after_blip(blip_run(db, 280, arrivals="fluid")))
    560
    """
    from .engine import Run
    if not isinstance(run, Run):
        raise fail("run", run, "expected the result of blip_run(...) or simulate(...)")
    end = float(run.times[-1] + run.step)
    steps = run.window(max(0.0, end - RECOVERY_WINDOW))
    return float(run.offered[steps].sum()) / (float(steps.sum()) * run.step)


def recovered(run, load: float, share: float = 0.9) -> bool:
    """Whether a :func:`blip_run` at ``load`` recovered: goodput over its last 10 s is at
    least ``share`` of the load."""
    load = check_number("load", load, low=0.0, low_open=True, high=1e6,
                        allowed="expected requests per second above 0, at most 1e6")
    share = check_number("share", share, low=0.0, low_open=True, high=1.0,
                         allowed="expected a fraction above 0, at most 1")
    return goodput_after_blip(run) >= share * load


@dataclass(frozen=True)
class Boundary:
    """Where a system stops recovering from a blip: the highest load tried that recovered
    and the lowest that did not, and every load tried with its goodput after the blip."""

    recovers: float
    fails: float
    blip: float
    tried: tuple

    def __str__(self) -> str:
        return (f"After a {self.blip:g} s blip: recovers at {self.recovers:,.0f} QPS, "
                f"fails at {self.fails:,.0f} QPS (bisection over {len(self.tried)} runs).")

    def rows(self) -> list[dict]:
        """The loads tried, lowest first, as rows for a table or chart."""
        return [{"load (QPS)": load, "goodput after the blip (QPS)": round(after, 1)}
                for load, after in sorted(self.tried)]


def metastable_boundary(arch: Architecture, *, low: float, high: float, resolution: float = 1.0,
                        blip: float = 10.0, share: float = 0.9, retry: Retry = Retry(2),
                        timeout: float = 1.0, max_queue: float = 10.0, step: float = 0.1,
                        arrivals: str = "poisson", seed: int = 0) -> Boundary:
    """Find, by bisection between ``low`` and ``high`` requests per second, the load at which
    ``arch`` stops recovering from a ``blip`` (the other settings are :func:`blip_run`'s). A
    load has recovered if its goodput over the run's last 10 s is ``share`` of it or more.

    ``low`` must recover and ``high`` must not; the answer is two loads ``resolution`` apart.
    It assumes that above a load that fails every load fails, which is what the model shows
    (each load is run once, with the same seed).

    >>> from labkit.model import Architecture
    >>> db = Architecture("database").add_component("db", capacity=300, latency_ms=50)
    >>> b = metastable_boundary(db, low=100, high=300, resolution=10, arrivals="fluid")
    >>> b.recovers, b.fails
    (160.0, 170.0)
    """
    low = check_number("low", low, low=0.0, low_open=True, high=1e6,
                       allowed="expected requests per second above 0, at most 1e6")
    high = check_number("high", high, low=low, low_open=True, high=1e6,
                        allowed=f"expected requests per second above low ({low:g}), at most 1e6")
    resolution = check_number("resolution", resolution, low=(high - low) / 2**MAX_BISECTIONS,
                              high=high - low, allowed=f"expected a load step from "
                              f"{(high - low) / 2**MAX_BISECTIONS:.3g} to high - low ({high - low:g})")
    share = check_number("share", share, low=0.0, low_open=True, high=1.0,
                         allowed="expected a fraction above 0, at most 1")
    runs = 2 + math.ceil(math.log2(max(1.0, (high - low) / resolution)))
    per_run = _steps_per_blip_run(blip, step)
    if runs * per_run > MAX_STUDY_STEPS:
        raise fail("resolution", resolution, f"the search would simulate {runs} runs of "
                   f"{per_run:,} steps; expected at most {MAX_STUDY_STEPS:,} steps in all "
                   "(a coarser resolution, a narrower low-high range, a shorter blip or a "
                   "longer step)")
    options = dict(blip=blip, retry=retry, timeout=timeout, max_queue=max_queue, step=step,
                   arrivals=arrivals, seed=seed)
    tried = {}

    def recovers(load: float) -> bool:
        tried[load] = goodput_after_blip(blip_run(arch, load, **options))
        return tried[load] >= share * load

    if not recovers(low):
        raise fail("low", low, f"expected a load that recovers from the {blip:g} s blip "
                   f"(goodput after it was {tried[low]:.0f})")
    if recovers(high):
        raise fail("high", high, f"expected a load that does not recover from the {blip:g} s "
                   f"blip (goodput after it was {tried[high]:.0f})")
    good, bad = low, high
    while bad - good > resolution * (1 + 1e-9):
        middle = good + math.floor((bad - good) / resolution / 2) * resolution
        if middle <= good:
            middle = good + resolution
        if recovers(middle):
            good = middle
        else:
            bad = middle
    return Boundary(good, bad, blip, tuple(tried.items()))


def blip_sweep(arch: Architecture, loads, *, blip: float = 10.0, retry: Retry = Retry(2),
               timeout: float = 1.0, max_queue: float = 10.0, step: float = 0.1,
               arrivals: str = "poisson", seed: int = 0) -> list[dict]:
    """For each load, new requests and goodput after a ``blip`` (the other settings are
    :func:`blip_run`'s), as tidy rows (load, measure, QPS) for ``views.curve_chart``.

    >>> from labkit.model import Architecture
    >>> db = Architecture("database").add_component("db", capacity=300, latency_ms=50)
    >>> [r["QPS"] for r in blip_sweep(db, [140, 280], arrivals="fluid")]
    [140.0, 140.0, 280.0, 0.0]
    """
    loads = check_list("loads", loads, 100, "expected a list of at most 100 loads (QPS)")
    if not loads:
        raise fail("loads", loads, "expected at least one load")
    per_run = _steps_per_blip_run(blip, step)
    if len(loads) * per_run > MAX_STUDY_STEPS:
        raise fail("loads", loads, f"{len(loads)} runs of {per_run:,} steps; expected at most "
                   f"{MAX_STUDY_STEPS:,} steps in all (fewer loads, a shorter blip or a longer step)")
    rows = []
    for i, load in enumerate(loads):
        load = check_number(f"loads[{i}]", load, low=0.0, low_open=True, high=1e6,
                            allowed="expected requests per second above 0, at most 1e6")
        after = goodput_after_blip(blip_run(arch, load, blip=blip, retry=retry, timeout=timeout,
                                            max_queue=max_queue, step=step, arrivals=arrivals,
                                            seed=seed))
        rows += [{"load (QPS)": load, "measure": "new queries", "QPS": load},
                 {"load (QPS)": load, "measure": "goodput after the blip", "QPS": round(after, 1)}]
    return rows
