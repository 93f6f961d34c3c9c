"""``labkit.setup()``: what every notebook needs once, in its first cell.

Charts must render with no internet: altair's default renderer loads Vega from a CDN.
``JupyterChart.enable_offline()`` bundles Vega with vl-convert instead, which takes about
5 s per kernel; the bundle only changes with the altair and vl-convert versions, so it is
cached on disk and every later notebook starts in a fraction of that.

Importing altair was most of a notebook's start-up, almost all of it a grammar that altair
never uses (see ``_iri_grammar_deferred``); that part is now paid only if an IRI is checked.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import sys
import types
from pathlib import Path


def _cache_file(alt: types.ModuleType) -> Path:
    import vl_convert

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(f"{alt.__version__}|{vl_convert.__version__}".encode()).hexdigest()[:16]
    return base / "labkit" / f"jupyterchart-offline-{key}.js"


@contextlib.contextmanager
def _iri_grammar_deferred():
    """While importing jsonschema, defer building the IRI grammar until an IRI is checked.

    altair imports jsonschema, whose ``_format`` module does
    ``from rfc3987_syntax import is_valid_syntax`` at import time to register the "iri" and
    "iri-reference" format checkers. Importing ``rfc3987_syntax`` compiles an Earley parser for
    RFC 3987: about 1.5 s on an idle core, 3 s and more on a busy one, in every kernel. altair
    never uses those checkers: the Vega-Lite schema it validates charts against has only "uri",
    "uri-reference" and "color-hex" formats. So for the duration of that import,
    ``rfc3987_syntax`` is a stand-in module whose ``is_valid_syntax`` imports the real one on
    first call. jsonschema registers the same checkers, which behave exactly as before; only
    the grammar is built when (if ever) an IRI is validated. The stand-in leaves
    ``sys.modules`` as soon as the import is done, so any other ``import rfc3987_syntax`` gets
    the real module.
    """
    if "jsonschema._format" in sys.modules or "rfc3987_syntax" in sys.modules:
        yield  # too late to help, or already paid for
        return
    if importlib.util.find_spec("rfc3987_syntax") is None:
        yield  # not installed: jsonschema simply registers no IRI checker
        return

    def is_valid_syntax(term: str, value: str) -> bool:
        if sys.modules.get("rfc3987_syntax") is stand_in:  # called while still importing
            del sys.modules["rfc3987_syntax"]
        from rfc3987_syntax import is_valid_syntax as real  # the real module, imported once

        return real(term, value)

    stand_in = types.ModuleType("rfc3987_syntax", "labkit's deferred stand-in; see labkit.setup")
    stand_in.is_valid_syntax = is_valid_syntax
    sys.modules["rfc3987_syntax"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("rfc3987_syntax") is stand_in:
            del sys.modules["rfc3987_syntax"]


def _import_altair() -> types.ModuleType:
    with _iri_grammar_deferred():
        import altair
    return altair


def _configure(alt: types.ModuleType) -> None:
    """Make every altair chart render from locally bundled JavaScript (no CDN)."""
    if not alt.JupyterChart._is_offline:
        path = _cache_file(alt)
        try:
            alt.JupyterChart._esm = path.read_text(encoding="utf-8")
            alt.JupyterChart._is_offline = True
        except OSError:
            alt.JupyterChart.enable_offline()
            try:  # a read-only home only costs the next kernel the 5 s again
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(alt.JupyterChart._esm, encoding="utf-8")
                tmp.replace(path)
            except OSError:
                pass
    # Plain alt.Chart objects shown in a cell go through JupyterChart too.
    alt.renderers.enable("jupyter", offline=True)


def enable_offline_charts() -> None:
    """Import altair now and make every chart render from locally bundled JavaScript."""
    _configure(_import_altair())


def setup() -> None:
    """Call once at the top of a notebook: every chart and panel then renders offline.

    >>> import labkit
    >>> labkit.setup()
    >>> import altair as alt
    >>> alt.JupyterChart._is_offline, alt.renderers.active
    (True, 'jupyter')
    """
    enable_offline_charts()
