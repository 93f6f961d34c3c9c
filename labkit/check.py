"""Exercise checks: right or wrong with a hint, never the answer, never a traceback.

A workbook chapter is a list of exercises (see ``labkit.exercises``) of two kinds:

- :class:`Build`: the learner hands in something they built (an architecture, a retry
  policy, a breaker configuration, an experiment, ...) and the check runs it through labkit
  and grades what it *does*; a failing check says what is wrong with the artefact.
- :class:`Exercise`: the learner hands in a value (a number, a name, a set of names) that is
  compared with what labkit computes.

In a notebook:

>>> wb = workbook("01_monolith")
>>> result = wb.check("chain availability", None)
❌ chain availability: not yet. Hint: Replace None with your answer.
>>> result.passed
False

Run with ``solutions="../workbook/solutions/01_monolith.py"`` (a papermill parameter), every ``check`` grades
the solution file's answer instead of the cell's: that is how CI proves the solutions pass.
"""

from __future__ import annotations

import itertools
import math
import numbers
import runpy
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import LabkitError, check_choice, fail


@dataclass(frozen=True)
class Exercise:
    """One question: how to compute the right answer, how to compare, and what to hint.

    ``kind``: ``"availability"`` (a fraction in [0, 1], compared on unavailability, so 0.9997
    and 0.9996 differ), ``"number"`` (relative tolerance), ``"count"`` (a whole number),
    ``"name"`` (one of the words), ``"names"`` (a set of words, order free).
    ``hints``: shown in turn, the most general first; never containing the answer.
    """

    name: str
    kind: str
    expected: Callable[[], Any]
    hints: tuple[str, ...]
    tolerance: float = 0.01

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, ("availability", "number", "count", "name", "names"))


class NotYet(Exception):
    """Raised by a :class:`Build` grader: the artefact runs, but does not do what was asked.

    The message diagnoses the artefact in the learner's words ("your experiment has no
    rollback"); it is shown as the check's hint, so it must never contain the answer.
    """


@dataclass(frozen=True)
class Build:
    """An exercise graded on what the learner builds, by what it does.

    ``grade(artefact)`` runs the learner's artefact through labkit. It returns a short
    sentence saying what the artefact achieved (shown with the ✅), or raises
    :class:`NotYet` with a diagnosis of what is wrong with it. A :class:`LabkitError` from
    labkit while running it (the learner built something labkit refuses) is shown as a hint
    too. ``hands_in`` says what to hand in ("an Architecture", "a Retry"), for the empty
    check and for a value of the wrong kind. ``hints`` are shown in turn after the
    diagnosis, the most general first.

    >>> def grade(n):
    ...     if not isinstance(n, int) or isinstance(n, bool):
    ...         raise NotYet("hand in a whole number.")
    ...     if n < 3:
    ...         raise NotYet(f"{n} replicas are not enough.")
    ...     return f"{n} replicas are enough."
    >>> wb = Workbook("demo", {"replicas": Build("replicas", grade, ("count up from one.",),
    ...                                           "a whole number")})
    >>> _ = wb.check("replicas", 2)
    ❌ replicas: not yet. Hint: 2 replicas are not enough. Count up from one.
    >>> _ = wb.check("replicas", 3)
    ✅ replicas: 3 replicas are enough.
    """

    name: str
    grade: Callable[[Any], str]
    hints: tuple[str, ...]
    hands_in: str


@dataclass
class CheckResult:
    exercise: str
    passed: bool
    message: str

    def _ipython_display_(self) -> None:
        # check() already printed the message; as a cell's last line, show it only once.
        pass


MAX_NAMES_IN_ANSWER = 1_000  # an architecture in the workbook has far fewer components


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _sentence(text: str) -> str:
    """`` Text.``: a hint or diagnosis as a sentence following another."""
    if not text:
        return ""
    # A sentence starts with a capital and ends with a stop; one starting with code (or
    # labkit's name) keeps its case.
    first = text.split(" ", 1)[0]
    if first.isalpha() and first != "labkit":
        text = text[0].upper() + text[1:]
    end = text.rstrip()
    # "(... or None)" is not a sentence's end; "(... 50 %.)" is.
    done = end[-1:] in ".!?:" or (end.endswith(")") and end[:-1].rstrip()[-1:] in ".!?")
    return " " + (text if done else end + ".")


MAX_FINDING = 600  # characters of a grader's message shown: a diagnosis, not a dump


def _grade_build(task: Build, artefact: Any) -> tuple[bool, str]:
    """(passed, what the artefact did or what is wrong with it)."""
    if artefact is None or artefact is Ellipsis:
        return False, f"replace None with {task.hands_in}."
    try:
        finding, ok = task.grade(artefact), True
    except NotYet as short:
        finding, ok = str(short), False
    except LabkitError as refused:
        finding, ok = f"labkit refused what you built: {refused}", False
    except RecursionError:
        finding, ok = "what you handed in nests too deeply to run.", False
    except Exception as exc:  # noqa: BLE001 - a learner's odd object: a hint, not a traceback
        finding, ok = (f"could not run that as {task.hands_in} "
                       f"({type(exc).__name__}: {_short(str(exc))})."), False
    return ok, _short(str(finding))


def _short(text: str) -> str:
    return text if len(text) <= MAX_FINDING else text[:MAX_FINDING - 3] + "..."


def _compare(exercise: Exercise, answer: Any, expected: Any) -> tuple[bool, str]:
    """(passed, a hint about *how* it is wrong) without revealing ``expected``."""
    if answer is None or answer is Ellipsis:
        return False, "replace None with your answer."
    kind = exercise.kind
    if kind in ("availability", "number", "count"):
        if not _is_number(answer):
            return False, f"expected a number, got {type(answer).__name__}."
        if kind == "availability":
            if answer > 1 and answer <= 100:
                return False, "give availability as a fraction between 0 and 1, not a percentage."
            if not 0 <= answer <= 1:
                return False, "an availability lies between 0 and 1."
            got, want = 1.0 - float(answer), 1.0 - float(expected)
            close = math.isclose(got, want, rel_tol=exercise.tolerance, abs_tol=1e-12)
            direction = "optimistic (too available)" if got < want else "pessimistic (too low)"
        elif kind == "count":
            if float(answer) != int(answer):
                return False, "expected a whole number."
            close = int(answer) == int(expected)
            direction = "too high" if answer > expected else "too low"
        else:
            close = math.isclose(float(answer), float(expected), rel_tol=exercise.tolerance,
                                 abs_tol=1e-12)
            direction = "too high" if answer > expected else "too low"
        return close, "" if close else f"your answer is {direction}."
    if kind == "name":
        if not isinstance(answer, str):
            return False, "expected a name, as a string in quotes."
        return answer.strip() == expected, "" if answer.strip() == expected else "not that one."
    if isinstance(answer, (str, bytes, dict)) or not hasattr(answer, "__iter__"):
        return False, "expected a list or set of names, e.g. [\"app\", \"db\"]."
    items = list(itertools.islice(iter(answer), MAX_NAMES_IN_ANSWER + 1))  # range(10**12)...
    if len(items) > MAX_NAMES_IN_ANSWER:
        return False, f"expected a list of at most {MAX_NAMES_IN_ANSWER} names."
    given = {str(a).strip() for a in items}
    wanted = set(expected)
    if given == wanted:
        return True, ""
    missing, extra = len(wanted - given), len(given - wanted)
    parts = []
    if missing:
        parts.append(f"{missing} missing")
    if extra:
        parts.append(f"{extra} that should not be there")
    return False, "your set has " + " and ".join(parts) + "."


@dataclass
class Workbook:
    """The exercises of one chapter and the learner's progress through them."""

    chapter: str
    exercises: dict[str, "Exercise | Build"]
    solutions: dict[str, Any] | None = None
    attempts: dict[str, int] = field(default_factory=dict)
    passed: dict[str, bool] = field(default_factory=dict)

    def check(self, name: str, answer: Any) -> CheckResult:
        """Grade ``answer`` for exercise ``name`` and print right/wrong with a hint."""
        if not isinstance(name, str) or name not in self.exercises:
            raise fail("name", name, "expected an exercise of chapter "
                       f"{self.chapter!r}: " + ", ".join(map(repr, self.exercises)))
        exercise = self.exercises[name]
        if self.solutions is not None:
            answer = self.solutions.get(name)
        tries = self.attempts.get(name, 0)
        if answer is not None:  # an unanswered cell is not a try: keep the gentlest hint
            self.attempts[name] = tries + 1
        if isinstance(exercise, Build):
            ok, how = _grade_build(exercise, answer)
        else:
            # Outside the try below: a bug in an exercise must fail loudly (CI runs every
            # check), never reach the learner disguised as a hint.
            expected = exercise.expected()
            try:
                ok, how = _compare(exercise, answer, expected)
            except Exception as exc:  # a learner's odd object must yield a hint, not a traceback
                ok, how = False, f"could not compare that answer ({type(exc).__name__})."
        self.passed[name] = ok   # the score counts each exercise's last check
        if ok:
            message = f"✅ {name}: " + (how if isinstance(exercise, Build) else "correct.")
        else:
            # Hints get more specific with each try; an empty answer only needs filling in.
            hint = ""
            if answer is not None and exercise.hints:
                hint = _sentence(exercise.hints[min(tries, len(exercise.hints) - 1)])
            message = f"❌ {name}: not yet. Hint: {_sentence(how).strip()}{hint}"
        # JupyterLab breaks long output lines anywhere, even mid-word: wrap them ourselves.
        message = textwrap.fill(message, width=88, subsequent_indent="   ",
                                break_long_words=False, break_on_hyphens=False)
        print(message)
        return CheckResult(name, ok, message)

    def __repr__(self) -> str:
        # A learner who types `wb` sees their progress, not every hint and grader.
        done = sum(1 for name in self.exercises if self.passed.get(name))
        tried = sum(1 for name in self.exercises if self.attempts.get(name))
        names = ", ".join(repr(n) for n in self.exercises)
        return (f"<workbook {self.chapter!r}: {done} of {len(self.exercises)} done, "
                f"{tried} tried; exercises: {names}>")

    def score(self) -> "Score":
        """Print 'Score: k/n' over the chapter's exercises, and return it.

        >>> wb = workbook("01_monolith")
        >>> result = wb.score()
        Score: 0/5
        >>> result.passed, result.total
        (0, 5)
        """
        result = Score(sum(1 for name in self.exercises if self.passed.get(name)),
                       len(self.exercises))
        print(result)
        return result


@dataclass(frozen=True)
class Score:
    """How many of a chapter's exercises pass. Printed once by ``score()``, not echoed again."""

    passed: int
    total: int

    def __str__(self) -> str:
        return f"Score: {self.passed}/{self.total}"

    def _ipython_display_(self) -> None:
        # score() already printed the line; as a cell's last expression, show nothing more.
        pass


def load_solutions(path: str | Path) -> dict[str, Any]:
    """Run a solutions file and return its ``ANSWERS`` mapping."""
    try:
        exists = isinstance(path, (str, Path)) and Path(path).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        exists = False
    if not exists:
        raise fail("solutions", str(path), "expected the path of a solutions .py file, "
                   "e.g. ../workbook/solutions/01_monolith.py, or \"\" for none")
    namespace = runpy.run_path(str(path))
    answers = namespace.get("ANSWERS")
    if not isinstance(answers, dict):
        raise fail("solutions", str(path), "expected the file to define a dict named ANSWERS")
    return answers


def workbook(chapter: str, solutions: str | Path | None = "") -> Workbook:
    """The chapter's exercises; ``solutions``: a solutions file to grade instead (CI), or ""."""
    from .exercises import CHAPTERS

    check_choice("chapter", chapter, CHAPTERS)
    exercises = {e.name: e for e in CHAPTERS[chapter]()}
    answers = None if solutions in ("", None) else load_solutions(solutions)
    return Workbook(chapter, exercises, answers)
