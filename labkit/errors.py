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

import itertools
import math
import numbers
from typing import Any, Iterable, Sized


class LabkitError(ValueError):
    """Bad input to labkit: the message names the argument, the value and what is allowed."""


MAX_NAME_LENGTH = 200
MAX_TEXT_LENGTH = 2_000
MAX_NAMES = 100_000          # names in one call: more than any architecture labkit accepts
MAX_POPULATION = 1_000_000  # customer keys routed in one call: about a second of hashing


def fail(argument: str, value: Any, allowed: str) -> LabkitError:
    """Build (not raise) the error, so callers write ``raise fail(...)`` and linters see the raise."""
    return LabkitError(f"{argument}={_shown(value)} is not allowed: {allowed}")


def _shown(value: Any) -> str:
    # A huge int's repr costs quadratic time (and Python refuses past 4300 digits); a huge
    # collection's repr costs memory. Show a short, cheap picture of either.
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        digits = int(value.bit_length() * math.log10(2)) + 1
        return f"{'-' if value < 0 else ''}<an integer of about {digits} digits>"
    if isinstance(value, (list, tuple, set, frozenset, dict)) and len(value) > 20:
        return f"<{type(value).__name__} of {len(value):,} items>"
    try:
        shown = repr(value)
    except Exception:  # noqa: BLE001 - an object whose repr fails is still bad input
        shown = f"<{type(value).__name__}>"
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _is_real(value: Any) -> bool:
    # bool is an int subclass; True as an availability is almost always a slip.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(argument: str, value: Any, *, low: float = -math.inf, high: float = math.inf,
                 low_open: bool = False, allowed: str | None = None) -> float:
    """Return ``value`` as a float if it is a finite real in the range, else raise.

    >>> check_number("seconds", 10**400)
    Traceback (most recent call last):
    ...
    labkit.errors.LabkitError: seconds=<an integer of about 401 digits> is not allowed: expected a number from -inf to inf
    """
    allowed = allowed or f"expected a number from {low} to {high}"
    if not _is_real(value):
        raise fail(argument, value, allowed)
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):  # 10**400 has no float
        raise fail(argument, value, allowed) from None
    too_low = number <= low if low_open else number < low
    if math.isnan(number) or math.isinf(number) or too_low or number > high:
        raise fail(argument, value, allowed)
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
    """A component, feature or scenario name: a string with something other than spaces."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_LENGTH:
        raise fail(argument, value, f"expected a non-empty string of at most {MAX_NAME_LENGTH} "
                   "characters, not only spaces")
    return value


def check_text(argument: str, value: Any) -> str:
    """Free text (a description): a string, possibly empty."""
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
        raise fail(argument, value, f"expected a string of at most {MAX_TEXT_LENGTH} characters")
    return value


def check_flag(argument: str, value: Any) -> bool:
    """A yes/no switch: True or False, nothing that merely looks truthy."""
    if not isinstance(value, bool):
        raise fail(argument, value, "expected True or False")
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


def _bounded_list(argument: str, value: Any, limit: int, allowed: str) -> list:
    """``value`` as a list, refusing strings, mappings, scalars and anything over ``limit`` items."""
    if isinstance(value, (str, bytes, bytearray, dict)) or not isinstance(value, Iterable):
        raise fail(argument, value, allowed)
    if isinstance(value, Sized) and len(value) > limit:
        raise fail(argument, value, f"{allowed}, at most {limit:,} of them")
    items = list(itertools.islice(value, limit + 1))  # a generator may never end
    if len(items) > limit:
        raise fail(argument, f"<more than {limit:,} items>", f"{allowed}, at most {limit:,} of them")
    return items


def check_list(argument: str, value: Any, limit: int, allowed: str) -> list:
    """A list (or tuple, range, generator...) of at most ``limit`` items, as a list.

    >>> check_list("levels", (0.9, 0.99), 100, "expected availabilities")
    [0.9, 0.99]
    """
    return _bounded_list(argument, value, limit, allowed)


def check_names(argument: str, value: Any) -> list[str]:
    """One name or a collection of names, as a list of str."""
    if isinstance(value, str):
        return [check_name(argument, value)]
    allowed = "expected a name or a list of names (strings)"
    names = _bounded_list(argument, value, MAX_NAMES, allowed)
    for name in names:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
            raise fail(argument, value, allowed + " with something other than spaces in each")
    return names


def check_population(argument: str, value: Any) -> list:
    """Customer (partition) keys: a list of str, int or bytes ids; never one bare string."""
    allowed = "expected a list of customer ids (str, int or bytes), not a single value"
    keys = _bounded_list(argument, value, MAX_POPULATION, allowed)
    for key in keys:
        if isinstance(key, bool) or not isinstance(key, (str, int, bytes)):
            raise fail(argument, key, allowed)
    return keys
