"""A resilience report after AWS Resilience Hub: targets, weak spots and what to do about them.

:func:`resilience_report` assesses an architecture against availability targets (and
optionally a recovery time objective and a peak load) and returns plain data: for each
feature its availability against its target (nines, downtime per year), its single points
of failure, the blast radius of each failure domain, spare capacity, and recommendations
derived from the model, **each with its computed effect**, ranked by that effect.
:func:`apply` turns a recommendation into a changed copy of the architecture, so running
the report again shows the effect come true.

What the numbers mean: availability is exact (labkit's BDD)
under the model's assumption that components fail independently unless they share a failure
domain; blast radius is the share of customers (the architecture's partitions; without
partitions every customer uses the primary feature) whose feature stops; downtime is per
365-day year. Recommendations:

- **add replica** of a single point of failure: a copy with the same dependencies, in a new
  failure domain if the original sits in one (a second zone), and the two made a replica group
  (works while either works). Effect: every feature's new exact availability. A single point
  of failure that is a zone gets "replicate the zone": every member copied into a new zone.
- **make soft** a hard dependency whose callee powers a feature of its own, so the caller's
  other features can degrade instead of fail (graceful degradation, S5). Effect: the new
  availability of each feature.
- **recover faster**, given an ``rto``: a single point of failure whose ``mttr`` exceeds the
  RTO, repaired within it. Effect: the new availability from ``mtbf / (mtbf + rto)``.
- **add cell**: one more copy of a cell; customers re-split so each has ``1/(N+1)``
  (blast radius of a cell ``1/N -> 1/(N+1)``, S6-S8). An architecture without cells is
  split into two (:func:`labkit.catalog.in_cells`).
- **add headroom** (with a ``load``): capacity for N+1, so losing one cell (or replica) needs
  no scaling: each of N cells needs ``static_stability_capacity(N) x load / N``; a single
  component that cannot carry the load gets raised to it. Effect: capacity left after losing
  one unit, against the load.
- **failover**: each cell's customers fail over to the next cell. Effect: new availability
  and a one-cell blast radius of 0, provided the survivors have headroom and the failure is
  not a poison request that follows its customer.
- **circuit breaker**: qualitative (the static model has no timeouts): per-cell breakers and
  breakers on soft dependencies, with what they buy; simulate them with ``labkit.simulation``.

Ranking: by ``score``, the share of the problem a recommendation removes (0 to 1): of the
targeted features' unavailability (mean over features), of a cell's blast radius, or of the
capacity shortfall after losing one unit; qualitative ones score 0 and come last.

>>> from labkit.catalog import monolith
>>> report = resilience_report(monolith(), 0.999)
>>> [(row["feature"], round(row["availability"], 6), row["met"]) for row in report.features][:1]
[('browse', 0.998001, False)]
>>> best = report.recommendations[0]
>>> best.action, best.target
('add replica', 'app')
>>> best.title                          # the copy runs on a second server
'add a replica of app in server-2'
>>> after = best.after["availability"]["browse"]   # (either app-and-server works) x db
>>> round(after, 9), round((1 - (1 - 0.999 * 0.9995) ** 2) * 0.9995, 9)
(0.999497753, 0.999497753)
>>> resilience_report(apply(monolith(), best), 0.999).features[0]["availability"] == after
True
"""

from __future__ import annotations

import html
import json
import math
import numbers
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import networkx as nx
import numpy as np

from .analysis import feature_availability, success_ratio
from .archfile import _Brief, dump_architecture, load_architecture
from .errors import LabkitError, check_choice, check_positive, fail
from .failures import single_points_of_failure
from .formulas import (downtime_per_year, format_duration, format_percent,
                       format_percent_against, nines)
from .model import Architecture, as_architecture
from .sharding import cells_needed, static_stability_capacity
from .structure import feature_works

ACTIONS = ("add headroom", "add replica", "make soft", "recover faster", "failover", "add cell",
           "circuit breaker")
MAX_TARGETS = 10_000
#: Recommendations of a kind are computed for at most this many candidates each: every
#: candidate costs one rebuild and one exact analysis.
MAX_CANDIDATES = 60
SAVE_SUFFIXES = (".md", ".json", ".html")


@dataclass(frozen=True)
class Recommendation:
    """One change to the architecture, with its effect computed by the model.

    ``before``/``after`` hold the measured values (``"availability"``: feature -> exact
    availability, ``"request_success_ratio"``, ``"cell_blast_radius"``,
    ``"capacity_after_losing_one"``...). ``params`` is what :func:`apply` needs (plain data).
    ``computed`` is False for the qualitative ones, whose effect the static model cannot show.
    """

    action: str
    target: str
    title: str
    why: str
    effect: str
    score: float
    computed: bool
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return _plain(asdict(self))


@dataclass
class ResilienceReport:
    """What :func:`resilience_report` found; plain lists and dicts (see :meth:`to_dict`).

    ``features``: one row per feature (availability, nines, downtime per year, target, met,
    single points of failure, recovery time against the RTO). ``blast_radius``: one row per
    failure domain, shared component and cell (share of customers affected, features lost).
    ``capacity``: one row per pool (cells, replica group, component, queue consumer) when a
    load was given; a consumer behind a queue is checked against the work its queues bring
    (``work_per_s``, :func:`queue_work`), not the request peak. ``recommendations``: ranked,
    best first.
    """

    architecture: str
    targets: dict[str, float]
    rto: float | None
    load: float | None
    request_success_ratio: float
    features: list[dict]
    single_points_of_failure: dict[str, list[str]]
    blast_radius: list[dict]
    capacity: list[dict]
    recommendations: list[Recommendation]
    notes: list[str]
    #: The unit of the components' mttr and of ``rto`` (the report cannot know it: it says it).
    time_unit: str = "h"

    @property
    def cell_blast_radius(self) -> float | None:
        """The largest share of customers one cell's failure affects (None without cells)."""
        cells = [row["customers_affected"] for row in self.blast_radius if row["kind"] == "cell"]
        return max(cells) if cells else None

    def feature(self, name: str) -> dict:
        """The row of one feature."""
        for row in self.features:
            if row["feature"] == name:
                return row
        raise fail("name", name, "expected a feature of the report: "
                   + ", ".join(repr(r["feature"]) for r in self.features[:12]))

    def to_dict(self) -> dict:
        """Plain data for JSON: infinite values (a perfect feature's nines) become None."""
        return _plain({"architecture": self.architecture, "targets": self.targets,
                       "rto": self.rto, "time_unit": self.time_unit, "load": self.load,
                       "request_success_ratio": self.request_success_ratio,
                       "features": self.features,
                       "single_points_of_failure": self.single_points_of_failure,
                       "blast_radius": self.blast_radius, "capacity": self.capacity,
                       "recommendations": [asdict(r) for r in self.recommendations],
                       "notes": self.notes})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def to_markdown(self) -> str:
        """The report as Markdown: tables and a numbered list of recommendations."""
        return _markdown(self)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (nothing fetched)."""
        return _html(self)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def save(self, path: Any) -> Path:
        """Write the report as .md, .json or .html (chosen by the file's suffix)."""
        try:
            target = Path(os.fspath(path))
        except TypeError:
            raise fail("path", _Brief(path), "expected a file path ending in "
                       + ", ".join(SAVE_SUFFIXES)) from None
        suffix = target.suffix.lower()
        if suffix not in SAVE_SUFFIXES:
            raise fail("path", _Brief(str(path)), "expected a file path ending in "
                       + ", ".join(SAVE_SUFFIXES))
        text = {".md": self.to_markdown, ".json": self.to_json, ".html": self.to_html}[suffix]()
        try:
            target.write_text(text, encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise fail("path", _Brief(str(path)), "expected a writable file "
                       f"({getattr(exc, 'strerror', None) or exc})") from None
        return target


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# -- checking arguments --------------------------------------------------------------------

def _target(argument: str, value: Any) -> float:
    allowed = "expected an availability target strictly between 0 and 1, e.g. 0.9999"
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise fail(argument, _Brief(value), allowed)
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        raise fail(argument, _Brief(value), allowed) from None
    if not 0.0 < number < 1.0:  # NaN fails too
        raise fail(argument, _Brief(value), allowed)
    return number


def _targets(arch: Architecture, targets: Any) -> dict[str, float]:
    if isinstance(targets, Mapping):
        if not targets or len(targets) > MAX_TARGETS:
            raise fail("targets", _Brief(targets), "expected a non-empty mapping of feature name "
                       "to availability target")
        out = {}
        for name, value in targets.items():
            if not isinstance(name, str) or name not in arch.feature_names:
                raise fail("targets", _Brief(name), "expected feature names of "
                           f"{arch.name!r}: " + ", ".join(repr(f) for f in arch.feature_names[:12]))
            out[name] = _target(f"targets[{name!r}]", value)
        return out
    target = _target("targets", targets)
    return {name: target for name in arch.feature_names}


def _optional_positive(argument: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(argument, _Brief(value), "expected None or a finite number above 0")
    return check_positive(argument, value)


# -- the structure of the architecture: cells, closures, capacity --------------------------

@dataclass(frozen=True)
class _Cell:
    feature: str
    entries: tuple[str, ...]   # what the feature requires beyond what every cell requires
    own: tuple[str, ...]       # components only this cell reaches, in the order added
    root: str | None           # one entry that needs all the others, if there is one


def _cells(arch: Architecture) -> tuple[list[_Cell], set[str]] | None:
    """The cells (customer partitions with components of their own) and what they share."""
    shares = arch.customer_shares
    if len(shares) < 2:
        return None
    requires = {f: arch.feature(f).requires for f in shares}
    common = set.intersection(*(set(r) for r in requires.values()))
    reach = {}
    for name, required in requires.items():
        entries = [r for r in required if r not in common]
        if not entries:
            return None
        found = set(entries)
        for entry in entries:
            found |= nx.descendants(arch.graph, entry)
        reach[name] = found
    counts = Counter(c for found in reach.values() for c in found)
    cells = []
    for name in shares:
        own = tuple(c for c in arch.components if c in reach[name] and counts[c] == 1)
        if not any(arch.component(c).kind != "group" for c in own):
            return None
        entries = tuple(r for r in requires[name] if r not in common)
        roots = [e for e in entries if set(entries) <= arch.needs([e])]
        cells.append(_Cell(name, entries, own, roots[0] if roots and roots[0] in own else None))
    shared = {c for c, n in counts.items() if n > 1} | common
    return cells, shared


def _own_capacity(arch: Architecture, name: str) -> float:
    """A unit's own capacity: a component's, or what a group's members add up to (what it
    calls is checked in rows of its own)."""
    component = arch.component(name)
    if component.kind != "group":
        return float(component.capacity)
    return math.fsum(_own_capacity(arch, m) for m in arch.dependencies(name, "member"))


def _cell_capacity(arch: Architecture, cell: _Cell) -> float:
    """Requests/s one cell can serve with everything up: the simulation's rule
    (:meth:`~labkit.model.Architecture.load_shares`), over the cell's own components."""
    own = set(cell.own)
    shares = arch.load_shares(arch.feature(cell.feature).requires)
    limits = [arch.component(c).capacity / share for c, share in shares.items()
              if c in own and share > 0 and arch.component(c).kind != "group"]
    return min(limits, default=math.inf)


# -- the sections of the report ------------------------------------------------------------

def _feature_rows(arch, targets, values, spofs, rto) -> list[dict]:
    rows = []
    for name in arch.feature_names:
        a = values[name]
        down = downtime_per_year(a)
        target = targets.get(name)
        recovery = [arch.component(c).mttr for c in spofs[name]
                    if arch.component(c).mttr is not None]
        worst = max(recovery) if recovery else None
        rows.append({
            "feature": name, "availability": a, "nines": nines(a),
            "downtime_per_year_s": down, "downtime_per_year": format_duration(down),
            "target": target, "target_nines": None if target is None else nines(target),
            "allowed_downtime_per_year_s": None if target is None else downtime_per_year(target),
            "met": None if target is None else a >= target,
            "single_points_of_failure": spofs[name],
            "recovery_time": worst,
            "rto_met": None if rto is None or worst is None else worst <= rto,
        })
    return rows


def _radii(arch: Architecture, crash_sets: list[list[str]]) -> list[tuple[float, list[str]]]:
    """For each set of crashed components (everything else up): the share of customers whose
    feature stops, and the features lost. One vectorised pass for all sets (the same
    structure function as :func:`labkit.failures.right_now`, which tests compare)."""
    if not crash_sets:
        return []
    names = arch.breakable
    column = {n: j for j, n in enumerate(names)}
    up = np.ones((len(crash_sets), len(names)), dtype=bool)
    for i, crashed in enumerate(crash_sets):
        up[i, [column[c] for c in crashed]] = False
    works = feature_works(arch, up, names)
    shares = arch.customer_shares
    out = []
    for i in range(len(crash_sets)):
        lost = [f for f in arch.feature_names if not works[f][i]]
        out.append((min(1.0, math.fsum(shares.get(f, 0.0) for f in lost)), lost))
    return out


def _blast_rows(arch: Architecture, structure) -> list[dict]:
    found: list[tuple[str, str, list[str]]] = []
    for name in arch.breakable:
        if arch.component(name).kind == "domain":
            found.append((name, "failure domain", [name]))
    if structure is not None:
        cells, shared = structure
        for name in arch.breakable:
            if name in shared and arch.component(name).kind != "domain":
                found.append((name, "shared component", [name]))
        for cell in cells:
            found.append((cell.feature, "cell", _crashable(arch, cell)))
    else:
        needed = Counter(c for f in arch.feature_names
                         for c in arch.needs(arch.feature(f).requires))
        for name in arch.breakable:
            if needed[name] > 1 and arch.component(name).kind != "domain":
                found.append((name, "shared component", [name]))
    return [{"domain": label, "kind": kind, "crashed": crashed, "customers_affected": radius,
             "features_lost": lost}
            for (label, kind, crashed), (radius, lost) in zip(found, _radii(arch, [f[2] for f in found]))]


def _crashable(arch: Architecture, cell: _Cell) -> list[str]:
    return [c for c in cell.own if arch.component(c).kind != "group"]


def demand(arch: Architecture, load: float) -> dict[str, tuple[float, float]]:
    """What each component must carry when ``load`` requests/s arrive with everything up:
    (requests/s, work items/s).

    Requests enter each customer partition's feature (its share of ``load``; without
    partitions, the primary feature takes them all) at its entry points and follow
    :meth:`~labkit.model.Architecture.load_shares` (soft dependencies are called too). Each
    queue turns the requests through its producer into work items for its consumer, which
    passes them on the same way to what it calls. A component only a queue reaches carries
    only items, even when a feature lists it (a feature says what must work, not where
    requests go).

    >>> from labkit.archfile import load_architecture
    >>> photos = load_architecture("photo_site.yaml")
    >>> {name: demand(photos, 600)[name] for name in ("app-a", "db", "thumbnailer")}
    {'app-a': (300.0, 0.0), 'db': (600.0, 0.0), 'thumbnailer': (0.0, 30.0)}
    """
    arch = as_architecture(arch, "arch")
    load = check_positive("load", load)
    requests: dict[str, float] = {}
    for feature, share in arch.customer_shares.items():
        requires = arch.feature(feature).requires
        entries = [r for r in requires
                   if not any(r != other and r in arch.needs([other]) for other in requires)]
        for name, part in arch.load_shares(entries, soft=True).items():
            requests[name] = requests.get(name, 0.0) + load * share * part
    items: dict[str, float] = {}
    # Callers before callees, so work a consumer passes on reaches what it calls.
    for producer, consumer, _, per_request in sorted(
            arch.queues(), key=lambda q: _topological_rank(arch)[q[1]]):
        made = per_request * requests.get(producer, 0.0)
        if made:
            for name, part in arch.load_shares([consumer], soft=True).items():
                items[name] = items.get(name, 0.0) + made * part
    return {name: (requests.get(name, 0.0), items.get(name, 0.0))
            for name in arch.components if name in requests or name in items}


def _topological_rank(arch: Architecture) -> dict[str, int]:
    return {name: i for i, name in enumerate(nx.topological_sort(arch.graph))}


def queue_work(arch: Architecture, load: float) -> dict[str, float]:
    """Work items per second each queue's consumer receives when ``load`` requests/s are
    served with everything up (:func:`demand`'s items, for the consumers).

    >>> from labkit.archfile import load_architecture
    >>> photos = load_architecture("photo_site.yaml")
    >>> photos.queues()[0][1:]
    ('thumbnailer', 600.0, 0.05)
    >>> queue_work(photos, 600)     # two app replicas, 300 req/s each, 0.05 items a request
    {'thumbnailer': 30.0}
    """
    needed = demand(arch, load)
    consumers = {c for _, c, _, _ in as_architecture(arch, "arch").queues()}
    return {c: needed[c][1] for c in needed if c in consumers}


def _capacity_rows(arch: Architecture, structure, load: float | None,
                   time_unit: str = "h") -> list[dict]:
    if load is None:
        return []
    rows = []
    needed = demand(arch, load)
    in_cell: dict[str, _Cell] = {}
    if structure is not None:
        cells, _ = structure
        for cell in cells:
            for c in cell.own:
                in_cell[c] = cell
        unit = min(_cell_capacity(arch, cell) for cell in cells)
        if math.isfinite(unit):
            rows.append(_pool_row("cells", "cells", [c.feature for c in cells], unit, load))
        rows += _cell_consumer_rows(arch, structure, needed)
    members_of_groups = set()
    for name in arch.components:
        component = arch.component(name)
        if component.kind != "group" or name in in_cell:
            continue
        members = arch.dependencies(name, "member")
        members_of_groups.update(members)
        # What the pool carries: all that reaches its members, through the group or not
        # (a queue feeds a consumer directly, even when it has replicas).
        requests = math.fsum(needed.get(m, (0.0, 0.0))[0] for m in members)
        items = math.fsum(needed.get(m, (0.0, 0.0))[1] for m in members)
        unit = min(_own_capacity(arch, m) for m in members)
        if math.isfinite(unit) and requests + items > 0:
            rows.append(_pool_row(name, "replica group", members, unit, requests + items,
                                  items=items))
    for name in arch.breakable:
        component = arch.component(name)
        requests, items = needed.get(name, (0.0, 0.0))
        if (name in in_cell or name in members_of_groups or component.kind == "domain"
                or not math.isfinite(component.capacity) or requests + items == 0):
            continue
        row = _single_row(name, [name], float(component.capacity), requests, items)
        repair = _repair_seconds(arch, name, time_unit)
        deadline = _deadline(arch, name)
        if items and repair is not None and deadline is not None:
            # Catch-up headroom: after a repair of mttr, the backlog (items x mttr) must drain
            # within a deadline while new work keeps coming (our rule; see the notes).
            row = _single_row(name, [name], float(component.capacity), requests,
                              items * (1 + min(repair, deadline) / deadline))
            row.update(work_per_s=items, catch_up_after_s=repair, deadline_s=deadline)
        rows.append(row)
    return rows


SECONDS_PER = {"s": 1.0, "min": 60.0, "h": 3600.0, "days": 86400.0}


def _repair_seconds(arch: Architecture, name: str, time_unit: str) -> float | None:
    mttr = arch.component(name).mttr
    return None if mttr is None else float(mttr) * SECONDS_PER[time_unit]


def _deadline(arch: Architecture, consumer: str) -> float | None:
    """The shortest deadline of the queues ``consumer`` drains (directly or in a pool)."""
    pools = {consumer} | {g for g, data in arch.graph.pred[consumer].items()
                          if data["kind"] == "member"}
    deadlines = [d for _, c, d, _ in arch.queues() if c in pools]
    return min(deadlines) if deadlines else None


def _cell_consumer_rows(arch, structure, needed) -> list[dict]:
    """Consumers inside cells: one row for the same consumer in every cell when the cells
    are alike (the change is made in all of them), else one row each."""
    cells, _ = structure
    consumers = {c for _, c, _, _ in arch.queues() if math.isfinite(arch.component(c).capacity)}
    columns = [[c for c in cell.own if c in consumers] for cell in cells]
    if len({len(c) for c in columns}) == 1:
        rows = []
        for j in range(len(columns[0])):
            units = [column[j] for column in columns]
            label = units[0] if len(units) == 1 else f"{units[0]} and its counterpart in every cell"
            worst = max(units, key=lambda u: sum(needed.get(u, (0.0, 0.0))))
            rows.append(_single_row(label, units, min(arch.component(u).capacity for u in units),
                                    *needed.get(worst, (0.0, 0.0))))
        return rows
    return [_single_row(u, [u], float(arch.component(u).capacity), *needed.get(u, (0.0, 0.0)))
            for column in columns for u in column]


def _single_row(name: str, units: list[str], capacity: float, requests: float,
                items: float) -> dict:
    """One component (or the same one in every cell) against what it must carry: requests
    from the peak and, for a consumer behind a queue, the work items its queues bring."""
    load = requests + items
    return {"pool": name, "kind": "queue consumer" if items and not requests else "component",
            "units": units, "count": len(units), "unit_capacity": capacity, "load": load,
            "requests_per_s": requests, "work_per_s": items, "catch_up_after_s": None,
            "deadline_s": None,
            "capacity_after_losing_one": 0.0, "needed_per_unit": load, "units_needed": None,
            "ok": capacity >= load, "shed_at_peak": max(0.0, 1 - capacity / load) if load else 0.0}


def _pool_row(name: str, kind: str, units: list[str], unit: float, load: float, *,
              items: float = 0.0) -> dict:
    n = len(units)
    after = (n - 1) * unit
    needed = static_stability_capacity(n) * load / n if n >= 2 else math.inf
    try:
        units_needed = cells_needed(load, unit, spare=1)
    except LabkitError:  # more than a million units of this size
        units_needed = None
    return {"pool": name, "kind": kind, "units": units, "count": n, "unit_capacity": unit,
            "load": load, "requests_per_s": load - items, "work_per_s": items,
            "capacity_after_losing_one": after, "needed_per_unit": needed,
            "units_needed": units_needed, "ok": after >= load,
            "shed_at_peak": max(0.0, 1 - n * unit / load)}


# -- changing the architecture (all through the file schema and the model's builders) ------

def _entry(data: dict, name: str) -> dict:
    for section in ("components", "groups", "failure_domains"):
        for entry in data.get(section, []):
            if entry["name"] == name:
                return entry
    raise fail("recommendation", name, "was made for another architecture: it has no "
               f"component {name!r}")


def _taken(data: dict) -> set[str]:
    return {e["name"] for s in ("components", "groups", "failure_domains") for e in data.get(s, [])}


def _fresh(base: str, taken: set[str]) -> str:
    base = base if len(base) <= 180 else base[:180]
    name, i = base, 2
    while name in taken:
        name, i = f"{base} #{i}", i + 1
    taken.add(name)
    return name


def _next_name(name: str, taken: set[str]) -> str:
    """A sibling's name: zone-a -> zone-b, region1 -> region2, app-1 -> app-2, db -> db-2."""
    match = re.fullmatch(r"(.*[-_ ])([a-y])", name)
    if match:
        for letter in range(ord(match.group(2)) + 1, ord("z") + 1):
            candidate = match.group(1) + chr(letter)
            if candidate not in taken:
                return _fresh(candidate, taken)
    match = re.fullmatch(r"(.*?)(\d+)", name)
    if match and len(match.group(2)) <= 6:
        number = int(match.group(2)) + 1
        while f"{match.group(1)}{number}" in taken:
            number += 1
        return _fresh(f"{match.group(1)}{number}", taken)
    return _fresh(f"{name}-2", taken)


def _shifted(pos, dx: float, dy: float):
    return None if pos is None else [pos[0] + dx, pos[1] + dy]


def _with_pos(entry: dict, pos) -> dict:
    out = {k: v for k, v in entry.items() if k != "pos"}
    if pos is not None:
        out["pos"] = pos
    return out


def _replicate(data: dict, names: list[str], new_domains: dict[str, str]) -> dict:
    """Each of ``names`` gets a copy (same dependencies, in the new domains), and the pair
    becomes a replica group that takes the original's place everywhere it is used."""
    taken = _taken(data)
    copies = {name: _next_name(name, taken) for name in names}
    groups = {name: _fresh(f"{name} replicas", taken) for name in names}
    data["components"] = list(data["components"])
    for name in names:
        entry = _entry(data, name)
        data["components"].append(_with_pos({**entry, "name": copies[name]},
                                             _shifted(entry.get("pos"), 0.45, 0.3)))
    domains = list(data.get("failure_domains", []))
    for domain in list(domains):
        inside = [n for n in names if n in domain["members"]]
        if not inside:
            continue
        if domain["name"] in new_domains:
            new = _fresh(new_domains[domain["name"]], taken)
            domains.append(_with_pos({**domain, "name": new, "members": [copies[n] for n in inside]},
                                     _shifted(domain.get("pos"), 1.0, 0.0)))
        else:  # a shared database or the like: the copy needs it too
            domain["members"] = domain["members"] + [copies[n] for n in inside]
    data["failure_domains"] = domains
    deps = []
    for dep in data.get("dependencies", []):
        deps.append(dict(dep))
        if dep["from"] in copies:
            deps.append({**dep, "from": copies[dep["from"]]})
    for dep in deps:
        if dep["to"] in groups:
            dep["to"] = groups[dep["to"]]
    data["dependencies"] = deps
    # A copied producer queues its work too; a copied consumer makes a pool of two draining
    # the same queue (its replica group), so neither copy waits for work.
    queues = []
    for queue in data.get("queues", []):
        to = groups.get(queue["to"], queue["to"])
        queues.append({**queue, "to": to})
        if queue["from"] in copies:
            queues.append({**queue, "from": copies[queue["from"]], "to": to})
    if queues:
        data["queues"] = queues
    for group in data.get("groups", []):
        group["members"] = [groups.get(m, m) for m in group["members"]]
    for feature in data.get("features", []):
        feature["requires"] = [groups.get(r, r) for r in feature["requires"]]
    data["groups"] = list(data.get("groups", [])) + [
        _with_pos({"name": groups[n], "members": [n, copies[n]], "k": 1,
                   "description": f"{n} and its replica {copies[n]}: works while either works"},
                  _shifted(_entry(data, n).get("pos"), 0.2, -0.45)) for n in names]
    return data


def _rename_for_cell(name: str, number: int, taken: set[str]) -> str:
    match = re.search(r"(?i)(cell[\s_-]*)(\d+)", name)
    if match:
        candidate = name[:match.start(2)] + str(number) + name[match.end(2):]
    else:
        candidate = f"{name} (cell {number})"
    return _fresh(candidate, taken)


def _add_cell(data: dict, params: dict) -> dict:
    own, number = params["own"], params["number"]
    dx, dy = params["offset"]
    taken = _taken(data)
    new = {name: _rename_for_cell(name, number, taken) for name in own}
    for section in ("components", "groups", "failure_domains"):
        entries = list(data.get(section, []))
        for entry in list(entries):
            if entry["name"] in new:
                copy = {**entry, "name": new[entry["name"]]}
                if "members" in copy:
                    copy["members"] = [new.get(m, m) for m in entry["members"]]
                entries.append(_with_pos(copy, _shifted(entry.get("pos"), dx, dy)))
            elif section == "failure_domains" and any(m in new for m in entry["members"]):
                entry["members"] = entry["members"] + [new[m] for m in entry["members"] if m in new]
        if entries:
            data[section] = entries
    for section in ("dependencies", "queues"):
        links = list(data.get(section, []))
        for link in list(links):
            if link["from"] in new or link["to"] in new:
                links.append({**link, "from": new.get(link["from"], link["from"]),
                              "to": new.get(link["to"], link["to"])})
        if links:
            data[section] = links
    features = list(data.get("features", []))
    feature_names = {f["name"] for f in features}
    added = {}
    for feature in list(features):
        if any(r in new for r in feature["requires"]):
            name = _rename_for_cell(feature["name"], number, feature_names)
            added[feature["name"]] = name
            features.append({**feature, "name": name,
                             "requires": [new.get(r, r) for r in feature["requires"]]})
    data["features"] = features
    shares = data["partitions"]
    n = len(shares)
    data["partitions"] = {f: s * n / (n + 1) for f, s in shares.items()}
    data["partitions"][added[params["feature"]]] = 1 / (n + 1)
    return data


def _failover(data: dict, params: dict) -> dict:
    taken = _taken(data)
    groups = list(data.get("groups", []))
    replace = {}
    for cell in params["cells"]:
        name = _fresh(f"{cell['root']} or {cell['neighbour']}", taken)
        pos = _entry(data, cell["root"]).get("pos")
        groups.append(_with_pos({"name": name, "members": [cell["root"], cell["neighbour"]],
                                 "k": 1, "description": f"{cell['root']}, failing over to "
                                 f"{cell['neighbour']}"}, _shifted(pos, 0.3, -0.5)))
        for feature in cell["features"]:
            replace[feature] = (set(cell["closure"]), name)
    data["groups"] = groups
    for feature in data.get("features", []):
        if feature["name"] in replace:
            closure, group = replace[feature["name"]]
            feature["requires"] = [r for r in feature["requires"] if r not in closure] + [group]
    return data


def apply(arch: Architecture, recommendation: Recommendation) -> Architecture:
    """A changed copy of ``arch`` with ``recommendation`` carried out (``arch`` is untouched).

    The change goes through :func:`labkit.archfile.dump_architecture`, an edit of that plain
    data and :func:`labkit.archfile.load_architecture`, so the model checks the result like
    any file. A qualitative recommendation (``computed=False``) returns an unchanged copy.

    >>> from labkit.catalog import cells
    >>> report = resilience_report(cells(4), 0.999)
    >>> grow = next(r for r in report.recommendations if r.action == "add cell")
    >>> bigger = apply(cells(4), grow)
    >>> resilience_report(bigger, 0.999).cell_blast_radius
    0.2
    """
    arch = as_architecture(arch, "arch")
    if not isinstance(recommendation, Recommendation):
        raise fail("recommendation", _Brief(recommendation),
                   "expected a Recommendation from resilience_report(...).recommendations")
    action, params = recommendation.action, recommendation.params
    if action not in ACTIONS:
        raise fail("recommendation", action, "expected an action among " + ", ".join(ACTIONS))
    if action == "circuit breaker":
        return arch.copy()
    if action == "add cell" and params.get("split"):
        from .catalog import in_cells
        return in_cells(arch, 2, customer_feature=params["customer_feature"])
    data = dump_architecture(arch)
    try:
        if action == "add replica":
            data = _replicate(data, list(params["components"]), dict(params["new_domains"]))
            # Copies placed beside the originals would sit on their labels: lay it out anew.
            for part in ("components", "groups", "failure_domains"):
                for entry in data.get(part, []):
                    entry.pop("pos", None)
        elif action == "make soft":
            for dep in data.get("dependencies", []):
                if (dep["from"], dep["to"], dep["kind"]) == (params["caller"], params["callee"], "hard"):
                    dep["kind"] = "soft"
                    break
            else:
                raise fail("recommendation", f"{params['caller']} -> {params['callee']}",
                           "was made for another architecture: it has no such hard dependency")
        elif action == "recover faster":
            entry = _entry(data, params["component"])
            if "mtbf" not in entry:
                raise fail("recommendation", params["component"], "was made for another "
                           "architecture: this component has no mtbf/mttr")
            entry["mttr"] = params["mttr"]
        elif action == "add headroom":
            for name in params["components"]:
                entry = _entry(data, name)
                if entry.get("capacity", math.inf) < params["capacity"]:
                    entry["capacity"] = params["capacity"]
        elif action == "add cell":
            data = _add_cell(data, params)
        elif action == "failover":
            data = _failover(data, params)
    except (KeyError, TypeError, IndexError, AttributeError):
        raise fail("recommendation", _Brief(recommendation.title), "was made for another "
                   "architecture, or its params were changed") from None
    return load_architecture(data)


# -- recommendations -----------------------------------------------------------------------

def _state(arch: Architecture) -> dict:
    values = feature_availability(arch)
    return {"availability": values,
            "request_success_ratio": success_ratio(arch.customer_shares, values)}


def _gain(before: dict, after: dict, targets: dict[str, float]) -> float:
    """Mean share of the targeted features' unavailability removed (over the features that
    can lose some and still exist afterwards)."""
    gains = []
    for name in targets:
        old = 1 - before["availability"][name]
        if old <= 0 or name not in after["availability"]:
            continue
        gains.append(max(0.0, 1 - (1 - after["availability"][name]) / old))
    return math.fsum(gains) / len(gains) if gains else 0.0


def _availability_effect(before: dict, after: dict, targets: dict[str, float]) -> str:
    parts = []
    for name, target in targets.items():
        if name not in after["availability"]:
            continue
        old, new = before["availability"][name], after["availability"][name]
        if abs(new - old) <= 1e-12:
            continue
        saved = downtime_per_year(old) - downtime_per_year(new)
        parts.append(f"{name} {format_percent_against(old, target)} -> "
                     f"{format_percent_against(new, target)} "
                     f"({'saves' if saved >= 0 else 'adds'} {format_duration(abs(saved))} of "
                     f"downtime a year{', meets' if new >= target > old else ''}"
                     f"{' its target' if new >= target > old else ''})")
    return "; ".join(parts) if parts else "no targeted feature changes"


class _Candidates:
    """Builds the recommendations: each candidate change is applied and measured."""

    def __init__(self, arch, targets, rto, load, spofs, values, structure, capacity, blast):
        self.arch, self.targets, self.rto, self.load = arch, targets, rto, load
        self.spofs, self.structure, self.capacity, self.blast = spofs, structure, capacity, blast
        self.before = {"availability": values,
                       "request_success_ratio": success_ratio(arch.customer_shares, values)}
        self.out: list[Recommendation] = []

    def measure(self, action, target, title, why, params, extra=None, caveat="") -> None:
        draft = Recommendation(action, target, title, why, "", 0.0, True, {}, {}, params)
        try:
            changed = apply(self.arch, draft)
            after = _state(changed)
        except LabkitError:  # e.g. too entangled to analyse exactly once changed: skip it
            return
        score = _gain(self.before, after, self.targets)
        effect = _availability_effect(self.before, after, self.targets)
        before, after_ = dict(self.before), dict(after)
        if extra is not None:
            more = extra(changed)
            if more is None:
                return
            score, effect_more, before_more, after_more = more
            effect = effect_more + ("; " + effect if effect != "no targeted feature changes" else "")
            before.update(before_more)
            after_.update(after_more)
        elif score <= 1e-12:
            return
        self.out.append(Recommendation(action, target, title, why, effect + caveat, score, True,
                                       before, after_, params))

    # -- each kind ---------------------------------------------------------------------

    def _counterparts(self, names: list[str]) -> tuple[list[str], bool]:
        """In identical cells, the same components in every cell (the change is made in all
        of them at once); elsewhere ``names`` itself."""
        if self.structure is None:
            return names, False
        cells = self.structure[0]
        owns = [[c for c in cell.own if self.arch.component(c).kind != "group"] for cell in cells]
        kinds = [[self.arch.component(c).kind for c in own] for own in owns]
        if any(k != kinds[0] for k in kinds):
            return names, False
        position = {name: j for own in owns for j, name in enumerate(own)}
        if not all(n in position for n in names):
            return names, False
        columns = sorted({position[n] for n in names})
        return [own[j] for own in owns for j in columns], True

    def replicas(self) -> None:
        arch = self.arch
        seen: set[tuple[str, ...]] = set()
        spofs = [c for c in arch.components if any(c in s for s in self.spofs.values())]
        for name in spofs:
            if len(seen) >= MAX_CANDIDATES:
                break
            component = arch.component(name)
            if component.kind == "domain":
                members = [c for c in arch.dependents(name)
                           if arch.graph.edges[c, name]["kind"] == "hard"]
                if not members or any(arch.component(m).kind in ("group", "domain")
                                      for m in members):
                    continue
            else:
                members = [name]
            names, every_cell = self._counterparts(members)
            if tuple(names) in seen:
                continue
            seen.add(tuple(names))
            domains: dict[str, str] = {}
            taken = set(arch.components)
            for member in names:
                for domain in arch.dependencies(member, "hard"):
                    if arch.component(domain).kind == "domain" and domain not in domains:
                        domains[domain] = _next_name(domain, taken)
            where = (" in " + ", ".join(list(domains.values())[:4])
                     + (", ..." if len(domains) > 4 else "")) if domains else ""
            if component.kind == "domain":
                shown = ", ".join(members[:4]) + (", ..." if len(members) > 4 else "")
                title = f"replicate what runs in {name} ({shown})"
            else:
                title = f"add a replica of {name}"
            title += " and its counterpart in every cell" if every_cell and len(names) > len(members) else ""
            hit = [f for f, s in self.spofs.items() if name in s]
            why = (f"{name} is a single point of failure of " + ", ".join(hit[:3])
                   + (f" and {len(hit) - 3} more features" if len(hit) > 3 else ""))
            self.measure("add replica", name, title + where, why,
                         {"components": names, "new_domains": domains})

    def soft(self) -> None:
        arch = self.arch
        required = {r for f in arch.feature_names for r in arch.feature(f).requires}
        candidates = [(a, b) for a, b, kind in arch.edges() if kind == "hard" and b in required
                      and arch.component(b).kind != "domain"]
        for caller, callee in candidates[:MAX_CANDIDATES]:
            powers = [f for f in arch.feature_names if callee in arch.feature(f).requires]
            self.measure("make soft", f"{caller} -> {callee}",
                         f"make {caller} -> {callee} a soft dependency",
                         f"{callee} powers {', '.join(powers)} but its failure fails {caller} "
                         "and every feature that needs it; a soft dependency only takes away "
                         "what needs it (graceful degradation)",
                         {"caller": caller, "callee": callee})

    def consumers_recovery(self) -> None:
        """A consumer whose repair takes longer than its queue's deadline makes work late in
        every outage, however fast it is: recover it within the deadline."""
        arch = self.arch
        for name in sorted({c for _, c, _, _ in arch.queues()}):
            if arch.component(name).kind == "group":
                continue
            repair, deadline = _repair_seconds(arch, name, self.unit), _deadline(arch, name)
            if repair is None or deadline is None or repair <= deadline:
                continue
            within = deadline / SECONDS_PER[self.unit]

            def effect(changed, name=name, repair=repair, deadline=deadline):
                after = _repair_seconds(changed, name, self.unit)
                return (1.0, f"work late after every repair: yes -> no (repair {format_duration(repair)}"
                        f" -> {format_duration(after)}, deadline {format_duration(deadline)})",
                        {"repair_s": repair}, {"repair_s": after})

            self.measure("recover faster", name,
                         f"recover {name} within its queue's deadline ({_g(repair / SECONDS_PER[self.unit])} "
                         f"{self.unit} -> {within:g} {self.unit})",
                         f"{name} takes {format_duration(repair)} to repair, longer than the "
                         f"{format_duration(deadline)} its work may wait: every outage makes work "
                         "late, however fast it is (automate its restart)",
                         {"component": name, "mttr": within}, effect)

    def recovery(self) -> None:
        if self.rto is None:
            return
        arch = self.arch
        spofs = [c for c in arch.components if any(c in s for s in self.spofs.values())]
        for name in spofs[:MAX_CANDIDATES]:
            component = arch.component(name)
            if component.mttr is not None and component.mttr > self.rto:
                self.measure("recover faster", name,
                             f"recover {name} within the RTO ({component.mttr:g} {self.unit} -> "
                             f"{self.rto:g} {self.unit})",
                             f"{name} is a single point of failure that takes {component.mttr:g} "
                             f"{self.unit} to repair, longer than the recovery time objective "
                             f"{self.rto:g} {self.unit} "
                             "(automate failover or restore)",
                             {"component": name, "mttr": self.rto})

    def cells(self) -> None:
        arch = self.arch
        if self.structure is None:
            if len(arch.customer_shares) > 1:  # partitioned, but not into cells (shuffle shards)
                return
            customer = arch.feature().name
            before_radius = max((r["customers_affected"] for r in self.blast), default=1.0)

            def split_effect(changed):
                structure = _cells(changed)
                if structure is None:
                    return None
                radius = _cell_radius(changed, structure[0])
                return ((1.0 - radius / 1.0), f"one cell's failure reaches {format_percent(radius)}"
                        " of customers instead of all of them",
                        {"cell_blast_radius": 1.0, "cells": 1},
                        {"cell_blast_radius": radius, "cells": 2})

            self.measure("add cell", "everything", "split the architecture into 2 cells behind a "
                         "thin router", "every customer shares one copy of everything: any "
                         f"failure reaches them all (worst failure domain: "
                         f"{format_percent(before_radius)} of customers)",
                         {"split": True, "customer_feature": customer}, split_effect)
            return
        cells, _ = self.structure
        n = len(cells)
        template = cells[0]
        before = _cell_radius(arch, cells)
        offset = _cell_offset(arch, cells)
        domains_before = {r["domain"]: r["customers_affected"] for r in self.blast
                          if r["kind"] == "failure domain"}

        def grow_effect(changed):
            structure = _cells(changed)
            if structure is None:
                return None
            after = _cell_radius(changed, structure[0])
            moved = []
            for row in _blast_rows(changed, structure):
                old = domains_before.get(row["domain"])
                if old is not None and row["customers_affected"] > old + 1e-12:
                    moved.append(f"{row['domain']} {format_percent(old)} -> "
                                 f"{format_percent(row['customers_affected'])}")
            text = (f"a cell's blast radius {format_percent(before)} -> {format_percent(after)}"
                    + (" (the new cell joins " + ", ".join(moved) + ")" if moved else ""))
            return (max(0.0, 1 - after / before) if before else 0.0, text,
                    {"cell_blast_radius": before, "cells": n},
                    {"cell_blast_radius": after, "cells": n + 1})

        self.measure("add cell", template.feature, f"add a cell (cell {n + 1}, a copy of "
                     f"{template.feature!r})", f"one cell's failure reaches "
                     f"{format_percent(before)} of customers (1/N with N = {n})",
                     {"own": list(template.own), "number": n + 1, "offset": offset,
                      "feature": template.feature}, grow_effect)
        self.failover(cells)
        self.out.append(Recommendation(
            "circuit breaker", "cells", "trip circuit breakers per cell, never on aggregate "
            "errors", "a breaker that counts errors across all cells opens for everyone when "
            "one cell fails", f"qualitative: per-cell breakers keep one cell's failure at "
            f"{format_percent(before)} of customers and stop callers waiting on a dead cell; "
            "one breaker on aggregate errors turns that partial failure into a total one (100 %)"
            " (Brooker 2022). The static model has no timeouts or retries: simulate it with "
            "labkit.simulation.simulate(..., breaker=..., breaker_at='cell')", 0.0, False))

    def failover(self, cells) -> None:
        arch = self.arch
        n = len(cells)
        if n < 2 or any(c.root is None for c in cells):
            return
        plan = []
        for i, cell in enumerate(cells):
            neighbour = cells[(i + 1) % n]
            closure = arch.needs([cell.root])
            common = set(arch.feature(cell.feature).requires) - set(cell.entries)
            features = [f for f in arch.feature_names
                        if set(arch.feature(f).requires) & set(cell.own)
                        and set(arch.feature(f).requires) <= closure | common]
            if cell.feature not in features:
                return
            plan.append({"feature": cell.feature, "root": cell.root, "neighbour": neighbour.root,
                         "closure": sorted(closure & set(cell.own)), "features": features,
                         "crash": _crashable(arch, cell)})
        before = _cell_radius(arch, cells)

        def effect(changed):
            after = max(radius for radius, _ in _radii(changed, [p["crash"] for p in plan]))
            score = _gain(self.before, _state(changed), self.targets)
            return (score, f"one cell's blast radius {format_percent(before)} -> "
                    f"{format_percent(after)} (its customers are served by the next cell)",
                    {"cell_blast_radius": before}, {"cell_blast_radius": after})

        self.measure("failover", "cells", "fail each cell's customers over to the next cell",
                     f"a cell's failure leaves {format_percent(before)} of customers unserved "
                     "until it recovers", {"cells": plan}, effect,
                     caveat=". This assumes the next cell has headroom for both (see N+1) and "
                     "that the failure is not a poison request, which would follow its "
                     "customers there")

    def headroom(self) -> None:
        for row in self.capacity:
            if row["ok"]:
                continue
            load = row["load"]
            if row["kind"] == "queue consumer":
                capacity = load
                names = row["units"]
                catch_up = row.get("catch_up_after_s")
                title = (f"raise the capacity of {row['pool']} to the work its queues bring at "
                         f"the peak" + (", with room to catch up after a repair" if catch_up else "")
                         + f" ({_g(load)} items/s)")
                why = (f"{row['pool']} does at most {row['unit_capacity']:g} items/s while its "
                       f"queues bring {_g(row['work_per_s'])} items/s at a peak of "
                       f"{self.load:g} req/s" + (
                           f", and after a repair of {format_duration(catch_up)} its backlog must "
                           f"drain within the {format_duration(row['deadline_s'])} deadline"
                           if catch_up else "") + ": otherwise its backlog grows until work "
                       "misses its deadline")
            elif row["kind"] == "component":
                capacity = load
                names = row["units"]
                title = (f"raise {row['pool']}'s capacity to what reaches it at the peak "
                         f"({_needed_text(row)})")
                why = (f"{row['pool']} serves at most {row['unit_capacity']:g} a second and "
                       f"{_needed_text(row)} reach it at a peak of {self.load:g} req/s: it sheds "
                       f"{format_percent(row['shed_at_peak'])} of them (and a replica would add "
                       "N+1 redundancy on top)")
            elif row["count"] >= 2:
                capacity = row["needed_per_unit"]
                if row["kind"] == "cells":
                    cells, _ = self.structure
                    # only what serves the requests: not the consumers of a queue
                    names = [c for cell in cells for c in cell.own
                             if c in self.arch.needs(self.arch.feature(cell.feature).requires)
                             and math.isfinite(self.arch.component(c).capacity)
                             and self.arch.component(c).capacity < capacity]
                else:
                    names = [m for m in row["units"] if self.arch.component(m).kind != "group"]
                plural = {"cells": "cells", "replica group": "replicas"}[row["kind"]]
                alternative = (f", or run {row['units_needed']} {plural} of today's size"
                               if row["units_needed"] else "")
                unit = "items/s" if row["work_per_s"] and not row["requests_per_s"] else "req/s"
                share = static_stability_capacity(row["count"])
                title = (f"add N+1 headroom to the {row['pool']}: {_g(capacity)} {unit} each "
                         f"(static stability: each of the {row['count']} carries "
                         f"{share:.3g} x its everyday share, so the others can lose it)"
                         f"{alternative}")
                why = (f"losing one of {row['count']} leaves {_g(row['capacity_after_losing_one'])}"
                       f" {unit} for the {_g(load)} {unit} of the peak: the survivors would have "
                       "to scale exactly when things go wrong")
            else:
                continue
            row_before = row

            def effect(changed, row_before=row_before):
                rows = _capacity_rows(changed, _cells(changed), self.load, self.unit)
                match = next((r for r in rows if r["pool"] == row_before["pool"]), None)
                if match is None:
                    return None
                single = row_before["kind"] in ("component", "queue consumer")
                key = "unit_capacity" if single else "capacity_after_losing_one"
                short_before = max(0.0, row_before["load"] - row_before[key])
                short_after = max(0.0, match["load"] - match[key])
                score = 1 - short_after / short_before if short_before else 0.0
                unit, need = (("items/s", f"the {_needed_text(row_before)} it needs")
                              if row_before["kind"] == "queue consumer"
                              else ("req/s", f"a peak of {row_before['load']:g}"))
                return (score, ("capacity" if single else "capacity after losing one")
                        + f" {row_before[key]:g} -> {_g(match[key])} {unit} for {need}",
                        {key: row_before[key], "load": row_before["load"]},
                        {key: match[key], "load": match["load"]})

            self.measure("add headroom", row["pool"], title, why,
                         {"components": names, "capacity": capacity}, effect)

    def breakers_on_soft(self) -> None:
        # A router's soft links to its cells are the cells' business (see the per-cell
        # breakers); a queue needs no breaker: its work waits.
        soft = [f"{a} -> {b}" for a, b, edge in self.arch.graph.edges(data=True)
                if edge["kind"] == "soft" and not edge.get("queue")
                and self.arch.component(a).kind != "router"]
        if not soft:
            return
        shown = ", ".join(soft[:6]) + (", ..." if len(soft) > 6 else "")
        self.out.append(Recommendation(
            "circuit breaker", "soft dependencies", "put timeouts and circuit breakers on the "
            f"soft dependencies ({shown})", "the model counts a soft dependency that is down as "
            "harmless, which holds only if callers stop waiting for it",
            "qualitative: a timeout bounds how long a caller waits for a dead soft dependency "
            "and a breaker stops calling it until it recovers, so its failure costs a feature, "
            "not latency and threads everywhere; the static model has no latency under failure: "
            "simulate it with labkit.simulation", 0.0, False))


def _cell_radius(arch: Architecture, cells: list[_Cell]) -> float:
    """The largest share of customers one cell's failure reaches."""
    return max(radius for radius, _ in _radii(arch, [_crashable(arch, c) for c in cells]))


def _cell_offset(arch: Architecture, cells: list[_Cell]) -> list[float]:
    """How far the last cell sits from the one before it in the diagram (where a new one goes)."""
    first, last = cells[0].own[0], cells[-1].own[0]
    p0, p1 = arch.component(first).pos, arch.component(last).pos
    if p0 is None or p1 is None:
        return [0.0, 0.0]
    n = len(cells)
    step = ((p1[0] - p0[0]) / max(1, n - 1), (p1[1] - p0[1]) / max(1, n - 1))
    return [step[0] * n, step[1] * n]


# -- the report ----------------------------------------------------------------------------

TIME_UNITS = ("s", "min", "h", "days")


def resilience_report(arch: Architecture, targets: Any, *, rto: float | None = None,
                      load: float | None = None, time_unit: str = "h") -> ResilienceReport:
    """Assess ``arch`` against availability ``targets``, after AWS Resilience Hub (S16).

    ``targets``: one availability target strictly between 0 and 1 for every feature, or a
    dict feature -> target (features left out are reported without one). ``rto``: a
    recovery time objective in the time unit of the components' ``mttr`` (features whose
    single points of failure take longer to repair miss it). ``load``: peak requests per
    second, to check capacity and N+1 headroom (and, for a consumer behind a queue, the
    work items its queues bring at that peak). ``time_unit``: the unit of ``rto`` and of the
    components' ``mttr`` (one of ``TIME_UNITS``; hours by default, as in the example files),
    shown beside every recovery time. Returns a :class:`ResilienceReport`.

    >>> from labkit.catalog import cells
    >>> report = resilience_report(cells(4), {"cell 1 customers": 0.999})
    >>> report.feature("cell 1 customers")["single_points_of_failure"]
    ['router', 'cell1-web', 'cell1-app', 'cell1-db']
    >>> report.cell_blast_radius
    0.25
    """
    arch = as_architecture(arch, "arch")
    targets = _targets(arch, targets)
    rto = _optional_positive("rto", rto)
    load = _optional_positive("load", load)
    time_unit = check_choice("time_unit", time_unit, TIME_UNITS)
    values = feature_availability(arch)
    spofs = {f: single_points_of_failure(arch, f) for f in arch.feature_names}
    structure = _cells(arch)
    blast = _blast_rows(arch, structure)
    capacity = _capacity_rows(arch, structure, load, time_unit)
    candidates = _Candidates(arch, targets, rto, load, spofs, values, structure, capacity, blast)
    candidates.unit = time_unit
    candidates.headroom()
    candidates.replicas()
    candidates.soft()
    candidates.recovery()
    candidates.consumers_recovery()
    candidates.cells()
    candidates.breakers_on_soft()
    order = {a: i for i, a in enumerate(ACTIONS)}
    ranked = sorted(candidates.out, key=lambda r: (not r.computed, -round(r.score, 9),
                                                    order[r.action]))
    notes = ["Exact availability under the model's assumption: components fail independently "
             "unless they share a failure domain.",
             "Customers affected: the share of customers whose feature stops (partitions; "
             "without partitions every customer uses the primary feature, "
             f"{arch.feature().name!r}); requests are taken to follow customers."]
    if load is not None:
        notes.append("Capacity: cells are taken to share the load equally; N+1 headroom is "
                     "static stability, Z/(Z-1) of peak for Z cells.")
        if arch.queues():
            notes.append("A consumer behind a queue must keep up with the work its queues bring "
                         "at the peak; one with an mttr must also catch up, draining a repair's "
                         "backlog within its queue's deadline: capacity >= work x (1 + mttr / "
                         "deadline) (our rule), and a repair longer than the deadline makes "
                         "work late however fast it is.")
    if rto is not None:
        notes.append("Recovery time: the longest mttr among a feature's single points of "
                     f"failure, in {time_unit} (the unit of the components' mttr).")
    return ResilienceReport(arch.name, targets, rto, load,
                            success_ratio(arch.customer_shares, values),
                            _feature_rows(arch, targets, values, spofs, rto), spofs, blast,
                            capacity, ranked, notes, time_unit)


# -- export --------------------------------------------------------------------------------

def _g(value: float) -> str:
    """A rate as a person writes it: 30, 12.5, 0.75 (not 30.000000000000004)."""
    return f"{value:.4g}" if value < 1e4 else f"{value:,.0f}"


def _fmt_nines(value) -> str:
    return "∞" if value is None or not math.isfinite(value) else f"{value:.2f}"


def feature_rows(report: ResilienceReport) -> list[dict]:
    """The availability table as display rows (text), for tables and exports."""
    rows = []
    for row in report.features:
        target = row["target"]
        shown = (format_percent(row["availability"]) if target is None
                 else format_percent_against(row["availability"], target))
        rows.append({"feature": row["feature"], "availability": shown,
                     "nines": _fmt_nines(row["nines"]), "downtime / year": row["downtime_per_year"],
                     "target": "-" if target is None else format_percent(target),
                     "allowed / year": "-" if target is None else
                     format_duration(row["allowed_downtime_per_year_s"]),
                     "met": "-" if row["met"] is None else ("yes" if row["met"] else "NO"),
                     "single points of failure": ", ".join(row["single_points_of_failure"]) or "none",
                     **({"recovery time": "-" if row["recovery_time"] is None
                         else f"{row['recovery_time']:g} {report.time_unit}",
                         "RTO met": "-" if row["rto_met"] is None else ("yes" if row["rto_met"] else "NO")}
                        if report.rto is not None else {})})
    return rows


def blast_rows(report: ResilienceReport) -> list[dict]:
    return [{"failure domain": r["domain"], "kind": r["kind"],
             "customers affected": format_percent(r["customers_affected"]),
             "features lost": ", ".join(r["features_lost"]) or "none"} for r in report.blast_radius]


_CAPACITY_CHECK = {"component": "carries the peak", "queue consumer": "keeps up with its queues",
                   "cells": "N+1", "replica group": "N+1"}


def _needed_text(row: dict) -> str:
    """'600 req/s', '30 items/s', '600 req/s + 30 items/s', or '37.5 items/s (30 + catch-up)'."""
    requests, items = row["requests_per_s"], row["work_per_s"]
    if row.get("catch_up_after_s"):
        return f"{_g(row['load'])} items/s ({_g(items)} + catch-up)"
    parts = ([f"{_g(requests)} req/s"] if requests or not items else []) + \
        ([f"{_g(items)} items/s"] if items else [])
    return " + ".join(parts)


def capacity_rows(report: ResilienceReport) -> list[dict]:
    rows = []
    for r in report.capacity:
        single = r["kind"] in ("component", "queue consumer")
        unit = "items/s" if r["work_per_s"] and not r["requests_per_s"] else "req/s"
        unit_each = unit if not (r["work_per_s"] and r["requests_per_s"]) else "a second"
        rows.append({"pool": r["pool"], "kind": r["kind"], "units": r["count"],
                     "capacity each": f"{_g(r['unit_capacity'])} {unit_each}",
                     "needed at the peak": _needed_text(r),
                     "left after losing one": "-" if single
                     else f"{_g(r['capacity_after_losing_one'])} {unit_each}",
                     "check": ("keeps up, and catches up after a repair" if r.get("catch_up_after_s")
                               else _CAPACITY_CHECK[r["kind"]]),
                     "ok": "yes" if r["ok"] else "NO"})
    return rows


def recommendation_rows(report: ResilienceReport) -> list[dict]:
    return [{"#": i, "action": r.action, "recommendation": r.title, "effect": r.effect,
             "score": f"{r.score:.2f}" if r.computed else "qualitative"}
            for i, r in enumerate(report.recommendations, 1)]


def _md_table(rows: list[dict]) -> str:
    if not rows:
        return "_none_\n"
    columns = list(rows[0])
    def cell(v):
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _markdown(report: ResilienceReport) -> str:
    parts = [f"# Resilience report: {report.architecture}\n",
             f"Request success ratio: **{format_percent(report.request_success_ratio)}**"
             + (f" · RTO: {report.rto:g} {report.time_unit}" if report.rto is not None else "")
             + (f" · peak load: {report.load:g} req/s" if report.load is not None else "") + "\n",
             "## Availability against target\n", _md_table(feature_rows(report)),
             "## Blast radius of each failure domain\n", _md_table(blast_rows(report))]
    if report.load is not None:
        parts += ["## Capacity and N+1 headroom\n", _md_table(capacity_rows(report))]
    parts.append("## Recommendations, best first\n")
    if not report.recommendations:
        parts.append("_none: the model finds nothing to improve_\n")
    for i, r in enumerate(report.recommendations, 1):
        parts.append(f"{i}. **{r.title}** ({r.action}{'' if r.computed else ', qualitative'})  \n"
                     f"   Why: {r.why}.  \n   Effect: {r.effect}.\n")
    parts.append("\n## Assumptions\n")
    parts += [f"- {note}\n" for note in report.notes]
    return "\n".join(parts)


def _html_table(rows: list[dict]) -> str:
    if not rows:
        return "<p><em>none</em></p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r.values())
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html(report: ResilienceReport) -> str:
    title = html.escape(f"Resilience report: {report.architecture}")
    recs = "".join(f"<li><strong>{html.escape(r.title)}</strong> ({html.escape(r.action)}"
                   f"{'' if r.computed else ', qualitative'})<br>Why: {html.escape(r.why)}.<br>"
                   f"Effect: {html.escape(r.effect)}.</li>" for r in report.recommendations)
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in report.notes)
    capacity = (f"<h2>Capacity and N+1 headroom</h2>{_html_table(capacity_rows(report))}"
                if report.load is not None else "")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:70em;margin:2em}}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;"
            "text-align:left}</style></head><body>"
            f"<h1>{title}</h1><p>Request success ratio: "
            f"<strong>{html.escape(format_percent(report.request_success_ratio))}</strong></p>"
            f"<h2>Availability against target</h2>{_html_table(feature_rows(report))}"
            f"<h2>Blast radius of each failure domain</h2>{_html_table(blast_rows(report))}"
            f"{capacity}<h2>Recommendations, best first</h2><ol>{recs}</ol>"
            f"<h2>Assumptions</h2><ul>{notes}</ul></body></html>")


__all__ = ["ACTIONS", "Recommendation", "ResilienceReport", "TIME_UNITS", "apply", "blast_rows",
           "capacity_rows", "demand", "feature_rows", "queue_work", "recommendation_rows",
           "resilience_report"]
