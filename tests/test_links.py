"""Every link a learner can follow resolves inside the repository.

Lessons, workbook chapters, the Markdown pages beside them and the README may only point at
files that are in the repository (and, for a page, at an anchor that page has). labkit's
docstrings and comments may only name repository files that exist: the project's design
notes and reference notes live outside the repository, so naming them sends a learner
nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, rel

LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
EXTERNAL = ("http://", "https://", "mailto:")
#: Files outside the repository that earlier docstrings named.
OUTSIDE = ("DESIGN.md", "facts.md", "talk-notes.md")


def markdown_texts() -> list[tuple[Path, str]]:
    """(file, Markdown text) for every page and every notebook's Markdown cells."""
    out = []
    for path in sorted(REPO.glob("*.md")) + sorted((REPO / "lessons").rglob("*.md")) \
            + sorted((REPO / "workbook").rglob("*.md")):
        out.append((path, path.read_text(encoding="utf-8")))
    for folder in ("lessons", "workbook"):
        for path in sorted((REPO / folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            nb = nbformat.read(path, as_version=4)
            text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
            out.append((path, text))
    return out


def anchors_of(page: Path) -> set[str]:
    """The anchors a Markdown page offers: explicit ``<a id>``s and its headings' slugs."""
    text = page.read_text(encoding="utf-8")
    found = set(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", text))
    for heading in re.findall(r"^#{1,6}\s+(.*)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def broken_links(source: Path, text: str) -> list[str]:
    """The links in ``text`` (written in ``source``) that do not resolve in the repository."""
    broken = []
    for target in LINK.findall(text) + IMAGE.findall(text):
        if target.startswith(EXTERNAL) or target.startswith("#"):
            continue
        path_part, _, anchor = target.partition("#")
        path_part = path_part.split("?", 1)[0]
        resolved = (source.parent / path_part).resolve()
        try:
            resolved.relative_to(REPO.resolve())
        except ValueError:
            broken.append(f"{target} (outside the repository)")
            continue
        if not resolved.exists():
            broken.append(f"{target} (no such file)")
            continue
        if anchor and resolved.suffix == ".md" and anchor not in anchors_of(resolved):
            broken.append(f"{target} (no anchor #{anchor} in {resolved.name})")
    return broken


@pytest.mark.parametrize("source, text", markdown_texts(), ids=lambda v: rel(v) if isinstance(v, Path) else "")
def test_every_link_resolves(source, text):
    assert not broken_links(source, text), f"{rel(source)}: " + "; ".join(broken_links(source, text))


def test_the_link_check_catches_a_missing_file_and_a_missing_anchor(tmp_path):
    lesson = REPO / "lessons" / "00_welcome.ipynb"
    assert broken_links(lesson, "see [the claims](talk_claims.md)") == []
    assert broken_links(lesson, "see [sources](sources.md#rule-of-three)") == []
    assert broken_links(lesson, "see [facts](../reference/facts.md)")
    assert broken_links(lesson, "see [sources](sources.md#no-such-anchor)")
    assert broken_links(lesson, "see [design](../../shared/DESIGN.md)")
    assert broken_links(lesson, "see [the web](https://example.com) and [top](#overview)") == []


# Paths in docstrings and comments: ``lessons/sources.md``, labkit/examples/my_shop.yaml ...
PATH = re.compile(r"(?<![\w/.])((?:\.\./)*(?:[\w\-]+/)+[\w\-]+\.(?:md|ipynb|yaml|yml|json|py))\b")


def named_files(text: str) -> list[str]:
    return PATH.findall(text)


def missing_named_files(source: Path, text: str) -> list[str]:
    missing = [name for name in OUTSIDE if re.search(rf"(?<![\w-]){re.escape(name)}", text)]
    for name in named_files(text):
        candidates = (REPO / name, source.parent / name, REPO / "labkit" / name)
        if not any(c.exists() for c in candidates):
            missing.append(name)
    return missing


LABKIT_FILES = sorted((REPO / "labkit").rglob("*.py"))


@pytest.mark.parametrize("source", LABKIT_FILES, ids=rel)
def test_labkit_names_only_files_in_the_repository(source):
    missing = missing_named_files(source, source.read_text(encoding="utf-8"))
    assert not missing, f"{rel(source)} names files that are not in the repository: {missing}"


def test_the_file_check_catches_notes_outside_the_repository():
    here = REPO / "labkit" / "formulas.py"
    assert missing_named_files(here, "see ``reference/facts.md``") == ["facts.md", "reference/facts.md"]
    assert missing_named_files(here, "as DESIGN.md says") == ["DESIGN.md"]
    assert missing_named_files(here, "see ../lessons/no_such_page.md") == ["../lessons/no_such_page.md"]
    assert missing_named_files(here, "see ``lessons/sources.md`` and labkit/examples/my_shop.yaml") == []
