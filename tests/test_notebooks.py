"""Every lesson and workbook notebook: committed clean, follows its template, runs, repeats.

Notebooks are discovered by glob, so a new lesson is tested as soon as it is added.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import LESSONS, NOTEBOOKS, REPO, WORKBOOK, notebook_text, rel, stable_text

LESSON_SECTIONS = ("Overview", "Concepts", "Experiment", "Summary", "Sources")

all_notebooks = pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
lessons = pytest.mark.parametrize("path", LESSONS, ids=rel)
workbook = pytest.mark.parametrize("path", WORKBOOK, ids=rel)


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def parameter_cells(nb):
    return [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]


def solutions_file(path):
    return REPO / "workbook" / "solutions" / f"{path.stem}.py"


# ------------------------------------------------------------------------- structure


@all_notebooks
def test_valid_nbformat(path):
    nbformat.validate(read(path))


@all_notebooks
def test_committed_without_outputs(path):
    dirty = [
        i
        for i, cell in enumerate(read(path).cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{rel(path)}: code cells {dirty} have outputs or execution counts; clear them"


@all_notebooks
def test_no_saved_widget_state(path):
    # Saved state renders as "model not found" when the notebook is reopened without a kernel.
    widgets = read(path).metadata.get("widgets", {})
    assert not widgets, f"{rel(path)}: remove metadata.widgets ({', '.join(widgets)})"


@all_notebooks
def test_exactly_one_parameters_cell(path):
    found = parameter_cells(read(path))
    assert len(found) == 1, f"{rel(path)}: {len(found)} cells tagged 'parameters', expected 1"


@all_notebooks
def test_first_code_cell_sets_up_labkit(path):
    cells = code_cells(read(path))
    assert cells, f"{rel(path)} has no code cells"
    # setup() turns on offline altair rendering; anything drawn before it would need a CDN.
    assert re.search(r"\blabkit\.setup\(", cells[0].source), (
        f"{rel(path)}: the first code cell must call labkit.setup()"
    )


@lessons
def test_lesson_follows_template(path):
    headings = [
        line.lstrip("#").strip()
        for cell in read(path).cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if re.match(r"#{1,6}\s", line)
    ]
    missing = [s for s in LESSON_SECTIONS if not any(re.search(rf"\b{s}\b", h) for h in headings)]
    assert not missing, f"{rel(path)}: no markdown heading for {missing}; headings: {headings}"


@workbook
def test_workbook_takes_solutions_parameter(path):
    cells = parameter_cells(read(path))
    assert any(re.search(r"^solutions\s*=", c.source, re.M) for c in cells), (
        f"{rel(path)}: the parameters cell must define solutions (empty by default)"
    )
    assert solutions_file(path).is_file(), f"missing {rel(solutions_file(path))}"


# ------------------------------------------------------------------------- execution


@all_notebooks
def test_executes_without_errors(path, notebook_runs):
    notebook_text(notebook_runs.run(path))


@lessons
def test_same_parameters_same_output(path, notebook_runs):
    first = stable_text(notebook_runs.run(path, run=0))
    second = stable_text(notebook_runs.run(path, run=1))
    assert first == second, f"{rel(path)}: two runs with the same parameters printed different text"


SCORE = re.compile(r"^Score: (\d+)/(\d+)\s*$", re.M)


@workbook
def test_solutions_score_full_marks(path, notebook_runs):
    text = notebook_text(notebook_runs.run(path, {"solutions": str(solutions_file(path))}))
    scores = SCORE.findall(text)
    assert len(scores) == 1, f"{rel(path)}: expected one 'Score: k/n' line, got {scores}"
    got, total = map(int, scores[0])
    assert total >= 4 and got == total, f"{rel(path)} with its solutions scored {got}/{total}"


@workbook
def test_blank_workbook_scores_zero_with_hints(path, notebook_runs):
    text = notebook_text(notebook_runs.run(path))
    scores = SCORE.findall(text)
    assert len(scores) == 1, f"{rel(path)}: expected one 'Score: k/n' line, got {scores}"
    got, total = map(int, scores[0])
    assert got == 0 and total >= 4, f"{rel(path)}: an untouched workbook scored {got}/{total}"
    assert text.count("Hint:") == total, f"{rel(path)}: every unanswered check should print a hint"
