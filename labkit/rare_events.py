"""Six nines with evidence: estimating a tiny unavailability, and what zero failures prove.

Two questions a claim like "six nines" raises, one idea: *rare failures need their own
statistics*.

**How unavailable is this design?** When the exact answer is out of reach (or as an
independent check of :func:`labkit.availability`), sample worlds. Crude Monte Carlo (what
:func:`labkit.sampled_availability` does) needs about ``100 / u`` samples for 10 % relative
error on an unavailability ``u`` (``lessons/sources.md``, crude Monte Carlo): 1e8 samples at
six nines, and with fewer it usually sees no failure at all and returns 0. :func:`rare_unavailability` instead
draws worlds *in which components fail far more often than they do* and weighs each world by
how much likelier it is in reality than in the draw (importance sampling; the weights keep the
estimate unbiased). Its relative error stays bounded however small the components'
unavailabilities get, so the same budget gives about the same relative error at 1e-6 as at
1e-12.

>>> from labkit.catalog import replicated_monolith
>>> arch = replicated_monolith(3, app=0.999, load_balancer=1.0, db=1.0)  # 0.001 ** 3 = 1e-9
>>> est = rare_unavailability(arch, samples=20_000, seed=1)
>>> abs(est.value - 1e-9) < 3 * est.standard_error, est.relative_error < 0.05
(True, True)
>>> crude_unavailability(arch, samples=20_000, seed=1).value    # saw no failure at all
0.0

**What does a record of zero failures prove?** After ``n`` independent requests with no
failure, the failure probability is at most ``1 - (1 - c) ** (1 / n)`` with confidence ``c``:
about ``3 / n`` at 95 % (the rule of three, Hanley and Lippman-Hand 1983). A region that served
a million requests without an error has shown "at most 3 in a million", not 100 %:

>>> f"{zero_failure_upper_bound(1_000_000):.3g}", rule_of_three(1_000_000)
('3e-06', 3e-06)
>>> requests_needed_for(0.999999)   # zero failures in this many requests support six nines
2995731

Both bounds assume requests fail independently. Real outages are correlated (one bad deploy
fails many requests at once), so a count of requests is not the evidence on its own; how
often, how long and how wide the failures are is (``lessons/sources.md``, rule of three).

Every estimate records how it was made (its ``seed``, ``feature`` and the
:func:`system_fingerprint` of the architecture), so anyone can rerun it and get the same
numbers: that is how a workbook check knows an estimate is a real run on the stated system.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np

from .analysis import MAX_SAMPLED_WORK, Estimate, sampled_availability
from .errors import check_choice, check_count, check_number
from .model import Architecture, as_architecture
from .structure import feature_works

METHODS = ("importance", "crude")
MIN_SAMPLES = 100            # below this a standard error (and a normal interval) means nothing
#: Failures per world the balanced and conditional parts of the mixture draw at most. Cut sets
#: up to this size (a group of up to 32 replicas) have bounded relative error; larger ones are
#: still estimated without bias, through the natural part of the mixture.
MAX_FAILURES = 32
#: Shares of the three parts of the sampling mixture: natural given a failure, conditional on
#: the number of failures, balanced (see :func:`rare_unavailability`).
MIXTURE = (1 / 3, 1 / 3, 1 / 3)
#: Samples x 5 x components that can decide the feature: about two seconds at most.
MAX_RARE_WORK = MAX_SAMPLED_WORK // 2
MAX_REQUESTS = 10**18        # 100,000 years of Ring's peak traffic (300k req/s)
_BLOCK_CELLS = 1 << 22       # worlds x components per block: memory stays in tens of MB
_ROWS_PER_BLOCK = 1 << 15


@dataclass(frozen=True)
class RareEstimate(Estimate):
    """An estimated unavailability with its standard error and confidence interval.

    ``value`` is the estimated unavailability (1 - availability), ``standard_error`` its
    standard error, ``samples`` the worlds drawn (0 when no sampling was needed: every
    component that matters is certain). ``low``/``high`` bound the ``confidence`` interval of
    kind ``interval_kind``; ``failures`` counts the drawn worlds in which the feature failed.

    >>> est = RareEstimate(2e-6, 1e-7, 1000, "importance", 1.8e-6, 2.2e-6, 0.95,
    ...                    "95 % normal", 600)
    >>> est.relative_error
    0.05
    >>> est.summary()
    'unavailability 2e-06 ± 5 % (95 % normal interval 1.8e-06 to 2.2e-06), importance, 1,000 samples, 600 failed'
    """

    method: str
    low: float
    high: float
    confidence: float
    interval_kind: str
    failures: int
    #: How the estimate was made, so it can be rerun: the seed, the feature and the
    #: :func:`system_fingerprint` of the architecture (None when built by hand). They are
    #: neither compared nor shown: two estimates with the same numbers are equal.
    seed: int | None = field(default=None, compare=False, repr=False)
    feature: str | None = field(default=None, compare=False, repr=False)
    system: str | None = field(default=None, compare=False, repr=False)

    @property
    def relative_error(self) -> float:
        """Standard error over the estimate (infinite when the estimate is 0)."""
        return self.standard_error / self.value if self.value > 0 else math.inf

    @property
    def confidence_interval(self) -> tuple[float, float]:
        """``(low, high)``: where the true unavailability lies with the stated confidence."""
        return self.low, self.high

    def summary(self) -> str:
        """One line for a lesson: estimate, relative error, interval, method and budget.

        >>> RareEstimate(0.0, 0.0, 20_000, "crude", 0.0, 1.92e-4, 0.95, "95 % Wilson score",
        ...              0).summary()
        'unavailability at most 0.000192 (95 % Wilson score, no failure in 20,000 samples), crude'
        """
        if self.interval_kind == "exact":
            return f"unavailability {self.value:g} (exact: every component that matters is certain)"
        if self.failures == 0:
            return (f"unavailability at most {self.high:.3g} ({self.interval_kind}, no failure "
                    f"in {self.samples:,} samples), {self.method}")
        return (f"unavailability {self.value:.3g} ± {self.relative_error * 100:.2g} % "
                f"({self.interval_kind} interval {self.low:.3g} to {self.high:.3g}), "
                f"{self.method}, {self.samples:,} samples, {self.failures:,} failed")


# ------------------------------------------------------------------ checking arguments


MAX_CONFIDENCE = 1 - 1e-12    # closer to 1 and the normal quantile is lost to rounding


def _check_confidence(confidence) -> float:
    return check_number("confidence", confidence, low=0.0, low_open=True, high=MAX_CONFIDENCE,
                        allowed="expected a confidence above 0 and below 1 (at most "
                        "0.999999999999), e.g. 0.95")


def _z(confidence: float) -> float:
    """The two-sided normal quantile: 1.96 for 95 %."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _checked_run(samples, seed, confidence, per_sample: int) -> tuple[int, int, float]:
    """``samples``, ``seed`` and ``confidence``, checked; ``per_sample`` is the work one sample
    takes (components evaluated), so the cap keeps a call to a couple of seconds at most."""
    limit = max(MIN_SAMPLES, MAX_RARE_WORK // max(1, per_sample))
    samples = check_count("samples", samples, low=MIN_SAMPLES, high=limit)
    seed = check_count("seed", seed, low=0, high=2**63)
    return samples, seed, _check_confidence(confidence)


def system_fingerprint(arch: Architecture, feature: str | None = None) -> str:
    """A short digest of everything that decides an estimate of ``feature`` on ``arch``.

    The components in the order they were added, with their kinds, availabilities and
    replica counts; every dependency; the feature and what it requires. Names of the
    architecture, descriptions and drawing positions are left out. The same fingerprint,
    seed, samples and method give the same estimate, number for number; every estimate
    records its fingerprint (:attr:`RareEstimate.system`).

    >>> from labkit.catalog import ring_request_path
    >>> a, b = ring_request_path(), ring_request_path()
    >>> system_fingerprint(a) == system_fingerprint(b)
    True
    >>> system_fingerprint(a) == system_fingerprint(ring_request_path(tier_availability=0.9999))
    False
    >>> rare_unavailability(a, samples=1_000).system == system_fingerprint(a)
    True
    """
    arch = as_architecture(arch)
    chosen = arch.feature(feature)
    digest = hashlib.sha256(repr((chosen.name, tuple(chosen.requires))).encode())
    for name, data in arch.graph.nodes(data=True):
        component = data["component"]
        digest.update(repr((name, component.kind, component.availability, component.k)).encode())
    for caller, callee, kind in arch.edges():
        digest.update(repr((caller, callee, kind)).encode())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------ crude Monte Carlo


def crude_unavailability(arch: Architecture, feature: str | None = None, samples: int = 20_000,
                         seed: int = 0, confidence: float = 0.95) -> RareEstimate:
    """Unavailability by crude Monte Carlo (:func:`labkit.sampled_availability`'s sampling).

    The interval is Wilson's score interval, which stays honest with few or no failures: with
    none it runs from 0 to about ``3.84 / samples`` at 95 %, close to the rule of three. At an
    unavailability of 1e-6 a budget of thousands of samples almost always sees no failure.

    >>> from labkit.catalog import monolith
    >>> est = crude_unavailability(monolith(), samples=20_000, seed=1)
    >>> est.low < 1 - 0.998001 < est.high, est.interval_kind
    (True, '95 % Wilson score')
    """
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    samples, seed, confidence = _checked_run(samples, seed, confidence, len(arch.breakable))
    made = {"seed": seed, "feature": name, "system": system_fingerprint(arch, name)}
    working = sampled_availability(arch, name, samples, seed).value * samples
    failures = samples - int(round(working))
    p = failures / samples
    z = _z(confidence)
    spread = z * z / samples
    centre = (p + spread / 2) / (1 + spread)
    half = z / (1 + spread) * math.sqrt(p * (1 - p) / samples + spread / (4 * samples))
    low = 0.0 if failures == 0 else max(0.0, centre - half)
    high = 1.0 if failures == samples else min(1.0, centre + half)
    return RareEstimate(p, math.sqrt(p * (1 - p) / samples), samples, "crude", low, high,
                        confidence, f"{confidence * 100:.3g} % Wilson score", failures, **made)


# ------------------------------------------------------------------ importance sampling


@dataclass
class _Plan:
    """What one estimate needs, computed once: which components can fail the feature, and
    the tables that make the biased draws and their likelihood ratios exact.

    ``free`` are columns (in ``names``) of components that matter to the feature and are
    neither certain up nor certain down; ``q`` their unavailabilities. ``tail[i, j]`` is the
    log probability that exactly ``j`` of ``free[i:]`` are down (a Poisson-binomial table).
    """

    names: list[str]
    base: np.ndarray          # each component's state when it is not free
    free: np.ndarray
    q: np.ndarray
    log_q: np.ndarray
    log_p: np.ndarray         # log(1 - q)
    tail: np.ndarray
    chance: np.ndarray        # chance[i, j]: P(free[i] down | j of free[i:] down); j = 0 gives 0
    k_max: int
    g: np.ndarray             # g(k), k = 1..k_max: how many fail in the biased parts
    log_g: np.ndarray
    log_choose: np.ndarray    # log C(m, k), k = 0..k_max
    log_any: float            # log P(at least one free component down)

    @property
    def m(self) -> int:
        return len(self.q)


def _relevant(arch: Architecture, name: str) -> set[str]:
    """Components whose state can decide ``name``: below it along hard and member edges.

    Soft dependencies never decide whether a caller works, so what lies only below them is
    left out (up), and is neither sampled nor weighted.
    """
    return arch.needs(arch.feature(name).requires)


def _relevant_part(arch: Architecture, name: str) -> Architecture:
    """The architecture cut down to what can decide ``name`` (a cell of a thousand is a few).

    Every component kept keeps all its hard and member edges (those lead to kept components
    too); soft edges to dropped ones go, which changes nothing: they never decide.
    """
    keep = _relevant(arch, name)
    return Architecture(arch.name, graph=arch.graph.subgraph(keep).copy(),
                        features={name: arch.feature(name)})


def _free_components(part: Architecture) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(names, base, free, q) of the relevant part: which components are certain, which can fail."""
    names = part.breakable
    base = np.ones(len(names), dtype=bool)
    free, q = [], []
    for column, component in enumerate(names):
        a = part.availability_of(component)
        if a <= 0.0:
            base[column] = False
        elif a < 1.0:
            free.append(column)
            q.append(1.0 - a)
    return names, base, np.array(free, dtype=int), np.array(q, dtype=float)


def _plan(names: list[str], base: np.ndarray, free: np.ndarray, q: np.ndarray) -> _Plan:
    """Tables for at least one free component (see :func:`_free_components`)."""
    log_q, log_p = np.log(q), np.log1p(-q)
    m = len(q)
    k_max = min(m, MAX_FAILURES)
    tail = np.full((m + 1, k_max + 1), -np.inf)
    tail[m, 0] = 0.0
    for i in range(m - 1, -1, -1):
        tail[i, 0] = tail[i + 1, 0] + log_p[i]
        tail[i, 1:] = np.logaddexp(tail[i + 1, 1:] + log_p[i], tail[i + 1, :-1] + log_q[i])
    chance = np.zeros((m, k_max + 1))
    with np.errstate(invalid="ignore"):  # -inf - -inf where j cannot be reached: never read
        chance[:, 1:] = np.exp(log_q[:, None] + tail[1:, :-1] - tail[:-1, 1:])
    k = np.arange(1, k_max + 1)
    g = (1.0 / k) / np.sum(1.0 / k)
    log_choose = np.array([math.lgamma(m + 1) - math.lgamma(j + 1) - math.lgamma(m - j + 1)
                           for j in range(k_max + 1)])
    log_any = math.log(-math.expm1(tail[0, 0]))
    return _Plan(names, base, free, q, log_q, log_p, tail, chance, k_max, g, np.log(g),
                 log_choose, log_any)


def _draw(plan: _Plan, rng: np.random.Generator, rows: int) -> np.ndarray:
    """``rows`` worlds of the free components (True = down) from the three-part mixture."""
    m = plan.m
    down = np.zeros((rows, m), dtype=bool)
    part = rng.choice(3, size=rows, p=MIXTURE)
    columns = np.arange(m)

    natural = np.flatnonzero(part == 0)
    if natural.size:
        # Reality given at least one failure: the first free component down is i with
        # probability q_i * prod_{j<i}(1 - q_j) / P(any down); those after it are drawn as is.
        # (cumulative[-1] is x / x = 1.0 exactly, and random() < 1: first < m.)
        cumulative = -np.expm1(np.cumsum(plan.log_p)) / -math.expm1(plan.tail[0, 0])
        first = np.searchsorted(cumulative, rng.random(natural.size))
        rest = rng.random((natural.size, m)) < plan.q
        down[natural] = (columns == first[:, None]) | ((columns > first[:, None]) & rest)

    biased = np.flatnonzero(part != 0)
    k = rng.choice(plan.k_max, size=biased.size, p=plan.g) + 1

    conditional = biased[part[biased] == 1]
    if conditional.size:
        # Reality given exactly k failures, component by component: down with probability
        # q_i * P(k - 1 down among the rest) / P(k down among i and the rest).
        left = k[part[biased] == 1].copy()
        uniform = rng.random((conditional.size, m))
        chosen = np.zeros((conditional.size, m), dtype=bool)
        for i, chance in enumerate(plan.chance):
            fails = uniform[:, i] < chance[left]
            chosen[:, i] = fails
            left -= fails
        down[conditional] = chosen

    balanced = biased[part[biased] == 2]
    if balanced.size:
        # Balanced failure biasing: k of the m components, every k-subset equally likely,
        # whatever their unavailabilities.
        # The components with the k smallest of m random keys: the k_max smallest found in
        # linear time, then only those put in order.
        keys = rng.random((balanced.size, m))
        smallest = (np.argpartition(keys, plan.k_max - 1, axis=1)[:, :plan.k_max]
                    if plan.k_max < m else np.broadcast_to(columns, keys.shape))
        order = np.take_along_axis(smallest, np.argsort(
            np.take_along_axis(keys, smallest, axis=1), axis=1), axis=1)
        chosen = np.zeros((balanced.size, m), dtype=bool)
        np.put_along_axis(chosen, order, np.arange(order.shape[1]) < k[part[biased] == 2][:, None],
                          axis=1)
        down[balanced] = chosen
    return down


def _log_weights(plan: _Plan, down: np.ndarray) -> np.ndarray:
    """log(P(world) / mixture(world)) for each row: the likelihood ratio of the draw."""
    k = down.sum(axis=1)
    log_real = plan.tail[0, 0] + down @ (plan.log_q - plan.log_p)
    natural, conditional, balanced = np.log(MIXTURE)
    terms = [natural + log_real - plan.log_any]
    inside = k <= plan.k_max  # and k >= 1: every drawn world has a failure
    kk = np.minimum(k, plan.k_max)
    log_g = plan.log_g[kk - 1]
    terms.append(np.where(inside, conditional + log_g + log_real - plan.tail[0, kk], -np.inf))
    terms.append(np.where(inside, balanced + log_g - plan.log_choose[kk], -np.inf))
    return log_real - np.logaddexp.reduce(np.stack(terms), axis=0)


def _fails(arch: Architecture, name: str, plan: _Plan, down: np.ndarray) -> np.ndarray:
    up = np.repeat(plan.base[np.newaxis], down.shape[0], axis=0)
    up[:, plan.free] = ~down
    return ~feature_works(arch, up, plan.names)[name]


def rare_unavailability(arch: Architecture, feature: str | None = None, samples: int = 20_000,
                        seed: int = 0, method: str = "importance",
                        confidence: float = 0.95) -> RareEstimate:
    """Estimate ``feature``'s unavailability (default: the primary feature), however small.

    ``method="importance"`` (default) is importance sampling built for rare failures;
    ``method="crude"`` is :func:`crude_unavailability` on the same budget, for comparison. The
    interval is ``value ± z·standard_error`` (95 % normal by default), cut at 0 and 1.

    **How.** Only the components that can decide the feature are sampled (everything below
    its required components along hard and replica edges, minus those certain up or down):
    call them ``m``, with unavailabilities ``q_i``. A world is drawn from a mixture of three
    parts, a third each, and weighted by ``P(world) / mixture(world)``, which keeps the mean
    exactly the unavailability:

    1. *natural, given a failure*: the real distribution conditioned on at least one of the
       ``m`` being down (the all-up world works, so it never needs drawing); a defensive part
       (Hesterberg 1995) that caps every weight at ``3 · P(any down)``;
    2. *conditional on k*: draw ``k`` in 1..min(m, 32) with probability ∝ 1/k, then exactly
       ``k`` failures from the real distribution given ``k`` (conditional Bernoulli sampling);
    3. *balanced*: the same ``k``, then ``k`` of the ``m`` components uniformly, whatever their
       unavailabilities: the static form of Shahabuddin's balanced failure biasing (1994),
       in which a rarely failing component is as likely to be picked as a common one.

    **Why the relative error is bounded.** A failed world S with ``k <= 32`` failures is drawn
    with probability at least ``g(k) / (3 · C(m, k))`` by part 3, so its weighted value is at
    most ``P(S) · 3 · C(m, k) / g(k)``. Summing ``P(S)^2 / mixture(S)`` over the failed worlds,
    whose ``P(S)`` add up to the unavailability ``u``, bounds the second moment by
    ``B · u^2`` with ``B = max_k 3 · C(m, k) / g(k)``: the relative error of the mean is at
    most ``sqrt((B - 1) / samples)``, whatever the ``q_i`` are, 1e-3 or 1e-12, alike or not
    (for ``m <= 32``: a failed world with more failures is drawn by part 1 only, still without
    bias, and when none is drawn the interval is the zero-failure bound ``3 · P(any down) ·
    (1 - (1 - c) ** (1 / samples))``, as every weight is at most ``3 · P(any down)``).
    That is the worst case; part 2 makes the usual case much better: when all ``q_i`` shrink
    together, the real distribution given ``k`` failures settles to a fixed one, so the
    likeliest cut sets are drawn with a probability that does not shrink.

    >>> from labkit import availability
    >>> from labkit.catalog import cells
    >>> arch = cells(4, tier_availability=0.9999998, router_availability=0.9999999)
    >>> round(1 - availability(arch), 10)   # 1e-7 + 3 x 2e-7, to first order
    7e-07
    >>> est = rare_unavailability(arch, samples=5_000, seed=2)
    >>> est.low < 7e-7 < est.high, est.relative_error < 0.05, est.interval_kind
    (True, True, '95 % normal')
    """
    check_choice("method", method, METHODS)
    if method == "crude":
        return crude_unavailability(arch, feature, samples, seed, confidence)
    arch = as_architecture(arch)
    name = arch.feature(feature).name
    system = system_fingerprint(arch, name)
    arch = _relevant_part(arch, name)
    samples, seed, confidence = _checked_run(samples, seed, confidence, 5 * len(arch.graph))
    made = {"seed": seed, "feature": name, "system": system}
    names, base, free, q = _free_components(arch)
    # The structure is monotone (a component coming back up never breaks anything), so the
    # worlds with every free component up and every one down decide the certain cases.
    up = np.repeat(base[np.newaxis], 2, axis=0)
    up[1, free] = False
    extremes = ~feature_works(arch, up, names)[name]
    if extremes[0] or not extremes[1]:
        value = float(extremes[0])
        return RareEstimate(value, 0.0, 0, "importance", value, value, confidence, "exact", 0,
                            **made)

    plan = _plan(names, base, free, q)
    z = _z(confidence)
    rng = np.random.default_rng(seed)
    block = max(1, min(_ROWS_PER_BLOCK, _BLOCK_CELLS // max(1, len(plan.names))))
    count, mean, squares, failures = 0, 0.0, 0.0, 0
    for start in range(0, samples, block):
        rows = min(block, samples - start)
        down = _draw(plan, rng, rows)
        failed = _fails(arch, name, plan, down)
        values = np.where(failed, np.exp(_log_weights(plan, down)), 0.0)
        # Chan et al.'s pairwise update: no cancellation when the values barely vary.
        block_mean = float(values.mean())
        block_squares = float(((values - block_mean) ** 2).sum())
        delta = block_mean - mean
        total = count + rows
        mean += delta * rows / total
        squares += block_squares + delta * delta * count * rows / total
        count = total
        failures += int(failed.sum())
    error = math.sqrt(squares / (count - 1) / count)
    value = min(1.0, mean)
    if failures == 0:
        # No failed world drawn (its cut sets need more than MAX_FAILURES failures, or the
        # budget is tiny). Every weight is at most P(any down) / MIXTURE[0], so the rule that
        # bounds a failure rate after zero failures bounds the unavailability too.
        # (At most 3 x 0.24 with 100 samples and a confidence of 0.999999999999: below 1.)
        high = math.exp(plan.log_any) / MIXTURE[0] * zero_failure_upper_bound(count, confidence)
        return RareEstimate(0.0, 0.0, count, "importance", 0.0, high, confidence,
                            f"{confidence * 100:.3g} % zero-failure bound", 0, **made)
    return RareEstimate(value, error, count, "importance", max(0.0, value - z * error),
                        min(1.0, value + z * error), confidence,
                        f"{confidence * 100:.3g} % normal", failures, **made)


# ------------------------------------------------------------------ zero-failure evidence


def _check_requests(requests) -> int:
    return check_count("requests", requests, low=1, high=MAX_REQUESTS)


def zero_failure_upper_bound(requests: int, confidence: float = 0.95) -> float:
    """Largest failure probability still consistent, at ``confidence``, with 0 failures seen.

    Exact (binomial): the ``p`` with ``(1 - p) ** requests == 1 - confidence``, i.e.
    ``1 - (1 - confidence) ** (1 / requests)``. It assumes requests fail independently.

    >>> round(zero_failure_upper_bound(100), 6)     # rule of three says 0.03
    0.029513
    >>> round(zero_failure_upper_bound(100, 0.99), 6)
    0.045007
    """
    requests = _check_requests(requests)
    confidence = _check_confidence(confidence)
    return -math.expm1(math.log1p(-confidence) / requests)


def rule_of_three(requests: int) -> float:
    """``3 / requests``: the 95 % upper bound after zero failures, to within a few % for n >= 30.

    >>> rule_of_three(300)
    0.01
    """
    return 3 / _check_requests(requests)


def requests_needed_for(availability: float, confidence: float = 0.95) -> int:
    """Fewest requests that, all served, support ``availability`` at ``confidence``.

    The smallest ``n`` with :func:`zero_failure_upper_bound` ``(n, confidence) <= 1 - availability``,
    about ``3 / (1 - availability)`` at 95 %. 100 % can never be shown this way: no finite
    number of successes rules out every failure rate above 0.

    >>> requests_needed_for(0.99)
    299
    >>> requests_needed_for(1.0)
    Traceback (most recent call last):
    ...
    labkit.errors.LabkitError: availability=1.0 is not allowed: expected a number from 0 to below 1: no finite number of successes shows 100 %
    """
    allowed = "expected a number from 0 to below 1: no finite number of successes shows 100 %"
    a = check_number("availability", availability, low=0.0, high=math.nextafter(1.0, 0.0),
                     allowed=allowed)
    confidence = _check_confidence(confidence)
    if a == 0.0:
        return 1
    n = max(1, math.ceil(math.log1p(-confidence) / math.log(a)))
    # Floating point can put the ceiling one off either way: settle it on the bound itself.
    while n > 1 and -math.expm1(math.log1p(-confidence) / (n - 1)) <= 1 - a:
        n -= 1
    while -math.expm1(math.log1p(-confidence) / n) > 1 - a:
        n += 1
    return n  # at most about 2.5e17 (a = 1 - 2^-53, confidence = 1 - 1e-12)


__all__ = ["RareEstimate", "rare_unavailability", "crude_unavailability", "system_fingerprint",
           "zero_failure_upper_bound", "rule_of_three", "requests_needed_for", "METHODS",
           "MAX_FAILURES", "MIN_SAMPLES"]
