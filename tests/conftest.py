"""Shared test fixtures: the repository root, notebook discovery and cached papermill runs.

Executing a notebook costs a kernel start and seconds of work, and both the notebook tests
and the benchmark need every notebook executed, so executions are cached for the whole
session (keyed by notebook, parameters and a run number) together with how long they took.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import settings

# Property tests explore new random examples on a developer's machine; in CI (CI=true) they
# replay a fixed sequence, so a run is reproducible and a red CI names a repeatable example.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
KERNEL = "python3"

# Discovered at import time so the lists can drive parametrization. Globbing one level deep
# leaves out workbook/solutions/ and .ipynb_checkpoints/ without special cases.
LESSONS = sorted((REPO / "lessons").glob("*.ipynb"))
WORKBOOK = sorted((REPO / "workbook").glob("*.ipynb"))
NOTEBOOKS = LESSONS + WORKBOOK


def rel(path: Path) -> str:
    """Repository-relative POSIX path: used as test id and in messages."""
    return path.resolve().relative_to(REPO).as_posix()


def find_script(name: str) -> str | None:
    """A console script installed with this Python, else the one on PATH.

    ``pip install`` puts scripts in the interpreter's scripts folder (a venv's bin/), which is
    not on PATH when the venv's python is run without activating the venv.
    """
    filename = f"{name}.exe" if os.name == "nt" else name
    for folder in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        candidate = folder / filename
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def missing_tool(what: str, how_to_install: str):
    """A test cannot run because a tool is missing: skip on a developer's machine, fail in CI.

    CI (the ``CI`` environment variable set, as .ci/run and hosted CI services do) promises
    that every test ran; a skip there would report green without checking anything.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and in CI (CI={os.environ['CI']!r}) a test may not skip "
                    f"for that: {how_to_install}", pytrace=False)
    pytest.skip(f"{what} is missing: {how_to_install}")


# --------------------------------------------------------------------------- execution


@functools.cache
def ensure_kernel() -> None:
    """Make sure the ``python3`` kernelspec papermill asks for exists in this environment."""
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL in KernelSpecManager().find_kernel_specs():
        return
    # ipykernel normally provides it; a bare venv without a registered spec needs this once.
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL],
        check=True,
        capture_output=True,
    )


def execute_notebook(
    path: Path,
    parameters: dict[str, Any] | None = None,
    cwd: Path | None = None,
    output_dir: Path | None = None,
) -> nbformat.NotebookNode:
    """Execute ``path`` with papermill and return the executed notebook.

    The output is written under ``output_dir`` (a fresh temporary folder by default), never
    back into the repository: committed notebooks stay without outputs. A cell error raises
    ``papermill.PapermillExecutionError`` carrying the cell's traceback.
    """
    import papermill

    ensure_kernel()
    path = Path(path)
    out_dir = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="nb-"))
    output = out_dir / path.name
    papermill.execute_notebook(
        str(path),
        str(output),
        parameters=parameters or {},
        kernel_name=KERNEL,
        cwd=str(cwd or path.parent),
        progress_bar=False,
        log_output=False,
        # Bound a hung cell or kernel so CI fails instead of hanging for its whole budget.
        start_timeout=120,
        execution_timeout=300,
        # papermill otherwise rewrites (serialises and validates) the whole output notebook
        # before and after every cell, on the critical path: 1 to 1.5 s per lesson. It still
        # writes the output once at the end, and before raising on a cell error.
        request_save_on_cell_execute=False,
        # Every output is collected once the last cell is done. A graceful shutdown then
        # waits, about 1 s, for exit handlers that no notebook has.
        shutdown_kernel="immediate",
        config=kernel_manager_config(),
    )
    return nbformat.read(output, as_version=4)


def kernel_manager_config():
    """Configuration for the ``KernelManager`` of every kernel the tests start.

    ipykernel warns "Kernel is running over TCP without encryption" (ipykernel's
    ``IPKernelApp.init_sockets``) when its manager provisions no CurveZMQ keys. jupyter_client
    provisions them with ``transport_encryption="auto"`` when libzmq has CURVE and the
    kernelspec declares ``supported_encryption: curve`` (ipykernel's does). IPC transport would
    silence it too, but puts its socket files in the kernel's working directory, which is the
    notebook's folder here. Without CURVE support the default (plain loopback TCP) stays, and
    so does the warning: it is then true.
    """
    import zmq
    from traitlets.config import Config

    if not zmq.has("curve"):
        return Config()
    return Config({"KernelManager": {"transport_encryption": "auto"}})


def error_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Descriptions of every error output in an executed notebook."""
    errors = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"cell {index}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and out.get("name") == "stderr":
                # Tracebacks printed by widget callbacks land on stderr, not as error outputs.
                if "Traceback (most recent call last)" in out.get("text", ""):
                    errors.append(f"cell {index}: traceback on stderr:\n{out['text']}")
    return errors


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """All stream and ``text/plain`` outputs, in order; fails if any cell errored."""
    errors = error_outputs(nb)
    assert not errors, "notebook produced errors:\n" + "\n".join(errors)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data"):
                text = out.get("data", {}).get("text/plain")
                if text:
                    parts.append(text if isinstance(text, str) else "".join(text))
                    parts.append("\n")
    return "".join(parts)


# Identities that differ between two runs without the results differing: widget model ids
# (32 hex digits) and object addresses in default reprs.
_VOLATILE = re.compile(r"\b[0-9a-f]{32}\b|\b0x[0-9a-f]{6,}\b")


def stable_text(nb: nbformat.NotebookNode) -> str:
    """``notebook_text`` with widget ids and memory addresses masked, for run-to-run comparison."""
    return _VOLATILE.sub("<id>", notebook_text(nb))


@dataclass
class Execution:
    notebook: nbformat.NotebookNode | None
    seconds: float
    error: BaseException | None = None

    def result(self) -> nbformat.NotebookNode:
        """The executed notebook, or the execution's error re-raised."""
        if self.error is not None:
            raise self.error
        return self.notebook


class NotebookRuns:
    """Session cache of papermill executions, shared by the notebook tests and benchmarks."""

    def __init__(self, tmp_root: Path):
        self._tmp_root = tmp_root
        self._cache: dict[tuple, Execution] = {}

    def get(self, path: Path, parameters: dict[str, Any] | None = None, run: int = 0) -> Execution:
        """Execute ``path`` (cwd = its folder) once per (parameters, run) and cache the result.

        ``run`` tells apart deliberate repeats, e.g. the determinism check's second execution.
        A failed execution is cached too, so every test that needs it reports the same error
        without re-running the notebook.
        """
        parameters = dict(parameters or {})
        key = (rel(path), tuple(sorted((k, repr(v)) for k, v in parameters.items())), run)
        if key not in self._cache:
            out_dir = Path(tempfile.mkdtemp(prefix=f"{Path(path).stem}-", dir=self._tmp_root))
            start = time.perf_counter()
            try:
                nb = execute_notebook(path, parameters, cwd=Path(path).parent, output_dir=out_dir)
                self._cache[key] = Execution(nb, time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - cached and re-raised to each caller
                self._cache[key] = Execution(None, time.perf_counter() - start, exc)
        return self._cache[key]

    def run(self, path: Path, parameters: dict[str, Any] | None = None, run: int = 0):
        """The executed notebook (raising the execution's error, if it failed)."""
        return self.get(path, parameters, run).result()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def notebooks() -> list[Path]:
    """Every lesson and workbook notebook, for tests that take them all at once."""
    return list(NOTEBOOKS)


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory) -> NotebookRuns:
    return NotebookRuns(tmp_path_factory.mktemp("executed"))


# ------------------------------------------------------------------- repository hygiene


def _git_status(*paths: str) -> str | None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        return None
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    return done.stdout if done.returncode == 0 else None


@pytest.fixture(scope="session", autouse=True)
def notebooks_left_untouched():
    """Fail the session if running the tests changed or created anything in lessons/ or workbook/.

    Executed notebooks must go to temporary folders, and a notebook must not write files
    next to itself; either would show up here as a new or modified path.
    """
    before = _git_status("lessons", "workbook")
    yield
    after = _git_status("lessons", "workbook")
    if before is not None and after is not None:
        assert after == before, (
            "the tests changed lessons/ or workbook/:\n"
            f"before:\n{before or '(clean)'}\nafter:\n{after or '(clean)'}"
        )
