"""What the kernel holds equals what the learner set and sees, for every panel, in a browser.

The browser is the truth for widgets: a slider that rounds, or a drawing that reports its
initial state back, can silently change a model after Run All with nothing touched. For
every lesson with a break-it panel this test

1. runs the lesson with papermill plus one extra cell that prints
   ``labkit.views.panel_states()`` (what each panel's model holds, with its numbers);
2. opens the same lesson in JupyterLab in Chromium, runs all, asks the kernel for the same,
   and requires it to be identical: the browser's echoes changed nothing;
3. reads each panel's readout on the page and requires it to show those numbers;
4. checks every diagram fits its output area (no clipping, no horizontal scroll) with labels
   of at least 10 px;
5. moves the first panel's availability slider one stop with the keyboard, as a learner
   would, and requires the kernel's model to hold exactly that stop's value, and the page to
   show it.

Simulation panels (lessons 03, 05, 06) get the same: the study each panel's kernel holds
after Run All equals papermill's, every knob on the page shows the value the study holds,
the readout shows its success ratio; then a learner raises ``attempts`` with the keyboard
and picks another ``backoff``, and the kernel holds both and the readout changes: the
backoff knob changes what the learner reads.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

from conftest import LESSONS, REPO, execute_notebook, rel
from test_browser import (UI_S, assert_no_widget_errors, browser, lab, open_notebook,  # noqa: F401
                          page, run_all, screenshot_on_failure)

pytestmark = pytest.mark.browser

STATES_CODE = "import json, labkit.views\nprint(json.dumps(labkit.views.panel_states()))"
PANEL_LESSONS = [p for p in LESSONS if "break_it(" in p.read_text()]


SIM_STATES_CODE = "import json, labkit.views\nprint(json.dumps(labkit.views.simulation_panel_states()))"
SIM_LESSONS = [p for p in LESSONS if "simulate_it(" in p.read_text() or "SimulationPanel(" in p.read_text()]


def states_after_papermill(path: Path, tmp_path: Path, code: str = STATES_CODE) -> list[dict]:
    """Run the lesson headless with one more cell that prints every panel's state."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    copy = tmp_path / path.name
    nbformat.write(nb, copy)
    (tmp_path / "out").mkdir()
    done = execute_notebook(copy, cwd=path.parent, output_dir=tmp_path / "out")
    text = "".join(out.get("text", "") for out in done.cells[-1].outputs
                   if out.get("output_type") == "stream")
    return json.loads(text)


KERNEL_PRINT_JS = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  let text = '';
  const future = kernel.requestExecute({code, store_history: false});
  future.onIOPub = (msg) => {
    if (msg.header.msg_type === 'stream') { text += msg.content.text; }
    if (msg.header.msg_type === 'error') { text += 'ERROR ' + msg.content.evalue; }
  };
  await future.done;
  return text;
}"""


def kernel_print(page, code: str) -> str:
    return page.evaluate(KERNEL_PRINT_JS, code)


def format_percent(value: float) -> str:
    import labkit
    return labkit.format_percent(value)


@pytest.mark.parametrize("lesson", PANEL_LESSONS, ids=rel)
def test_kernel_holds_what_the_page_shows(lesson, lab, page, tmp_path):  # noqa: F811
    path = rel(lesson)
    expected = states_after_papermill(lesson, tmp_path)
    assert expected, f"{path}: papermill saw no panels"
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, path)
        run_all(page)
        panels = page.locator(".labkit-panel")
        panels.first.wait_for(timeout=UI_S * 1000)
        # Let every drawing finish and report back (that report is what once changed models).
        page.wait_for_function(
            f"() => document.querySelectorAll('.labkit-diagram svg.marks').length >= {len(expected)}",
            timeout=UI_S * 1000)
        time.sleep(2)
        in_kernel = json.loads(kernel_print(page, STATES_CODE))
        assert in_kernel == expected, f"{path}: the browser changed a model after Run All"

        readouts = page.locator(".labkit-panel .labkit-readout")
        assert readouts.count() == len(expected)
        for i, state in enumerate(expected):
            text = readouts.nth(i).inner_text()
            assert f"Request success ratio {format_percent(state['request_success_ratio'])}" in text, text
            assert f"blast radius) {state['blast_radius']:.1%}" in text, text
            crashed = ", ".join(state["crashed"]) or "nothing"
            assert f"crashed {crashed}" in text, text

        fits = page.evaluate("""() => [...document.querySelectorAll('.labkit-diagram')].map(d => {
            const svg = d.querySelector('svg.marks');
            const area = d.closest('.jp-OutputArea-output') || d.parentElement;
            const fonts = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize));
            return {svg: svg.getBoundingClientRect().width, area: area.getBoundingClientRect().width,
                    scroll: area.scrollWidth - area.clientWidth, smallest: Math.min(...fonts)};
        })""")
        for i, fit in enumerate(fits):
            assert fit["svg"] <= fit["area"] and fit["scroll"] <= 0, f"{path}: diagram {i} clipped: {fit}"
            assert fit["smallest"] >= 10, f"{path}: diagram {i} has {fit['smallest']} px labels"
        assert_no_widget_errors(page, path)


@pytest.mark.skipif(not (REPO / "lessons" / "00_welcome.ipynb").exists(), reason="no lesson 00")
def test_moving_the_slider_sets_exactly_that_stop(lab, page, tmp_path):  # noqa: F811
    path = "lessons/00_welcome.ipynb"
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, path)
        run_all(page)
        panel = page.locator(".labkit-panel").first
        panel.wait_for(timeout=UI_S * 1000)
        # Start from a clean model, on the database, whose own availability is a ladder stop.
        kernel_print(page, "panel.model.restore_all(); panel.view.picker.value = 'db'")
        ladder = json.loads(kernel_print(page, "import json; print(json.dumps("
                                         "[v for _, v in panel.view.slider.options]))"))
        start = ladder.index(0.9995)
        handle = panel.locator(".labkit-availability .noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        expected = ladder[start + 1]
        deadline = time.monotonic() + UI_S
        while True:
            state = json.loads(kernel_print(page, STATES_CODE))[0]
            if state["overrides"]:
                break
            assert time.monotonic() < deadline, "the kernel never saw the slider move"
            time.sleep(0.2)
        assert state["overrides"] == {"db": expected}, state
        readout = panel.locator(".labkit-availability .widget-readout").first.inner_text()
        assert readout.startswith(format_percent(expected)), readout
        page.wait_for_function(
            "([el, text]) => el.innerText.includes(text)",
            arg=[panel.locator(".labkit-readout").first.element_handle(),
                 f"Request success ratio {format_percent(state['request_success_ratio'])}"],
            timeout=UI_S * 1000)


# What each simulation panel's knobs show on the page: a slider's value, a dropdown's choice,
# the pressed toggle button; and the readout.
SIM_PAGE_JS = r"""() => [...document.querySelectorAll('.labkit-sim-panel')].map(panel => {
  const knobs = {};
  for (const knob of panel.querySelectorAll('[class*="labkit-sim-"]')) {
    const name = [...knob.classList].find(k => k.startsWith('labkit-sim-')).slice('labkit-sim-'.length);
    if (['panel', 'knobs', 'readout'].includes(name)) continue;
    const select = knob.querySelector('select');
    const readout = knob.querySelector('.widget-readout');
    const pressed = knob.querySelector('.widget-toggle-button.mod-active');
    // ipywidgets writes a dropdown's spaces as no-break spaces.
    if (select) knobs[name] = select.options[select.selectedIndex] ? select.options[select.selectedIndex].text.replace(/\u00a0/g, ' ') : null;
    else if (readout) knobs[name] = readout.textContent.trim();
    else if (pressed) knobs[name] = pressed.textContent.trim();
  }
  return {knobs, readout: panel.querySelector('.labkit-sim-readout').innerText};
})"""


def shown(value) -> str:
    """A knob's value as the page shows it: d3-format ".6" (``EXACT`` in labkit.views.simpanel)."""
    return f"{value:.6g}" if isinstance(value, (int, float)) else value


def wait_for_kernel(page, code: str, predicate, what: str):
    deadline = time.monotonic() + UI_S
    while True:
        value = json.loads(kernel_print(page, code))
        if predicate(value):
            return value
        assert time.monotonic() < deadline, f"{what}: the kernel holds {value!r}"
        time.sleep(0.2)


@pytest.mark.parametrize("lesson", SIM_LESSONS, ids=rel)
def test_simulation_panel_holds_what_the_page_shows(lesson, lab, page, tmp_path):  # noqa: F811
    path = rel(lesson)
    expected = states_after_papermill(lesson, tmp_path, SIM_STATES_CODE)
    assert expected, f"{path}: papermill saw no simulation panel"
    with screenshot_on_failure(page, tmp_path):
        open_notebook(page, lab, path)
        run_all(page)
        page.wait_for_function(
            f"() => document.querySelectorAll('.labkit-sim-panel .labkit-timeline svg.marks').length >= {len(expected)}",
            timeout=UI_S * 1000)
        time.sleep(2)
        assert json.loads(kernel_print(page, SIM_STATES_CODE)) == expected, \
            f"{path}: the browser changed a study after Run All"
        on_page = page.evaluate(SIM_PAGE_JS)
        assert len(on_page) == len(expected)
        for state, seen in zip(expected, on_page):
            for knob, text in seen["knobs"].items():
                assert text == shown(state[knob.replace("-", "_")]), (knob, text, state)
            assert f"Request success ratio {format_percent(state['success_ratio'])}" in seen["readout"]

        # A learner retries: attempts up to 3 with the keyboard, then another backoff.
        panel = page.locator(".labkit-sim-panel").first   # the oldest panel: listed first
        code = "import json, labkit.views\nprint(json.dumps(labkit.views.simulation_panel_states()[0]))"
        attempts = expected[0]["attempts"]
        if attempts < 3:
            handle = panel.locator(".labkit-sim-attempts .noUi-handle").first
            handle.focus()
            for _ in range(3 - attempts):
                handle.press("ArrowRight")
            wait_for_kernel(page, code, lambda s: s["attempts"] == 3, "attempts moved to 3")
        backoff = panel.locator(".labkit-sim-backoff select").first
        page.wait_for_function("(el) => !el.disabled", arg=backoff.element_handle(), timeout=UI_S * 1000)
        readout = panel.locator(".labkit-sim-readout").first

        def settled(what):
            # The kernel may answer while a run is under way: wait until what it holds is
            # what the readout on the page says.
            return wait_for_kernel(page, code, lambda s: f"retries {s['retries']:,.0f} " in readout.inner_text()
                                   and f"ratio {format_percent(s['success_ratio'])} " in readout.inner_text(), what)

        state = settled("the readout before the backoff changes")
        before = readout.inner_text()
        choice = "exponential" if state["backoff"] != "exponential" else "full"
        backoff.select_option(choice)
        wait_for_kernel(page, code, lambda s: s["backoff"] == choice, f"backoff set to {choice}")
        page.wait_for_function("([el, text]) => el.innerText !== text", arg=[readout.element_handle(), before],
                               timeout=UI_S * 1000)
        after = settled(f"the readout after backoff {choice}")
        assert after["backoff"] == choice
        assert (after["success_ratio"], after["retries"]) != (state["success_ratio"], state["retries"]), \
            f"{path}: backoff {choice} changed nothing: {after}"
        assert_no_widget_errors(page, path)
