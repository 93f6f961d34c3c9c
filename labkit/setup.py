"""``labkit.setup()``: what every notebook needs once, in its first cell.

Charts must render with no internet: altair's default renderer loads Vega from a CDN.
``JupyterChart.enable_offline()`` bundles Vega with vl-convert instead, which takes about
5 s per kernel; the bundle only changes with the altair and vl-convert versions, so it is
cached on disk and every later notebook starts in a fraction of that.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import altair as alt

def _cache_file() -> Path:
    import vl_convert

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(f"{alt.__version__}|{vl_convert.__version__}".encode()).hexdigest()[:16]
    return base / "labkit" / f"jupyterchart-offline-{key}.js"


def enable_offline_charts() -> None:
    """Make every altair chart render from locally bundled JavaScript (no CDN)."""
    if alt.JupyterChart._is_offline:
        return
    path = _cache_file()
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


def setup() -> None:
    """Call once at the top of a notebook: every chart and panel then renders offline."""
    enable_offline_charts()
