"""Workbook 04: cells, graded on what the learner builds.

All five exercises are :class:`~labkit.check.Build`: the learner hands in a routing of a
request log, a cell layout, the list of every shuffle shard of a small fleet, a shuffle-shard
layout and a cell-based detail page, and each grader runs it through labkit
(``sharding.routing_impact``, exact analysis of single crashes, the simulation of a lost cell
under Poisson arrivals, ``sharding.all_shards``) and measures it against the targets the
question states. The constants below are those targets: the notebook's questions quote them and
``tests/test_workbook_04.py`` checks that they agree. Nothing here stores an answer.
"""

from __future__ import annotations

import functools
import itertools
import math
import reprlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..catalog import POISON_CUSTOMER
from ..check import Build, Exercise, NotYet
from ..model import Architecture
from ..sharding import all_shards, request_log, routing_impact
from ..simulation import constant, crash, simulate
from ..simulation.states import capacity_over_time
from ..structure import component_works

# 1. Route the request log.
ROUTER_CELLS = 8                # cells behind the router
ROUTER_TARGET = 0.15            # at most this share of customers behind any one cell's loss
LOG_CUSTOMERS, LOG_PER_CUSTOMER = 8_000, 6   # the request log: sharding.request_log()

# 2. Cells for a target and a budget.
PEAK = 30_000                   # requests per second at peak, on average (Poisson arrivals)
MAX_CELL = 6_000                # the fixed maximum size of a cell, requests per second
CELL_TARGET = 0.10              # losing any one component but the router: at most 10 %
BUDGET = 36_000                 # total capacity of all cells, requests per second
DETECTION = 5.0                 # seconds before the router moves a lost cell's customers
SERVED_TARGET = 0.999           # share of the peak's requests served once they are moved
SIMULATION_SEED = 0             # the seed of the simulated arrivals: the same run every time
MAX_GRADED_CELLS = 64           # larger layouts are refused before anything runs
MAX_GRADED_COMPONENTS = 3_000

# 3. Every shuffle shard of 3 from 10 workers, listed.
WORKERS, SHARD_SIZE = 10, 3
MAX_LISTED = 5_000              # longer lists are refused before anything is compared
MAX_IN_SHARD = 50               # entries longer than this are refused unread

# 4. A shuffle-shard layout.
SHARD_TARGET = 0.01             # a poison customer fully takes down at most 1 % of customers
MIN_SHARD = 2                   # every customer has a second worker to retry on
MAX_CRASHED_SHARE = 0.30        # the poison customer may crash at most 30 % of the workers
WORKER_BUDGET = 10              # at most this many workers

# 5. The detail page in cells.
PAGE_TARGET = 0.20              # price down in one cell: at most 20 % cannot buy
MAX_PAGE_CELLS = 20

_ARCH = "an Architecture built with labkit"


def _pct(share: float) -> str:
    """A share as the learner reads it: 12.5 %, 0.83 %, 100 %."""
    value = share * 100
    text = f"{value:.2f}" if value < 1 else f"{value:.1f}"
    # A no-break space keeps the number and its % together when a long hint is wrapped.
    return text.rstrip("0").rstrip(".") + "\u00a0%"


def _served_pct(share: float) -> str:
    """A served share cut (not rounded) to two decimals, so 99.999 % never reads as 100 %."""
    text = f"{math.floor(share * 10_000) / 100:.2f}".rstrip("0").rstrip(".")
    return text + "\u00a0%"


def _architecture(value: Any, what: str) -> Architecture:
    if not isinstance(value, Architecture):
        kind = "a number" if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else f"a {type(value).__name__}"
        raise NotYet(f"hand in {what}, not {kind}: the check runs what you build.")
    if len(value.graph) > MAX_GRADED_COMPONENTS:
        raise NotYet(f"your architecture has {len(value.graph):,} components; this exercise "
                     f"grades at most {MAX_GRADED_COMPONENTS:,}.")
    return value.validate()


def _crash_each(arch: Architecture, crashes: list[list[str]]) -> np.ndarray:
    """Exact analysis, one world per entry of ``crashes`` (those components down, the rest
    up): the share of customers whose feature stops working in each."""
    names = arch.breakable
    column = {name: j for j, name in enumerate(names)}
    up = np.ones((len(crashes), len(names)), dtype=bool)
    for i, down in enumerate(crashes):
        up[i, [column[name] for name in down]] = False
    works = component_works(arch, up, names)
    radius = np.zeros(len(crashes))
    for feature, share in arch.customer_shares.items():
        ok = np.logical_and.reduce([works[r] for r in arch.feature(feature).requires])
        radius += share * ~ok
    return radius


# -- 1. route the request log ---------------------------------------------------------------

@functools.cache
def _log() -> tuple[tuple[dict[str, str], ...], tuple[str, ...]]:
    log = request_log(LOG_CUSTOMERS, LOG_PER_CUSTOMER)
    return tuple(log), tuple(r["customer"] for r in log)


def _python_hash_field(routed: np.ndarray, log) -> str | None:
    # Python's hash() of a str is salted per process: right here, wrong after a restart.
    for field in log[0]:
        if all(hash(r[field]) % ROUTER_CELLS == c for r, c in zip(log[:200], routed[:200].tolist())):
            if (np.array([hash(r[field]) % ROUTER_CELLS for r in log]) == routed).all():
                return field
    return None


def _cell_numbers(routed: Any) -> np.ndarray:
    """The learner's list as whole cell numbers 0..7, or a diagnosis of the first bad entry."""
    if isinstance(routed, np.ndarray):
        if routed.ndim != 1:
            raise NotYet(f"hand in a flat list of cell numbers; yours is an array of shape "
                         f"{routed.shape}.")
        items = routed.tolist() if routed.dtype.kind in "iub" else list(routed)
    else:
        items = routed
    for i, cell in enumerate(items):
        if isinstance(cell, bool) or not isinstance(cell, (int, np.integer)):
            raise NotYet(f"entry {i} of your list is {_short(cell)}, a {type(cell).__name__}; "
                         "each entry is a whole cell number.")
        if not 0 <= cell < ROUTER_CELLS:
            raise NotYet(f"entry {i} of your list is cell {_short(cell)}: the {ROUTER_CELLS} cells "
                         f"are numbered 0 to {ROUTER_CELLS - 1}, as sharding.cell_for numbers them.")
    return np.array(items, dtype=np.int64)


def _short(value: Any) -> str:
    if isinstance(value, np.generic):  # show 8, not np.int64(8)
        value = value.item()
    if isinstance(value, int) and abs(value) > 10**12:
        return "<a huge number>"
    text = reprlib.repr(value)  # bounded depth and length: a deep list cannot recurse
    return text if len(text) <= 40 else text[:37] + "..."


def _grade_routing(routed: Any) -> str:
    log, customers = _log()
    if isinstance(routed, (str, bytes, dict)) or not isinstance(routed, (list, tuple, np.ndarray)):
        kind = "a number" if isinstance(routed, (int, float)) else f"a {type(routed).__name__}"
        raise NotYet(f"hand in a list with one cell number per request of the log, not {kind}.")
    if len(routed) != len(log):
        raise NotYet(f"your list has {len(routed):,} cell numbers for the log's {len(log):,} "
                     "requests: route every request, in the log's order.")
    routed = _cell_numbers(routed)
    impact = routing_impact(customers, routed, ROUTER_CELLS, POISON_CUSTOMER)
    poison = impact["poison cells"]
    if len(poison) > 1:
        raise NotYet(f"{POISON_CUSTOMER}'s requests land in {len(poison)} different cells, so its "
                     f"poison request, retried, crashes all {len(poison)}: "
                     f"{_pct(impact['poison blast radius'])} of customers affected. Route by "
                     "something that is the same for all of a customer's requests.")
    if impact["spread"] > 0:
        raise NotYet(f"{_pct(impact['spread'])} of customers have requests in more than one "
                     "cell, so every cell they touch can fail them, and a poison request from "
                     "any of them would crash several cells. Route all of a customer's requests "
                     "to one cell.")
    if impact["busiest share"] > ROUTER_TARGET:
        unused = ROUTER_CELLS - impact["receiving cells"]
        raise NotYet(f"cell {impact['busiest cell']} gets {_pct(impact['busiest share'])} of the "
                     f"customers, so losing it affects that many; the target is at most "
                     f"{_pct(ROUTER_TARGET)}."
                     + (f" {unused} of your {ROUTER_CELLS} cells get nobody: your key has too "
                        "few different values to spread customers." if unused else ""))
    field = _python_hash_field(routed, log)
    if field is not None:
        raise NotYet(f"this is Python's hash() of the {field!r} field: it is salted in every "
                     "process, so after a restart, or on another copy of the router, the same "
                     "customer lands in another cell. Use a hash that is the same everywhere.")
    return (f"every customer stays in one cell; the busiest cell holds "
            f"{_pct(impact['busiest share'])} of customers (target at most "
            f"{_pct(ROUTER_TARGET)}), and {POISON_CUSTOMER}'s poison stays in cell "
            f"{poison[0]}: {_pct(impact['poison blast radius'])} of customers affected.")


# -- 2. cells for a target and a budget -----------------------------------------------------

def _cells_of(arch: Architecture) -> tuple[list[str], list[list[str]]]:
    """The customer partitions (cells) and, for each, the breakable components only it needs."""
    cells = list(arch.customer_shares)
    needs = [arch.needs(arch.feature(f).requires) for f in cells]
    users = Counter(c for mine in needs for c in mine)      # how many cells need each component
    own = [[c for c in arch.breakable if c in mine and users[c] == 1] for mine in needs]
    return cells, own


def _label(feature: str) -> str:
    """'cell 3 customers' or 'cell 3: can buy' -> 'cell 3'; any other partition by its name."""
    head = feature.split(":")[0].split()
    return " ".join(head[:2]) if len(head) >= 2 and head[0] == "cell" and head[1].isdigit() \
        else repr(feature)


def _check_cell_count(cells: list[str], limit: int) -> None:
    if len(cells) < 2:
        raise NotYet("your architecture has one customer partition, so it is not split into "
                     "cells: every failure reaches every customer. Build it with catalog.cells.")
    if len(cells) > limit:
        raise NotYet(f"your architecture has {len(cells):,} cells; this exercise grades at most "
                     f"{limit}.")


def _worst_single_crash(arch: Architecture) -> tuple[str, float]:
    """The component (other than the router) whose crash alone affects the most customers."""
    names = [c for c in arch.breakable if arch.component(c).kind != "router"]
    if not names:
        raise NotYet("your architecture has nothing but routers: give the cells components.")
    radius = _crash_each(arch, [[c] for c in names])
    worst = int(radius.argmax())
    return names[worst], float(radius[worst])


def _grade_cell_layout(arch: Any) -> str:
    arch = _architecture(arch, "an Architecture built with catalog.cells(...)")
    _check_cell_count(list(arch.customer_shares), MAX_GRADED_CELLS)
    cells, own = _cells_of(arch)
    worst, radius = _worst_single_crash(arch)
    if radius > CELL_TARGET + 1e-9:
        users = [f for f, mine in zip(cells, own) if worst in mine]
        if not users:
            raise NotYet(f"crashing {worst} affects {_pct(radius)} of customers: the customers of "
                         "more than one cell need it, so your cells share it. Cells must not "
                         f"share state; the target is at most {_pct(CELL_TARGET)}.")
        raise NotYet(f"losing one of your cells ({worst} crashes) affects {_pct(radius)} of "
                     f"customers; the target is at most {_pct(CELL_TARGET)}.")
    capacity = capacity_over_time(arch, np.ones((1, len(arch.breakable)), dtype=bool), cells)[0]
    if not np.isfinite(capacity).all():
        cell = _label(cells[int(np.flatnonzero(~np.isfinite(capacity))[0])])
        raise NotYet(f"{cell} has no capacity limit: a cell serves at most {MAX_CELL:,} req/s. "
                     "Give its tiers a capacity (tier_capacity=...).")
    biggest = int(capacity.argmax())
    if capacity[biggest] > MAX_CELL * (1 + 1e-9):
        raise NotYet(f"{_label(cells[biggest])} can serve {capacity[biggest]:,.0f} req/s, more than the "
                     f"maximum cell size of {MAX_CELL:,} req/s.")
    # Simulate the peak with Poisson arrivals (each cell's count varies around its share from
    # second to second), lose the biggest cell (the worst one to lose) at 10 s, and measure
    # what is served once the router has moved its customers to the others.
    lost, at, duration = biggest, 10.0, 60.0
    run = simulate(arch, constant(PEAK), duration=duration, arrivals="poisson",
                   seed=SIMULATION_SEED,
                   faults=[crash(c, at=at, duration=duration - at) for c in own[lost]],
                   failover="health check", detection=DETECTION)
    after = run.window(at + DETECTION + 1.0)
    served = float(run.good[after].sum() / run.new[after].sum())
    survivors = float(capacity.sum() - capacity[lost])
    if served < SERVED_TARGET:
        why = (f"together they carry {survivors:,.0f} of the {PEAK:,} req/s." if survivors < PEAK
               else f"together they carry {survivors:,.0f} req/s, {survivors - PEAK:,.0f} more than "
                    f"the average peak of {PEAK:,}, but requests arrive at random, so in many "
                    "seconds a cell gets more than its average share and sheds the excess.")
        raise NotYet(f"with {_label(cells[lost])} lost, the other {len(cells) - 1} cells served only "
                     f"{_served_pct(served)} of the peak's requests once its customers were moved: "
                     + why)
    total = float(capacity.sum())
    if total > BUDGET * (1 + 1e-9):
        raise NotYet(f"this meets both targets, but your {len(cells)} cells add up to "
                     f"{total:,.0f} req/s of capacity; the budget is {BUDGET:,} req/s.")
    return (f"{len(cells)} cells of at most {capacity.max():,.0f} req/s: losing one affects "
            f"{_pct(radius)} of customers, the survivors served {_served_pct(served)} of the peak, "
            f"and the cells cost {total:,.0f} of the {BUDGET:,} req/s budget.")


# -- 3. every shuffle shard, listed ---------------------------------------------------------

def _worker_set(i: int, entry: Any, names: set[str]) -> tuple[frozenset[str], tuple | None]:
    """One entry of the learner's list as a set of worker names and the order it gave them in
    (None for a set, which has no order), or a diagnosis."""
    example = "a tuple or set of worker names such as ('w1', 'w4', 'w7')"
    if isinstance(entry, (str, bytes, dict)) or not isinstance(entry, Iterable):
        raise NotYet(f"entry {i} of your list is {_short(entry)}, a {type(entry).__name__}; "
                     f"each entry is one shard: {example}.")
    items = list(itertools.islice(iter(entry), MAX_IN_SHARD + 1))
    if len(items) > MAX_IN_SHARD:
        raise NotYet(f"entry {i} of your list has more than {MAX_IN_SHARD} items; each entry is "
                     f"one shard: {example}.")
    for item in items:
        if not isinstance(item, str) or item not in names:
            raise NotYet(f"entry {i} of your list, {_short(entry)}, holds {_short(item)}, which "
                         f"is not a worker: the workers are 'w1' to 'w{WORKERS}'.")
    workers = frozenset(items)
    if len(workers) < len(items):
        twice = next(w for w in items if items.count(w) > 1)
        raise NotYet(f"entry {i} of your list, {_short(entry)}, names {twice} more than once: "
                     f"a shard is {SHARD_SIZE} different workers.")
    if len(workers) != SHARD_SIZE:
        raise NotYet(f"entry {i} of your list, {_short(entry)}, has {len(workers)} workers; "
                     f"each customer gets {SHARD_SIZE}.")
    return workers, None if isinstance(entry, (set, frozenset)) else tuple(items)


def _braces(workers: frozenset[str]) -> str:
    """{w1, w4, w7}: a shard as a set, its workers in number order."""
    return "{" + ", ".join(sorted(workers, key=lambda w: int(w[1:]))) + "}"


def _grade_shard_list(shards: Any) -> str:
    if isinstance(shards, (str, bytes, dict)) or not isinstance(shards, Iterable):
        kind = "a number" if isinstance(shards, (int, float)) else f"a {type(shards).__name__}"
        raise NotYet(f"hand in a list of shards, each a tuple or set of worker names, not {kind}: "
                     "the check counts what you list.")
    entries = list(itertools.islice(iter(shards), MAX_LISTED + 1))
    if len(entries) > MAX_LISTED:
        raise NotYet(f"your list has more than {MAX_LISTED:,} entries; this exercise grades at "
                     f"most {MAX_LISTED:,}.")
    if not entries:
        raise NotYet("your list is empty: list every shard, each a tuple or set of worker names.")
    names = {f"w{w}" for w in range(1, WORKERS + 1)}
    read = [_worker_set(i, entry, names) for i, entry in enumerate(entries)]
    sets = [workers for workers, _ in read]
    repeated, times = Counter(sets).most_common(1)[0]
    if times > 1:
        orders = {order for workers, order in read if workers == repeated and order is not None}
        how = " in different orders" if len(orders) > 1 else ""
        raise NotYet(f"your list holds the shard {_braces(repeated)} {times} times{how}: a shard "
                     "is a set, so the same workers in another order are the same shard. List "
                     "each set once.")
    every = {frozenset(f"w{w + 1}" for w in shard)
             for shard in all_shards(WORKERS, SHARD_SIZE, "shuffle")}
    missing = every - set(sets)
    if missing:
        first = min(missing, key=lambda s: sorted(int(w[1:]) for w in s))
        raise NotYet(f"your {len(sets):,} shards are all different sets of {SHARD_SIZE} workers, "
                     f"but not every one is there: {_braces(first)} is missing.")
    return (f"your list holds every shard once: {len(sets):,} different sets of {SHARD_SIZE} of "
            f"the {WORKERS} workers, C({WORKERS}, {SHARD_SIZE}) = {len(sets):,}, so a poison "
            f"customer fully overlaps only 1 in {len(sets):,} of the others.")


# -- 4. a shuffle-shard layout --------------------------------------------------------------

def _grade_shard_layout(arch: Any) -> str:
    arch = _architecture(arch, "an Architecture built with catalog.sharded_workers(...)")
    workers = [c for c in arch.components if arch.component(c).kind == "worker"]
    shards = [c for c in arch.components if arch.component(c).kind == "group"]
    if not workers or not shards:
        raise NotYet("your architecture has no workers in shards: build it with "
                     "catalog.sharded_workers(workers, shard_size, scheme).")
    scenario = arch.scenarios.get("poison customer")
    if scenario is None:
        raise NotYet("your architecture has no 'poison customer' scenario to run: build it with "
                     "catalog.sharded_workers(...).")
    sizes = {len(arch.dependencies(s, "member")) for s in shards}
    if min(sizes) < MIN_SHARD:
        raise NotYet(f"some customers have only {min(sizes)} worker: when it dies their client "
                     "has nothing to retry on. Give every customer at least "
                     f"{MIN_SHARD} workers.")
    crashed_share = len(scenario.crashes) / len(workers)
    if crashed_share > MAX_CRASHED_SHARE + 1e-9:
        raise NotYet(f"the poison customer crashes every worker of its shard: "
                     f"{len(scenario.crashes)} of your {len(workers)} workers, "
                     f"{_pct(crashed_share)} of the fleet; at most {_pct(MAX_CRASHED_SHARE)} may "
                     "go down.")
    radius = float(_crash_each(arch, [list(scenario.crashes)])[0])
    if radius > SHARD_TARGET + 1e-12:
        # Plain shards never share a worker; shuffle shards do.
        memberships = Counter(w for s in shards for w in arch.dependencies(s, "member"))
        overlapping = max(memberships.values()) > 1
        why = ("your shards are fixed groups that never overlap (plain sharding), so everyone "
               "on the poison customer's group loses every worker" if not overlapping else
               f"only customers on exactly its shard lose every worker, 1 in {len(shards):,} "
               "shards; you need more distinct shards")
        raise NotYet(f"a poison customer fully takes down {_pct(radius)} of customers; the "
                     f"target is at most {_pct(SHARD_TARGET)}: {why}.")
    if len(workers) > WORKER_BUDGET:
        raise NotYet(f"this meets the target ({_pct(radius)} fully taken down), but needs "
                     f"{len(workers)} workers; the budget is {WORKER_BUDGET}.")
    return (f"{len(workers)} workers, {len(shards):,} shards of {max(sizes)}: a poison customer "
            f"fully takes down {_pct(radius)} of customers and crashes "
            f"{_pct(crashed_share)} of the workers.")


# -- 5. the detail page in cells -------------------------------------------------------------

def _grade_page_cells(arch: Any) -> str:
    arch = _architecture(arch, "an Architecture built with catalog.in_cells(...)")
    present = set(arch.components)
    cells = [c for c in range(1, MAX_PAGE_CELLS + 2) if f"cell{c}-price" in present]
    if not cells:
        raise NotYet("your architecture has no cell1-price: put lesson 02's product detail page "
                     "into cells with catalog.in_cells(...).")
    if f"cell{MAX_PAGE_CELLS + 1}-price" in present:
        raise NotYet(f"this exercise grades at most {MAX_PAGE_CELLS} cells.")
    missing = [f"cell {c}: can buy" for c in cells if f"cell {c}: can buy" not in arch.features]
    missing += [f"cell{c}-reviews db" for c in cells if f"cell{c}-reviews db" not in present]
    if missing:
        raise NotYet(f"your architecture has no {missing[0]!r}: build the whole page in every "
                     "cell with catalog.in_cells(...).")
    if len(cells) < 2:
        raise NotYet("your page runs in one cell, so a crash in it reaches every customer.")
    # Share of customers in each cell, and which cell's customers can buy in each world.
    shares = {c: sum(s for f, s in arch.customer_shares.items() if f.startswith(f"cell {c}: "))
              for c in cells}
    if not math.isclose(sum(shares.values()), 1.0, abs_tol=1e-9):
        raise NotYet("your cells do not hold all the customers between them: give each cell a "
                     "share with catalog.in_cells(...).")
    worlds = [[f"cell{c}-{part}"] for part in ("price", "reviews db") for c in cells]
    names = arch.breakable
    column = {name: j for j, name in enumerate(names)}
    up = np.ones((len(worlds), len(names)), dtype=bool)
    for i, (down,) in enumerate(worlds):
        up[i, column[down]] = False
    works = component_works(arch, up, names)
    cannot_buy = np.zeros(len(worlds))
    for c in cells:
        ok = np.logical_and.reduce([works[r] for r in arch.feature(f"cell {c}: can buy").requires])
        cannot_buy += shares[c] * ~ok
    price, reviews = cannot_buy[:len(cells)], cannot_buy[len(cells):]
    i = int(price.argmax())
    if price[i] > PAGE_TARGET + 1e-9:
        raise NotYet(f"with cell{cells[i]}-price down, {_pct(price[i])} of customers cannot buy; "
                     f"the target is at most {_pct(PAGE_TARGET)}.")
    j = int(reviews.argmax())
    if reviews[j] > 0:
        raise NotYet(f"with cell{cells[j]}-reviews db down, {_pct(reviews[j])} of customers cannot "
                     "buy: in your page a widget that reads the reviews db takes the page down "
                     "with it. The reviews db should only cost that cell its extras.")
    return (f"{len(cells)} cells: a price crash in one stops {_pct(price.max())} of customers "
            "from buying, a reviews db crash stops nobody.")


def exercises() -> list[Exercise | Build]:
    return [
        Build("route by a stable key", _grade_routing,
              ("the router reads one field of each request and maps it to a cell. Which field "
               "is the same for all of a customer's requests, and has many different values?",
               "hash that field with labkit's stable hash: sharding.cells_for([request[field] "
               "for request in log], 8) gives one cell (0 to 7) per request."),
              "a list with one cell number per request"),
        Build("cells for a target and a budget", _grade_cell_layout,
              ("three things decide it: how many cells (one cell's loss reaches 1/N of the "
               "customers), how big each cell is, and whether the N−1 cells left after a loss "
               "carry the whole peak.",
               "choose the number of cells from the blast-radius target first, then a cell size "
               "whose N−1 survivors carry the peak with some to spare (with Poisson arrivals a "
               "cell's count per second varies by about the square root of its average), and "
               "add up the cost. Smaller cells make headroom cheaper."),
              "an Architecture built with catalog.cells(...)"),
        Build("shuffle shards of 3 from 10", _grade_shard_list,
              ("a shard is a set of workers: order does not matter, so ('w1', 'w2', 'w3') and "
               "('w3', 'w2', 'w1') are one shard, and there are fewer than 10 x 9 x 8.",
               "the ways to choose k of n items, order free, number C(n, k) = "
               "n! / (k! (n − k)!); Python's itertools module has a function that lists "
               "exactly those choices, and one that lists every order of them."),
              "a list of shards, each a tuple or set of worker names"),
        Build("shuffle shards for a target", _grade_shard_layout,
              ("a poison customer fully takes down only the customers on exactly its shard: one "
               "in the number of distinct shards. Plain shards are few; shuffle shards are many.",
               "count shuffle shards with sharding.shard_count(workers, shard_size, \"shuffle\") "
               "for the fleets your budget allows, and keep each shard small enough that the "
               "poison cannot crash too much of the fleet."),
              "an Architecture built with catalog.sharded_workers(...)"),
        Build("the detail page in cells", _grade_page_cells,
              ("two things decide it: how many cells share the customers (a crash in one cell "
               "reaches 1/N of them), and whether the page hard- or soft-depends on the widgets "
               "that read the reviews db.",
               "build it with catalog.in_cells(catalog.detail_page(graceful=...), n_cells), "
               "and look up in lesson 02 which kind of dependency lets a page sell while an "
               "extra is down."),
              "an Architecture built with catalog.in_cells(...)"),
    ]
