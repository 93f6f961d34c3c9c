"""Cells and sharding: the router's hash, cell sizing, and shuffle-sharding combinatorics.

Sources: AWS Well-Architected whitepaper "Reducing the Scope of Impact with Cell-Based
Architecture" and the Builders' Library article "Workload isolation using shuffle-sharding"
(``reference/facts.md``).

>>> shard_count(8, 2, "shuffle")
28
>>> shard_count(2048, 4, "shuffle")
730862190080
>>> poison_blast_radius(8, 2, "plain")
0.25
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import check_choice, check_count, check_positive, fail

SCHEMES = ("plain", "shuffle")


def _key_bytes(key: Any) -> bytes:
    # Only stable, unambiguous keys: Python's hash() of a str changes per process.
    if isinstance(key, bool) or not isinstance(key, (str, int, bytes)):
        raise fail("key", key, "expected a partition key the router can hash: a str, int or bytes "
                   "(a customer or tenant id)")
    if isinstance(key, int):
        return b"i" + str(key).encode()
    if isinstance(key, str):
        return b"s" + key.encode("utf-8", "surrogatepass")
    return b"b" + key


def _salt(seed: int) -> bytes:
    return check_count("seed", seed, low=0, high=2**63).to_bytes(16, "little")


def stable_hash(key: Any, seed: int = 0) -> int:
    """A 64-bit hash of a partition key that is the same in every process and on every machine."""
    digest = hashlib.blake2b(_key_bytes(key), digest_size=8, salt=_salt(seed)).digest()
    return int.from_bytes(digest, "little")


def stable_hashes(keys: Iterable[Any], seed: int = 0) -> np.ndarray:
    """:func:`stable_hash` of many keys at once, as uint64 (a population routes in a blink)."""
    salt = _salt(seed)
    blake2b = hashlib.blake2b
    digests = b"".join(blake2b(_key_bytes(k), digest_size=8, salt=salt).digest() for k in keys)
    return np.frombuffer(digests, dtype="<u8")


def cell_for(key: Any, cells: int, seed: int = 0) -> int:
    """The cell router: partition key -> cell index in ``range(cells)``, by hash then modulo.

    Thin and stateless on purpose: no lookups, no business logic, nothing to fail.

    >>> cell_for("customer-42", 4) == cell_for("customer-42", 4)
    True
    """
    cells = check_count("cells", cells, low=1)
    return stable_hash(key, seed) % cells


def customer_ids(count: int, prefix: str = "customer") -> list[str]:
    """A real-looking customer population: 'customer-000001', ..."""
    count = check_count("count", count, low=1, high=10_000_000)
    width = max(6, len(str(count)))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, count + 1)]


def customers_per_cell(customers: Iterable[Any], cells: int, seed: int = 0) -> np.ndarray:
    """How many customers the router sends to each cell."""
    cells = check_count("cells", cells, low=1)
    return np.bincount(cells_for(customers, cells, seed), minlength=cells)


def cells_for(customers: Iterable[Any], cells: int, seed: int = 0) -> np.ndarray:
    """:func:`cell_for` of a whole population: one cell index per customer."""
    cells = check_count("cells", cells, low=1)
    return (stable_hashes(customers, seed) % np.uint64(cells)).astype(np.int64)


def cell_blast_radius(cells: int, failed_cells: int = 1) -> float:
    """Share of customers touched when ``failed_cells`` of ``cells`` equal cells fail: f/N."""
    cells = check_count("cells", cells, low=1)
    failed_cells = check_count("failed_cells", failed_cells, low=0, high=cells)
    return failed_cells / cells


def static_stability_capacity(cells: int, spare: int = 1) -> float:
    """How much of peak to provision so losing ``spare`` cells (or zones) needs no scaling: Z/(Z-s).

    >>> static_stability_capacity(3)
    1.5
    """
    cells = check_count("cells", cells, low=1)
    spare = check_count("spare", spare, low=0, high=cells - 1)
    return cells / (cells - spare)


def max_utilisation(cells: int, spare: int = 1) -> float:
    """The highest steady utilisation each cell may run at and still absorb ``spare`` losses."""
    return 1.0 / static_stability_capacity(cells, spare)


def cells_needed(peak_load: float, cell_capacity: float, spare: int = 1) -> int:
    """Fewest equal cells that carry ``peak_load`` even with ``spare`` of them down."""
    peak_load = check_positive("peak_load", peak_load)
    cell_capacity = check_positive("cell_capacity", cell_capacity)
    spare = check_count("spare", spare, low=0)
    ratio = peak_load / cell_capacity
    if not ratio <= 1e12:  # also catches an overflow to infinity
        raise fail("cell_capacity", cell_capacity, f"expected a capacity that needs at most 1e12 "
                   f"cells for peak_load={peak_load:g}")
    return math.ceil(ratio) + spare


# -- sharding workers among customers ------------------------------------------------------

def _check_sharding(workers: int, shard_size: int, scheme: str) -> tuple[int, int, str]:
    # Shards are small in practice (Route 53: 4 of 2048); the cap keeps C(n, k) exact and quick.
    workers = check_count("workers", workers, low=1, high=1_000_000)
    shard_size = check_count("shard_size", shard_size, low=1, high=min(workers, 64))
    scheme = check_choice("scheme", scheme, SCHEMES)
    if scheme == "plain" and workers % shard_size:
        raise fail("shard_size", shard_size, f"plain sharding splits {workers} workers into equal "
                   f"shards, so expected a divisor of {workers}")
    return workers, shard_size, scheme


def shard_count(workers: int, shard_size: int, scheme: str = "shuffle") -> int:
    """How many distinct shards: n/k for plain sharding, C(n, k) for shuffle sharding."""
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    return workers // shard_size if scheme == "plain" else math.comb(workers, shard_size)


def all_shards(workers: int, shard_size: int, scheme: str = "shuffle") -> list[tuple[int, ...]]:
    """Every shard as a tuple of worker indexes, in a fixed order."""
    count = shard_count(workers, shard_size, scheme)
    if count > 1_000_000:
        raise fail("shard_size", shard_size, f"expected at most 1,000,000 shards to list, got "
                   f"{count:,}; use shard_count, or shard_for for one customer")
    if scheme == "plain":
        return [tuple(range(s, s + shard_size)) for s in range(0, workers, shard_size)]
    return [tuple(c) for c in _combinations(workers, shard_size)]


def _shard_at(index: int, workers: int, shard_size: int, scheme: str) -> tuple[int, ...]:
    # The shard numbered `index` in all_shards' order, without listing them all.
    if scheme == "plain":
        return tuple(range(index * shard_size, (index + 1) * shard_size))
    return _unrank_combination(index, workers, shard_size)


def _combinations(n: int, k: int) -> Iterable[tuple[int, ...]]:
    from itertools import combinations
    return combinations(range(n), k)


def _unrank_combination(rank: int, n: int, k: int) -> tuple[int, ...]:
    # Lexicographic unranking, so a uniform rank gives a uniform k-subset without listing all.
    chosen, start = [], 0
    for slots in range(k, 0, -1):
        for candidate in range(start, n):
            block = math.comb(n - candidate - 1, slots - 1)
            if rank < block:
                chosen.append(candidate)
                start = candidate + 1
                break
            rank -= block
    return tuple(chosen)


def shard_for(key: Any, workers: int, shard_size: int, scheme: str = "shuffle",
              seed: int = 0) -> tuple[int, ...]:
    """The workers a customer is assigned to, by hashing its key.

    Plain: one of n/k fixed shards. Shuffle: one of all C(n, k) combinations, so two
    customers rarely share every worker.
    """
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    return _shard_at(stable_hash(key, seed) % shard_count(workers, shard_size, scheme),
                     workers, shard_size, scheme)


def poison_blast_radius(workers: int, shard_size: int, scheme: str = "shuffle") -> float:
    """Share of other customers fully affected by a poison customer that kills its own shard.

    Plain: everyone on its shard, k/n. Shuffle: only those on the very same combination,
    1/C(n, k) (the others still have a healthy worker to retry on).
    """
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    return 1 / shard_count(workers, shard_size, scheme)  # int / int: tiny, never an overflow


def overlap_distribution(workers: int, shard_size: int) -> dict[int, float]:
    """Under shuffle sharding: P(another customer shares exactly j workers with a given one).

    Hypergeometric: C(k, j) C(n-k, k-j) / C(n, k).
    """
    workers, shard_size, _ = _check_sharding(workers, shard_size, "shuffle")
    total = math.comb(workers, shard_size)
    return {j: math.comb(shard_size, j) * math.comb(workers - shard_size, shard_size - j) / total
            for j in range(shard_size + 1)}


def measured_poison_impact(customers: Sequence[Any], workers: int, shard_size: int,
                           scheme: str = "shuffle", poison: Any | None = None,
                           seed: int = 0) -> dict[str, float]:
    """Route a real population with the seeded hash and count who a poison customer hurts.

    Returns the shares of the *other* customers that are fully affected (every worker of
    their shard is down), partially affected (some are: they survive by retrying on the
    rest) and untouched.
    """
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    customers = list(customers)
    if len(customers) < 2:
        raise fail("customers", customers, "expected at least two customers")
    poison = customers[0] if poison is None else poison
    dead = set(shard_for(poison, workers, shard_size, scheme, seed))
    others = [key for key in customers if key != poison]
    # Overlap with the poison customer's shard, worked out once per shard in use.
    used, which = np.unique(shard_indexes(others, workers, shard_size, scheme, seed),
                            return_inverse=True)
    hit = np.array([len(dead.intersection(_shard_at(int(i), workers, shard_size, scheme)))
                    for i in used])
    hits = hit[which]
    fully = int((hits == shard_size).sum())
    partially = int(((hits > 0) & (hits < shard_size)).sum())
    n = len(others)
    return {"fully affected": fully / n, "partially affected": partially / n,
            "untouched": (n - fully - partially) / n}


def shard_indexes(customers: Iterable[Any], workers: int, shard_size: int, scheme: str = "shuffle",
                  seed: int = 0) -> np.ndarray:
    """For each customer, the index of its shard in :func:`all_shards` (same hash as shard_for)."""
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    count = np.uint64(shard_count(workers, shard_size, scheme))
    # Plain shards and lexicographic combination ranks are both numbered like all_shards.
    return (stable_hashes(customers, seed) % count).astype(np.int64)
