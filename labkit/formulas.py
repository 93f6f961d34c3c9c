"""Availability arithmetic: the closed forms, nines, downtime, and how to say them.

The formulas come from the AWS Well-Architected Reliability Pillar and standard reliability
theory (``reference/facts.md``). They assume components fail independently.

>>> round(series(0.9999, 0.9999, 0.9999), 4)
0.9997
>>> round(parallel(0.999, 0.999), 6)
0.999999
>>> format_duration(downtime_per_year(0.9999))
'52.56 min'
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from .errors import check_count, check_number, check_positive, check_probability, fail

SECONDS_PER_YEAR = 365 * 24 * 3600  # facts.md uses a 365-day year


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


