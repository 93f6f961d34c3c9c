"""Workbook 06's checks grade what the learner builds (labkit.exercises.ring).

For each Build: the instructor's artefact passes; realistic wrong artefacts fail with a
diagnosis that names what is wrong with them; a bare number fails; hostile values fail
promptly, before anything is simulated. The questions in the notebook state the numbers the
graders hold the artefacts to.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import runpy
import time

import nbformat
import pytest

from conftest import REPO
from labkit.catalog import ring, ring_request_path
from labkit.check import Build, NotYet, Workbook
from labkit.exercises import ring as chapter
from labkit.model import Architecture
from labkit.rare_events import (RareEstimate, crude_unavailability, rare_unavailability,
                                zero_failure_upper_bound)
from labkit.simulation import Fallback, bad_deploy, constant, crash, region_outage, simulate

SOLUTIONS = REPO / "workbook" / "solutions" / "06_ring_at_halloween.py"
NOTEBOOK = REPO / "workbook" / "06_ring_at_halloween.ipynb"
BUILDS = {e.name: e for e in chapter.exercises()}


@pytest.fixture(scope="module")
def answers():
    return runpy.run_path(str(SOLUTIONS))["ANSWERS"]


def grade(name, artefact):
    """(passed, message) as the learner sees it, through the workbook's own check."""
    result = Workbook("06", BUILDS).check(name, artefact)
    return result.passed, " ".join(result.message.split())


def diagnosis(name, artefact) -> str:
    """The grader's own NotYet message (no hints after it)."""
    with pytest.raises(NotYet) as caught:
        BUILDS[name].grade(artefact)
    return " ".join(str(caught.value).split())


# ------------------------------------------------------------------------- the chapter


def test_every_exercise_is_a_build_and_states_what_to_hand_in():
    exercises = chapter.exercises()
    assert len(exercises) == 5 and all(isinstance(e, Build) for e in exercises)
    for e in exercises:
        assert len(e.hints) == 2 and e.hands_in


def test_the_solutions_pass_every_check(answers):
    assert set(answers) == set(BUILDS)
    for name, artefact in answers.items():
        passed, message = grade(name, artefact)
        assert passed, message


def test_numbers_alone_never_score(answers):
    numbers_only = {name: 0.999999 for name in BUILDS}
    wb = Workbook("06", BUILDS, solutions=numbers_only)
    assert [wb.check(name, None).passed for name in BUILDS] == [False] * len(BUILDS)
    assert wb.score().passed == 0


@pytest.mark.parametrize("name", list(BUILDS))
def test_a_bare_number_fails_and_says_so(name):
    assert "a bare number is not" in diagnosis(name, 3.0e-7)


HOSTILE = [math.nan, math.inf, 10**400, -1, "ring()", {}, {"ring": "x", "fallback": 5},
           range(10**12), [[[[[[[[1]]]]]]]], b"\x00" * 10, object(), True, 1 + 2j]


@pytest.mark.parametrize("name", list(BUILDS))
@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: type(v).__name__)
def test_hostile_values_are_refused_promptly(name, value):
    start = time.perf_counter()
    passed, message = grade(name, value)
    assert not passed and "Hint:" in message
    assert time.perf_counter() - start < 1.0


def huge_architecture(n: int = 1_200) -> Architecture:
    arch = Architecture("huge")
    for i in range(n):
        arch.add_component(f"c{i}", 0.999)
    return arch.add_feature("serve", ["c0"])


@pytest.mark.parametrize("name, artefact, phrase", [
    ("region lost at the peak", {"ring": huge_architecture(), "fallback": None},
     "simulates at most 1,000"),
    ("transcoders below the peak rate", lambda: with_any_runs(huge_architecture()),
     "simulates at most 1,000"),
    ("request path at six nines", huge_architecture(), "at most 64"),
    ("region lost at the peak", {"ring": ring(cells_per_region=17), "fallback": None},
     "at most 128"),
])
def test_oversize_artefacts_are_refused_before_simulating(name, artefact, phrase):
    artefact = artefact() if callable(artefact) else artefact   # real runs, made beforehand
    start = time.perf_counter()
    assert phrase in diagnosis(name, artefact)
    assert time.perf_counter() - start < 1.0


def test_the_questions_state_the_numbers_the_graders_use():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, 4).cells
                     if c.cell_type == "markdown")
    flat = " ".join(text.split())
    for stated in (f"{chapter.PEAK:,}", f"{chapter.REGION_TARGET * 100:g} %",
                   f"{chapter.CAPACITY_BUDGET:,}", f"**{chapter.REGION_AT:g} s**",
                   f"**{chapter.REGION_FOR:g} s**", f"**{chapter.DETECTION:g} s**",
                   f"at most {chapter.TRANSCODE_BUDGET:g}", f"**{chapter.OUTAGE_AT:g} s**",
                   f"nearest {chapter.TRANSCODE_STEP:g} clips per second",
                   f"**{chapter.OUTAGE_FOR:g} s**", f"**{chapter.DEADLINE:g} s**",
                   f"**{chapter.ROUTER_AVAILABILITY * 100:g} %**",
                   f"**{chapter.BEST_COMPONENT * 100:g} %**",
                   f"tier_availability={chapter.ESTIMATED_PATH['tier_availability']}",
                   f"**{chapter.SAMPLE_BUDGET:,} samples**",
                   f"**{chapter.TARGET_ERROR * 100:g} %**",
                   f"**{chapter.REPORTED:,} req/s**", f"**{chapter.DAYS} days**"):
        assert stated in flat, f"the workbook does not state {stated!r}"


# ------------------------------------------------------------------------- (1) a region at the peak

REGION = "region lost at the peak"


@pytest.mark.parametrize("design, phrases", [
    ({"ring": ring(), "fallback": None},
     ["28 surviving cells have 336,000 req/s", "94.282", "target is 99.600"]),
    ({"ring": ring(), "fallback": Fallback(24_000, share=0.05)},
     ["fallback cell takes 18,000 req/s", "98.328"]),
    ({"ring": ring(), "fallback": Fallback(36_000, mode="idle")}, ["fallback cell is idle"]),
    ({"ring": ring(), "fallback": Fallback(20_000, share=0.10)},
     ["sent 10 % of the traffic, 36,000 req/s, but serves at most 20,000"]),
    ({"ring": ring(cell_capacity=20_000), "fallback": None},
     ["costs 640,000 req/s", "budget is 420,000"]),
    ({"ring": ring(cell_capacity=math.inf), "fallback": None}, ["no capacity limit"]),
    ({"ring": ring(regions=9), "fallback": None}, ["9 regions", "keep regions=8"]),
    ({"ring": ring(), "fallback": None, "breaker": "per cell"}, ["'breaker'"]),
    ({"ring": ring(), "fallback": "live"}, ["\"fallback\" is a str"]),
])
def test_region_designs_that_fall_short_are_diagnosed(design, phrases):
    found = diagnosis(REGION, design)
    for phrase in phrases:
        assert phrase in found, found


@pytest.mark.parametrize("design", [
    {"ring": ring(cell_capacity=13_000), "fallback": None},
    ring(cells_per_region=8, cell_capacity=6_500),           # an Architecture alone will do
])
def test_other_region_designs_within_budget_pass(design):
    passed, message = grade(REGION, design)
    assert passed and "none shed" in message, message


# ------------------------------------------------------------------------- (2) transcoders

TRANSCODERS = "transcoders below the peak rate"
OUTAGE = [crash("cell1-transcode", at=420, duration=240)]


@functools.lru_cache(maxsize=None)
def evening_run(capacity, faults=True, arrivals="fluid", duration=1800, **ring_knobs):
    """The learner's simulation of the question's evening (cached: each takes a second or two)."""
    return simulate(ring(transcode_capacity=capacity, **ring_knobs), chapter.halloween_evening(),
                    duration=duration, arrivals=arrivals, faults=OUTAGE if faults else [])


def evidence(capacity, slower=None, **ring_knobs):
    """What the learner hands in: the Ring, its run, and the run 10 clips/s slower."""
    return {"ring": ring(transcode_capacity=capacity, **ring_knobs),
            "run": evening_run(capacity, **ring_knobs),
            "run 10 clips/s slower": slower or evening_run(capacity - 10, **ring_knobs)}


def with_any_runs(arch):
    """A hand-in whose Ring is wrong before anything is simulated: any real runs will do."""
    return {"ring": arch, "run": evening_run(370), "run 10 clips/s slower": evening_run(360)}


@pytest.mark.parametrize("make, phrases", [
    (lambda: with_any_runs(ring()), ["up to 600 clips/s", "budget is 400"]),
    (lambda: evidence(350), ["your run shows", "5,326 clips are late", "waited 299 s"]),
    (lambda: evidence(200), ["in 31 other cells' queues, whose transcoders were never down"]),
    (lambda: with_any_runs(ring(transcode_capacity=350, transcode_deadline=600)),
     ["changed the transcode deadline"]),
    (lambda: with_any_runs(ring(transcode_capacity=350, clips_per_request=0.01)),
     ["changed the clips"]),
    (lambda: evidence(350, cell_capacity=5_000), ["fails 43,876,887 requests"]),
    (lambda: with_any_runs(ring(cells_per_region=8, transcode_capacity=350)),
     ["64 cells", "keep ring()'s cells"]),
])
def test_transcoders_that_fall_short_are_diagnosed(make, phrases):
    found = diagnosis(TRANSCODERS, make())
    for phrase in phrases:
        assert phrase in found, found


@pytest.mark.parametrize("capacity", [400, 374])
def test_transcoders_that_are_not_the_cheapest_are_diagnosed(capacity):
    # Typing the budget (400) keeps every clip on time, but so would slower transcoders, as
    # the learner's own run 10 clips/s slower shows.
    found = diagnosis(TRANSCODERS, evidence(capacity))
    assert f"your own runs show no clip late with transcoders of {capacity} clips/s" in found, found
    assert "none 10 clips/s slower either" in found, found


@pytest.mark.parametrize("capacity", [365, 373])
def test_any_cheapest_transcoder_to_the_nearest_ten_passes(capacity):
    # Not one stored answer: any capacity with no clip late whose 10 clips/s slower twin has
    # late clips passes (the solution hands in 370).
    passed, message = grade(TRANSCODERS, evidence(capacity))
    assert passed and "no clip is late" in message and "469 clips/s" in message, message
    assert "your run 10 clips/s slower has" in message and "late" in message, message


@pytest.mark.parametrize("make, phrase", [
    # The check's reply is no substitute for simulating: the runs must be the evenings.
    (lambda: ring(transcode_capacity=370), "hand in your Ring with the two runs"),
    (lambda: {"ring": ring(transcode_capacity=370), "run": evening_run(370)},
     "no 'run 10 clips/s slower'"),
    (lambda: dict(evidence(370), **{"run 10 clips/s slower": None}),
     "\"run 10 clips/s slower\" is still None"),
    (lambda: dict(evidence(370), run=evening_run(370, faults=False)),
     "no crash of cell1-transcode at 420 s"),
    (lambda: dict(evidence(370), run=evening_run(370, arrivals="poisson")),
     "other traffic than the question's evening"),
    (lambda: dict(evidence(370), run=evening_run(370, duration=900)), "lasts 900 s"),
    (lambda: dict(evidence(370), run=evening_run(360)),
     "not the question's evening on your Ring: simulate that Ring"),
    (lambda: dict(evidence(370), **{"run 10 clips/s slower": evening_run(370)}),
     "not the question's evening on your Ring with every transcoder 10 clips/s slower"),
    (lambda: dict(evidence(370), run=325_000), "\"run\" is a int"),
    (lambda: dict(evidence(370), ring="ring()"), "\"ring\" is a str"),
])
def test_transcoder_evidence_that_is_not_the_runs_is_refused(make, phrase):
    assert phrase in diagnosis(TRANSCODERS, make())


# ------------------------------------------------------------------------- (3) the request path

PATH = "request path at six nines"


@pytest.mark.parametrize("path, phrases", [
    (ring_request_path(), ["routers are at 99.99 %"]),
    (ring_request_path(router_availability=0.999),
     ["5.54 nines", "fallback cell are down together"]),
    (ring_request_path(router_availability=0.999, tier_availability=0.9999, fallback=False),
     ["without a fallback cell"]),
    (ring_request_path(router_availability=0.999, tier_availability=0.9999, routers=2),
     ["5.90 nines", "2 routers at 99.9 % are all down together"]),
    (ring_request_path(router_availability=0.999, tier_availability=0.9999, routers=5),
     ["with 5 routers", "would reach six with fewer"]),
    (ring_request_path(router_availability=0.999, tier_availability=0.99999),
     ["tier components are at 99.999 %"]),
    (ring_request_path(router_availability=0.999, tier_availability=0.9999,
                       region_availability=0.999999), ["region components"]),
    (ring_request_path(router_availability=0.999, tier_availability=0.9999)
     .with_availability({"fallback-store": 0.99}), ["not one ring_request_path(...) builds"]),
])
def test_paths_that_fall_short_are_diagnosed(path, phrases):
    found = diagnosis(PATH, path)
    for phrase in phrases:
        assert phrase in found, found


def test_a_cheaper_path_that_still_reaches_six_nines_passes():
    # Tiers at 99.98 % are enough too: the grader asks for six nines, not for one answer.
    passed, message = grade(PATH, ring_request_path(router_availability=0.999,
                                                     tier_availability=0.9998))
    assert passed and "with 3 routers" in message, message


def test_a_path_at_six_nines_is_told_which_part_limits_it(answers):
    # The Overview promises the learner sees which part limits their path.
    passed, message = grade(PATH, answers[PATH])
    assert passed, message
    assert "What limits it: its own cell and the fallback cell down together (2.5e-07" in message
    assert "against 1e-09 for the routers" in message, message


# ------------------------------------------------------------------------- (4) the estimate

ESTIMATE = "six nines, estimated"


@pytest.fixture(scope="module")
def system():
    return chapter.estimated_path()


def test_estimates_that_fall_short_are_diagnosed(system):
    assert "saw no failure in your 200,000 samples" in diagnosis(
        ESTIMATE, crude_unavailability(system, samples=200_000, seed=1))
    assert re.search(r"relative error is 4\.\d\s%, the target 2\s%: more samples",
                     diagnosis(ESTIMATE, rare_unavailability(system, samples=20_000, seed=1)))
    assert "another system" in diagnosis(
        ESTIMATE, rare_unavailability(ring_request_path(), samples=100_000, seed=2))
    assert "misses exact analysis's" in diagnosis(
        ESTIMATE, rare_unavailability(system, samples=100_000, seed=1))   # 1 run in 20
    assert "a 50 % one" in diagnosis(
        ESTIMATE, rare_unavailability(system, samples=100_000, seed=2, confidence=0.5))
    assert "budget is 200,000" in diagnosis(
        ESTIMATE, rare_unavailability(system, samples=300_000, seed=2))


def test_an_estimate_changed_or_made_by_hand_is_refused(system):
    real = rare_unavailability(system, samples=100_000, seed=2)
    tighter = dataclasses.replace(real, standard_error=real.standard_error / 3)
    assert "not what labkit's estimator gives" in diagnosis(ESTIMATE, tighter)
    by_hand = RareEstimate(1.2e-7, 1e-9, 100_000, "importance", 1.18e-7, 1.22e-7, 0.95,
                           "95 % normal", 30_000)
    assert "records no seed" in diagnosis(ESTIMATE, by_hand)
    forged = RareEstimate(1.2e-7, 1e-9, 10**400, "importance", 1.18e-7, 1.22e-7, 0.95,
                          "95 % normal", 30_000, seed=1, feature="request served",
                          system=real.system)
    assert "budget is 200,000" in diagnosis(ESTIMATE, forged)
    odd = dataclasses.replace(real, value=math.nan)
    assert "not a finite number" in diagnosis(ESTIMATE, odd)
    huge = dataclasses.replace(real, value=10**400)
    assert "not a finite number" in diagnosis(ESTIMATE, huge)


def test_an_availability_estimate_is_not_an_unavailability_estimate(system):
    from labkit import sampled_availability
    assert "sampled_availability's estimate" in diagnosis(
        ESTIMATE, sampled_availability(system, samples=1_000))


def test_another_honest_estimate_passes(system):
    passed, message = grade(ESTIMATE, rare_unavailability(system, samples=150_000, seed=3))
    assert passed and "holds exact analysis's" in message, message


# ------------------------------------------------------------------------- (5) the clean month

MONTH = "a clean month at 130,000 req/s"


def incident(rate=130_000, fault=None, **knobs):
    knobs = {"failover": "health check", "detection": 10, **knobs}
    return simulate(ring(), constant(rate), duration=400, arrivals="fluid",
                    faults=[fault or bad_deploy("wave1", at=60, duration=300)], **knobs)


@pytest.fixture(scope="module")
def month(answers):
    return answers[MONTH]


def test_the_month_is_graded_on_the_learners_own_incident(month):
    # A learner whose health check took 8 s failed fewer requests: their own numbers pass.
    run = incident(detection=8)
    failed = float(run.new.sum() - run.good.sum())
    want = chapter.month_evidence(failed)
    passed, message = grade(MONTH, {"incident": run, "as requests": want["as requests"],
                                    "as days": want["as days"],
                                    "days for six nines": want["days for six nines"]})
    assert passed and "260,000 failed" in message, message
    # ... and the solution's numbers no longer fit their run.
    assert "not what your own incident gives" in diagnosis(MONTH, dict(month, incident=run))


def test_the_rule_of_three_is_accepted(month):
    failed = 325_000
    share = failed / (130_000 * 86_400)
    by_three = {"as requests": 3 / (30 * 86_400 * 130_000), "as days": 3 / 30 * share,
                "days for six nines": math.ceil(3 * share / 1e-6)}
    assert grade(MONTH, dict(month, **by_three))[0]


@pytest.mark.parametrize("change, phrase", [
    ({"as days": zero_failure_upper_bound(30)}, "chance of an incident on a given day"),
    ({"as days": "0.0000027"}, "\"as days\" is a str"),
    ({"as requests": zero_failure_upper_bound(30)}, "counts days, not requests"),
    ({"as requests": 1e-9}, "n is the month's requests"),
    ({"days for six nines": 30}, "is too few"),
    ({"days for six nines": 400}, "more than needed"),
    ({"days for six nines": 86.5}, "whole number of days"),
    ({"days for six nines": 10**400}, "not a finite number"),
    ({"as requests": math.nan}, "not a finite number"),
    ({"as requests": -1}, "lies above 0"),
    ({"as requests": None}, "still None"),
    ({"incident": None}, "still None"),
    ({"incident": 325_000}, "\"incident\" is a int"),
])
def test_wrong_numbers_in_the_month_are_diagnosed(month, change, phrase):
    assert phrase in diagnosis(MONTH, dict(month, **change))


def test_a_month_read_with_a_months_requests_per_day_is_diagnosed(month):
    assert "divided by a month's requests" in diagnosis(
        MONTH, dict(month, **{"as days": month["as days"] / 30}))


@pytest.mark.parametrize("make, phrase", [
    (lambda: incident(failover="none"), "turn failover on"),
    (lambda: incident(fault=region_outage("region1", at=60, duration=300)), "takes down 4 cells"),
    (lambda: incident(rate=50_000), "offers 50,000 req/s"),
    (lambda: simulate(ring(), constant(130_000), duration=400, arrivals="fluid"),
     "takes down 0 cells"),
])
def test_the_wrong_incident_is_diagnosed(month, make, phrase):
    assert phrase in diagnosis(MONTH, dict(month, incident=make()))


def test_a_record_with_missing_or_extra_entries_is_diagnosed(month):
    assert "no 'days for six nines'" in diagnosis(
        MONTH, {k: v for k, v in month.items() if k != "days for six nines"})
    assert "does not ask for" in diagnosis(MONTH, dict(month, note="hi"))
