"""Faults to inject, in the vocabulary of AWS Fault Injection Service and Polly's chaos
strategies: crash, added latency, error rate, traffic spike, poison request, zone or region
outage, bad deployment to a wave of cells, network blip. Each has a start and a duration.

A fault is plain data; :func:`check_faults` validates a list of them against an architecture
and a run length before the engine uses them.

>>> from labkit.catalog import cells
>>> check_faults(cells(4), [crash("cell2-app", at=60, duration=120)], duration=600)
[Fault(kind='crash', target='cell2-app', at=60.0, duration=120.0, amount=0.0)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..errors import check_choice, check_list, check_name, check_number, check_positive, fail
from ..model import Architecture

KINDS = ("crash", "latency", "error rate", "spike", "poison", "blip")
MAX_FAULTS = 1_000


@dataclass(frozen=True)
class Fault:
    """One fault: what, on which component, from ``at`` for ``duration`` seconds.

    ``amount`` is the added milliseconds (latency), the failing share of calls (error rate),
    the traffic multiple (spike) or, for a poison request, the seconds a crashed process takes
    to restart. A spike or blip with target ``"*"`` hits the whole system.
    """

    kind: str
    target: str
    at: float
    duration: float
    amount: float = 0.0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, KINDS)
        check_name("target", self.target)
        check_number("at", self.at, low=0.0, high=1e7, allowed="expected a start time in seconds, 0 or more")
        check_positive("duration", self.duration)
        check_number("amount", self.amount, low=0.0, high=1e7, allowed="expected an amount of 0 or more")
        if self.kind == "error rate" and not 0.0 < self.amount <= 1.0:
            raise fail("rate", self.amount, "expected a share of failing calls in (0, 1]")
        object.__setattr__(self, "at", float(self.at))
        object.__setattr__(self, "duration", float(self.duration))
        object.__setattr__(self, "amount", float(self.amount))

    @property
    def end(self) -> float:
        return self.at + self.duration


def crash(component: str, at: float, duration: float) -> Fault:
    """Stop ``component`` (a process, a cell's tier) from ``at`` for ``duration`` seconds."""
    return Fault("crash", component, at, duration)


def zone_outage(zone: str, at: float, duration: float) -> Fault:
    """A whole zone or region goes down: crash its failure-domain component.

    Like FIS's "AZ Availability: Power Interruption" (about 30 minutes of faults, then
    recovery; AWS FIS User Guide, ``lessons/sources.md``).
    """
    return Fault("crash", zone, at, duration)


region_outage = zone_outage


def bad_deploy(wave: str, at: float, duration: float) -> Fault:
    """A bad build reaches one deployment wave: every cell in the wave fails until rolled back."""
    return Fault("crash", wave, at, duration)


def added_latency(component: str, ms: float, at: float, duration: float) -> Fault:
    """Every call through ``component`` takes ``ms`` longer (a slow dependency)."""
    return Fault("latency", component, at, duration, check_positive("ms", ms))


def error_rate(component: str, rate: float, at: float, duration: float) -> Fault:
    """A share ``rate`` of the calls ``component`` handles fail (a partial failure)."""
    return Fault("error rate", component, at, duration,
                 check_number("rate", rate, low=0.0, low_open=True, high=1.0,
                              allowed="expected a share of failing calls in (0, 1]"))


def traffic_spike(multiple: float, at: float, duration: float, target: str = "*") -> Fault:
    """Customers are offered ``multiple`` times their traffic (a surge nobody planned for):
    all of them (``"*"``), one customer partition (a feature name), or the customers of every
    feature that needs a component (a component name)."""
    return Fault("spike", target, at, duration,
                 check_number("multiple", multiple, low=0.0, high=1e4,
                              allowed="expected a multiple of normal traffic from 0 to 10,000"))


def poison_request(component: str, at: float, restart: float = 30.0, duration: float = 600.0) -> Fault:
    """A bad request that crashes ``component`` (the tier that parses it) in whichever cell the
    router sends its customer to; the process restarts after ``restart`` seconds, and every
    retry of the request crashes it again, until ``duration`` is over (the customer gives up or
    is blocked).

    ``component`` names the tier in the customer's own cell, e.g. ``"cell4-app"``.
    """
    return Fault("poison", component, at, duration, check_positive("restart", restart))


def network_blip(at: float, duration: float, component: str = "*", lose: str = "responses") -> Fault:
    """The network to ``component`` (default: everything) drops packets: clients wait, then
    time out. ``lose="responses"``: the server still receives and does the work, but nobody
    hears the answer (the work is wasted); ``"requests"``: the requests never arrive."""
    lose = check_choice("lose", lose, ("responses", "requests"))
    return Fault("blip", component, at, duration, 1.0 if lose == "responses" else 0.0)


def check_faults(arch: Architecture, faults: Iterable[Fault], duration: float) -> list[Fault]:
    """Validate ``faults`` for a run of ``duration`` seconds on ``arch``; return them as a list.

    Refused: a target that is not a component (or ``"*"`` for spikes and blips), a crash of a
    replica group, a start outside the run, and two faults of the same kind on the same
    target that overlap in time (which one would win is not defined).
    """
    faults = check_list("faults", faults, MAX_FAULTS, "expected a list of faults "
                        "(labkit.simulation.crash(...), ...)")
    for i, f in enumerate(faults):
        if not isinstance(f, Fault):
            raise fail(f"faults[{i}]", f, "expected a Fault, e.g. labkit.simulation.crash(...)")
        if f.target == "*":
            if f.kind not in ("spike", "blip"):  # a spike or blip may also name one component
                raise fail(f"faults[{i}].target", f.target, "only a spike or a blip hits "
                           "everything; name a component")
        elif f.kind == "spike" and f.target in arch.features:
            pass  # a spike in one customer partition's traffic
        else:
            arch._require_component(f"faults[{i}].target", f.target)
            if arch.component(f.target).kind == "group":
                raise fail(f"faults[{i}].target", f.target, "a replica group cannot fail by "
                           "itself; target one of its members")
        if f.at >= duration:
            raise fail(f"faults[{i}].at", f.at, f"expected a start within the run "
                       f"(before {duration:g} s)")
    ordered = sorted(faults, key=lambda f: (f.kind, f.target, f.at))
    for a, b in zip(ordered, ordered[1:]):
        if (a.kind, a.target) == (b.kind, b.target) and b.at < a.end:
            raise fail("faults", f"{a.kind} of {a.target!r} at {a.at:g} s and at {b.at:g} s",
                       "two faults of the same kind on the same target must not overlap")
    return faults
