"""The lesson architectures, each built from plain model calls with a layout that reads well.

Availabilities are stated assumptions for teaching (typical single-instance figures), not
measurements of Amazon's systems, and the topologies are this lab's teaching models; lessons
say so.

>>> arch = monolith()
>>> arch.components
['app', 'server', 'db']
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Sequence

import numpy as np

from .errors import (check_count, check_flag, check_names, check_number, check_population,
                     check_probability, fail)
from .layout import positions
from .model import MAX_COMPONENTS, Architecture
from .sharding import (all_shards, cell_for, customers_per_cell, shard_count, shard_for,
                       shard_indexes)

POISON_CUSTOMER = "customer-000042"  # the tenant whose request crashes what handles it


def _check_availabilities(**values: float) -> None:
    # Check every availability argument by its own name before anything is built, so
    # monolith(app=1.5) names `app`, and an unused one (regions=1) is still checked.
    for name, value in values.items():
        check_probability(name, value)


def monolith(app: float = 0.999, server: float = 0.9995, db: float = 0.9995) -> Architecture:
    """One process on one server with one database: one failure domain for every feature.

    Amazon.com began in 1994 on two servers (talk, S3); this one-server shop is our model.
    """
    _check_availabilities(app=app, server=server, db=db)
    arch = Architecture("monolith", "one process serves every feature")
    arch.add_component("app", app, pos=(0, 0),
                       description="the monolith: one process for catalog, cart, checkout, reviews")
    arch.add_component("server", server, kind="domain", pos=(-1, 1),
                       description="the machine the process runs on")
    arch.add_component("db", db, kind="database", pos=(1, 1), description="the database")
    arch.add_dependency("app", "server").add_dependency("app", "db")
    for feature in ("browse", "buy", "review"):
        arch.add_feature(feature, ["app"], f"customers can {feature}")
    arch.add_scenario("poison request", ["app"],
                      "a malformed request crashes the process that parses it")
    return arch


def replicated_monolith(replicas: int = 3, app: float = 0.999, load_balancer: float = 0.9999,
                        db: float = 0.9995) -> Architecture:
    """The monolith behind a load balancer, ``replicas`` copies, one shared database.

    Replicas multiply away the app's downtime (the parallel formula); the load balancer and
    the database are shared, so their availability is a ceiling no replica count can lift.
    """
    replicas = check_count("replicas", replicas, low=1, high=64)
    _check_availabilities(app=app, load_balancer=load_balancer, db=db)
    arch = Architecture("replicated monolith", f"{replicas} replicas behind a load balancer")
    arch.add_component("lb", load_balancer, kind="load balancer", pos=(0, 0),
                       description="the load balancer")
    names = [f"app-{i}" for i in range(1, replicas + 1)]
    # Wide replica rows wrap, so the diagram keeps its width with many replicas.
    per_row = 8
    for i, name in enumerate(names):
        row, col = divmod(i, per_row)
        in_row = min(per_row, replicas - row * per_row)
        arch.add_component(name, app, pos=(col - (in_row - 1) / 2, 2 + row),
                           description=f"app replica {i + 1} (process and machine)")
    arch.add_group("app tier", names, k=1, pos=(0, 1),
                   description=f"works while any 1 of the {replicas} replicas works")
    rows = (replicas - 1) // per_row + 1
    arch.add_component("db", db, kind="database", pos=(0, 2 + rows), description="the database")
    arch.add_dependency("lb", "app tier")
    for name in names:
        arch.add_dependency(name, "db")
    for feature in ("browse", "buy", "review"):
        arch.add_feature(feature, ["lb"], f"customers can {feature}")
    arch.add_scenario("poison request", names,
                      "the same bad request, retried, crashes every replica in turn")
    arch.add_scenario("one replica dies", names[:1], "an ordinary crash of one process")
    return arch


# The product detail page: S5 names title, star rating and images as widgets and a core of
# price, title... that must work to buy. Buy box, reviews, recommendations and the backends
# are this lab's teaching model, not Amazon's real topology.
_DETAIL_CORE = ("title", "price", "buy box")
_DETAIL_EXTRAS = ("images", "star rating", "reviews", "recommendations", "delivery estimate",
                  "questions")
# Left to right in the diagram, grouped by the backend each widget uses, so lines don't cross.
_DETAIL_ORDER = ("title", "images", "price", "buy box", "delivery estimate", "star rating",
                 "reviews", "questions", "recommendations")


def detail_page(graceful: bool = True, widget: float = 0.999, backend: float = 0.9995,
                page: float = 0.9999) -> Architecture:
    """A product detail page as independent widget services: our model of S4 and S5.

    ``graceful=True``: only the core (title, price, buy box) is a hard dependency; reviews,
    images, recommendations... are soft, so their failure degrades the page but the customer
    can still buy. ``graceful=False`` makes every widget hard: the "all or nothing" page.
    """
    check_flag("graceful", graceful)
    _check_availabilities(widget=widget, backend=backend, page=page)
    arch = Architecture("product detail page" + ("" if graceful else " (all hard)"),
                        "widgets rendered by independent services")
    arch.add_component("page", page, pos=(0, 0),
                       description="the detail page: assembles the widgets into one page")
    widgets = _DETAIL_CORE + _DETAIL_EXTRAS
    x = {name: i - (len(_DETAIL_ORDER) - 1) / 2 for i, name in enumerate(_DETAIL_ORDER)}
    for name in widgets:
        arch.add_component(name, widget, pos=(x[name], 1),
                           description="core: needed to buy" if name in _DETAIL_CORE
                           else "extra: nice to have")
    backends = [("catalog", ("title", "images")), ("pricing", ("price",)),
                ("inventory", ("buy box", "delivery estimate")),
                ("reviews db", ("star rating", "reviews", "questions")),
                ("personalization", ("recommendations",))]
    for name, users in backends:
        # Each backend sits under the middle of the widgets it serves.
        arch.add_component(name, backend, kind="database",
                           pos=(sum(x[u] for u in users) / len(users), 2),
                           description="backend of " + ", ".join(users))
        for user in users:
            arch.add_dependency(user, name)
    for name in widgets:
        arch.add_dependency("page", name, "hard" if name in _DETAIL_CORE or not graceful else "soft")
    arch.add_feature("can buy", ["page", *_DETAIL_CORE], "title, price and buy box work")
    arch.add_feature("whole page", ["page", *widgets], "every widget works")
    arch.add_feature("see reviews", ["page", "star rating", "reviews"], "ratings and reviews show")
    arch.add_scenario("reviews database down", ["reviews db"],
                      "one backend takes star rating, reviews and questions with it")
    arch.add_scenario("recommendations down", ["recommendations"], "a soft dependency fails")
    return arch


def _check_size(argument: str, value: Any, components: int) -> None:
    if components > MAX_COMPONENTS:
        raise fail(argument, value, f"this would build {components:,} components; an "
                   f"architecture holds at most {MAX_COMPONENTS:,}")


def cells(n_cells: int = 4, tiers: Sequence[str] = ("web", "app", "db"), *, regions: int = 1,
          tier_availability: float = 0.999, router_availability: float = 0.99999,
          region_availability: float = 0.9999, shared_database: bool = False,
          deploy_waves: int = 0, deploy_availability: float = 0.9999,
          customers: Sequence[Any] | None = None, seed: int = 0,
          tier_capacity: float = math.inf) -> Architecture:
    """``n_cells`` identical cells behind a thin, stateless, hash-based router (talk, S6-S8).

    Each cell is a full copy of the stack (``tiers``) serving its own customers; a customer's
    feature is "my cell works". Cells share nothing unless ``shared_database=True`` puts one
    database under every cell, which the analysis shows as a single point of failure.
    With ``regions > 1`` the cells are spread over regions, each a shared failure domain.
    With ``deploy_waves > 0`` each cell's middle tier runs the build of one deployment wave
    (consecutive cells): a bad build is a failure domain of its wave's cells only.
    ``customers``: route this population with the router's hash (seeded by ``seed``) to set
    each cell's share (default: equal shares). The "poison tenant" scenario crashes the cell
    the same router sends customer-000042 to. ``tier_capacity``: requests per second each
    tier of a cell can serve (for the simulation; unlimited by default).
    """
    n_cells = check_count("n_cells", n_cells, low=1, high=512)
    regions = check_count("regions", regions, low=1, high=64)
    tiers = check_names("tiers", tiers)
    if not tiers or len(set(tiers)) != len(tiers) or len(tiers) > 64:
        raise fail("tiers", tiers, "expected 1 to 64 distinct tier names")
    _check_availabilities(tier_availability=tier_availability,
                          router_availability=router_availability,
                          region_availability=region_availability,
                          deploy_availability=deploy_availability)
    shared_database = check_flag("shared_database", shared_database)
    deploy_waves = check_count("deploy_waves", deploy_waves, low=0, high=n_cells)
    seed = check_count("seed", seed, low=0, high=2**63)
    if not (isinstance(tier_capacity, float) and tier_capacity == math.inf):
        tier_capacity = check_number("tier_capacity", tier_capacity, low=0.0, low_open=True,
                                     allowed="expected requests per second above 0 (math.inf: unlimited)")
    if customers is not None:
        customers = check_population("customers", customers)
        if not customers:
            raise fail("customers", customers, "expected at least one customer")
    if n_cells % regions:
        raise fail("regions", regions, f"expected a divisor of n_cells={n_cells}, "
                   "so every region holds the same number of cells")
    _check_size("tiers", tiers, n_cells * len(tiers) + regions + deploy_waves + 2)
    arch = Architecture(f"{n_cells} cells" + (f" in {regions} regions" if regions > 1 else ""),
                        "cells behind a hash-based cell router")
    arch.add_component("router", router_availability, kind="router", pos=((n_cells - 1) / 2, 0),
                       description="the cell router: stateless, hash(customer) mod N, "
                       "no business logic")
    region_of = {c: c * regions // n_cells for c in range(n_cells)}
    features = []
    for c in range(n_cells):
        names = [f"cell{c + 1}-{tier}" for tier in tiers]
        for depth, (name, tier) in enumerate(zip(names, tiers)):
            arch.add_component(name, tier_availability, kind="database" if tier == "db" else "service",
                               pos=(c, depth + 1), description=f"cell {c + 1}'s {tier} tier",
                               capacity=tier_capacity)
        for upper, lower in zip(names, names[1:]):
            arch.add_dependency(upper, lower)
        # Soft: a dead cell must not fail the router, only the customers routed to that cell.
        arch.add_dependency("router", names[0], "soft")
        feature = f"cell {c + 1} customers"
        arch.add_feature(feature, ["router", names[0]], f"customers routed to cell {c + 1}")
        features.append(feature)
    if regions > 1:
        per_region = n_cells // regions
        for r in range(regions):
            members = [f"cell{c + 1}-{tier}" for c in range(n_cells) if region_of[c] == r
                       for tier in tiers]
            arch.add_failure_domain(f"region{r + 1}", members, region_availability,
                                    pos=(r * per_region + (per_region - 1) / 2, len(tiers) + 1),
                                    description=f"region {r + 1}: its cells fail together")
        arch.add_scenario("region 1 outage", ["region1"], "a whole region's cells go together")
    middle = tiers[len(tiers) // 2]
    if deploy_waves:
        for w in range(deploy_waves):
            members = [f"cell{c + 1}-{middle}" for c in range(n_cells) if c * deploy_waves // n_cells == w]
            arch.add_failure_domain(f"wave{w + 1}", members, deploy_availability,
                                    description=f"deploy wave {w + 1}: the build this wave runs; "
                                    "a bad one fails them all",
                                    pos=((w + 0.5) * n_cells / deploy_waves - 0.5,
                                         len(tiers) + 1 + (regions > 1)))
        arch.add_scenario("bad deploy to wave 1", ["wave1"], "a bad build reaches the first wave only")
    if shared_database:
        arch.add_component("shared-db", 0.9995, kind="database",
                           pos=((n_cells - 1) / 2, len(tiers) + 1 + (regions > 1) + (deploy_waves > 0)),
                           description="a database every cell shares (the anti-pattern)")
        for c in range(n_cells):
            arch.add_dependency(f"cell{c + 1}-{tiers[-1]}", "shared-db")
        arch.add_scenario("shared database down", ["shared-db"], "the state the cells share fails")
    if customers is not None:
        counts = customers_per_cell(customers, n_cells, seed).tolist()
        total = sum(counts)
        arch.set_partitions({f: n / total for f, n in zip(features, counts)})
    else:
        arch.set_partitions({f: 1 / n_cells for f in features})
    poison_cell = cell_for(POISON_CUSTOMER, n_cells, seed)
    arch.add_scenario("poison tenant", [f"cell{poison_cell + 1}-{middle}"],
                      f"{POISON_CUSTOMER} sends a request that crashes its cell's "
                      f"{middle} tier; the router keeps it in cell {poison_cell + 1}")
    arch.add_scenario("bad deploy to every cell", [f"cell{c + 1}-{middle}" for c in range(n_cells)],
                      "the anti-pattern: one deployment to all cells at once")
    return arch


RING_TIERS = ("edge", "api", "events", "workers", "store", "cache", "notify", "transcode",
              "index", "auth", "billing", "search", "media", "feed", "audit", "logs")


def ring_sized(regions: int = 8, cells_per_region: int = 4, tiers: int = 5) -> Architecture:
    """The capstone's scale for analysis budgets: 8 regions x 4 cells x 5 tiers."""
    regions = check_count("regions", regions, low=1, high=64)
    cells_per_region = check_count("cells_per_region", cells_per_region, low=1, high=64)
    tiers = check_count("tiers", tiers, low=1, high=len(RING_TIERS))
    if regions * cells_per_region > 512:
        raise fail("cells_per_region", cells_per_region, f"expected regions x cells_per_region "
                   f"<= 512 (regions={regions})")
    return cells(regions * cells_per_region, RING_TIERS[:tiers], regions=regions)


RING_PEAK = 300_000          # req/s across 8 regions (talk, S14, as reported)
RING_HALLOWEEN = 6           # Halloween: more than six times typical usage (Amazon, 2022)


def ring(regions: int = 8, cells_per_region: int = 4, *, tiers: Sequence[str] = ("edge", "api", "store"),
         cell_capacity: float = 12_000.0, tier_availability: float = 0.9995,
         region_availability: float = 0.9999, router_availability: float = 0.99999,
         deploy_waves: int = 4, clips_per_request: float = 0.05, transcode_capacity: float = 600.0,
         transcode_deadline: float = 300.0, notifications_per_request: float = 0.1,
         notify_capacity: float = 1_500.0, notify_deadline: float = 10.0) -> Architecture:
    """Ring, as this lab models it: cells in ``regions`` regions, event-driven.

    From the talk: Ring is event-driven (S9), transcodes video and sends real-time
    notifications at large events such as Halloween (S10), runs in cells whose survivors
    share a failing cell's load (S11), and is deployed in 8 regions (S14). Everything else
    here is **our teaching model**, and every number an assumption: three tiers per cell
    behind a hash-based cell router; each region a failure domain; deployments in waves of
    consecutive cells; and in each cell two consumers fed through queues, ``transcode``
    (video clips) and ``notify`` (doorbell and motion alerts). A request never waits for
    them: a slow or dead consumer delays its work, which is late once it has waited its
    deadline (``Architecture.add_queue``). ``cell_capacity`` (req/s per cell) is sized so
    that at a 300,000 req/s peak (``RING_PEAK``) the other cells absorb a lost region:
    300,000 / 28 < 12,000. The fallback cell and breakers are settings of the simulation
    (``Fallback``, ``BreakerConfig``), not parts of the architecture.

    >>> arch = ring()
    >>> len(arch.customer_shares), len(arch.queues())
    (32, 64)
    >>> arch.queues()[0]
    ('cell1-api', 'cell1-transcode', 300.0, 0.05)
    """
    regions = check_count("regions", regions, low=1, high=64)
    cells_per_region = check_count("cells_per_region", cells_per_region, low=1, high=64)
    if regions * cells_per_region > 512:
        raise fail("cells_per_region", cells_per_region, f"expected regions x cells_per_region "
                   f"<= 512 (regions={regions})")
    tiers = check_names("tiers", tiers)
    if len(tiers) < 2:
        raise fail("tiers", tiers, "expected at least 2 tiers: the second produces the queued work")
    numbers = {"clips_per_request": clips_per_request, "transcode_capacity": transcode_capacity,
               "transcode_deadline": transcode_deadline,
               "notifications_per_request": notifications_per_request,
               "notify_capacity": notify_capacity, "notify_deadline": notify_deadline}
    for name, value in numbers.items():
        check_number(name, value, low=0.0, low_open=True, high=1e9,
                     allowed="expected a number above 0")
    n = regions * cells_per_region
    arch = cells(n, tiers, regions=regions, tier_availability=tier_availability,
                 router_availability=router_availability, region_availability=region_availability,
                 deploy_waves=min(check_count("deploy_waves", deploy_waves, low=0, high=n), n),
                 tier_capacity=cell_capacity)
    arch.name, arch.description = f"Ring ({regions} regions x {cells_per_region} cells)", \
        "event-driven cells: requests queue work for transcoding and notifications"
    producer = tiers[1]
    consumers = (("transcode", transcode_capacity, transcode_deadline, clips_per_request),
                 ("notify", notify_capacity, notify_deadline, notifications_per_request))
    for c in range(n):
        for j, (job, capacity, deadline, per) in enumerate(consumers):
            name = f"cell{c + 1}-{job}"
            arch.add_component(name, tier_availability, kind="service", capacity=capacity,
                               pos=(c, len(tiers) + 3 + j), description=f"cell {c + 1}'s {job} "
                               "workers, fed by a queue")
            if regions > 1:
                arch.add_dependency(name, f"region{c * regions // n + 1}")
            arch.add_queue(f"cell{c + 1}-{producer}", name, deadline=deadline, per_request=per)
    return arch


def ring_request_path(*, routers: int = 3, router_availability: float = 0.9999,
                      tier_availability: float = 0.9995, region_availability: float = 0.9999,
                      deploy_availability: float = 0.9999, fallback: bool = True) -> Architecture:
    """One Ring customer's request, from router to data: small enough to draw and to
    analyse exactly, for the question "what would six nines take?".

    Our teaching model (numbers are assumptions): the request needs one of ``routers``
    router instances, and either its own cell (three tiers in its region, running its
    deploy wave's build) or, when ``fallback``, the fallback cell (three tiers in another
    region, on a build of its own; talk, S12). A health check is assumed to move the
    request at once, so this is an upper bound on what the request sees; the simulation
    adds the seconds before anyone notices.

    >>> from labkit.analysis import availability
    >>> round(availability(ring_request_path(fallback=False)), 6)
    0.998301
    """
    routers = check_count("routers", routers, low=1, high=16)
    _check_availabilities(router_availability=router_availability,
                          tier_availability=tier_availability,
                          region_availability=region_availability,
                          deploy_availability=deploy_availability)
    fallback = check_flag("fallback", fallback)
    arch = Architecture("a Ring request" + (" with a fallback cell" if fallback else ""),
                        "one customer's request: routers, its cell, and the fallback cell")
    names = [f"router{i + 1}" for i in range(routers)]
    for i, name in enumerate(names):
        arch.add_component(name, router_availability, kind="router", pos=(i - (routers - 1) / 2 + 0.5, 1),
                           description="a stateless cell router instance")
    arch.add_group("routers", names, k=1, pos=(0.5, 0), description=f"any 1 of {routers} routers")
    paths = [("cell", "its own cell", 0)] + ([("fallback", "the fallback cell", 1)] if fallback else [])
    for prefix, what, x in paths:
        tiers = [f"{prefix}-{tier}" for tier in ("edge", "api", "store")]
        for depth, name in enumerate(tiers):
            arch.add_component(name, tier_availability, pos=(x, depth + 3),
                               kind="database" if name.endswith("store") else "service",
                               description=f"{what}: {name.split('-')[1]} tier")
        for upper, lower in zip(tiers, tiers[1:]):
            arch.add_dependency(upper, lower)
        arch.add_failure_domain(f"{prefix}-region", tiers, region_availability, pos=(x, 6),
                                description=f"the region {what} runs in")
        arch.add_failure_domain(f"{prefix}-build", [tiers[1]], deploy_availability, pos=(x, 7),
                                kind="domain", description=f"the build {what} runs")
    entries = [f"{prefix}-edge" for prefix, _, _ in paths]
    arch.add_group("a cell", entries, k=1, pos=(0.5, 2),
                   description="its own cell, or the fallback cell when that is down")
    for name in names:
        arch.add_dependency(name, "a cell")
    arch.add_feature("request served", ["routers"], "the customer's request is served")
    arch.add_scenario("own cell down", ["cell-api"], "its cell's api tier crashes")
    arch.add_scenario("region down", ["cell-region"], "the region of its cell goes dark")
    return arch


def _shard_name(members: Sequence[int]) -> str:
    # A shard of one worker needs a name of its own: its worker already has "w1".
    name = "+".join(f"w{m + 1}" for m in members)
    return name if len(members) > 1 else f"shard {name}"


def sharded_workers(workers: int = 8, shard_size: int = 2, scheme: str = "plain",
                    worker_availability: float = 0.999, customers: Sequence[Any] | None = None,
                    seed: int = 0, poison: Any = POISON_CUSTOMER) -> Architecture:
    """Customers spread over ``workers`` in shards of ``shard_size`` (Builders' Library).

    ``scheme="plain"``: n/k fixed shards. ``scheme="shuffle"``: every k-combination is a
    shard, customers land on one by hash. A customer is served while any worker of its shard
    works (clients retry on the other members). The "poison customer" scenario crashes every
    worker of ``poison``'s shard. Shards are named by their workers, e.g. ``w1+w2``.
    """
    workers = check_count("workers", workers, low=1, high=64)
    count = shard_count(workers, shard_size, scheme)  # validates shard_size and scheme
    if count > 2000:  # one feature per shard: keep it drawable
        raise fail("shard_size", shard_size, f"expected at most 2000 shards of {workers} workers "
                   f"(got {count:,}); use labkit.sharding for larger counts")
    _check_availabilities(worker_availability=worker_availability)
    seed = check_count("seed", seed, low=0, high=2**63)
    if customers is not None:
        customers = check_population("customers", customers)
        if not customers:
            raise fail("customers", customers, "expected at least one customer")
    dead = shard_for(poison, workers, shard_size, scheme, seed)  # validates poison as a key
    shards = all_shards(workers, shard_size, scheme)
    arch = Architecture(f"{workers} workers, {scheme} sharding in shards of {shard_size}",
                        "a poison customer takes out the workers of its shard")
    # Many shards wrap into rows, so the diagram stays narrow enough to read.
    per_row = min(len(shards), 14)
    rows = (len(shards) - 1) // per_row + 1
    for w in range(workers):
        arch.add_component(f"w{w + 1}", worker_availability, kind="worker",
                           pos=(w * (per_row - 1) / max(workers - 1, 1), rows),
                           description=f"worker {w + 1}")
    features = []
    for s, members in enumerate(shards):
        name = _shard_name(members)
        row, col = divmod(s, per_row)
        arch.add_group(name, [f"w{m + 1}" for m in members], k=1, pos=(col, row),
                       description=f"shard {s + 1}: works while any of its workers works")
        feature = f"customers on {name}"
        arch.add_feature(feature, [name])
        features.append(feature)
    if customers is not None:
        counts = np.bincount(shard_indexes(customers, workers, shard_size, scheme, seed),
                             minlength=len(shards)).tolist()
        total = sum(counts)
        arch.set_partitions({f: n / total for f, n in zip(features, counts)})
    else:
        arch.set_partitions({f: 1 / len(shards) for f in features})
    arch.add_scenario("poison customer", [f"w{m + 1}" for m in dead],
                      f"{poison} crashes every worker it reaches: "
                      + ("its shard " + _shard_name(dead) if len(dead) > 1 else _shard_name(dead)))
    return arch


def in_cells(arch: Architecture, n_cells: int = 3, *, router_availability: float = 0.99999,
             features: Sequence[str] | None = None, customer_feature: str | None = None) -> Architecture:
    """Any architecture made cell-based: ``n_cells`` full copies behind a thin router.

    Every component is copied into each cell as ``cellN-<name>``, with its dependencies; the
    router reaches each cell's entry points softly (a dead cell must not fail the router).
    Each feature becomes one per cell, ``"cell N: <feature>"``, and customers are split
    equally by cell on ``customer_feature`` (default: the primary feature).
    """
    if not isinstance(arch, Architecture):
        raise fail("arch", arch, "expected a labkit Architecture to copy into cells")
    source = arch.validate()
    n_cells = check_count("n_cells", n_cells, low=1, high=64)
    _check_availabilities(router_availability=router_availability)
    chosen = check_names("features", features) if features is not None else source.feature_names
    for name in chosen:
        source.feature(name)
    customer_feature = source.feature(customer_feature).name
    if customer_feature not in chosen:
        chosen.insert(0, customer_feature)
    _check_size("n_cells", n_cells, n_cells * len(source.components) + 1)
    pos = positions(source)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    # Narrow stacks sit side by side under the router; wide ones (a whole page of widgets)
    # are stacked in bands with the router on the left, so names keep their room.
    side_by_side = max(xs) - min(xs) <= 4
    step = (max(xs) - min(xs) + 1.5) if side_by_side else (max(ys) - min(ys) + 1.4)

    def place(c: int, x: float, y: float) -> tuple[float, float]:
        return ((c - 1) * step + x, y) if side_by_side else (x, (c - 1) * step + y)

    router_pos = (((n_cells - 1) * step + max(xs) + min(xs)) / 2, min(ys) - 1.2) if side_by_side \
        else (min(xs) - 1.5, ((n_cells - 1) * step + max(ys) + min(ys)) / 2)
    out = Architecture(f"{source.name} in {n_cells} cells", f"{n_cells} copies of: {source.description}")
    out.add_component("router", router_availability, kind="router", pos=router_pos,
                      description="the cell router: stateless, hash(customer) mod N, "
                      "no business logic")
    for c in range(1, n_cells + 1):
        rename = {name: f"cell{c}-{name}" for name in source.components}
        for name in source.components:
            comp = source.component(name)
            copy = replace(comp, name=rename[name], pos=place(c, *pos[name]),
                           description=f"cell {c}: {comp.description or comp.kind}")
            out.graph.add_node(copy.name, component=copy)  # groups included, as they are
        for caller, callee, kind in source.edges():
            out.graph.add_edge(rename[caller], rename[callee], kind=kind)
        for entry in source.entry_points:
            out.add_dependency("router", rename[entry], "soft")
        for name in chosen:
            out.add_feature(f"cell {c}: {name}", ["router"] + [rename[r] for r in source.feature(name).requires])
    out._changed()
    out.set_partitions({f"cell {c}: {customer_feature}": 1 / n_cells for c in range(1, n_cells + 1)})
    for scenario in source.scenarios.values():
        out.add_scenario(f"cell 1: {scenario.name}", [f"cell1-{n}" for n in scenario.crashes],
                         scenario.description + " (in cell 1 only)")
    return out


def detail_page_cells(n_cells: int = 3, graceful: bool = True) -> Architecture:
    """The product detail page of S5, cell-based: each cell a full copy serving 1/N of customers."""
    return in_cells(detail_page(graceful), n_cells, customer_feature="can buy")
