"""Workbook 02 (microservices): the checks grade what the learner builds, by what it does.

For every Build: the instructor's artefact passes; realistic wrong artefacts fail with a
diagnosis naming what is wrong with them; a bare number fails; hostile values fail promptly
and in small memory. The targets the notebook's questions state are the graders'.
"""

from __future__ import annotations

import runpy
import time

import nbformat
import pytest

from graders import BASE_HOSTILE, nested, refused_promptly

import labkit
from labkit import catalog
from labkit.check import Build, Exercise, workbook
from labkit.exercises import microservices as chapter
from labkit.exercises.microservices import page_parts
from labkit.simulation import Retry

from conftest import REPO

SOLUTIONS = REPO / "workbook" / "solutions" / "02_microservices.py"
NOTEBOOK = REPO / "workbook" / "02_microservices.ipynb"

CAN_BUY, CLASSIFY, CHECKOUT, RETRIES = ("can buy availability", "classify the dependencies",
                                        "model the checkout", "retry at one layer")
BUILDS = (CLASSIFY, CHECKOUT, RETRIES)
CORE = ["title", "price", "buy box", "delivery estimate"]
EXTRAS = ["images", "star rating", "reviews", "recommendations", "questions"]


@pytest.fixture(scope="module")
def answers():
    return runpy.run_path(str(SOLUTIONS))["ANSWERS"]


def has(message, phrase):
    """``phrase`` is in ``message``; a hint's first word is capitalised, so either case."""
    return phrase in message or phrase[:1].upper() + phrase[1:] in message


def grade(name, artefact):
    """(passed, message) for one check, on a fresh workbook (first try: the gentlest hint)."""
    result = workbook("02_microservices").check(name, artefact)
    return result.passed, " ".join(result.message.split())  # undo the wrapping


# -- artefacts a learner might build ---------------------------------------------------------

def classified(hard=CORE, soft=EXTRAS):
    page = page_parts()
    for widget in hard:
        page.add_dependency("page", widget, "hard")
    for widget in soft:
        page.add_dependency("page", widget, "soft")
    return page


def checkout(*, accounts="soft", gift_wrap_reads="cart db", gift_wrap="soft", address="hard",
             whole=None, parts=None):
    """The checkout as the question describes it, with one thing changed at a time."""
    arch = labkit.Architecture("checkout")
    arch.add_component("checkout", 0.9999)
    for widget in ("cart", "address", "payment", "gift wrap", "suggestions"):
        arch.add_component(widget, 0.999)
    for backend in ("cart db", "accounts", "payments", "personalization"):
        arch.add_component(backend, (parts or {}).get(backend, 0.9995), kind="database")
    arch.add_dependency("cart", "cart db")
    if gift_wrap_reads:
        arch.add_dependency("gift wrap", gift_wrap_reads)
    arch.add_dependency("address", "accounts", accounts)
    arch.add_dependency("payment", "accounts", accounts)
    arch.add_dependency("payment", "payments")
    arch.add_dependency("suggestions", "personalization")
    arch.add_dependency("checkout", "cart").add_dependency("checkout", "payment")
    arch.add_dependency("checkout", "address", address)
    arch.add_dependency("checkout", "gift wrap", gift_wrap)
    arch.add_dependency("checkout", "suggestions", "soft")
    arch.add_feature("can order", ["checkout"])
    arch.add_feature("whole checkout", whole or arch.components)
    return arch


def policy(attempts, retrying):
    return {"retry": Retry(attempts=attempts), "retrying": retrying}


# ---------------------------------------------------------------------- the chapter's shape


def test_at_least_two_thirds_are_builds():
    exercises = chapter.exercises()
    builds = [e for e in exercises if isinstance(e, Build)]
    assert len(builds) * 3 >= 2 * len(exercises)
    assert {e.name for e in builds} == set(BUILDS)
    assert all(len(e.hints) == 2 for e in exercises)


def test_solutions_pass_every_check(capsys):
    wb = workbook("02_microservices", solutions=str(SOLUTIONS))
    for name in wb.exercises:
        assert wb.check(name, None).passed, capsys.readouterr().out
    assert str(wb.score()) == f"Score: {len(wb.exercises)}/{len(wb.exercises)}"


def test_numbers_alone_do_not_score_full(answers):
    wb = workbook("02_microservices")
    numbers = {name: (value if isinstance(value, float) else 0.9944) for name, value in answers.items()}
    numbers[RETRIES] = {"retry": 3, "retrying": [1, 0, 0, 0, 0]}  # the policy as numbers only
    passed = [name for name, value in numbers.items() if wb.check(name, value).passed]
    assert passed == [CAN_BUY]


@pytest.mark.parametrize("name", BUILDS)
@pytest.mark.parametrize("bare", [3, 0.994, "client only", True, ["page"], ("hard", "soft")])
def test_a_bare_value_is_not_an_artefact(name, bare):
    passed, message = grade(name, bare)
    assert not passed and "Hint:" in message


def test_the_notebook_states_the_graders_targets():
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, 4).cells if c.cell_type == "markdown")
    text = " ".join(text.split())
    percent = labkit.format_percent
    for phrase in (f"at least **{percent(chapter.CLASSIFY_TARGET)}**",
                   f"at least **{percent(chapter.CHECKOUT_TARGET)}**",
                   f"at most **{chapter.MAX_CALLS}** calls",
                   f"`{chapter.FLAKY}` failing **{percent(chapter.FLAKY_RATE)}**",
                   f"at least **{percent(chapter.SUCCESS_TARGET)}** of requests",
                   f"a stack of {chapter.LAYERS} layers", "**delivery estimate**",
                   f"each widget **{chapter.CAN_BUY_WIDGET}**",
                   "| `checkout` | service | 99.99 % |", "| `cart` | service | 99.9 % |",
                   "database | 99.95 % each"):
        assert phrase in text, phrase
    for widget in chapter.NEEDED_TO_BUY:
        assert f"**{widget}**" in text, widget


def test_hints_do_not_give_the_builds_away():
    hints = {e.name: " ".join(e.hints) for e in chapter.exercises()}
    assert "delivery estimate" not in hints[CLASSIFY]
    assert "accounts" not in hints[CHECKOUT] and "cart db" not in hints[CHECKOUT]
    assert "client only" not in hints[RETRIES] and "attempts=3" not in hints[RETRIES]


# -------------------------------------------------------------------------------- (a) value


def test_can_buy_is_compared():
    cheaper = catalog.detail_page(widget=chapter.CAN_BUY_WIDGET)
    assert grade(CAN_BUY, labkit.availability(cheaper, "can buy"))[0]
    passed, message = grade(CAN_BUY, labkit.availability(cheaper, "whole page"))
    assert not passed and "pessimistic" in message


def test_can_buy_is_not_the_number_lesson_02_prints():
    # Lesson 02 prints "can buy" of the default page (0.995408691): copying it must fail.
    printed = labkit.availability(catalog.detail_page(), "can buy")
    passed, message = grade(CAN_BUY, printed)
    assert not passed and "optimistic" in message, message


# -------------------------------------------------------------- (b) classify the dependencies


def test_the_classified_page_passes(answers):
    passed, message = grade(CLASSIFY, answers[CLASSIFY])
    assert passed, message
    assert "'whole page' reaches only 98.8 %" in message


@pytest.mark.parametrize("build, diagnosis", [
    # the graceful page of the lesson: the law's delivery estimate left soft
    (lambda: classified(CORE[:3], CORE[3:] + EXTRAS),
     "delivery estimate is soft in your page, but by law in this market the page must not sell "
     "without a delivery estimate"),
    # price soft: the page would sell without a price
    (lambda: classified(["title", "buy box", "delivery estimate"], ["price"] + EXTRAS),
     "price is soft in your page, but a page without a price cannot sell: with price down, your "
     "'can buy' still works"),
    # all hard: the lesson's all-or-nothing page
    (lambda: classified(CORE + EXTRAS, []),
     "'can buy' reaches 98.8 %, short of 99.4 %: images, star rating, reviews, recommendations "
     "and questions are hard in your page"),
    # one extra hard: just short
    (lambda: classified(CORE + ["images"], EXTRAS[1:]),
     "'can buy' reaches 99.34 %, short of 99.4 %: images is hard in your page, so its failure "
     "stops every sale"),
    # nothing added yet (the untouched cell)
    (lambda: page_parts(), "your page depends on none of its 9 widgets yet"),
    (lambda: classified(CORE, EXTRAS[:-1]), "no dependency on questions yet"),
    # the lesson's page instead of the parts
    (lambda: catalog.detail_page(), "your page's feature 'can buy' is not page_parts()' one"),
])
def test_wrong_classifications_are_diagnosed(build, diagnosis):
    passed, message = grade(CLASSIFY, build())
    assert not passed and has(message, diagnosis), message


def test_a_page_that_rewires_a_backend_is_diagnosed():
    page = classified()
    page.add_dependency("title", "pricing")
    passed, message = grade(CLASSIFY, page)
    assert not passed and has(message, "your page has a dependency title -> pricing"), message


def test_a_page_with_better_parts_is_diagnosed():
    page = classified().with_availability(page=0.99999)
    passed, message = grade(CLASSIFY, page)
    assert not passed and "Change the dependencies, not the parts" in message, message


# ------------------------------------------------------------------- (c) model the checkout


def test_the_checkout_model_passes(answers):
    passed, message = grade(CHECKOUT, answers[CHECKOUT])
    assert passed, message
    assert "takes cart and gift wrap down together" in message
    assert grade(CHECKOUT, checkout())[0]


@pytest.mark.parametrize("build, diagnosis", [
    # accounts hard: a plausible model, 99.54 %, short; and why
    (lambda: checkout(accounts="hard"),
     "'can order' reaches 99.54 %, short of 99.55 %. With accounts down, your address fails, but "
     "customers can type an address by hand"),
    # gift wrap given its own fate: the shared backend missed
    (lambda: checkout(gift_wrap_reads=None),
     "with cart db down, your gift wrap still works fully, but gift wrap reads cart db"),
    (lambda: checkout().add_dependency("cart", "personalization"),
     "with personalization down, your cart is failed, but cart does not read personalization"),
    # a nice-to-have made hard
    (lambda: checkout(gift_wrap="hard"),
     "with gift wrap down, nobody can order in your checkout, but gift wrap is nice to have"),
    # an order without an address
    (lambda: checkout(address="soft"),
     "with address down, your 'can order' still works, but an order needs somewhere to go"),
    # "whole checkout" that forgets the backends
    (lambda: checkout(whole=["checkout", "cart", "address", "payment", "gift wrap", "suggestions"]),
     "with accounts down, your 'whole checkout' still works, but it needs every component"),
    (lambda: checkout(parts={"payments": 0.99999}), "the question makes it a database at 99.95 %"),
    # the untouched cell
    (lambda: labkit.Architecture("checkout").add_component("checkout", 0.9999),
     "your checkout has no component named 'cart'"),
    (lambda: catalog.detail_page(), "your checkout has no component named 'checkout'"),
])
def test_wrong_checkouts_are_diagnosed(build, diagnosis):
    passed, message = grade(CHECKOUT, build())
    assert not passed and has(message, diagnosis), message


def test_a_checkout_without_features_is_diagnosed():
    arch = checkout()
    arch.features.pop("can order")
    passed, message = grade(CHECKOUT, arch)
    assert not passed and "no feature named 'can order'" in message, message


# -------------------------------------------------------------------- (d) retry at one layer


@pytest.mark.parametrize("retrying", ["client only", [True, False, False, False, False],
                                      [False, True, False, False, False],
                                      [False, False, True, False, False]])
def test_one_retrying_caller_above_the_flaky_layer_passes(answers, retrying):
    assert grade(RETRIES, answers[RETRIES])[0]
    passed, message = grade(RETRIES, policy(3, retrying))
    assert passed, message
    assert "3 calls reach it per request" in message and "99.2 % of requests succeed" in message


@pytest.mark.parametrize("artefact, diagnosis", [
    # the lesson's trap: every layer retries
    (policy(3, "every layer"), "when the database is down, 243 calls reach it for every request, "
                               "more than 3: the client, layer1, layer2, layer3 and layer4 retry, "
                               "3 attempts each, and their retries multiply."),
    (policy(2, [True, True, False, False, False]), "4 calls reach it for every request"),
    (policy(4, "client only"), "the client retries with 4 attempts."),
    # retrying below the flaky layer
    (policy(3, [False, False, False, True, False]),
     "only 80 % of requests succeed; at least 99 % must: only layer3 retries, on calls to layer4, "
     "below layer3"),
    (policy(3, [False, False, False, False, True]), "on calls to layer5, below layer3"),
    # too few attempts
    (policy(2, "client only"), "only 96 % of requests succeed; at least 99 % must: 2 attempts are "
                               "not enough"),
    (policy(1, "every layer"), "no caller retries"),
    # refused before simulating
    (policy(10, "every layer"), "that sends 100,000 calls to it for every request"),
    (policy(10, "client only"), "This check does not simulate policies that large"),
    # the shape of the policy
    ({"retry": Retry(attempts=3, backoff="full"), "retrying": "client only"}, "needs no backoff"),
    ({"retry": Retry(attempts=3, budget=10), "retrying": "client only"}, "retry budgets"),
    ({"retry": 3, "retrying": "client only"}, "policy['retry'] is a int"),
    ({"retry": Retry(attempts=3)}, "your policy has no 'retrying'"),
    ({"retry": Retry(attempts=3), "retrying": "client only", "layers": 4}, "a key 'layers'"),
    ({"retry": Retry(attempts=3), "retrying": [True, False]}, "labkit refused what you built"),
    ({"retry": Retry(attempts=3), "retrying": "top only"}, "labkit refused what you built"),
])
def test_wrong_policies_are_diagnosed(artefact, diagnosis):
    passed, message = grade(RETRIES, artefact)
    assert not passed and has(message, diagnosis), message


def test_the_retry_hint_does_not_repeat_the_diagnosis():
    wb = workbook("02_microservices")
    for _ in range(2):
        message = " ".join(wb.check(RETRIES, policy(3, "every layer")).message.split()).lower()
        assert message.count("multiply") == 1, message


def test_the_largest_simulated_policy_is_graded_within_a_second():
    start = time.perf_counter()
    passed, message = grade(RETRIES, policy(6, [True, True, True, False, False]))
    assert not passed and "216 calls reach it" in message, message
    assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------------------- hostile artefacts


def _huge_architecture():
    arch = labkit.Architecture("huge")
    for i in range(10_000):
        arch.graph.add_node(f"c{i}", component=labkit.Component(f"c{i}", 0.999))
    return arch


HOSTILE = {
    **BASE_HOSTILE,
    "a string": lambda: "page_parts()",
    "a dict of numbers": lambda: {"retry": float("nan"), "retrying": 10**400},
    "a huge dict": lambda: {i: i for i in range(100_000)},
    "retrying range(10**12)": lambda: policy(3, range(10**12)),
    "retrying a deep list": lambda: policy(3, nested(100_000)),
    "a huge architecture": _huge_architecture,
    "Ring": lambda: catalog.ring(),
    "an empty architecture": lambda: labkit.Architecture("empty"),
}


@pytest.mark.parametrize("name", BUILDS)
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_hostile_artefacts_fail_promptly(name, hostile):
    artefact = HOSTILE[hostile]()
    refused_promptly(lambda: grade(name, artefact), memory=64 * 2**20, longest=1_200)


def test_page_parts_is_the_detail_page_without_the_pages_dependencies():
    parts, page = page_parts(), catalog.detail_page()
    assert parts.components == page.components
    assert parts.dependencies("page") == []
    assert {e for e in parts.edges()} == {e for e in page.edges() if e[0] != "page"}
    assert parts.feature("can buy").requires == ("page",)


def test_every_exercise_kind_is_known():
    for exercise in chapter.exercises():
        assert isinstance(exercise, (Build, Exercise))
