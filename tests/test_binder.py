"""The Binder badge works: binder/ describes an environment that installs this package.

mybinder.org builds the repository with repo2docker, which reads only binder/ once that
folder exists. Building an image needs Docker, so these tests check what can be checked
here: the Dockerfile repo2docker would build, and that pip resolves the requirements.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import REPO, find_script, missing_tool

REQUIREMENTS = REPO / "binder" / "requirements.txt"
RUNTIME = REPO / "binder" / "runtime.txt"


def requirement_lines() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return [line for line in lines if line]


def test_requirements_install_the_repository():
    local = [line for line in requirement_lines() if re.fullmatch(r"(-e\s+|--editable[=\s]+)?\.(/)?", line)]
    assert local, f"{REQUIREMENTS.relative_to(REPO)} must install the package itself ('-e .')"


def test_runtime_is_python_311():
    assert RUNTIME.read_text().strip() == "python-3.11"


@pytest.fixture(scope="module")
def dockerfile() -> str:
    repo2docker = find_script("repo2docker")
    if repo2docker is None:
        missing_tool(f"repo2docker (not beside {sys.executable} nor on PATH)", "pip install -e '.[test]'")
    done = subprocess.run(
        [repo2docker, "--no-build", "--debug", str(REPO)],
        # Run from outside the repository: repo2docker chdirs into it itself.
        cwd=REPO.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def test_repo2docker_uses_binder_folder(dockerfile):
    assert "python=3.11" in dockerfile or "python-3.11" in dockerfile, "Binder would not use Python 3.11"
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile


def test_repo2docker_installs_after_copying_the_repository(dockerfile):
    # A local path in requirements.txt must make repo2docker install after copying the
    # repository; if it misreads the file, pip runs on an empty folder and the build fails.
    copy = dockerfile.index("COPY --chown=")  # base-image script files come first...
    copy = dockerfile.index("src/ ${REPO_DIR}/", copy)  # ...then the whole repository
    install = dockerfile.index('-r "binder/requirements.txt"')
    assert install > copy, "repo2docker would pip install binder/requirements.txt before the repository exists"


@pytest.mark.slow
def test_binder_requirements_resolve():
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "-r", str(REQUIREMENTS.relative_to(REPO))],
        cwd=REPO,  # repo2docker runs pip from the repository root; "-e ." is relative to it
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
