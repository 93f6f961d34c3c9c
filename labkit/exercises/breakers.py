"""Workbook 05: headroom, deploy waves, circuit breakers and a fallback cell, built and run.

Every exercise is a build (:class:`~labkit.check.Build`): the learner builds a fleet (an
:class:`~labkit.model.Architecture`), a sequence of call outcomes, a
:class:`~labkit.breaker.BreakerConfig` or the router's settings (a dict of
:func:`~labkit.simulation.simulate` keywords). The grader replays the calls through labkit's
breaker, or simulates the artefact against the question's scenario and says what it did:
with random (Poisson, seeded) arrivals for the headroom exercise, so a cell's load varies from
second to second and a fleet needs a margin over the peak, as lesson 05's cells have; with
fluid arrivals (exact, smooth counts) for the others.

>>> [e.name for e in exercises()]
['headroom for a dead cell', 'deploy waves', 'calls that never open the breaker', 'breaker that tells death from a blip', 'breakers and a fallback cell']
>>> from labkit.catalog import cells
>>> grade_headroom(cells(4, tier_capacity=3_500))
Traceback (most recent call last):
...
labkit.check.NotYet: without headroom the survivors shed: with cell 1 down, your 3 survivors served only 87.33 % of the requests once the router had moved its customers (target 99.9 %): together they carry 10,500 of the 12,000 req/s.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..breaker import BreakerConfig, CircuitBreaker, open_spells
from ..catalog import cells
from ..check import Build, NotYet
from ..model import Architecture
from ..simulation import Fallback, bad_deploy, crash, error_rate, simulate

# ----------------------------------------------------------------- the questions' numbers

# (1) Headroom: a peak, a budget for the fleet's capacity, the router's health check. The
# peak is an average: requests arrive at random (Poisson, seeded), so survivors that carry
# exactly the peak shed in every second that brings them more than their share.
HEADROOM_PEAK = 12_000         # requests per second, on average
HEADROOM_BUDGET = 15_000       # requests per second of capacity, all cells together
HEADROOM_MAX_CELLS = 12        # the router's limit
HEADROOM_SEED = 0              # the seed of the random arrivals: the same run every time
HEADROOM_DOWN = 30             # seconds each cell is down in the check's run
DETECTION = 10                 # seconds the health check takes to notice a dead cell
SERVED_ENOUGH = 0.999          # "serve every request": at least 99.9 % once moved

# (2) Deploy waves: 8 cells are given; the learner chooses the waves and each cell's
# capacity, within a budget. Fewer waves mean bigger ones, and more capacity in each cell
# outside a dead wave: the budget rules out few waves, the release deadline many.
WAVE_CELLS = 8
WAVE_PEAK = 1_200
WAVE_BUDGET = 1_700            # requests per second of capacity, all 8 cells together
WAVE_MOST = 5                  # the release must finish in at most this many waves

# (3) A small breaker in resilience4j's vocabulary, and one call per second from 0 s.
SMALL_BREAKER = BreakerConfig(failure_rate_threshold=0.5, sliding_window_size=10,
                              minimum_number_of_calls=10, wait_duration_in_open_state=30,
                              permitted_number_of_calls_in_half_open_state=2)
CALLS = 12                     # the learner writes this many outcomes, one call a second
FAILED_AT_LEAST = 6            # ... at least this many of them failed (half: the threshold)
MAX_OUTCOME_CHARS = 1_000      # a string longer than this is refused before it is read

# (4) A breaker per router-to-cell link on 4 cells with N+1 headroom.
TUNE_CELLS = 4
TUNE_LOAD = 1_000              # requests per second: 250 on each link
TUNE_CAPACITY = 1_100 / 3      # each cell: N+1 headroom plus 10 %
BLIP_AT, BLIP_FOR = 60, 3      # cell 2 fails every call for 3 s (a restart, a glitch)
DEATH_AT, DEATH_FOR = 100, 40  # cell 3 dies for 40 s
OPEN_WITHIN = 4                # seconds of a dead cell before its breaker must be open
CLOSE_WITHIN = 10              # seconds after the cell is back before it must be closed
TUNE_RUN = 160

# (5) Breakers and a fallback cell for a fleet the lesson did not run: 6 cells in 3 deploy
# waves of 2, and a fallback budget too small for the lesson's 5 % live share.
FLEET_CELLS = 6
FLEET_WAVES = 3
FLEET_LOAD = 1_200
FLEET_CAPACITY = 1.1 * FLEET_LOAD / (FLEET_CELLS - 1)   # N+1 headroom plus 10 %: 264 req/s
FALLBACK_BUDGET = 420          # requests per second the fallback cell may have
DEAD_CELL = 3                  # the cell that dies in the first run (in wave 2)
OUTAGE_AT, OUTAGE_FOR = 60, 120
FLEET_RUN = 300
FLEET_TARGET = 0.99            # of all requests, in each scenario
TURNED_AWAY = 0.5              # requests: a fallback that turns away more has too little room
SETTINGS = ("failover", "breaker", "breaker_at", "redirect", "fallback")

MAX_COMPONENTS = 400           # an architecture graded here: far more than any answer needs

ARCH_HANDS_IN = "an Architecture built with labkit (catalog.cells(...))"


# ------------------------------------------------------------------------------ helpers

def _fleet(arch: Any, most_cells: int) -> tuple[Architecture, list[str]]:
    """Type- and size-check an architecture handed in; return it and its cells."""
    if not isinstance(arch, Architecture):
        raise NotYet(f"hand in {ARCH_HANDS_IN}, not {type(arch).__name__}.")
    if len(arch.graph) > MAX_COMPONENTS:
        raise NotYet(f"your architecture has {len(arch.graph):,} components; this exercise "
                     f"grades fleets of at most {MAX_COMPONENTS} (and {most_cells} cells).")
    cell_names = list(arch.customer_shares)
    if len(cell_names) < 2:
        raise NotYet("your architecture is one cell: when it dies there are no survivors "
                     "to take its customers. Build several cells (catalog.cells(n, ...)).")
    if len(cell_names) > most_cells:
        raise NotYet(f"your fleet has {len(cell_names)} cells; this exercise allows at most "
                     f"{most_cells}.")
    return arch, cell_names


def _own_components(arch: Architecture, cell_names: list[str]) -> dict[str, list[str]]:
    """Per cell, the components only that cell needs: crashing them all kills the cell."""
    needs = {c: arch.needs(arch.feature(c).requires) for c in cell_names}
    own = {}
    for c in cell_names:
        others = set().union(*(needs[o] for o in cell_names if o != c))
        own[c] = [name for name in arch.breakable if name in needs[c] - others]
        if not own[c]:
            raise NotYet(f"{c!r} has no component of its own: it shares everything with "
                         "other cells, so it cannot fail alone.")
    return own


def _label(cell: str) -> str:
    """'cell 2 customers' -> 'cell 2' (catalog.cells' names), other names as they are."""
    return cell[:-len(" customers")] if cell.endswith(" customers") else cell


def _served_pct(share: float) -> str:
    """A served share cut (not rounded) to two decimals, so 99.999 % never reads as 100 %."""
    text = f"{math.floor(share * 10_000) / 100:.2f}".rstrip("0").rstrip(".")
    return text + " %"


def _served(run, start: float, end: float) -> tuple[float, float]:
    """(requests served per second, share of new requests served) in [start, end)."""
    steps = run.window(start, end)
    new = float(run.new[steps].sum())
    good = float(run.good[steps].sum())
    seconds = float(steps.sum() * run.step)
    return good / seconds, good / new if new > 0 else 1.0


def _capacities(run, n: int) -> np.ndarray:
    return run.capacity[0, :n]


# ------------------------------------------------------------------ (1) headroom

def grade_headroom(arch: Any) -> str:
    """Any one cell dead: do the survivors serve the peak once the router moved them, within
    the budget? Every cell is crashed in turn, in one run, with health-check failover and
    random (Poisson, seeded) arrivals: survivors with no margin over the peak shed."""
    arch, names = _fleet(arch, HEADROOM_MAX_CELLS)
    own = _own_components(arch, names)
    # What the fleet costs, from one quiet step, before anything longer is simulated.
    quiet = simulate(arch, HEADROOM_PEAK, duration=1, arrivals="fluid")
    capacity = _capacities(quiet, len(names))
    if not np.isfinite(capacity).all():
        unlimited = [_label(c) for c, x in zip(names, capacity) if not math.isfinite(x)]
        who = ("your cells have" if len(unlimited) == len(names) else
               ", ".join(unlimited[:3]) + (" has" if len(unlimited) == 1 else " have"))
        raise NotYet(f"{who} no capacity limit: give each cell the capacity you pay for "
                     "(catalog.cells(n, tier_capacity=...)).")
    total = float(capacity.sum())
    if total > HEADROOM_BUDGET + 1e-6:
        raise NotYet(f"your fleet has {total:,.0f} req/s of capacity in all, over the budget "
                     f"of {HEADROOM_BUDGET:,} req/s.")
    down, gap = HEADROOM_DOWN, HEADROOM_DOWN + 5   # each cell down, then a pause
    faults = [crash(c, at=10 + gap * i, duration=down)
              for i, cell in enumerate(names) for c in own[cell]]
    run = simulate(arch, HEADROOM_PEAK, duration=10 + gap * len(names), arrivals="poisson",
                   seed=HEADROOM_SEED, faults=faults, failover="health check",
                   detection=DETECTION)
    rate, share = _served(run, 0, 10)
    if share < SERVED_ENOUGH:
        raise NotYet(f"your fleet sheds even with every cell up: it serves only "
                     f"{_served_pct(share)} of the requests (target "
                     f"{_served_pct(SERVED_ENOUGH)}): {_why_short(total, 'your cells')}")
    worst = 1.0
    for i, cell in enumerate(names):
        start = 10 + gap * i
        rate, share = _served(run, start + DETECTION, start + down)
        worst = min(worst, share)
        if share < SERVED_ENOUGH:
            survivors = total - float(capacity[i])
            short = "without headroom " if survivors < HEADROOM_PEAK - 0.5 else ""
            raise NotYet(f"{short}the survivors shed: with {_label(cell)} down, your "
                         f"{len(names) - 1} survivors served only {_served_pct(share)} of the "
                         "requests once the router had moved its customers (target "
                         f"{_served_pct(SERVED_ENOUGH)}): {_why_short(survivors, 'they')}")
    survivors = total - float(capacity.max())      # the fewest left: the biggest cell lost
    served = "every request" if worst >= 1.0 else f"at least {_served_pct(worst)} of the requests"
    return (f"with any one of your {len(names)} cells down, the survivors serve {served} "
            f"once the router has moved its customers, with random arrivals: their "
            f"{_margin(survivors)} over the average peak absorbs the seconds that bring more. "
            f"Capacity in all: {total:,.0f} req/s.")


def _margin(carried: float) -> str:
    """How far a capacity is above the peak, as a share: '10 %', '4.2 %'."""
    text = f"{(carried / HEADROOM_PEAK - 1) * 100:.1f}".rstrip("0").rstrip(".")
    return text + " %"


def _why_short(carried: float, who: str) -> str:
    """Why cells that carry ``carried`` req/s between them shed at the peak."""
    if carried < HEADROOM_PEAK - 0.5:
        return f"together {who} carry {carried:,.0f} of the {HEADROOM_PEAK:,} req/s."
    over = ("exactly the peak" if carried < HEADROOM_PEAK + 0.5 else
            f"only {_margin(carried)} more than the peak")
    return (f"together {who} carry {carried:,.0f} req/s, {over}, but the {HEADROOM_PEAK:,} "
            "req/s is an average: requests arrive at random, so in many seconds a cell gets "
            "more than its share and sheds the excess.")


# ------------------------------------------------------------------ (2) deploy waves

def _waves(arch: Architecture, names: list[str]) -> dict[str, list[str]]:
    """Deploy waves (failure domains named wave...) and the cells each one holds."""
    needs = {c: arch.needs(arch.feature(c).requires) for c in names}
    waves = [c for c in arch.breakable
             if c.startswith("wave") and arch.component(c).kind == "domain"]
    return {w: [c for c in names if w in needs[c]] for w in waves}


def grade_waves(arch: Any) -> str:
    """A bad build in any wave: do the cells outside it serve the peak once moved?"""
    arch, names = _fleet(arch, WAVE_CELLS)
    if len(names) != WAVE_CELLS:
        raise NotYet(f"this question's fleet has {WAVE_CELLS} cells; yours has {len(names)}.")
    quiet = simulate(arch, WAVE_PEAK, duration=1, arrivals="fluid")
    capacity = _capacities(quiet, len(names))
    if not np.isfinite(capacity).all():
        raise NotYet("your cells have no capacity limit: give each cell the capacity you pay "
                     "for (catalog.cells(8, ..., tier_capacity=...)).")
    total = float(capacity.sum())
    if total > WAVE_BUDGET + 1e-6:
        raise NotYet(f"your fleet has {total:,.0f} req/s of capacity in all, over the budget "
                     f"of {WAVE_BUDGET:,} req/s.")
    waves = _waves(arch, names)
    own = _own_components(arch, names)
    if not waves:
        # No waves: every build goes to every cell at once. Show what a bad one does.
        faults = [crash(c, at=10, duration=30) for cell in names for c in own[cell]]
        run = simulate(arch, WAVE_PEAK, duration=50, arrivals="fluid", faults=faults,
                       failover="health check", detection=DETECTION)
        rate, _ = _served(run, 10 + DETECTION, 40)
        raise NotYet(f"your fleet has no deploy waves, so a build reaches all {WAVE_CELLS} "
                     f"cells at once: a bad one leaves no cell to fail over to (served: "
                     f"{rate:,.0f} req/s). Give catalog.cells a deploy_waves argument.")
    outside = [c for c in names if not any(c in held for held in waves.values())]
    if outside:
        raise NotYet(f"{', '.join(map(_label, outside[:3]))} {'is' if len(outside) == 1 else 'are'}"
                     " in no deploy wave: every cell must get its builds in some wave.")
    if len(waves) > WAVE_MOST:
        raise NotYet(f"your release goes out in {len(waves)} waves; it must finish in at most "
                     f"{WAVE_MOST}.")
    down, gap = 20, 20 + 5                         # each wave down 20 s, then a pause
    faults = [bad_deploy(w, at=10 + gap * i, duration=down) for i, w in enumerate(waves)]
    run = simulate(arch, WAVE_PEAK, duration=10 + gap * len(waves), arrivals="fluid",
                   faults=faults, failover="health check", detection=DETECTION)
    for i, (wave, held) in enumerate(waves.items()):
        start = 10 + gap * i
        rate, share = _served(run, start + DETECTION, start + down)
        if share < SERVED_ENOUGH and len(held) == len(names):
            raise NotYet(f"a bad build in {wave} takes all {len(names)} cells at once: no cell "
                         f"is left to fail over to (served: {rate:,.0f} req/s).")
        if share < SERVED_ENOUGH:
            left = float(sum(x for c, x in zip(names, capacity) if c not in held))
            raise NotYet(f"a bad build in {wave} takes {len(held)} cells at once; the other "
                         f"{len(names) - len(held)}, with {left:,.0f} req/s of capacity "
                         f"between them, serve {rate:,.0f} of the {WAVE_PEAK:,} req/s once the "
                         "router has moved the customers.")
    biggest = max(len(held) for held in waves.values())
    left = min(float(sum(x for c, x in zip(names, capacity) if c not in held))
               for held in waves.values())
    note = ""
    if left <= WAVE_PEAK + 0.5:
        note = (" That is exactly the peak: enough with this check's smooth arrivals, but "
                "with random ones, as in exercise 1, those cells would shed a little; a real "
                "fleet needs a margin too.")
    return (f"your release goes out in {len(waves)} waves of at most {biggest} cells; a bad "
            f"build in any of them leaves cells with {left:,.0f} req/s of capacity, which serve "
            f"the whole {WAVE_PEAK:,} req/s, and the fleet costs {total:,.0f} of the "
            f"{WAVE_BUDGET:,} req/s budget." + note)


# ------------------------------------------- (3) half the calls fail, the breaker stays closed

def grade_outcomes(outcomes: Any) -> str:
    """Replay the learner's calls (one a second, S or F) through the small breaker: at least
    half of them must fail, and it must never open."""
    if not isinstance(outcomes, str):
        raise NotYet("hand in a string of S and F, one letter per call (e.g. \"SFSS...\"), "
                     f"not {type(outcomes).__name__}.")
    if len(outcomes) > MAX_OUTCOME_CHARS:
        raise NotYet(f"your string has {len(outcomes):,} characters; write the outcomes of "
                     f"{CALLS} calls, one letter each.")
    calls = "".join(outcomes.split()).upper()
    odd = sorted(set(calls) - {"S", "F"})
    if odd:
        raise NotYet(f"your outcomes hold {odd[0]!r}: write only S (the call succeeded) and F "
                     "(it failed), one letter per call.")
    if len(calls) != CALLS:
        raise NotYet(f"you wrote {len(calls)} calls; write exactly {CALLS}, the call at 0 s "
                     "first.")
    failed = calls.count("F")
    if failed < FAILED_AT_LEAST:
        raise NotYet(f"only {failed} of your {CALLS} calls fail; the task asks for at least "
                     f"{FAILED_AT_LEAST}.")
    config = SMALL_BREAKER
    size, threshold = config.sliding_window_size, config.failure_rate_threshold
    breaker = CircuitBreaker(config)
    for second, outcome in enumerate(calls):
        if breaker.allow(second) and breaker.record(outcome == "S", second) == "open":
            first = max(0, second - size + 1)
            held = calls[first:second + 1]
            raise NotYet(f"the breaker opened after the call at {second} s: its window then "
                         f"held the calls from {first} s to {second} s, {held.count('F')} "
                         f"failed of {len(held)} ({held.count('F') / len(held):.0%}), which "
                         f"reaches its {threshold:.0%}.")
    judged = range(config.minimum_number_of_calls - 1, CALLS)
    most = max(calls[max(0, s - size + 1):s + 1].count("F") for s in judged)
    return (f"{failed} of your {CALLS} calls fail, yet the breaker never opens: it judges "
            f"nothing before {config.minimum_number_of_calls} calls, and after that its "
            f"window of the last {size} never holds more than {most} failed.")


# ------------------------------------------------------- (4) a breaker worth having

def _pct(x: float) -> str:
    """0.5 -> '50 %', 0.125 -> '12.5 %' (the lesson's style)."""
    return f"{x * 100:.3g} %"


def _opens_after(config: BreakerConfig) -> str:
    """Its window, and about how many seconds of a link that fails every call open it:
    t x W with a window of the last W seconds, t x N / r with the last N calls at r a second."""
    t, size = config.failure_rate_threshold, config.sliding_window_size
    rate = TUNE_LOAD // TUNE_CELLS
    if config.sliding_window_type == "time":
        return (f"Its window is the last {size:,} s, so a link failing every call reaches "
                f"its {_pct(t)} after about t x W = {_pct(t)} x {size:,} s = {t * size:.3g} s.")
    return (f"Its window is the last {size:,} calls ({size / rate:.3g} s of this link's {rate} "
            f"calls a second), so a link failing every call reaches its {_pct(t)} after about "
            f"t x N / r = {_pct(t)} x {size:,} / {rate} = {t * size / rate:.3g} s.")


def grade_breaker(config: Any) -> str:
    """Per-cell breakers on 4 cells: ignore cell 2's 3 s blip, open within 4 s of cell 3
    dying, close within 10 s of it coming back. One run holds both faults.

    Times are those of :func:`~labkit.breaker.open_spells`, as in lesson 05: a breaker
    decides at the end of each 1 s step, so one that opens in the step from 104 s opened
    5 s after a death at 100 s, when 5 s of its link's calls had failed."""
    if not isinstance(config, BreakerConfig):
        raise NotYet(_not_a_breaker("hand in", config))
    faults = [error_rate("cell2-app", 1.0, at=BLIP_AT, duration=BLIP_FOR),
              crash("cell3-app", at=DEATH_AT, duration=DEATH_FOR)]
    run = simulate(cells(TUNE_CELLS), TUNE_LOAD, duration=TUNE_RUN, arrivals="fluid",
                   cell_capacity=TUNE_CAPACITY, faults=faults, breaker=config)
    blip_link, dead_link = 1, 2
    blip = [spell for spell in open_spells(run, link=blip_link) if spell[0] <= DEATH_AT]
    if blip:
        raise NotYet(f"your breaker opened {blip[0][0] - BLIP_AT:g} s into a "
                     f"{BLIP_FOR} s blip on cell 2, and kept the link open "
                     f"{config.wait_duration_in_open_state:g} s: a blip that short must not "
                     f"open it. {_opens_after(config)}")
    back = DEATH_AT + DEATH_FOR
    dead = [spell for spell in open_spells(run, link=dead_link)
            if DEATH_AT < spell[0] <= back]
    if not dead:
        raise NotYet(f"your breaker never opened while cell 3 was dead for {DEATH_FOR} s: "
                     f"check its minimum number of calls ({config.minimum_number_of_calls:,}) "
                     "and threshold against the 250 calls a second this link carries.")
    opened = dead[0][0]
    after = opened - DEATH_AT                      # seconds of failed calls, the last included
    if after > OPEN_WITHIN:
        lost = float(run.cell_failed[(run.times >= DEATH_AT) & (run.times < opened),
                                     dead_link].sum())
        raise NotYet(f"your breaker opened {after:g} s after cell 3 died (at {opened:g} s), "
                     f"later than {OPEN_WITHIN} s: meanwhile {lost:,.0f} of its customers' "
                     f"requests failed. {_opens_after(config)}")
    closed = dead[-1][1]                           # the spell the cell came back in
    late = (closed if closed is not None else run.times[-1] + run.step) - back
    if late > CLOSE_WITHIN:
        shown = f"{late:g} s" if closed is not None else f"more than {late:g} s"
        raise NotYet(f"your breaker kept cell 3's link open {shown} after the cell came back, "
                     f"longer than {CLOSE_WITHIN} s: it waits "
                     f"{config.wait_duration_in_open_state:g} s in the open state before it "
                     "probes.")
    return (f"your breaker ignores a {BLIP_FOR} s blip, opens {after:g} s after a cell dies, "
            f"and closes {late:g} s after the cell is back.")


# ------------------------------------------------ (5) breakers and a fallback cell

def _not_a_breaker(start: str, value: Any) -> str:
    """What to say about something that is not a BreakerConfig (a preset not called, ...)."""
    if callable(value) and getattr(value, "__name__", "") in ("hystrix", "polly", "pybreaker",
                                                               "resilience4j"):
        return (f"{start} a BreakerConfig: you gave the function {value.__name__} itself; call "
                f"it, {value.__name__}(), to get its settings.")
    return (f"{start} a BreakerConfig (labkit.breaker.BreakerConfig(...)) or a preset such as "
            f"hystrix(), not {type(value).__name__}.")


CHOICES = {"failover": ("none", "health check"), "breaker_at": ("cell", "client"),
           "redirect": ("others", "fallback")}


def _check_settings(settings: Any) -> dict:
    if not isinstance(settings, dict):
        raise NotYet("hand in a dict of the router's settings, e.g. dict(breaker=..., "
                     f"redirect=..., fallback=...), not {type(settings).__name__}.")
    if len(settings) > len(SETTINGS) or not all(isinstance(k, str) for k in settings):
        raise NotYet("your settings may only name " + ", ".join(SETTINGS) + ".")
    unknown = [k for k in settings if k not in SETTINGS]
    if unknown:
        raise NotYet(f"your settings name {unknown[0]!r}; the fleet, its load, capacity and "
                     "health check are given: set only " + ", ".join(SETTINGS) + ".")
    breaker = settings.get("breaker")
    if breaker is not None and not isinstance(breaker, BreakerConfig):
        raise NotYet(_not_a_breaker("breaker must be", breaker))
    for key, allowed in CHOICES.items():
        value = settings.get(key, allowed[0])
        if not (isinstance(value, str) and value in allowed):
            shown = repr(value) if isinstance(value, str) and len(value) < 40 else \
                type(value).__name__
            raise NotYet(f"{key} must be " + " or ".join(map(repr, allowed)) +
                         f", not {shown}.")
    if settings.get("redirect") == "fallback" and settings.get("fallback") is None:
        raise NotYet('redirect="fallback" sends the moved customers to a fallback cell, but '
                     "your settings have none: add fallback=Fallback(...).")
    fallback = settings.get("fallback")
    if fallback is not None:
        if not isinstance(fallback, Fallback):
            raise NotYet("fallback must be a labkit.simulation.Fallback(...) or None, not "
                         f"{type(fallback).__name__}.")
        if fallback.capacity > FALLBACK_BUDGET:
            raise NotYet(f"your fallback cell has {fallback.capacity:,.0f} req/s of capacity; "
                         f"the budget is {FALLBACK_BUDGET:,}.")
    return dict(settings)


def _fleet_run(settings: dict, faults: list):
    # The worst case for a path nobody has used: a fallback that carries no traffic before
    # the emergency (idle, or "live" with no share) has a latent defect, and it is real.
    # A live fallback has carried traffic all along, so the engine never applies it.
    fallback = settings.get("fallback")
    if fallback is not None:
        untested = fallback.mode == "idle" or fallback.share <= 0
        broken = dataclasses.replace(fallback, mode="idle", latent_defect=1.0,
                                     warmup=fallback.warmup if fallback.mode == "idle" else 0.0)
        settings = {**settings, "fallback": broken if untested else fallback}
    return simulate(cells(FLEET_CELLS, deploy_waves=FLEET_WAVES), FLEET_LOAD, duration=FLEET_RUN,
                    arrivals="fluid", cell_capacity=FLEET_CAPACITY, detection=DETECTION,
                    faults=faults, **settings)


def grade_fallback(settings: Any) -> str:
    """Cell 3 dead, then (another run) a bad deploy to wave 1: each must stay partial, and the
    fallback cell must have room for all it is sent (its live share and the moved customers)."""
    settings = _check_settings(settings)
    scenarios = {f"cell {DEAD_CELL} died": [crash(f"cell{DEAD_CELL}-app", at=OUTAGE_AT,
                                                   duration=OUTAGE_FOR)],
                 "a bad deploy took wave 1": [bad_deploy("wave1", at=OUTAGE_AT,
                                                         duration=OUTAGE_FOR)]}
    runs = {label: _fleet_run(settings, faults) for label, faults in scenarios.items()}
    one_for_all = settings.get("breaker") is not None and settings.get("breaker_at") == "client"
    for label, run in runs.items():
        if one_for_all and run.rejected.sum() > 0:
            raise NotYet(f"this breaker counts every cell's errors together: when {label}, it "
                         f"opened and rejected {run.rejected.sum():,.0f} requests from every "
                         "cell's customers, the healthy cells' included "
                         f"({run.success_ratio:.1%} served).")
    fallback = settings.get("fallback")
    redirect = settings.get("redirect", "others")
    outage = runs["a bad deploy took wave 1"]
    before = outage.window(0, OUTAGE_AT)
    if fallback is not None and redirect == "fallback":
        served_before = float(outage.cell_good[before, -1].sum())
        if served_before <= 0:
            rate, share = _served(outage, OUTAGE_AT, OUTAGE_AT + OUTAGE_FOR)
            raise NotYet("your fallback is idle: it served no request before the outage, so "
                         "nothing showed that its path works; its latent defect surfaces in "
                         f"the emergency, and wave 1's customers get nothing "
                         f"({outage.success_ratio:.1%} served over the run).")
    moves = (settings.get("failover", "none") == "health check"
             or (settings.get("breaker") is not None and not one_for_all))
    if not moves:
        run = runs[f"cell {DEAD_CELL} died"]
        raise NotYet("nothing moves a dead cell's customers: no health check and no breaker "
                     f"per cell, so cell {DEAD_CELL}'s customers got nothing for {OUTAGE_FOR} s "
                     f"({run.success_ratio:.1%} served).")
    during = outage.window(OUTAGE_AT, OUTAGE_AT + OUTAGE_FOR)
    if outage.success_ratio < FLEET_TARGET and redirect != "fallback":
        shed = float(outage.shed[during].sum())
        wave = FLEET_CELLS // FLEET_WAVES
        raise NotYet(f"not enough headroom for {wave} dead cells: your router sends wave 1's "
                     f"customers to the other {FLEET_CELLS - wave} cells, not to a fallback "
                     f"cell, and they shed {shed:,.0f} requests ({outage.success_ratio:.1%} "
                     f"served). Headroom for one dead cell does not cover {wave}.")
    if fallback is not None:
        for label, run in runs.items():
            fallback_shed = float(run.cell_failed[during, -1].sum())
            if fallback_shed > TURNED_AWAY:
                busiest = float((run.cell_good[during, -1] + run.cell_failed[during, -1])
                                .max() / run.step)
                everyday = FLEET_LOAD * fallback.share
                raise NotYet(f"your fallback cell turned away {fallback_shed:,.0f} requests "
                             f"when {label}: it was sent up to {busiest:,.0f} req/s, more than "
                             f"its {fallback.capacity:,.0f} (its everyday share alone is "
                             f"{everyday:,.0f} req/s; {run.success_ratio:.2%} served).")
    for label, run in runs.items():
        if run.success_ratio < FLEET_TARGET:
            if settings.get("breaker") is None or one_for_all:
                who = ("your router waits for the health check" if not one_for_all else
                       "your one breaker for all never opened, so your router waits for the "
                       "health check")
                raise NotYet(f"{who}: when {label}, the dead cells' customers got nothing for "
                             f"the first {DETECTION} s ({run.success_ratio:.2%} served, short "
                             f"of {FLEET_TARGET:.0%}).")
            raise NotYet(f"when {label}, your setup serves {run.success_ratio:.2%} of the "
                         f"requests, short of {FLEET_TARGET:.0%}: how soon do your breakers "
                         "open?")
    a, b = (run.success_ratio for run in runs.values())
    extra = ""
    if fallback is not None and redirect == "fallback":
        extra = (f"; your live fallback served {float(outage.cell_good[before, -1].sum()):,.0f}"
                 " requests before the outage, so its path is known to work")
    room = ", and your fallback cell turned nobody away" if fallback is not None else ""
    return (f"both outages stay partial: {a:.2%} served when cell {DEAD_CELL} died, {b:.2%} "
            f"when a bad deploy took wave 1{room}{extra}.")


# ---------------------------------------------------------------------------- chapter

def exercises() -> list:
    return [
        Build("headroom for a dead cell", grade_headroom,
              ("when one of N cells dies, the N - 1 survivors must carry the whole peak "
               "between them.",
               "count the capacity a fleet of N cells needs for its survivors to carry the whole "
               "peak with a margin (the peak is an average, and arrivals are random), for a few "
               "values of N: more, smaller cells each take a smaller share of a dead cell's "
               "load."),
              ARCH_HANDS_IN),
        Build("deploy waves", grade_waves,
              ("a bad build fails every cell of its wave at once; the cells outside the "
               "biggest wave must then carry the whole peak between them.",
               "for each number of waves you may use, how many cells are in the biggest wave, "
               "how much must each cell outside it carry, and what do 8 such cells cost?"),
              ARCH_HANDS_IN),
        Build("calls that never open the breaker", grade_outcomes,
              ("the breaker judges nothing until its window holds minimum_number_of_calls "
               "calls; from then on it judges, after every call, only the last "
               "sliding_window_size calls. The threshold is compared with >=.",
               "after the 10th call, each new call pushes the oldest one out of the window: "
               "when can a failure come in without raising the window's count of failures?"),
              "a string of S and F, one letter per call"),
        Build("breaker that tells death from a blip", grade_breaker,
              ("a dead cell and a blip look the same for their first seconds: the breaker "
               "must need more seconds of failures than a blip lasts, and fewer than the "
               "delay you allow.",
               "count the seconds of failures your breaker needs to open: t x W with a window "
               "of the last W seconds, t x N / r with the last N calls at r calls a second. "
               "Then keep the open wait short."),
              "a BreakerConfig (labkit.breaker.BreakerConfig(...))"),
        Build("breakers and a fallback cell", grade_fallback,
              ("ask of each part of your setup: which errors does each breaker count, how soon "
               "does the router move a dead cell's customers, and where do they go?",
               "N+1 headroom covers one dead cell, not a wave of two: where else can the "
               "router send them, and how would you know before the emergency that it works? "
               "Then add up everything it must carry in a wave outage, its everyday share "
               "included, against its budget."),
              "a dict of the router's settings (breaker, breaker_at, redirect, fallback, "
              "failover)"),
    ]
