"""The router's hash and shuffle sharding: exact combinatorics checked on real populations.

Statistical tests use fixed seeds and fixed populations, so they are deterministic; their
bounds are set at a false-alarm rate of about 1e-4, so a correct router passes whatever
the seed, and a biased one (like the old one, which only reached the first 2**64 shards)
fails by orders of magnitude.
"""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import labkit
from labkit import LabkitError, catalog, retries, sharding

POPULATION = sharding.customer_ids(20_000)
Z = 3.719  # standard normal quantile for a one-sided false-alarm rate of 1e-4


def chi2_limit(df: int) -> float:
    """The chi-square critical value at 1e-4 (Wilson-Hilferty; scipy is not a dependency)."""
    h = 2 / (9 * df)
    return df * (1 - h + Z * math.sqrt(h)) ** 3


def chi2(observed, expected) -> float:
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    return float(((observed - expected) ** 2 / expected).sum())


def lexicographic_rank(shard, n):
    """Rank of a sorted k-subset among all k-subsets of range(n) in lexicographic order,
    counted the slow, obvious way: every subset that starts with a smaller worker comes first."""
    rank, previous, k = 0, -1, len(shard)
    for i, worker in enumerate(shard):
        rank += sum(math.comb(n - 1 - v, k - 1 - i) for v in range(previous + 1, worker))
        previous = worker
    return rank


NOT_GIVEN = object()


def assert_refused(call, argument, *fragments, value=NOT_GIVEN):
    """The call raises a LabkitError that names ``argument`` (and shows ``value``, if given)."""
    with pytest.raises(LabkitError) as excinfo:
        call()
    message = str(excinfo.value)
    assert message.startswith(f"{argument}="), message
    assert "is not allowed: " in message
    if value is not NOT_GIVEN:
        assert message.startswith(f"{argument}={value!r} is not allowed: "), message
    for fragment in fragments:
        assert fragment in message, message
    return message


# -- the router's hash: pinned values ------------------------------------------------------

def test_stable_hash_is_pinned():
    # Literals, not a call compared with itself: a hash salted per process would fail here.
    assert sharding.stable_hash("customer-1") == 15488849818040629339
    assert sharding.stable_hash(7, seed=3) == 5697428149072557668
    assert sharding.stable_hash(b"raw") == 5489798774313624247
    assert sharding.stable_hash("ünïcode", seed=2**63) == 4560596275810112773
    assert sharding.stable_hash("\ud800") == 8383394191588258971  # a lone surrogate is a key too
    assert sharding.stable_hashes(["customer-1", 7]).tolist() == \
        [15488849818040629339, 6190822855650523688]


def test_int_str_and_bytes_keys_are_different_customers():
    assert len({sharding.stable_hash(k) for k in (1, "1", b"1", -1, "-1")}) == 5


def test_cell_router_is_pinned():
    assert sharding.cell_for("customer-42", 4) == 2
    assert sharding.cell_for("customer-42", 4, seed=7) == 0
    assert sharding.cell_for(42, 1000) == 518
    assert sharding.cells_for(["a", "b", "c", 1, b"x"], 5, seed=3).tolist() == [2, 4, 2, 1, 1]
    ids = sharding.customer_ids(1000)
    assert sharding.customers_per_cell(ids, 4).tolist() == [247, 241, 239, 273]
    assert sharding.customers_per_cell(ids, 4, seed=7).tolist() == [249, 265, 238, 248]


def test_router_is_seeded():
    moved = sum(sharding.cell_for(c, 8, seed=0) != sharding.cell_for(c, 8, seed=1)
                for c in POPULATION[:2000])
    assert moved > 1000  # a different seed is a different mapping, not the same one


def test_router_spreads_customers_evenly():
    counts = sharding.customers_per_cell(POPULATION, 4)
    assert counts.sum() == len(POPULATION)
    assert chi2(counts, [len(POPULATION) / 4] * 4) < chi2_limit(3)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.integers(-2**1024 + 1, 2**1024 - 1), st.binary()),
       st.integers(1, 500), st.integers(0, 2**32))
def test_router_always_lands_in_range(key, cells, seed):
    assert 0 <= sharding.cell_for(key, cells, seed) < cells


def test_batch_routing_matches_one_key_at_a_time():
    keys = POPULATION[:3000] + [7, -7, b"raw", "ünïcode", 2**1024 - 1, "\ud800"]
    assert sharding.cells_for(keys, 5, seed=3).tolist() == [sharding.cell_for(k, 5, seed=3) for k in keys]
    strings = ["\ud800", "ünïcode", "customer-1"]  # an all-str population takes a faster path
    assert sharding.stable_hashes(strings).tolist() == [sharding.stable_hash(k) for k in strings]
    assert sharding.stable_hashes(keys, seed=3).tolist() == [sharding.stable_hash(k, 3) for k in keys]


def test_population_ids_are_unique_and_pinned():
    ids = sharding.customer_ids(1000)
    assert len(set(ids)) == 1000 and ids[0] == "customer-000001" and ids[-1] == "customer-001000"
    assert sharding.customer_ids(2, "t") == ["t-000001", "t-000002"]
    assert sharding.customer_ids(1_000_000)[-1] == "customer-1000000"  # the largest accepted


# -- shuffle sharding: pinned values and consistency ---------------------------------------

def test_shard_for_is_pinned():
    assert sharding.shard_for("customer-42", 8, 2, "plain") == (4, 5)
    assert sharding.shard_for("customer-7", 12, 4, "plain", seed=7) == (8, 9, 10, 11)
    assert sharding.shard_for("customer-42", 8, 2) == (4, 5)
    assert sharding.shard_for("customer-42", 8, 2, "shuffle", seed=7) == (1, 6)
    assert sharding.shard_for("customer-1", 1000, 10) == (2, 294, 488, 515, 560, 596, 662, 728, 753, 761)
    assert sharding.shard_for("customer-1", 100, 20) == (
        0, 16, 26, 28, 32, 33, 34, 38, 47, 48, 51, 52, 53, 55, 56, 70, 71, 86, 89, 90)
    assert sharding.shard_for("customer-1", 2048, 8, seed=1) == (11, 45, 470, 756, 873, 897, 1052, 1270)
    assert sharding.shards_for(["customer-42", "customer-43"], 2048, 4).tolist() == \
        [[58, 1279, 1330, 1497], [769, 831, 1515, 1627]]
    assert sharding.shards_for(["customer-42"], 8, 2, "plain", seed=0).tolist() == [[4, 5]]
    big = sharding.shard_for("customer-1", 1_000_000, 64)
    assert big[:3] == (28184, 38788, 39753) and big[-3:] == (955309, 981884, 994860)
    assert sharding.shard_indexes(["customer-1", "customer-2", "customer-3"], 2048, 4).tolist() == \
        [97873713133, 682622678916, 192425863454]
    assert sharding.shard_indexes(["customer-1", "customer-2", "customer-3"], 8, 2, seed=7).tolist() == \
        [18, 0, 7]
    # Plain shards are numbered however many combinations the workers would have.
    assert sharding.shard_indexes(["a", "b"], 1_000_000, 50, "plain").tolist() == [10404, 13560]


@pytest.mark.parametrize("workers, k", [(1, 1), (5, 5), (8, 2), (9, 7), (10, 3), (64, 64),
                                        (1000, 10), (2048, 8), (100, 20), (1_000_000, 64)])
def test_batch_shards_match_one_key_at_a_time(workers, k):
    keys = POPULATION[:400] + [7, -7, b"raw", "ünïcode"]
    batch = sharding.shards_for(keys, workers, k, seed=3)
    assert batch.shape == (len(keys), k) and batch.dtype.kind == "i"
    assert [tuple(row) for row in batch.tolist()] == [sharding.shard_for(c, workers, k, seed=3) for c in keys]


@pytest.mark.parametrize("workers, k", [(8, 2), (12, 3), (12, 4), (12, 6)])
def test_plain_shards_match_one_key_at_a_time_and_the_listing(workers, k):
    keys = POPULATION[:500]
    shards = sharding.all_shards(workers, k, "plain")
    batch = [tuple(row) for row in sharding.shards_for(keys, workers, k, "plain", seed=3).tolist()]
    index = sharding.shard_indexes(keys, workers, k, "plain", seed=3)
    one = [sharding.shard_for(c, workers, k, "plain", seed=3) for c in keys]
    assert batch == one == [shards[i] for i in index]
    assert set(one) == set(shards)  # every plain shard is used


@pytest.mark.parametrize("workers, k", [(1, 1), (6, 1), (8, 2), (9, 7), (10, 3), (12, 6)])
def test_shard_indexes_number_shards_like_all_shards(workers, k):
    keys = POPULATION[:2000]
    shards = sharding.all_shards(workers, k, "shuffle")
    index = sharding.shard_indexes(keys, workers, k, "shuffle", seed=5)
    assert [shards[i] for i in index] == [sharding.shard_for(c, workers, k, seed=5) for c in keys]


@pytest.mark.parametrize("workers, k", [(2048, 4), (1_000_000, 3), (66, 33), (64, 32), (70, 14)])
def test_shard_indexes_are_lexicographic_ranks_up_to_int64(workers, k):
    # C(66, 33) ~ 7.2e18 is just under 2**63: the comb table's large entries wrap around.
    keys = POPULATION[:300] if workers <= 2048 else POPULATION[:3]  # the slow rank is slow
    ranks = sharding.shard_indexes(keys, workers, k, seed=2)
    assert ranks.dtype == np.int64
    assert ranks.tolist() == [lexicographic_rank(sharding.shard_for(c, workers, k, seed=2), workers)
                              for c in keys]


def test_lexicographic_rank_helper_agrees_with_itertools():
    shards = list(itertools.combinations(range(7), 3))
    assert [lexicographic_rank(s, 7) for s in shards] == list(range(len(shards)))


def test_shard_indexes_refuse_more_shards_than_int64_holds():
    assert_refused(lambda: sharding.shard_indexes(["a"], 1000, 10), "shard_size",
                   "2**63 - 1", "C(1000, 10) is 2.63e+23", "use shards_for", value=10)
    assert_refused(lambda: sharding.shard_indexes(["a"], 100, 20), "shard_size", "shards_for")
    assert_refused(lambda: sharding.shard_indexes(["a"], 67, 33), "shard_size")  # C ~ 1.4e19
    assert sharding.shard_indexes(["a"], 66, 33).shape == (1,)                   # C ~ 7.2e18


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20), st.integers(2, 12), st.data())
def test_shuffle_shard_is_a_valid_combination(key, workers, data):
    k = data.draw(st.integers(1, workers))
    shard = sharding.shard_for(key, workers, k, "shuffle")
    assert len(shard) == k == len(set(shard))
    assert list(shard) == sorted(shard) and all(0 <= w < workers for w in shard)


def test_shards_are_sorted_distinct_and_in_range_at_scale():
    for workers, k in ((1_000_000, 64), (64, 64), (65, 64), (100, 20)):
        shards = sharding.shards_for(POPULATION[:2000], workers, k, seed=9)
        assert (np.diff(shards, axis=1) > 0).all()
        assert shards.min() >= 0 and shards.max() < workers


def test_a_shuffle_shard_depends_on_the_seed():
    moved = sum(sharding.shard_for(c, 2048, 4, seed=0) != sharding.shard_for(c, 2048, 4, seed=1)
                for c in POPULATION[:500])
    assert moved == 500


# -- shuffle sharding is uniform for every accepted (workers, shard_size) ------------------

BIG = [(1000, 10), (100, 20), (2048, 8), (1_000_000, 64)]


@pytest.mark.parametrize("workers, k", BIG)
def test_every_worker_is_equally_likely(workers, k):
    shards = sharding.shards_for(POPULATION, workers, k, seed=11)
    # A million workers: count per block of 1000 workers (equal blocks, equal chances).
    bins = workers if workers <= 2048 else 1000
    assert workers % bins == 0
    counts = np.bincount(shards.ravel() * bins // workers, minlength=bins)
    # Without replacement the counts vary a little less than multinomial ones: conservative.
    assert chi2(counts, [shards.size / bins] * bins) < chi2_limit(bins - 1)


@pytest.mark.parametrize("workers, k", BIG)
def test_mean_overlap_with_a_poison_customer_is_k_squared_over_n(workers, k):
    poison = np.array(sharding.shard_for("attacker", workers, k, seed=11))
    shards = sharding.shards_for(POPULATION, workers, k, seed=11)
    overlap = np.isin(shards, poison).sum(axis=1)
    mean = k * k / workers
    variance = k * (k / workers) * (1 - k / workers) * (workers - k) / (workers - 1)  # hypergeometric
    assert abs(overlap.mean() - mean) <= 4.5 * math.sqrt(variance / len(overlap))


def merged(expected: list[float], observed: list[int]) -> tuple[list[float], list[int]]:
    """Pool the rarest outcomes until every expected count is at least 5 (chi-square's rule)."""
    expected, observed = list(expected), list(observed)
    while len(expected) > 2 and expected[-1] < 5:
        rare_expected, rare_observed = expected.pop(), observed.pop()
        expected[-1] += rare_expected
        observed[-1] += rare_observed
    return expected, observed


@pytest.mark.parametrize("workers, k", BIG + [(8, 2), (10, 3)])
def test_overlap_counts_are_hypergeometric(workers, k):
    exact = sharding.overlap_distribution(workers, k)
    poison = np.array(sharding.shard_for("customer-000042", workers, k, seed=4))
    shards = sharding.shards_for(POPULATION, workers, k, seed=4)
    observed = np.bincount(np.isin(shards, poison).sum(axis=1), minlength=k + 1).tolist()
    expected = [exact[j] * len(POPULATION) for j in range(k + 1)]
    expected, observed = merged(expected, observed)
    assert chi2(observed, expected) < chi2_limit(len(expected) - 1)


@pytest.mark.parametrize("workers, k", [(8, 2), (6, 3), (9, 7), (10, 3), (5, 4)])
def test_every_combination_is_equally_likely(workers, k):
    count = math.comb(workers, k)
    index = sharding.shard_indexes(POPULATION, workers, k, seed=6)
    counts = np.bincount(index, minlength=count)
    assert len(counts) == count
    assert chi2(counts, [len(POPULATION) / count] * count) < chi2_limit(count - 1)


def test_customers_spread_over_all_28_shards():
    shards = {sharding.shard_for(c, 8, 2, "shuffle") for c in POPULATION}
    assert len(shards) == 28


@pytest.mark.parametrize("workers, k", [(8, 2), (10, 3), (12, 4), (2048, 4), (1000, 10), (2048, 8)])
def test_overlap_distribution_is_hypergeometric_and_measured(workers, k):
    exact = sharding.overlap_distribution(workers, k)
    assert sum(exact.values()) == pytest.approx(1)
    assert exact[k] == pytest.approx(1 / math.comb(workers, k))
    measured = sharding.measured_poison_impact(POPULATION, workers, k, "shuffle")
    assert sum(measured.values()) == pytest.approx(1)
    n = len(POPULATION) - 1
    for share, key in ((exact[k], "fully affected"),
                       (1 - exact[0] - exact[k], "partially affected")):
        se = math.sqrt(share * (1 - share) / n)
        assert abs(measured[key] - share) <= 5 * se + 1 / n  # +1/n: a share of 1/C(2048,4) rounds to 0


def test_poison_blast_radius_is_pinned():
    assert sharding.poison_blast_radius(8, 2, "plain") == 0.25
    assert sharding.poison_blast_radius(8, 2) == 1 / 28  # shuffle by default
    assert sharding.poison_blast_radius(2048, 4) == 1 / 730_862_190_080
    assert sharding.poison_blast_radius(1_000_000, 64) > 0  # astronomically many shards: tiny


def test_overlap_distribution_is_pinned():
    assert sharding.overlap_distribution(8, 2) == pytest.approx({0: 15 / 28, 1: 12 / 28, 2: 1 / 28})
    assert list(sharding.overlap_distribution(2048, 8)) == list(range(9))


def test_plain_sharding_poison_hits_a_quarter_measured():
    measured = sharding.measured_poison_impact(POPULATION, 8, 2, "plain")
    assert measured["fully affected"] == pytest.approx(0.25, abs=0.015)
    assert measured["partially affected"] == 0


# -- measured_poison_impact: a population is a set of distinct customers --------------------

def test_measured_impact_counts_each_customer_once():
    assert_refused(lambda: sharding.measured_poison_impact(["a", "a"], 8, 2), "customers",
                   "at least one customer besides the poison customer", value=["a", "a"])
    assert_refused(lambda: sharding.measured_poison_impact(["a"], 8, 2), "customers")
    assert_refused(lambda: sharding.measured_poison_impact([], 8, 2), "customers")
    assert_refused(lambda: sharding.measured_poison_impact(["a"], 8, 2, poison="a"), "customers")
    keys = POPULATION[:300]
    once = sharding.measured_poison_impact(keys, 8, 2, "plain", seed=1)
    assert sharding.measured_poison_impact(keys + keys[:100], 8, 2, "plain", seed=1) == once
    assert once["fully affected"] * 299 == pytest.approx(round(once["fully affected"] * 299))


def test_measured_impact_of_an_outside_attacker():
    # The poison key need not be a customer: then every customer counts as another.
    assert sharding.measured_poison_impact(["a"], 8, 2, poison="attacker") in (
        {"fully affected": 1.0, "partially affected": 0.0, "untouched": 0.0},
        {"fully affected": 0.0, "partially affected": 1.0, "untouched": 0.0},
        {"fully affected": 0.0, "partially affected": 0.0, "untouched": 1.0})
    measured = sharding.measured_poison_impact(sharding.customer_ids(2000), 1000, 10, poison="attacker")
    assert measured == {"fully affected": 0.0, "partially affected": 0.083, "untouched": 0.917}
    assert sharding.measured_poison_impact(["a", "b"], 4, 4, poison="z") == \
        {"fully affected": 1.0, "partially affected": 0.0, "untouched": 0.0}


def test_measured_impact_defaults_to_the_first_customer_as_poison():
    keys = POPULATION[:500]
    for scheme in ("plain", "shuffle"):
        assert sharding.measured_poison_impact(keys, 8, 2, scheme, seed=3) == \
            sharding.measured_poison_impact(keys[1:], 8, 2, scheme, poison=keys[0], seed=3)


def test_measured_impact_matches_shards_counted_by_hand():
    keys = POPULATION[:400]
    for workers, k, scheme, seed in ((8, 2, "plain", 0), (12, 3, "shuffle", 5), (9, 7, "shuffle", 2)):
        dead = set(sharding.shard_for("poison", workers, k, scheme, seed))
        hits = [len(dead & set(sharding.shard_for(c, workers, k, scheme, seed))) for c in keys]
        measured = sharding.measured_poison_impact(keys, workers, k, scheme, "poison", seed)
        assert measured == {"fully affected": hits.count(k) / 400,
                            "partially affected": sum(0 < h < k for h in hits) / 400,
                            "untouched": hits.count(0) / 400}


def test_measured_impact_is_pinned():
    assert sharding.measured_poison_impact(sharding.customer_ids(1000), 8, 2, "plain") == {
        "fully affected": 238 / 999, "partially affected": 0.0, "untouched": 761 / 999}


# -- cells and sizing -------------------------------------------------------------------

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
    assert sharding.cells_needed(4.35, 1.45, spare=0) == 3      # 3.0000000000000004 is 3 cells
    assert sharding.cells_needed(3.000001, 1, spare=0) == 4     # a real excess is a cell more
    assert sharding.cells_needed(1e-300, 1e300, spare=0) == 1   # some load needs one cell
    assert sharding.max_utilisation(4) == pytest.approx(0.75)
    assert sharding.static_stability_capacity(3) == 1.5      # spare defaults to one zone
    assert sharding.max_utilisation(3) == pytest.approx(2 / 3)
    assert sharding.max_utilisation(4, 2) == pytest.approx(0.5)
    assert sharding.static_stability_capacity(4, 0) == 1.0
    assert sharding.cell_blast_radius(8) == 0.125
    assert sharding.cell_blast_radius(8, 0) == 0.0
    assert sharding.cell_blast_radius(8, 8) == 1.0


def test_retry_amplification_matches_the_call_tree():
    for attempts in range(1, 5):
        for layers in range(0, 6):
            assert retries.retry_amplification(attempts, layers) == \
                retries.count_calls_to_bottom(attempts, layers)


# -- limits: the largest accepted value passes, one more is refused, naming the argument ----

def test_cell_limits():
    top = sharding.MAX_CELLS
    assert top == 1_000_000
    assert 0 <= sharding.cell_for("k", top) < top
    assert sharding.cells_for(["k"], top).tolist() == [sharding.cell_for("k", top)]
    counts = sharding.customers_per_cell(["k"], top)
    assert counts.shape == (top,) and counts.sum() == 1
    assert sharding.cell_blast_radius(top) == 1 / top
    assert sharding.static_stability_capacity(top, top - 1) == top
    for call in (lambda c: sharding.cell_for("k", c), lambda c: sharding.cells_for(["k"], c),
                 lambda c: sharding.customers_per_cell(["k"], c), sharding.cell_blast_radius,
                 sharding.static_stability_capacity, sharding.max_utilisation):
        assert_refused(lambda: call(top + 1), "cells", "at least 1 and at most 1000000")
        assert_refused(lambda: call(0), "cells", "at least 1")
    assert_refused(lambda: sharding.customers_per_cell(["k"], 10**9), "cells", "1000000")


def test_failed_cells_and_spare_bounds():
    assert_refused(lambda: sharding.cell_blast_radius(4, 5), "failed_cells", "at most 4")
    assert_refused(lambda: sharding.cell_blast_radius(4, -1), "failed_cells", "at least 0")
    assert_refused(lambda: sharding.static_stability_capacity(4, 4), "spare", "at most 3")
    assert_refused(lambda: sharding.static_stability_capacity(4, -1), "spare", "at least 0")


def test_cells_needed_limits():
    assert sharding.cells_needed(1_000_000, 1, spare=0) == 1_000_000
    assert sharding.cells_needed(999_999, 1, spare=1) == 1_000_000
    assert sharding.cells_needed(1, 1, spare=999_999) == 1_000_000
    message = assert_refused(lambda: sharding.cells_needed(1_000_001, 1, spare=0), "cell_capacity",
                             "at most 1,000,000 cells", "peak_load=1e+06", value=1.0)
    assert "with spare=0" in message
    assert_refused(lambda: sharding.cells_needed(1_000_000, 1, spare=1), "cell_capacity",
                   "at most 999,999 cells", "spare=1")
    assert_refused(lambda: sharding.cells_needed(1e308, 1e-308), "cell_capacity")
    assert_refused(lambda: sharding.cells_needed(1, 1, spare=1_000_000), "spare", "at most 999999")
    assert_refused(lambda: sharding.cells_needed(1, 1, spare=-1), "spare", "at least 0")
    assert_refused(lambda: sharding.cells_needed(0, 1), "peak_load", "above 0")
    assert_refused(lambda: sharding.cells_needed(1, 0), "cell_capacity", "above 0")


def test_population_limits():
    top = sharding.MAX_CUSTOMERS
    assert top == 1_000_000
    assert sharding.customers_per_cell(range(top), 2).sum() == top  # the largest accepted
    assert_refused(lambda: sharding.customers_per_cell(range(top + 1), 2), "customers",
                   "<range of 1,000,001 keys>", "at most 1,000,000")
    endless = itertools.count()
    assert_refused(lambda: sharding.cells_for(endless, 2), "customers", "<more than 1,000,000 keys>",
                   "expected a list of customer ids (str, int or bytes), at most 1,000,000 of them")
    assert_refused(lambda: sharding.customer_ids(top + 1), "count", "at most 1000000")
    assert_refused(lambda: sharding.customer_ids(0), "count", "at least 1")
    assert sharding.customers_per_cell([], 3).tolist() == [0, 0, 0]


def test_customer_id_prefix():
    assert sharding.customer_ids(1, "p" * 64) == ["p" * 64 + "-000001"]
    for prefix in ("p" * 65, "", None, 5):
        message = assert_refused(lambda: sharding.customer_ids(1, prefix), "prefix", value=prefix)
        assert message.endswith(" is not allowed: expected a string of 1 to 64 characters")


def test_seed_limits():
    assert sharding.stable_hash("k", seed=2**63) == sharding.stable_hashes(["k"], seed=2**63)[0]
    for seed in (2**63 + 1, -1, 1.0, None, True):
        assert_refused(lambda: sharding.stable_hash("k", seed), "seed", "at most 9223372036854775808")
        assert_refused(lambda: sharding.shard_for("k", 8, 2, seed=seed), "seed")
        assert_refused(lambda: sharding.shards_for(["k"], 8, 2, seed=seed), "seed")


def test_int_key_limits():
    assert sharding.cell_for(2**1024 - 1, 4) in range(4)
    assert sharding.cell_for(-(2**1024 - 1), 4) in range(4)
    assert_refused(lambda: sharding.cell_for(2**1024, 4), "key", "at most 1024 bits")
    assert_refused(lambda: sharding.cell_for(1.5, 4), "key", "str, int or bytes", value=1.5)
    assert_refused(lambda: sharding.cell_for(10**400, 4), "key", "str, int or bytes")
    assert_refused(lambda: sharding.cells_for(["a", 10**400], 4), "customers[1]", "1024 bits")


def test_sharding_limits():
    assert sharding.shard_count(1_000_000, 64) == math.comb(1_000_000, 64)
    assert sharding.shard_count(1_000_000, 1, "plain") == 1_000_000
    assert_refused(lambda: sharding.shard_count(1_000_001, 1), "workers", "at most 1000000")
    assert_refused(lambda: sharding.shard_count(0, 1), "workers", "at least 1")
    assert_refused(lambda: sharding.shard_count(1000, 65), "shard_size", "at most 64")
    assert_refused(lambda: sharding.shard_count(4, 5), "shard_size", "at most 4")
    assert_refused(lambda: sharding.shard_count(4, 0), "shard_size", "at least 1")
    assert_refused(lambda: sharding.shard_count(8, 3, "plain"), "shard_size", "divisor of 8", value=3)
    assert_refused(lambda: sharding.shard_count(8, 2, "random"), "scheme", "'plain', 'shuffle'")
    assert sharding.shard_count(8, 2, "plain") == 4 and sharding.shard_count(8, 2) == 28
    assert type(sharding.shard_count(8, 2, "plain")) is int  # a count, not 4.0


def test_all_shards_limits():
    assert len(sharding.all_shards(100_000, 1, "plain")) == 100_000
    assert sharding.all_shards(6, 3, "plain") == [(0, 1, 2), (3, 4, 5)]
    assert sharding.all_shards(4, 2) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    assert_refused(lambda: sharding.all_shards(100_001, 1, "plain"), "shard_size",
                   "at most 100,000 shards", "got 100,001",
                   "use shard_count to count them, or shards_for for the workers of each customer's shard",
                   value=1)
    assert_refused(lambda: sharding.all_shards(2048, 4), "shard_size", "730,862,190,080")


def test_assignment_limits():
    top = sharding.MAX_ASSIGNMENTS
    assert top == 8_000_000
    assert sharding.shards_for(range(top // 64), 64, 64).shape == (125_000, 64)  # the largest
    message = assert_refused(lambda: sharding.shards_for(range(top // 64 + 1), 64, 64), "customers",
                             "<125,001 customers>", "at most 125,000 customers with shard_size=64",
                             "at most 8,000,000 customer-worker assignments")
    assert "shard_size=64" in message
    assert_refused(lambda: sharding.shards_for(range(top // 64 + 1), 64, 64, "plain"), "customers")
    assert_refused(lambda: sharding.shard_indexes(range(top // 32 + 1), 64, 32), "customers",
                   "250,000 customers")
    assert_refused(lambda: sharding.measured_poison_impact(range(top // 32 + 2), 64, 32),
                   "customers", "250,000 customers")
    # plain shard indexes draw nothing per worker: a full population is fine
    assert sharding.shard_indexes(range(250_001), 64, 32, "plain").shape == (250_001,)


# -- bad input of every kind is a LabkitError naming the argument --------------------------

POPULATION_CALLS = {
    "stable_hashes": ("keys", lambda p: sharding.stable_hashes(p)),
    "cells_for": ("customers", lambda p: sharding.cells_for(p, 4)),
    "customers_per_cell": ("customers", lambda p: sharding.customers_per_cell(p, 4)),
    "shards_for": ("customers", lambda p: sharding.shards_for(p, 8, 2)),
    "shard_indexes": ("customers", lambda p: sharding.shard_indexes(p, 8, 2)),
    "measured_poison_impact": ("customers", lambda p: sharding.measured_poison_impact(p, 8, 2)),
}


@pytest.mark.parametrize("name", POPULATION_CALLS)
@pytest.mark.parametrize("bad", ["abc", b"abc", bytearray(b"ab"), {"a": 1}, None, 5, 2.5, True])
def test_a_population_is_never_a_single_value(name, bad):
    argument, call = POPULATION_CALLS[name]
    assert_refused(lambda: call(bad), argument, "expected a list of customer ids", "not a single value",
                   value=bad)


@pytest.mark.parametrize("name", POPULATION_CALLS)
@pytest.mark.parametrize("bad", [None, 1.5, True, ["a"], object()])
def test_a_bad_key_in_a_population_is_named_by_position(name, bad):
    argument, call = POPULATION_CALLS[name]
    assert_refused(lambda: call(["x", "y", bad]), f"{argument}[2]", "str, int or bytes", value=bad)


def test_a_bad_poison_key_is_named():
    assert_refused(lambda: sharding.measured_poison_impact(["a", "b"], 8, 2, poison=1.5), "poison",
                   "str, int or bytes", value=1.5)


COUNT_CALLS = [
    ("cells", lambda v: sharding.cell_for("k", v)),
    ("cells", lambda v: sharding.cells_for(["k"], v)),
    ("cells", lambda v: sharding.customers_per_cell(["k"], v)),
    ("cells", lambda v: sharding.cell_blast_radius(v)),
    ("cells", lambda v: sharding.static_stability_capacity(v)),
    ("failed_cells", lambda v: sharding.cell_blast_radius(4, v)),
    ("spare", lambda v: sharding.static_stability_capacity(4, v)),
    ("spare", lambda v: sharding.cells_needed(10, 1, v)),
    ("count", lambda v: sharding.customer_ids(v)),
    ("seed", lambda v: sharding.cell_for("k", 4, v)),
    ("seed", lambda v: sharding.customers_per_cell(["k"], 4, v)),
    ("seed", lambda v: sharding.measured_poison_impact(["a", "b"], 8, 2, seed=v)),
    ("seed", lambda v: sharding.shard_indexes(["a"], 8, 2, seed=v)),
    ("workers", lambda v: sharding.shard_count(v, 1)),
    ("workers", lambda v: sharding.shard_for("k", v, 1)),
    ("workers", lambda v: sharding.shards_for(["k"], v, 1)),
    ("workers", lambda v: sharding.shard_indexes(["k"], v, 1)),
    ("workers", lambda v: sharding.all_shards(v, 1)),
    ("workers", lambda v: sharding.poison_blast_radius(v, 1)),
    ("workers", lambda v: sharding.overlap_distribution(v, 1)),
    ("workers", lambda v: sharding.measured_poison_impact(["a", "b"], v, 1)),
    ("shard_size", lambda v: sharding.shard_count(8, v)),
    ("shard_size", lambda v: sharding.shard_for("k", 8, v)),
    ("shard_size", lambda v: sharding.shards_for(["k"], 8, v)),
    ("shard_size", lambda v: sharding.shard_indexes(["k"], 8, v)),
    ("shard_size", lambda v: sharding.overlap_distribution(8, v)),
    ("shard_size", lambda v: sharding.measured_poison_impact(["a", "b"], 8, v)),
]


@pytest.mark.parametrize("argument, call", COUNT_CALLS)
@pytest.mark.parametrize("bad", [10**400, -(10**400), -1, 2.0, float("nan"), None, True, "3", 2**64])
def test_whole_numbers_refuse_everything_else(argument, call, bad):
    if bad == 2**64 and argument in ("count", "spare", "failed_cells"):
        bad = 10**12  # those are bounded by what they count, far below 2**64 anyway
    assert_refused(lambda: call(bad), argument, "whole number")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 0, None, True, "1", 10**400])
def test_loads_refuse_non_numbers(bad):
    assert_refused(lambda: sharding.cells_needed(bad, 1), "peak_load", "above 0")
    assert_refused(lambda: sharding.cells_needed(1, bad), "cell_capacity", "above 0")


@pytest.mark.parametrize("bad", ["random", None, 1, "Shuffle"])
def test_scheme_is_one_of_two(bad):
    for call in (lambda: sharding.shard_for("k", 8, 2, bad), lambda: sharding.shards_for(["k"], 8, 2, bad),
                 lambda: sharding.shard_indexes(["k"], 8, 2, bad), lambda: sharding.all_shards(8, 2, bad),
                 lambda: sharding.poison_blast_radius(8, 2, bad),
                 lambda: sharding.measured_poison_impact(["a", "b"], 8, 2, bad)):
        assert_refused(call, "scheme", "'plain', 'shuffle'")


# -- the request log and what a router's choices do (workbook 04) ---------------------------


def test_request_log_is_seeded_and_shaped_as_documented():
    log = sharding.request_log(customers=2_000, per_customer=5, seed=3)
    assert log == sharding.request_log(customers=2_000, per_customer=5, seed=3)
    assert log != sharding.request_log(customers=2_000, per_customer=5, seed=4)
    assert len(log) == 10_000 and len({r["request"] for r in log}) == 10_000
    per_customer = {}
    for r in log:
        per_customer.setdefault(r["customer"], []).append(r)
    assert len(per_customer) == 2_000 and {len(v) for v in per_customer.values()} == {5}
    # one country per customer, one to three device types
    assert all(len({r["country"] for r in v}) == 1 for v in per_customer.values())
    assert max(len({r["device"] for r in v}) for v in per_customer.values()) <= 3
    us = sum(v[0]["country"] == "US" for v in per_customer.values()) / 2_000
    assert abs(us - 0.40) < Z * math.sqrt(0.4 * 0.6 / 2_000)


@pytest.mark.parametrize("kwargs, argument", [
    ({"customers": 0}, "customers"), ({"customers": 10**7}, "customers"),
    ({"per_customer": 0}, "per_customer"), ({"per_customer": 2.5}, "per_customer"),
    ({"customers": 100_000, "per_customer": 11}, "per_customer"),
    ({"seed": -1}, "seed"), ({"seed": None}, "seed"),
])
def test_request_log_refuses_bad_sizes(kwargs, argument):
    assert_refused(lambda: sharding.request_log(**kwargs), argument)


def test_routing_impact_of_a_stable_hash_matches_the_population():
    log = sharding.request_log(customers=4_000, per_customer=3)
    customers = [r["customer"] for r in log]
    impact = sharding.routing_impact(customers, sharding.cells_for(customers, 8), 8,
                                     "customer-000042")
    counts = sharding.customers_per_cell(sharding.customer_ids(4_000), 8)
    assert impact["spread"] == 0 and impact["receiving cells"] == 8
    assert impact["busiest share"] == pytest.approx(counts.max() / 4_000)
    assert impact["poison cells"] == [sharding.cell_for("customer-000042", 8)]
    assert impact["poison blast radius"] == pytest.approx(counts[impact["poison cells"][0]] / 4_000)


@pytest.mark.parametrize("call, argument", [
    (lambda: sharding.routing_impact(["a", "b"], [0], 4, "a"), "routed"),
    (lambda: sharding.routing_impact(["a", "b"], [0, 4], 4, "a"), "routed[1]"),
    (lambda: sharding.routing_impact(["a", "b"], [0, -1], 4, "a"), "routed[1]"),
    (lambda: sharding.routing_impact(["a", "b"], [0, 1.0], 4, "a"), "routed[1]"),
    (lambda: sharding.routing_impact(["a", "b"], [0, True], 4, "a"), "routed[1]"),
    (lambda: sharding.routing_impact(["a", "b"], np.zeros((2, 1), int), 4, "a"), "routed"),
    (lambda: sharding.routing_impact(["a", "b"], np.zeros(2), 4, "a"), "routed"),
    (lambda: sharding.routing_impact(["a", "b"], "01", 4, "a"), "routed"),
    (lambda: sharding.routing_impact(["a", "b"], [0, 1], 4, "z"), "poison"),
    (lambda: sharding.routing_impact(["a", "b"], [0, 1], 4, None), "poison"),
    (lambda: sharding.routing_impact("ab", [0, 1], 4, "a"), "customers"),
    (lambda: sharding.routing_impact([], [], 4, "a"), "customers"),
    (lambda: sharding.routing_impact(["a"], [0], 0, "a"), "cells"),
    (lambda: sharding.routing_impact(["a"], [10**400], 4, "a"), "routed[0]"),
])
def test_routing_impact_refuses_what_it_cannot_measure(call, argument):
    assert_refused(call, argument)


def test_shards_of_one_worker_have_names_of_their_own():
    # Once refused with "name='w1' ... already exists": the shard took its worker's name.
    from labkit import catalog, failures
    for scheme in ("plain", "shuffle"):
        arch = catalog.sharded_workers(4, 1, scheme)
        assert arch.components[4:] == ["shard w1", "shard w2", "shard w3", "shard w4"]
        assert failures.blast_radius(arch, ["w1"]) == 0.25
