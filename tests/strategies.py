"""Hypothesis strategies: random architectures built only through the public model API."""

from __future__ import annotations

from hypothesis import strategies as st

from labkit.model import Architecture

availabilities = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def architectures(draw, max_components: int = 9, with_groups: bool = True):
    """A random DAG: edges only from earlier to later components, so never a cycle.

    Includes soft edges, shared components (several callers), k-of-n replica groups and
    several features, i.e. everything exact analysis has to get right.
    """
    n = draw(st.integers(1, max_components))
    arch = Architecture("random")
    names = [f"c{i}" for i in range(n)]
    for name in names:
        arch.add_component(name, draw(availabilities))
    for i in range(n):
        for j in range(i + 1, n):
            kind = draw(st.sampled_from([None, None, "hard", "hard", "soft"]))
            if kind:
                arch.add_dependency(names[i], names[j], kind)
    groups = []
    if with_groups and n >= 2:
        for g in range(draw(st.integers(0, 2))):
            members = draw(st.lists(st.sampled_from(names), min_size=1, max_size=n, unique=True))
            k = draw(st.integers(1, len(members)))
            group = f"g{g}"
            arch.add_group(group, members, k)
            groups.append(group)
            callers = [c for c in names if all(c != m for m in members)]
            if callers and draw(st.booleans()):
                caller = draw(st.sampled_from(callers))
                # keep it acyclic: only callers that no member reaches
                import networkx as nx
                if not any(nx.has_path(arch.graph, m, caller) for m in members):
                    arch.add_dependency(caller, group, draw(st.sampled_from(["hard", "soft"])))
    everything = names + groups
    for f in range(draw(st.integers(0, 3))):
        required = draw(st.lists(st.sampled_from(everything), min_size=1, max_size=4, unique=True))
        arch.add_feature(f"f{f}", required)
    return arch
