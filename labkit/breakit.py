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


class BreakItModel(traitlets.HasTraits):
    """What the learner has broken in one architecture, and what follows from it.

    ``crashed``: components down for good (availability 0 while crashed).
    ``overrides``: availability the learner dialled in per component.
    """

    crashed = traitlets.List(traitlets.Unicode())
    overrides = traitlets.Dict()

    def __init__(self, arch: Architecture) -> None:
        super().__init__()
        self.architecture = as_architecture(arch)
        self.structure = compile_structure(self.architecture)
        self.breakable = [c for c in self.architecture.components
                          if self.architecture.component(c).kind != "group"]

    # -- actions (each validates, so widgets cannot drive the model into an error) ------

    def crash(self, name: str) -> None:
        crashed_overrides(self.architecture, [name])  # validates: raises LabkitError
        if name not in self.crashed:
            self.crashed = [c for c in self.breakable if c in set(self.crashed) | {name}]

    def restore(self, name: str) -> None:
        crashed_overrides(self.architecture, [name])
        self.crashed = [c for c in self.crashed if c != name]

    def toggle(self, name: str) -> None:
        (self.restore if name in self.crashed else self.crash)(name)

    def set_crashed(self, names) -> None:
        crashed_overrides(self.architecture, names)
        self.crashed = [c for c in self.breakable if c in set(names)]

    def apply_scenario(self, name: str) -> None:
        scenarios = self.architecture.scenarios
        if not isinstance(name, str) or name not in scenarios:
            raise fail("scenario", name, "expected one of " + ", ".join(map(repr, scenarios)))
        self.set_crashed(set(self.crashed) | set(scenarios[name].crashes))

    def restore_all(self) -> None:
        self.crashed = []
        self.overrides = {}

    def set_availability(self, name: str, value: float) -> None:
        crashed_overrides(self.architecture, [name])
        value = check_probability("availability", value)
        self.overrides = {**self.overrides, name: value}

    def availability_of(self, name: str) -> float:
        return self.overrides.get(name, self.architecture.availability_of(name))

    # -- results --------------------------------------------------------------------------

    def results(self) -> PanelResults:
        arch = self.architecture
        p = self.structure.probabilities({**self.overrides, **{c: 0.0 for c in self.crashed}})
        exact = dict(zip(self.structure.features, self.structure.evaluate_fast(p)))
        now = right_now(arch, self.crashed)
        features = {f: FeatureReadout(now.features[f], a, nines(min(max(a, 0.0), 1.0)),
                                      downtime_per_year(min(max(a, 0.0), 1.0)))
                    for f, a in exact.items()}
        return PanelResults(features, now.states, now.blast_radius,
                            success_ratio(arch.customer_shares, exact), tuple(self.crashed))
