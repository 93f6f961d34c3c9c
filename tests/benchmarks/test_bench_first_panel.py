"""Benchmark: seconds from starting a fresh kernel to the first break-it panel drawn.

The design's budget is 3 s: a learner opens lesson 01, runs it, and the first panel appears.
This starts a new kernel in lessons/ (as JupyterLab does), runs lesson 01's code cells in
order up to and including the first that calls ``break_it(``, and stops the clock when that
cell's reply arrives, by which time the kernel has sent the panel's display message. The
browser's own drawing comes after that and is not included; tests/test_browser.py checks the
panel renders there.

Like every benchmark it prints figures and asserts nothing about time. It fails if the figure
does not measure what it claims: a cell raised, or the cell displayed no widget (no
``application/vnd.jupyter.widget-view+json`` output whose model the kernel opened).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import nbformat
from jupyter_client import KernelManager

from conftest import KERNEL, REPO, ensure_kernel, kernel_manager_config

BUDGET_SECONDS = 3.0
LESSON = REPO / "lessons" / "01_monolith.ipynb"
RUNS = 3  # a fresh kernel each; the median is the figure (the machine is shared)
CELL_TIMEOUT_S = 120
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def cells_to_first_panel() -> list[str]:
    """Lesson 01's code cells, in order, up to and including the first ``break_it(`` call."""
    sources = []
    for cell in nbformat.read(LESSON, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        sources.append(cell.source)
        if "break_it(" in cell.source:
            return sources
    raise AssertionError(f"{LESSON.relative_to(REPO)} has no code cell that calls break_it(")


def warm_chart_cache() -> None:
    """Build labkit's cached Vega bundle if this machine has none yet (a one-off 5 s).

    Benchmarks run before the notebook tests, so on a clean machine the first kernel here
    would otherwise pay for what every later kernel reads from the cache.
    """
    subprocess.run(
        [sys.executable, "-c", "from labkit.setup import enable_offline_charts; enable_offline_charts()"],
        check=True, capture_output=True, timeout=300,
    )


def time_first_panel(sources: list[str]) -> tuple[float, float, dict]:
    """(kernel ready, panel displayed) seconds from kernel start, and the panel's view data."""
    km = KernelManager(kernel_name=KERNEL, config=kernel_manager_config())
    start = time.perf_counter()
    km.start_kernel(cwd=str(LESSON.parent))
    client = km.client()
    try:
        client.start_channels()
        client.wait_for_ready(timeout=CELL_TIMEOUT_S)
        ready = time.perf_counter() - start
        for index, source in enumerate(sources):
            messages = []
            reply = client.execute_interactive(source, output_hook=messages.append,
                                               timeout=CELL_TIMEOUT_S)
            content = reply["content"]
            assert content["status"] == "ok", (
                f"cell {index} of the lesson raised {content.get('ename')}: {content.get('evalue')}\n"
                + "\n".join(content.get("traceback", [])))
        shown = time.perf_counter() - start
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)

    # The last cell is the break_it one: it must have displayed a widget the kernel created.
    views = [m["content"]["data"][WIDGET_VIEW] for m in messages
             if m["msg_type"] in ("execute_result", "display_data") and WIDGET_VIEW in m["content"]["data"]]
    opened = {m["content"]["comm_id"] for m in messages if m["msg_type"] == "comm_open"}
    assert views, f"the break_it cell displayed no widget:\n{sources[-1]}"
    view = views[0]
    assert view.get("model_id") in opened, f"displayed widget {view} was never opened as a comm"
    return ready, shown, view


def test_fresh_kernel_to_first_panel(capsys):
    ensure_kernel()
    warm_chart_cache()
    sources = cells_to_first_panel()
    runs = [time_first_panel(sources) for _ in range(RUNS)]
    shown = [s for _, s, _ in runs]
    lines = [
        "",
        f"fresh kernel to first panel ({LESSON.relative_to(REPO).as_posix()}, "
        f"{len(sources)} code cells), {RUNS} kernels",
        *(f"  run {i + 1}: kernel ready {ready:5.2f} s, panel displayed {s:5.2f} s"
          for i, (ready, s, _) in enumerate(runs)),
        f"  median {statistics.median(shown):5.2f} s  budget {BUDGET_SECONDS:.0f} s",
    ]
    with capsys.disabled():
        print("\n".join(lines))
