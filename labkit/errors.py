"""One error type for bad input, and the checks that raise it.

Every public labkit function validates its arguments with these helpers, so a learner who
types a wrong value reads *which* argument was wrong, *what* they passed and *what* is
allowed, never a numpy or networkx traceback.

>>> from labkit.errors import check_probability
>>> check_probability("availability", 0.999)
0.999
>>> check_probability("availability", 1.5)
Traceback (most recent call last):
...
labkit.errors.LabkitError: availability=1.5 is not allowed: expected a number between 0 and 1
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable


class LabkitError(ValueError):
    """Bad input to labkit: the message names the argument, the value and what is allowed."""


def fail(argument: str, value: Any, allowed: str) -> LabkitError:
    """Build (not raise) the error, so callers write ``raise fail(...)`` and linters see the raise."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return LabkitError(f"{argument}={shown} is not allowed: {allowed}")


def _is_real(value: Any) -> bool:
    # bool is an int subclass; True as an availability is almost always a slip.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(argument: str, value: Any, *, low: float = -math.inf, high: float = math.inf,
                 low_open: bool = False, allowed: str | None = None) -> float:
    """Return ``value`` as a float if it is a finite real in the range, else raise."""
    if not _is_real(value) or math.isnan(float(value)):
        raise fail(argument, value, allowed or f"expected a number from {low} to {high}")
    number = float(value)
    too_low = number <= low if low_open else number < low
    if too_low or number > high or math.isinf(number):
        raise fail(argument, value, allowed or f"expected a number from {low} to {high}")
    return number


def check_probability(argument: str, value: Any) -> float:
    """An availability or probability: a real number in [0, 1]."""
    return check_number(argument, value, low=0.0, high=1.0,
                        allowed="expected a number between 0 and 1")


def check_positive(argument: str, value: Any) -> float:
    """A duration, capacity or rate: a finite number above zero."""
    return check_number(argument, value, low=0.0, low_open=True,
                        allowed="expected a finite number above 0")


def check_count(argument: str, value: Any, *, low: int = 0, high: int | None = None) -> int:
    """A whole number in [low, high]."""
    top = "" if high is None else f" and at most {high}"
    allowed = f"expected a whole number of at least {low}{top}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(argument, value, allowed)
    number = int(value)
    if number < low or (high is not None and number > high):
        raise fail(argument, value, allowed)
    return number


def check_name(argument: str, value: Any) -> str:
    """A component or feature name: a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise fail(argument, value, "expected a non-empty string")
    return value


def check_choice(argument: str, value: Any, choices: Iterable[Any]) -> Any:
    """One of a fixed set of words."""
    options = list(choices)
    try:
        ok = value in options
    except TypeError:  # unhashable values cannot be in a set-like container
        ok = False
    if not ok:
        raise fail(argument, value, "expected one of " + ", ".join(repr(o) for o in options))
    return value


def check_names(argument: str, value: Any) -> list[str]:
    """One name or a collection of names, as a list of str."""
    if isinstance(value, str):
        return [value]
    allowed = "expected a name or a list of names (strings)"
    if isinstance(value, (bytes, dict)) or not isinstance(value, Iterable):
        raise fail(argument, value, allowed)
    names = list(value)
    if not all(isinstance(n, str) for n in names):
        raise fail(argument, value, allowed)
    return names
