"""Workbook 02: hard and soft dependencies, shared backends, retries, graded on what you build.

Three of the four exercises are :class:`~labkit.check.Build`:

- the learner classifies the product detail page's dependencies (hard or soft) on the parts
  :func:`page_parts` gives, and the grader crashes each widget and runs exact analysis of
  "can buy" against the target;
- the learner models a checkout page from a description (widgets, shared backends, hard and
  soft dependencies, features), and the grader crashes every component of the learner's model
  and runs exact analysis of "can order";
- the learner hands in a retry policy for a five-layer stack, and the grader simulates it
  (:func:`labkit.simulation.simulate_stack`) with the database down and with a flaky middle
  layer.

The constants below are the numbers the notebook's questions quote
(``tests/test_workbook_02.py`` checks that they agree); nothing here stores an answer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

from ..analysis import availability
from ..catalog import detail_page
from ..check import Build, Exercise, NotYet
from ..failures import component_states, features_working
from ..model import Architecture
from ..simulation import Retry, constant, crash, error_rate, simulate_stack
from ..simulation.layers import _attempts
from .monolith import ARCH, architecture, names, pct, pct_against

# The detail page's parts (detail_page()'s defaults), used by exercises 2 and 3.
WIDGET, BACKEND, PAGE = 0.999, 0.9995, 0.9999

# 1. "can buy" on the graceful page with cheaper widgets (a value): not the lesson's page,
#    whose "can buy" lesson 02 prints, so it must be worked out.
CAN_BUY_WIDGET = 0.998

# 2. Classify the detail page's dependencies.
NEEDED_TO_BUY = {  # widget -> why a customer cannot buy without it
    "title": "a customer must see what they are buying",
    "price": "a page without a price cannot sell",
    "buy box": "without the buy box there is nothing to click",
    "delivery estimate": "by law in this market the page must not sell without a delivery "
                         "estimate",
}
CLASSIFY_TARGET = 0.994        # "can buy" at least this

# 3. Model the checkout page.
CHECKOUT = "checkout"
CHECKOUT_WIDGETS = ("cart", "address", "payment", "gift wrap", "suggestions")
CHECKOUT_BACKENDS = ("cart db", "accounts", "payments", "personalization")
READS = {  # (widget, backend) -> "hard" or "soft", and why
    ("cart", "cart db"): ("hard", "the cart has nothing to show without it"),
    ("gift wrap", "cart db"): ("hard", "gift wrap lists the cart's items from it"),
    ("address", "accounts"): ("soft", "customers can type an address by hand"),
    ("payment", "accounts"): ("soft", "customers can type a card by hand"),
    ("payment", "payments"): ("hard", "payment charges the card through it"),
    ("suggestions", "personalization"): ("hard", "suggestions come from it"),
}
NEEDED_TO_ORDER = {  # widget -> why nobody can order without it
    "cart": "a customer orders what is in the cart",
    "address": "an order needs somewhere to go",
    "payment": "an order must be paid",
}
CHECKOUT_TARGET = 0.9955       # "can order" at least this

# 4. Retries through a five-layer stack.
LAYERS = 5                     # layer1 ... layer5; layer5 is the database
BOTTOM, FLAKY = "layer5", "layer3"
FLAKY_RATE = 0.2               # layer3 fails this share of the calls it gets
MAX_CALLS = 3                  # database down: at most this many calls reach it per request
SUCCESS_TARGET = 0.99          # layer3 flaky: at least this share of requests succeed
MAX_SIMULATED_CALLS = 300      # retry trees larger than this are refused before simulating
MAX_SIMULATED_WORK = 2_000_000  # paths x steps the stack may count: well under a second
RATE = 10.0                    # requests per second into the stack (fluid: exact counts)
RATE_SHOWN = f"{FLAKY_RATE * 100:g}\u00a0%"


# -- the parts of the detail page ---------------------------------------------------------

def page_parts() -> Architecture:
    """The graceful detail page's 15 components, each widget wired to its backend, and two
    features: "can buy" (the page is served) and "whole page" (the page and every widget).

    The page's own dependencies on its widgets are missing: exercise 2 asks the learner to
    add them, each hard or soft. Availabilities are ``catalog.detail_page()``'s.

    >>> parts = page_parts()
    >>> len(parts.components), parts.dependencies("page")
    (15, [])
    """
    page = detail_page()
    parts = Architecture("my detail page", "the detail page's parts: add the page's dependencies")
    for name in page.components:
        parts.add(page.component(name))
    for caller, callee, kind in page.edges():
        if caller != "page":
            parts.add_dependency(caller, callee, kind)
    widgets = page.dependencies("page")
    parts.add_feature("can buy", ["page"], "the page is served: what it needs hard, works")
    parts.add_feature("whole page", ["page", *widgets], "every widget works")
    return parts


def _widgets() -> list[str]:
    return detail_page().dependencies("page")


# -- 2. classify the detail page's dependencies ------------------------------------------

def _same_parts(arch: Architecture, parts: Architecture, widgets: list[str]) -> None:
    """The learner's page has page_parts()'s components, links and features, and only adds
    dependencies from the page to its widgets."""
    for name in parts.components:
        if name not in arch.graph:
            raise NotYet(f"your page has no component {name!r}: start from page_parts().")
        mine, theirs = arch.component(name), parts.component(name)
        if (mine.kind, mine.availability) != (theirs.kind, theirs.availability):
            raise NotYet(f"{name!r} is a {mine.kind} at {pct(mine.availability)} in your page; "
                         f"page_parts() has a {theirs.kind} at {pct(theirs.availability)}. "
                         "Change the dependencies, not the parts.")
    extra = [c for c in arch.components if c not in parts.graph]
    if extra:
        raise NotYet(f"your page has a component {extra[0]!r} that page_parts() does not: only "
                     "add the page's dependencies.")
    for caller, callee, kind in parts.edges():
        if not arch.graph.has_edge(caller, callee) or \
                arch.graph.edges[caller, callee]["kind"] != kind:
            raise NotYet(f"your page lost page_parts()' {kind} dependency {caller} -> {callee}: "
                         "start again from page_parts().")
    for caller, callee, kind in arch.edges():
        added = caller == "page" and callee in widgets
        if not parts.graph.has_edge(caller, callee) and not added:
            raise NotYet(f"your page has a dependency {caller} -> {callee}: only add "
                         "dependencies from 'page' to its widgets.")
    for feature in parts.feature_names:
        if feature not in arch.features or \
                set(arch.feature(feature).requires) != set(parts.feature(feature).requires):
            raise NotYet(f"your page's feature {feature!r} is not page_parts()' one: keep the "
                         "features as they are.")
    extra = [f for f in arch.features if f not in parts.features]
    if extra:
        raise NotYet(f"your page has a feature {extra[0]!r}: keep page_parts()' two features.")


def _grade_classify(value: Any) -> str:
    arch = architecture(value, f"{ARCH}: page_parts() with the page's dependencies added")
    parts, widgets = page_parts(), _widgets()
    _same_parts(arch, parts, widgets)
    missing = [w for w in widgets if not arch.graph.has_edge("page", w)]
    if len(missing) == len(widgets):
        raise NotYet(f"your page depends on none of its {len(widgets)} widgets yet: add one "
                     "dependency from 'page' to each, hard or soft.")
    if missing:
        raise NotYet(f"your page has no dependency on {names(missing)} yet: add one from "
                     "'page' to each widget, hard or soft.")
    for widget, why in NEEDED_TO_BUY.items():
        if features_working(arch, [widget])["can buy"]:
            raise NotYet(f"{widget} is soft in your page, but {why}: with {widget} down, your "
                         "'can buy' still works.")
    target = CLASSIFY_TARGET
    can_buy = availability(arch, "can buy")
    hard_extras = [w for w in widgets if w not in NEEDED_TO_BUY
                   and arch.graph.edges["page", w]["kind"] == "hard"]
    if can_buy < target or hard_extras:
        short = (f"'can buy' reaches {pct_against(can_buy, target)}, short of {pct(target)}"
                 if can_buy < target else f"'can buy' reaches {pct(can_buy)}")
        one = len(hard_extras) == 1
        raise NotYet(f"{short}: {names(hard_extras)} {'is' if one else 'are'} hard in your page, "
                     f"so {'its' if one else 'their'} failure stops every sale, though customers "
                     f"can buy without {'it' if one else 'them'}."
                     if hard_extras else f"{short}.")
    whole = availability(arch, "whole page")
    return (f"'can buy' reaches {pct(can_buy)}, at least {pct(target)}, while 'whole page' "
            f"reaches only {pct(whole)}: it needs all {len(arch.components)} components. An "
            "extra's failure now only degrades the page.")


# -- 3. model the checkout page -----------------------------------------------------------

def _checkout_parts() -> dict[str, tuple[str, float]]:
    parts = {CHECKOUT: ("service", PAGE)}
    parts.update({w: ("service", WIDGET) for w in CHECKOUT_WIDGETS})
    parts.update({b: ("database", BACKEND) for b in CHECKOUT_BACKENDS})
    return parts


def _checkout_problem(arch: Architecture) -> str | None:
    """The first way the learner's model disagrees with the description, or None."""
    # What each backend's crash does to each widget.
    for backend in CHECKOUT_BACKENDS:
        states = component_states(arch, [backend])
        for widget in CHECKOUT_WIDGETS:
            state = states[widget]
            kind, why = READS.get((widget, backend), (None, ""))
            if kind is None and state != "up":
                return (f"with {backend} down, your {widget} is {state}, but {widget} does not "
                        f"read {backend}.")
            if kind is not None and state == "up":
                return (f"with {backend} down, your {widget} still works fully, but {widget} "
                        f"reads {backend}: {why}.")
            if kind == "hard" and state != "failed":
                return (f"with {backend} down, your {widget} is only {state}, but {why}: "
                        f"{widget} cannot work without {backend}.")
            if kind == "soft" and state != "degraded":
                return (f"with {backend} down, your {widget} fails, but {why}: it only loses "
                        "what it read from there.")
    # What each widget's crash does to the checkout and to "can order".
    for widget in CHECKOUT_WIDGETS:
        if component_states(arch, [widget])[CHECKOUT] == "up":
            return (f"with {widget} down, your checkout is still fully up, but the checkout "
                    f"shows {widget}: it depends on it.")
        can_order = features_working(arch, [widget])["can order"]
        if widget in NEEDED_TO_ORDER and can_order:
            return (f"with {widget} down, your 'can order' still works, but "
                    f"{NEEDED_TO_ORDER[widget]}.")
        if widget not in NEEDED_TO_ORDER and not can_order:
            return (f"with {widget} down, nobody can order in your checkout, but {widget} is "
                    "nice to have.")
    for component in arch.components:
        if arch.component(component).kind != "group" and \
                features_working(arch, [component])["whole checkout"]:
            return (f"with {component} down, your 'whole checkout' still works, but it needs "
                    "every component.")
    return None


def _grade_checkout(value: Any) -> str:
    arch = architecture(value)
    for name, (kind, want) in _checkout_parts().items():
        if name not in arch.graph:
            raise NotYet(f"your checkout has no component named {name!r}.")
        component = arch.component(name)
        if component.kind != kind or not math.isclose(component.availability, want,
                                                      rel_tol=0.0, abs_tol=1e-12):
            raise NotYet(f"{name!r} is a {component.kind} at {pct(component.availability)} in "
                         f"your checkout; the question makes it a {kind} at {pct(want)}.")
    extra = [c for c in arch.components if c not in _checkout_parts()
             and arch.component(c).kind != "group"]
    if extra:
        raise NotYet(f"your checkout has a component {extra[0]!r} the question does not list.")
    for feature in ("can order", "whole checkout"):
        if feature not in arch.features:
            raise NotYet(f"your checkout has no feature named {feature!r}.")
    target = CHECKOUT_TARGET
    can_order = availability(arch, "can order")
    problem = _checkout_problem(arch)
    if can_order < target:
        raise NotYet(f"'can order' reaches {pct_against(can_order, target)}, short of "
                     f"{pct(target)}." + (f" {problem[0].upper()}{problem[1:]}" if problem else ""))
    if problem:
        raise NotYet(problem)
    shared = [w for w, s in component_states(arch, ["cart db"]).items()
              if s == "failed" and w in CHECKOUT_WIDGETS]
    return (f"'can order' reaches {pct(can_order)}, at least {pct(target)}; 'whole checkout' "
            f"{pct(availability(arch, 'whole checkout'))}. A cart db failure takes "
            f"{names(shared)} down together: a shared backend is a shared failure domain.")


# -- 4. retries through the layers -------------------------------------------------------

def _caller(i: int) -> str:
    return "the client" if i == 0 else f"layer{i}"


def _grade_retries(value: Any) -> str:
    if not isinstance(value, Mapping):
        kind = ("a number" if isinstance(value, (int, float)) and not isinstance(value, bool)
                else f"a {type(value).__name__}")
        raise NotYet("hand in a dict with two keys, 'retry' (a labkit.simulation.Retry) and "
                     f"'retrying' (who retries), not {kind}: the check simulates your policy.")
    keys = list(itertools.islice(iter(value), 10))  # a huge dict: look at a few keys only
    for key in ("retry", "retrying"):
        if key not in keys:
            raise NotYet(f"your policy has no {key!r}: it takes 'retry' (a Retry) and "
                         "'retrying' (who retries).")
    others = [k for k in keys if k not in ("retry", "retrying")]
    if others or len(value) > 2:
        shown = repr(others[0]) if others else "more"
        raise NotYet(f"your policy has a key {shown[:40]}; it takes only 'retry' and 'retrying'.")
    retry, retrying = value["retry"], value["retrying"]
    if not isinstance(retry, Retry):
        raise NotYet(f"policy['retry'] is a {type(retry).__name__}, not a "
                     "labkit.simulation.Retry(attempts=...).")
    if retry.backoff != "none":
        raise NotYet("this check counts calls, so it needs no backoff: use "
                     "Retry(attempts=n); lesson 03 adds backoff.")
    if retry.budget is not None:
        raise NotYet("this stack does not use retry budgets (lesson 03 does): leave budget out.")
    attempts = _attempts(retry, LAYERS, retrying)  # a LabkitError names what is wrong
    calls = math.prod(attempts)
    callers = [_caller(i) for i, a in enumerate(attempts) if a > 1]
    who = ("no caller retries" if not callers else
           f"{callers[0]} retries with {retry.attempts} attempts" if len(callers) == 1 else
           f"{names(callers)} retry, {retry.attempts} attempts each")
    # The stack counts calls per path, retry.attempts ** LAYERS of them, for calls + 30 steps.
    if calls > MAX_SIMULATED_CALLS or retry.attempts ** LAYERS * (calls + 30) > MAX_SIMULATED_WORK:
        raise NotYet(f"with the database down, {who}: that sends {calls:,} calls to it for "
                     f"every request, more than {MAX_CALLS}. (This check does not simulate "
                     "policies that large.)")
    # Every request's calls end within `calls` steps; measure over the last 20, all steady.
    duration = float(calls + 30)
    start = duration - 20

    def run(fault):
        return simulate_stack(constant(RATE), layers=LAYERS, retry=retry, retrying=retrying,
                              duration=duration, faults=[fault])

    outage = run(crash(BOTTOM, at=0, duration=duration)).amplification(start=start)
    shown = f"{outage:.0f}" if abs(outage - round(outage)) < 1e-6 else f"{outage:.2f}"
    if outage > MAX_CALLS + 1e-6:
        raise NotYet(f"when the database is down, {shown} calls reach it for every request, "
                     f"more than {MAX_CALLS}: {who}"
                     + (", and their retries multiply." if len(callers) > 1 else "."))
    success = run(error_rate(FLAKY, FLAKY_RATE, at=0, duration=duration)).success_ratio(start=start)
    if success < SUCCESS_TARGET:
        flaky = int(FLAKY.removeprefix("layer"))
        got = (f"while {FLAKY} fails {RATE_SHOWN} of its calls, only "
               f"{pct_against(success, SUCCESS_TARGET)} of requests succeed; at least "
               f"{pct(SUCCESS_TARGET)} must")
        if not callers:
            raise NotYet(f"{got}: no caller retries.")
        retried = [i for i, a in enumerate(attempts) if a > 1]
        if all(i >= flaky for i in retried):
            below = names([f"layer{i + 1}" for i in retried])
            raise NotYet(f"{got}: only {names(callers)} retr"
                         f"{'ies' if len(callers) == 1 else 'y'}, on calls to {below}, below "
                         f"{FLAKY}; {FLAKY}'s own errors go up to callers that do not retry.")
        raise NotYet(f"{got}: {retry.attempts} attempts are not enough to get past it.")
    return (f"with the database down, {shown} calls reach it per request (at most "
            f"{MAX_CALLS}); with {FLAKY} failing {RATE_SHOWN} of its calls, "
            f"{pct(success)} of requests succeed.")


def exercises() -> list[Exercise | Build]:
    return [
        Exercise("can buy availability", "availability",
                 lambda: availability(detail_page(True, CAN_BUY_WIDGET, BACKEND, PAGE),
                                      "can buy"),
                 ("which components must all work for a customer to buy? Follow the hard "
                  "dependencies from the page down; soft ones do not count.",
                  "the page, three core widgets and the backend each of them calls: seven "
                  "distinct components in series. Count each backend once.")),
        Build("classify the dependencies", _grade_classify,
              ("for each widget ask: can a customer still buy while it is down? If not, the "
               "page must fail without it (hard); if so, it must not (soft).",
               "each hard widget multiplies 'can buy' by its availability (and by its "
               "backend's, unless another hard widget already needs that backend)."),
              f"{ARCH}: page_parts() with the page's dependencies added"),
        Build("model the checkout", _grade_checkout,
              ("build it in three steps: the ten components; what each widget reads (hard or "
               "soft); what the checkout needs from each widget (hard or soft). Then the two "
               "features.",
               "crash things in labkit.views.break_it(checkout) and compare with the "
               "description: a widget that can work on without a backend is soft on it."),
              ARCH),
        Build("retry at one layer", _grade_retries,
              ("with k callers making n attempts each, n × n × … (k times) calls reach the "
               "bottom. How many callers can retry, with how many attempts, within the limit?",
               "a retry only helps with failures below the caller that makes it: errors of "
               "layer3 come back to whoever called layer3, and from there up."),
              "a dict: {'retry': Retry(attempts=...), 'retrying': ...}"),
    ]
