"""Actions: labkit's fault vocabulary as Chaos Toolkit Python providers.

In an experiment an action reads exactly as it would against a real system::

    {"type": "action", "name": "crash cell 2",
     "provider": {"type": "python", "module": "labkit.chaos.actions",
                  "func": "crash_cell", "arguments": {"cell": 2, "duration": 300}}}

Each action puts faults on the simulated system's schedule *at the current simulated time*
and returns at once, as a real fault injection call does; a ``duration`` ends the fault by
itself (as FIS's actions do), ``null`` leaves it in effect until a rollback ends it. Only
:func:`wait` (and Chaos Toolkit's ``pauses``) move the simulated clock. The system comes from
the experiment's configuration (see :mod:`labkit.chaos.run`); called by hand, pass
``configuration=system.configuration``:

>>> from labkit.catalog import cells
>>> from labkit.chaos.system import System
>>> system = System(cells(4), 1000, cell_capacity=400)
>>> crash_cell(2, configuration=system.configuration)["faults"][0]
{'fault': 'crash', 'target': 'cell2-web', 'amount': 0.0, 'from': 60.0, 'until': None, 'action': 'crash_cell'}
>>> wait(120, configuration=system.configuration)
{'action': 'wait', 'from': 60.0, 'to': 180.0}
>>> [f["until"] for f in restore_cell(2, configuration=system.configuration)["ended"]]
[180.0, 180.0, 180.0]
"""

from __future__ import annotations

from typing import Any

from ..errors import LabkitError, check_number, fail
from ..simulation import faults as _faults
from ..simulation.states import closure
from .system import MAX_SECONDS, System, system_of

__all__ = ["ACTIONS", "added_latency", "az_power_interruption", "bad_deploy", "crash",
           "crash_cell", "error_rate", "network_blip", "poison_request", "region_outage",
           "restore", "restore_all", "restore_cell", "traffic_spike", "wait", "zone_outage"]


def _done(action: str, system: System, faults: list[dict], **extra: Any) -> dict:
    return {"action": action, "at": system.now, "faults": faults, **extra}


def crash(component: str, duration: float | None = None, configuration: dict | None = None) -> dict:
    """Stop ``component`` (a process, one cell's tier) for ``duration`` seconds."""
    system = system_of(configuration)
    target = system.component("component", component)
    return _done("crash", system, [system.inject("crash", target, source="crash", argument="component",
                                                 duration=system.duration("duration", duration))])


def crash_cell(cell: int | str, duration: float | None = None,
               configuration: dict | None = None) -> dict:
    """Stop every component only ``cell`` needs (given by number, 1 for the first, or name)."""
    system = system_of(configuration)
    targets = system.cell_components("cell", cell)
    seconds = system.duration("duration", duration)
    return _done("crash_cell", system, [system.inject("crash", t, duration=seconds, source="crash_cell",
                                                      argument="cell") for t in targets])


def _domain_down(action: str, argument: str, name: str, duration, configuration) -> dict:
    system = system_of(configuration)
    target = system.domain(argument, name)
    return _done(action, system, [system.inject("crash", target, source=action, argument=argument,
                                                duration=system.duration("duration", duration))])


def zone_outage(zone: str, duration: float | None = None, configuration: dict | None = None) -> dict:
    """A whole zone goes down: everything in that failure domain fails together."""
    return _domain_down("zone_outage", "zone", zone, duration, configuration)


def region_outage(region: str, duration: float | None = None, configuration: dict | None = None) -> dict:
    """A whole region goes down (the same fault as a zone outage, on a region's domain)."""
    return _domain_down("region_outage", "region", region, duration, configuration)


def bad_deploy(wave: str, duration: float | None = None, configuration: dict | None = None) -> dict:
    """A bad build reaches one deployment wave: its cells fail until it is rolled back."""
    return _domain_down("bad_deploy", "wave", wave, duration, configuration)


def az_power_interruption(zone: str, duration: float = 1800.0, recovery: float = 1800.0,
                          recovery_latency_ms: float = 0.0,
                          configuration: dict | None = None) -> dict:
    """Our approximation of AWS FIS's scenario "AZ Availability: Power Interruption".

    FIS injects the symptoms of a zone losing power for 30 minutes (``duration``), then for
    30 more minutes (``recovery``) the symptoms that may occur while it recovers. In labkit:

    - stopped instances, ASG instances and EKS/ECS compute, lost subnet connectivity and
      unresponsive EBS volumes in the zone -> the zone's failure domain crashes for
      ``duration``: every cell in it fails (calls to it fail at once; a real power loss
      often shows timeouts instead);
    - RDS and ElastiCache failover -> not modelled apart: a cell's database lives in its
      zone and goes down with it;
    - no new capacity in the zone (insufficient-capacity errors for launches and ASG
      scaling) for ``duration + recovery`` -> nothing to inject: labkit's cells have fixed
      capacity and never scale;
    - recovery symptoms -> optionally ``recovery_latency_ms`` added to every call into the
      zone for ``recovery`` seconds after power returns (our stand-in for cold caches and
      warming volumes; 0 for none).
    """
    system = system_of(configuration)
    target = system.domain("zone", zone)
    outage = check_number("duration", duration, low=0.0, low_open=True, high=MAX_SECONDS,
                          allowed=f"expected seconds of power loss above 0 and at most {MAX_SECONDS:g}")
    recover = check_number("recovery", recovery, low=0.0, high=MAX_SECONDS,
                           allowed=f"expected seconds of recovery from 0 to {MAX_SECONDS:g}")
    latency = check_number("recovery_latency_ms", recovery_latency_ms, low=0.0, high=1e7,
                           allowed="expected milliseconds added while the zone recovers, 0 for none")
    scheduled = [system.inject("crash", target, duration=outage, source="az_power_interruption",
                               argument="zone")]
    if latency > 0 and recover > 0:   # starts when power returns
        scheduled.append(system.inject("latency", target, amount=latency, duration=recover,
                                       delay=outage, source="az_power_interruption",
                                       argument="zone"))
    return _done("az_power_interruption", system, scheduled,
                 power_returns=system.now + outage, recovered=system.now + outage + recover)


def added_latency(component: str, ms: float, duration: float | None = None,
                  configuration: dict | None = None) -> dict:
    """Every call through ``component`` (or a zone or region) takes ``ms`` longer."""
    system = system_of(configuration)
    target = system.component("component", component)
    amount = _faults.added_latency(target, ms, at=0.0, duration=1.0).amount
    return _done("added_latency", system, [system.inject(
        "latency", target, amount=amount, duration=system.duration("duration", duration),
        source="added_latency", argument="component")])


def error_rate(component: str, rate: float, duration: float | None = None,
               configuration: dict | None = None) -> dict:
    """A share ``rate`` (0 to 1) of the calls ``component`` handles fail."""
    system = system_of(configuration)
    target = system.component("component", component)
    amount = _faults.error_rate(target, rate, at=0.0, duration=1.0).amount
    return _done("error_rate", system, [system.inject(
        "error rate", target, amount=amount, duration=system.duration("duration", duration),
        source="error_rate", argument="component")])


def traffic_spike(multiple: float, duration: float | None = None, target: Any = "*",
                  configuration: dict | None = None) -> dict:
    """Customers send ``multiple`` times their traffic: all (``"*"``), one cell's (its number
    or name) or those of every cell that needs a component."""
    system = system_of(configuration)
    if target != "*":
        if isinstance(target, str) and target in system.architecture.graph:
            target = system.component("target", target)
        else:
            try:
                target = system.cells[system.cell("target", target)]
            except LabkitError:
                raise fail("target", target, "expected '*', a cell (number or name) or a "
                           "component") from None
    amount = _faults.traffic_spike(multiple, at=0.0, duration=1.0).amount
    return _done("traffic_spike", system, [system.inject(
        "spike", target, amount=amount, duration=system.duration("duration", duration),
        source="traffic_spike")])


def poison_request(component: str, restart: float = 30.0, duration: float | None = 600.0,
                   configuration: dict | None = None) -> dict:
    """A bad request that crashes ``component`` (a tier in one customer's cell) wherever the
    router sends it; it restarts after ``restart`` seconds and every retry crashes it again."""
    system = system_of(configuration)
    target = system.component("component", component)
    arch = system.architecture
    if not any(target in set().union(*(closure(arch, r) for r in arch.feature(c).requires))
               for c in system.cells):
        raise fail("component", component, "expected a component inside a cell (a tier a "
                   "customer's request reaches)")
    amount = _faults.poison_request(target, at=0.0, restart=restart).amount
    return _done("poison_request", system, [system.inject(
        "poison", target, amount=amount, duration=system.duration("duration", duration),
        source="poison_request", argument="component")])


def network_blip(component: str = "*", duration: float | None = None, lose: str = "responses",
                 configuration: dict | None = None) -> dict:
    """The network to ``component`` (default: everything) loses ``"responses"`` (the work is
    done, nobody hears) or ``"requests"``: clients wait, then time out."""
    system = system_of(configuration)
    target = "*" if component == "*" else system.component("component", component)
    amount = _faults.network_blip(at=0.0, duration=1.0, lose=lose).amount
    return _done("network_blip", system, [system.inject(
        "blip", target, amount=amount, duration=system.duration("duration", duration),
        source="network_blip", argument="component")])


def wait(seconds: float, configuration: dict | None = None) -> dict:
    """Let ``seconds`` of simulated time pass (FIS's ``aws:fis:wait``); never sleeps."""
    system = system_of(configuration)
    start = system.now
    return {"action": "wait", "from": start, "to": system.advance(seconds)}


def restore(target: str, configuration: dict | None = None) -> dict:
    """Rollback: end now every fault in effect on ``target`` (a component, zone or ``"*"``)."""
    system = system_of(configuration)
    if target != "*":
        target = system.component("target", target)
    return {"action": "restore", "at": system.now,
            "ended": system.end_faults(lambda e: e.target == target)}


def restore_cell(cell: int | str, configuration: dict | None = None) -> dict:
    """Rollback: end now every fault in effect on the components only ``cell`` needs."""
    system = system_of(configuration)
    own = set(system.cell_components("cell", cell))
    name = system.cells[system.cell("cell", cell)]
    return {"action": "restore_cell", "at": system.now,
            "ended": system.end_faults(lambda e: e.target in own or e.target == name)}


def restore_all(configuration: dict | None = None) -> dict:
    """Rollback: end now every fault still in effect (FIS stopping an experiment)."""
    system = system_of(configuration)
    return {"action": "restore_all", "at": system.now, "ended": system.end_faults()}


ACTIONS = ("crash", "crash_cell", "zone_outage", "region_outage", "az_power_interruption",
           "bad_deploy", "added_latency", "error_rate", "traffic_spike", "poison_request",
           "network_blip", "wait", "restore", "restore_cell", "restore_all")
