"""The compiled structure (labkit.structure): the BDD manager, the variable order, the budget.

test_exact_availability.py checks the answers against brute force and Monte Carlo; this file
checks the machinery: every ITE shortcut and the cache, that no compile depends on Python's
recursion limit or on the order features were added, that an entangled structure stops at the
budget instead of eating the machine, and that evaluate rejects what is not an availability.
"""

from __future__ import annotations

import copy
import itertools
import sys
import time
import tracemalloc
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import labkit
from labkit import catalog, structure as S
from labkit.errors import LabkitError
from labkit.model import Architecture
from labkit.structure import (FALSE, NODE_BUDGET, TRUE, Structure, _Diagram, _TooEntangled,
                              compile_structure, feature_works, variable_order)

from strategies import architectures


# ----------------------------------------------------------------------------- helpers


def truth_table(d: _Diagram, f: int, n_vars: int) -> int:
    """Bit ``w`` is f's value in world ``w`` (bit ``v`` of ``w`` = variable ``v`` up)."""
    table = 0
    for world in range(2 ** n_vars):
        node = f
        while node > TRUE:
            node = d.hi[node] if world >> d.var[node] & 1 else d.lo[node]
        table |= node << world
    return table


def var_table(v: int, n_vars: int) -> int:
    return sum(1 << w for w in range(2 ** n_vars) if w >> v & 1)


def reachable(var, lo, hi, roots) -> set[int]:
    seen, stack = set(), [r for r in roots if r > TRUE]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack += [c for c in (lo[node], hi[node]) if c > TRUE]
    return seen


@contextmanager
def shallow_stack(frames: int = 100):
    """Allow only ``frames`` more Python frames than the caller has: recursion would fail."""
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def compile_with(arch: Architecture, order: list[str], budget: int = NODE_BUDGET) -> Structure:
    """Compile with a forced variable order (the test hook)."""
    return S._compile(arch, order, S._bottom_up(arch), budget)


def spy_diagram(monkeypatch) -> dict:
    """Capture the _Diagram the next compile builds, to count its work."""
    seen = {}
    original = S._compact

    def spy(name, variables, features, roots, diagram, base):
        seen["diagram"] = diagram
        return original(name, variables, features, roots, diagram, base)

    monkeypatch.setattr(S, "_compact", spy)
    return seen


def work(diagram: _Diagram) -> int:
    return len(diagram.var) + len(diagram.cache)


def pairs(n: int, xs_first: bool = True) -> Architecture:
    """The review's blow-up: pairs (x_i, y_i), 2-of-2 over each, 1-of-n over those, and all x."""
    arch = Architecture(f"{n} pairs")
    for i in range(n):
        arch.add_component(f"x{i}", 0.99).add_component(f"y{i}", 0.9)
        arch.add_group(f"g{i}", [f"x{i}", f"y{i}"], 2)
    arch.add_group("G", [f"g{i}" for i in range(n)], 1)
    features = [("xs", [f"x{i}" for i in range(n)]), ("any pair", ["G"])]
    for name, requires in features if xs_first else features[::-1]:
        arch.add_feature(name, requires)
    return arch


def grid(side: int) -> Architecture:
    """'Some two neighbouring replicas are both up' on a side x side grid.

    Its BDD is exponential in ``side`` under every variable order (any order has a moment
    when about ``side`` read components still wait for an unread neighbour), so no static
    heuristic and no reordering can save it.
    """
    arch = Architecture(f"{side}x{side} grid")
    for r, c in itertools.product(range(side), repeat=2):
        arch.add_component(f"v{r}_{c}", 0.9)
    edges = []
    for r, c in itertools.product(range(side), repeat=2):
        for r2, c2 in ((r, c + 1), (r + 1, c)):
            if r2 < side and c2 < side:
                edges.append(f"e{len(edges)}")
                arch.add_group(edges[-1], [f"v{r}_{c}", f"v{r2}_{c2}"], 2)
    arch.add_group("any edge", edges, 1)
    arch.add_feature("serve", ["any edge"])
    return arch


def chain(n: int, availability: float = 0.9999) -> Architecture:
    arch = Architecture(f"chain of {n}")
    for i in range(n):
        arch.add_component(f"c{i}", availability)
    for i in range(n - 1):  # straight into the graph: add_dependency's cycle check is O(n)
        arch.graph.add_edge(f"c{i}", f"c{i + 1}", kind="hard")
    arch.add_feature("serve", ["c0"])
    return arch


def with_features_in(arch: Architecture, names) -> Architecture:
    clone = arch.copy()
    clone.features = {}
    for name in names:
        clone.add_feature(name, arch.features[name].requires)
    return clone


# ------------------------------------------------------------------------ the manager


def test_node_is_unique_and_reduced():
    d = _Diagram(3)
    assert d.var == [3, 3] and d.lo == [FALSE, TRUE] and d.hi == [FALSE, TRUE]
    x = d.node(1, FALSE, TRUE)
    assert x == 2 and (d.var[x], d.lo[x], d.hi[x]) == (1, FALSE, TRUE)
    assert d.node(1, FALSE, TRUE) == x and len(d.var) == 3
    assert d.node(0, x, x) == x and len(d.var) == 3  # both branches agree: no node
    assert d.node(0, TRUE, x) == 3 and d.unique == {(1, FALSE, TRUE): 2, (0, TRUE, x): 3}
    assert d.variable(1) == x and d.variable(2) == 4


def test_ite_shortcuts_make_no_cached_step():
    d = _Diagram(2)
    x, y = d.variable(0), d.variable(1)
    assert d.ite(TRUE, x, y) == x
    assert d.ite(FALSE, x, y) == y
    assert d.ite(x, y, y) == y
    assert d.ite(x, TRUE, FALSE) == x
    assert d.cache == {} and len(d.var) == 4


def test_ite_builds_the_node_and_caches_every_split():
    d = _Diagram(2)
    x, y = d.variable(0), d.variable(1)
    either = d.ite(x, TRUE, y)
    assert (d.var[either], d.lo[either], d.hi[either]) == (0, y, TRUE)
    assert d.cache == {(x, TRUE, y): either}
    neither = d.ite(either, FALSE, TRUE)  # negation splits on both variables
    assert truth_table(d, neither, 2) == 0b0001
    assert d.cache[(either, FALSE, TRUE)] == neither and len(d.cache) == 3


def test_ite_answers_from_the_cache():
    d = _Diagram(2)
    x, y = d.variable(0), d.variable(1)
    d.cache[(x, y, FALSE)] = 12345  # a planted answer proves the cache is read first
    assert d.ite(x, y, FALSE) == 12345
    assert d.ite(y, x, FALSE) != 12345


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
                min_size=1, max_size=25))
def test_ite_agrees_with_truth_tables(program):
    n = 4
    d = _Diagram(n)
    nodes = [FALSE, TRUE] + [d.variable(v) for v in range(n)]
    tables = [0, 2 ** 2 ** n - 1] + [var_table(v, n) for v in range(n)]
    for a, b, c in program:
        f, g, h = (i % len(nodes) for i in (a, b, c))
        nodes.append(d.ite(nodes[f], nodes[g], nodes[h]))
        tables.append((tables[f] & tables[g]) | (~tables[f] & tables[h]))
    for node, table in zip(nodes, tables):
        assert truth_table(d, node, n) == table % 2 ** 2 ** n
    for node in range(2, len(d.var)):  # ordered and reduced: canonical
        assert d.var[node] < d.var[d.lo[node]] and d.var[node] < d.var[d.hi[node]]
        assert d.lo[node] != d.hi[node]
    assert len(d.unique) == len(d.var) - 2


def test_budget_counts_nodes_and_cached_steps():
    def build(budget):
        d = _Diagram(3, budget)
        x, y, z = (d.variable(v) for v in range(3))
        d.ite(x, y, z)  # 5 nodes, then 1 node and 1 cached step
        return d

    assert work(build(7)) == 7
    with pytest.raises(_TooEntangled):
        build(6)


def test_conjunction_puts_the_deepest_part_first():
    d = _Diagram(5)
    xs = [d.variable(v) for v in range(5)]
    every = d.conjunction(xs[::2] + xs[1::2])
    assert truth_table(d, every, 5) == 2 ** 31
    assert len(d.var) - 2 == 5 + 4 and len(d.cache) == 4  # one step per part, no re-walk
    assert d.conjunction([]) == TRUE
    assert d.conjunction([xs[0], FALSE, xs[1]]) == FALSE


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.data())
def test_at_least_agrees_with_counting(n, data):
    k = data.draw(st.integers(1, n))
    order = data.draw(st.permutations(range(n)))
    d = _Diagram(n)
    parts = [d.variable(v) for v in order]
    made = len(d.var)
    result = d.at_least(k, parts)
    expected = sum(1 << w for w in range(2 ** n) if bin(w).count("1") >= k)
    assert truth_table(d, result, n) == expected
    # The band keeps out every node the answer does not use.
    assert set(range(made, len(d.var))) <= reachable(d.var, d.lo, d.hi, [result])


def test_at_least_of_functions_not_just_variables():
    d = _Diagram(4)
    x = [d.variable(v) for v in range(4)]
    a, b, c = d.conjunction(x[:2]), d.ite(x[2], TRUE, x[3]), x[1]
    two = d.at_least(2, [a, b, c])
    ta, tb, tc = (truth_table(d, f, 4) for f in (a, b, c))
    assert truth_table(d, two, 4) == (ta & tb) | (ta & tc) | (tb & tc)


class CountingDiagram(_Diagram):
    calls = 0

    def ite(self, f, g, h):
        self.calls += 1
        return super().ite(f, g, h)


@pytest.mark.parametrize("k, n", [(1, 6), (2, 6), (5, 6), (6, 6), (3, 3)])
def test_at_least_asks_only_inside_the_band(k, n):
    d = CountingDiagram(n)
    d.at_least(k, [d.variable(v) for v in range(n)])
    assert d.calls == k * (n - k + 1)


def test_at_least_all_and_any_cost_one_node_per_part():
    for k, n in [(1, 6), (6, 6), (2, 6)]:
        d = _Diagram(n)
        result = d.at_least(k, [d.variable(v) for v in range(n)])
        assert len(reachable(d.var, d.lo, d.hi, [result])) == k * (n - k + 1)


# --------------------------------------------------------------------- variable order


def test_heaviest_child_first_ties_by_component_order():
    arch = Architecture("heavy")
    for name in ("top", "light", "heavy", "h1", "h2", "tie-a", "tie-b"):
        arch.add_component(name, 0.99)
    arch.add_dependency("top", "light").add_dependency("top", "heavy")
    arch.add_dependency("heavy", "h2").add_dependency("heavy", "h1")  # edges in reverse
    arch.add_dependency("top", "tie-b").add_dependency("top", "tie-a")
    arch.add_feature("f", ["top"])
    assert variable_order(arch) == ["top", "heavy", "h1", "h2", "light", "tie-a", "tie-b"]


def test_order_walks_decisive_edges_only_then_the_rest_in_component_order():
    arch = Architecture("soft")
    for name in ("spare", "page", "widget", "db", "lonely"):
        arch.add_component(name, 0.99)
    arch.add_dependency("page", "widget", "soft").add_dependency("page", "db")
    arch.add_dependency("widget", "db")
    arch.add_group("pair", ["spare", "lonely"])
    arch.add_feature("view", ["page"])
    assert variable_order(arch) == ["page", "db", "spare", "widget", "lonely"]


def test_weights_count_shared_components_once():
    arch = Architecture("diamond")
    for name in "abcd":
        arch.add_component(name, 0.9)
    arch.add_dependency("a", "b").add_dependency("a", "c")
    arch.add_dependency("b", "d").add_dependency("c", "d")
    arch.add_group("g", ["a", "d"], 1)
    assert S._weights(S._bottom_up(arch)) == {"d": 1, "c": 2, "b": 2, "a": 4, "g": 4}


def test_a_group_weighs_only_its_members():
    arch = Architecture("two groups")
    for name in "abc":
        arch.add_component(name, 0.9)
    arch.add_group("ga", ["a"]).add_group("gb", ["b"]).add_group("gc", ["c"])
    assert S._weights(S._bottom_up(arch)) == {n: 1 for n in ("a", "b", "c", "ga", "gb", "gc")}


@settings(max_examples=60, deadline=None)
@given(architectures())
def test_order_and_size_do_not_depend_on_feature_order(arch):
    structure = compile_structure(arch)
    assert sorted(structure.variables) == sorted(
        c for c in arch.components if arch.component(c).kind != "group")
    for names in itertools.permutations(list(arch.features)):
        other = compile_structure(with_features_in(arch, names))
        assert other.variables == structure.variables
        assert other.size == structure.size


@pytest.mark.parametrize("n", [3, 21])
def test_pairs_compile_small_whichever_feature_came_first(n):
    first, second = compile_structure(pairs(n)), compile_structure(pairs(n, xs_first=False))
    assert first.variables == second.variables == [v for i in range(n) for v in (f"x{i}", f"y{i}")]
    assert first.size == second.size == 3 * n
    values = first.availability()
    assert values["xs"] == pytest.approx(0.99 ** n, rel=1e-12)
    assert values["any pair"] == pytest.approx(1 - (1 - 0.99 * 0.9) ** n, rel=1e-12)


# ------------------------------------------------------------------------ the budget


def test_a_forced_bad_order_hits_the_budget_promptly():
    arch = pairs(21)
    bad = [f"x{i}" for i in range(21)] + [f"y{i}" for i in range(21)]
    start = time.process_time()
    with pytest.raises(LabkitError) as error:
        compile_with(arch, bad)
    assert time.process_time() - start < 30, "a hang guard: the budget is hit in about a second"
    message = str(error.value)
    assert message == ("architecture='21 pairs' is not allowed: its structure is too entangled "
                       f"for exact analysis at this size (the decision diagram passed "
                       f"{NODE_BUDGET:,} nodes and cached steps); estimate it with "
                       "labkit.sampled_availability instead")


def test_a_refusal_is_remembered_until_the_architecture_changes(monkeypatch):
    arch = broken_group(k=None)
    calls = []
    original = S._compile
    monkeypatch.setattr(S, "_compile", lambda *args: calls.append(1) or original(*args))
    messages = []
    for _ in range(2):
        with pytest.raises(LabkitError) as error:
            compile_structure(arch)
        messages.append(str(error.value))
    assert len(calls) == 1 and messages[0] == messages[1]
    assert messages[0].startswith("k of group 'g'=None is not allowed")
    arch.add_component("c", 0.9)  # a new version is compiled again
    with pytest.raises(LabkitError):
        compile_structure(arch)
    assert len(calls) == 2


def test_a_bad_order_within_budget_is_big_but_right():
    arch = pairs(11)
    bad = [f"x{i}" for i in range(11)] + [f"y{i}" for i in range(11)]
    slow = compile_with(arch, bad)
    assert (slow.size, compile_structure(arch).size) == (4105, 33)
    assert slow.availability() == pytest.approx(compile_structure(arch).availability(), abs=1e-12)


def test_structure_too_big_for_every_order_stops_at_the_budget_in_small_memory():
    small = grid(4)
    assert compile_structure(small).availability()["serve"] == pytest.approx(
        labkit.brute_force_availability(small), abs=1e-12)
    arch = grid(20)
    tracemalloc.start()
    start = time.process_time()
    try:
        with pytest.raises(LabkitError, match="too entangled"):
            compile_structure(arch)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 120e6, f"peak {peak / 1e6:.0f} MB"  # about 47 MB
    assert time.process_time() - start < 60, "a hang guard: about a second, 5 under tracemalloc"


def test_budget_is_enforced_exactly(monkeypatch):
    seen = spy_diagram(monkeypatch)
    arch = pairs(5)
    compile_structure(arch)
    needed = work(seen["diagram"])
    assert compile_with(arch, variable_order(arch), budget=needed).size == 15
    with pytest.raises(LabkitError, match=f"passed {needed - 1:,} nodes"):
        compile_with(arch, variable_order(arch), budget=needed - 1)


def test_ring_sized_is_far_inside_the_budget(monkeypatch):
    seen = spy_diagram(monkeypatch)
    structure = compile_structure(catalog.ring_sized())
    assert structure.size == 193
    assert work(seen["diagram"]) < NODE_BUDGET / 100


# ------------------------------------------------------- no recursion, linear work


def _fan(n):
    arch = Architecture("fan")
    arch.add_component("top", 0.9999)
    for i in range(n):
        arch.add_component(f"d{i}", 0.9999)
        arch.graph.add_edge("top", f"d{i}", kind="hard")
    return arch.add_feature("serve", ["top"])


def _wide(n):
    arch = Architecture("wide")
    for i in range(n):
        arch.add_component(f"d{i}", 0.9999)
    return arch.add_feature("serve", [f"d{i}" for i in range(n)])


def _group(n, k):
    arch = Architecture("group")
    for i in range(n):
        arch.add_component(f"r{i}", 0.9)
    arch.add_group("g", [f"r{i}" for i in range(n)], k)
    return arch.add_feature("serve", ["g"])


BIG = {  # what -> (build, exact availability), n = 5000
    "chain": (lambda n: chain(n), lambda n: 0.9999 ** n),
    "5000 hard dependencies": (_fan, lambda n: 0.9999 ** (n + 1)),
    "feature needing 5000": (_wide, lambda n: 0.9999 ** n),
    "1-of-5000 group": (lambda n: _group(n, 1), lambda n: 1 - 0.1 ** n),
    "5000-of-5000 group": (lambda n: _group(n, n), lambda n: 0.9 ** n),
}


@pytest.mark.parametrize("what", list(BIG))
def test_5000_deep_or_wide_compiles_without_recursion_in_linear_work(what, monkeypatch):
    build, exact = BIG[what]
    arch = build(5000)
    seen = spy_diagram(monkeypatch)
    with shallow_stack():
        value = compile_structure(arch).availability()["serve"]
    assert value == pytest.approx(exact(5000), rel=1e-9)
    assert work(seen["diagram"]) <= 3 * 5000 + 10  # no step walks the result so far again


def test_a_reversed_chain_needs_deep_splits_and_still_no_recursion():
    arch = chain(400, 0.999)
    order = variable_order(arch)[::-1]  # the component called last is asked first
    with shallow_stack():
        structure = compile_with(arch, order)
    assert structure.size == 400
    assert structure.availability()["serve"] == pytest.approx(0.999 ** 400, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(architectures(), st.randoms(use_true_random=False))
def test_any_order_gives_the_same_answers(arch, rng):
    order = variable_order(arch)
    rng.shuffle(order)
    forced = compile_with(arch, order)
    assert forced.variables == order
    assert forced.availability() == pytest.approx(compile_structure(arch).availability(),
                                                  abs=1e-12)


# ------------------------------------------------------------- compiled invariants


@settings(max_examples=100, deadline=None)
@given(architectures())
def test_compiled_diagram_is_ordered_reduced_and_children_first(arch):
    s = compile_structure(arch)
    n = len(s.variables)
    assert s.var[:2] == [n, n] and s.lo[:2] == [FALSE, TRUE] and s.hi[:2] == [FALSE, TRUE]
    assert len(s.var) == len(s.lo) == len(s.hi) == s.size + 2
    triples = set()
    for node in range(2, len(s.var)):
        assert s.lo[node] < node and s.hi[node] < node
        assert s.var[node] < s.var[s.lo[node]] and s.var[node] < s.var[s.hi[node]]
        assert s.lo[node] != s.hi[node]
        triples.add((s.var[node], s.lo[node], s.hi[node]))
    assert len(triples) == s.size
    assert reachable(s.var, s.lo, s.hi, s.roots) == set(range(2, len(s.var)))
    assert s.features == arch.feature_names and len(s.roots) == len(s.features)
    assert s.architecture_name == arch.name
    assert s.base.tolist() == [arch.availability_of(v) for v in s.variables]


@settings(max_examples=100, deadline=None)
@given(architectures(max_components=8), st.data())
def test_every_evaluation_is_a_probability_and_exact(arch, data):
    s = compile_structure(arch)
    p = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(s.variables),
                           max_size=len(s.variables)))
    fast = s.evaluate_fast(p)
    vector = s.evaluate(np.array(p))
    matrix = s.evaluate(np.array([p, p]))
    assert all(0.0 <= v <= 1.0 for v in fast)
    assert vector.shape == (len(s.features),) and matrix.shape == (2, len(s.features))
    assert ((vector >= 0) & (vector <= 1)).all()
    assert vector.tolist() == pytest.approx(fast, abs=1e-12)
    assert matrix[1].tolist() == vector.tolist()
    changed = arch.with_availability(dict(zip(s.variables, p)))
    for feature, value in zip(s.features, fast):
        assert value == pytest.approx(labkit.brute_force_availability(changed, feature), abs=1e-12)


def test_terminal_roots_and_no_variables():
    always = Structure("empty", [], ["yes", "no"], [TRUE, FALSE], [0, 0], [FALSE, TRUE],
                       [FALSE, TRUE], np.array([]))
    assert always.evaluate_fast([]) == [1.0, 0.0]
    assert always.evaluate(np.empty(0)).tolist() == [1.0, 0.0]
    assert always.evaluate(np.empty((3, 0))).tolist() == [[1.0, 0.0]] * 3
    assert always.size == 0


SMALL = [catalog.monolith(), catalog.replicated_monolith(3), catalog.detail_page(),
         catalog.cells(2, shared_database=True), catalog.sharded_workers(5, 2, "shuffle"),
         catalog.in_cells(catalog.replicated_monolith(2), 2)]


@pytest.mark.parametrize("arch", SMALL, ids=lambda a: a.name)
def test_all_three_evaluations_agree_with_brute_force_at_odd_availabilities(arch):
    structure = compile_structure(arch)
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.95, (4, len(structure.variables)))
    matrix = structure.evaluate(p)
    for row, values in zip(p, matrix):
        changed = arch.with_availability(dict(zip(structure.variables, row)))
        exact = [labkit.brute_force_availability(changed, f) for f in structure.features]
        assert values.tolist() == pytest.approx(exact, abs=1e-12)
        assert structure.evaluate(row).tolist() == pytest.approx(exact, abs=1e-12)
        assert structure.evaluate_fast(row.tolist()) == pytest.approx(exact, abs=1e-12)


def test_probabilities_replace_only_what_is_named():
    structure = compile_structure(catalog.monolith())
    assert structure.probabilities().tolist() == [0.999, 0.9995, 0.9995]
    assert structure.probabilities({}).tolist() == [0.999, 0.9995, 0.9995]
    assert structure.probabilities({"db": 0, "app": 0.5}).tolist() == [0.5, 0.9995, 0.0]
    assert structure.base.tolist() == [0.999, 0.9995, 0.9995]  # a copy was changed
    assert structure.availability({"db": 0.0}) == {"browse": 0.0, "buy": 0.0, "review": 0.0}


@pytest.mark.parametrize("overrides, message", [
    ([("db", 0)], "overrides=[('db', 0)] is not allowed: expected a mapping of component name "
                  "to availability"),
    ({"nope": 0}, "overrides='nope' is not allowed: expected a component that can fail: 'app', "
                  "'server', 'db'"),
    ({3: 0}, "overrides=3 is not allowed: expected a component that can fail: 'app', 'server', "
             "'db'"),
    ({"db": 1.5}, "availability of 'db'=1.5 is not allowed: expected a number between 0 and 1"),
])
def test_probabilities_reject_bad_overrides(overrides, message):
    structure = compile_structure(catalog.monolith())
    with pytest.raises(LabkitError) as error:
        structure.probabilities(overrides)
    assert str(error.value) == message


@pytest.mark.parametrize("n, more", [(12, ""), (13, ", ...")])
def test_unknown_override_lists_at_most_twelve_components(n, more):
    structure = compile_structure(_wide(n))
    with pytest.raises(LabkitError) as error:
        structure.probabilities({"nope": 0})
    shown = ", ".join(f"'d{i}'" for i in range(12))
    assert str(error.value) == ("overrides='nope' is not allowed: expected a component that can "
                                f"fail: {shown}{more}")


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize("p, shown", [
    ([1.5, 1, 1], "p=1.5 "), ([1, -0.1, 1], "p=-0.1 "), ([1, 1, float("nan")], "p=nan "),
    ([float("inf"), 1, 1], "p=inf "), ([[1, 1, 1], [1, 2, 1]], "p=2.0 "),
])
def test_evaluate_rejects_values_that_are_not_availabilities(p, shown):
    structure = compile_structure(catalog.monolith())
    with pytest.raises(LabkitError) as error:
        structure.evaluate(p)
    assert str(error.value).startswith(shown + "is not allowed: expected availabilities "
                                       "between 0 and 1 (this one is for")


@pytest.mark.parametrize("p, shown", [
    ([1, 1], "p='shape (2,)'"), ([[[1, 1, 1]]], "p='shape (1, 1, 3)'"), (0.5, "p='shape ()'"),
    (None, "p='shape ()'"), ([[1, 1], [1, 1]], "p='shape (2, 2)'"), ("abc", "p='abc'"),
    ([[1, 1, 1], [1]], "p=[[1, 1, 1], [1]]"),
])
def test_evaluate_rejects_wrong_shapes_and_types(p, shown):
    structure = compile_structure(catalog.monolith())
    with pytest.raises(LabkitError) as error:
        structure.evaluate(p)
    assert str(error.value) == (f"{shown} is not allowed: expected 3 availabilities (one per "
                                "variable), or a matrix with one row of them per scenario")


def test_evaluate_names_the_component_of_a_bad_value():
    structure = compile_structure(catalog.monolith())
    with pytest.raises(LabkitError, match=r"p=-1\.0 .*\(this one is for 'db'\)"):
        structure.evaluate([[1, 1, 1], [1, 1, -1]])
    assert structure.evaluate([[0, 0, 0], [1, 1, 1]]).tolist() == [[0, 0, 0], [1, 1, 1]]


@pytest.mark.parametrize("p", [
    [1.5, 1, 1], [1, 1, -0.1], [float("nan"), 1, 1], [1, float("nan"), 1], [1, 1, float("nan")],
    [1, float("inf"), 1], [1, 1], [1, 1, 1, 1], [], ["x", 1, 1], None, 3, [[1, 1, 1]],
    np.ones((2, 3)),
])
def test_evaluate_fast_rejects_what_is_not_one_availability_per_variable(p):
    structure = compile_structure(catalog.monolith())
    with pytest.raises(LabkitError) as error:
        structure.evaluate_fast(p)
    assert str(error.value).startswith("p=")
    assert str(error.value).endswith(" is not allowed: expected 3 availabilities between 0 and 1")


@pytest.mark.parametrize("p, shown", [
    ([1.5, 1, 1], "[1.5, 1.0, 1.0]"), (["x", 1, 1], "['x', 1, 1]"), ([1, 1], "[1.0, 1.0]"),
])
def test_evaluate_fast_shows_what_it_was_given(p, shown):
    with pytest.raises(LabkitError) as error:
        compile_structure(catalog.monolith()).evaluate_fast(p)
    assert str(error.value) == (f"p={shown} is not allowed: expected 3 availabilities between "
                                "0 and 1")


def test_evaluate_fast_accepts_the_edges_and_any_sequence():
    structure = compile_structure(catalog.monolith())
    assert structure.evaluate_fast([0, 1, 1]) == [0.0, 0.0, 0.0]
    assert structure.evaluate_fast((1, 1, 1)) == [1.0, 1.0, 1.0]
    assert structure.evaluate_fast(np.array([0.5, 1.0, 1.0])) == [0.5, 0.5, 0.5]


# ------------------------------------------------------------- broken replica groups


def broken_group(k=1, members=2) -> Architecture:
    arch = Architecture("broken")
    arch.add_component("a", 0.9).add_component("b", 0.9)
    arch.add_group("g", ["a", "b"], 1)
    arch.add_feature("f", ["g"])
    component = copy.copy(arch.component("g"))
    object.__setattr__(component, "k", k)  # what add_group would refuse
    arch.graph.nodes["g"]["component"] = component
    if members < 2:
        arch.graph.remove_edges_from([("g", m) for m in "ab"[members:]])
    return arch


@pytest.mark.parametrize("k, members, shown", [
    (None, 2, "None"), (0, 2, "0"), (3, 2, "3"), (True, 2, "True"), (1.0, 2, "1.0"),
    ("1", 2, "'1'"), (1, 0, "1"), (2, 1, "2"),
])
def test_a_group_without_a_valid_k_is_a_labkit_error(k, members, shown):
    arch = broken_group(k, members)
    message = (f"k of group 'g'={shown} is not allowed: expected a whole number from 1 to its "
               f"{members} members; make replica groups with Architecture.add_group")
    with pytest.raises(LabkitError) as error:
        compile_structure(arch)
    assert str(error.value) == message
    with pytest.raises(LabkitError) as error:
        feature_works(arch, np.ones((1, 2), dtype=bool), ["a", "b"])
    assert str(error.value) == message


def test_a_numpy_k_is_a_whole_number():
    arch = broken_group(np.int64(2))
    assert compile_structure(arch).availability()["f"] == pytest.approx(0.81)
    assert feature_works(arch, np.array([[True, False], [True, True]]),
                         ["a", "b"])["f"].tolist() == [False, True]


def test_compile_rejects_what_is_not_an_architecture():
    with pytest.raises(LabkitError, match="expected a labkit Architecture"):
        compile_structure("monolith")


def test_component_works_needs_a_column_per_component():
    arch = catalog.monolith()
    with pytest.raises(LabkitError) as error:
        feature_works(arch, np.ones((1, 2), dtype=bool))
    assert str(error.value) == ("up='shape (1, 2)' is not allowed: expected (worlds, 3) booleans")
    with pytest.raises(LabkitError) as error:
        feature_works(arch, np.ones((1, 3), dtype=bool), ["app", "server", "other"])
    assert str(error.value) == ("components=['app', 'server', 'other'] is not allowed: expected a "
                                "column for 'db'")


def test_component_works_reads_any_nonzero_as_up():
    arch = catalog.monolith()
    works = labkit.structure.component_works(arch, np.array([[2, 1, 1], [1, 0.5, 0]]))
    assert {c: v.tolist() for c, v in works.items()} == {
        "app": [True, False], "server": [True, True], "db": [True, False]}
