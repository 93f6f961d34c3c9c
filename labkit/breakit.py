"""What a learner has broken in one architecture, and what follows from it.

:class:`BreakItModel` is the model behind the break-it panel (``labkit.views``): it holds the
crashed components and the availabilities the learner dialled in, validates every action,
and computes the readout from the compiled structure. The panel is a thin view over it.

>>> from labkit.catalog import monolith
>>> model = BreakItModel(monolith())
>>> model.crash("app")
>>> model.results().features["buy"].working
False
"""

from __future__ import annotations

from dataclasses import dataclass

import traitlets

from .analysis import success_ratio
from .errors import check_probability, fail
from .failures import crashed_overrides, right_now
from .formulas import downtime_per_year, nines
from .model import Architecture, as_architecture
from .structure import compile_structure


@dataclass(frozen=True)
class FeatureReadout:
    """One feature's numbers while the current breaks last."""

    working: bool
    availability: float
    nines: float
    downtime_per_year: float


@dataclass(frozen=True)
class PanelResults:
    features: dict[str, FeatureReadout]
    states: dict[str, str]
    blast_radius: float
    request_success_ratio: float
    crashed: tuple[str, ...]


# Availabilities live on a log scale: the panel's slider steps through these (in nines)
# plus every component's own value, so a learner can reach 99.999 % as easily as 90 %.
AVAILABILITY_LADDER = (0.5, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998,
                       0.9999, 0.99995, 0.99999, 0.999995, 0.999999, 0.9999999, 1.0)


def availability_ladder(arch: Architecture, *extra: float) -> list[float]:
    """The slider's stops for ``arch``: the standard ladder, each component's own
    availability and ``extra`` values, in increasing order.

    >>> from labkit.catalog import monolith
    >>> ladder = availability_ladder(monolith())
    >>> ladder[ladder.index(0.999):ladder.index(0.9999) + 1]
    [0.999, 0.9995, 0.9998, 0.9999]
    """
    arch = as_architecture(arch)
    values = set(AVAILABILITY_LADDER) | {arch.availability_of(c) for c in arch.breakable}
    values |= {check_probability("extra", v) for v in extra}
    return sorted(values)


class BreakItModel(traitlets.HasTraits):
    """What the learner has broken in one architecture, and what follows from it.

    ``crashed``: components down for good (availability 0 while crashed), in the order the
    architecture lists them. ``overrides``: availability the learner dialled in per component.
    The model holds exactly what was set: no widget rounding ever reaches it.
    """

    crashed = traitlets.List(traitlets.Unicode())
    overrides = traitlets.Dict()

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        # A private copy: later edits to the learner's architecture cannot desync the panel.
        self.architecture = as_architecture(arch).copy()
        self.structure = compile_structure(self.architecture)
        self.breakable = self.architecture.breakable

    # -- actions (each validates, so widgets cannot drive the model into an error) ------

    def _names(self, argument: str, names) -> list[str]:
        return list(crashed_overrides(self.architecture, names, argument))

    def crash(self, name: str) -> None:
        """Take ``name`` down until it is restored."""
        self.set_crashed(self.crashed + self._names("name", [name]))

    def restore(self, name: str) -> None:
        """Bring ``name`` back up."""
        (name,) = self._names("name", [name])
        self.crashed = [c for c in self.crashed if c != name]

    def toggle(self, name: str) -> None:
        """Crash ``name`` if it is up, restore it if it is crashed."""
        (self.restore if name in self.crashed else self.crash)(name)

    def set_crashed(self, names) -> None:
        """Exactly ``names`` crashed, everything else up."""
        down = set(self._names("crashed", names))
        self.crashed = [c for c in self.breakable if c in down]

    def apply_scenario(self, name: str) -> None:
        """Crash the components of a named scenario (a poison request, a region outage)."""
        scenarios = self.architecture.scenarios
        if not isinstance(name, str) or name not in scenarios:
            raise fail("scenario", name, "expected one of " + ", ".join(map(repr, scenarios))
                       if scenarios else f"{self.architecture.name!r} has no scenarios")
        self.set_crashed(self.crashed + list(scenarios[name].crashes))

    def restore_all(self) -> None:
        """Nothing crashed, every availability back to the architecture's own."""
        self.crashed = []
        self.overrides = {}

    def set_availability(self, name: str, value: float) -> None:
        """Dial ``name``'s availability to ``value`` (exactly; 0 is down, 1 never fails)."""
        (name,) = self._names("name", [name])
        value = check_probability("value", value)
        self.overrides = {**self.overrides, name: value}

    def availability_of(self, name: str) -> float:
        """The availability ``name`` has in this model: dialled in, or its own."""
        (name,) = self._names("name", [name])
        return self.overrides.get(name, self.architecture.availability_of(name))

    # -- results --------------------------------------------------------------------------

    def results(self) -> PanelResults:
        """Every feature's numbers, component states and blast radius, right now."""
        arch = self.architecture
        p = self.structure.probabilities({**self.overrides, **{c: 0.0 for c in self.crashed}})
        exact = dict(zip(self.structure.features, self.structure.evaluate_fast(p)))
        now = right_now(arch, self.crashed)
        features = {f: FeatureReadout(now.features[f], a, nines(a), downtime_per_year(a))
                    for f, a in exact.items()}
        return PanelResults(features, now.states, now.blast_radius,
                            success_ratio(arch.customer_shares, exact), tuple(self.crashed))

    def state(self) -> dict:
        """What the learner has set, as plain data (for tests and for saving)."""
        return {"architecture": self.architecture.name, "crashed": list(self.crashed),
                "overrides": dict(self.overrides)}
