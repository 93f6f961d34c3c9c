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

A BDD's size depends on the order in which it asks about components (:func:`variable_order`
picks one from the graph alone), and some structures are large in every order. So a compile
stops with a :class:`~labkit.errors.LabkitError` once the diagram passes :data:`NODE_BUDGET`
instead of eating the machine; :func:`labkit.sampled_availability` still estimates those.

>>> from labkit.catalog import monolith
>>> structure = compile_structure(monolith())
>>> round(structure.availability()["buy"], 6) == round(0.9995 * 0.999 * 0.9995, 6)
True
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Iterable, Mapping, NamedTuple, Sequence

import networkx as nx
import numpy as np

from .errors import LabkitError, check_probability, fail
from .model import Architecture, as_architecture

FALSE, TRUE = 0, 1

#: How many decision nodes plus remembered if-then-else steps one compile may hold. Each costs
#: about 150 bytes, so a compile that gives up has used about 50 MB and a second; the
#: Ring-sized capstone needs about 1,200 and 10,000 components in cells about 120,000.
NODE_BUDGET = 300_000


class _TooEntangled(Exception):
    """The diagram passed its budget (turned into a LabkitError where the architecture is known)."""


class _Diagram:
    """A tiny ROBDD manager: unique table plus memoised if-then-else, without recursion.

    Nodes are numbered in creation order, so children always have smaller numbers than their
    parents; ``var[n]`` is the variable node ``n`` asks about, ``lo[n]``/``hi[n]`` where to go
    when it is down/up. Nodes 0 and 1 are the terminals FALSE and TRUE.

    >>> d = _Diagram(2)
    >>> either = d.at_least(1, [d.variable(0), d.variable(1)])
    >>> d.var[either], d.lo[either] == d.variable(1), d.hi[either] == TRUE
    (0, True, True)
    """

    def __init__(self, n_vars: int, budget: int = NODE_BUDGET) -> None:
        self.var = [n_vars, n_vars]  # terminals sit below every variable
        self.lo = [FALSE, TRUE]
        self.hi = [FALSE, TRUE]
        self.unique: dict[tuple[int, int, int], int] = {}
        self.cache: dict[tuple[int, int, int], int] = {}
        self.budget = budget

    def node(self, var: int, lo: int, hi: int) -> int:
        """The one node for (var, lo, hi): made once, skipped when both branches agree."""
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
        """The function "variable ``var`` is up"."""
        return self.node(var, FALSE, TRUE)

    def ite(self, f: int, g: int, h: int) -> int:
        """``if f then g else h``, the one operation the others are built from.

        An explicit stack instead of one Python frame per variable level, so a chain of
        thousands of components cannot hit the recursion limit. ``todo`` holds sub-problems
        ``(f, g, h)`` still to split, and ``(problem, top)`` markers: "both halves of
        ``problem`` are on ``done``, join them into a node".

        >>> d = _Diagram(2)
        >>> x, y = d.variable(0), d.variable(1)
        >>> both = d.ite(x, y, FALSE)
        >>> (d.var[both], d.lo[both], d.hi[both]) == (0, FALSE, y)
        True
        """
        var, lo, hi, cache = self.var, self.lo, self.hi, self.cache
        done: list[int] = []
        todo: list[tuple] = [(f, g, h)]
        while todo:
            step = todo.pop()
            if len(step) == 2:
                problem, top = step
                high = done.pop()
                result = self.node(top, done.pop(), high)
                cache[problem] = result
                if len(cache) + len(var) > self.budget:
                    raise _TooEntangled
                done.append(result)
                continue
            f, g, h = step
            if f == TRUE or g == h:
                done.append(g)
            elif f == FALSE:
                done.append(h)
            elif g == TRUE and h == FALSE:
                done.append(f)
            elif step in cache:
                done.append(cache[step])
            else:
                top = min(var[f], var[g], var[h])
                f0, f1 = (lo[f], hi[f]) if var[f] == top else (f, f)
                g0, g1 = (lo[g], hi[g]) if var[g] == top else (g, g)
                h0, h1 = (lo[h], hi[h]) if var[h] == top else (h, h)
                todo.append((step, top))
                todo.append((f1, g1, h1))
                todo.append((f0, g0, h0))
        return done[0]

    def conjunction(self, parts: Iterable[int]) -> int:
        """All of ``parts`` at once.

        Deepest part first: each next part then sits above the result so far, and joining
        them adds nodes on top instead of walking the whole result again (a component with
        5,000 dependencies costs 5,000 steps, not 12.5 million).

        >>> d = _Diagram(3)
        >>> every = d.conjunction([d.variable(0), d.variable(1), d.variable(2)])
        >>> len(d.var) - 2, len(d.cache)
        (5, 2)
        """
        result = TRUE
        for part in sorted(parts, key=self.var.__getitem__, reverse=True):
            result = self.ite(part, result, FALSE)
        return result

    def at_least(self, k: int, parts: Sequence[int]) -> int:
        """True when at least ``k`` of ``parts`` are true (k-of-n replicas).

        ``table[j]`` is "at least j of ``parts[i:]`` are true", built from the deepest part
        up. Only ``k - i <= j <= n - i`` can matter: fewer is beyond what ``parts[:i]`` can
        make up, more than ``n - i`` is impossible (already FALSE). So n-of-n costs n nodes.

        >>> d = _Diagram(3)
        >>> two = d.at_least(2, [d.variable(0), d.variable(1), d.variable(2)])
        >>> len(d.var) - 2
        6
        """
        parts = sorted(parts, key=self.var.__getitem__)
        n = len(parts)
        table = [TRUE] + [FALSE] * k
        for i in reversed(range(n)):
            # Downwards, so table[j - 1] is still the one for parts[i + 1:] when j reads it.
            for j in range(min(k, n - i), max(1, k - i) - 1, -1):
                table[j] = self.ite(parts[i], table[j - 1], table[j])
        return table[k]


def variable_order(arch: Architecture) -> list[str]:
    """The components that can fail, in the order the BDD asks about them.

    A depth-first walk from every feature's components at once, heaviest child first (the
    one with the most components below it), ties broken by the order components were added.
    It depends on the graph alone, never on the order features were added, and keeps what
    fails together adjacent: a cell's tiers sit together, and each replica next to its pair.
    Only hard and member edges are walked (soft ones cannot stop a feature); components
    no feature depends on come last.

    >>> from labkit.catalog import replicated_monolith
    >>> variable_order(replicated_monolith(2))
    ['lb', 'app-1', 'db', 'app-2']
    """
    return _order(arch, _bottom_up(arch))


class _Step(NamedTuple):
    """One component, with what decides whether it works: compiled children first."""

    name: str
    group: bool
    k: object            # a group's k as given (checked by _group_k when compiled)
    hard: list[str]
    members: list[str]


def _bottom_up(arch: Architecture) -> list[_Step]:
    """Every component, dependencies before their callers, read off the graph once.

    >>> from labkit.catalog import monolith
    >>> [(s.name, s.hard) for s in _bottom_up(monolith())][-1]
    ('app', ['server', 'db'])
    """
    graph = arch.graph
    components = dict(graph.nodes(data="component"))
    steps = []
    for name in reversed(list(nx.topological_sort(graph))):
        hard, members = [], []
        for callee, data in graph.succ[name].items():
            if data["kind"] == "hard":
                hard.append(callee)
            elif data["kind"] == "member":
                members.append(callee)
        component = components[name]
        steps.append(_Step(name, component.kind == "group", component.k, hard, members))
    return steps


def _order(arch: Architecture, steps: list[_Step]) -> list[str]:
    """:func:`variable_order` from the steps :func:`_bottom_up` read."""
    position = {name: i for i, name in enumerate(arch.components)}
    below = {s.name: s.hard + s.members for s in steps}  # soft edges never decide
    weight = _weights(steps)

    def heaviest_first(names: Iterable[str]) -> list[str]:
        return sorted(names, key=lambda n: (-weight[n], position[n]))

    roots = {r for name in arch.feature_names for r in arch.feature(name).requires}
    order: list[str] = []
    seen: set[str] = set()
    stack = heaviest_first(roots)[::-1]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(heaviest_first(c for c in below[node] if c not in seen)[::-1])
    order += [c for c in arch.components if c not in seen]
    groups = {s.name for s in steps if s.group}
    return [n for n in order if n not in groups]


def _weights(steps: list[_Step]) -> dict[str, int]:
    """Component -> how many components that can fail lie below it, itself included.

    Exact on a DAG (a shared component counts once): each component's set of those below is
    a bitset (a Python int), the union of its children's.

    >>> from labkit.catalog import replicated_monolith
    >>> _weights(_bottom_up(replicated_monolith(2)))
    {'db': 1, 'app-2': 2, 'app-1': 2, 'app tier': 3, 'lb': 4}
    """
    reach: dict[str, int] = {}
    weight: dict[str, int] = {}
    for bit, step in enumerate(steps):
        bits = (not step.group) << bit  # a group never fails itself
        for child in step.hard + step.members:
            bits |= reach[child]
        reach[step.name] = bits
        weight[step.name] = bits.bit_count()
    return weight


@dataclass
class Structure:
    """Every feature of one architecture, compiled; evaluate it for any availabilities.

    ``variables`` are the component names that can fail (replica groups cannot), in BDD order.
    Nodes are numbered children first: node ``n`` asks about ``variables[var[n]]`` and goes
    to ``lo[n]`` when it is down, ``hi[n]`` when it is up; 0 and 1 are FALSE and TRUE.

    >>> from labkit.catalog import monolith
    >>> structure = compile_structure(monolith())
    >>> structure.variables, structure.size
    (['app', 'server', 'db'], 3)
    >>> [round(a, 4) for a in structure.evaluate_fast([0.9, 1.0, 0.5])]
    [0.45, 0.45, 0.45]
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

        >>> from labkit.catalog import monolith
        >>> structure = compile_structure(monolith())
        >>> structure.evaluate([[1, 1, 1], [1, 0, 1]]).tolist()
        [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
        >>> structure.evaluate([1.5, 1, 1])
        Traceback (most recent call last):
        ...
        labkit.errors.LabkitError: p=1.5 is not allowed: expected availabilities between 0 and 1 (this one is for 'app')
        """
        rows, single = self._rows(p)
        q = [None] * len(self.var)
        q[FALSE] = np.zeros(rows.shape[0])
        q[TRUE] = np.ones(rows.shape[0])
        columns = rows.T
        var, lo, hi = self.var, self.lo, self.hi
        for node in range(2, len(var)):  # children were always created before parents
            up = columns[var[node]]
            low = q[lo[node]]
            q[node] = low + up * (q[hi[node]] - low)
        # Insurance: each node mixes two values in [0, 1] so stays inside, but nines() and
        # percentages must never be handed 1 + 1e-16, whatever later edits do to the sum.
        result = np.minimum(np.maximum(np.stack([q[r] for r in self.roots], axis=1), 0.0), 1.0)
        return result[0] if single else result

    def _rows(self, p) -> tuple[np.ndarray, bool]:
        """``p`` as a matrix of availabilities, one row per scenario (and was it one vector?)."""
        allowed = (f"expected {len(self.variables)} availabilities (one per variable), "
                   "or a matrix with one row of them per scenario")
        try:
            array = np.asarray(p, dtype=float)
        except (TypeError, ValueError):
            raise fail("p", p, allowed) from None
        if array.ndim not in (1, 2) or array.shape[-1] != len(self.variables):
            raise fail("p", f"shape {array.shape}", allowed)
        rows = array if array.ndim == 2 else array[np.newaxis]
        bad = ~((rows >= 0.0) & (rows <= 1.0))  # NaN fails both comparisons
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise fail("p", float(rows[row, column]), "expected availabilities between 0 and 1 "
                       f"(this one is for {self.variables[column]!r})")
        return rows, array.ndim == 1

    def availability(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """Feature -> exact availability, optionally with some components' availability replaced."""
        values = self.evaluate_fast(self.probabilities(overrides))
        return dict(zip(self.features, values))

    def evaluate_fast(self, p: Sequence[float]) -> list[float]:
        """:meth:`evaluate` for one vector, in plain Python floats: the slider hot path.

        >>> from labkit.catalog import monolith
        >>> compile_structure(monolith()).evaluate_fast([1.0, float("nan"), 1.0])
        Traceback (most recent call last):
        ...
        labkit.errors.LabkitError: p=[1.0, nan, 1.0] is not allowed: expected 3 availabilities between 0 and 1
        """
        allowed = f"expected {len(self.variables)} availabilities between 0 and 1"
        try:
            p = [float(x) for x in p]
        except (TypeError, ValueError):
            raise fail("p", p, allowed) from None
        # Three passes in C, cheaper than a check per value; NaN makes the sum NaN.
        if len(p) != len(self.variables) or (p and not (0.0 <= min(p) and max(p) <= 1.0
                                                         and sum(p) == sum(p))):
            raise fail("p", p, allowed)
        q = [0.0, 1.0]
        append = q.append
        var, lo, hi = self.var, self.lo, self.hi
        for node in range(2, len(var)):
            low = q[lo[node]]
            append(low + p[var[node]] * (q[hi[node]] - low))
        # Insurance, as in evaluate: whatever feeds nines() must be inside [0, 1].
        return [min(1.0, max(0.0, q[r])) for r in self.roots]


def compile_structure(arch: Architecture) -> Structure:
    """Compile every feature of ``arch`` into one shared BDD (cached per architecture version).

    Raises :class:`~labkit.errors.LabkitError` when the diagram would pass
    :data:`NODE_BUDGET` (a structure too entangled for exact analysis at its size).

    >>> from labkit.catalog import replicated_monolith
    >>> compile_structure(replicated_monolith(2)).size
    5
    """
    arch = as_architecture(arch)
    cached = getattr(arch, "_compiled", None)
    if cached is not None and cached[0] == arch.version:
        if isinstance(cached[1], LabkitError):  # a refusal costs a second: remember it too
            raise LabkitError(*cached[1].args)
        return cached[1]
    steps = _bottom_up(arch)
    try:
        structure = _compile(arch, _order(arch, steps), steps)
    except LabkitError as error:
        arch._compiled = (arch.version, error)
        raise
    arch._compiled = (arch.version, structure)
    return structure


def _compile(arch: Architecture, variables: list[str], steps: list[_Step],
             budget: int = NODE_BUDGET) -> Structure:
    """Compile with a given variable order and budget (tests use it to force a bad order)."""
    index = {name: i for i, name in enumerate(variables)}
    diagram = _Diagram(len(variables), budget)
    works: dict[str, int] = {}
    try:
        for step in steps:
            parts = [works[d] for d in step.hard]
            if step.group:
                k = _group_k(step)
                parts.append(diagram.at_least(k, [works[m] for m in step.members]))
            else:
                parts.append(diagram.variable(index[step.name]))
            works[step.name] = diagram.conjunction(parts)
        features = arch.feature_names
        roots = [diagram.conjunction([works[r] for r in arch.feature(f).requires])
                 for f in features]
    except _TooEntangled:
        raise fail("architecture", arch.name, "its structure is too entangled for exact "
                   f"analysis at this size (the decision diagram passed {budget:,} nodes and "
                   "cached steps); estimate it with labkit.sampled_availability instead") from None
    return _compact(arch.name, variables, features, roots, diagram,
                    np.array([arch.availability_of(v) for v in variables]))


def _group_k(step: _Step) -> int:
    """A replica group's k, or a LabkitError if it cannot be one (no members, k out of range)."""
    k = step.k
    if (not isinstance(k, numbers.Integral) or isinstance(k, bool)
            or not 1 <= k <= len(step.members)):
        raise fail(f"k of group {step.name!r}", k, "expected a whole number from 1 to its "
                   f"{len(step.members)} members; make replica groups with Architecture.add_group")
    return int(k)


def _compact(name, variables, features, roots, diagram, base) -> Structure:
    """Keep only nodes reachable from the features, renumbered children-first."""
    keep: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node <= TRUE or node in keep:
            continue
        keep.add(node)
        stack += (diagram.lo[node], diagram.hi[node])
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
    for step in _bottom_up(arch):
        if step.group:
            k = _group_k(step)
            ok = np.stack([works[m] for m in step.members]).sum(axis=0) >= k
        elif step.name in column:
            ok = up[:, column[step.name]].copy()
        else:
            raise fail("components", names, f"expected a column for {step.name!r}")
        for dep in step.hard:
            ok &= works[dep]
        works[step.name] = ok
    return works
