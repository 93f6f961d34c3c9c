"""Component states over time: random failure and repair from MTBF/MTTR, plus scheduled faults,
and what follows from them per step: which cells work, their capacity and latency.

Everything here is vectorised across time: a run's whole timeline is computed before the
engine's step loop starts. Components fail independently (an alternating renewal process
with exponential up and down times) unless they share a failure domain, exactly as the exact
analysis assumes, so long-run time-up agrees with :func:`labkit.availability`.

>>> import numpy as np
>>> from labkit.catalog import monolith
>>> up = up_timelines(monolith(), steps=4, step=1.0, faults=[], seed=0, random_failures=False)
>>> bool(up.all())
True
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from ..errors import check_positive, fail
from ..model import Architecture
from ..structure import component_works

DEFAULT_MTTR = 3600.0  # seconds to repair when a component states only its availability


def up_timelines(arch: Architecture, steps: int, step: float, faults: list, seed: int,
                 random_failures: bool, mttr: float = DEFAULT_MTTR) -> np.ndarray:
    """(steps, breakable components) booleans: is each component up during each step?

    With ``random_failures`` each component alternates between up and down with exponential
    times of mean MTBF and MTTR (its own, or MTTR = ``mttr`` and MTBF from its availability),
    starting in its steady state; then every crash fault holds its target down.
    """
    names = arch.breakable
    up = np.ones((steps, len(names)), dtype=bool)
    if random_failures:
        mttr = check_positive("mttr", mttr)
        rng = np.random.default_rng(seed)
        horizon = steps * step
        for j, name in enumerate(names):
            c = arch.component(name)
            a = c.availability
            if a >= 1.0:
                continue
            if a <= 0.0:
                up[:, j] = False
                continue
            down_mean = c.mttr if c.mttr is not None else mttr
            up_mean = c.mtbf if c.mtbf is not None else down_mean * a / (1.0 - a)
            up[:, j] = _alternating(rng, horizon, step, steps, up_mean, down_mean, a)
    column = {name: j for j, name in enumerate(names)}
    for f in faults:
        if f.kind == "crash":
            first, last = _window(f, step, steps)
            up[first:last, column[f.target]] = False
    return up


def _alternating(rng, horizon, step, steps, up_mean, down_mean, availability) -> np.ndarray:
    # Start in the steady state (up with probability = availability); then alternate.
    state = rng.random() < availability
    # Enough cycles to pass the horizon with overwhelming probability, then top up if not.
    t, edges, states = 0.0, [0.0], [state]
    while t < horizon:
        mean = up_mean if state else down_mean
        t += rng.exponential(mean)
        state = not state
        edges.append(t)
        states.append(state)
    starts = np.arange(steps) * step
    # The state during a step is the state at its start (steps are short next to MTBF/MTTR).
    index = np.searchsorted(np.array(edges), starts, side="right") - 1
    return np.array(states)[index]


def _window(fault, step: float, steps: int) -> tuple[int, int]:
    first = int(math.floor(fault.at / step + 1e-9))
    last = int(math.ceil(fault.end / step - 1e-9))
    return min(first, steps), min(max(last, first + 1), steps)


def closure(arch: Architecture, name: str) -> set[str]:
    """Every component ``name`` needs: itself, its hard dependencies and group members."""
    return arch.needs([name])


def cell_features(arch: Architecture) -> list[str]:
    """The features that partition customers (cells), in the order of their shares."""
    return list(arch.customer_shares)


def works_over_time(arch: Architecture, up: np.ndarray, features: list[str]) -> np.ndarray:
    """(steps, features) booleans: does each feature work during each step?"""
    works = component_works(arch, up, arch.breakable)
    return np.stack([np.logical_and.reduce([works[r] for r in arch.feature(f).requires])
                     for f in features], axis=1)


def capacity_over_time(arch: Architecture, up: np.ndarray, features: list[str]) -> np.ndarray:
    """(steps, features) requests per second each feature can serve during each step.

    Each component a feature needs receives a share of its requests
    (:meth:`~labkit.model.Architecture.load_shares`: a replica group splits them among its
    members up, by capacity; every request through a component calls each of its hard
    dependencies) and limits the feature to ``capacity / share`` while up, 0 while down. A
    shared component below replicas is counted once: two web replicas in front of one api
    tier carry no more than the api tier. Infinite means unlimited.
    """
    # Requests go only to components that work (up, and what they hard-depend on works).
    states = component_works(arch, up, arch.breakable)
    steps = len(up)
    out = np.empty((steps, len(features)))
    for i, feature in enumerate(features):
        capacity = np.full(steps, np.inf)
        requires = arch.feature(feature).requires
        # Without replicas the shares do not change as components fail: work them out once.
        grouped = any(arch.component(c).kind == "group" for c in arch.needs(requires))
        for name, share in arch.load_shares(requires, states if grouped else None).items():
            component = arch.component(name)
            if component.kind == "group":
                # A group that does not work serves nothing (its members carry no share then).
                capacity = np.where(states[name], capacity, 0.0)
                continue
            limit = np.where(states[name], float(component.capacity), 0.0)
            if np.ndim(share) == 0:
                if share > 0:
                    capacity = np.minimum(capacity, limit / share)
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                capacity = np.minimum(capacity, np.where(share > 0, limit / np.where(share > 0, share, 1.0),
                                                         np.inf))
        out[:, i] = capacity
    return out


def serving_capacity(arch: Architecture, name: str, works: dict[str, np.ndarray]) -> np.ndarray:
    """Per step, what ``name`` can do while it works: its capacity, or for a replica group
    (a pool of workers) what its members that work add up to; 0 while it does not work."""
    component = arch.component(name)
    if component.kind == "group":
        own = np.sum([serving_capacity(arch, m, works) for m in arch.dependencies(name, "member")],
                     axis=0)
    else:
        own = float(component.capacity)
    return np.where(works[name], own, 0.0)


def shared_capacity(arch: Architecture, up: np.ndarray, features: list[str]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Components with a finite capacity that more than one feature needs, and who needs them.

    Returns ``(capacity, users)``: (steps, m) requests per second each such component can
    serve (0 while down) and an (m, features) boolean matrix. The engine divides each one's
    capacity among the features that need it, in proportion to their demand: a shared
    database is one database, however many cells call it.
    """
    column = {name: j for j, name in enumerate(arch.breakable)}
    needs = [set().union(*(closure(arch, r) for r in arch.feature(f).requires)) for f in features]
    shared = [c for c in arch.breakable if math.isfinite(arch.component(c).capacity)
              and sum(c in n for n in needs) > 1]
    capacity = np.stack([np.where(up[:, column[c]], float(arch.component(c).capacity), 0.0)
                         for c in shared], axis=1) if shared else np.zeros((len(up), 0))
    users = np.array([[c in n for n in needs] for c in shared], dtype=bool).reshape(len(shared),
                                                                                   len(features))
    return capacity, users


def base_latency(arch: Architecture, feature: str) -> float:
    """Milliseconds of a call that works: the longest path of ``latency_ms`` through what
    the feature needs (calls to different dependencies run in parallel)."""
    # One walk serves every feature; cached per version of the architecture (a Ring run asks
    # for 32 cells, and a panel asks again at every knob).
    cached = getattr(arch, "_latency_cache", None)
    if cached is None or cached[0] != arch.version:
        longest: dict[str, float] = {}
        for name in reversed(list(nx.topological_sort(arch.graph))):
            below = [longest[d] for d, data in arch.graph.succ[name].items() if data["kind"] != "soft"]
            longest[name] = arch.component(name).latency_ms + max(below, default=0.0)
        cached = arch._latency_cache = (arch.version, longest)
    return max(cached[1][r] for r in arch.feature(feature).requires)


def affected(arch: Architecture, features: list[str], fault) -> np.ndarray:
    """Which of ``features`` a fault touches: those that need its target (all for ``"*"``)."""
    if fault.target == "*":
        return np.ones(len(features), dtype=bool)
    if fault.target not in arch.graph:  # a customer partition (a spike in its traffic)
        return np.array([f == fault.target for f in features])
    return np.array([fault.target in set().union(*(closure(arch, r) for r in arch.feature(f).requires))
                     for f in features])


def per_feature(arch: Architecture, features: list[str], faults: list, kind: str, steps: int,
                step: float) -> np.ndarray:
    """(steps, features): the summed ``amount`` of faults of ``kind`` affecting each feature
    (1 per fault for blips, which have no amount)."""
    out = np.zeros((steps, len(features)))
    for fault in faults:
        if fault.kind == kind:
            first, last = _window(fault, step, steps)
            out[first:last, affected(arch, features, fault)] += fault.amount if kind != "blip" else 1.0
    return out


def error_shares(arch: Architecture, features: list[str], faults: list, steps: int,
                 step: float) -> np.ndarray:
    """(steps, features): the share of calls that fail because of error-rate faults.

    Faults on different components of one feature compound: 1 - (1 - r1)(1 - r2)...
    """
    keep = np.ones((steps, len(features)))
    for fault in faults:
        if fault.kind == "error rate":
            keep *= 1.0 - per_feature(arch, features, [fault], "error rate", steps, step)
    return 1.0 - keep


def check_cells(arch: Architecture) -> list[str]:
    """The cells of ``arch`` for simulation: its customer partitions (at least one)."""
    features = cell_features(arch)
    if len(features) > 1024:
        raise fail("architecture", arch.name, "expected at most 1,024 customer partitions "
                   "(cells) to simulate")
    return features


def time_up(arch: Architecture, duration: float, step: float = 60.0, seed: int = 0,
            mttr: float = DEFAULT_MTTR, batches: int = 50) -> dict:
    """Share of time each feature works when components fail and get repaired at random.

    A second, independent route to the "time up" view of availability: the exact analysis
    says what share of time a feature works in the long run; this watches it happen. Returns
    feature -> :class:`labkit.analysis.Estimate`, whose standard error comes from ``batches``
    consecutive batch means (neighbouring steps are correlated, so per-step counting would
    claim more certainty than there is).

    >>> from labkit.catalog import monolith
    >>> estimate = time_up(monolith().with_availability(app=0.9), duration=3e7, seed=1)["buy"]
    >>> abs(estimate.value - 0.9 * 0.9995 * 0.9995) < 4 * estimate.standard_error
    True
    """
    from ..analysis import Estimate
    from ..errors import check_count, check_number

    from ..model import as_architecture

    arch_ok = as_architecture(arch)
    step = check_number("step", step, low=1e-3, high=1e7, allowed="expected seconds per step")
    duration = check_number("duration", duration, low=step, high=1e12,
                            allowed="expected a run of at least one step")
    steps = int(duration // step)
    if steps > 2_000_000:
        raise fail("duration", duration, "expected at most 2,000,000 steps (use a longer step)")
    batches = check_count("batches", batches, low=2, high=max(2, steps))
    seed = check_count("seed", seed, low=0, high=2**63)
    features = arch_ok.feature_names
    up = up_timelines(arch_ok, steps, step, [], seed, True, mttr)
    works = works_over_time(arch_ok, up, features)
    usable = steps - steps % batches
    means = works[:usable].reshape(batches, -1, len(features)).mean(axis=1)
    out = {}
    for j, feature in enumerate(features):
        value = float(works[:, j].mean())
        error = float(means[:, j].std(ddof=1) / math.sqrt(batches))
        out[feature] = Estimate(value, error, steps)
    return out
