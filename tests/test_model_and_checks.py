"""The model's building blocks and the workbook checks."""

import re

import pytest

import labkit
from labkit import catalog
from labkit.check import workbook
from labkit.exercises import CHAPTERS


def test_component_from_mtbf():
    c = labkit.Component("disk", mtbf=99.0, mttr=1.0)
    assert c.availability == pytest.approx(0.99)


def test_architecture_reads_back_what_was_built():
    arch = catalog.detail_page()
    assert arch.dependencies("page", "soft") == ["images", "star rating", "reviews", "recommendations",
                                                 "delivery estimate", "questions"]
    assert set(arch.dependents("reviews db")) == {"star rating", "reviews", "questions"}
    assert arch.entry_points == ["page"]
    assert arch.feature().name == "can buy"


def test_default_feature_needs_every_entry_point():
    arch = labkit.Architecture("two doors").add_component("a", 0.9).add_component("b", 0.8)
    assert arch.feature_names == ["serve"]
    assert labkit.availability(arch) == pytest.approx(0.72)


def test_with_availability_leaves_the_original_alone():
    arch = catalog.monolith()
    broken = arch.with_availability(app=0.0)
    assert labkit.availability(broken) == 0.0
    assert labkit.availability(arch) > 0.99


def test_failure_domain_members_depend_on_it():
    arch = catalog.cells(4, regions=2)
    assert "region1" in arch.dependencies("cell1-web")
    assert "region2" in arch.dependencies("cell4-db")


def test_partitions_must_add_up():
    arch = catalog.cells(2)
    with pytest.raises(labkit.LabkitError) as excinfo:
        arch.set_partitions({"cell 1 customers": 0.5, "cell 2 customers": 0.6})
    assert "add up to 1" in str(excinfo.value)


def test_ring_sized_has_the_budgeted_shape():
    arch = catalog.ring_sized()
    assert len(arch.feature_names) == 32
    assert len([c for c in arch.components if c.startswith("region")]) == 8
    assert len(arch.components) == 1 + 32 * 5 + 8


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_chapter_checks_blank_answers_with_hints(chapter, capsys):
    wb = workbook(chapter)
    for name in wb.exercises:
        result = wb.check(name, None)
        assert not result.passed
    assert wb.score() == f"Score: 0/{len(wb.exercises)}"
    assert "Hint" in capsys.readouterr().out


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_hints_never_reveal_the_answer(chapter):
    wb = workbook(chapter)
    for exercise in wb.exercises.values():
        expected = exercise.expected()
        texts = list(exercise.hints)
        if isinstance(expected, (int, float)):
            shown = {f"{expected:g}", f"{expected:.4f}", f"{expected:.6f}"}
            for text in texts:
                words = set(re.findall(r"[0-9][0-9.]*", text))
                assert not shown & words, (exercise.name, text)
        elif isinstance(expected, str):
            assert not any(f'"{expected}"' in t or f"'{expected}'" in t for t in texts)


def test_wrong_answers_get_directional_hints(capsys):
    wb = workbook("01_monolith")
    assert not wb.check("chain availability", 99.84).passed
    assert "percentage" in capsys.readouterr().out
    assert not wb.check("replicas for four nines", 1).passed
    assert "too low" in capsys.readouterr().out
    assert not wb.check("single points of failure", ["lb"]).passed
    assert "missing" in capsys.readouterr().out
    assert not wb.check("chain availability", object()).passed


def test_right_answers_pass():
    wb = workbook("01_monolith")
    assert wb.check("chain availability", labkit.series(0.9999, 0.999, 0.9995)).passed
    assert wb.check("replicas for four nines", 3).passed
    assert wb.check("single points of failure", {"db", "lb"}).passed


def test_unknown_exercise_and_bad_solutions_path():
    with pytest.raises(labkit.LabkitError):
        workbook("01_monolith").check("no such exercise", 1)
    with pytest.raises(labkit.LabkitError) as excinfo:
        workbook("01_monolith", solutions="/nonexistent.py")
    assert "solutions" in str(excinfo.value)
