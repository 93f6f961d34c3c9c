"""Workbook 02: the product detail page, hard and soft dependencies, retries through layers."""

from __future__ import annotations

from ..analysis import availability, brute_force_availability, feature_availability
from ..failures import features_working
from ..formulas import downtime_per_year
from ..catalog import detail_page
from ..check import Exercise
from ..retries import count_calls_to_bottom

# The numbers the workbook's questions state (detail_page()'s defaults).
WIDGET = 0.999      # every widget service
BACKEND = 0.9995    # catalog, pricing, inventory, reviews db, personalization
PAGE = 0.9999       # the page assembler
LAYERS, ATTEMPTS = 4, 3
SECONDS_PER_HOUR = 3600


def _page(graceful: bool = True):
    return detail_page(graceful=graceful, widget=WIDGET, backend=BACKEND, page=PAGE)


def _extra_downtime_hours() -> float:
    # Brute force (all 2^15 worlds), a second method next to the compiled BDD the lesson uses.
    graceful = brute_force_availability(_page(True), "can buy")
    all_hard = brute_force_availability(_page(False), "can buy")
    return (downtime_per_year(all_hard) - downtime_per_year(graceful)) / SECONDS_PER_HOUR


def _spofs_by_crashing_each(feature: str) -> list[str]:
    # Crash one component at a time and evaluate the graph directly: no BDD involved.
    arch = _page(True)
    return [c for c in arch.components if not features_working(arch, [c])[feature]]


def _features_left(crashed: str) -> list[str]:
    # Exact availability with the backend pinned at 0: a feature still up sometimes still works.
    left = feature_availability(_page(True), {crashed: 0.0})
    return [feature for feature, a in left.items() if a > 0]


def exercises() -> list[Exercise]:
    return [
        Exercise("can buy availability", "availability",
                 lambda: availability(_page(True), "can buy"),
                 ("which components must all work for a customer to buy? Follow the hard "
                  "dependencies from the page down; soft ones do not count.",
                  "the page, three core widgets and the backend each of them calls: seven "
                  "distinct components in series. Count each backend once.")),
        Exercise("extra downtime when every widget is hard", "number", _extra_downtime_hours,
                 ("compute 'can buy' availability for both pages, turn each into downtime per "
                  "365-day year, then subtract.",
                  "on the all-hard page 'can buy' needs every widget and every backend; "
                  "labkit.downtime_per_year gives seconds, so divide by 3600 for hours.")),
        Exercise("single points of failure for see reviews", "names",
                 lambda: _spofs_by_crashing_each("see reviews"),
                 ("crash one component at a time in your head: does 'see reviews' survive?",
                  "the page itself needs its core widgets, and each widget needs its backend. "
                  "labkit.single_points_of_failure(arch, feature) checks your list.")),
        Exercise("calls reaching the database", "count",
                 lambda: count_calls_to_bottom(ATTEMPTS, LAYERS),
                 ("each failed call below is tried again by its caller, at every layer.",
                  "draw the call tree: one layer gives 3 calls; the next layer does that for "
                  "each of its own attempts.")),
        Exercise("features left when reviews db fails", "names",
                 lambda: _features_left("reviews db"),
                 ("which widgets call the reviews database? Every one of them fails with it.",
                  "a feature survives only if none of the components it requires needs the "
                  "reviews database; labkit.features_working(arch, crashed) checks.")),
    ]
