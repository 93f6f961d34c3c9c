"""A study: one architecture and its traffic, with the knobs a learner turns, and the run that
follows from them. The model behind the simulation panel (``labkit.views.simulate_it``).

>>> from labkit.catalog import cells
>>> from labkit.simulation import constant
>>> study = Study(cells(4), constant(1000), duration=300, cell_capacity=300)
>>> study.fault, study.fault_target = "crash", "cell2-app"
>>> round(study.run().success_ratio, 2)
0.9
"""

from __future__ import annotations

import traitlets

from ..errors import check_choice, fail
from ..model import Architecture, as_architecture
from .engine import Fallback, Retry, simulate
from .faults import crash, network_blip, traffic_spike
from .traffic import as_traffic

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
