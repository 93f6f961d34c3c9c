"""Every figure reference/facts.md marks **check**, reproduced by labkit."""

import math

import pytest

import labkit
from labkit import retries, sharding
from labkit.formulas import SECONDS_PER_YEAR


@pytest.mark.parametrize("availability, seconds", [
    (0.99, 87.6 * 3600), (0.999, 8.76 * 3600), (0.9995, 4.38 * 3600),
    (0.9999, 52.56 * 60), (0.99999, 5.26 * 60), (0.999999, 31.5),
])
def test_downtime_per_year_table(availability, seconds):
    # facts.md rounds to 3-4 significant figures; 0.2 % covers its rounding, nothing more.
    assert labkit.downtime_per_year(availability) == pytest.approx(seconds, rel=2e-3)


@pytest.mark.parametrize("availability, text", [
    (0.99, "87.6 h"), (0.999, "8.76 h"), (0.9995, "4.38 h"), (0.9999, "52.56 min"),
    (0.99999, "5.26 min"),
])
def test_downtime_reads_like_the_pillar(availability, text):
    assert labkit.format_duration(labkit.downtime_per_year(availability)) == text


def test_year_is_365_days():
    assert SECONDS_PER_YEAR == 365 * 86400


def test_series_pillar_example():
    assert round(labkit.series(0.9999, 0.9999, 0.9999), 4) == 0.9997


def test_parallel_pillar_example():
    assert round(labkit.parallel(0.999, 0.999), 6) == 0.999999


@pytest.mark.parametrize("k, n, expected", [(2, 3, 0.999997002), (8, 9, 0.999964168),
                                            (8, 10, 0.999999881)])
def test_k_of_n(k, n, expected):
    assert round(labkit.k_of_n(k, n, 0.999), 9) == expected


@pytest.mark.parametrize("k, n, expected", [(2, 3, 0.999997002), (8, 9, 0.999964168),
                                            (8, 10, 0.999999881)])
def test_k_of_n_through_the_graph(k, n, expected):
    arch = labkit.Architecture("replicas")
    names = [f"r{i}" for i in range(n)]
    for name in names:
        arch.add_component(name, 0.999)
    arch.add_group("tier", names, k)
    arch.add_feature("serve", ["tier"])
    assert round(labkit.availability(arch), 9) == expected


def test_markov_availability():
    assert labkit.availability_from_mtbf(999, 1) == pytest.approx(0.999)
    assert labkit.Component("x", mtbf=720.0, mttr=0.72).availability == pytest.approx(720 / 720.72)


def test_retries_multiply_through_layers():
    assert retries.retry_amplification(3, 5) == 243
    assert retries.count_calls_to_bottom(3, 5) == 243


def test_blast_radius_one_over_n():
    assert sharding.cell_blast_radius(10) == 0.10
    assert sharding.cell_blast_radius(100) == 0.01
    for n in (2, 4, 10):
        arch = labkit.catalog.cells(n)
        assert labkit.blast_radius(arch, ["cell1-app"]) == pytest.approx(1 / n)


def test_plain_sharding_quarter():
    assert sharding.shard_count(8, 2, "plain") == 4
    assert sharding.poison_blast_radius(8, 2, "plain") == 0.25
    arch = labkit.catalog.sharded_workers(8, 2, "plain")
    assert labkit.blast_radius(arch, arch.scenarios["poison customer"].crashes) == 0.25


def test_shuffle_sharding_one_in_28():
    assert sharding.shard_count(8, 2, "shuffle") == 28 == math.comb(8, 2)
    assert len(sharding.all_shards(8, 2, "shuffle")) == 28
    assert sharding.poison_blast_radius(8, 2, "shuffle") == pytest.approx(1 / 28)
    arch = labkit.catalog.sharded_workers(8, 2, "shuffle")
    assert labkit.blast_radius(arch, arch.scenarios["poison customer"].crashes) == pytest.approx(1 / 28)


def test_route53_shards():
    assert sharding.shard_count(2048, 4, "shuffle") == 730_862_190_080


def test_static_stability():
    assert sharding.static_stability_capacity(3) == 1.5
    assert sharding.max_utilisation(3) == pytest.approx(2 / 3)


def test_k_of_n_large_n_matches_exact_rational_arithmetic():
    # Past 500 replicas labkit sums the terms in logs; exact big-integer arithmetic is the truth.
    from fractions import Fraction
    n, k, a = 1200, 1150, Fraction(97, 100)
    exact = sum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))
    assert labkit.k_of_n(k, n, 0.97) == pytest.approx(float(exact), rel=1e-9)


def test_published_figures_need_no_tolerance():
    # Read as the decimals they are written as, the Pillar's inputs give its figures exactly.
    assert labkit.downtime_per_year(0.999) == 8.76 * 3600 == 31536.0
    assert labkit.downtime_per_year(0.9999) == 3153.6
    assert labkit.nines(0.999) == 3.0
    assert labkit.availability_from_mtbf(999, 1) == 0.999
    assert labkit.k_of_n(2, 3, 0.999) == 0.999997002
    assert labkit.k_of_n(1, 2, 0.999) == labkit.parallel(0.999, 0.999)
