"""labkit.setup(): charts render from bundled JavaScript, never from a CDN, and start fast.

Each probe runs in a fresh interpreter, as a notebook's kernel would, with its own cache folder
(shared by this module's tests so the 5 s bundle is built once).
"""

import os
import subprocess
import sys

import pytest

PROBE = """
import re, altair as alt, labkit
labkit.setup()
esm = alt.JupyterChart._esm
print(alt.JupyterChart._is_offline, len(esm) > 100_000,
      bool(re.search(r'from\\s*["\\']https?://', esm)), alt.renderers.active)
"""

# altair's chart validation still works, the IRI grammar is not built on import, and
# jsonschema's "iri" checkers still work when asked (building it then).
VALIDATION_PROBE = """
import sys, importlib.util, labkit
labkit.setup()
import altair as alt
data = alt.Data(values=[{"a": 1}])
alt.Chart(data).mark_point().encode(x="a:Q").to_dict()
try:
    alt.Chart(data).mark_point().encode(x="a:Q", color=alt.value(3)).to_dict()
    print("invalid-accepted")
except alt.utils.schemapi.SchemaValidationError:
    print("invalid-rejected")
print("grammar-built" if "rfc3987_syntax" in sys.modules else "grammar-deferred")
if importlib.util.find_spec("rfc3987_syntax") is None:
    print("iri-unchecked")
else:
    import jsonschema
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    ok = checker.conforms("https://example.com/r\\u00e9sum\\u00e9", "iri")
    bad = checker.conforms("no iri here", "iri")
    real = hasattr(sys.modules["rfc3987_syntax"], "syntax_parser")
    print("iri-checked" if ok and not bad and real else f"iri-broken {ok} {bad} {real}")
"""


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory):
    return tmp_path_factory.mktemp("xdg-cache")


def run(probe: str, cache_home) -> str:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home))
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_setup_bundles_vega_and_caches_it(cache_home):
    first = run(PROBE, cache_home)
    cached = list((cache_home / "labkit").glob("jupyterchart-offline-*.js"))
    second = run(PROBE, cache_home)
    # offline, a real bundle, no import from the internet, the jupyter renderer active
    assert first.split() == ["True", "True", "False", "jupyter"]
    assert second == first
    assert len(cached) == 1 and cached[0].stat().st_size > 100_000


def test_charts_still_validate_and_iri_checks_still_work(cache_home):
    lines = run(VALIDATION_PROBE, cache_home).split()
    assert lines[:2] == ["invalid-rejected", "grammar-deferred"]
    assert lines[2] in ("iri-checked", "iri-unchecked"), lines


def test_online_source_would_have_used_a_cdn():
    # The check above can fail: altair's own module source imports from a CDN.
    from altair.jupyter.jupyter_chart import load_js_src
    import re
    assert re.search(r'from\s*["\']https?://', load_js_src())
