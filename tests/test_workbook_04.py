"""Workbook 04 (cells): the checks grade what the learner builds, by what it does.

For every Build: the instructor's artefact passes; realistic wrong artefacts fail with a
diagnosis naming what is wrong with them; a bare number fails; hostile values fail promptly
and in small memory. The targets the questions state in the notebook are the graders'.
"""

from __future__ import annotations

import itertools
import re
import runpy
import time

import nbformat
import numpy as np
import pytest

from graders import BASE_HOSTILE, nested, refused_promptly

import labkit
from labkit import catalog, sharding
from labkit.check import Build, Exercise, workbook
from labkit.exercises import cells as chapter

from conftest import REPO

SOLUTIONS = REPO / "workbook" / "solutions" / "04_cells.py"
NOTEBOOK = REPO / "workbook" / "04_cells.ipynb"

ROUTE, LAYOUT, COUNT, SHARDS, PAGE = ("route by a stable key", "cells for a target and a budget",
                                      "shuffle shards of 3 from 10", "shuffle shards for a target",
                                      "the detail page in cells")
BUILDS = (ROUTE, LAYOUT, COUNT, SHARDS, PAGE)
WORKER_NAMES = [f"w{i}" for i in range(1, 11)]


@pytest.fixture(scope="module")
def answers():
    return runpy.run_path(str(SOLUTIONS))["ANSWERS"]


@pytest.fixture(scope="module")
def log():
    return sharding.request_log()


def grade(name, artefact):
    """(passed, message) for one check, on a fresh workbook (first try: the gentlest hint)."""
    result = workbook("04_cells").check(name, artefact)
    return result.passed, " ".join(result.message.split())  # undo the wrapping


def routed_by(log, field):
    return sharding.cells_for([request[field] for request in log], 8)


# ---------------------------------------------------------------------- the chapter's shape


def test_at_least_two_thirds_are_builds():
    exercises = chapter.exercises()
    builds = [e for e in exercises if isinstance(e, Build)]
    assert len(builds) * 3 >= 2 * len(exercises)
    assert {e.name for e in builds} == set(BUILDS)
    assert all(len(e.hints) == 2 for e in exercises)


def test_solutions_pass_every_check(answers, capsys):
    wb = workbook("04_cells", solutions=str(SOLUTIONS))
    for name in wb.exercises:
        assert wb.check(name, None).passed, capsys.readouterr().out
    assert str(wb.score()) == f"Score: {len(wb.exercises)}/{len(wb.exercises)}"


def test_numbers_alone_score_nothing(answers):
    # A solutions file that holds only numbers (or names) passes no exercise: all are Builds.
    wb = workbook("04_cells")
    numbers = {name: 0.125 for name in answers}
    numbers[ROUTE], numbers[COUNT] = 6, 120
    passed = [name for name, value in numbers.items() if wb.check(name, value).passed]
    assert passed == []


@pytest.mark.parametrize("name", BUILDS)
@pytest.mark.parametrize("bare", [3, 0.1, 10, "customer", True])
def test_a_bare_value_is_not_an_artefact(name, bare):
    passed, message = grade(name, bare)
    assert not passed and "Hint:" in message


def test_the_notebook_states_the_graders_targets():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, 4).cells if c.cell_type == "markdown")
    text = " ".join(text.split())
    for phrase in (f"**{chapter.ROUTER_CELLS} cells**", f"**{chapter.ROUTER_TARGET:.0%}",
                   f"**{chapter.PEAK:,} requests per second**",
                   f"**{chapter.MAX_CELL:,} requests per second**",
                   f"**{chapter.CELL_TARGET:.0%}", f"after {chapter.DETECTION:.0f} seconds",
                   f"**{chapter.SERVED_TARGET:.1%}", f"**{chapter.BUDGET:,} requests per second**",
                   f"**{chapter.WORKERS} workers**", f"**{chapter.SHARD_SIZE} workers**",
                   f"**{chapter.SHARD_TARGET:.0%}", f"at least **{chapter.MIN_SHARD} workers**",
                   f"**{chapter.MAX_CRASHED_SHARE:.0%}", f"**{chapter.WORKER_BUDGET} workers**",
                   f"**{chapter.PAGE_TARGET:.0%}"):
        assert phrase.replace("%", " %") in text, phrase


def test_hints_do_not_give_the_builds_away():
    hints = {e.name: " ".join(e.hints) for e in chapter.exercises()}
    assert '"customer"' not in hints[ROUTE] and "['customer']" not in hints[ROUTE]
    assert not re.search(r"\b(10|3,334|3334)\b", hints[LAYOUT])
    assert not re.search(r"\b(10|3|120)\b", hints[SHARDS])
    assert "graceful=True" not in hints[PAGE] and not re.search(r"\b5\b", hints[PAGE])
    assert not re.search(r"\b120\b", hints[COUNT]) and "combinations" not in hints[COUNT]


def test_the_page_question_does_not_say_which_graceful_keeps_the_reviews_soft():
    cells = nbformat.read(NOTEBOOK, 4).cells
    text = " ".join(c.source for c in cells if "detail page in cells" in c.source)
    assert "graceful=True" not in text and "graceful=False" not in text


# ------------------------------------------------------------------- 1. route by a stable key


def test_routing_by_customer_passes(log):
    passed, message = grade(ROUTE, routed_by(log, "customer"))
    assert passed, message
    assert "every customer stays in one cell" in message


@pytest.mark.parametrize("field, diagnosis", [
    # a new id per request: the poison's retries land in several cells
    ("request", "customer-000042's requests land in"),
    # six countries: a customer stays put, but a few cells hold everyone
    ("country", "of your 8 cells get nobody"),
    # a customer's devices differ: its requests spread over cells
    ("device", "of customers have requests in more than one cell"),
])
def test_routing_by_the_wrong_key_is_diagnosed(log, field, diagnosis):
    passed, message = grade(ROUTE, routed_by(log, field))
    assert not passed and diagnosis in message, message


def test_python_hash_is_diagnosed(log):
    # Passes every measurement in this process; after a restart the cells change.
    passed, message = grade(ROUTE, [hash(r["customer"]) % 8 for r in log])
    assert not passed and "Python's hash()" in message, message


def test_round_robin_spreads_the_poison(log):
    passed, message = grade(ROUTE, [i % 8 for i in range(len(log))])
    assert not passed and "crashes all" in message, message


def test_cells_counted_from_one_are_diagnosed(log):
    passed, message = grade(ROUTE, (routed_by(log, "customer") + 1).tolist())
    assert not passed and "numbered 0 to 7" in message, message


def test_a_short_routing_is_diagnosed(log):
    passed, message = grade(ROUTE, routed_by(log, "customer")[:100])
    assert not passed and "route every request" in message, message


# --------------------------------------------------------- 2. cells for a target and a budget


def test_the_cell_layout_passes(answers):
    passed, message = grade(LAYOUT, answers[LAYOUT])
    assert passed, message
    passed, message = grade(LAYOUT, catalog.cells(12, tier_capacity=2_800))  # another answer
    assert passed, message


def test_the_served_target_matters():
    # With Poisson arrivals the 99.9 % target decides between sizes that all carry the average
    # peak: 3,334 (the average, exactly) falls short, a few per cent more meets it.
    assert not grade(LAYOUT, catalog.cells(10, tier_capacity=3_334))[0]
    assert not grade(LAYOUT, catalog.cells(10, tier_capacity=3_350))[0]
    assert grade(LAYOUT, catalog.cells(10, tier_capacity=3_450))[0]


@pytest.mark.parametrize("build, diagnosis", [
    # N+1 by cells_needed with full-size cells: survives a loss, but each cell is 1/6
    (lambda: catalog.cells(6, tier_capacity=6_000), "affects 16.7 % of customers"),
    # enough cells, but sized N+0: the survivors fall short of the peak
    (lambda: catalog.cells(10, tier_capacity=3_000), "served only 89.97 % of the peak"),
    # N+1 to the request: the survivors carry the average peak, not its busier seconds
    (lambda: catalog.cells(10, tier_capacity=3_334), "requests arrive at random"),
    # enough of everything, at twice the cost
    (lambda: catalog.cells(10, tier_capacity=6_000), "the budget is 36,000 req/s"),
    # cells bigger than the maximum size
    (lambda: catalog.cells(10, tier_capacity=8_000), "more than the maximum cell size"),
    # no size at all
    (lambda: catalog.cells(10), "has no capacity limit"),
    # cells that share state
    (lambda: catalog.cells(10, tier_capacity=3_400, shared_database=True),
     "your cells share it"),
    # one big stack
    (lambda: catalog.cells(1, tier_capacity=6_000), "not split into cells"),
])
def test_wrong_cell_layouts_are_diagnosed(build, diagnosis):
    passed, message = grade(LAYOUT, build())
    assert not passed and diagnosis in message, message


# -------------------------------------------------------------- 3. every shuffle shard, listed


@pytest.mark.parametrize("shards", [
    lambda: list(itertools.combinations(WORKER_NAMES, 3)),
    lambda: itertools.combinations(WORKER_NAMES, 3),            # an iterator is fine
    lambda: [set(s) for s in itertools.combinations(WORKER_NAMES, 3)],
    lambda: [s[::-1] for s in itertools.combinations(WORKER_NAMES, 3)][::-1],
])
def test_every_shard_once_passes(shards):
    passed, message = grade(COUNT, shards())
    assert passed and "C(10, 3) = 120" in message, message


@pytest.mark.parametrize("shards, diagnosis", [
    # ordered arrangements: every set six times
    (lambda: list(itertools.permutations(WORKER_NAMES, 3)), "6 times in different orders"),
    (lambda: list(itertools.combinations(WORKER_NAMES, 3)) * 2, "2 times"),
    # a worker twice in one shard
    (lambda: list(itertools.product(WORKER_NAMES, repeat=3)), "names w1 more than once"),
    (lambda: list(itertools.combinations(WORKER_NAMES, 2)), "has 2 workers; each customer gets 3"),
    (lambda: list(itertools.combinations(WORKER_NAMES, 3))[1:], "{w1, w2, w3} is missing"),
    (lambda: list(itertools.combinations(WORKER_NAMES[:9], 3)), "is missing"),
    # worker indexes (labkit's all_shards) instead of names
    (lambda: sharding.all_shards(10, 3), "which is not a worker"),
    (lambda: ["w1 w2 w3"], "a str; each entry is one shard"),
    (lambda: [], "list is empty"),
])
def test_wrong_shard_lists_are_diagnosed(shards, diagnosis):
    passed, message = grade(COUNT, shards())
    assert not passed and diagnosis in message, message
    assert "120" not in message


# ----------------------------------------------------------- 4. shuffle shards for a target


def test_the_shard_layout_passes(answers):
    passed, message = grade(SHARDS, answers[SHARDS])
    assert passed, message


@pytest.mark.parametrize("build, diagnosis", [
    (lambda: catalog.sharded_workers(10, 2, "plain"), "fixed groups that never overlap"),
    (lambda: catalog.sharded_workers(8, 2, "shuffle"), "1 in 28 shards"),
    (lambda: catalog.sharded_workers(10, 5, "shuffle"), "5 of your 10 workers"),
    (lambda: catalog.sharded_workers(20, 3, "shuffle"), "needs 20 workers; the budget is 10"),
    (lambda: catalog.cells(4), "no workers in shards"),
])
def test_wrong_shard_layouts_are_diagnosed(build, diagnosis):
    passed, message = grade(SHARDS, build())
    assert not passed and diagnosis in message, message


def test_single_worker_shards_are_diagnosed():
    # catalog.sharded_workers refuses shards of 1; a hand-built fleet can still have them.
    arch = labkit.Architecture("one worker each")
    for w in range(1, 11):
        arch.add_component(f"w{w}", 0.999, kind="worker")
        arch.add_group(f"shard{w}", [f"w{w}"], k=1)
        arch.add_feature(f"customers on shard{w}", [f"shard{w}"])
    arch.set_partitions({f"customers on shard{w}": 0.1 for w in range(1, 11)})
    arch.add_scenario("poison customer", ["w1"])
    passed, message = grade(SHARDS, arch)
    assert not passed and "nothing to retry on" in message, message


# ------------------------------------------------------------- 5. the detail page in cells


def test_the_page_cells_pass(answers):
    passed, message = grade(PAGE, answers[PAGE])
    assert passed, message


@pytest.mark.parametrize("build, diagnosis", [
    (lambda: catalog.detail_page_cells(3), "33.3 % of customers cannot buy"),
    (lambda: catalog.in_cells(catalog.detail_page(graceful=False), 5),
     "takes the page down with it"),
    (lambda: catalog.cells(5), "no cell1-price"),
    (lambda: catalog.detail_page(), "no cell1-price"),
    (lambda: catalog.in_cells(catalog.detail_page(), 21), "at most 20 cells"),
])
def test_wrong_page_cells_are_diagnosed(build, diagnosis):
    passed, message = grade(PAGE, build())
    assert not passed and diagnosis in message, message


# ------------------------------------------------------------------------- hostile artefacts


def _huge_architecture():
    arch = labkit.Architecture("huge")
    for i in range(chapter.MAX_GRADED_COMPONENTS + 1):
        arch.add_component(f"c{i}", 0.999)
    return arch


HOSTILE = {
    **BASE_HOSTILE,
    "a string": lambda: "catalog.cells(10)",
    "a dict": lambda: {"n_cells": 10, "tier_capacity": 3_400},
    "48,000 deep lists": lambda: [nested(50)] * 48_000,
    "48,000 huge ints": lambda: [10**400] * 48_000,
    "48,000 NaNs": lambda: [float("nan")] * 48_000,
    "a 2-D array": lambda: np.zeros((48_000, 2), dtype=int),
    "512 cells": lambda: catalog.cells(512, tier_capacity=100),
    "a huge architecture": _huge_architecture,
    "64 page cells": lambda: catalog.in_cells(catalog.detail_page(), 64),
}


@pytest.mark.parametrize("name", BUILDS)
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_hostile_artefacts_fail_promptly(name, hostile):
    artefact = HOSTILE[hostile]()
    refused_promptly(lambda: grade(name, artefact), memory=256 * 2**20, longest=1_000)


def test_the_largest_accepted_layout_is_graded_within_a_second():
    start = time.perf_counter()
    passed, message = grade(LAYOUT, catalog.cells(chapter.MAX_GRADED_CELLS, tier_capacity=560))
    assert passed, message
    assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------- the measurements it relies on


def test_routing_impact_counts_what_it_says():
    # customer a in cells 0 and 1, b in 1, c in 2: losing cell 1 hurts a and b.
    impact = sharding.routing_impact(["a", "a", "b", "c"], [0, 1, 1, 2], 4, "a")
    assert impact["spread"] == pytest.approx(1 / 3)
    assert impact["receiving cells"] == 3
    assert (impact["busiest cell"], impact["busiest share"]) == (1, pytest.approx(2 / 3))
    assert impact["poison cells"] == [0, 1]
    assert impact["poison blast radius"] == pytest.approx(2 / 3)


def test_every_exercise_kind_is_known():
    for exercise in chapter.exercises():
        assert isinstance(exercise, (Build, Exercise))
