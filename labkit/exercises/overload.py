"""Workbook 03: overload and retries, graded on what the learner builds.

Five of the six exercises are :class:`~labkit.check.Build` s: the learner hands in an
overload setting, a retry policy with a budget, a retry placement for a five-layer stack
(where the client and layer1 may not retry), a backoff, and the cheapest database that no
blip keeps down; each check runs it through labkit's simulation (or its
reproduction of Brooker's experiment) against the target the question states, and says what
the artefact did. One is a value (:class:`~labkit.check.Exercise`) the learner measures with
:func:`~labkit.simulation.study.metastable_boundary`: how far a long blip moves the load at
which the database stops recovering.

Every scenario runs with steady (``arrivals="fluid"``) arrivals, so a learner who runs the
same call gets the same numbers the check reports.

>>> [e.name for e in exercises()]  # doctest: +NORMALIZE_WHITESPACE
['bounded queue', 'retry budget', 'retry at one layer', 'tuned backoff', 'stable capacity',
 'boundary after a long blip']
>>> grade_bounded_queue({"overload": "queue", "max_queue": 60})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
labkit.check.NotYet: your queue keeps a request for 60 s, but clients give up after 5 s: ...
>>> grade_bounded_queue({"overload": "queue", "max_queue": 5})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
labkit.check.NotYet: your queue keeps a request for 5 s, ...: during the 60 s spike goodput fell to 292 req/s (target at least 1,140).
"""

from __future__ import annotations

import functools
import math
from dataclasses import replace
import numbers
from typing import Any

from ..backoff import occ_experiment
from ..check import Build, Exercise, NotYet
from ..errors import LabkitError
from ..model import Architecture
from ..simulation import (Retry, constant, crash, error_rate, simulate, simulate_stack,
                          traffic_spike)
from ..simulation.layers import layer_names
from ..simulation.study import (BLIP_AT, blip_run, goodput_after_blip, metastable_boundary,
                                offered_after_blip)

# ------------------------------------------------------------------ the numbers the questions state

# (a) bounded queue: a service, short bursts and a long spike.
SERVICE_CAPACITY = 1_200      # requests per second
SERVICE_LATENCY_MS = 50
SERVICE_LOAD = 900            # requests per second on an ordinary day
SERVICE_TIMEOUT = 5.0         # seconds a client waits
BURSTS = (20, 50, 80, 110)    # each burst doubles the traffic for BURST_SECONDS from these times
BURST_SECONDS = 3
SPIKE_AT, SPIKE_SECONDS = 20, 60   # the long spike: traffic x2
SPIKE_MULTIPLE = 2
QUEUE_RUN = 140               # seconds each scenario runs
QUEUE_STEP = 0.25
BURST_TARGET = 0.995          # share of the requests served across the bursts
SPIKE_TARGET = 0.95           # goodput during the spike, as a share of capacity
AFTER_TARGET = 0.99           # share of requests served from 10 s after the spike on
MAX_QUEUE_ALLOWED = 120.0     # seconds: the longest queue the check simulates

# (b), (e), (f): HotOS 2021's database (lessons/sources.md, "metastable").
DB_CAPACITY = 300             # queries per second
DB_LATENCY_MS = 50
DB_LOAD = 280                 # queries per second the business needs
DB_TIMEOUT = 1.0
ERROR_RATE = 0.05             # (b) transient errors at the database ...
ERROR_SECONDS = 60            # ... for this long
FAILED_TARGET = 0.005         # (b) at most this share of queries may fail
BLIP_SECONDS = 10             # (b) the network blip
BLIP_RETRY_LIMIT = 50         # (b) at most this many retries may go out during the blip
STORM_ERROR_RATE = 0.30       # (b) heavy errors at the database, for ERROR_SECONDS: the retries
STORM_TARGET = 1 - STORM_ERROR_RATE   # must not serve fewer queries than no retries at all
RECOVERY_TARGET = 0.95        # (b), (e): goodput after a blip, as a share of the load
MAX_CAP_ALLOWED = 20.0        # seconds: the longest backoff cap the checks simulate (Retry's default)
STABLE_BLIPS = (10, 30, 60)   # (e) blips the database must recover from
STABLE_MARGIN = 20            # (e) cheapest to within this: MARGIN QPS less must fail a blip
MAX_CAPACITY_ALLOWED = 100_000   # (e) QPS: the largest database the check simulates
LONG_BLIP = 60                # (f) the blip whose boundary the learner measures
LONG_BLIP_RANGE = 64          # (f) QPS: the widest 1-QPS search study.MAX_STUDY_STEPS allows for it

# (c) retry at one layer: a five-layer stack.
STACK_LAYERS = 5
STACK_LOAD = 100              # requests per second
STACK_ERRORS = 0.05           # transient errors at the bottom
STACK_SUCCESS_TARGET = 0.995  # share of requests that must succeed despite them
STACK_LIMIT = 5               # at most this many database calls per request during an outage
STACK_OUTAGE = (5, 30)        # the bottom is down from 5 s for 30 s
STACK_NOT_RETRYING = 2        # the first callers (the client and layer1) may not retry
STACK_STEP = 0.1

# (d) tuned backoff: Brooker's experiment (lessons/sources.md, "brooker-backoff").
OCC_CLIENTS, OCC_RUNS, OCC_SEED = 100, 20, 3
OCC_CALLS_TARGET = 0.40       # at most this share of plain exponential backoff's calls
OCC_TIME_TARGET_MS = 4_000    # every client done within this, on average

MAX_DICT_KEYS = 10


# ------------------------------------------------------------------ shared checks of an artefact


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _settings(artefact: Any, allowed: dict[str, str], what: str) -> dict:
    """A small dict with only the keys ``allowed`` names (key -> what it holds)."""
    if not isinstance(artefact, dict):
        raise NotYet(f"hand in {what}, not {_kind(artefact)}.")
    if len(artefact) > MAX_DICT_KEYS:
        raise NotYet(f"your dict has {len(artefact):,} keys; expected only "
                     + ", ".join(map(repr, allowed)) + ".")
    unknown = [k for k in artefact if k not in allowed]
    if unknown:
        shown = repr(unknown[0]) if isinstance(unknown[0], str) else f"a {_kind(unknown[0])}"
        raise NotYet(f"your dict has a key {shown[:40]} this check does not know; expected "
                     + " and ".join(f"{k!r} ({v})" for k, v in allowed.items()) + ".")
    return artefact


def _seconds(value: Any, high: float) -> float | None:
    """``value`` as seconds from 0 to ``high``, or None (NaN, 10**400, a string...)."""
    if not _number(value):
        return None
    try:
        seconds = float(value)
    except (OverflowError, ValueError, TypeError):
        return None
    return seconds if 0.0 <= seconds <= high else None


def _kind(value: Any) -> str:
    if _number(value):
        return "a bare number"
    return f"a {type(value).__name__}"


def _retry(value: Any, argument: str = "your retry policy") -> Retry:
    """A Retry, validated again (a frozen dataclass can still be forced), with a cap the
    checks can simulate promptly."""
    if not isinstance(value, Retry):
        raise NotYet(f"{argument} should be a labkit.simulation.Retry(...), not {_kind(value)}.")
    try:
        retry = Retry(value.attempts, value.backoff, value.base, value.cap, value.budget,
                      value.refill)
    except LabkitError as bad:
        raise NotYet(f"{argument} is not a valid Retry: {bad}") from None
    except Exception:  # noqa: BLE001 - fields forced to odd objects
        raise NotYet(f"{argument} is not a valid Retry.") from None
    if retry.backoff != "none" and retry.cap > MAX_CAP_ALLOWED:
        raise NotYet(f"{argument} backs off for up to {retry.cap:g} s (its cap); this check "
                     f"simulates caps of at most {MAX_CAP_ALLOWED:g} s.")
    return retry


def _pct(x: float) -> str:
    return f"{x:.1%}" if x < 0.999 else f"{x:.2%}"


def _retries(n: float) -> str:
    """"1 retry", "100 retries", "0.5 retries"."""
    return f"{n:,.0f} retry" if n == 1 else f"{n:,.{0 if float(n).is_integer() else 1}f} retries"


# ------------------------------------------------------------------ (a) bounded queue


def _service() -> Architecture:
    return Architecture("service").add_component("service", capacity=SERVICE_CAPACITY,
                                                  latency_ms=SERVICE_LATENCY_MS)


def _queue_run(overload: str, max_queue: float, faults: list):
    return simulate(_service(), constant(SERVICE_LOAD), duration=QUEUE_RUN, step=QUEUE_STEP,
                    overload=overload, max_queue=max_queue, timeout=SERVICE_TIMEOUT,
                    faults=faults, arrivals="fluid")


def bursts() -> list:
    """The four short bursts of exercise (a)."""
    return [traffic_spike(SPIKE_MULTIPLE, at=at, duration=BURST_SECONDS) for at in BURSTS]


def long_spike() -> list:
    """The long spike of exercise (a)."""
    return [traffic_spike(SPIKE_MULTIPLE, at=SPIKE_AT, duration=SPIKE_SECONDS)]


def grade_bounded_queue(artefact: Any) -> str:
    """Exercise (a): overload settings that absorb short bursts and keep goodput in a spike."""
    settings = _settings(artefact, {"overload": '"shed" or "queue"',
                                    "max_queue": "seconds a request may wait"},
                         'a dict of overload settings, e.g. {"overload": "queue", "max_queue": 10}')
    overload = settings.get("overload")
    if overload not in ("shed", "queue"):
        raise NotYet('"overload" should be "shed" or "queue".')
    max_queue = _seconds(settings.get("max_queue", 30.0), MAX_QUEUE_ALLOWED)
    if max_queue is None:
        raise NotYet(f'"max_queue" should be the seconds a request may wait in the queue, '
                     f"from 0 to {MAX_QUEUE_ALLOWED:g}.")
    # The measures a learner gets from the same run: run.mean_goodput(20, 80),
    # run.served_share(90) (one customer group here) and run.summary()["success ratio"].
    spike = _queue_run(overload, max_queue, long_spike())
    during = spike.mean_goodput(SPIKE_AT, SPIKE_AT + SPIKE_SECONDS)
    served_after = min(spike.served_share(SPIKE_AT + SPIKE_SECONDS + 10).values())
    missed = []   # only the targets this artefact missed
    if during < SPIKE_TARGET * SERVICE_CAPACITY:
        missed.append(f"during the {SPIKE_SECONDS} s spike goodput fell to {during:,.0f} req/s "
                      f"(target at least {SPIKE_TARGET * SERVICE_CAPACITY:,.0f})")
    if not served_after >= AFTER_TARGET:
        missed.append(f"from 10 s after it only {_pct(served_after)} of requests were served "
                      f"(target {_pct(AFTER_TARGET)})")
    if missed:
        if overload == "queue" and max_queue >= SERVICE_TIMEOUT:
            raise NotYet(f"your queue keeps a request for {max_queue:g} s, but clients give up "
                         f"after {SERVICE_TIMEOUT:g} s: " + ", and ".join(missed) + ".")
        raise NotYet(", and ".join(missed) + ".")
    burst = _queue_run(overload, max_queue, bursts())
    served = burst.success_ratio
    if served < BURST_TARGET:
        lost = float(burst.gave_up.sum())
        if overload == "shed":
            raise NotYet(f"shedding refused {lost:,.0f} requests in the four {BURST_SECONDS} s "
                         f"bursts: {_pct(served)} of the requests were served (target "
                         f"{_pct(BURST_TARGET)}).")
        raise NotYet(f"your queue keeps a request for only {max_queue:g} s: the bursts "
                     f"overflowed it and {lost:,.0f} requests were dropped, so "
                     f"{_pct(served)} were served (target {_pct(BURST_TARGET)}).")
    return (f"{_pct(served)} of the requests served through the bursts, {during:,.0f} req/s "
            f"of goodput during the spike, and {_pct(served_after)} served from 10 s after it.")


# ------------------------------------------------------------------ (b) retry budget


def _database(capacity: float = DB_CAPACITY, latency_ms: float = DB_LATENCY_MS) -> Architecture:
    return Architecture("database").add_component("db", kind="database", capacity=capacity,
                                                   latency_ms=latency_ms)


def grade_retry_budget(artefact: Any) -> str:
    """Exercise (b): a retry policy that masks transient errors and stops a retry storm, with
    a bucket small enough to bound the retries a blip lets out."""
    retry = _retry(artefact)
    errors = simulate(_database(), constant(DB_LOAD), duration=ERROR_SECONDS, step=0.1,
                      overload="queue", max_queue=10, timeout=DB_TIMEOUT, retry=retry,
                      faults=[error_rate("db", ERROR_RATE, at=0, duration=ERROR_SECONDS)],
                      arrivals="fluid")
    failed = 1.0 - errors.success_ratio   # what the learner's run.success_ratio shows
    if failed > FAILED_TARGET:
        if retry.attempts == 1:
            raise NotYet(f"your policy never retries (attempts=1): the {ERROR_RATE:.0%} "
                         f"transient errors reach the clients, {_pct(failed)} of queries failed "
                         f"(target at most {_pct(FAILED_TARGET)}).")
        if retry.budget is not None:
            raise NotYet(f"your budget (a bucket of {_retries(retry.budget)}, {retry.refill:g} "
                         f"back per success) runs dry with only {ERROR_RATE:.0%} transient "
                         f"errors: {_pct(failed)} of queries failed (target at most "
                         f"{_pct(FAILED_TARGET)}).")
        raise NotYet(f"{_pct(failed)} of queries failed with {ERROR_RATE:.0%} transient errors "
                     f"(target at most {_pct(FAILED_TARGET)}).")
    run = blip_run(_database(), DB_LOAD, blip=BLIP_SECONDS, retry=retry, timeout=DB_TIMEOUT,
                   arrivals="fluid")
    after = goodput_after_blip(run)
    if after < RECOVERY_TARGET * DB_LOAD:
        offered = offered_after_blip(run)
        # Offered load as a share of capacity: in QPS it would be (e)'s answer.
        measured = (f"20 s after the blip the database answered {after:,.0f} QPS in time while "
                    f"it was offered {offered / DB_CAPACITY:.0%} of its capacity (target at "
                    f"least {RECOVERY_TARGET * DB_LOAD:,.0f} QPS of goodput)")
        if retry.budget is None:
            raise NotYet(f"no budget: the storm continues after the blip: {measured}.")
        raise NotYet(f"your bucket of {_retries(retry.budget)} ({retry.refill:g} back per "
                     f"success) did not stop the storm: {measured}.")
    during = float(run.retries[run.window(BLIP_AT, BLIP_AT + BLIP_SECONDS)].sum())
    if during > BLIP_RETRY_LIMIT:
        raise NotYet(f"the storm stops, but your bucket of {_retries(retry.budget)} let "
                     f"{_retries(during)} out during the {BLIP_SECONDS} s blip, when nothing "
                     f"succeeds (limit {BLIP_RETRY_LIMIT}).")
    # A budget must also hold back retries when errors are common: with 30 % errors at a
    # database running at 93 % of its capacity, retries of more than about a tenth of the
    # successes overload it, and fewer queries succeed than with no retries at all.
    storm = simulate(_database(), constant(DB_LOAD), duration=ERROR_SECONDS, step=0.1,
                     overload="queue", max_queue=10, timeout=DB_TIMEOUT, retry=retry,
                     faults=[error_rate("db", STORM_ERROR_RATE, at=0, duration=ERROR_SECONDS)],
                     arrivals="fluid")
    heavy = storm.success_ratio
    if heavy < STORM_TARGET:
        good = float(storm.good.sum())
        share = float(storm.retries.sum()) / good if good > 0 else math.inf
        bucket = ("" if retry.budget is None else
                  f" (your bucket gives back {retry.refill:g} per success)")
        raise NotYet(f"with {STORM_ERROR_RATE:.0%} transient errors your retries overload the "
                     f"database: only {_pct(heavy)} of queries succeeded, fewer than the "
                     f"{STORM_TARGET:.0%} that succeed with no retries at all; retries were "
                     f"{share:.0%} of the successes{bucket}.")
    return (f"{_pct(1 - failed)} of queries succeeded despite {ERROR_RATE:.0%} transient errors "
            f"and {_pct(heavy)} despite {STORM_ERROR_RATE:.0%}; {_retries(during)} went out "
            f"during the {BLIP_SECONDS} s blip, and 20 s after it the database served "
            f"{after:,.0f} QPS.")


# ------------------------------------------------------------------ (c) retry at one layer


def _stack_policy(artefact: Any) -> tuple[Retry, Any, list[int]]:
    settings = _settings(artefact, {"retry": "a Retry", "retrying": 'who retries'},
                         'a dict {"retry": Retry(...), "retrying": ...}')
    if "retry" not in settings or "retrying" not in settings:
        raise NotYet('your dict needs both "retry" (a Retry) and "retrying" ("every layer", '
                     '"client only", or 5 True/False from the client down).')
    retry = _retry(settings["retry"], 'your "retry"')
    retrying = settings["retrying"]
    if isinstance(retrying, str):
        if retrying not in ("every layer", "client only"):
            raise NotYet('"retrying" should be "every layer", "client only", or a list of 5 '
                         "True/False, one per caller from the client down.")
        flags = [True] * STACK_LAYERS if retrying == "every layer" else [True] + [False] * (STACK_LAYERS - 1)
    else:
        if (not isinstance(retrying, (list, tuple)) or len(retrying) != STACK_LAYERS
                or not all(isinstance(f, bool) for f in retrying)):
            raise NotYet(f'"retrying" should be "every layer", "client only", or a list of '
                         f"{STACK_LAYERS} True/False, one per caller from the client down.")
        flags = list(retrying)
    attempts = [retry.attempts if f else 1 for f in flags]
    return retry, (retrying if isinstance(retrying, str) else list(flags)), attempts


def _callers() -> list[str]:
    """The callers of the stack, from the top: the client, then layer1 to layer4."""
    return ["client"] + layer_names(STACK_LAYERS)[:-1]


def grade_retry_at_one_layer(artefact: Any) -> str:
    """Exercise (c): who retries in a five-layer stack, so errors are masked without a storm,
    when the client and layer1 may not retry."""
    retry, retrying, attempts = _stack_policy(artefact)
    worst = math.prod(attempts)
    callers = sum(a > 1 for a in attempts)
    if worst > STACK_LIMIT:
        # Exact for a total outage (every attempt fails): refuse before simulating a storm.
        if callers == STACK_LAYERS:
            raise NotYet(f"your policy retries at every layer: up to {retry.attempts}^"
                         f"{STACK_LAYERS} = {worst:,} calls reach the database for each "
                         f"request while it is down (limit {STACK_LIMIT}).")
        each = (f"with {retry.attempts} attempts" if callers == 1
                else f"{retry.attempts} attempts each")
        raise NotYet(f"{callers} of your {STACK_LAYERS} callers "
                     f"{'retries' if callers == 1 else 'retry'}, {each}: up to {worst:,} calls "
                     f"reach the database for each request while it is down (limit "
                     f"{STACK_LIMIT}).")
    frozen = [name for name, tries in zip(_callers(), attempts[:STACK_NOT_RETRYING]) if tries > 1]
    if frozen:
        raise NotYet(f"your {' and '.join(frozen)} retr{'ies' if len(frozen) == 1 else 'y'}, "
                     f"but in this stack the {' and '.join(_callers()[:STACK_NOT_RETRYING])} "
                     "must not retry.")
    common = dict(layers=STACK_LAYERS, retry=retry, retrying=retrying, step=STACK_STEP)
    noisy = simulate_stack(constant(STACK_LOAD), duration=30, **common,
                           faults=[error_rate("layer5", STACK_ERRORS, at=0, duration=30)])
    success = noisy.success_ratio(start=10)
    if success < STACK_SUCCESS_TARGET:
        if callers == 0:
            raise NotYet(f"nobody in your stack retries: the {STACK_ERRORS:.0%} of calls the "
                         f"database fails reach your customers, {_pct(success)} of requests "
                         f"succeed (target {_pct(STACK_SUCCESS_TARGET)}).")
        raise NotYet(f"with {STACK_ERRORS:.0%} transient errors at the database only "
                     f"{_pct(success)} of requests succeed (target {_pct(STACK_SUCCESS_TARGET)}).")
    start, length = STACK_OUTAGE
    outage = simulate_stack(constant(STACK_LOAD), duration=start + length + 5, **common,
                            faults=[crash(layer_names(STACK_LAYERS)[-1], at=start, duration=length)])
    amplification = outage.amplification(start=start + 10, end=start + length)
    if amplification > STACK_LIMIT + 1e-9:
        raise NotYet(f"while the database was down, {amplification:,.1f} calls per request "
                     f"reached it (limit {STACK_LIMIT}).")
    return (f"{_pct(success)} of requests succeed despite {STACK_ERRORS:.0%} errors at the "
            f"database, and while it was down {amplification:,.1f} calls per request reached it.")


# ------------------------------------------------------------------ (d) tuned backoff


BACKOFF_KEYS = {"backoff": '"none", "exponential", "full", "equal" or "decorrelated"',
                "base": "seconds", "cap": "seconds"}


def _backoff(artefact: Any) -> Retry:
    """Exercise (d)'s artefact, a dict {"backoff", "base", "cap"}, checked as a Retry's."""
    if isinstance(artefact, Retry):
        raise NotYet('hand in a dict {"backoff": ..., "base": ..., "cap": ...}, not a Retry: '
                     "Brooker's clients retry until their write succeeds, so there is no "
                     "number of attempts to give.")
    settings = _settings(artefact, BACKOFF_KEYS,
                         'a dict {"backoff": ..., "base": ..., "cap": ...}')
    missing = [key for key in BACKOFF_KEYS if key not in settings]
    if missing:
        raise NotYet("your dict needs " + " and ".join(f"{k!r} ({BACKOFF_KEYS[k]})" for k in missing)
                     + ".")
    if not isinstance(settings["backoff"], str):
        raise NotYet(f'"backoff" should be {BACKOFF_KEYS["backoff"]}.')
    for key in ("base", "cap"):
        if _seconds(settings[key], MAX_CAP_ALLOWED) is None:
            raise NotYet(f'"{key}" should be seconds, above 0 and at most {MAX_CAP_ALLOWED:g}.')
    try:
        retry = Retry(2, settings["backoff"], float(settings["base"]), float(settings["cap"]))
    except LabkitError as bad:
        raise NotYet(f"your backoff is not valid: {bad}") from None
    return _retry(retry, "your backoff")


def grade_tuned_backoff(artefact: Any) -> str:
    """Exercise (d): a backoff (policy, base, cap) that beats plain exponential in Brooker's
    experiment on both work and time."""
    retry = _backoff(artefact)
    mine = occ_experiment(retry.backoff, OCC_CLIENTS, runs=OCC_RUNS, seed=OCC_SEED,
                          base=retry.base, cap=retry.cap)
    plain = occ_experiment("exponential", OCC_CLIENTS, runs=OCC_RUNS, seed=OCC_SEED,
                           base=retry.base, cap=retry.cap)
    ratio = mine.calls / plain.calls
    seconds = mine.completion_ms / 1000
    shown = (f"{mine.calls:,.0f} calls, {ratio:.0%} of plain exponential's {plain.calls:,.0f}, "
             f"and {seconds:,.1f} s until the last client is done")
    if ratio > OCC_CALLS_TARGET:
        if retry.backoff == "none":
            raise NotYet(f"your clients retry at once (backoff \"none\"): {shown} (target at "
                         f"most {OCC_CALLS_TARGET:.0%} of the calls).")
        if retry.backoff == "exponential":
            raise NotYet(f"no jitter: clients that collided sleep exactly as long as each other "
                         f"and collide again: {shown} (target at most {OCC_CALLS_TARGET:.0%}).")
        raise NotYet(f"with base {retry.base:g} s and cap {retry.cap:g} s your clients still "
                     f"collide often: {shown} (target at most {OCC_CALLS_TARGET:.0%} of the "
                     "calls).")
    if mine.completion_ms > OCC_TIME_TARGET_MS:
        raise NotYet(f"your clients wait too long: {shown} (target: done within "
                     f"{OCC_TIME_TARGET_MS / 1000:g} s).")
    return f"{shown}."


# ------------------------------------------------------------------ (e) stable capacity


def _recovers_from(arch: Architecture, blip: float) -> float:
    """Goodput over the last 10 s of HotOS's blip experiment at (e)'s load."""
    return goodput_after_blip(blip_run(arch, DB_LOAD, blip=blip, retry=Retry(2),
                                       timeout=DB_TIMEOUT, arrivals="fluid"))


def grade_stable_capacity(artefact: Any) -> str:
    """Exercise (e): the cheapest database (to within STABLE_MARGIN QPS) that a blip of any of
    the stated lengths cannot leave down."""
    if not isinstance(artefact, Architecture):
        raise NotYet(f"hand in an Architecture with one component, the database, not "
                     f"{_kind(artefact)}.")
    size = len(artefact.graph)
    if size != 1:
        raise NotYet(f"your architecture has {size:,} components; this check needs the "
                     "database alone: one component, with its capacity.")
    name = next(iter(artefact.graph))
    component = artefact.component(name)
    capacity = component.capacity
    if not math.isfinite(capacity):
        raise NotYet(f"your database {name!r} has no capacity limit (capacity=inf); give it the "
                     "capacity you would pay for.")
    latency = component.latency_ms
    if latency != DB_LATENCY_MS:
        raise NotYet(f"your database answers in {latency:g} ms; keep latency_ms={DB_LATENCY_MS} "
                     "as the question says: the check compares capacities, not faster queries.")
    if capacity > MAX_CAPACITY_ALLOWED:
        raise NotYet(f"a capacity of {capacity:,.0f} QPS is far more than this check simulates "
                     f"(at most {MAX_CAPACITY_ALLOWED:,} QPS).")
    if capacity < DB_LOAD:
        shown = f"{capacity:,.0f}" if capacity >= 1 else f"{capacity:.3g}"
        raise NotYet(f"a capacity of {shown} QPS is below the {DB_LOAD} QPS load: this database "
                     "cannot keep up even without a blip.")
    for blip in STABLE_BLIPS:
        after = _recovers_from(artefact, blip)
        if after < RECOVERY_TARGET * DB_LOAD:
            raise NotYet(f"with {capacity:,.0f} QPS of capacity your database did not recover "
                         f"from the {blip} s blip: 20 s after it, goodput was {after:,.0f} QPS "
                         f"(target at least {RECOVERY_TARGET * DB_LOAD:,.0f}).")
    cheaper = capacity - STABLE_MARGIN
    if cheaper > 0:
        smaller = Architecture(artefact.name).add(replace(component, capacity=cheaper))
        # The longest blip first: it is the one a smaller database fails.
        if all(_recovers_from(smaller, blip) >= RECOVERY_TARGET * DB_LOAD
               for blip in sorted(STABLE_BLIPS, reverse=True)):
            raise NotYet(f"with {capacity:,.0f} QPS your database recovers, but so does one with "
                         f"{STABLE_MARGIN} QPS less: you pay for capacity these blips do not "
                         "need.")
    return (f"with {capacity:,.0f} QPS of capacity your database recovered from blips of "
            + ", ".join(map(str, STABLE_BLIPS[:-1])) + f" and {STABLE_BLIPS[-1]} s at "
            f"{DB_LOAD} QPS, and {STABLE_MARGIN} QPS less would not.")


# ------------------------------------------------------------------ (f) boundary after a long blip


@functools.cache
def boundary_after_long_blip() -> float:
    """Exercise (f): the highest load (to 1 QPS) at which (b)'s database, with HotOS's
    clients (``Retry(2)``, no budget), still recovers from a LONG_BLIP s blip, with steady
    arrivals. Measured by bisection from the load HotOS's rule calls stable (twice the load
    fits: it recovers from any blip) up over the widest range the search allows. A few
    seconds of simulation, so computed once: every check compares with it."""
    stable = DB_CAPACITY / 2
    found = metastable_boundary(_database(), low=stable, high=stable + LONG_BLIP_RANGE,
                                blip=LONG_BLIP, retry=Retry(2), timeout=DB_TIMEOUT,
                                arrivals="fluid")
    return found.recovers


def exercises() -> list:
    return [
        Build("bounded queue", grade_bounded_queue,
              ("a queue absorbs a burst only if it can hold it; a queue is only useful while "
               "the client is still waiting.",
               "simulate your settings under the bursts and under the long spike (the "
               "questions give both) and compare run.summary() and run.mean_goodput()."),
              'a dict of overload settings, e.g. {"overload": "queue", "max_queue": 10}'),
        Build("retry budget", grade_retry_budget,
              ("retries should cover the rare failure and stop when most calls fail: a retry "
               "budget does that.",
               "Retry(attempts, budget=..., refill=...): when nothing succeeds, nothing refills "
               "the bucket, so its size is how many retries a blip lets out; the refill must "
               "outpace what transient errors spend, yet keep the retries a small share of the "
               "successes when errors are common."),
              "a labkit.simulation.Retry(...) with a budget"),
        Build("retry at one layer", grade_retry_at_one_layer,
              ("retries multiply: count the calls that reach the database when every attempt "
               "fails.",
               "one layer retrying is enough to mask rare errors; pick one the question allows, "
               "with a list of 5 True/False from the client down."),
              'a dict {"retry": Retry(...), "retrying": ...}'),
        Build("tuned backoff", grade_tuned_backoff,
              ("jitter spreads clients that collided; base sets how spread the first retries "
               "are (a larger base: fewer calls), and cap how long the longest sleep can be (a "
               "smaller cap: less time).",
               "run occ_experiment(policy, 100, runs=20, seed=3, base=..., cap=...) for a few "
               "bases and caps and watch calls and completion_ms."),
              'a dict {"backoff": ..., "base": ..., "cap": ...}'),
        Build("stable capacity", grade_stable_capacity,
              ("a failure sustains itself if, when every query is retried, the retries still "
               "do not fit in the capacity.",
               "work out what a failed system receives when every query is retried, size the "
               "database so that just fits, and check it with "
               "labkit.simulation.study.blip_run."),
              "an Architecture with one component, the database"),
        Exercise("boundary after a long blip", "number", boundary_after_long_blip,
                 ("HotOS's rule gives a load that is safe from any blip; the question asks how far "
                  f"above it a {LONG_BLIP} s blip still lets the database recover: measure it.",
                  f"metastable_boundary(database, low=..., high=..., blip={LONG_BLIP}, "
                  "arrivals=\"fluid\") needs a low load that recovers and a high one that does "
                  f"not, at most {LONG_BLIP_RANGE} QPS apart; its .recovers is the answer.")),
    ]
