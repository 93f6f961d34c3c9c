"""Where each box goes: the catalog's hand-placed positions, else layers by call depth."""

from __future__ import annotations

import networkx as nx

from .model import Architecture


def positions(arch: Architecture) -> dict[str, tuple[float, float]]:
    """Name -> (x, y), y growing downwards from callers to what they call.

    Hand-placed positions win when every component has one; otherwise each component sits one
    layer below its deepest caller, and a layer is centred on x = 0.

    >>> from labkit.model import Architecture
    >>> arch = Architecture("shop").add_component("web").add_component("db").add_component("cache")
    >>> positions(arch.add_dependency("web", "db").add_dependency("web", "cache"))
    {'web': (0.0, 0.0), 'db': (-0.5, 1.0), 'cache': (0.5, 1.0)}
    """
    given = {n: arch.component(n).pos for n in arch.components}
    if all(p is not None for p in given.values()):
        return {n: (float(p[0]), float(p[1])) for n, p in given.items()}
    depth: dict[str, int] = {}
    for name in nx.topological_sort(arch.graph):
        callers = list(arch.graph.pred[name])
        depth[name] = 1 + max(depth[c] for c in callers) if callers else 0
    layers: dict[int, list[str]] = {}
    for name in arch.components:  # keep the order components were added within a layer
        layers.setdefault(depth[name], []).append(name)
    out = {}
    for level, names in layers.items():
        for i, name in enumerate(names):
            out[name] = (i - (len(names) - 1) / 2, float(level))
    return out
