"""Workbook 01: the monolith, chains, replicas and failure domains, graded on what you build.

Four of the five exercises are :class:`~labkit.check.Build`: the learner hands in an
:class:`~labkit.model.Architecture` (built with labkit's builder calls or
``catalog.replicated_monolith``) and the grader runs it through exact analysis
(:func:`labkit.availability`, :func:`labkit.single_points_of_failure`, crashes) and measures
it against the target the question states. The constants below are the numbers the
notebook's questions quote (``tests/test_workbook_01.py`` checks that they agree); nothing
here stores an answer.

The helpers at the top (``architecture``, ``stated_parts``, ...) are shared with workbook 02.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from ..analysis import availability
from ..check import Build, Exercise, NotYet
from ..failures import single_points_of_failure
from ..formulas import (downtime_per_year, format_duration, format_percent,
                        format_percent_against, series)
from ..model import Architecture

# 1. A chain of hard dependencies (a value: the warm-up).
CHAIN = {"load balancer": 0.9999, "app": 0.999, "database": 0.9995}

# 2-3. The shop on cheap machines: one load balancer, app replicas, a shared database.
LB = 0.9999                  # the load balancer
DB = 0.9995                  # a database (each copy, in exercise 3)
CHEAP_REPLICA = 0.97         # an app replica on a cheap machine
FEWEST_TARGET = 0.999        # exercise 2: "buy" at least three nines, with the fewest replicas
CEILING_TARGET = 0.9998      # exercise 3: "buy" at least 99.98 %

# 4-5. The lesson's replicated shop (catalog.replicated_monolith's defaults).
APP = 0.999                  # an app replica (process and machine)
SERVER = 0.9995              # exercise 4: a server, a failure domain of the replicas on it
REPLICAS = 4                 # exercises 4 and 5: four replicas
NEEDED = 2                   # exercise 4: each replica carries half the peak, so 2 must be up
SERVERS = 3                  # exercise 4: at most this many servers (two will do)
BUILD = 0.999                # exercise 5: a build is bad one deploy in a thousand
WAVES_TARGET = 0.999         # exercise 5: "buy" at least three nines despite bad builds

MAX_PARTS = 60               # components an exercise grades; larger ones are refused at once
MAX_LINKS = 400              # dependencies, likewise

ARCH = "an Architecture built with labkit"


# -- shared helpers (workbook 02 uses them too) -----------------------------------------

def pct(availability_: float) -> str:
    """'99.95 %', with a no-break space so a wrapped hint keeps the number with its %."""
    return format_percent(availability_).replace(" %", "\u00a0%")


def pct_against(availability_: float, target: float) -> str:
    """:func:`pct` with enough digits to see on which side of ``target`` it lies."""
    return format_percent_against(availability_, target).replace(" %", "\u00a0%")


def names(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def architecture(value: Any, what: str = ARCH) -> Architecture:
    """The learner's artefact as an Architecture small enough to grade, or a diagnosis."""
    if not isinstance(value, Architecture):
        kind = ("a number" if isinstance(value, (int, float)) and not isinstance(value, bool)
                else f"a {type(value).__name__}")
        raise NotYet(f"hand in {what}, not {kind}: the check runs what you build.")
    count = value.graph.number_of_nodes()
    if count == 0:
        raise NotYet("your architecture has no components yet.")
    if count > MAX_PARTS:
        raise NotYet(f"your architecture has {count:,} components; this exercise needs far "
                     f"fewer and grades at most {MAX_PARTS}.")
    if value.graph.number_of_edges() > MAX_LINKS:
        raise NotYet(f"your architecture has {value.graph.number_of_edges():,} dependencies; "
                     f"this exercise grades at most {MAX_LINKS}.")
    return value.validate()


def require_feature(arch: Architecture, feature: str, how: str) -> None:
    if feature not in arch.features:
        raise NotYet(f"your architecture has no feature named {feature!r}: declare it with "
                     f"{how}.")


def of_kind(arch: Architecture, kind: str) -> list[str]:
    return [c for c in arch.components if arch.component(c).kind == kind]


def stated_parts(arch: Architecture, parts: dict[str, tuple[float, str]], shop: str) -> None:
    """Every component that can fail is of a kind the question names, at its stated
    availability: the design may change, the parts may not.

    ``parts``: kind -> (availability, what the question calls a part of that kind).
    """
    for name in arch.breakable:
        component = arch.component(name)
        if component.kind not in parts:
            made_of = names(f"{role}s ({kind})" for kind, (_, role) in parts.items())
            raise NotYet(f"{name!r} is a {component.kind}; {shop} is made only of {made_of}.")
        want, role = parts[component.kind]
        if not math.isclose(component.availability, want, rel_tol=0.0, abs_tol=1e-12):
            raise NotYet(f"{name!r} is {pct(component.availability)} available in your "
                         f"architecture; the question gives every {role} {pct(want)}. Change "
                         "the design, not the parts.")


def needed(arch: Architecture, feature: str, parts: list[str], which: str, why: str) -> None:
    """With every one of ``parts`` down, ``feature`` must stop: the question says it needs them."""
    if parts and availability(arch, feature, dict.fromkeys(parts, 0.0)) > 0.0:
        raise NotYet(f"with every {which} down, {feature!r} still works in your architecture: "
                     f"{why}")


def runs_on(arch: Architecture, replicas: list[str], domains: list[str], what: str,
            missing: str) -> dict[str, str]:
    """Each replica hard-depends on exactly one of ``domains``: replica -> its domain."""
    if not domains:
        raise NotYet(missing)
    where = {}
    for replica in replicas:
        on = [d for d in arch.dependencies(replica, "hard") if d in domains]
        if not on:
            raise NotYet(f"{replica} runs on no {what} in your architecture: add it to the "
                         f"members of one (add_failure_domain).")
        if len(on) > 1:
            raise NotYet(f"{replica} runs on {len(on)} {what}s at once ({names(on)}); a "
                         f"replica runs on one.")
        where[replica] = on[0]
    for domain in domains:
        others = [c for c in arch.dependents(domain) if c not in replicas]
        if others:
            raise NotYet(f"in your architecture {names(others)} depend"
                         f"{'s' if len(others) == 1 else ''} on {domain}; only the app replicas "
                         f"run on a {what}.")
    return where


# -- 2. the fewest replicas for three nines ---------------------------------------------

CHEAP_SHOP = {"load balancer": (LB, "load balancer"), "database": (DB, "database"),
              "service": (CHEAP_REPLICA, "app replica")}


def _cheap_shop(value: Any, one_database: bool
                ) -> tuple[Architecture, list[str], list[str], list[str]]:
    arch = architecture(value, f"{ARCH}, e.g. catalog.replicated_monolith(n, app={CHEAP_REPLICA})")
    require_feature(arch, "buy", 'shop.add_feature("buy", ["lb"])')
    stated_parts(arch, CHEAP_SHOP, "this shop")
    lbs, dbs = of_kind(arch, "load balancer"), of_kind(arch, "database")
    replicas = of_kind(arch, "service")
    if not replicas:
        raise NotYet("your shop has no app replicas (services) yet.")
    if len(lbs) != 1 and one_database:
        raise NotYet(f"the question's shop has one load balancer; yours has {len(lbs)}.")
    if not dbs:
        raise NotYet("your shop has no database: every request reads or writes the shop's data.")
    if len(dbs) != 1 and one_database:
        raise NotYet(f"the question's shop has one shared database; yours has {len(dbs)}.")
    if not lbs:
        raise NotYet("your shop has no load balancer: it is what spreads requests over the "
                     "replicas.")
    needed(arch, "buy", lbs, "load balancer", "every request comes in through one.")
    needed(arch, "buy", dbs, "database", "every request needs the shop's data.")
    needed(arch, "buy", replicas, "app replica", "every request needs an app replica to serve "
           "it.")
    return arch, lbs, dbs, replicas


def _grade_fewest(value: Any) -> str:
    arch, lbs, dbs, replicas = _cheap_shop(value, one_database=True)
    target, n = FEWEST_TARGET, len(replicas)
    buy = availability(arch, "buy")
    if buy < target:
        short = (f"with {n} replica{'s' if n > 1 else ''} 'buy' reaches "
                 f"{pct_against(buy, target)}, short of {pct(target)}.")
        tier = availability(arch, "buy", dict.fromkeys(lbs + dbs, 1.0))
        if tier >= target:
            short += (f" The app tier alone reaches {pct(tier)}, but every request also needs "
                      "the load balancer and the database: their downtime adds to the tier's.")
        raise NotYet(short)
    for replica in replicas:
        fewer = availability(arch, "buy", {replica: 0.0})
        if fewer >= target:
            raise NotYet(f"you met the target, but used more replicas than needed: with {replica} "
                         f"gone, 'buy' still reaches {pct(fewer)}.")
    return (f"'buy' reaches {pct(buy)}, at least {pct(target)}, and it would not with one "
            "replica fewer.")


# -- 3. lift the ceiling --------------------------------------------------------------------

def _grade_ceiling(value: Any) -> str:
    arch, lbs, dbs, replicas = _cheap_shop(value, one_database=False)
    target = CEILING_TARGET
    buy = availability(arch, "buy")
    spofs = single_points_of_failure(arch, "buy")
    if buy < target:
        cap = math.prod(arch.availability_of(c) for c in spofs)
        short = f"'buy' reaches {pct_against(buy, target)}, short of {pct(target)}."
        if cap < target:
            one = len(spofs) == 1
            still = "is still a single point" if one else "are still single points"
            short += (f" {names(spofs)} {still} of failure: every request needs "
                      f"{'it' if one else 'them'}, so 'buy' can never beat "
                      f"{pct_against(cap, target)}.")
            if any(c in dbs for c in spofs):
                short += (" Adding app replicas cannot help: the database is in series with "
                          "every replica.")
        else:
            short += (f" Nothing shared holds it below the target any more (alone, the single "
                      f"points of failure allow {pct(cap)}): the app tier, {len(replicas)} "
                      f"replica{'s' if len(replicas) > 1 else ''} at {pct(CHEAP_REPLICA)}, is "
                      "now the weak part.")
        raise NotYet(short)
    left = f"single points of failure left: {names(spofs)}" if spofs else \
        "no single point of failure is left"
    return f"'buy' reaches {pct(buy)}, at least {pct(target)}; {left}."


# -- 4. no server a single point of failure -------------------------------------------------

SPREAD_SHOP = {"load balancer": (LB, "load balancer"), "database": (DB, "database"),
               "service": (APP, "app replica"), "domain": (SERVER, "server")}


def _grade_spread(value: Any) -> str:
    arch = architecture(value)
    require_feature(arch, "buy", 'shop.add_feature("buy", ["lb"])')
    stated_parts(arch, SPREAD_SHOP, "this shop")
    replicas, servers = of_kind(arch, "service"), of_kind(arch, "domain")
    lbs, dbs = of_kind(arch, "load balancer"), of_kind(arch, "database")
    if len(replicas) != REPLICAS:
        raise NotYet(f"the question gives you {REPLICAS} app replicas; your shop has "
                     f"{len(replicas)}.")
    if len(servers) > SERVERS:
        raise NotYet(f"you have {SERVERS} servers to use; your shop has {len(servers)}.")
    where = runs_on(arch, replicas, servers, "server",
                    "your replicas run on no server yet: every process runs on a machine. Add "
                    "the servers as failure domains of the replicas on them.")
    tiers = [g for g in of_kind(arch, "group")
             if set(arch.dependencies(g, "member")) == set(replicas)]
    if not tiers:
        raise NotYet("your four replicas are not one replica group: keep them in "
                     "shop.add_group(\"app tier\", [...], k=...).")
    k = arch.component(tiers[0]).k
    if k != NEEDED:
        raise NotYet(f"your app tier works with {k} of its {REPLICAS} replicas up, but each "
                     f"replica carries only half the peak: it needs {NEEDED} up.")
    needed(arch, "buy", lbs, "load balancer", "every request comes in through one.")
    needed(arch, "buy", dbs, "database", "every request needs the shop's data.")
    spofs = single_points_of_failure(arch, "buy")
    for c in spofs:
        if c in servers:
            gone = [r for r in replicas if where[r] == c]
            left = REPLICAS - len(gone)
            raise NotYet(f"{c} is a single point of failure for 'buy': when it fails it takes "
                         f"{names(gone)} with it, leaving {left} replica{'s' if left != 1 else ''} "
                         f"up, and the app tier needs {NEEDED}.")
        if c in replicas:
            raise NotYet(f"{c} is a single point of failure for 'buy': when it alone fails, "
                         "'buy' stops.")
    used = sorted(set(where.values()))
    # Two servers (2 + 2) meet the target too; a third lets two servers fail together and
    # still leave two replicas. The tier's own downtime shows the difference.
    tier = availability(arch, "buy", dict.fromkeys(lbs + dbs, 1.0))
    more = ("Two servers would meet the target too: put the replicas on two and compare the "
            "tier's downtime. What does the third add?" if len(used) >= SERVERS else
            f"You used {len(used)} of your {SERVERS} servers, and that meets the target: spread "
            f"the replicas over all {SERVERS} and compare the tier's downtime. What does the "
            "third add?")
    return (f"no server and no replica is a single point of failure: with any one of your "
            f"{len(used)} servers down, at least {NEEDED} replicas are left. 'buy' reaches "
            f"{pct(availability(arch, 'buy'))}; {names(spofs)} remain single points of failure, "
            f"shared by every replica. The app tier alone (lb and db up) is down "
            f"{format_duration(downtime_per_year(tier))} a year. {more}")


# -- 5. a bad build, and deploying in waves -------------------------------------------------

BUILT_SHOP = {"load balancer": (LB, "load balancer"), "database": (DB, "database"),
              "service": (APP, "app replica"), "domain": (BUILD, "build")}


def _grade_waves(value: Any) -> str:
    arch = architecture(value, f"{ARCH}, starting from catalog.replicated_monolith({REPLICAS})")
    require_feature(arch, "buy", 'shop.add_feature("buy", ["lb"])')
    stated_parts(arch, BUILT_SHOP, "this shop")
    replicas, builds = of_kind(arch, "service"), of_kind(arch, "domain")
    lbs, dbs = of_kind(arch, "load balancer"), of_kind(arch, "database")
    if len(replicas) != REPLICAS:
        raise NotYet(f"the question's shop has {REPLICAS} app replicas; yours has "
                     f"{len(replicas)}.")
    where = runs_on(arch, replicas, builds, "build",
                    "your replicas run no build yet: every replica runs the code it was "
                    "deployed with, and a bad build stops every replica that runs it, like a "
                    "server (a failure domain).")
    needed(arch, "buy", lbs, "load balancer", "every request comes in through one.")
    needed(arch, "buy", dbs, "database", "every request needs the shop's data.")
    needed(arch, "buy", replicas, "app replica", "every request needs an app replica.")
    target = WAVES_TARGET
    buy = availability(arch, "buy")
    if buy < target:
        everyone = [b for b in builds if list(where.values()).count(b) == REPLICAS]
        if everyone:
            # The question asks for this model first: confirm it, then point at the next step.
            raise NotYet(f"as expected: every replica runs the build {everyone[0]!r}, so one "
                         f"bad build stops all {REPLICAS} at once and 'buy' reaches "
                         f"{pct_against(buy, target)}, short of {pct(target)}. Now split the "
                         "replicas into waves.")
        raise NotYet(f"'buy' reaches {pct_against(buy, target)}, short of {pct(target)}.")
    spofs = single_points_of_failure(arch, "buy")
    worst = max(list(where.values()).count(b) for b in builds)
    return (f"'buy' reaches {pct(buy)}, at least {pct(target)}: a bad build now stops at most "
            f"{worst} of the {REPLICAS} replicas, and "
            + ("no build is a single point of failure." if not any(c in builds for c in spofs)
               else "yet a build is still a single point of failure."))


def exercises() -> list[Exercise | Build]:
    return [
        Exercise("chain availability", "availability", lambda: series(*CHAIN.values()),
                 ("every hard dependency in a chain must be up at once, so the availabilities "
                  "multiply.",
                  "series availability is the product of the parts: check you used all three "
                  "numbers, as fractions (0.999, not 99.9).")),
        Build("fewest replicas for three nines", _grade_fewest,
              ("count up from one replica: build the shop, run the check, add one; the check "
               "also tells you when you have one too many.",
               "'buy' needs the load balancer, the app tier and the database in series, so the "
               "tier must do better than the target. catalog.replicated_monolith(n, "
               f"app={CHEAP_REPLICA}) builds the shop with n replicas."),
              f"{ARCH}, e.g. catalog.replicated_monolith(n, app={CHEAP_REPLICA})"),
        Build("lift the ceiling", _grade_ceiling,
              ("labkit.single_points_of_failure(shop, \"buy\") lists what every request needs "
               "on its own; their availabilities multiplied are the most 'buy' can ever reach.",
               "a part stops being a single point of failure when there are two of it and "
               "either will do: put them in a group (add_group), as the app replicas are, and "
               "depend on the group."),
              ARCH),
        Build("single points of failure", _grade_spread,
              ("crash one server at a time in your head: how many replicas are left, and does "
               "the tier still have the 2 it needs?",
               "no server may hold so many replicas that the others, without it, are fewer "
               "than 2. labkit.single_points_of_failure(shop, \"buy\") checks your layout."),
              ARCH),
        Build("deploy in waves", _grade_waves,
              ("one add_failure_domain call per build, listing the replicas that run it; "
               "each replica runs exactly one build.",
               "labkit.single_points_of_failure(shop, \"buy\") tells you whether one bad "
               "build can still stop every replica on its own."),
              f"{ARCH}, starting from catalog.replicated_monolith({REPLICAS})"),
    ]
