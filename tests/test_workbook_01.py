"""Workbook 01 (the monolith): the checks grade what the learner builds, by what it does.

For every Build: the instructor's artefact passes; realistic wrong artefacts fail with a
diagnosis naming what is wrong with them; a bare number fails; hostile values fail promptly
and in small memory. The targets the notebook's questions state are the graders'.
"""

from __future__ import annotations

import runpy

import nbformat
import pytest

from graders import BASE_HOSTILE, refused_promptly

import labkit
from labkit import catalog
from labkit.check import Build, Exercise, workbook
from labkit.exercises import monolith as chapter

from conftest import REPO

SOLUTIONS = REPO / "workbook" / "solutions" / "01_monolith.py"
NOTEBOOK = REPO / "workbook" / "01_monolith.ipynb"

CHAIN, FEWEST, CEILING, SPREAD, WAVES = ("chain availability", "fewest replicas for three nines",
                                         "lift the ceiling", "single points of failure",
                                         "deploy in waves")
BUILDS = (FEWEST, CEILING, SPREAD, WAVES)


@pytest.fixture(scope="module")
def answers():
    return runpy.run_path(str(SOLUTIONS))["ANSWERS"]


def has(message, phrase):
    """``phrase`` is in ``message``; a hint's first word is capitalised, so either case."""
    return phrase in message or phrase[:1].upper() + phrase[1:] in message


def grade(name, artefact):
    """(passed, message) for one check, on a fresh workbook (first try: the gentlest hint)."""
    result = workbook("01_monolith").check(name, artefact)
    return result.passed, " ".join(result.message.split())  # undo the wrapping


# -- artefacts a learner might build ---------------------------------------------------------

def shop(replicas=3, *, app=0.97, dbs=1, lbs=1, db=0.9995):
    """lb(s) -> app tier (1 of n) -> database (or a group of database copies)."""
    arch = labkit.Architecture("shop")
    lb_names = [f"lb-{i}" for i in range(1, lbs + 1)] if lbs > 1 else ["lb"]
    for name in lb_names:
        arch.add_component(name, 0.9999, kind="load balancer")
    db_names = [f"db-{i}" for i in range(1, dbs + 1)] if dbs > 1 else ["db"]
    for name in db_names:
        arch.add_component(name, db, kind="database")
    if dbs > 1:
        arch.add_group("db pair", db_names, k=1)
    apps = [f"app-{i}" for i in range(1, replicas + 1)]
    for name in apps:
        arch.add_component(name, app)
        arch.add_dependency(name, "db pair" if dbs > 1 else "db")
    arch.add_group("app tier", apps, k=1)
    for name in lb_names:
        arch.add_dependency(name, "app tier")
    if lbs > 1:
        arch.add_group("lbs", lb_names, k=1)
    arch.add_feature("buy", ["lbs" if lbs > 1 else "lb"])
    return arch


def spread(*placement, k=2):
    """Four replicas at 99.9 % (k of them needed) on servers: placement = replicas per server."""
    arch = labkit.Architecture("spread")
    arch.add_component("lb", 0.9999, kind="load balancer")
    arch.add_component("db", 0.9995, kind="database")
    apps = [f"app-{i}" for i in range(1, 5)]
    for name in apps:
        arch.add_component(name, 0.999)
        arch.add_dependency(name, "db")
    arch.add_group("app tier", apps, k=k)
    arch.add_dependency("lb", "app tier")
    arch.add_feature("buy", ["lb"])
    start = 0
    for s, count in enumerate(placement):
        arch.add_failure_domain(f"server-{'abcd'[s]}", apps[start:start + count], 0.9995)
        start += count
    return arch


def waves(*sizes, build=0.999):
    """replicated_monolith(4) with one build per wave: sizes = replicas per wave."""
    arch = catalog.replicated_monolith(4)
    apps = [f"app-{i}" for i in range(1, 5)]
    start = 0
    for w, count in enumerate(sizes):
        arch.add_failure_domain(f"wave-{w + 1}", apps[start:start + count], build)
        start += count
    return arch


# ---------------------------------------------------------------------- the chapter's shape


def test_at_least_two_thirds_are_builds():
    exercises = chapter.exercises()
    builds = [e for e in exercises if isinstance(e, Build)]
    assert len(builds) * 3 >= 2 * len(exercises)
    assert {e.name for e in builds} == set(BUILDS)
    assert all(len(e.hints) == 2 for e in exercises)


def test_solutions_pass_every_check(capsys):
    wb = workbook("01_monolith", solutions=str(SOLUTIONS))
    for name in wb.exercises:
        assert wb.check(name, None).passed, capsys.readouterr().out
    assert str(wb.score()) == f"Score: {len(wb.exercises)}/{len(wb.exercises)}"


def test_numbers_alone_do_not_score_full(answers):
    # A solutions file that holds only numbers passes at most the one value exercise.
    wb = workbook("01_monolith")
    numbers = {name: (value if isinstance(value, float) else 3) for name, value in answers.items()}
    passed = [name for name, value in numbers.items() if wb.check(name, value).passed]
    assert passed == [CHAIN]


@pytest.mark.parametrize("name", BUILDS)
@pytest.mark.parametrize("bare", [3, 0.999, 0.9998, "db", True, ["lb", "db"]])
def test_a_bare_value_is_not_an_artefact(name, bare):
    passed, message = grade(name, bare)
    assert not passed and "Hint:" in message


def test_the_notebook_states_the_graders_targets():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, 4).cells if c.cell_type == "markdown")
    text = " ".join(text.split())

    def percent(a):
        return labkit.format_percent(a)

    for phrase in (f"**{percent(chapter.CHEAP_REPLICA)}**", f"**{percent(chapter.LB)}**",
                   f"**{percent(chapter.DB)}**", f"at least **{percent(chapter.FEWEST_TARGET)}**",
                   f"at **{percent(chapter.CEILING_TARGET)}**", f"**{chapter.REPLICAS}** app replicas",
                   f"**{percent(chapter.APP)}** each", f"needs **{chapter.NEEDED}** of the 4",
                   f"**{chapter.SERVERS} servers** (**{percent(chapter.SERVER)}** each); you need not "
                   "use them all",
                   f"up **{percent(chapter.BUILD)}** of the time",
                   f"at least **{percent(chapter.WAVES_TARGET)}**"):
        assert phrase in text, phrase


def test_hints_do_not_give_the_builds_away():
    hints = {e.name: " ".join(e.hints) for e in chapter.exercises()}
    assert "replicated_monolith(3" not in hints[FEWEST]
    assert "database" not in hints[CEILING] and "db" not in hints[CEILING].replace('"buy"', "")
    assert "2 + 1 + 1" not in hints[SPREAD] and "two servers" not in hints[SPREAD]
    assert "two" not in hints[WAVES] and "wave-" not in hints[WAVES]


# ------------------------------------------------------- 2. fewest replicas for three nines


def test_the_fewest_replicas_pass(answers):
    passed, message = grade(FEWEST, answers[FEWEST])
    assert passed, message
    assert grade(FEWEST, catalog.replicated_monolith(3, app=0.97))[0]
    assert grade(FEWEST, shop(3))[0]  # built by hand, same design


@pytest.mark.parametrize("build, diagnosis", [
    # the tier alone reaches 99.91 % with 2; lb and db in series drag "buy" below
    (lambda: catalog.replicated_monolith(2, app=0.97),
     "With 2 replicas 'buy' reaches 99.85 %, short of 99.9 %. The app tier alone reaches 99.91 %"),
    # enough, but one too many
    (lambda: catalog.replicated_monolith(4, app=0.97), "used more replicas than needed"),
    # the lesson's replicas, not the question's cheap ones
    (lambda: catalog.replicated_monolith(2), "the question gives every app replica 97 %"),
    # a better database than the question gives
    (lambda: shop(2, db=0.99999), "the question gives every database 99.95 %"),
    # the database made redundant: not this exercise's shop
    (lambda: shop(2, dbs=2), "one shared database; yours has 2"),
    # the lesson's monolith: a server and an app, no load balancer
    (lambda: catalog.monolith(), "'app' is 99.9 % available"),
    (lambda: labkit.Architecture("empty"), "no components yet"),
])
def test_wrong_replica_counts_are_diagnosed(build, diagnosis):
    passed, message = grade(FEWEST, build())
    assert not passed and has(message, diagnosis), message


def test_a_shop_whose_requests_skip_the_database_is_diagnosed():
    arch = labkit.Architecture("no data")
    arch.add_component("lb", 0.9999, kind="load balancer").add_component("db", 0.9995, kind="database")
    for name in ("app-1", "app-2", "app-3"):
        arch.add_component(name, 0.97)
    arch.add_group("app tier", ["app-1", "app-2", "app-3"], k=1).add_dependency("lb", "app tier")
    arch.add_feature("buy", ["lb"])
    passed, message = grade(FEWEST, arch)
    assert not passed and has(message, "with every database down, 'buy' still works"), message


# ------------------------------------------------------------------------ 3. lift the ceiling


def test_the_ceiling_is_lifted(answers):
    passed, message = grade(CEILING, answers[CEILING])
    assert passed, message
    assert "single points of failure left: lb" in message
    assert grade(CEILING, shop(4, dbs=2))[0]          # more replicas than needed is fine here
    assert grade(CEILING, shop(3, dbs=2, lbs=2))[0]   # so is a second load balancer


@pytest.mark.parametrize("build, diagnosis", [
    # more app replicas: the shared database caps "buy"
    (lambda: catalog.replicated_monolith(12, app=0.97),
     "Adding app replicas cannot help: the database is in series with every replica"),
    (lambda: shop(8), "lb and db are still single points of failure"),
    # a second load balancer: the database still caps "buy" at 99.95 %
    (lambda: shop(6, lbs=2), "db is still a single point of failure: every request needs it, "
                             "so 'buy' can never beat 99.95 %"),
    # the database made redundant, but too few replicas left: the tier is the weak part
    (lambda: shop(2, dbs=2), "the app tier, 2 replicas at 97 %, is now the weak part"),
    # a better database instead of a second one
    (lambda: shop(3, db=0.99999), "Change the design, not the parts"),
])
def test_wrong_ceilings_are_diagnosed(build, diagnosis):
    passed, message = grade(CEILING, build())
    assert not passed and has(message, diagnosis), message


def test_a_cache_that_bypasses_the_database_is_refused():
    arch = shop(3, dbs=2)
    arch.add_component("cache", 1.0, kind="cache")
    passed, message = grade(CEILING, arch)
    assert not passed and "'cache' is a cache; this shop is made only of" in message, message


# ------------------------------------------------------------- 4. single points of failure


@pytest.mark.parametrize("placement", [(2, 1, 1), (2, 2), (1, 2, 1)])
def test_spread_replicas_pass(answers, placement):
    assert grade(SPREAD, answers[SPREAD])[0]
    passed, message = grade(SPREAD, spread(*placement))
    assert passed, message
    assert "no server and no replica is a single point of failure" in message


def test_two_servers_pass_and_the_check_asks_what_a_third_adds():
    # The question allows leaving a server unused; the ✅ says so and invites a comparison
    # of the tier's own downtime: 2 + 2 leaves it at 1.18 min a year, 2 + 1 + 1 at 47.49 s.
    passed, message = grade(SPREAD, spread(2, 2))
    assert passed, message
    assert "The app tier alone (lb and db up) is down 1.18 min a year" in message
    assert "You used 2 of your 3 servers, and that meets the target" in message
    passed, message = grade(SPREAD, spread(2, 1, 1))
    assert passed, message
    assert "The app tier alone (lb and db up) is down 47.49 s a year" in message
    assert "Two servers would meet the target too" in message


@pytest.mark.parametrize("build, diagnosis", [
    # every replica on one server: the monolith's failure domain again
    (lambda: spread(4), "server-a is a single point of failure for 'buy': when it fails it "
                        "takes app-1, app-2, app-3 and app-4 with it, leaving 0 replicas up"),
    # three on one server: losing it leaves one, and the tier needs two
    (lambda: spread(3, 1), "leaving 1 replica up, and the app tier needs 2"),
    # the capacity need dropped to make the layout pass
    (lambda: spread(3, 1, k=1), "each replica carries only half the peak: it needs 2 up"),
    # a fourth server
    (lambda: spread(1, 1, 1, 1), "you have 3 servers to use; your shop has 4"),
    # no servers at all
    (lambda: spread(), "Your replicas run on no server yet"),
    # a replica left off every server
    (lambda: spread(2, 1), "app-4 runs on no server"),
    (lambda: catalog.replicated_monolith(3), "the question gives you 4 app replicas; your shop has 3"),
])
def test_wrong_spreads_are_diagnosed(build, diagnosis):
    passed, message = grade(SPREAD, build())
    assert not passed and has(message, diagnosis), message


def test_a_replica_on_two_servers_is_diagnosed():
    arch = spread(2, 2)
    arch.add_failure_domain("server-c", ["app-1"], 0.9995)
    passed, message = grade(SPREAD, arch)
    assert not passed and "app-1 runs on 2 servers at once" in message, message


# ------------------------------------------------------------------------- 5. deploy in waves


@pytest.mark.parametrize("sizes", [(2, 2), (3, 1), (1, 1, 1, 1)])
def test_waves_pass(answers, sizes):
    assert grade(WAVES, answers[WAVES])[0]
    passed, message = grade(WAVES, waves(*sizes))
    assert passed, message
    assert "no build is a single point of failure" in message


@pytest.mark.parametrize("build, diagnosis", [
    # one build for all (the question asks for it first): confirmed, then the next step
    (lambda: waves(4), "as expected: every replica runs the build 'wave-1', so one bad build "
                       "stops all 4 at once and 'buy' reaches 99.84 %, short of 99.9 %. Now "
                       "split the replicas into waves."),
    # not modelled at all
    (lambda: catalog.replicated_monolith(4), "Your replicas run no build yet"),
    # a build that is never bad
    (lambda: waves(2, 2, build=1.0), "the question gives every build 99.9 %"),
    # a replica without a build
    (lambda: waves(2, 1), "app-4 runs on no build"),
    (lambda: catalog.replicated_monolith(8), "the question's shop has 4 app replicas; yours has 8"),
])
def test_wrong_deploys_are_diagnosed(build, diagnosis):
    passed, message = grade(WAVES, build())
    assert not passed and has(message, diagnosis), message


def test_the_expected_first_try_gets_a_next_step_not_a_repeat():
    # The question asks for one build for all first: whichever try that is, the message
    # confirms it and the hint says how to go on, without repeating the diagnosis.
    wb = workbook("01_monolith")
    for _ in range(3):
        message = " ".join(wb.check(WAVES, waves(4)).message.split())
        assert message.count("bad build stops") == 1, message
        assert "a failure domain is" not in message.lower(), message
        assert "Now split the replicas into waves." in message, message


def test_a_build_hung_on_the_load_balancer_is_diagnosed():
    # Same number as a build under every replica, but the model says the wrong thing:
    # with the build bad, the replicas would still be up.
    arch = waves(2, 2)
    arch.add_failure_domain("build", ["lb"], 0.999)
    passed, message = grade(WAVES, arch)
    assert not passed and has(message, "in your architecture lb depends on build"), message


# ------------------------------------------------------------------------- hostile artefacts


def _huge_architecture():
    arch = labkit.Architecture("huge")
    for i in range(10_000):
        arch.graph.add_node(f"c{i}", component=labkit.Component(f"c{i}", 0.999))
    return arch


HOSTILE = {
    **BASE_HOSTILE,
    "a string": lambda: "catalog.replicated_monolith(3)",
    "a dict": lambda: {"replicas": 3, "app": 0.97},
    "a huge architecture": _huge_architecture,
    "Ring": lambda: catalog.ring(),
    "64 replicas": lambda: catalog.replicated_monolith(64, app=0.97),
    "an empty architecture": lambda: labkit.Architecture("empty"),
}


@pytest.mark.parametrize("name", BUILDS)
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_hostile_artefacts_fail_promptly(name, hostile):
    artefact = HOSTILE[hostile]()
    refused_promptly(lambda: grade(name, artefact), memory=64 * 2**20, longest=1_200)


def test_every_exercise_kind_is_known():
    for exercise in chapter.exercises():
        assert isinstance(exercise, (Build, Exercise))
