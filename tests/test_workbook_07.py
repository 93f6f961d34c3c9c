"""Workbook 07: each check runs what the learner builds (an experiment, a stop condition, a
changed architecture) through chaostoolkit-lib, the simulation and the resilience report.

The solution's artefacts pass; realistic wrong artefacts fail with their own diagnosis; a bare
number never passes a Build; hostile values are refused promptly, in little memory.
"""

from __future__ import annotations

import copy
import math
import re
import runpy

import nbformat
import pytest

from graders import measured, nested, nested_dict
import yaml

from conftest import REPO
from labkit.archfile import dump_architecture, load_architecture
from labkit.chaos import example_path, load_experiment
from labkit.check import Build, Exercise, NotYet, workbook
from labkit.exercises import game_day as chapter
from labkit.model import Architecture
from labkit.report import apply

CHAPTER = "07_game_day"
SOLUTIONS = REPO / "workbook" / "solutions" / f"{CHAPTER}.py"
NOTEBOOK = REPO / "workbook" / f"{CHAPTER}.ipynb"
FIXED, GUARD, GAME_DAY, FIX = ("broken experiment, fixed", "guardrail for a region outage",
                               "game day for the photo site", "the photo site, fixed")


@pytest.fixture(scope="module")
def answers():
    return runpy.run_path(str(SOLUTIONS))["ANSWERS"]


def builds():
    return {e.name: e for e in chapter.exercises() if isinstance(e, Build)}


def finding(name, artefact):
    """What the check says about an artefact that must fail (a diagnosis, or labkit's
    refusal of what was built, shown as a hint)."""
    result = workbook(CHAPTER).check(name, artefact)
    assert not result.passed, result.message
    return " ".join(result.message.split()).lower()


def diagnosis(name, artefact):
    """The grader's NotYet message for an artefact that must fail."""
    with pytest.raises(NotYet) as caught:
        builds()[name].grade(artefact)
    return str(caught.value)


# ------------------------------------------------------------------ the chapter's shape

def test_at_least_two_thirds_are_builds():
    exercises = chapter.exercises()
    kinds = [isinstance(e, Build) for e in exercises]
    assert sum(kinds) * 3 >= 2 * len(kinds) and len(kinds) >= 4
    assert all(isinstance(e, (Build, Exercise)) for e in exercises)


def test_the_notebook_states_the_numbers_the_graders_use():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = " ".join(" ".join(c.source for c in nb.cells if c.cell_type == "markdown")
                    .replace("**", "").split())
    for phrase in (f"{chapter.TRAFFIC:,} requests per second", f"{chapter.SITE_PEAK} requests per second",
                   f"pauses {chapter.PLANNED} s", f"within {chapter.GUARD_WITHIN} s",
                   f"two minutes ({chapter.PAUSE} s)", "without its thumbnailer",
                   f"within {chapter.HALT_WITHIN} s", "rows say *no FIS action*",
                   f"at least {chapter.LEAST_SERVED:.0%}".replace("%", " %"),
                   f"{chapter.SITE_TARGET:.2%}".replace("%", " %"), f"{chapter.DETECTION} s",
                   f"RTO]({'../lessons/glossary.md#rto-rpo'}) of {chapter.SITE_RTO} hour"):
        assert phrase in text, phrase


def test_the_notebook_defines_no_functions():
    # Logic lives in labkit; a notebook cell is a few lines that call it.
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not [c.id for c in nb.cells if c.cell_type == "code" and re.search(r"^\s*def ", c.source, re.M)]


# ------------------------------------------------------------------ the solution passes

def test_every_solution_artefact_passes(answers):
    for name, build in builds().items():
        achieved = build.grade(answers[name])
        assert isinstance(achieved, str) and achieved, name


def test_solutions_score_full_and_blank_scores_zero(capsys):
    wb = workbook(CHAPTER, solutions=str(SOLUTIONS))
    for name in wb.exercises:
        assert wb.check(name, None).passed, name
    assert str(wb.score()) == f"Score: {len(wb.exercises)}/{len(wb.exercises)}"
    capsys.readouterr()
    blank = workbook(CHAPTER)
    for name in blank.exercises:
        assert not blank.check(name, None).passed
    assert str(blank.score()) == f"Score: 0/{len(blank.exercises)}"
    assert capsys.readouterr().out.count("Hint:") == len(blank.exercises)


def test_a_solutions_file_of_bare_numbers_does_not_score_full(tmp_path, capsys):
    # The old chapter's answers: numbers worked out by hand, a field's path, a name.
    numbers = tmp_path / "numbers.py"
    numbers.write_text("ANSWERS = {'broken experiment, fixed': 'rollbacks[0].provider.arguments.component', "
                       "'guardrail for a region outage': 85, "
                       "'game day for the photo site': 31 / 32, "
                       "'the photo site, fixed': 0.9999976, "
                       "'actions without a FIS action': ['bad_deploy', 'traffic_spike', 'poison_request']}\n")
    wb = workbook(CHAPTER, solutions=str(numbers))
    for name in wb.exercises:
        wb.check(name, None)
    score = wb.score()
    assert score.passed <= score.total - len(builds())


# ------------------------------------------------ realistic wrong artefacts, diagnosed

def _fixed(*fixes):
    text = chapter.BROKEN_YAML
    for old, new in fixes:
        assert old in text
        text = text.replace(old, new)
    return text


TOLERANCE = ("tolerance: 0.99", "tolerance: [0.99, 1.0]")
FUNC = ("func: region_down", "func: region_outage")
ARGUMENT = ("arguments: {component: region1}", "arguments: {target: region1}")
REGION = ("arguments: {target: region1}", 'arguments: {target: "${region}"}')


@pytest.mark.parametrize("artefact, phrase", [
    (_fixed(), "tolerance=0.99 is not allowed"),
    (_fixed(), "give a range [low, high]"),
    (_fixed(TOLERANCE), "func='region_down' is not allowed"),
    (_fixed(TOLERANCE, FUNC), "rollbacks[0].provider.arguments.component='region1'"),
    (_fixed(TOLERANCE, FUNC, ARGUMENT), "after your experiment region3 is still down"),
    (_fixed(TOLERANCE, FUNC, ARGUMENT), "it ended nothing the method started"),
    (_fixed(("tolerance: 0.99", "tolerance: [0.9, 1.0]"), FUNC, ARGUMENT, REGION),
     "you loosened the steady state"),
    (_fixed(TOLERANCE, FUNC, ARGUMENT, REGION, ("region: region3", "region: region2")),
     "no longer takes region 3 down"),
    (_fixed(TOLERANCE, FUNC, ARGUMENT, REGION).split("rollbacks:")[0],
     "has no rollback"),
    (_fixed(TOLERANCE, FUNC, ARGUMENT, REGION, ("after: 120", "after: 10")),
     "keeps region 3 down for 10 s"),
    (_fixed(TOLERANCE, FUNC, ARGUMENT, REGION, ("pauses: {after: 120}", "pauses: {before: 120}")),
     "keeps region 3 down for 0 s"),
], ids=["as written", "bare tolerance", "misspelt action", "restore's argument",
        "wrong region restored", "nothing ended", "loosened", "another region", "no rollback",
        "shorter pause", "pause before the fault"])
def test_broken_experiment_diagnoses(artefact, phrase):
    assert phrase.lower() in finding(FIXED, artefact)


def test_the_plan_kept_two_minutes_passes_however_it_waits():
    # Graded by what the run does: region 3 down for 120 s, whether by one pause or two steps.
    split = _fixed(TOLERANCE, FUNC, ARGUMENT, REGION, (
        "pauses: {after: 120}",
        "pauses: {after: 60}\n  - {type: action, name: wait, provider: {type: python, "
        "module: labkit.chaos.actions, func: wait, arguments: {seconds: 60}}}"))
    assert "120 s after it went down" in builds()[FIXED].grade(split)


def test_the_hints_for_a_loosened_tolerance_speak_only_of_the_plan(capsys):
    # A learner whose rollback is right was told to compare it with the method: the hints
    # are about keeping the plan; what to do with a rollback is the rollback's diagnosis.
    loosened = _fixed(("tolerance: 0.99", "tolerance: [0.9, 1.0]"), FUNC, ARGUMENT, REGION)
    wb = workbook(CHAPTER)
    messages = [" ".join(wb.check(FIXED, loosened).message.split()).lower() for _ in range(3)]
    for message in messages:
        assert "you loosened the steady state" in message and "rollback ends" not in message
    assert "at least 99 % served" in messages[-1] and "compare what" not in messages[-1]
    wrong_rollback = finding(FIXED, _fixed(TOLERANCE, FUNC, ARGUMENT))
    assert "compare what it restores with what the method broke" in wrong_rollback
    capsys.readouterr()


def test_the_fixed_experiment_passes_as_a_dict_and_as_a_file(tmp_path):
    text = _fixed(TOLERANCE, FUNC, ARGUMENT, REGION)
    assert "brought region 3 back at 180 s" in builds()[FIXED].grade(yaml.safe_load(text))
    path = tmp_path / "fixed.yaml"
    path.write_text(text)
    assert builds()[FIXED].grade(str(path))


def _stop(low=0.95, frequency=5, func="success_ratio", **extra):
    probe = {"type": "probe", "name": "guardrail", "frequency": frequency,
             "tolerance": {"type": "range", "range": [low, 1.0]},
             "provider": {"type": "python", "module": "labkit.chaos.probes", "func": func,
                          "arguments": {"window": 60}}}
    probe.update(extra)
    return probe


@pytest.mark.parametrize("artefact, phrase", [
    (_stop(0.99), "halted the game day with the health check at 65 s"),
    (_stop(0.99), "it stops harm the plan expects"),
    (_stop(0.875), "without failover your stop condition had not fired 65 s into the outage"),
    (_stop(0.8), "inside its tolerance [0.8, 1]"),
    (_stop(0.9), "fired 50 s into the outage, later than 30 s"),
    (_stop(0.95, frequency=64), "fired 64 s into the outage, later than 30 s"),
    (_stop(0.95, frequency=90), "(every 90 s) stayed inside"),
    (_stop(0.9, frequency=5)["provider"], "has no tolerance"),
    (_stop(func="success_ration"), "did you mean 'success_ratio'?"),
    ({str(i): i for i in range(20)}, "a probe has type, name, provider, tolerance and frequency"),
], ids=["too tight", "expected harm", "at the floor", "too loose", "the lesson's 90 %", "read too rarely",
        "read too rarely to see it", "provider only", "misspelt probe", "many fields"])
def test_guardrail_diagnoses(artefact, phrase):
    assert phrase.lower() in finding(GUARD, artefact)


def test_a_guardrail_placed_between_the_harms_passes_at_the_limit():
    # 1 - (30/60)/8 = 0.9375 is read 30 s into the outage: a guardrail just above it halts
    # then, at the limit; the lesson's 90 % would wait until 50 s.
    assert "halts it 30 s into the outage" in builds()[GUARD].grade(_stop(0.94, frequency=10))


def test_the_game_day_hint_does_not_tell_a_learner_who_crashes_an_app_server_to_crash_one():
    first = builds()[GAME_DAY].hints[0].lower()
    assert "crash that one" not in first and "which component" not in first


def test_a_guardrail_as_yaml_text_passes():
    assert "halts it 25 s into the outage" in builds()[GUARD].grade(yaml.safe_dump(_stop()))


def _game_day(component="app-a", stop=(0.5, 1.0), frequency=5, drop=(), **configuration):
    exp = load_experiment(example_path("component_crash"))
    exp["configuration"] = {"component": component, **configuration}
    condition = exp["controls"][0]["provider"]["arguments"]["probes"][0]
    condition["tolerance"]["range"], condition["frequency"] = list(stop), frequency
    for part in drop:
        exp.pop(part)
    return exp


def _restoring(target):
    exp = _game_day()
    exp["rollbacks"][0]["provider"]["arguments"]["target"] = target
    return exp


def _only_waiting():
    exp = _game_day()
    exp["method"] = [{"type": "action", "name": "wait", "provider": {
        "type": "python", "module": "labkit.chaos.actions", "func": "wait",
        "arguments": {"seconds": 120}}}]
    return exp


@pytest.mark.parametrize("artefact, phrase", [
    (load_experiment(example_path("component_crash")),
     "expected a component of 'photo site' that can fail"),
    (_game_day(stop=(0.8, 1.0)), "your stop condition halted the game day at 100 s"),
    (_game_day(stop=(0.8, 1.0)), "between the harm you expect and the harm you do not"),
    (_game_day(stop=(0.0, 1.0)), "your stop condition never fires"),
    (_game_day(stop=(0.0, 1.0)), "tolerance [0, 1], read every 5 s"),
    (_game_day(frequency=120), "fires 120 s after the database crashed too, later than 60 s"),
    (_game_day(drop=("rollbacks",)), "your experiment has no rollback"),
    (_game_day(drop=("controls",)), "your experiment has no stop condition"),
    (_game_day(drop=("steady-state-hypothesis",)), "no steady-state hypothesis"),
    (_only_waiting(), "your method injects no fault"),
    (_restoring("app-b"), "after your experiment app-a is still down"),
    (_game_day("search"), "held on the photo site as it is"),
    (_game_day("search"), "the report's top recommendation says which fault it guards against"),
    (_game_day("db", stop=(0.0, 1.0)), "after the report's top recommendation"),
    (_game_day("db"), "your stop condition halted the game day"),
], ids=["shop's template", "template's guardrail", "guardrail placement", "never fires",
        "its tolerance", "read too rarely", "no rollback", "no stop condition",
        "no hypothesis", "no fault", "wrong rollback", "soft dependency", "what to crash",
        "total outage",
        "total outage halts"])
def test_game_day_diagnoses(artefact, phrase):
    assert phrase.lower() in finding(GAME_DAY, artefact)


def test_a_zone_outage_also_finds_the_weakness():
    # Graded by behaviour: losing app-a's zone is the same weakness, and passes.
    exp = _game_day()
    exp["method"][0]["provider"] = {"type": "python", "module": "labkit.chaos.actions",
                                    "func": "zone_outage", "arguments": {"zone": "zone-a"}}
    exp["rollbacks"][0]["provider"]["arguments"]["target"] = "zone-a"
    assert "deviates" in builds()[GAME_DAY].grade(exp)


def _site(**capacities):
    data = dump_architecture(chapter.photo_site())
    for entry in data["components"]:
        entry["capacity"] = capacities.get(entry["name"].replace("-", "_"), entry.get("capacity"))
        if entry["capacity"] is None:
            entry.pop("capacity")
    return load_architecture(data)


def _one_big_server():
    data = dump_architecture(chapter.photo_site())
    data["components"] = [c for c in data["components"] if c["name"] != "app-b"]
    data["groups"] = []
    data["failure_domains"] = [d for d in data["failure_domains"] if d["name"] != "zone-b"]
    data["dependencies"] = [d for d in data["dependencies"] if "app-b" not in (d["from"], d["to"])]
    for d in data["dependencies"]:
        if d["to"] == "app servers":
            d["to"] = "app-a"
    next(c for c in data["components"] if c["name"] == "app-a")["capacity"] = 600
    return load_architecture(data)


def _three_servers():
    data = dump_architecture(chapter.photo_site())
    data["components"].append(dict(next(c for c in data["components"] if c["name"] == "app-b"),
                                   name="app-c"))
    data["groups"][0]["members"].append("app-c")
    data["failure_domains"].append({"name": "zone-c", "members": ["app-c"], "availability": 0.9999})
    data["dependencies"] += [{"from": "app-c", "to": "db"},
                             {"from": "app-c", "to": "search", "kind": "soft"}]
    for part in ("components", "groups", "failure_domains"):
        for entry in data[part]:
            entry.pop("pos", None)
    return load_architecture(data)


def _top(recommendation):
    site = chapter.photo_site()
    return apply(site, chapter.site_report(site).recommendations[recommendation])


@pytest.mark.parametrize("artefact, phrase", [
    (chapter.photo_site(), "losing one of your app servers leaves 400 req/s for a peak of 600"),
    (_site(app_a=600), "losing one of your app servers leaves 400 req/s"),
    (_top(1), "still finds a capacity shortfall"),
    (_site(app_a=600, app_b=600, lb=500), "lb serves at most 500 req/s at a peak of 600"),
    (_one_big_server(), "your change lowers view photos from 99.944 % to"),
    (Architecture("empty").add_component("x"), "has no feature 'view photos'"),
], ids=["unchanged", "one server raised", "a db replica instead", "load balancer too small",
        "one big server", "another architecture"])
def test_fix_diagnoses(artefact, phrase):
    assert phrase.lower() in finding(FIX, artefact)


def test_more_servers_of_today_size_also_pass():
    # The report offers it too ("or run 3 replicas"): graded by what the site does.
    assert "losing any one of app-a, app-b, app-c" in builds()[FIX].grade(_three_servers())


def test_diagnoses_never_give_the_answer_away():
    for text in (finding(GUARD, _stop(0.875)), finding(GUARD, _stop(0.99)),
                 finding(GAME_DAY, _game_day(stop=(0.8, 1.0))),
                 finding(GAME_DAY, _game_day(stop=(0.0, 1.0))),
                 finding(FIX, chapter.photo_site())):
        assert "0.95" not in text and "[0.5" not in text and "600 req/s each" not in text
    for hint in (h for b in builds().values() for h in b.hints):
        assert "0.95" not in hint and "[0.5" not in hint and "600 req/s" not in hint
        assert "region_outage" not in hint and "target:" not in hint


# ---------------------------------------------------------------- bare numbers, hostile

BARE = [31 / 32, 85, 0.9999976, 600, 1]


@pytest.mark.parametrize("value", BARE)
@pytest.mark.parametrize("name", sorted(builds()))
def test_a_bare_number_fails_every_build(name, value):
    assert "hand in" in diagnosis(name, value)


HOSTILE = [None, math.nan, 10**400, -1, "photo_site()", {"a": 1}, range(10**12),
           nested(100_000), [chapter.photo_site()], b"bytes", object(), math.inf, True,
           Ellipsis, {str(i): i for i in range(100_000)}, "x" * 10_000_000, nested_dict(50_000),
           "[" * 100_000]
HOSTILE_IDS = ["None", "nan", "10**400", "-1", "string", "dict", "range", "nested", "list",
               "bytes", "object", "inf", "True", "Ellipsis", "huge dict", "huge string",
               "nested dict", "nested yaml"]


@pytest.mark.parametrize("value", HOSTILE, ids=HOSTILE_IDS)
@pytest.mark.parametrize("name", sorted(builds()))
def test_hostile_values_are_refused_promptly(name, value, capsys):
    wb = workbook(CHAPTER)
    run = measured(lambda: wb.check(name, value))
    result, elapsed, peak = run.result, run.seconds, run.peak_bytes
    out = capsys.readouterr().out
    assert not result.passed
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s"
    assert peak < 50e6, f"{name}: {peak / 1e6:.0f} MB"
    assert "Hint:" in out and "Traceback" not in out


def _long_plan(steps, pause):
    exp = yaml.safe_load(_fixed(TOLERANCE, FUNC, ARGUMENT, REGION))
    exp["method"] = [dict(copy.deepcopy(exp["method"][0]), name=f"step {i}", pauses={"after": pause})
                     for i in range(steps)]
    return exp


def _huge_site():
    data = dump_architecture(chapter.photo_site())
    data["components"] += [{"name": f"extra-{i}"} for i in range(5_000)]
    return load_architecture(data)


HOSTILE_BUILT = {   # (artefact, whether it must fail); the rest must only be prompt
    FIXED: [(_long_plan(10**5, 1), True), (_long_plan(1, 86_400), True), (_long_plan(10, 80), False)],
    GUARD: [(_stop(frequency=86_400), True), (_stop(frequency=1e-9), True),
            (_stop(0.95, frequency=0.01), True)],
    GAME_DAY: [(_long_plan(10, 80), True), (dict(_game_day(), method=[_game_day()["method"][0]] * 10), False)],
    FIX: [(_huge_site(), True), (_site(app_a=1e-9, app_b=1e-9), True),
          (_site(app_a=10**15, app_b=10**15), False), (Architecture("empty"), True)],
}


@pytest.mark.parametrize("name, value, must_fail",
                         [(n, v, f) for n, vs in HOSTILE_BUILT.items() for v, f in vs])
def test_hostile_artefacts_built_with_labkit_are_refused_promptly(name, value, must_fail, capsys):
    # Valid-looking artefacts the grader may run (at most 900 simulated seconds): timed
    # without tracemalloc, which slows numpy down; memory measured in a second run.
    timed = measured(lambda: workbook(CHAPTER).check(name, value), memory=False)
    result, elapsed = timed.result, timed.seconds
    peak = measured(lambda: workbook(CHAPTER).check(name, value)).peak_bytes
    out = capsys.readouterr().out
    assert "Traceback" not in out
    assert elapsed < 3.0, f"{name}: {elapsed:.2f} s"
    assert peak < 100e6, f"{name}: {peak / 1e6:.0f} MB"
    if must_fail:
        assert not result.passed, out


def test_a_huge_site_is_refused_before_it_is_run():
    assert "at most 60 are graded" in diagnosis(FIX, _huge_site())
