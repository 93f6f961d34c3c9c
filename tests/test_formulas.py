"""The closed forms in labkit.formulas: exact where exactness is promised, literal figures, and
bad input refused with a message that names the argument.

Truth for k-of-n and MTBF/MTTR is exact rational arithmetic on the float inputs; the float of
an exact rational is correctly rounded, so results are compared with ==, not approximately.
"""

import math
import time
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, example, given, settings, strategies as st

import labkit
from labkit import LabkitError, formulas
from labkit.formulas import (SECONDS_PER_YEAR, availability_from_mtbf, availability_from_nines,
                             downtime_per_year, format_duration, format_percent, k_of_n, nines,
                             nines_table, parallel, series)

TINY = 5e-324  # the smallest positive float (subnormal)
BIG = 1.7976931348623157e308  # the largest finite float

# Availabilities where floats misbehave: near 1 (1 - 2**-j), few binary digits (ties), tiny,
# subnormal, plus anything in [0, 1].
availabilities = st.one_of(
    st.floats(0.0, 1.0),
    st.integers(1, 53).map(lambda j: 1.0 - 2.0**-j),
    st.sampled_from([0.0, 1.0, 0.5, 0.25, 0.75, 0.9, 0.99, 0.999, 0.9999, 1e-300, TINY]),
    st.floats(0.0, 1e-300),
)
quorums = st.integers(0, 100_000)  # taken modulo n + 1 (or n) where a k is needed


def exact_tail(k, n, a):
    """The binomial tail as integers (top, bottom), term by term, no recurrence.

    With a = num/den every term has the bottom den**n; summing the shorter side keeps it quick.
    """
    num, den = a.as_integer_ratio()

    def terms(indices):
        return sum(math.comb(n, i) * num**i * (den - num) ** (n - i) for i in indices)

    top = den**n - terms(range(k)) if k <= n // 2 else terms(range(k, n + 1))
    return top, den**n


def exact_k_of_n(k, n, a):
    return Fraction(*exact_tail(k, n, a))


def float_k_of_n(k, n, a):
    top, bottom = exact_tail(k, n, a)
    return top / bottom  # int / int is correctly rounded


def assert_correctly_rounded(x, exact):
    """No float is nearer to ``exact`` than ``x`` (checked without trusting float(Fraction))."""
    error = abs(Fraction(x) - exact)
    for neighbour in (math.nextafter(x, -math.inf), math.nextafter(x, math.inf)):
        if math.isfinite(neighbour):
            assert error <= abs(Fraction(neighbour) - exact), (x, neighbour, float(exact))


def message(call, *args):
    with pytest.raises(LabkitError) as excinfo:
        call(*args)
    return str(excinfo.value)


# --------------------------------------------------------------------------- k_of_n: exact


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 60), quorums, availabilities)
@example(20, 1, 0.9)
@example(3, 2, 0.999)
def test_k_of_n_is_the_correctly_rounded_exact_sum(n, k, a):
    k %= n + 1
    exact = exact_k_of_n(k, n, a)
    assert k_of_n(k, n, a) == float(exact)
    assert_correctly_rounded(k_of_n(k, n, a), exact)


@settings(max_examples=25, deadline=None)
@given(st.integers(100, 180), quorums, availabilities)
def test_k_of_n_exact_past_100_replicas(n, k, a):
    # From 100 on, ln(x!) comes from Stirling's series rather than x! itself.
    k %= n + 1
    assert k_of_n(k, n, a) == float_k_of_n(k, n, a)


@pytest.mark.parametrize("k, n, a", [
    (1, 54, 0.5), (1, 27, 0.75), (1, 18, 0.875), (1, 3, 1 - 2**-18),  # 1 - 2**-54: a tie
    (28, 54, 0.5), (27, 53, 0.5),  # 1/2 exactly, and its neighbour
])
def test_k_of_n_ties_round_to_even(k, n, a):
    assert k_of_n(k, n, a) == float_k_of_n(k, n, a)


def test_k_of_n_review_findings():
    assert k_of_n(1, 20, 0.9) == 1.0  # was 1.0000000000000002
    assert k_of_n(1, 501, 0.999) >= k_of_n(1, 500, 0.999)  # was lower past the lgamma switch
    assert k_of_n(1, 500, 0.999) == 1.0 == k_of_n(1, 501, 0.999)


@pytest.mark.parametrize("k, n, a", [(1200, 1200, 0.97), (1150, 1200, 0.97), (600, 1200, 0.5),
                                     (1, 1200, 1e-4), (3, 2000, TINY), (1990, 2000, 0.999)])
def test_k_of_n_large_n_exact(k, n, a):
    assert k_of_n(k, n, a) == float_k_of_n(k, n, a)


@pytest.mark.parametrize("k, n, a, expected", [
    (2, 3, 0.999, 0.999997002), (8, 9, 0.999, 0.9999641676225036),
    (8, 10, 0.999, 0.9999998806284901), (3, 3, 0.5, 0.125), (1, 1, 0.3, 0.3),
    (0, 5, 0.0, 1.0), (1, 5, 0.0, 0.0), (5, 5, 1.0, 1.0), (0, 1, 0.5, 1.0),
    (100_000, 100_000, 0.5, 0.0), (1, 100_000, TINY, 100_000 * TINY),
    (100_000, 100_000, 1 - 2**-53, 0.9999999999888978),
])
def test_k_of_n_literals(k, n, a, expected):
    assert k_of_n(k, n, a) == expected


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), quorums, availabilities.filter(lambda a: 0 < a < 1))
def test_k_of_n_bounds_enclose_the_exact_sum(n, k, a):
    k = 1 + k % n
    top, bottom = exact_tail(k, n, a)
    low, high = formulas._k_of_n_bounds(k, n, a)
    (low_top, low_bottom), (high_top, high_bottom) = low.as_integer_ratio(), high.as_integer_ratio()
    assert low_top * bottom <= top * low_bottom and top * high_bottom <= high_top * bottom
    assert high - low <= Decimal("3e-35") * max(high, Decimal(1) - low)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), quorums, availabilities.filter(lambda a: 0 < a < 1))
def test_k_of_n_exact_fallback(n, k, a):
    k = 1 + k % n
    assert formulas._k_of_n_exact(k, n, a) == float(exact_k_of_n(k, n, a))


def test_stirling_factorials():
    assert formulas._bernoulli(3) == [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42)]
    with localcontext() as ctx:
        ctx.prec = formulas._DIGITS
        for x in (0, 1, 2, 99, 100, 101, 150, 777, 3000):
            truth = Decimal(math.factorial(x)).ln()
            assert abs(formulas._ln_factorial(x) - truth) <= Decimal("1e-44") * max(1, truth)


def test_k_of_n_is_fast():
    # Worst case: a = 0.5 spreads the terms widest (~5 ms); a = 0.3 has a 54-bit denominator,
    # so the exact integer sum would take minutes.
    for k, n, a in [(50_000, 100_000, 0.5), (30_000, 100_000, 0.3), (99_900, 100_000, 0.999)]:
        start = time.perf_counter()
        k_of_n(k, n, a)
        assert time.perf_counter() - start < 1.0
    # Typical calls take under a millisecond: only the terms beyond the mode are summed, never
    # the ~100,000 terms from k = 1 up through the bulk.
    start = time.perf_counter()
    for k, n, a in [(1, 100_000, 0.999), (2, 100_000, 0.5), (1, 100_000, 0.9)]:
        k_of_n(k, n, a)
    assert time.perf_counter() - start < 0.1


# --------------------------------------------------------------------------- k_of_n: order

replica_counts = st.integers(1, 100_000)


@settings(max_examples=150, deadline=None)
@given(replica_counts, quorums, availabilities)
@example(500, 1, 0.999)
def test_k_of_n_never_drops_with_one_more_replica(n, k, a):
    assume(n < 100_000)
    k %= n + 1
    assert 0.0 <= k_of_n(k, n, a) <= k_of_n(k, n + 1, a) <= 1.0


@settings(max_examples=150, deadline=None)
@given(replica_counts, quorums, availabilities)
def test_k_of_n_never_rises_with_a_bigger_quorum(n, k, a):
    k %= n  # k + 1 <= n
    assert 0.0 <= k_of_n(k + 1, n, a) <= k_of_n(k, n, a) <= 1.0


@settings(max_examples=150, deadline=None)
@given(replica_counts, quorums, availabilities, availabilities, st.booleans())
def test_k_of_n_never_drops_with_better_replicas(n, k, a, b, adjacent):
    k %= n + 1
    low, high = (a, math.nextafter(a, 1.0)) if adjacent else sorted((a, b))
    assert 0.0 <= k_of_n(k, n, low) <= k_of_n(k, n, high) <= 1.0


# --------------------------------------------------------------------------- k_of_n vs parallel


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 53), st.integers(1, 60))
def test_one_of_n_is_parallel_exactly_when_parallel_is_exact(j, n):
    # 1 - a = 2**-j: parallel's product is exact, so its one rounding is the correct one.
    assume(j * n <= 1000)
    a = 1.0 - 2.0**-j
    assert k_of_n(1, n, a) == parallel(*[a] * n) == parallel([a] * n)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.floats(0.0, 1.0))
def test_one_of_n_is_parallel_within_its_rounding(n, a):
    # parallel rounds once per factor: within n + 2 units of 2**-53 of the exact value.
    assert abs(k_of_n(1, n, a) - parallel(*[a] * n)) <= (n + 2) * 2.0**-53


# --------------------------------------------------------------------------- series, parallel


@settings(max_examples=200, deadline=None)
@given(st.lists(availabilities, min_size=1, max_size=8), quorums, availabilities)
def test_series_and_parallel_rise_with_each_availability(values, i, other):
    i %= len(values)
    better = list(values)
    better[i] = max(values[i], other)
    for formula in (series, parallel):
        assert 0.0 <= formula(values) <= formula(better) <= 1.0
        assert formula(*values) == formula(values) == formula(tuple(values)) == formula(np.array(values))


def test_series_and_parallel_literals():
    assert series(0.5, 0.5) == 0.25
    assert series(0.9) == 0.9
    assert series(0.5, 0.5, 0.5) == 0.125
    assert parallel(0.5, 0.5) == 0.75
    assert parallel(0.9) == 0.9
    assert parallel(0.9, 0.9) == pytest.approx(0.99, abs=1e-15)
    assert series(1, 0.25) == 0.25 and parallel(0, 0.25) == 0.25
    assert series(0.25, 0.0) == 0.0 and parallel(0.25, 1.0) == 1.0
    assert series(np.float64(0.5), 1) == 0.5 and parallel(Fraction(1, 2)) == 0.5


def test_series_term_bound_is_exact():
    assert series([1.0] * 100_000) == 1.0
    assert parallel([0.0] * 100_000) == 0.0
    text = message(series, [1.0] * 100_001)
    assert text == "len(availabilities)=100001 is not allowed: expected at most 100,000 availabilities"
    start = time.perf_counter()
    message(parallel, np.zeros(10**7))  # refused before a single element is looked at
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("args, expected", [
    ((), "availabilities=() is not allowed: expected at least one availability"),
    (([],), "availabilities=[] is not allowed: expected at least one availability"),
    ((0.9, "x"), "availabilities[1]='x' is not allowed: expected a number between 0 and 1"),
    (([0.9, 1.5],), "availabilities[1]=1.5 is not allowed: expected a number between 0 and 1"),
    ((None,), "availabilities[0]=None is not allowed: expected a number between 0 and 1"),
    ((np.array(0.5),), "availabilities=array(0.5) is not allowed: expected numbers between 0 and 1"),
    (([[0.9]],), "availabilities[0]=[0.9] is not allowed: expected a number between 0 and 1"),
    ((0.9, True), "availabilities[1]=True is not allowed: expected a number between 0 and 1"),
])
def test_series_and_parallel_refusals(args, expected):
    assert message(series, *args) == expected
    assert message(parallel, *args) == expected


@pytest.mark.parametrize("value", ["0.9", {"a": 0.9}, {0.9}, None, (x for x in [0.9]),
                                   iter(int, 1), float("nan"), math.inf, 10**400, -10**400,
                                   10**5000, Fraction(10**400, 3), [0.9, [0.9]], b"0.9"],
                         ids=lambda v: type(v).__name__)
def test_series_and_parallel_refuse_non_numbers(value):
    for formula in (series, parallel):
        assert "availabilities" in message(formula, value)
        assert "availabilities[1]" in message(formula, 0.5, value)


# --------------------------------------------------------------------------- MTBF / MTTR

durations = st.one_of(st.floats(0.0, BIG), st.sampled_from([TINY, 1e-310, 1e-300, 1.0, 1e300, BIG]))


@settings(max_examples=300, deadline=None)
@given(durations.filter(lambda t: t > 0), durations)
@example(1e308, 1e308)
@example(BIG, BIG)
@example(TINY, BIG)
@example(BIG, TINY)
@example(1e-10, 1e300)
def test_availability_from_mtbf_is_exact(mtbf, mttr):
    exact = Fraction(mtbf) / (Fraction(mtbf) + Fraction(mttr))
    result = availability_from_mtbf(mtbf, mttr)
    assert result == float(exact) and 0.0 <= result <= 1.0
    assert_correctly_rounded(result, exact)


@pytest.mark.parametrize("mtbf, mttr, expected", [
    (999, 1, 0.999), (1e308, 1e308, 0.5), (BIG, BIG, 0.5), (TINY, TINY, 0.5),
    (TINY, BIG, 0.0), (BIG, TINY, 1.0), (1e-10, 1e300, 1e-310), (720, 0, 1.0),
    (1, 3, 0.25), (3, 1, 0.75), (10**300, 10**300, 0.5),
])
def test_availability_from_mtbf_literals(mtbf, mttr, expected):
    assert availability_from_mtbf(mtbf, mttr) == expected


def test_component_uses_the_same_arithmetic():
    assert labkit.Component("x", mtbf=1e308, mttr=1e308).availability == 0.5
    assert labkit.Component("x", mtbf=1e-10, mttr=1e300).availability == 1e-310


@pytest.mark.parametrize("mtbf, mttr, expected", [
    (0, 1, "mtbf=0 is not allowed: expected a finite number above 0"),
    (-1.0, 1, "mtbf=-1.0 is not allowed: expected a finite number above 0"),
    (math.inf, 1, "mtbf=inf is not allowed: expected a finite number above 0"),
    (1, -TINY, "mttr=-5e-324 is not allowed: expected a finite number of at least 0"),
    (1, math.nan, "mttr=nan is not allowed: expected a finite number of at least 0"),
    (1, "1", "mttr='1' is not allowed: expected a finite number of at least 0"),
])
def test_availability_from_mtbf_refusals(mtbf, mttr, expected):
    assert message(availability_from_mtbf, mtbf, mttr) == expected


def test_availability_from_mtbf_bounds_are_exact():
    assert availability_from_mtbf(TINY, 0) == 1.0
    assert availability_from_mtbf(1, 0.0) == 1.0 and availability_from_mtbf(1, -0.0) == 1.0


# --------------------------------------------------------------------------- nines, downtime


def test_nines_literals():
    assert nines(0.999) == 3.0
    assert nines(0.99) == 2.0 and nines(0.99999) == 5.0 and nines(0.9999999999999) == 13.0
    assert nines(0.9995) == pytest.approx(3.30103, abs=1e-6)
    assert nines(0.5) == pytest.approx(math.log10(2), rel=1e-15)
    assert nines(0) == 0.0 and math.copysign(1.0, nines(0)) == 1.0  # not -0.0
    assert math.copysign(1.0, nines(-0.0)) == 1.0 and k_of_n(1, 3, -0.0) == 0.0
    assert nines(1) == math.inf and nines(1.0) == math.inf
    assert nines(0.9999999999999999) == 16.0  # the float just below 1


def test_availability_from_nines_literals():
    assert availability_from_nines(3) == 0.999
    assert availability_from_nines(2) == 0.99
    assert availability_from_nines(0) == 0.0
    assert availability_from_nines(15) == 0.999999999999999
    assert availability_from_nines(0.5) == pytest.approx(1 - 10**-0.5, abs=1e-16)
    assert nines(availability_from_nines(3.5)) == pytest.approx(3.5, abs=1e-12)


def test_availability_from_nines_bounds_are_exact():
    assert availability_from_nines(15.0) < 1.0
    assert message(availability_from_nines, math.nextafter(15.0, 16.0)) == (
        "nines=15.000000000000002 is not allowed: expected a number of nines from 0 to 15")
    assert message(availability_from_nines, -TINY).startswith("nines=-5e-324 is not allowed")
    assert message(availability_from_nines, 10**400).startswith("nines=")


@pytest.mark.parametrize("availability, seconds", [
    (0.99, 315360.0), (0.999, 31536.0), (0.9995, 15768.0), (0.9999, 3153.6),
    (0.99999, 315.36), (0.999999, 31.536), (0.0, 31536000.0), (1.0, 0.0), (0, 31536000.0),
    (0.5, 15768000.0), (0.9999999999999999, 3.1536e-09),
])
def test_downtime_per_year_literals(availability, seconds):
    assert downtime_per_year(availability) == seconds


def test_probability_bounds_are_exact():
    for formula in (nines, downtime_per_year, format_percent):
        formula(1.0), formula(0.0), formula(-0.0)
        for outside in (math.nextafter(1.0, 2.0), -TINY):
            assert message(formula, outside).startswith(f"availability={outside!r} is not allowed")
    assert message(k_of_n, 1, 1, math.nextafter(1.0, 2.0)).startswith("availability=1.0000000000000002")


# --------------------------------------------------------------------------- formatting

PILLAR_ROWS = [
    {"availability": "99 %", "nines": 2.0, "downtime per year": "87.6 h",
     "per month": "7.3 h", "per week": "1.68 h"},
    {"availability": "99.9 %", "nines": 3.0, "downtime per year": "8.76 h",
     "per month": "43.8 min", "per week": "10.08 min"},
    {"availability": "99.95 %", "nines": 3.3, "downtime per year": "4.38 h",
     "per month": "21.9 min", "per week": "5.04 min"},
    {"availability": "99.99 %", "nines": 4.0, "downtime per year": "52.56 min",
     "per month": "4.38 min", "per week": "1.01 min"},
    {"availability": "99.999 %", "nines": 5.0, "downtime per year": "5.26 min",
     "per month": "26.28 s", "per week": "6.05 s"},
    {"availability": "99.9999 %", "nines": 6.0, "downtime per year": "31.54 s",
     "per month": "2.63 s", "per week": "604.8 ms"},
]


def test_nines_table_rows_exactly():
    assert nines_table() == PILLAR_ROWS
    assert nines_table([0.9995]) == [PILLAR_ROWS[2]]
    assert nines_table([0.99949])[0]["nines"] == 3.29
    assert nines_table([]) == []


@pytest.mark.parametrize("availability, text", [
    (0.99, "99 %"), (0.999, "99.9 %"), (0.9995, "99.95 %"), (0.9999, "99.99 %"),
    (0.99999, "99.999 %"), (0.999999, "99.9999 %"),
    (0.99949, "99.949 %"), (0.1, "10 %"), (0.5, "50 %"), (2 / 3, "66.7 %"),
    (1 - 1e-13, "99.99999999999 %"), (0.9999999999999999, "99.999999999999 %"),
    (1.0, "100 %"), (1, "100 %"), (0.0, "0 %"), (0, "0 %"), (-0.0, "0 %"),
    # small but not nothing: the first significant digit shows
    (1e-9, "0.0000001 %"), (0.99**1000, "0.004 %"), (0.0096, "1 %"), (0.004, "0.4 %"),
    (1e-14, "0.000000000001 %"), (9.999999999999998e-15, "1e-12 %"), (TINY, "5e-322 %"),
])
def test_format_percent_literals(availability, text):
    assert format_percent(availability) == text


@pytest.mark.parametrize("seconds, text", [
    (0, "0 s"), (0.0, "0 s"), (0.001, "1 ms"), (0.25, "250 ms"), (0.9994, "999.4 ms"),
    (1, "1 s"), (1.0, "1 s"), (59.99, "59.99 s"), (59.996, "60 s"),
    (60, "1 min"), (1234.5678, "20.58 min"), (3599, "59.98 min"), (3599.999, "60 min"),
    (3600, "1 h"), (7199, "2 h"), (31536.0, "8.76 h"), (863999, "240 h"),
    (864000, "10 days"), (1e7, "115.74 days"), (SECONDS_PER_YEAR, "365 days"),
    (math.nextafter(60.0, 0.0), "60 s"), (math.nextafter(86400.0 * 10, 0.0), "240 h"),
])
def test_format_duration_literals(seconds, text):
    assert format_duration(seconds) == text


def test_format_duration_refusals():
    assert message(format_duration, -TINY) == "seconds=-5e-324 is not allowed: expected seconds, at least 0"
    assert message(format_duration, math.inf).startswith("seconds=inf is not allowed")
    assert message(format_duration, 10**400).startswith("seconds=")
    assert format_duration(BIG).endswith(" days")


# --------------------------------------------------------------------------- bad input

BAD_NUMBERS = [None, math.nan, math.inf, -math.inf, True, False, "0.9", [0.9], (0.9,), {},
               10**400, -10**400, 10**5000, Fraction(10**400, 3), Decimal("0.9"), 1j, object()]

# (call with the bad value in one place, the argument the message must name)
NUMBER_ARGUMENTS = [
    (lambda v: series(0.9, v), "availabilities[1]"), (lambda v: parallel(v, 0.9), "availabilities[0]"),
    (lambda v: k_of_n(1, 3, v), "availability"), (lambda v: k_of_n(v, 3, 0.9), "k"),
    (lambda v: k_of_n(1, v, 0.9), "n"), (lambda v: availability_from_mtbf(v, 1), "mtbf"),
    (lambda v: availability_from_mtbf(1, v), "mttr"), (lambda v: nines(v), "availability"),
    (lambda v: availability_from_nines(v), "nines"), (lambda v: downtime_per_year(v), "availability"),
    (lambda v: format_duration(v), "seconds"), (lambda v: format_percent(v), "availability"),
    (lambda v: nines_table([0.9, v]), "availability"),
]


@pytest.mark.parametrize("call, argument", NUMBER_ARGUMENTS)
@pytest.mark.parametrize("value", BAD_NUMBERS, ids=lambda v: type(v).__name__)
def test_bad_numbers_name_the_argument(call, argument, value):
    text = message(call, value)
    assert text.startswith(f"{argument}=") and "is not allowed: expected" in text, text


@pytest.mark.parametrize("k, n, expected", [
    (1, 100_001, "n=100001 is not allowed: expected a whole number of at least 1 and at most 100000"),
    (1, 0, "n=0 is not allowed: expected a whole number of at least 1 and at most 100000"),
    (4, 3, "k=4 is not allowed: expected a whole number of at least 0 and at most 3"),
    (-1, 3, "k=-1 is not allowed: expected a whole number of at least 0 and at most 3"),
    (1.0, 3, "k=1.0 is not allowed: expected a whole number of at least 0 and at most 3"),
])
def test_k_of_n_count_bounds_are_exact(k, n, expected):
    assert message(k_of_n, k, n, 0.5) == expected


def test_k_of_n_largest_accepted_counts():
    assert k_of_n(1, 100_000, 0.5) == 1.0
    assert k_of_n(100_000, 100_000, 1.0) == 1.0
    assert k_of_n(3, 3, 0.9) == pytest.approx(0.729, abs=1e-15)
    assert k_of_n(0, 1, 0.0) == 1.0 and k_of_n(1, 1, 0.0) == 0.0
    assert k_of_n(np.int64(2), np.int64(3), np.float64(0.999)) == k_of_n(2, 3, 0.999)


# --------------------------------------------------------------------------- outputs as inputs

formula_outputs = st.one_of(
    st.lists(availabilities, min_size=1, max_size=6).map(series),
    st.lists(availabilities, min_size=1, max_size=6).map(parallel),
    st.tuples(quorums, st.integers(1, 2000), availabilities).map(
        lambda t: k_of_n(t[0] % (t[1] + 1), t[1], t[2])),
    st.tuples(durations.filter(lambda t: t > 0), durations).map(lambda t: availability_from_mtbf(*t)),
    st.floats(0.0, 15.0).map(availability_from_nines),
)


@settings(max_examples=300, deadline=None)
@given(formula_outputs)
def test_every_output_is_a_valid_input(a):
    assert 0.0 <= a <= 1.0
    assert nines(a) >= 0.0
    assert format_percent(a).endswith(" %")
    down = downtime_per_year(a)
    assert 0.0 <= down <= SECONDS_PER_YEAR
    assert format_duration(down)
    assert format_duration(down / 12) and format_duration(down * 7 / 365)
    assert nines_table([a])


@settings(max_examples=200, deadline=None)
@given(availabilities, availabilities)
def test_nines_and_downtime_move_the_right_way(a, b):
    low, high = sorted((a, b))
    assert nines(low) <= nines(high)
    assert downtime_per_year(low) >= downtime_per_year(high)
