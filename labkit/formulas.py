"""Availability arithmetic: the closed forms, nines, downtime, and how to say them.

The formulas are standard reliability theory; the Reliability Pillar's examples (three at
99.99 % in series, two at 99.9 % in parallel) are among the tests (``lessons/sources.md``
says where each comes from). They assume components fail independently.

>>> round(series(0.9999, 0.9999, 0.9999), 4)
0.9997
>>> round(parallel(0.999, 0.999), 6)
0.999999
>>> format_duration(downtime_per_year(0.9999))
'52.56 min'
"""

from __future__ import annotations

import math
from decimal import MAX_EMAX, MIN_EMIN, Decimal, localcontext
from fractions import Fraction
from typing import Iterable

import numpy as np

from .errors import (check_count, check_list, check_number, check_positive, check_probability,
                     fail)

SECONDS_PER_YEAR = 365 * 24 * 3600  # a 365-day year, as the lessons' downtime table

_MAX_TERMS = 100_000       # series/parallel: checking each input costs ~2 us; this is 0.2 s
_MAX_REPLICAS = 100_000    # k_of_n: the error bound below is worked out for n up to this


def _availabilities(values: tuple, argument: str = "availabilities") -> list[float]:
    if len(values) == 1 and isinstance(values[0], (list, tuple, np.ndarray)):
        values = values[0]  # accept series([a, b]) as well as series(a, b)
    try:
        count = len(values)
    except TypeError:  # a 0-d numpy array
        raise fail(argument, values, "expected numbers between 0 and 1") from None
    if count == 0:
        raise fail(argument, values, "expected at least one availability")
    if count > _MAX_TERMS:
        raise fail(f"len({argument})", count, f"expected at most {_MAX_TERMS:,} availabilities")
    return [check_probability(f"{argument}[{i}]", v) for i, v in enumerate(values)]


def series(*availabilities: float) -> float:
    """All must work (hard dependencies in a chain): A = a1 * a2 * ... * an.

    Each rounded product only moves with its factors, so the result stays in [0, 1] and never
    falls when one availability rises.

    >>> series(0.5, 0.5)
    0.25
    >>> series([0.9, 0.9, 0.9]) == series(0.9, 0.9, 0.9)
    True
    """
    return math.prod(_availabilities(availabilities))


def parallel(*availabilities: float) -> float:
    """Any one suffices (independent redundant replicas): A = 1 - (1-a1)(1-a2)...(1-an).

    >>> parallel(0.5, 0.5)
    0.75
    >>> parallel([0.9, 0.9])
    0.99
    """
    return 1.0 - math.prod(1.0 - a for a in _availabilities(availabilities))


def k_of_n(k: int, n: int, availability: float) -> float:
    """At least ``k`` of ``n`` identical, independent replicas work: sum of C(n,i) a^i (1-a)^(n-i).

    The result is the exact sum (for the float ``availability`` as given) rounded once to the
    nearest float. Rounding never reverses order, so the result is always in [0, 1] and one more
    replica, a better replica or a smaller quorum never reads as worse.

    >>> k_of_n(2, 3, 0.999)
    0.999997002
    >>> k_of_n(1, 2, 0.999) == parallel(0.999, 0.999)
    True
    >>> k_of_n(3, 3, 0.5)
    0.125
    """
    n = check_count("n", n, low=1, high=_MAX_REPLICAS)
    k = check_count("k", k, high=n)
    a = check_probability("availability", availability)
    if k == 0 or a == 1.0:
        return 1.0
    if a == 0.0:
        return 0.0
    low, high = _k_of_n_bounds(k, n, a)
    if float(low) == float(high):  # everything in between, the exact sum too, rounds to this
        return float(low)
    return _k_of_n_exact(k, n, a)  # the sum sits within 1e-35 of a tie between two floats


_DIGITS = 50                     # decimal working precision of the sum
_TAIL_ERROR = Decimal("1e-35")   # relative error bound of the summed tail (worked out below)
_NEGLIGIBLE = Decimal("1e-45")   # stop summing when the rest of the tail is this small


def _k_of_n_bounds(k: int, n: int, a: float) -> tuple[Decimal, Decimal]:
    """Decimals ``low <= exact sum <= high``, about 1e-35 apart.

    Terms rise to the mode near n*a and fall away on both sides like a Gaussian, so sum the tail
    that lies beyond the mode (the one that is not the bulk): from k up when k is past the mode,
    else the terms below k, taking the sum from 1. Only a few thousand terms are ever needed.

    Error bound: the first term comes from logarithms of size at most ~1e8 (n <= 100,000, and
    ln a >= -745), so at 50 digits it is off by at most ~1e-40 relatively; each further term
    adds a few 1e-50, the cut-off tail at most 1e-45. 1e-35 covers all of it.
    """
    num, den = a.as_integer_ratio()
    upper = k * den >= (n + 1) * num  # k at or past the mode: terms fall from k up to n
    with localcontext() as ctx:
        ctx.prec, ctx.Emin, ctx.Emax = _DIGITS, MIN_EMIN, MAX_EMAX  # terms reach 10**-32,000,000
        big_a = Decimal(a)
        big_b = 1 - big_a
        odds = big_a / big_b
        i = k if upper else k - 1
        term = (_ln_factorial(n) - _ln_factorial(i) - _ln_factorial(n - i)
                + i * big_a.ln() + (n - i) * big_b.ln()).exp()
        total = term
        while True:
            # term(i+1)/term(i) going up, term(i-1)/term(i) going down: below 1 here, and 0
            # past the last term (i = n going up, i = 0 going down), which ends the loop.
            ratio = odds * (n - i) / (i + 1) if upper else i / (odds * (n - i + 1))
            # the ratios keep shrinking, so the rest is at most a geometric series
            if ratio < 1 and term * ratio / (1 - ratio) <= total * _NEGLIGIBLE:
                break
            term *= ratio
            total += term
            i += 1 if upper else -1
        slack = total * _TAIL_ERROR
        if upper:
            return total - slack, total + slack
        # 1 - total is rounded to 50 digits: widen by more than that rounding, too.
        return 1 - total - slack - _NEGLIGIBLE, 1 - total + slack + _NEGLIGIBLE


def _bernoulli(count: int) -> list[Fraction]:
    """B2, B4, ..., B(2*count) by the Akiyama-Tanigawa algorithm, for Stirling's series."""
    row, numbers = [], []
    for m in range(2 * count + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        numbers.append(row[0])
    return numbers[2::2]


_STIRLING = _bernoulli(16)  # from x = 100 on, 15 terms get within 1e-52
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899")


def _ln_factorial(x: int) -> Decimal:
    """ln(x!) to the current decimal precision (50 digits), without computing x!.

    Exact below 100; from 100 on Stirling's series, whose error is below its first omitted
    term, here under 1e-52. (math.comb(100_000, 50_000) alone takes a quarter of a second.)
    """
    if x < 100:
        return Decimal(math.factorial(x)).ln()
    big_x = Decimal(x)
    total = (big_x + Decimal("0.5")) * big_x.ln() - big_x + (2 * _PI).ln() / 2
    power = big_x
    for j, b in enumerate(_STIRLING, 1):
        term = Decimal(b.numerator) / (b.denominator * 2 * j * (2 * j - 1) * power)
        if abs(term) < Decimal("1e-52"):
            break
        total += term
        power *= big_x * big_x
    return total


def _k_of_n_exact(k: int, n: int, a: float) -> float:
    """The k-of-n sum in integers, correctly rounded: slow for big n, but only ties get here.

    A tie needs an availability with few binary digits (0.5, 0.75...), whose integers are small.
    """
    num, den = a.as_integer_ratio()
    # term i of the sum times den**n: C(n, i) * num**i * (den - num)**(n - i)
    term = math.comb(n, k) * num**k * (den - num) ** (n - k)
    total = 0
    for i in range(k, n + 1):
        total += term
        term = term * (n - i) * num // ((i + 1) * (den - num))  # divides exactly
    return total / den**n  # int / int is correctly rounded


def availability_from_mtbf(mtbf: float, mttr: float) -> float:
    """Steady-state availability of something that fails every ``mtbf`` and takes ``mttr`` to fix.

    A = MTBF / (MTBF + MTTR), computed exactly from the two floats and rounded once: no
    overflow for huge times, no lost digits for tiny ones, never above 1.

    >>> availability_from_mtbf(999, 1)
    0.999
    >>> availability_from_mtbf(1e308, 1e308)
    0.5
    >>> availability_from_mtbf(720, 0)
    1.0
    """
    mtbf = check_positive("mtbf", mtbf)
    mttr = check_number("mttr", mttr, low=0.0, allowed="expected a finite number of at least 0")
    up, up_scale = mtbf.as_integer_ratio()
    down, down_scale = mttr.as_integer_ratio()
    return up * down_scale / (up * down_scale + down * up_scale)  # int / int is correctly rounded


def _unavailability(availability: float) -> Fraction:
    """1 - A exactly, reading A as the decimal it prints as: 0.999 means 999/1000.

    The float 0.999 is a little below 999/1000; read as binary, a 99.9 % year would have
    31536.00000000003 s of downtime instead of 31536.
    """
    a = check_probability("availability", availability)
    return 1 - Fraction(repr(a))


def nines(availability: float) -> float:
    """How many nines: -log10(1 - A). 99.9 % is 3 nines; a perfect 1.0 is infinite.

    >>> nines(0.999)
    3.0
    >>> round(nines(0.9995), 5)
    3.30103
    >>> nines(1.0)
    inf
    """
    down = _unavailability(availability)
    if down == 0:
        return math.inf
    return 0.0 - math.log10(float(down))  # 0.0 - so that nines(0) is 0.0, not -0.0


def availability_from_nines(n: float) -> float:
    """The inverse of :func:`nines`: 3 -> 0.999.

    >>> availability_from_nines(3)
    0.999
    >>> availability_from_nines(0)
    0.0
    """
    n = check_number("nines", n, low=0.0, high=15.0,
                     allowed="expected a number of nines from 0 to 15")
    return 1.0 - 10.0 ** (-n)


def downtime_per_year(availability: float) -> float:
    """Seconds per 365-day year that something of this availability is expected to be down.

    >>> downtime_per_year(0.999)
    31536.0
    >>> downtime_per_year(1)
    0.0
    """
    return float(_unavailability(availability) * SECONDS_PER_YEAR)


def format_duration(seconds: float) -> str:
    """Seconds in the unit a person would say: '8.76 h', '52.56 min', '31.54 s'.

    >>> format_duration(31536.0), format_duration(864000), format_duration(0.25)
    ('8.76 h', '10 days', '250 ms')
    """
    seconds = check_number("seconds", seconds, low=0.0, allowed="expected seconds, at least 0")
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        # Hours read better than days up to ten days (99 % is "87.6 h" in the Pillar's table).
        if seconds >= size * (10 if unit == "days" else 1):
            return f"{_trim(seconds / size)} {unit}"
    return "0 s" if seconds == 0 else f"{_trim(seconds * 1000)} ms"


def _trim(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}".rstrip("0").rstrip(".")  # places >= 1, so there is a point


def format_percent(availability: float) -> str:
    """'99.9999 %': enough decimals to show the last nine, trailing zeros dropped.

    Only 1.0 reads as 100 % and only 0.0 as 0 %: a series of a thousand 99 % services is
    '0.004 %', not nothing.

    >>> format_percent(0.999), format_percent(0.9995), format_percent(0.99)
    ('99.9 %', '99.95 %', '99 %')
    >>> format_percent(0.99**1000)
    '0.004 %'
    """
    a = check_probability("availability", availability)
    if a == 1.0:
        return "100 %"
    if a == 0.0:
        return "0 %"
    percent = a * 100
    # Beyond 12 decimals a float only shows rounding noise (99.999999999999901 %).
    if percent < 1e-12:
        return f"{percent:.1g} %"
    places = min(12, max(1, math.ceil(nines(a)) - 1, -math.floor(math.log10(percent))))
    text = _trim(percent, places)
    if text == "100":
        text = "99." + "9" * places
    return text + " %"


def format_percent_against(availability: float, target: float) -> str:
    """:func:`format_percent`, with as many more decimals as it takes to read on which side
    of ``target`` the availability lies: a miss never reads as the target itself.

    >>> format_percent(0.99989745), format_percent_against(0.99989745, 0.9999)
    ('99.99 %', '99.989 %')
    >>> format_percent_against(0.999, 0.9999)        # plainly short: nothing added
    '99.9 %'
    """
    a = check_probability("availability", availability)
    t = check_probability("target", target)
    text = format_percent(a)
    if a >= t or a == 0.0:
        return text
    places = len(text.split()[0].partition(".")[2])
    # Truncate, never round up: a miss of 99.98975 must not read as 99.99.
    while float(text.split()[0]) >= t * 100 * (1 - 1e-15) and places < 12:
        places += 1
        text = _trim(math.floor(a * 10 ** (places + 2)) / 10 ** places, places) + " %"
    return text


def nines_table(levels: Iterable[float] = (0.99, 0.999, 0.9995, 0.9999, 0.99999, 0.999999)) -> list[dict]:
    """Rows of availability, nines and downtime per year/month/week: the lesson 00 table.

    >>> nines_table([0.999])
    [{'availability': '99.9 %', 'nines': 3.0, 'downtime per year': '8.76 h', 'per month': '43.8 min', 'per week': '10.08 min'}]
    """
    rows = []
    for a in check_list("levels", levels, 100, "expected a list of availabilities"):
        down = downtime_per_year(a)
        rows.append({"availability": format_percent(a), "nines": round(nines(a), 2),
                     "downtime per year": format_duration(down),
                     "per month": format_duration(down / 12),
                     "per week": format_duration(down * 7 / 365)})
    return rows
