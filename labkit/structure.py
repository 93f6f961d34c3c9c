"""The structure function: which features work, given which components are up.

Two independent ways to compute it, so each checks the other:

- :func:`feature_works` evaluates the graph directly on whole arrays of up/down states
  (one row per sampled or enumerated world). It is the definition, and the brute-force and
  Monte Carlo methods are built on it.
- :func:`compile_structure` compiles every feature once into a reduced ordered binary
  decision diagram (BDD). A BDD node asks "is component *x* up?"; shared components (a
  region, a shared database) appear once, which is what makes the probability *exact* on any
  DAG, not only on series-parallel ones. Evaluating it for new availabilities is one pass over
  a few hundred nodes, cheap enough for every slider event.

>>> from labkit.catalog import monolith
>>> structure = compile_structure(monolith())
>>> round(structure.availability()["buy"], 6) == round(0.9995 * 0.999 * 0.9995, 6)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import networkx as nx
import numpy as np

from .errors import check_probability, fail
from .model import Architecture, as_architecture

FALSE, TRUE = 0, 1


class _Diagram:
    """A tiny ROBDD manager: unique table plus memoised if-then-else."""

    def __init__(self, n_vars: int) -> None:
        self.var = [n_vars, n_vars]  # terminals sit below every variable
        self.lo = [FALSE, TRUE]
        self.hi = [FALSE, TRUE]
        self.unique: dict[tuple[int, int, int], int] = {}
        self.ite_cache: dict[tuple[int, int, int], int] = {}

    def node(self, var: int, lo: int, hi: int) -> int:
        if lo == hi:
            return lo
        key = (var, lo, hi)
        found = self.unique.get(key)
        if found is None:
            found = len(self.var)
            self.var.append(var)
            self.lo.append(lo)
            self.hi.append(hi)
            self.unique[key] = found
        return found

    def variable(self, var: int) -> int:
        return self.node(var, FALSE, TRUE)

    def ite(self, f: int, g: int, h: int) -> int:
        if f == TRUE:
            return g
        if f == FALSE:
            return h
        if g == h:
            return g
        if g == TRUE and h == FALSE:
            return f
        key = (f, g, h)
        found = self.ite_cache.get(key)
        if found is not None:
            return found
        top = min(self.var[f], self.var[g], self.var[h])
        f0, f1 = self._cofactors(f, top)
        g0, g1 = self._cofactors(g, top)
        h0, h1 = self._cofactors(h, top)
        result = self.node(top, self.ite(f0, g0, h0), self.ite(f1, g1, h1))
        self.ite_cache[key] = result
        return result

    def _cofactors(self, f: int, var: int) -> tuple[int, int]:
        if self.var[f] != var:
            return f, f
        return self.lo[f], self.hi[f]

    def conjunction(self, parts: Sequence[int]) -> int:
        result = TRUE
        for part in parts:
            result = self.ite(result, part, FALSE)
            if result == FALSE:
                break
        return result

    def at_least(self, k: int, parts: Sequence[int]) -> int:
        """True when at least ``k`` of ``parts`` are true (k-of-n replicas)."""
        n = len(parts)
        # table[j] = "at least j of parts[i:] are true", built from the back.
        table = [TRUE] + [FALSE] * k
        for i in range(n - 1, -1, -1):
            new = [TRUE]
            for j in range(1, k + 1):
                new.append(self.ite(parts[i], table[j - 1], table[j]))
            table = new
        return table[k]


def variable_order(arch: Architecture) -> list[str]:
    """Components in depth-first order from the features, so a cell's tiers sit together.

    BDD size depends on the order; keeping what fails together adjacent keeps it small.
    """
    order: list[str] = []
    seen: set[str] = set()
    succ = arch.graph.succ
    roots = [r for name in arch.feature_names for r in arch.feature(name).requires]
    for root in roots + arch.components:
        stack = [root]  # one depth-first walk with a shared "seen", children in added order
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            order.append(node)
            stack.extend(reversed([c for c in succ[node] if c not in seen]))
    return [n for n in order if arch.component(n).kind != "group"]


@dataclass
class Structure:
    """Every feature of one architecture, compiled; evaluate it for any availabilities.

    ``variables`` are the component names that can fail (replica groups cannot), in BDD order.
    """

    architecture_name: str
    variables: list[str]
    features: list[str]
    roots: list[int]          # BDD node per feature, indexes into the arrays below
    var: list[int]
    lo: list[int]
    hi: list[int]
    base: np.ndarray          # each variable's own availability, as built

    @property
    def size(self) -> int:
        """Number of decision nodes (excluding the two terminals)."""
        return len(self.var) - 2

    def probabilities(self, overrides: Mapping[str, float] | None = None) -> np.ndarray:
        """The availability vector for ``variables``, with some replaced (crash = 0)."""
        p = self.base.copy()
        if overrides is not None and not isinstance(overrides, Mapping):
            raise fail("overrides", overrides, "expected a mapping of component name to availability")
        if overrides:
            index = {name: i for i, name in enumerate(self.variables)}
            for name, value in overrides.items():
                if not isinstance(name, str) or name not in index:
                    raise fail("overrides", name, "expected a component that can fail: "
                               + ", ".join(repr(v) for v in self.variables[:12])
                               + (", ..." if len(self.variables) > 12 else ""))
                p[index[name]] = check_probability(f"availability of {name!r}", value)
        return p

    def evaluate(self, p: np.ndarray) -> np.ndarray:
        """Exact availability of every feature for availability vector ``p``.

        ``p`` may be one vector (one availability per variable) or a matrix with one row per
        scenario; the result then has one row per scenario too.
        """
        p = np.asarray(p, dtype=float)
        single = p.ndim == 1
        rows = p.reshape(1, -1) if single else p
        if rows.shape[-1] != len(self.variables):
            raise fail("p", f"shape {p.shape}", f"expected {len(self.variables)} availabilities")
        q = [None] * len(self.var)
        q[FALSE] = np.zeros(rows.shape[0])
        q[TRUE] = np.ones(rows.shape[0])
        columns = rows.T
        var, lo, hi = self.var, self.lo, self.hi
        for node in range(2, len(var)):  # children were always created before parents
            up = columns[var[node]]
            low = q[lo[node]]
            q[node] = low + up * (q[hi[node]] - low)
        result = np.stack([q[r] for r in self.roots], axis=1)
        return result[0] if single else result

    def availability(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """Feature -> exact availability, optionally with some components' availability replaced."""
        values = self.evaluate_fast(self.probabilities(overrides))
        return dict(zip(self.features, values))

    def evaluate_fast(self, p: Sequence[float]) -> list[float]:
        """:meth:`evaluate` for one vector, in plain Python floats: the slider hot path."""
        p = [float(x) for x in p]
        q = [0.0, 1.0]
        append = q.append
        var, lo, hi = self.var, self.lo, self.hi
        for node in range(2, len(var)):
            low = q[lo[node]]
            append(low + p[var[node]] * (q[hi[node]] - low))
        return [q[r] for r in self.roots]


def compile_structure(arch: Architecture) -> Structure:
    """Compile every feature of ``arch`` into one shared BDD (cached per architecture version)."""
    arch = as_architecture(arch)
    cached = getattr(arch, "_compiled", None)
    if cached is not None and cached[0] == arch.version:
        return cached[1]
    variables = variable_order(arch)
    index = {name: i for i, name in enumerate(variables)}
    diagram = _Diagram(len(variables))
    works: dict[str, int] = {}
    for name in reversed(list(nx.topological_sort(arch.graph))):
        component = arch.component(name)
        hard = [works[d] for d in arch.dependencies(name, "hard")]
        if component.kind == "group":
            members = [works[m] for m in arch.dependencies(name, "member")]
            own = diagram.at_least(component.k, members)
        else:
            own = diagram.variable(index[name])
        works[name] = diagram.conjunction([own] + hard)
    features = arch.feature_names
    roots = [diagram.conjunction([works[r] for r in arch.feature(f).requires]) for f in features]
    structure = _compact(arch.name, variables, features, roots, diagram,
                         np.array([arch.availability_of(v) for v in variables]))
    arch._compiled = (arch.version, structure)
    return structure


def _compact(name, variables, features, roots, diagram, base) -> Structure:
    """Keep only nodes reachable from the features, renumbered children-first."""
    keep: set[int] = set()
    stack = [r for r in roots if r > TRUE]
    while stack:
        node = stack.pop()
        if node in keep:
            continue
        keep.add(node)
        for child in (diagram.lo[node], diagram.hi[node]):
            if child > TRUE and child not in keep:
                stack.append(child)
    ordered = sorted(keep)  # creation order is already children-first
    new_id = {FALSE: FALSE, TRUE: TRUE}
    for i, node in enumerate(ordered, start=2):
        new_id[node] = i
    var = [len(variables), len(variables)] + [diagram.var[n] for n in ordered]
    lo = [FALSE, TRUE] + [new_id[diagram.lo[n]] for n in ordered]
    hi = [FALSE, TRUE] + [new_id[diagram.hi[n]] for n in ordered]
    return Structure(name, variables, features, [new_id[r] for r in roots], var, lo, hi, base)


def feature_works(arch: Architecture, up: np.ndarray, components: Sequence[str] | None = None
                  ) -> dict[str, np.ndarray]:
    """Evaluate the structure directly on boolean worlds: feature -> bool array per row.

    ``up`` has one column per component in ``components`` (default: ``arch.components``),
    ``True`` where that component is up; one row per world. Replica groups need no column.

    >>> from labkit.catalog import monolith
    >>> arch = monolith()
    >>> worlds = np.ones((2, len(arch.components)), dtype=bool)
    >>> worlds[1, arch.components.index("app")] = False
    >>> feature_works(arch, worlds)["buy"].tolist()
    [True, False]
    """
    works = component_works(arch, up, components)
    return {f: np.logical_and.reduce([works[r] for r in arch.feature(f).requires])
            for f in arch.feature_names}


def component_works(arch: Architecture, up: np.ndarray, components: Sequence[str] | None = None
                    ) -> dict[str, np.ndarray]:
    """Component -> bool array: up, its hard dependencies work, and enough group members work."""
    arch = as_architecture(arch)
    names = list(components) if components is not None else arch.components
    up = np.asarray(up, dtype=bool)
    if up.ndim != 2 or up.shape[1] != len(names):
        raise fail("up", f"shape {up.shape}", f"expected (worlds, {len(names)}) booleans")
    column = {name: i for i, name in enumerate(names)}
    works: dict[str, np.ndarray] = {}
    for name in reversed(list(nx.topological_sort(arch.graph))):
        component = arch.component(name)
        if component.kind == "group":
            members = np.stack([works[m] for m in arch.dependencies(name, "member")])
            ok = members.sum(axis=0) >= component.k
        elif name in column:
            ok = up[:, column[name]].copy()
        else:
            raise fail("components", names, f"expected a column for {name!r}")
        for dep in arch.dependencies(name, "hard"):
            ok &= works[dep]
        works[name] = ok
    return works
