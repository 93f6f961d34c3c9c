"""Availability arithmetic: the formulas, exact analysis of any architecture, and what fails.

The closed forms come from the AWS Well-Architected Reliability Pillar and standard
reliability theory (``reference/facts.md``). Components fail independently unless they share
a failure domain, which the model expresses as a shared component.

>>> round(series(0.9999, 0.9999, 0.9999), 4)
0.9997
>>> round(parallel(0.999, 0.999), 6)
0.999999
>>> format_duration(downtime_per_year(0.9999))
'52.56 min'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product
from typing import Iterable, Mapping

import numpy as np

from .errors import check_count, check_names, check_number, check_positive, check_probability, fail
from .model import Architecture, as_architecture
from .structure import compile_structure, component_works, feature_works

SECONDS_PER_YEAR = 365 * 24 * 3600  # facts.md uses a 365-day year


# -- the formulas --------------------------------------------------------------------------

def _availabilities(values: Iterable[float], argument: str = "availabilities") -> list[float]:
    if len(values) == 1 and isinstance(values[0], (list, tuple, np.ndarray)):
        values = values[0]  # accept series([a, b]) as well as series(a, b)
    try:
        values = list(values)
    except TypeError:
        raise fail(argument, values, "expected numbers between 0 and 1") from None
    if not values:
        raise fail(argument, values, "expected at least one availability")
    return [check_probability(f"{argument}[{i}]", v) for i, v in enumerate(values)]


def series(*availabilities: float) -> float:
    """All must work (hard dependencies in a chain): A = a1 * a2 * ... * an."""
    return math.prod(_availabilities(availabilities))


def parallel(*availabilities: float) -> float:
    """Any one suffices (independent redundant replicas): A = 1 - (1-a1)(1-a2)...(1-an)."""
    return 1.0 - math.prod(1.0 - a for a in _availabilities(availabilities))


def k_of_n(k: int, n: int, availability: float) -> float:
    """At least ``k`` of ``n`` identical, independent replicas work."""
    n = check_count("n", n, low=1, high=100_000)
    k = check_count("k", k, low=0, high=n)
    a = check_probability("availability", availability)
    if a in (0.0, 1.0):
        return float(a == 1.0 or k == 0)
    if n <= 500:  # exact binomial terms; beyond this C(n, i) overflows a float
        return sum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))
    log_a, log_b = math.log(a), math.log1p(-a)
    return min(1.0, sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                                 + i * log_a + (n - i) * log_b) for i in range(k, n + 1)))


def availability_from_mtbf(mtbf: float, mttr: float) -> float:
    """Steady-state availability of something that fails every ``mtbf`` and takes ``mttr`` to fix."""
    mtbf = check_positive("mtbf", mtbf)
    mttr = check_number("mttr", mttr, low=0.0, allowed="expected a finite number of at least 0")
    return mtbf / (mtbf + mttr)


def nines(availability: float) -> float:
    """How many nines: -log10(1 - A). 99.9 % is 3 nines; a perfect 1.0 is infinite."""
    a = check_probability("availability", availability)
    if a == 1.0:
        return math.inf
    return 0.0 if a == 0.0 else -math.log10(1.0 - a)


def availability_from_nines(n: float) -> float:
    """The inverse of :func:`nines`: 3 -> 0.999."""
    n = check_number("nines", n, low=0.0, high=15.0,
                     allowed="expected a number of nines from 0 to 15")
    return 1.0 - 10.0 ** (-n)


def downtime_per_year(availability: float) -> float:
    """Seconds per 365-day year that something of this availability is expected to be down."""
    return (1.0 - check_probability("availability", availability)) * SECONDS_PER_YEAR


def format_duration(seconds: float) -> str:
    """Seconds in the unit a person would say: '8.76 h', '52.56 min', '31.54 s'."""
    seconds = check_number("seconds", seconds, low=0.0, allowed="expected seconds, at least 0")
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        # Hours read better than days up to ten days (99 % is "87.6 h" in the Pillar's table).
        if seconds >= size * (10 if unit == "days" else 1):
            return f"{_trim(seconds / size)} {unit}"
    return "0 s" if seconds == 0 else f"{_trim(seconds * 1000)} ms"


def _trim(value: float, places: int = 2) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_percent(availability: float) -> str:
    """'99.9999 %': enough decimals to show the last nine, trailing zeros dropped."""
    a = check_probability("availability", availability)
    if a == 1.0:
        return "100 %"
    # Beyond 12 decimals a float only shows rounding noise (99.999999999999901 %).
    places = min(12, max(1, math.ceil(nines(a)) - 1))
    text = _trim(a * 100, places)
    return ("99." + "9" * places if text == "100" else text) + " %"


def nines_table(levels: Iterable[float] = (0.99, 0.999, 0.9995, 0.9999, 0.99999, 0.999999)) -> list[dict]:
    """Rows of availability, nines and downtime per year/month/week: the lesson 00 table."""
    rows = []
    for a in levels:
        down = downtime_per_year(a)
        rows.append({"availability": format_percent(a), "nines": round(nines(a), 2),
                     "downtime per year": format_duration(down),
                     "per month": format_duration(down / 12),
                     "per week": format_duration(down * 7 / 365)})
    return rows


# -- exact analysis of an architecture ----------------------------------------------------

def availability(arch: Architecture, feature: str | None = None,
                 overrides: Mapping[str, float] | None = None) -> float:
    """Exact availability of ``feature`` (default: the primary one) on any dependency DAG.

    ``overrides`` replaces some components' availability, e.g. ``{"db": 0}`` for a crash.

    >>> from labkit.catalog import monolith
    >>> round(availability(monolith()), 6)
    0.998001
    """
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    return compile_structure(arch).availability(overrides)[name]


def feature_availability(arch: Architecture, overrides: Mapping[str, float] | None = None
                         ) -> dict[str, float]:
    """Exact availability of every feature at once."""
    return compile_structure(as_architecture(arch)).availability(overrides)


def request_success_ratio(arch: Architecture, overrides: Mapping[str, float] | None = None) -> float:
    """Share of requests served, weighting each feature by its share of customers.

    This is what "six nines" means for a cell-based system: cells are features, one per
    partition of customers.
    """
    arch = as_architecture(arch)
    values = feature_availability(arch, overrides)
    return math.fsum(share * values[f] for f, share in arch.customer_shares.items())


def crashed_overrides(arch: Architecture, crashed: Iterable[str]) -> dict[str, float]:
    """Availability overrides that model ``crashed`` components as down for good."""
    crashed = check_names("crashed", crashed)
    for name in crashed:
        arch._require_component("crashed", name)
        if arch.component(name).kind == "group":
            raise fail("crashed", name, "a replica group cannot crash; crash its members")
    return {name: 0.0 for name in crashed}


def brute_force_availability(arch: Architecture, feature: str | None = None) -> float:
    """Exact availability by enumerating all 2^n up/down worlds: the independent check.

    Only for small architectures (at most 20 components that can fail).
    """
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    names = [c for c in arch.components if arch.component(c).kind != "group"]
    if len(names) > 20:
        raise fail("architecture", arch.name, "brute force enumerates 2^n worlds; "
                   f"expected at most 20 components that can fail, got {len(names)}")
    worlds = np.array(list(product([False, True], repeat=len(names))), dtype=bool)
    works = feature_works(arch, worlds, names)[name]
    a = np.array([arch.availability_of(c) for c in names])
    weight = np.where(worlds, a, 1.0 - a).prod(axis=1)
    return float(weight[works].sum())


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate with its standard error."""

    value: float
    standard_error: float
    samples: int

    def interval(self, z: float = 4.0) -> tuple[float, float]:
        return self.value - z * self.standard_error, self.value + z * self.standard_error


def sampled_availability(arch: Architecture, feature: str | None = None, samples: int = 100_000,
                         seed: int = 0) -> Estimate:
    """Availability by sampling random worlds (seeded): a second, independent method."""
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    samples = check_count("samples", samples, low=1, high=10_000_000)
    rng = np.random.default_rng(check_count("seed", seed, low=0))
    names = [c for c in arch.components if arch.component(c).kind != "group"]
    a = np.array([arch.availability_of(c) for c in names])
    up = rng.random((samples, len(names))) < a
    works = feature_works(arch, up, names)[name]
    mean = float(works.mean())
    return Estimate(mean, math.sqrt(max(mean * (1 - mean), 1e-300) / samples), samples)


# -- what fails ----------------------------------------------------------------------------

def single_points_of_failure(arch: Architecture, feature: str | None = None) -> list[str]:
    """Components whose failure alone (everything else up) stops ``feature``."""
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    structure = compile_structure(arch)
    column = structure.features.index(name)
    worlds = np.ones((len(structure.variables), len(structure.variables)))
    np.fill_diagonal(worlds, 0.0)
    fails = structure.evaluate(worlds)[:, column] < 0.5
    spofs = {v for v, f in zip(structure.variables, fails) if f}
    return [c for c in arch.components if c in spofs]


STATES = ("up", "crashed", "failed", "degraded")


@dataclass(frozen=True)
class Snapshot:
    """The system right now, with some components crashed and everything else up.

    ``states``: component -> ``crashed`` (down itself), ``failed`` (up, but a hard dependency
    or too many replicas are not working), ``degraded`` (working, but a soft dependency is not,
    so a feature it powers is missing) or ``up``. ``features``: feature -> served or not.
    ``blast_radius``: share of customers whose feature is not served.
    """

    states: dict[str, str]
    features: dict[str, bool]
    blast_radius: float


def right_now(arch: Architecture, crashed: Iterable[str] = ()) -> Snapshot:
    """Evaluate the structure once for one world: ``crashed`` down, the rest up."""
    arch = as_architecture(arch)
    down = set(crashed_overrides(arch, crashed))
    up = np.array([[c not in down for c in arch.components]])
    works = {c: bool(v[0]) for c, v in component_works(arch, up).items()}
    states = {}
    for c in arch.components:
        if c in down:
            states[c] = "crashed"
        elif not works[c]:
            states[c] = "failed"
        elif any(not works[d] for d in arch.dependencies(c, "soft")):
            states[c] = "degraded"
        else:
            states[c] = "up"
    features = {f: all(works[r] for r in arch.feature(f).requires) for f in arch.feature_names}
    radius = math.fsum(share for f, share in arch.customer_shares.items() if not features[f])
    return Snapshot(states, features, radius)


def component_states(arch: Architecture, crashed: Iterable[str] = ()) -> dict[str, str]:
    """Component -> up / crashed / failed / degraded (see :class:`Snapshot`)."""
    return right_now(arch, crashed).states


def features_working(arch: Architecture, crashed: Iterable[str] = ()) -> dict[str, bool]:
    """Feature -> does it work right now, with ``crashed`` down and everything else up."""
    return right_now(arch, crashed).features


def blast_radius(arch: Architecture, crashed: Iterable[str]) -> float:
    """Share of customers whose feature stops working when ``crashed`` components are down.

    With N equal cells and one cell down this is 1/N (Well-Architected, cell-based
    architecture whitepaper); a shared component every cell needs makes it 1.
    """
    return right_now(arch, crashed).blast_radius
