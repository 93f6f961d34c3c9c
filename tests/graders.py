"""What every workbook chapter's tests share: hostile artefacts, and grading them measured.

Each ``tests/test_workbook_NN.py`` hands its graders the values below (and artefacts of its
own) and requires a prompt hint in small memory; :func:`measured` is the one place that
times a call and takes its peak memory.
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable


def nested(depth: int) -> list:
    """A list ``depth`` lists deep: the shape YAML aliases or a careless loop can build."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def nested_dict(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@dataclass(frozen=True)
class Measured:
    result: Any
    seconds: float
    peak_bytes: int


def measured(run: Callable[[], Any], *, memory: bool = True) -> Measured:
    """Call ``run()``: its result, the seconds it took and the peak bytes it allocated.

    tracemalloc's bookkeeping slows numpy down several times: for calls that simulate, time
    them with ``memory=False`` and take the memory in a second call.
    """
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        result = run()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] if memory else 0
        if memory:
            tracemalloc.stop()
    return Measured(result, seconds, peak)


#: Values no grader may take for an artefact; each chapter adds artefacts of its own.
BASE_HOSTILE: dict[str, Callable[[], Any]] = {
    "None": lambda: None,
    "NaN": lambda: float("nan"),
    "10**400": lambda: 10**400,
    "-1": lambda: -1,
    "range(10**12)": lambda: range(10**12),
    "a deep list": lambda: nested(100_000),
    "an object": lambda: object(),
}


def refused_promptly(grade: Callable[[], tuple[bool, str]], *, seconds: float = 1.0,
                     memory: int = 64 * 2**20, longest: int = 1_200) -> str:
    """Run a grader on a hostile artefact: it must fail with a hint, promptly, in small
    memory, and say so briefly. Returns the message."""
    run = measured(grade)
    passed, message = run.result
    assert not passed and "Hint:" in message
    assert "Traceback" not in message and len(message) < longest
    assert run.seconds < seconds, f"took {run.seconds:.2f} s"
    assert run.peak_bytes < memory, f"allocated {run.peak_bytes / 2**20:.0f} MiB"
    return message
