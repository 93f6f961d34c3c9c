"""The lessons as a learner sees them: JupyterLab in headless Chromium, Run All, click.

Papermill proves the Python runs; only a browser proves the widgets render offline and answer
a click. Each lesson is opened in a real JupyterLab, run top to bottom, and checked for the
widget-loading errors a learner would see. In the monolith lesson the break-it panel is then
driven: crash ``app`` by its button and the database by clicking its box, and watch the
readout and the diagram change. Workbook chapters are run unanswered (hints, a score), and
the cells lesson shows a blast radius of 1/4 after one click.

Every lesson is also read as a learner sees it at 1400 x 1000 with the file browser open
(``assert_panels_readable``): each simulation panel knob shows its value and is not clipped,
no two labels of a chart overlap, every panel fits the notebook's view with its readout in
sight, and a break-it panel shows its state legend once.

The panel's CSS classes are a contract with ``labkit.views``:
``.labkit-panel`` (the panel), ``.labkit-crash-<component>`` (its crash toggle button),
``.labkit-readout`` (live readout text) and ``.labkit-diagram`` (the altair chart, as SVG);
``.labkit-sim-panel`` (a simulation panel), ``.labkit-sim-<knob>`` (each knob, e.g.
``.labkit-sim-fault-at``), ``.labkit-sim-readout`` and ``.labkit-timeline`` (its chart).

Needs Debian's chromium at /usr/bin/chromium (Playwright's own browser download is not
reachable here). Without it, or without playwright, the tests skip with the reason on a
developer's machine and fail in CI (the ``CI`` environment variable set).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import LESSONS, REPO, WORKBOOK, missing_tool, rel

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What JupyterLab and ipywidgets show or log when a widget cannot be shown. The first three are
# what a learner reads on the page; the last two are what ipywidgets 8 logs when a widget's
# JavaScript module is missing (it then silently falls back to the text repr).
WIDGET_ERRORS = (
    "Error displaying widget",
    "Error loading script",
    "Failed to load model class",
    "No version of module",
    "Could not create a",
)
MONOLITH = "01_monolith.ipynb"
CELLS = "04_cells.ipynb"
RENDERED = ".labkit-panel, .vega-embed"
SERVER_START_S = 60
KERNEL_READY_S = 90
RUN_ALL_S = 120
UI_S = 30

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def require_browser_tools() -> None:
    """Skip (locally) or fail (in CI) if playwright or Chromium is missing.

    Called first by the ``lab`` and ``browser`` fixtures, so every module that uses them gets
    the same rule, and no server starts for tests that cannot run.
    """
    if sync_playwright is None:
        missing_tool("playwright", "pip install -e '.[test]'")
    if not CHROMIUM.exists():
        missing_tool(f"Debian chromium at {CHROMIUM}", "apt-get install -y chromium")


# JupyterLab user settings for the test server only. Windowing "none" keeps every cell in the
# DOM, so off-screen widgets render and their errors are visible to innerText; news and update
# checks would reach for the internet and pop toasts over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running test server: its URL and the token that authorises us to it."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def api(self, path: str, method: str = "GET"):
        # A token header, unlike a browser cookie, needs no XSRF token for DELETE.
        request = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of lessons/ and workbook/; yields a ``Lab``.

    The copy keeps the repository clean: JupyterLab writes checkpoints and autosaves.
    """
    require_browser_tools()
    root = tmp_path_factory.mktemp("lab-root")
    for folder in ("lessons", "workbook"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    home = tmp_path_factory.mktemp("lab-home")
    for name, settings in LAB_SETTINGS.items():
        target = home / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings))
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
    )
    port = free_port()
    # A real token rather than none: the server keeps its XSRF checks, as a learner's does.
    lab = Lab(f"http://127.0.0.1:{port}", secrets.token_hex(16))
    command = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={lab.token}",  # jupyter_server 2.x spelling
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to drive commands directly
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n{(home / 'server.log').read_text()}")
            with contextlib.suppress(OSError):
                lab.api("/api/status")
                break
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in {SERVER_START_S} s:\n{(home / 'server.log').read_text()}")
            time.sleep(0.5)
        yield lab
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    require_browser_tools()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, lab, tmp_path):
    """A fresh page that records console messages; screenshots itself if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    # Read by assert_no_widget_errors.
    page.console_messages = []
    page.page_errors = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    yield page
    context.close()
    # Each opened notebook started a kernel; stop them so the next lesson has the CPU.
    for session in lab.api("/api/sessions") or []:
        lab.api(f"/api/sessions/{session['id']}", method="DELETE")


@contextlib.contextmanager
def screenshot_on_failure(page, tmp_path):
    try:
        yield
    except BaseException:
        shot = tmp_path / "failure.png"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        raise


# ------------------------------------------------------------------------- driving


KERNEL_IDLE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle';
}"""

BUSY_PROMPTS_JS = """() => [...document.querySelectorAll('.jp-InputPrompt')]
  .filter(e => e.textContent.includes('*')).length"""


def open_notebook(page, lab: Lab, path: str) -> None:
    """Open a notebook in a fresh workspace and wait until its kernel is idle."""
    # The token in the URL logs the page in (JupyterLab then keeps it in a cookie).
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}", timeout=UI_S * 1000)
    page.wait_for_function("() => !!window.jupyterapp", timeout=UI_S * 1000)
    deadline = time.monotonic() + KERNEL_READY_S
    while not page.evaluate(KERNEL_IDLE_JS):
        # A notebook saved without kernelspec metadata asks for a kernel: take the default.
        accept = page.locator(".jp-Dialog .jp-mod-accept")
        if accept.count():
            accept.first.click()
        if time.monotonic() > deadline:
            raise AssertionError(f"kernel of {path} not idle after {KERNEL_READY_S} s")
        time.sleep(0.5)


def run_all(page) -> None:
    """Run every cell and wait until the last one has finished and the kernel is idle."""
    # The command's promise settles when execution ends; bounding it keeps a hung cell finite.
    page.evaluate(
        """async (ms) => {
      const run = window.jupyterapp.commands.execute('notebook:run-all-cells');
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('Run All timed out')), ms));
      await Promise.race([run, timeout]);
    }""",
        RUN_ALL_S * 1000,
    )
    page.wait_for_function(f"() => ({BUSY_PROMPTS_JS})() === 0", timeout=RUN_ALL_S * 1000)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=RUN_ALL_S * 1000)


def assert_no_widget_errors(page, path: str) -> None:
    body = page.inner_text("body")
    shown = [e for e in WIDGET_ERRORS if e in body]
    logged = [m.splitlines()[0] for m in page.console_messages if any(e in m for e in WIDGET_ERRORS)]
    assert not shown, f"{path}: the page shows {shown}"
    assert not logged, f"{path}: the console logged widget errors: {logged}"
    assert not page.page_errors, f"{path}: uncaught JavaScript errors: {page.page_errors}"
    # Python exceptions in a cell, which papermill would also catch; repeated for a clear report.
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t]
    assert not tracebacks, f"{path}: cells raised:\n" + "\n".join(tracebacks)


# Every chart drawn: each vega-embed in an output holds an SVG with its text.
DRAWN_JS = """() => [...document.querySelectorAll('.jp-OutputArea-output .vega-embed')]
  .every(e => { const svg = e.querySelector('svg.marks'); return !!svg && svg.querySelectorAll('text').length > 0; })"""

# What a learner at 1400 x 1000 with the file browser open cannot read, measured on the page.
# Returns one sentence per problem:
# - a simulation panel's knob wider than its column, or a part of it (the slider's value, a
#   dropdown with its arrow, a button, a label) clipped, covered, or its text cut short;
# - a panel taller than the notebook's view, or its readout out of sight while the top of the
#   panel is at the top of the view;
# - a break-it panel that shows the state legend other than once;
# - two text labels of one chart whose boxes overlap;
# - a panel's chart wider than its output area.
READABLE_JS = r"""() => {
  const problems = [];
  const box = (e) => e.getBoundingClientRect();
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const px = (v) => Math.round(v);
  const seen = (e, x, y) => { const hit = document.elementFromPoint(x, y); return !!hit && (hit === e || e.contains(hit)); };
  const clipper = (e, top) => {
    for (let a = e.parentElement; a && a !== top; a = a.parentElement) {
      const s = getComputedStyle(a);
      if ((s.overflowX !== 'visible' || s.overflowY !== 'visible') && !inside(box(e), box(a))) return a;
    }
    return null;
  };
  const notebook = document.querySelector('.jp-NotebookPanel-notebook');
  const view = box(notebook);
  const outputs = [...document.querySelectorAll('.jp-Cell')];
  const where = (e) => `cell ${outputs.indexOf(e.closest('.jp-Cell'))}`;

  document.querySelectorAll('.labkit-sim-panel').forEach((panel) => {
    panel.scrollIntoView({block: 'start'});
    const column = panel.querySelector('.labkit-sim-fault').parentElement;
    const col = box(column);
    for (const knob of [...column.children].filter(c => [...c.classList].some(k => k.startsWith('labkit-sim-')))) {
      const label = (knob.querySelector('.widget-label') || knob).textContent.trim();
      const r = box(knob);
      if (!inside(r, col)) problems.push(`${where(panel)}: knob "${label}" is ${px(r.width)} px wide, its column shows ${px(col.width)} px`);
      const parts = knob.querySelectorAll('select, .widget-readout, .widget-toggle-button, .widget-label');
      for (const part of parts) {
        const pr = box(part);
        const what = part.matches('select') ? 'dropdown' : part.matches('.widget-readout') ? 'value'
                   : part.matches('.widget-label') ? 'label' : `button "${part.textContent.trim()}"`;
        if (pr.width < 1) { if (!part.matches('.widget-label')) problems.push(`${where(panel)}: knob "${label}": its ${what} has no width`); continue; }
        const clip = clipper(part, panel);
        if (clip || !inside(pr, col)) { problems.push(`${where(panel)}: knob "${label}": its ${what} is clipped (${px(pr.left)}-${px(pr.right)} px, column ${px(col.left)}-${px(col.right)} px)`); continue; }
        // The arrow of a dropdown is at its right end; a value or a button, in the middle.
        const x = part.matches('select') ? pr.right - 8 : (pr.left + pr.right) / 2;
        if (!seen(part, x, (pr.top + pr.bottom) / 2)) problems.push(`${where(panel)}: knob "${label}": its ${what} is covered by something else`);
        if (!part.matches('select') && part.scrollWidth > part.clientWidth + 1) problems.push(`${where(panel)}: knob "${label}": its ${what} text is cut ("${part.textContent.trim()}")`);
        if (part.matches('.widget-readout') && !part.textContent.trim()) problems.push(`${where(panel)}: knob "${label}" shows no value`);
      }
    }
    for (const svg of panel.querySelectorAll('.labkit-timeline svg.marks')) {
      const area = panel.closest('.jp-OutputArea-output') || panel;
      if (!inside(box(svg), box(area))) problems.push(`${where(panel)}: the panel's chart (${px(box(svg).width)} px) does not fit its output area (${px(box(area).width)} px)`);
    }
  });

  for (const panel of document.querySelectorAll('.labkit-panel, .labkit-sim-panel')) {
    panel.scrollIntoView({block: 'start'});
    const r = box(panel);
    if (r.height > view.height + 1) problems.push(`${where(panel)}: the panel is ${px(r.height)} px tall; the notebook shows ${px(view.height)} px`);
    const readout = panel.querySelector('.labkit-readout, .labkit-sim-readout');
    const rr = box(readout);
    if (rr.bottom > view.bottom + 1 || rr.top < view.top - 1) problems.push(`${where(panel)}: with the top of the panel in view its readout is out of sight (${px(rr.top - view.top)}-${px(rr.bottom - view.top)} px in a ${px(view.height)} px view)`);
  }

  for (const panel of document.querySelectorAll('.labkit-panel')) {
    const drawn = panel.querySelectorAll('.labkit-diagram g.role-legend').length;
    const written = [...panel.querySelectorAll('.widget-html-content')]
      .filter(e => /\bup\b[\s\S]*\bdegraded\b[\s\S]*\bfailed\b[\s\S]*\bcrashed\b/.test(e.textContent)).length;
    if (drawn + written !== 1) problems.push(`${where(panel)}: the state legend appears ${drawn + written} times (${drawn} in the diagram, ${written} in text)`);
  }

  document.querySelectorAll('.jp-OutputArea-output svg.marks').forEach((svg) => {
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() && box(t).width > 0);
    const pairs = [];
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
      const a = box(texts[i]), b = box(texts[j]);
      if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1)
        pairs.push(`"${texts[i].textContent}" / "${texts[j].textContent}"`);
    }
    if (pairs.length) problems.push(`${where(svg)}: a chart has ${pairs.length} overlapping label pairs, e.g. ${pairs.slice(0, 3).join(', ')}`);
  });
  return problems;
}"""


def assert_panels_readable(page, path: str) -> None:
    """Every panel and chart on the page can be read as a learner sees it (READABLE_JS)."""
    page.wait_for_function(DRAWN_JS, timeout=UI_S * 1000)
    time.sleep(1)   # let the last layout settle
    problems = page.evaluate(READABLE_JS)
    assert not problems, f"{path}: what a learner cannot read:\n" + "\n".join(problems)


def first_panel_after_run_all(page, lab: Lab, path: str):
    """Open ``path``, Run All, and return the first break-it panel and its readout."""
    open_notebook(page, lab, path)
    run_all(page)
    panel = page.locator(".labkit-panel").first
    panel.wait_for(timeout=UI_S * 1000)
    return panel, panel.locator(".labkit-readout").first


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("lesson", [p for p in LESSONS if p.name != MONOLITH], ids=rel)
def test_lesson_renders_in_browser(lesson, lab, page, tmp_path):
    path = rel(lesson)
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, path)
        run_all(page)
        # Widgets render after the kernel is idle. Wait for a chart or panel, but check errors
        # first so a broken widget is reported as such rather than as a timeout.
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_selector(RENDERED, timeout=UI_S * 1000)
        assert_no_widget_errors(page, path)
        assert page.locator(RENDERED).count(), f"{path}: no break-it panel or chart rendered"
        assert_panels_readable(page, path)


@pytest.mark.skipif(not (REPO / "lessons" / MONOLITH).exists(), reason=f"lessons/{MONOLITH} not written yet")
def test_monolith_break_it_panel(lab, page, tmp_path):
    path = f"lessons/{MONOLITH}"
    with screenshot_on_failure(page, tmp_path):
        panel, readout = first_panel_after_run_all(page, lab, path)
        svg = panel.locator(".labkit-diagram svg.marks").first  # vega-embed's menu icon is an svg too
        svg.wait_for(timeout=UI_S * 1000)
        assert_panels_readable(page, path)
        readout_before = readout.inner_text()
        svg_before = svg.inner_html()

        # ToggleButton puts the class on its <button>; accept a wrapper with a button inside too.
        panel.locator("button.labkit-crash-app, .labkit-crash-app button").first.click()

        deadline = time.monotonic() + UI_S
        while readout.inner_text() == readout_before:
            assert time.monotonic() < deadline, f"readout did not change within {UI_S} s: {readout_before!r}"
            time.sleep(0.2)
        # The chart redraws asynchronously after the readout; give it the same bound.
        while svg.inner_html() == svg_before:
            assert time.monotonic() < deadline, "the diagram did not redraw after crashing app"
            time.sleep(0.2)
        # Clicking a box in the diagram crashes it too (nodes are drawn as symbols, in the
        # order components were added: app, server, db).
        before_click = readout.inner_text()
        panel.locator(".labkit-diagram g.mark-symbol.role-mark path").nth(2).click()
        deadline = time.monotonic() + UI_S
        # Whatever the lesson left crashed, the database is now among the crashed.
        while not re.search(r"crashed (.*, )?db\b", readout.inner_text()):
            assert time.monotonic() < deadline, f"clicking the db box did not crash it: {before_click!r}"
            time.sleep(0.2)
        # Kept for a person to look at: what the learner sees after the click.
        panel.screenshot(path=str(tmp_path / "monolith-panel-after-click.png"))
        print(f"panel screenshot: {tmp_path / 'monolith-panel-after-click.png'}")
        assert_no_widget_errors(page, path)


@pytest.mark.parametrize("chapter", WORKBOOK, ids=rel)
def test_workbook_chapter_runs_in_browser(chapter, lab, page, tmp_path):
    """A learner opens a chapter and runs it unanswered: hints, a score, no errors."""
    path = rel(chapter)
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, path)
        run_all(page)
        page.wait_for_selector("text=Score: 0/", timeout=UI_S * 1000)
        assert "Hint:" in page.inner_text("body")
        assert_no_widget_errors(page, path)


@pytest.mark.skipif(not (REPO / "lessons" / CELLS).exists(), reason=f"lessons/{CELLS} not written yet")
def test_cells_panel_shows_blast_radius(lab, page, tmp_path):
    """In the cells lesson, restore everything, crash one cell's db: a quarter of customers."""
    path = f"lessons/{CELLS}"
    with screenshot_on_failure(page, tmp_path):
        panel, readout = first_panel_after_run_all(page, lab, path)
        panel.locator("button.labkit-restore").first.click()
        page.wait_for_function(
            "(el) => el.innerText.includes('crashed nothing')", arg=readout.element_handle(),
            timeout=UI_S * 1000)
        panel.locator("button.labkit-crash-cell3-db").first.click()
        page.wait_for_function(
            "(el) => el.innerText.includes('blast radius) 25.0%')", arg=readout.element_handle(),
            timeout=UI_S * 1000)
        assert_no_widget_errors(page, path)
