"""The model's building blocks and the workbook checks."""

import re

import pytest

import labkit
from labkit import catalog
from labkit.check import Build, workbook
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
    score = wb.score()
    assert str(score) == f"Score: 0/{len(wb.exercises)}" and score.total >= 4
    out = capsys.readouterr().out
    assert "Hint" in out and out.count("Score:") == 1


def _number_forms(value: float) -> set[str]:
    # Every way a hint could give a number away: as written, rounded, as a percentage.
    forms = {f"{value:g}", f"{value:.2f}", f"{value:.3f}", f"{value:.4f}", f"{value:.6f}"}
    if 0 < value <= 1:
        forms |= {f"{value * 100:g}", f"{value * 100:.2f}", f"{value * 100:.3f}",
                  f"{value * 100:.4f}"}
    return {f.rstrip("0").rstrip(".") if "." in f else f for f in forms}


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_hints_never_reveal_the_answer(chapter):
    wb = workbook(chapter)
    for exercise in wb.exercises.values():
        if isinstance(exercise, Build):
            continue  # graded by what it does: tests/test_workbook_NN.py checks its hints
        expected = exercise.expected()
        for text in exercise.hints:
            if isinstance(expected, (int, float)) and not isinstance(expected, bool):
                numbers = {w.rstrip(".") for w in re.findall(r"[0-9][0-9.]*", text)}
                numbers = {n.rstrip("0").rstrip(".") if "." in n else n for n in numbers}
                assert not _number_forms(float(expected)) & numbers, (exercise.name, text)
            else:
                names = [expected] if isinstance(expected, str) else list(expected)
                quoted = set(re.findall(r"[\"'`]([^\"'`]+)[\"'`]", text))
                assert not set(names) & quoted, (exercise.name, text)
                if isinstance(expected, str):
                    assert not re.search(rf"\b{re.escape(expected)}\b", text), (exercise.name, text)


def test_leak_check_catches_a_percentage_and_a_quoted_name():
    # The check above must see through the forms a leak takes.
    assert "99.97" in _number_forms(0.9997)
    assert "3" in _number_forms(3)
    assert {"db"} & set(re.findall(r"[\"'`]([^\"'`]+)[\"'`]", 'try "db" next'))


def test_a_broken_exercise_fails_loudly_not_as_a_hint():
    from labkit.check import Exercise, Workbook

    def broken():
        raise ZeroDivisionError("bug in the exercise")

    wb = Workbook("test", {"q": Exercise("q", "number", broken, ("hint",))})
    with pytest.raises(ZeroDivisionError):
        wb.check("q", 1.0)


def test_component_from_mtbf_survives_copies_and_extremes():
    c = labkit.Component("disk", mtbf=1e308, mttr=1e308)
    assert c.availability == pytest.approx(0.5)
    arch = labkit.Architecture("m").add(c)
    copied = catalog.in_cells(arch, 2)   # once refused components built from MTBF/MTTR
    assert copied.availability_of("cell2-disk") == pytest.approx(0.5)


def test_groups_only_come_from_add_group():
    arch = labkit.Architecture("g").add_component("a").add_component("b")
    with pytest.raises(labkit.LabkitError, match="^kind='group'"):
        arch.add_component("g", kind="group", k=1)
    arch.add_group("g", ["a", "b"], k=2)
    assert labkit.availability(arch.with_availability(a=0.5, b=0.5), "serve") == 0.25


def test_a_refused_failure_domain_leaves_nothing_behind():
    arch = labkit.Architecture("d").add_component("a").add_component("b")
    with pytest.raises(labkit.LabkitError, match="^members="):
        arch.add_failure_domain("zone", ["a", "missing"])
    with pytest.raises(labkit.LabkitError, match="^members="):
        arch.add_failure_domain("zone", ["a", "a"])
    assert arch.components == ["a", "b"] and arch.edges() == [] and arch.version == 2


def test_architecture_size_is_bounded():
    from labkit.model import MAX_COMPONENTS
    arch = labkit.Architecture("big")
    for i in range(MAX_COMPONENTS):
        arch.graph.add_node(f"c{i}", component=labkit.Component(f"c{i}"))
    with pytest.raises(labkit.LabkitError, match=f"at most {MAX_COMPONENTS:,} components"):
        arch.add_component("one more")


def test_wrong_answers_get_directional_hints(capsys):
    # Chapter 01's value exercise; its Builds are tested in tests/test_workbook_01.py.
    wb = workbook("01_monolith")
    assert not wb.check("chain availability", 99.84).passed
    assert "percentage" in capsys.readouterr().out
    assert not wb.check("chain availability", 0.9999).passed
    assert "optimistic" in capsys.readouterr().out
    assert not wb.check("chain availability", 0.99).passed
    assert "pessimistic" in capsys.readouterr().out
    assert not wb.check("chain availability", object()).passed


def test_right_answers_pass():
    wb = workbook("01_monolith")
    assert wb.check("chain availability", labkit.series(0.9999, 0.999, 0.9995)).passed
    assert wb.check("fewest replicas for three nines",
                    catalog.replicated_monolith(3, app=0.97)).passed


def test_unknown_exercise_and_bad_solutions_path():
    with pytest.raises(labkit.LabkitError):
        workbook("01_monolith").check("no such exercise", 1)
    with pytest.raises(labkit.LabkitError) as excinfo:
        workbook("01_monolith", solutions="/nonexistent.py")
    assert "solutions" in str(excinfo.value)
