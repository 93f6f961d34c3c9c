"""Benchmark: a click in Chromium to the new readout and the redrawn diagram on the page.

The kernel-side figure (tests/benchmarks/test_bench_analysis.py) leaves out the browser's
round trip; this measures what a learner waits for: press a crash button in lesson 01's
panel, wait until the readout text and the diagram both changed. Figures are printed; the
test fails only if a click never shows up on the page.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from test_browser import (UI_S, browser, first_panel_after_run_all, lab,  # noqa: F401
                          page, screenshot_on_failure)

pytestmark = pytest.mark.browser
CLICKS = 20


# Timed inside the page, so Playwright's own round trips are not counted: click the button,
# then resolve when a MutationObserver sees the readout change, and again for the diagram.
CLICK_JS = """async ([button, readout, svg]) => {
  const changed = (el) => new Promise((resolve) => {
    const seen = new MutationObserver(() => { seen.disconnect(); resolve(performance.now()); });
    seen.observe(el, {childList: true, subtree: true, characterData: true, attributes: true});
  });
  const text = changed(readout), drawing = changed(svg);
  const start = performance.now();
  button.click();
  return [(await text) - start, (await drawing) - start];
}"""


def test_click_to_readout_and_diagram(lab, page, tmp_path, capsys):  # noqa: F811
    with screenshot_on_failure(page, tmp_path):
        panel, readout = first_panel_after_run_all(page, lab, "lessons/01_monolith.ipynb")
        svg = panel.locator(".labkit-diagram svg.marks").first
        svg.wait_for(timeout=UI_S * 1000)
        button = panel.locator("button.labkit-crash-db").first
        handles = [button.element_handle(), readout.element_handle(), svg.element_handle()]
        states = []
        times = []
        for _ in range(CLICKS):
            times.append(page.evaluate(CLICK_JS, handles))
            states.append(bool(re.search(r"crashed (.*, )?db\b", readout.inner_text())))
            time.sleep(0.1)
    # Every click reached the kernel and came back: crashed, restored, crashed, ...
    assert states == [i % 2 == 0 for i in range(CLICKS)] or states == [i % 2 == 1 for i in range(CLICKS)]
    readout_ms, diagram_ms = zip(*times)
    with capsys.disabled():
        print(f"\nclick in Chromium -> page updated (timed in the page), lesson 01 panel, {CLICKS} clicks")
        for what, ms in (("readout", readout_ms), ("diagram", diagram_ms)):
            print(f"  {what:<8} p50 {np.percentile(ms, 50):6.1f} ms  p95 {np.percentile(ms, 95):6.1f} ms")
