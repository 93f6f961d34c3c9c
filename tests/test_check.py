"""labkit.check: exercises graded on what the learner builds, and the workbook's contracts.

Every chapter grades at least two thirds of its exercises on an artefact the learner builds
(``Build``), run through labkit; a bare number never passes one, so a solutions file with
only the numbers cannot score full marks; a hostile artefact gets a hint, promptly, never a
traceback. Each chapter's own graders are tested in ``tests/test_workbook_NN.py``.
"""

from __future__ import annotations

import math
import runpy

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from labkit import LabkitError
from labkit.check import Build, Exercise, NotYet, Workbook, workbook
from labkit.exercises import CHAPTERS

from conftest import REPO
from test_bad_input import EXAMPLES, _measured, address_space_limit, hostile

CHAPTER_NAMES = sorted(CHAPTERS)
BUILDS = [(chapter, e.name) for chapter in CHAPTER_NAMES for e in CHAPTERS[chapter]()
          if isinstance(e, Build)]
#: What a learner who only worked out numbers (or names) would hand in.
BARE_VALUES = (0.9999, 3, 31 / 32, 85.0, 0, -1, "db", ["lb", "db"], {"db"}, True, "", [])


def solutions(chapter: str) -> dict:
    return runpy.run_path(str(REPO / "workbook" / "solutions" / f"{chapter}.py"))["ANSWERS"]


@pytest.mark.parametrize("chapter", CHAPTER_NAMES)
def test_two_thirds_of_every_chapter_grade_what_the_learner_builds(chapter):
    exercises = CHAPTERS[chapter]()
    builds = [e for e in exercises if isinstance(e, Build)]
    assert len(exercises) >= 4
    assert 3 * len(builds) >= 2 * len(exercises), (
        f"{chapter}: {len(builds)} of {len(exercises)} exercises grade an artefact")


@pytest.mark.parametrize("chapter, name", BUILDS)
def test_a_bare_value_never_passes_a_build(chapter, name, capsys):
    wb = workbook(chapter)
    for value in BARE_VALUES:
        result = wb.check(name, value)
        assert not result.passed, (name, value)
        assert "Hint:" in result.message
    capsys.readouterr()


@pytest.mark.parametrize("chapter", CHAPTER_NAMES)
def test_a_solutions_file_with_only_numbers_does_not_score_full(chapter, capsys):
    # Replace every artefact of the instructor's key by what a learner could work out by
    # hand: a number (the artefact's availability, say). Values stay as they are.
    exercises = workbook(chapter).exercises
    answers = {name: 0.9999 if isinstance(exercises[name], Build) else value
               for name, value in solutions(chapter).items()}
    wb = Workbook(chapter, exercises, answers)
    for name in wb.exercises:
        wb.check(name, None)
    score = wb.score()
    builds = sum(isinstance(e, Build) for e in wb.exercises.values())
    assert score.passed <= score.total - builds < score.total
    capsys.readouterr()


@pytest.mark.parametrize("chapter", CHAPTER_NAMES)
def test_the_key_passes_every_build_and_each_says_what_it_achieved(chapter, capsys):
    wb = workbook(chapter)
    for name, value in solutions(chapter).items():
        result = wb.check(name, value)
        assert result.passed, result.message
        if isinstance(wb.exercises[name], Build):
            assert result.message.startswith(f"✅ {name}: ") and "correct." not in result.message
    capsys.readouterr()


@settings(max_examples=max(300, EXAMPLES // 5), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(BUILDS), hostile)
def test_a_hostile_artefact_gets_a_hint_promptly(build, artefact):
    chapter, name = build
    wb = workbook(chapter)
    with address_space_limit():
        result = _measured(lambda: wb.check(name, artefact))
    assert result.passed is False and "Hint:" in result.message


# ------------------------------------------------------------------ the mechanism itself


def flat(text: str) -> str:
    """A check's message without the line breaks its wrapping adds."""
    return " ".join(text.split())


def _replicas(n):
    if not isinstance(n, int) or isinstance(n, bool):
        raise NotYet("hand in a whole number of replicas.")
    if n > 10**6:
        raise LabkitError(f"replicas={n} is not allowed: expected at most 1,000,000")
    if n < 3:
        raise NotYet(f"{n} replicas leave the tier short of the target.")
    return f"{n} replicas meet the target."


def _demo(grade=_replicas):
    task = Build("replicas", grade, ("count up from one.", "the tier is down only when all are."),
                 "a whole number")
    return Workbook("demo", {"replicas": task,
                             "q": Exercise("q", "number", lambda: 2.0, ("double it.",))})


def test_a_build_shows_its_diagnosis_then_ever_more_specific_hints(capsys):
    wb = _demo()
    assert not wb.check("replicas", None).passed
    assert "Replace None with a whole number." in flat(capsys.readouterr().out)
    wb.check("replicas", 1)
    first = flat(capsys.readouterr().out)
    assert "1 replicas leave the tier short of the target. Count up from one." in first
    wb.check("replicas", 2)
    assert "The tier is down only when all are." in flat(capsys.readouterr().out)
    result = wb.check("replicas", 3)
    assert result.passed and result.message == "✅ replicas: 3 replicas meet the target."
    assert str(wb.score()) == "Score: 1/2"


def test_labkit_refusing_an_artefact_and_a_grader_crash_are_hints_not_tracebacks(capsys):
    wb = _demo()
    assert not wb.check("replicas", 10**7).passed
    assert ("labkit refused what you built: replicas=10000000 is not allowed: expected at most "
            "1,000,000. Count up from one.") in flat(capsys.readouterr().out)

    def crashes(_):
        return {}["missing"]
    broken = _demo(crashes)
    result = broken.check("replicas", 3)
    assert not result.passed and "Could not run that as a whole number (KeyError" in flat(result.message)

    def too_deep(_):
        return too_deep(_)
    assert "nests too deeply" in flat(_demo(too_deep).check("replicas", 3).message)


def test_a_long_diagnosis_is_cut_and_wrapped():
    wb = _demo(lambda _: (_ for _ in ()).throw(NotYet("x " * 2_000)))
    message = wb.check("replicas", 3).message
    assert len(message) < 800 and all(len(line) <= 88 for line in message.splitlines())


def test_solutions_grade_the_file_not_the_cell():
    wb = Workbook("demo", _demo().exercises, {"replicas": 3})
    assert wb.check("replicas", 1).passed          # the key's 3, not the cell's 1
    assert not wb.check("q", 2.0).passed           # the key has no answer for q


def test_value_exercises_still_compare_and_hint_the_direction():
    wb = _demo()
    assert wb.check("q", 2.0).passed
    assert "too high" in wb.check("q", 3.0).message
    assert not wb.check("q", math.nan).passed


def test_a_workbook_shows_progress_not_its_hints():
    wb = _demo()
    wb.check("replicas", 1)
    wb.check("q", 2.0)
    shown = repr(wb)
    assert shown == "<workbook 'demo': 1 of 2 done, 2 tried; exercises: 'replicas', 'q'>"
    assert "Count up" not in shown and "grade" not in shown


def test_the_score_counts_each_exercises_last_check():
    wb = _demo()
    wb.check("q", 2.0)
    assert wb.score().passed == 1
    wb.check("q", 0.5)          # a right answer overwritten by a wrong one no longer counts
    assert wb.score().passed == 0


def test_a_diagnosis_ending_in_brackets_still_ends_its_sentence():
    wb = _demo(lambda _: (_ for _ in ()).throw(NotYet("expected a BreakerConfig (or None)")))
    assert "(or None). Count up from one." in flat(wb.check("replicas", 3).message)
    wb = _demo(lambda _: (_ for _ in ()).throw(NotYet("it opened (at 65 s.)")))
    assert "(at 65 s.) Count up from one." in flat(wb.check("replicas", 3).message)
