"""What fails: single points of failure, the state right now, and the blast radius.

>>> from labkit.catalog import cells
>>> blast_radius(cells(4), ["cell2-app"])
0.25
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .errors import check_names, fail
from .model import Architecture, as_architecture
from .structure import compile_structure, component_works

def crashed_overrides(arch: Architecture, crashed: Iterable[str], argument: str = "crashed"
                      ) -> dict[str, float]:
    """Availability overrides that model ``crashed`` components as down for good."""
    crashed = check_names(argument, crashed)
    for name in crashed:
        arch._require_component(argument, name)
        if arch.component(name).kind == "group":
            group = arch.component(name)
            raise fail(argument, name, f"a replica group cannot crash: it works while any "
                       f"{group.k} of its members work; crash members instead: "
                       + ", ".join(arch.dependencies(name, "member")[:8]))
    return dict.fromkeys(crashed, 0.0)


def single_points_of_failure(arch: Architecture, feature: str | None = None) -> list[str]:
    """Components whose failure alone (everything else up) stops ``feature``.

    Read off the compiled diagram in one pass: with everything up, the feature's diagram is
    one path of "up" branches; a component on that path is a single point of failure when
    its "down" branch, with everything else still up, ends in failure.

    >>> from labkit.catalog import replicated_monolith
    >>> single_points_of_failure(replicated_monolith(3))
    ['lb', 'db']
    """
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    structure = compile_structure(arch)
    var, lo, hi = structure.var, structure.lo, structure.hi
    works_all_up = [False, True]  # node -> value when every variable below it is up
    for node in range(2, len(var)):  # children come before parents
        works_all_up.append(works_all_up[hi[node]])
    spofs = set()
    node = structure.roots[structure.features.index(name)]
    while node > 1:
        if not works_all_up[lo[node]]:
            spofs.add(structure.variables[var[node]])
        node = hi[node]
    return [c for c in arch.components if c in spofs]


STATES = ("up", "crashed", "failed", "degraded")


@dataclass(frozen=True)
class Snapshot:
    """The system right now, with some components crashed and everything else up.

    ``states``: component -> ``crashed`` (down itself), ``failed`` (up, but a hard dependency
    or too many replicas are not working), ``degraded`` (working, but a soft dependency is not,
    so a feature it powers is missing) or ``up``. ``features``: feature -> served or not.
    ``blast_radius``: share of customers whose feature is not served.
    """

    states: dict[str, str]
    features: dict[str, bool]
    blast_radius: float


def right_now(arch: Architecture, crashed: Iterable[str] = ()) -> Snapshot:
    """Evaluate the structure once for one world: ``crashed`` down, the rest up."""
    arch = as_architecture(arch)
    down = set(crashed_overrides(arch, crashed))
    up = np.array([[c not in down for c in arch.components]])
    works = {c: bool(v[0]) for c, v in component_works(arch, up).items()}
    states = {}
    for c in arch.components:
        if c in down:
            states[c] = "crashed"
        elif not works[c]:
            states[c] = "failed"
        elif any(not works[d] for d in arch.dependencies(c, "soft")):
            states[c] = "degraded"
        else:
            states[c] = "up"
    features = {f: all(works[r] for r in arch.feature(f).requires) for f in arch.feature_names}
    radius = math.fsum(share for f, share in arch.customer_shares.items() if not features[f])
    return Snapshot(states, features, radius)


def component_states(arch: Architecture, crashed: Iterable[str] = ()) -> dict[str, str]:
    """Component -> up / crashed / failed / degraded (see :class:`Snapshot`)."""
    return right_now(arch, crashed).states


def features_working(arch: Architecture, crashed: Iterable[str] = ()) -> dict[str, bool]:
    """Feature -> does it work right now, with ``crashed`` down and everything else up."""
    return right_now(arch, crashed).features


def blast_radius(arch: Architecture, crashed: Iterable[str]) -> float:
    """Share of customers whose feature stops working when ``crashed`` components are down.

    With N equal cells and one cell down this is 1/N (Well-Architected, cell-based
    architecture whitepaper); a shared component every cell needs makes it 1.
    """
    return right_now(arch, crashed).blast_radius
