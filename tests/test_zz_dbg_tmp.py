import time, sys
sys.path.insert(0, "/work/main/tests")
from test_browser import lab, browser, page, open_notebook, run_all  # noqa

def test_dbg(lab, page):
    open_notebook(page, lab, "lessons/01_monolith.ipynb"); run_all(page)
    print("panels", page.locator(".labkit-panel").count())
    panel = page.locator(".labkit-panel").first
    print("crash", panel.locator(".labkit-crash-app").evaluate_all("es => es.map(e => e.outerHTML.slice(0,200))"))
    print("diagram", panel.locator(".labkit-diagram").evaluate_all("es => es.map(e => e.outerHTML.slice(0,300))"))
    svg = panel.locator(".labkit-diagram svg.marks").first
    r = panel.locator(".labkit-readout").first
    r0, s0 = r.inner_text(), svg.inner_html()
    print("readout0", r0[:300])
    panel.locator("button.labkit-crash-app, .labkit-crash-app button").first.click()
    for i in range(10):
        time.sleep(0.5)
        print(i, r.inner_text() != r0, svg.inner_html() != s0, len(svg.inner_html()), len(s0))
    print("readout1", r.inner_text()[:300])
    page.screenshot(path="/tmp/dbg.png")
    print([m[:200] for m in page.console_messages], page.page_errors)
