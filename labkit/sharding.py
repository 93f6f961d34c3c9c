"""Cells and sharding: the router's hash, cell sizing, and shuffle-sharding combinatorics.

Sources: AWS Well-Architected whitepaper "Reducing the Scope of Impact with Cell-Based
Architecture" and the Builders' Library article "Workload isolation using shuffle-sharding"
(``lessons/sources.md``).

>>> shard_count(8, 2, "shuffle")
28
>>> shard_count(2048, 4, "shuffle")
730862190080
>>> poison_blast_radius(8, 2, "plain")
0.25

Every function checks its arguments against the limits below and raises a LabkitError
naming the argument, so no accepted call runs for more than seconds or uses 1 GB.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence, Sized
from typing import Any

import numpy as np

from .errors import LabkitError, check_choice, check_count, check_positive, fail

SCHEMES = ("plain", "shuffle")

# Limits, each chosen so every accepted call finishes in about a second and well under 1 GB.
MAX_SEED = 2**63                # the same seed range as labkit.catalog
MAX_CELLS = 1_000_000           # far more cells than any deployment; the per-cell counts stay 8 MB
MAX_CUSTOMERS = 1_000_000       # keys per call: about 1 s of hashing; customer_ids uses ~70 MB
MAX_WORKERS = 1_000_000
MAX_SHARD_SIZE = 64             # real shards are small (Route 53: 4 of 2048)
MAX_ASSIGNMENTS = 8_000_000     # customers x shard_size workers drawn in one call: about 1 s
MAX_LISTED_SHARDS = 100_000     # all_shards builds Python tuples: at most some 50 MB of them
MAX_KEY_BITS = 1024             # an int key is an id: Python writes ints of at most 4300 digits
_CHUNK = 8192                   # customers per vectorised step: the work arrays stay in cache


class _Shown:
    # Stands in for a huge value in an error message: repr() of a million keys costs seconds.
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _is_key(key: Any) -> bool:
    # Only stable, unambiguous keys: Python's hash() of a str changes per process. An int is
    # hashed by its decimal digits, which Python refuses to write past 4300 of them.
    if isinstance(key, int):
        return not isinstance(key, bool) and key.bit_length() <= MAX_KEY_BITS
    return isinstance(key, (str, bytes))


def _key_error(argument: str, key: Any) -> LabkitError:
    return fail(argument, key, "expected a partition key the router can hash: a str, int or "
                f"bytes (a customer or tenant id; an int of at most {MAX_KEY_BITS} bits)")


def _encode(key: str | int | bytes) -> bytes:
    # A type tag keeps 1, "1" and b"1" apart.
    if isinstance(key, int):
        return b"i" + str(key).encode()
    if isinstance(key, str):
        return b"s" + key.encode("utf-8", "surrogatepass")
    return b"b" + key


def _key_bytes(key: Any, argument: str = "key") -> bytes:
    if not _is_key(key):
        raise _key_error(argument, key)
    return _encode(key)


def _population(argument: str, value: Any) -> list[bytes]:
    # A population is many keys: one str would silently become one customer per character.
    allowed = (f"expected a list of customer ids (str, int or bytes), at most {MAX_CUSTOMERS:,} "
               "of them, not a single value")
    if isinstance(value, (str, bytes, bytearray, memoryview, Mapping)) or \
            not isinstance(value, Iterable):
        raise fail(argument, value, allowed)
    if isinstance(value, Sized) and len(value) > MAX_CUSTOMERS:
        raise fail(argument, _Shown(f"<{type(value).__name__} of {len(value):,} keys>"), allowed)
    keys = list(itertools.islice(value, MAX_CUSTOMERS + 1))  # a generator may never end
    if len(keys) > MAX_CUSTOMERS:
        raise fail(argument, _Shown(f"<more than {MAX_CUSTOMERS:,} keys>"), allowed)
    if all(type(key) is str for key in keys):  # the usual population, twice as fast
        return [b"s" + key.encode("utf-8", "surrogatepass") for key in keys]
    for i, key in enumerate(keys):
        if not _is_key(key):  # name the position: that is what the learner has to find
            raise _key_error(f"{argument}[{i}]", key)
    return [_encode(key) for key in keys]


def _salt(seed: Any) -> bytes:
    return check_count("seed", seed, low=0, high=MAX_SEED).to_bytes(16, "little")


def stable_hash(key: Any, seed: int = 0) -> int:
    """A 64-bit hash of a partition key that is the same in every process and on every machine.

    >>> stable_hash("customer-1")
    15488849818040629339
    """
    digest = hashlib.blake2b(_key_bytes(key), digest_size=8, salt=_salt(seed)).digest()
    return int.from_bytes(digest, "little")


def _hashes(keys: list[bytes], seed: int) -> np.ndarray:
    salt, blake2b = _salt(seed), hashlib.blake2b
    digests = b"".join(blake2b(k, digest_size=8, salt=salt).digest() for k in keys)
    return np.frombuffer(digests, dtype="<u8")


def stable_hashes(keys: Iterable[Any], seed: int = 0) -> np.ndarray:
    """:func:`stable_hash` of many keys at once, as uint64 (a population routes in a blink)."""
    return _hashes(_population("keys", keys), seed)


def _check_cells(cells: Any) -> int:
    return check_count("cells", cells, low=1, high=MAX_CELLS)


def cell_for(key: Any, cells: int, seed: int = 0) -> int:
    """The cell router: partition key -> cell index in ``range(cells)``, by hash then modulo.

    Thin and stateless on purpose: no lookups, no business logic, nothing to fail.

    >>> cell_for("customer-42", 4)
    2
    """
    cells = _check_cells(cells)
    return stable_hash(key, seed) % cells


def customer_ids(count: int, prefix: str = "customer") -> list[str]:
    """A real-looking customer population: 'customer-000001', ...

    >>> customer_ids(2)
    ['customer-000001', 'customer-000002']
    """
    count = check_count("count", count, low=1, high=MAX_CUSTOMERS)
    if not isinstance(prefix, str) or not 1 <= len(prefix) <= 64:
        raise fail("prefix", prefix, "expected a string of 1 to 64 characters")
    width = max(6, len(str(count)))
    return [f"{prefix}-{i:0{width}d}" for i in range(1, count + 1)]


def customers_per_cell(customers: Iterable[Any], cells: int, seed: int = 0) -> np.ndarray:
    """How many customers the router sends to each cell (one count per key given).

    >>> customers_per_cell(customer_ids(1000), 4).tolist()
    [247, 241, 239, 273]
    """
    cells = _check_cells(cells)
    return np.bincount(cells_for(customers, cells, seed), minlength=cells)


def cells_for(customers: Iterable[Any], cells: int, seed: int = 0) -> np.ndarray:
    """:func:`cell_for` of a whole population: one cell index per customer."""
    cells = _check_cells(cells)
    keys = _population("customers", customers)
    return (_hashes(keys, seed) % np.uint64(cells)).astype(np.int64)


def cell_blast_radius(cells: int, failed_cells: int = 1) -> float:
    """Share of customers touched when ``failed_cells`` of ``cells`` equal cells fail: f/N."""
    cells = _check_cells(cells)
    failed_cells = check_count("failed_cells", failed_cells, low=0, high=cells)
    return failed_cells / cells


def static_stability_capacity(cells: int, spare: int = 1) -> float:
    """How much of peak to provision so losing ``spare`` cells (or zones) needs no scaling: Z/(Z-s).

    >>> static_stability_capacity(3)
    1.5
    """
    cells = _check_cells(cells)
    spare = check_count("spare", spare, low=0, high=cells - 1)
    return cells / (cells - spare)


def max_utilisation(cells: int, spare: int = 1) -> float:
    """The highest steady utilisation each cell may run at and still absorb ``spare`` losses."""
    return 1.0 / static_stability_capacity(cells, spare)


def cells_needed(peak_load: float, cell_capacity: float, spare: int = 1) -> int:
    """Fewest equal cells that carry ``peak_load`` even with ``spare`` of them down.

    >>> cells_needed(4.35, 1.45, spare=0)
    3
    """
    peak_load = check_positive("peak_load", peak_load)
    cell_capacity = check_positive("cell_capacity", cell_capacity)
    spare = check_count("spare", spare, low=0, high=MAX_CELLS - 1)
    ratio = peak_load / cell_capacity
    working = MAX_CELLS - spare
    if not ratio <= working:  # also catches an overflow to infinity
        raise fail("cell_capacity", cell_capacity, f"expected a capacity that needs at most "
                   f"{working:,} cells for peak_load={peak_load:g}, so at most {MAX_CELLS:,} "
                   f"with spare={spare}")
    # A division can land a hair above a whole number (4.35 / 1.45 = 3.0000000000000004):
    # that hair is rounding, not load, and must not buy a whole extra cell.
    return max(1, math.ceil(ratio * (1 - 1e-12))) + spare


# -- sharding workers among customers ------------------------------------------------------

def _check_sharding(workers: Any, shard_size: Any, scheme: Any) -> tuple[int, int, str]:
    # Each customer draws shard_size hash words and O(shard_size^2) comparisons: keep it small.
    workers = check_count("workers", workers, low=1, high=MAX_WORKERS)
    shard_size = check_count("shard_size", shard_size, low=1, high=min(workers, MAX_SHARD_SIZE))
    scheme = check_choice("scheme", scheme, SCHEMES)
    if scheme == "plain" and workers % shard_size:
        raise fail("shard_size", shard_size, f"plain sharding splits {workers} workers into equal "
                   f"shards, so expected a divisor of {workers}")
    return workers, shard_size, scheme


def _check_assignments(argument: str, customers: int, shard_size: int) -> None:
    # Drawing k workers for each of m customers costs m*k hash words and memory.
    if customers * shard_size > MAX_ASSIGNMENTS:
        raise fail(argument, _Shown(f"<{customers:,} customers>"), f"expected at most "
                   f"{MAX_ASSIGNMENTS // shard_size:,} customers with shard_size={shard_size} "
                   f"(at most {MAX_ASSIGNMENTS:,} customer-worker assignments in one call)")


def shard_count(workers: int, shard_size: int, scheme: str = "shuffle") -> int:
    """How many distinct shards: n/k for plain sharding, C(n, k) for shuffle sharding."""
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    return workers // shard_size if scheme == "plain" else math.comb(workers, shard_size)


def all_shards(workers: int, shard_size: int, scheme: str = "shuffle") -> list[tuple[int, ...]]:
    """Every shard as a tuple of worker indexes, plain in order, shuffle in lexicographic order.

    >>> all_shards(4, 2, "shuffle")
    [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    """
    count = shard_count(workers, shard_size, scheme)
    if count > MAX_LISTED_SHARDS:
        raise fail("shard_size", shard_size, f"expected at most {MAX_LISTED_SHARDS:,} shards to "
                   f"list, got {count:,}; use shard_count to count them, or shards_for for the "
                   "workers of each customer's shard")
    if scheme == "plain":
        return [tuple(range(s, s + shard_size)) for s in range(0, workers, shard_size)]
    return list(itertools.combinations(range(workers), shard_size))


# Shuffle sharding draws a uniformly random k-subset of the n workers for each customer, with
# Floyd's algorithm (Bentley & Floyd, CACM 1987): for i = 0..k-1, with top = n-k+i, draw t
# uniformly from 0..top; take t, or top if t is already taken. Every k-subset comes out with
# probability 1/C(n, k), for any n and k. The draws are independent 64-bit words from a seeded
# SHAKE-256 stream of the key (k words, not one 64-bit hash: C(1000, 10) > 2**64, so one hash
# could never reach most shards). t = word mod (top+1) has a modulo bias of at most
# (top+1)/2**64 < 6e-14: far below anything a population could measure.

def _shuffle_words(key: bytes, shard_size: int, salt: bytes) -> bytes:
    return hashlib.shake_256(salt + key).digest(8 * shard_size)


def _shuffle_one(key: bytes, workers: int, shard_size: int, seed: int) -> tuple[int, ...]:
    # Floyd's algorithm one key at a time (a set), checked against the vectorised one in tests.
    words = _shuffle_words(key, shard_size, _salt(seed))
    chosen: set[int] = set()
    for i in range(shard_size):
        top = workers - shard_size + i
        t = int.from_bytes(words[8 * i:8 * i + 8], "little") % (top + 1)
        chosen.add(top if t in chosen else t)
    return tuple(sorted(chosen))


def _shuffle_many(keys: list[bytes], workers: int, shard_size: int, seed: int) -> np.ndarray:
    # Floyd's algorithm for a whole population: k vectorised steps, each O(k) per customer.
    salt, out = _salt(seed), np.empty((len(keys), shard_size), dtype=np.int64)
    shake, size = hashlib.shake_256, 8 * shard_size  # _shuffle_words, inlined for speed
    for start in range(0, len(keys), _CHUNK):
        block = keys[start:start + _CHUNK]
        digests = b"".join([shake(salt + key).digest(size) for key in block])
        words = np.frombuffer(digests, dtype="<u8").reshape(len(block), shard_size)
        chosen = np.empty((len(block), shard_size), dtype=np.int32)  # workers <= 1e6 fit
        for i in range(shard_size):
            top = workers - shard_size + i
            t = (words[:, i] % np.uint64(top + 1)).astype(np.int32)
            taken = (chosen[:, :i] == t[:, None]).any(axis=1)
            chosen[:, i] = np.where(taken, top, t)
        chosen.sort(axis=1)
        out[start:start + len(block)] = chosen
    return out


def _plain_index(keys: list[bytes], workers: int, shard_size: int, seed: int) -> np.ndarray:
    return (_hashes(keys, seed) % np.uint64(workers // shard_size)).astype(np.int64)


def _workers_of(keys: list[bytes], workers: int, shard_size: int, scheme: str,
                seed: int) -> np.ndarray:
    if scheme == "plain":
        first = _plain_index(keys, workers, shard_size, seed) * shard_size
        return first[:, None] + np.arange(shard_size)
    return _shuffle_many(keys, workers, shard_size, seed)


def shard_for(key: Any, workers: int, shard_size: int, scheme: str = "shuffle",
              seed: int = 0) -> tuple[int, ...]:
    """The workers a customer is assigned to, by hashing its key (sorted worker indexes).

    Plain: one of n/k fixed shards, hash mod n/k. Shuffle: one of all C(n, k) combinations,
    each equally likely, so two customers rarely share every worker.

    >>> shard_for("customer-42", 8, 2, "plain")
    (4, 5)
    >>> shard_for("customer-42", 2048, 4)
    (58, 1279, 1330, 1497)
    """
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    encoded = _key_bytes(key)
    if scheme == "plain":
        first = stable_hash(key, seed) % (workers // shard_size) * shard_size
        return tuple(range(first, first + shard_size))
    return _shuffle_one(encoded, workers, shard_size, seed)


def shards_for(customers: Iterable[Any], workers: int, shard_size: int, scheme: str = "shuffle",
               seed: int = 0) -> np.ndarray:
    """:func:`shard_for` of a whole population: an int array, one row of sorted workers each.

    Works for any number of shards, even astronomically many (C(1000, 10) ~ 2.6e23).

    >>> shards_for(["customer-42", "customer-43"], 2048, 4).tolist()
    [[58, 1279, 1330, 1497], [769, 831, 1515, 1627]]
    """
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    keys = _population("customers", customers)
    _check_assignments("customers", len(keys), shard_size)
    return _workers_of(keys, workers, shard_size, scheme, seed)


def _comb_table(n: int, k: int) -> np.ndarray:
    # table[a, j] = C(a, j) for a < n, j <= k, by Pascal's rule C(a, j) = sum over b < a of
    # C(b, j-1). Entries far above C(n, k) wrap around int64, but the addition wraps exactly
    # modulo 2**64 and the ranks only read entries <= C(n, k) < 2**63: those come out right.
    table = np.zeros((n, k + 1), dtype=np.int64)
    table[:, 0] = 1
    for j in range(1, k + 1):
        table[1:, j] = np.cumsum(table[:-1, j - 1])
    return table


def _lexicographic_ranks(shards: np.ndarray, n: int) -> np.ndarray:
    # The shards after (c_0 < ... < c_{k-1}) in lexicographic order are counted by
    # sum_i C(n-1-c_i, k-i), so its rank is C(n, k) - 1 minus that sum.
    k = shards.shape[1]
    table = _comb_table(n, k)
    after = sum(table[n - 1 - shards[:, i], k - i] for i in range(k))
    return math.comb(n, k) - 1 - after


def shard_indexes(customers: Iterable[Any], workers: int, shard_size: int, scheme: str = "shuffle",
                  seed: int = 0) -> np.ndarray:
    """For each customer, the index of its shard in :func:`all_shards` (same hash as shard_for).

    Shuffle shards are numbered by lexicographic rank, so the count must fit in int64; for
    more shards than that use :func:`shards_for`, which returns the workers themselves.

    >>> shard_indexes(["customer-42"], 8, 2, "plain").tolist()
    [2]
    """
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    count = shard_count(workers, shard_size, scheme)
    if count > np.iinfo(np.int64).max:
        raise fail("shard_size", shard_size, f"expected a shard size with at most 2**63 - 1 "
                   f"shards of {workers} workers to number (C({workers}, {shard_size}) is "
                   f"{count:.3g}); use shards_for for the workers of each customer's shard")
    keys = _population("customers", customers)
    if scheme == "plain":
        return _plain_index(keys, workers, shard_size, seed)
    _check_assignments("customers", len(keys), shard_size)
    return _lexicographic_ranks(_shuffle_many(keys, workers, shard_size, seed), workers)


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

    >>> overlap_distribution(4, 2)
    {0: 0.16666666666666666, 1: 0.6666666666666666, 2: 0.16666666666666666}
    """
    workers, shard_size, _ = _check_sharding(workers, shard_size, "shuffle")
    total = math.comb(workers, shard_size)
    return {j: math.comb(shard_size, j) * math.comb(workers - shard_size, shard_size - j) / total
            for j in range(shard_size + 1)}


def measured_poison_impact(customers: Sequence[Any], workers: int, shard_size: int,
                           scheme: str = "shuffle", poison: Any | None = None,
                           seed: int = 0) -> dict[str, float]:
    """Route a real population with the seeded hash and count who a poison customer hurts.

    ``customers`` is a set of distinct customers (a repeated key counts once); ``poison``
    defaults to the first of them and may also be an outsider (an attacker). Returns the
    shares of the *other* customers that are fully affected (every worker of their shard is
    down), partially affected (some are: they survive by retrying on the rest) and untouched.

    >>> measured_poison_impact(customer_ids(1000), 8, 2, "plain")["fully affected"]
    0.23823823823823823
    """
    workers, shard_size, scheme = _check_sharding(workers, shard_size, scheme)
    keys = list(dict.fromkeys(_population("customers", customers)))
    poison_key = _key_bytes(poison, "poison") if poison is not None else keys[0] if keys else None
    others = [key for key in keys if key != poison_key]
    if not others:
        raise fail("customers", customers, "expected at least one customer besides the poison "
                   "customer (a repeated key counts once)")
    _check_assignments("customers", len(others), shard_size)
    dead = np.zeros(workers, dtype=bool)
    dead[_workers_of([poison_key], workers, shard_size, scheme, seed)[0]] = True
    hits = dead[_workers_of(others, workers, shard_size, scheme, seed)].sum(axis=1)
    fully = int((hits == shard_size).sum())
    partially = int(((hits > 0) & (hits < shard_size)).sum())
    n = len(others)
    return {"fully affected": fully / n, "partially affected": partially / n,
            "untouched": (n - fully - partially) / n}


# -- a router's view of traffic, and what its choices do ------------------------------------

# Our assumptions for the request log: where customers live and what they use.
REQUEST_COUNTRIES = ("US", "DE", "JP", "GB", "IN", "BR")
_COUNTRY_WEIGHTS = (0.40, 0.15, 0.15, 0.10, 0.10, 0.10)
REQUEST_DEVICES = ("phone", "tablet", "tv", "web", "car")
MAX_REQUESTS = 1_000_000        # requests in one log: about a second to build, ~300 MB of dicts
MAX_PER_CUSTOMER = 1_000


def request_log(customers: int = 8_000, per_customer: int = 6, seed: int = 0) -> list[dict[str, str]]:
    """Requests as a router sees them: one dict per request, in arrival order.

    Each request has a ``request`` id (new for every request, retries included), the
    ``customer`` who sent it (``customer_ids``), the customer's ``country`` and the ``device``
    it came from. Our assumptions: every customer sends ``per_customer`` requests, lives in
    one country (US 40 %, DE and JP 15 % each, GB, IN and BR 10 % each) and uses one to
    three of five device types. Seeded: the same arguments always give the same log.

    >>> log = request_log(customers=3, per_customer=2)
    >>> len(log), sorted(log[0])
    (6, ['country', 'customer', 'device', 'request'])
    >>> sorted({r["customer"] for r in log})
    ['customer-000001', 'customer-000002', 'customer-000003']
    """
    customers = check_count("customers", customers, low=1, high=MAX_CUSTOMERS)
    per_customer = check_count("per_customer", per_customer, low=1, high=MAX_PER_CUSTOMER)
    seed = check_count("seed", seed, low=0, high=MAX_SEED)
    total = customers * per_customer
    if total > MAX_REQUESTS:
        raise fail("per_customer", per_customer, f"expected at most {MAX_REQUESTS:,} requests "
                   f"in all: at most {MAX_REQUESTS // customers:,} per customer for "
                   f"{customers:,} customers")
    rng = np.random.default_rng(seed)
    ids = customer_ids(customers)
    country = rng.choice(len(REQUEST_COUNTRIES), size=customers, p=_COUNTRY_WEIGHTS)
    owned = rng.integers(1, 4, size=customers)                      # 1 to 3 device types
    devices = np.argsort(rng.random((customers, len(REQUEST_DEVICES))), axis=1)
    sender = rng.permutation(np.repeat(np.arange(customers), per_customer))
    device = devices[sender, rng.integers(0, owned[sender])]
    width = max(7, len(str(total)))
    return [{"request": f"req-{i + 1:0{width}d}", "customer": ids[c],
             "country": REQUEST_COUNTRIES[country[c]], "device": REQUEST_DEVICES[d]}
            for i, (c, d) in enumerate(zip(sender.tolist(), device.tolist()))]


def _cell_numbers(argument: str, value: Any, count: int, cells: int) -> np.ndarray:
    allowed = (f"expected one cell number per request, {count:,} whole numbers from 0 to "
               f"{cells - 1} (cell_for counts cells from 0)")
    if isinstance(value, np.ndarray):
        if value.ndim != 1 or value.dtype.kind not in "iu" or len(value) != count:
            raise fail(argument, _Shown(f"<array of shape {value.shape}, {value.dtype}>"), allowed)
        numbers = value.astype(np.int64)
    else:
        if not isinstance(value, (list, tuple)) or len(value) != count:
            shown = _Shown(f"<{type(value).__name__} of {len(value):,} items>") \
                if isinstance(value, (list, tuple)) else value
            raise fail(argument, shown, allowed)
        for i, v in enumerate(value):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < cells:
                raise fail(f"{argument}[{i}]", v, allowed)
        numbers = np.array(value, dtype=np.int64)
    if len(numbers) and (numbers.min() < 0 or numbers.max() >= cells):
        bad = int(np.flatnonzero((numbers < 0) | (numbers >= cells))[0])
        raise fail(f"{argument}[{bad}]", int(numbers[bad]), allowed)
    return numbers


def routing_impact(customers: Sequence[Any], routed: Sequence[int], cells: int,
                   poison: Any) -> dict[str, Any]:
    """What a router's choices do to failures: request i, sent by ``customers[i]``, went to
    cell ``routed[i]`` (0 to ``cells`` - 1).

    A cell's loss affects every customer with at least one request in it. ``poison`` sends a
    request that crashes whatever cell handles it, and retries it: every cell its requests
    reach goes down. Returns ``"spread"`` (share of customers whose requests reach more than
    one cell), ``"receiving cells"``, the ``"busiest cell"`` and its ``"busiest share"`` (the
    largest share of customers one cell's loss affects), ``"poison cells"`` (sorted) and the
    ``"poison blast radius"`` (share of customers with a request in one of them).

    >>> log = ["a", "a", "b", "c"]
    >>> impact = routing_impact(log, [0, 1, 1, 2], 4, poison="a")
    >>> impact["spread"], impact["poison cells"], impact["poison blast radius"]
    (0.3333333333333333, [0, 1], 0.6666666666666666)
    """
    cells = _check_cells(cells)
    keys = _population("customers", customers)
    if not keys:
        raise fail("customers", customers, "expected at least one request")
    routed = _cell_numbers("routed", routed, len(keys), cells)
    poison_key = _key_bytes(poison, "poison")
    index: dict[bytes, int] = {}
    sender = np.fromiter((index.setdefault(k, len(index)) for k in keys), dtype=np.int64,
                         count=len(keys))
    if poison_key not in index:
        raise fail("poison", poison, "expected a customer that sent at least one request")
    n = len(index)
    pairs = np.unique(sender * cells + routed)            # (customer, cell) pairs that occur
    who, where = pairs // cells, pairs % cells
    per_customer = np.bincount(who, minlength=n)
    per_cell = np.bincount(where, minlength=cells)
    poisoned = np.zeros(cells, dtype=bool)
    poisoned[routed[sender == index[poison_key]]] = True
    hit = np.zeros(n, dtype=bool)
    hit[who[poisoned[where]]] = True
    busiest = int(per_cell.argmax())
    return {"spread": float((per_customer > 1).mean()),
            "receiving cells": int((per_cell > 0).sum()),
            "busiest cell": busiest, "busiest share": float(per_cell[busiest] / n),
            "poison cells": np.flatnonzero(poisoned).tolist(),
            "poison blast radius": float(hit.mean())}
