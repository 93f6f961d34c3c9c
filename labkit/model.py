"""The model: components, their dependencies, features and failure domains, as plain data.

An :class:`Architecture` is a thin, validated wrapper around a ``networkx.DiGraph`` whose
edges point from a caller to what it calls. Everything else in labkit (analysis, simulation,
views) is a function of it.

What the words mean (the lessons' [glossary](../lessons/glossary.md) defines them for learners):

- A **component** is up with steady-state probability ``availability`` (or
  ``mtbf / (mtbf + mttr)``), independently of every other component.
- It **works** when it is up, every **hard** dependency works, and, for a replica
  **group**, at least ``k`` of its members work. A **soft** dependency never stops its caller:
  it only takes away the features that need it (graceful degradation).
- A **feature** (a user journey: "buy", "whole page") names the components that must work for
  a request to count as served.
- A **failure domain** (zone, region, deployment wave, shared database) is just another
  component that its members hard-depend on; correlated failure needs no special maths.
- **Partitions** say which share of customers each feature serves (one cell each, say), so a
  failure's blast radius is the share of customers whose feature stops working.

>>> arch = Architecture("shop")
>>> arch.add_component("web", availability=0.999).add_component("db", availability=0.9995)
Architecture('shop', 2 components)
>>> arch.add_dependency("web", "db")
Architecture('shop', 2 components)
>>> arch.feature_names
['serve']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

import networkx as nx
import numpy as np

from .errors import (check_choice, check_count, check_flag, check_name, check_names,
                     check_number, check_positive, check_probability, check_text, fail)
from .formulas import availability_from_mtbf

DEPENDENCY_KINDS = ("hard", "soft")
COMPONENT_KINDS = ("client", "service", "load balancer", "router", "database", "cache",
                   "queue", "worker", "domain", "group", "cell")
DEFAULT_FEATURE = "serve"
# Exact analysis and the diagram stay quick up to here; the Ring capstone needs a few hundred.
MAX_COMPONENTS = 10_000
MAX_DEPENDENCIES = 100_000


class _Unset:
    """The default of ``availability``: not given, as opposed to an explicit None."""

    def __repr__(self) -> str:
        return "<perfect: 1.0 unless mtbf/mttr are given>"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Component:
    """One box in the diagram: something that can be up or down.

    ``availability`` is the probability it is up at a random moment (1.0 if not given). Give
    either it, or ``mtbf`` and ``mttr`` (any one time unit), from which
    ``availability = mtbf / (mtbf + mttr)``.

    >>> Component("db", mtbf=999.0, mttr=1.0).availability
    0.999
    """

    name: str
    availability: float = UNSET
    mtbf: float | None = None
    mttr: float | None = None
    kind: str = "service"
    capacity: float = math.inf
    latency_ms: float = 0.0
    k: int | None = None
    description: str = ""
    pos: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        check_name("name", self.name)
        check_choice("kind", self.kind, COMPONENT_KINDS)
        check_text("description", self.description)
        if self.mtbf is not None or self.mttr is not None:
            derived = availability_from_mtbf(self.mtbf, self.mttr)
            # A copy made with dataclasses.replace carries the derived value along: fine.
            if self.availability is not UNSET and self.availability != derived:
                raise fail("availability", self.availability,
                           "give either availability or mtbf and mttr, not both")
            object.__setattr__(self, "availability", derived)
        elif self.availability is UNSET:
            object.__setattr__(self, "availability", 1.0)
        else:
            object.__setattr__(self, "availability",
                               check_probability("availability", self.availability))
        if not (isinstance(self.capacity, float) and self.capacity == math.inf):
            check_positive("capacity", self.capacity)
        check_number("latency_ms", self.latency_ms, low=0.0,
                     allowed="expected a finite number of milliseconds, at least 0")
        if self.kind == "group":
            check_count("k", self.k, low=1)
        elif self.k is not None:
            raise fail("k", self.k, "only a replica group has k (use Architecture.add_group)")
        if self.pos is not None:
            if not isinstance(self.pos, tuple) or len(self.pos) != 2:
                raise fail("pos", self.pos, "expected an (x, y) pair of numbers")
            for value in self.pos:
                check_number("pos", value)


@dataclass(frozen=True)
class Feature:
    """A user journey and the components that must work for it to be served."""

    name: str
    requires: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Scenario:
    """A named break the learner can apply at once (a poison request, a zone outage)."""

    name: str
    crashes: tuple[str, ...]
    description: str = ""


@dataclass
class Architecture:
    """A dependency graph of components with features, partitions and scenarios.

    Builder methods validate everything before they change anything, so a call that raises
    leaves the architecture as it was; they return the architecture, so calls chain.
    """

    name: str
    description: str = ""
    graph: nx.DiGraph = field(default_factory=nx.DiGraph, repr=False)
    features: dict[str, Feature] = field(default_factory=dict, repr=False)
    partitions: dict[str, float] = field(default_factory=dict, repr=False)
    scenarios: dict[str, Scenario] = field(default_factory=dict, repr=False)
    version: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        check_name("name", self.name)
        check_text("description", self.description)

    def __repr__(self) -> str:
        return f"Architecture({self.name!r}, {len(self.graph)} components)"

    # -- building ----------------------------------------------------------------------

    def _changed(self) -> "Architecture":
        # Compiled analyses are cached per version; any edit invalidates them.
        self.version += 1
        return self

    def add(self, component: Component) -> "Architecture":
        """Add a :class:`Component`; names are unique. Replica groups come from :meth:`add_group`."""
        if not isinstance(component, Component):
            raise fail("component", component, "expected a labkit Component")
        if component.kind == "group":
            raise fail("kind", component.kind, "a replica group needs members: use add_group")
        self._check_new_component(component.name)
        self.graph.add_node(component.name, component=component)
        return self._changed()

    def add_component(self, name: str, availability: float = UNSET, **details) -> "Architecture":
        """Add a component by name; ``details`` are :class:`Component` fields.

        >>> Architecture("a").add_component("app", 0.999).availability_of("app")
        0.999
        """
        try:
            component = Component(name, availability, **details)
        except TypeError as exc:  # an unknown keyword: name the ones that exist
            raise fail("details", sorted(details), "expected Component fields: mtbf, mttr, "
                       "kind, capacity, latency_ms, description, pos") from exc
        return self.add(component)

    def add_dependency(self, caller: str, callee: str, kind: str = "hard") -> "Architecture":
        """``caller`` calls ``callee``; ``kind`` is ``"hard"`` (fails the caller) or ``"soft"``."""
        self._require_component("caller", caller)
        self._require_component("callee", callee)
        check_choice("kind", kind, DEPENDENCY_KINDS)
        if self.component(caller).kind == "group":
            raise fail("caller", caller, "a replica group only has members; add dependencies "
                       "to its members instead")
        self._check_new_edge(caller, callee)
        self.graph.add_edge(caller, callee, kind=kind)
        return self._changed()

    def add_dependencies(self, caller: str, callees: Iterable[str], kind: str = "hard") -> "Architecture":
        """``caller`` calls each of ``callees`` (all checked before any is added)."""
        callees = check_names("callees", callees)
        self._require_component("caller", caller)
        check_choice("kind", kind, DEPENDENCY_KINDS)
        if len(set(callees)) != len(callees):
            raise fail("callees", callees, "each callee may appear only once")
        for callee in callees:
            self._require_component("callees", callee)
            if self.component(caller).kind == "group":
                raise fail("caller", caller, "a replica group only has members; add "
                           "dependencies to its members instead")
            self._check_new_edge(caller, callee)
        for callee in callees:
            self.graph.add_edge(caller, callee, kind=kind)
        return self._changed()

    def add_queue(self, producer: str, consumer: str, *, deadline: float,
                  per_request: float = 1.0) -> "Architecture":
        """``producer`` hands work to ``consumer`` through a queue (event-driven design).

        The request that produced the work does not wait for it: for availability the
        queue is a soft dependency, so a slow or dead consumer never fails a request. Its
        work waits in the queue instead, and is late once it has waited ``deadline``
        seconds. ``per_request``: work items each served request puts on the queue. The
        simulation drains the queue at the consumer's ``capacity`` (items per second); a
        replica group as the consumer is a pool of workers, draining it at what its members
        up add up to.

        >>> a = Architecture("a").add_component("api").add_component("transcode", capacity=50)
        >>> a.add_queue("api", "transcode", deadline=300, per_request=0.1).queues()
        [('api', 'transcode', 300.0, 0.1)]
        """
        self._require_component("producer", producer)
        self._require_component("consumer", consumer)
        deadline = check_number("deadline", deadline, low=0.0, low_open=True, high=86_400.0,
                                allowed="expected seconds above 0, at most a day (86,400)")
        per_request = check_number("per_request", per_request, low=0.0, low_open=True, high=1e6,
                                   allowed="expected work items per request above 0")
        # A group of consumers is a worker pool draining one queue; a group cannot produce
        # work (its members do, each for the requests it serves).
        if self.component(producer).kind == "group":
            raise fail("producer", producer, "a replica group only has members; queue from one")
        self._check_new_edge(producer, consumer)
        self.graph.add_edge(producer, consumer, kind="soft", queue=True, deadline=deadline,
                            per_request=per_request)
        return self._changed()

    def queues(self) -> list[tuple[str, str, float, float]]:
        """(producer, consumer, deadline in seconds, work items per request) for every queue."""
        return [(a, b, data["deadline"], data["per_request"])
                for a, b, data in self.graph.edges(data=True) if data.get("queue")]

    def add_group(self, name: str, members: Iterable[str], k: int = 1, *, description: str = "",
                  pos: tuple[float, float] | None = None) -> "Architecture":
        """Replicas: the group works when at least ``k`` of ``members`` work.

        The group itself never fails; its members do. Callers depend on the group.
        """
        members = self._new_members(name, members)
        check_count("k", k, low=1, high=len(members))
        group = Component(name, kind="group", k=k, description=description, pos=pos)
        self.graph.add_node(name, component=group)
        for member in members:
            self.graph.add_edge(name, member, kind="member")
        return self._changed()

    def add_failure_domain(self, name: str, members: Iterable[str], availability: float = UNSET,
                           *, kind: str = "domain", description: str = "",
                           **details) -> "Architecture":
        """A shared thing whose failure takes all ``members`` down together (zone, region, wave).

        Modelled as a component the members hard-depend on, so exact analysis covers it.
        """
        members = self._new_members(name, members)
        if kind == "group":
            raise fail("kind", kind, "a failure domain is a component that can fail, not a group")
        try:
            domain = Component(name, availability, kind=kind, description=description, **details)
        except TypeError as exc:
            raise fail("details", sorted(details), "expected Component fields") from exc
        self.graph.add_node(name, component=domain)
        for member in members:  # a brand-new node has no dependencies: no cycle is possible
            self.graph.add_edge(member, name, kind="hard")
        return self._changed()

    def add_feature(self, name: str, requires: Iterable[str], description: str = "") -> "Architecture":
        """A user journey served only when every component in ``requires`` works."""
        check_name("name", name)
        requires = check_names("requires", requires)
        check_text("description", description)
        if not requires:
            raise fail("requires", requires, "expected at least one component name")
        for required in requires:
            self._require_component("requires", required)
        if name in self.features:
            raise fail("name", name, "a feature with this name already exists")
        self.features[name] = Feature(name, tuple(requires), description)
        return self._changed()

    def set_partitions(self, shares: Mapping[str, float]) -> "Architecture":
        """Which share of customers each feature serves; shares must add up to 1."""
        if not isinstance(shares, Mapping) or not shares:
            raise fail("shares", shares, "expected a non-empty mapping of feature name to share")
        for feature, share in shares.items():
            if not isinstance(feature, str) or feature not in self.feature_names:
                raise fail("shares", feature, "expected feature names from "
                           + ", ".join(repr(f) for f in self.feature_names[:12]))
            check_probability(f"shares[{feature!r}]", share)
        total = math.fsum(shares.values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise fail("shares", dict(shares), f"shares must add up to 1 (they add up to {total:g})")
        self.partitions = {feature: float(share) for feature, share in shares.items()}
        return self._changed()

    def add_scenario(self, name: str, crashes: Iterable[str], description: str = "") -> "Architecture":
        """A named set of components to crash at once."""
        check_name("name", name)
        crashes = check_names("crashes", crashes)
        check_text("description", description)
        if name in self.scenarios:
            raise fail("name", name, "a scenario with this name already exists")
        if not crashes:
            raise fail("crashes", crashes, "expected at least one component to crash")
        for crashed in crashes:
            self._require_component("crashes", crashed)
            if self.component(crashed).kind == "group":
                raise fail("crashes", crashed, "a replica group cannot crash; crash its members")
        self.scenarios[name] = Scenario(name, tuple(dict.fromkeys(crashes)), description)
        return self._changed()

    # -- checks made before anything changes -------------------------------------------

    def _check_new_component(self, name: str) -> None:
        if name in self.graph:
            raise fail("name", name, f"a component with this name already exists in "
                       f"{self.name!r}; names must be unique")
        if len(self.graph) >= MAX_COMPONENTS:
            raise fail("component", name, f"an architecture holds at most {MAX_COMPONENTS:,} "
                       "components")

    def _new_members(self, name: str, members: Any) -> list[str]:
        """Validate a new group's or domain's name and members; change nothing."""
        check_name("name", name)
        members = check_names("members", members)
        if not members:
            raise fail("members", members, "expected at least one member component")
        for member in members:
            self._require_component("members", member)
        if len(set(members)) != len(members):
            raise fail("members", members, "each member may appear only once")
        self._check_new_component(name)
        if self.graph.number_of_edges() + len(members) > MAX_DEPENDENCIES:
            raise fail("members", members, f"an architecture holds at most "
                       f"{MAX_DEPENDENCIES:,} dependencies")
        return members

    def _check_new_edge(self, caller: str, callee: str) -> None:
        if caller == callee or nx.has_path(self.graph, callee, caller):
            raise fail("dependency", f"{caller} -> {callee}",
                       "dependencies must not form a cycle (a component cannot depend on itself, "
                       "directly or through others)")
        if self.graph.has_edge(caller, callee):
            raise fail("dependency", f"{caller} -> {callee}", "this dependency already exists")
        if self.graph.number_of_edges() >= MAX_DEPENDENCIES:
            raise fail("dependency", f"{caller} -> {callee}", f"an architecture holds at most "
                       f"{MAX_DEPENDENCIES:,} dependencies")

    def _require_component(self, argument: str, name: Any) -> None:
        if not isinstance(name, str) or name not in self.graph:
            known = ", ".join(repr(n) for n in list(self.graph)[:12])
            more = ", ..." if len(self.graph) > 12 else ""
            raise fail(argument, name, f"expected a component of {self.name!r}: {known}{more}"
                       if known else f"{self.name!r} has no components yet")

    # -- reading -----------------------------------------------------------------------

    @property
    def components(self) -> list[str]:
        """Component names, in the order they were added."""
        return list(self.graph.nodes)

    @property
    def breakable(self) -> list[str]:
        """Components that can fail (everything but replica groups), in the order added."""
        return [n for n, data in self.graph.nodes(data=True) if data["component"].kind != "group"]

    def component(self, name: str) -> Component:
        self._require_component("name", name)
        return self.graph.nodes[name]["component"]

    def availability_of(self, name: str) -> float:
        return self.component(name).availability

    def dependencies(self, name: str, kind: str | None = None) -> list[str]:
        """What ``name`` calls (``kind`` ``"hard"``, ``"soft"`` or ``"member"``; all if None)."""
        self._require_component("name", name)
        if kind is not None:
            check_choice("kind", kind, DEPENDENCY_KINDS + ("member",))
        return [callee for callee, data in self.graph.succ[name].items()
                if kind is None or data["kind"] == kind]

    def needs(self, names: Iterable[str]) -> set[str]:
        """Every component ``names`` need to work: themselves, what they hard-depend on, and
        the members of their groups, all the way down (soft dependencies and queues never
        decide whether a caller works).

        >>> from labkit.catalog import monolith
        >>> sorted(monolith().needs(["app"]))
        ['app', 'db', 'server']
        """
        seen: set[str] = set()
        todo = list(check_names("names", names))
        for name in todo:
            self._require_component("names", name)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(d for d, data in self.graph.succ[node].items() if data["kind"] != "soft")
        return seen

    def replica_share(self, name: str, up: Mapping[str, Any] | None = None) -> Any:
        """The share of the requests reaching ``name``'s replica group that ``name`` serves.

        1 for a component in no group. A group serves what its members add up to, so each
        member up takes a share in proportion to its capacity (equal shares when capacities
        are unlimited), and a member that is down takes none. ``up``: name -> bool, or
        boolean arrays over time (the simulation's component states); default: all up.
        Nested groups multiply; a component in several groups takes its first.

        >>> a = Architecture("a").add_component("app-1", capacity=300)
        >>> a = a.add_component("app-2", capacity=100).add_group("apps", ["app-1", "app-2"])
        >>> a.replica_share("app-1"), a.replica_share("app-1", {"app-2": False})
        (0.75, 1.0)
        """
        self._require_component("name", name)
        if up is not None and not isinstance(up, Mapping):
            raise fail("up", up, "expected a mapping of component names to up (True/False), "
                       "or None for everything up")
        groups = [g for g, data in self.graph.pred[name].items() if data["kind"] == "member"]
        if not groups:
            return 1.0
        share = self._part_of_group(groups[0], name, up) * self.replica_share(groups[0], up)
        return float(share) if np.ndim(share) == 0 else share

    def _part_of_group(self, group: str, member: str, up: Mapping[str, Any] | None) -> Any:
        """``member``'s part of the requests its ``group`` receives (capacity-weighted among
        the members up; 0 for a member down, or when no member is up)."""
        if up is not None and not isinstance(up, Mapping):
            raise fail("up", up, "expected a mapping of component names to up (True/False), "
                       "or None for everything up")

        def weight(name):
            component = self.component(name)
            if component.kind == "group":   # a group of replicas weighs what its members add up to
                return sum(weight(m) for m in self.dependencies(name, "member"))
            # Unlimited members share equally: weigh each as one.
            size = 1.0 if not math.isfinite(component.capacity) else float(component.capacity)
            if up is None or name not in up:
                return size
            return np.asarray(up[name], dtype=float) * size

        total = sum(weight(m) for m in self.dependencies(group, "member"))
        mine = np.asarray(weight(member))
        total = np.asarray(total)
        part = np.where(total > 0, mine / np.where(total > 0, total, 1.0), 0.0)
        return float(part) if np.ndim(part) == 0 else part

    def load_shares(self, names: Iterable[str], up: Mapping[str, Any] | None = None, *,
                    soft: bool = False) -> dict[str, Any]:
        """The share of the requests entering ``names`` that reaches each component they need.

        Every request through a component calls each of its hard dependencies, so a component
        passes its whole share to each; a replica group splits its share among its members by
        :meth:`replica_share`; shares arriving from several callers add up (soft
        dependencies and queues carry none). A component's capacity then limits the requests
        entering ``names`` to ``capacity / share``: two web replicas in front of one api tier
        send it all their requests between them, not twice as many. With ``soft=True`` soft
        dependencies receive their callers' shares too (they are called, though not needed):
        what a component must carry, rather than what a feature needs. A router's soft links
        are its routes, each taking only its own customers' requests, so none is followed.

        >>> a = Architecture("a").add_component("web-1").add_component("web-2").add_component("api")
        >>> a = a.add_dependency("web-1", "api").add_dependency("web-2", "api")
        >>> a.add_group("web", ["web-1", "web-2"]).load_shares(["web"])
        {'web': 1.0, 'web-1': 0.5, 'web-2': 0.5, 'api': 1.0}
        """
        names = check_names("names", names)
        soft = check_flag("soft", soft)
        for name in names:
            self._require_component("names", name)
        if up is None:
            # Simulations ask for the same shares run after run (a panel's every knob):
            # cached per version of the architecture, as compiled analyses are.
            cached = getattr(self, "_shares_cache", None)
            if cached is None or cached[0] != self.version:
                cached = self._shares_cache = (self.version, {})
            key = (tuple(names), soft)
            if key not in cached[1]:
                cached[1][key] = self._load_shares(names, None, soft)
            return dict(cached[1][key])
        return self._load_shares(names, up, soft)

    def _load_shares(self, names: list[str], up: Mapping[str, Any] | None,
                     soft: bool) -> dict[str, Any]:
        needed = self.needs(names)
        if soft:
            reached, todo = set(), list(needed)
            while todo:
                node = todo.pop()
                if node not in reached:
                    reached.add(node)
                    todo.extend(d for d in self._callees(node, soft=True))
            needed = reached
        shares: dict[str, Any] = {}
        for name in names:
            shares[name] = shares.get(name, 0.0) + 1.0
        # Callers before callees: a component's share is complete before it is passed on.
        for node in nx.topological_sort(self.graph.subgraph(needed)):
            share = shares.get(node)
            if share is None:
                continue
            if self.component(node).kind == "group":
                for member in self.dependencies(node, "member"):
                    part = share * self._part_of_group(node, member, up)
                    shares[member] = shares.get(member, 0.0) + part
            for dep in self._callees(node, soft):
                if self.graph.edges[node, dep]["kind"] != "member":
                    shares[dep] = shares.get(dep, 0.0) + share
        return shares

    def _callees(self, name: str, soft: bool) -> list[str]:
        """Who ``name`` passes a request on to: its hard dependencies and group members, and
        with ``soft`` its soft ones too (not a queue's consumer, nor a router's routes)."""
        out = []
        for callee, data in self.graph.succ[name].items():
            if data["kind"] in ("hard", "member"):
                out.append(callee)
            elif (soft and data["kind"] == "soft" and not data.get("queue")
                  and self.component(name).kind != "router"):
                out.append(callee)
        return out

    def dependents(self, name: str) -> list[str]:
        """Who calls ``name``."""
        self._require_component("name", name)
        return list(self.graph.pred[name])

    @property
    def entry_points(self) -> list[str]:
        """Components nobody calls: where requests come in."""
        return [n for n in self.graph if self.graph.in_degree(n) == 0]

    @property
    def feature_names(self) -> list[str]:
        return list(self.features) if self.features else [DEFAULT_FEATURE]

    def feature(self, name: str | None = None) -> Feature:
        """The named feature; without a name, the first (primary) one.

        An architecture with no declared features has one, ``"serve"``, needing every entry point.
        """
        self.validate()
        if not self.features:
            if name not in (None, DEFAULT_FEATURE):
                raise fail("feature", name, f"expected {DEFAULT_FEATURE!r} (no features declared)")
            return Feature(DEFAULT_FEATURE, tuple(self.entry_points), "every entry point works")
        if name is None:
            return next(iter(self.features.values()))
        if not isinstance(name, str) or name not in self.features:
            raise fail("feature", name, "expected one of "
                       + ", ".join(repr(f) for f in list(self.features)[:12])
                       + (", ..." if len(self.features) > 12 else ""))
        return self.features[name]

    @property
    def customer_shares(self) -> dict[str, float]:
        """Feature -> share of customers it serves (defaults to all customers on the primary one)."""
        return dict(self.partitions) if self.partitions else {self.feature().name: 1.0}

    def edges(self) -> list[tuple[str, str, str]]:
        """(caller, callee, kind) for every dependency, kind in hard / soft / member."""
        return [(a, b, data["kind"]) for a, b, data in self.graph.edges(data=True)]

    def validate(self) -> "Architecture":
        """Raise :class:`LabkitError` if the architecture cannot be analysed."""
        if len(self.graph) == 0:
            raise fail("architecture", self.name, "expected at least one component")
        return self

    # -- variations --------------------------------------------------------------------

    def copy(self, name: str | None = None) -> "Architecture":
        clone = Architecture(self.name if name is None else name, self.description,
                             self.graph.copy(), dict(self.features), dict(self.partitions),
                             dict(self.scenarios))
        return clone

    def with_availability(self, overrides: Mapping[str, float] | None = None, **by_name: float) -> "Architecture":
        """A copy with some components' availability changed (crash = 0, perfect = 1).

        >>> from labkit.catalog import monolith
        >>> monolith().with_availability(db=0.99).availability_of("db")
        0.99
        """
        if overrides is not None and not isinstance(overrides, Mapping):
            raise fail("overrides", overrides, "expected a mapping of component name to availability")
        changes = dict(overrides or {}, **by_name)
        for name, value in changes.items():
            self._require_component("overrides", name)
            if self.component(name).kind == "group":
                raise fail("overrides", name, "a replica group has no availability of its own; "
                           "change its members' availability instead")
            check_probability(f"availability of {name!r}", value)
        clone = self.copy()
        for name, value in changes.items():
            old = clone.component(name)
            clone.graph.nodes[name]["component"] = replace(old, availability=float(value),
                                                           mtbf=None, mttr=None)
        return clone._changed()

    def __deepcopy__(self, memo):  # networkx graphs copy fine; keep Components shared (frozen)
        return self.copy()


def as_architecture(value, argument: str = "architecture") -> Architecture:
    """Accept an Architecture (validated) or raise a clear error."""
    if not isinstance(value, Architecture):
        raise fail(argument, value, "expected a labkit Architecture (see labkit.catalog)")
    return value.validate()


__all__ = ["Architecture", "Component", "Feature", "Scenario", "as_architecture",
           "DEPENDENCY_KINDS", "COMPONENT_KINDS", "MAX_COMPONENTS", "MAX_DEPENDENCIES", "UNSET"]
