"""The router's hash and shuffle sharding: exact combinatorics checked on real populations."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import labkit
from labkit import catalog, retries, sharding

POPULATION = sharding.customer_ids(20_000)


def test_router_is_deterministic_and_seeded():
    assert sharding.cell_for("customer-1", 8) == sharding.cell_for("customer-1", 8)
    moved = sum(sharding.cell_for(c, 8, seed=0) != sharding.cell_for(c, 8, seed=1)
                for c in POPULATION[:2000])
    assert moved > 1000  # a different seed is a different mapping, not the same one


def test_router_spreads_customers_evenly():
    counts = sharding.customers_per_cell(POPULATION, 4)
    assert counts.sum() == len(POPULATION)
    expected = len(POPULATION) / 4
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 16.3  # chi-square, 3 degrees of freedom, p = 0.001


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.integers(), st.binary()), st.integers(1, 500), st.integers(0, 2**32))
def test_router_always_lands_in_range(key, cells, seed):
    assert 0 <= sharding.cell_for(key, cells, seed) < cells


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20), st.integers(2, 12), st.data())
def test_shuffle_shard_is_a_valid_combination(key, workers, data):
    k = data.draw(st.integers(1, workers))
    shard = sharding.shard_for(key, workers, k, "shuffle")
    assert len(shard) == k == len(set(shard))
    assert list(shard) == sorted(shard) and all(0 <= w < workers for w in shard)


def test_unranking_covers_every_combination_once():
    from labkit.sharding import _unrank_combination
    ranks = [_unrank_combination(r, 8, 3) for r in range(math.comb(8, 3))]
    assert ranks == sharding.all_shards(8, 3, "shuffle")


def test_customers_spread_over_all_28_shards():
    shards = {sharding.shard_for(c, 8, 2, "shuffle") for c in POPULATION}
    assert len(shards) == 28


@pytest.mark.parametrize("workers, k", [(8, 2), (10, 3), (12, 4), (2048, 4)])
def test_overlap_distribution_is_hypergeometric_and_measured(workers, k):
    exact = sharding.overlap_distribution(workers, k)
    assert sum(exact.values()) == pytest.approx(1)
    assert exact[k] == pytest.approx(1 / math.comb(workers, k))
    measured = sharding.measured_poison_impact(POPULATION, workers, k, "shuffle")
    n = len(POPULATION) - 1
    for share, key in ((exact[k], "fully affected"),
                       (1 - exact[0] - exact[k], "partially affected")):
        se = math.sqrt(share * (1 - share) / n)
        assert abs(measured[key] - share) <= 5 * se + 1 / n  # +1/n: a share of 1/C(2048,4) rounds to 0


def test_plain_sharding_poison_hits_a_quarter_measured():
    measured = sharding.measured_poison_impact(POPULATION, 8, 2, "plain")
    assert measured["fully affected"] == pytest.approx(0.25, abs=0.015)
    assert measured["partially affected"] == 0


def test_sharded_workers_from_a_population_matches_the_exact_share():
    arch = catalog.sharded_workers(8, 2, "shuffle", customers=POPULATION)
    radius = labkit.blast_radius(arch, arch.scenarios["poison customer"].crashes)
    assert radius == pytest.approx(1 / 28, abs=5 * math.sqrt((1 / 28) * (27 / 28) / len(POPULATION)))


def test_one_worker_down_hurts_nobody_with_retries():
    arch = catalog.sharded_workers(8, 2, "shuffle")
    assert labkit.blast_radius(arch, ["w3"]) == 0.0


def test_cells_from_a_population_use_the_routed_shares():
    arch = catalog.cells(4, customers=POPULATION)
    counts = sharding.customers_per_cell(POPULATION, 4)
    assert labkit.blast_radius(arch, ["cell2-db"]) == pytest.approx(counts[1] / counts.sum())


def test_cells_needed_and_utilisation():
    assert sharding.cells_needed(50_000, 8_000) == 8
    assert sharding.cells_needed(48_000, 8_000, spare=0) == 6
    assert sharding.max_utilisation(4) == pytest.approx(0.75)


def test_retry_amplification_matches_the_call_tree():
    for attempts in range(1, 5):
        for layers in range(0, 6):
            assert retries.retry_amplification(attempts, layers) == \
                retries.count_calls_to_bottom(attempts, layers)


def test_population_ids_are_unique_and_stable():
    ids = sharding.customer_ids(1000)
    assert len(set(ids)) == 1000 and ids[0] == "customer-000001"
    assert np.all(sharding.customers_per_cell(ids, 3) == sharding.customers_per_cell(ids, 3))


def test_batch_routing_matches_one_key_at_a_time():
    keys = POPULATION[:3000] + [7, b"raw", "ünïcode"]
    assert sharding.cells_for(keys, 5, seed=3).tolist() == [sharding.cell_for(k, 5, seed=3) for k in keys]
    for scheme, k in (("shuffle", 3), ("plain", 2)):
        shards = sharding.all_shards(8, k, scheme) if scheme == "shuffle" else sharding.all_shards(8, 2, scheme)
        index = sharding.shard_indexes(keys, 8, k, scheme, seed=3)
        assert [shards[i] for i in index] == [sharding.shard_for(c, 8, k, scheme, seed=3) for c in keys]
