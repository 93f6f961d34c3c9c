"""The architecture diagram as a declarative altair spec.

The spec is built once per architecture from plain data (nodes and edges with positions).
Component state lives in one Vega parameter, ``node_state`` (name -> state): updating it
recolours the drawing in the browser without rebuilding or re-embedding the chart.

>>> from labkit.catalog import monolith
>>> spec = diagram(monolith()).to_dict()
>>> sorted(p["name"] for p in spec["params"])
['clicked', 'node_state']
"""

from __future__ import annotations

import math
import re
from typing import Mapping

import altair as alt

from ..errors import check_choice, check_count, check_flag, fail
from ..formulas import format_percent
from ..layout import positions
from ..model import Architecture, as_architecture

STATE_COLOURS = {"up": "#2e9e5b", "degraded": "#e3a21a", "failed": "#f08a5d", "crashed": "#c0392b"}
STATE_PARAM = "node_state"
CLICK_PARAM = "clicked"
# Services and workers are circles; a replica group is a cross ("w1+w2": any of these).
SHAPES = {"database": "square", "router": "diamond", "load balancer": "diamond", "group": "cross",
          "domain": "triangle-up", "worker": "circle", "queue": "square"}
# JupyterLab's output area is about 970 px wide in a 1400 px window with the file browser
# open; the drawing, its padding and the legend must fit inside without a scroll bar.
MAX_WIDTH = 860
MAX_HEIGHT = 900
COLUMN_PX = 100          # room per unit of x when there is plenty
ROW_PX = 80
FONT_PX = 11
MIN_FONT_PX = 10         # smaller is hard to read; rows that would need it are laid out wider
CHAR_PX = 0.6            # average glyph width in font sizes, for a sans-serif font
LABEL_DY = {900: 18, 420: 13}   # a label's top below its node's centre, by node size


def wrap_name(name: str, width: int) -> list[str]:
    """Break a name into lines of at most ``width`` characters at spaces, '-' and '+'.

    The name itself is unchanged (it is what a learner types); only its drawing wraps.

    >>> wrap_name("cell1-delivery estimate", 9)
    ['cell1-', 'delivery', 'estimate']
    """
    parts = re.findall(r"[^ +-]+[ +-]?|[ +-]", name)
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(part.rstrip()) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return [line.rstrip() for line in lines if line.strip()] or [name]


def layout_metrics(arch: Architecture, max_height: int = MAX_HEIGHT) -> dict:
    """Pixel sizes for drawing ``arch``: width, height, font, and each node's label lines.

    Everything is derived from positions, so the diagram always fits :data:`MAX_WIDTH`, and
    :data:`MAX_HEIGHT` or ``max_height`` as long as each row keeps room for its node and
    labels (a deeper architecture is drawn taller rather than with overlapping labels).
    """
    pos = positions(arch)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    pad_x = 0.6 if span_x else 1.0
    pad_y = 0.45 if span_y else 1.0
    unit_x = min(COLUMN_PX, MAX_WIDTH / (span_x + 2 * pad_x))
    # The closest neighbours in a row set how wide a label may be.
    gaps: dict[str, float] = {}
    rows: dict[float, list[tuple[float, str]]] = {}
    for name, (x, y) in pos.items():
        rows.setdefault(round(y, 6), []).append((x, name))
    for row in rows.values():
        row.sort()
        for i, (x, name) in enumerate(row):
            left = x - row[i - 1][0] if i else math.inf
            right = row[i + 1][0] - x if i + 1 < len(row) else math.inf
            gaps[name] = min(left, right, span_x + 2 * pad_x)
    font = FONT_PX if unit_x >= 70 else MIN_FONT_PX
    lines = {}
    for name in arch.components:
        room = gaps[name] * unit_x - 6  # a few pixels between neighbouring labels
        width = max(4, int(room / (font * CHAR_PX)))
        lines[name] = wrap_name(name, width)
    most_lines = max(len(v) for v in lines.values())
    node_size = 900 if unit_x >= 70 else 420
    # A row needs room for a label's offset below its node's centre, its lines, and the
    # next node's upper half: never less, or labels would run into the row below.
    least_y = LABEL_DY[node_size] + most_lines * (font + 2) + math.sqrt(node_size) / 2 + 4
    rows = span_y + 2 * pad_y
    unit_y = max(least_y, min(max(ROW_PX, 40 + most_lines * (font + 2)), max_height / rows))
    height = int(max(180, unit_y * rows))
    return {"width": int(min(MAX_WIDTH, max(320, unit_x * (span_x + 2 * pad_x)))),
            "height": height, "font": font, "lines": lines, "unit_x": unit_x,
            "pad_x": pad_x, "pad_y": pad_y, "node_size": node_size}


def diagram_data(arch: Architecture) -> tuple[list[dict], list[dict]]:
    """Nodes and edges as plain records, positions included."""
    arch = as_architecture(arch)
    pos = positions(arch)
    lines = layout_metrics(arch)["lines"]
    nodes = []
    for name in arch.components:
        c = arch.component(name)
        x, y = pos[name]
        nodes.append({"name": name, "text": "\n".join(lines[name]), "kind": c.kind, "x": x, "y": y,
                      "shape": SHAPES.get(c.kind, "circle"),
                      "availability": f"any {c.k} of its members" if c.kind == "group"
                      else format_percent(c.availability),
                      "about": c.description or c.kind})
    edges = []
    for caller, callee, kind in arch.edges():
        (x, y), (x2, y2) = pos[caller], pos[callee]
        edges.append({"source": caller, "target": callee, "kind": kind,
                      "x": x, "y": y, "x2": x2, "y2": y2})
    return nodes, edges


def _check_states(arch: Architecture, states) -> dict[str, str]:
    if states is None:
        return dict.fromkeys(arch.components, "up")
    if not isinstance(states, Mapping):
        raise fail("states", states, "expected a mapping of component name to state")
    for name, state in states.items():
        arch._require_component("states", name)
        check_choice(f"states[{name!r}]", state, STATE_COLOURS)
    return {**dict.fromkeys(arch.components, "up"), **states}


def diagram(arch: Architecture, states: dict[str, str] | None = None, *, legend: bool = True,
            max_height: int = MAX_HEIGHT) -> alt.LayerChart:
    """Nodes and arrows coloured by state: up, degraded, failed (a dependency is down), crashed.

    Each node is labelled with the component's name, the one name labkit and the checks use.
    Clicking a node sets the ``clicked`` selection (the break-it panel toggles that component).
    Dashed lines are soft dependencies; dotted ones join a replica group to its members.
    ``legend``: draw the states' legend under the drawing (the break-it panel shows it in its
    heading instead, once). ``max_height``: the tallest drawing wanted, in pixels.
    """
    check_flag("legend", legend)
    max_height = check_count("max_height", max_height, low=180, high=MAX_HEIGHT)
    nodes, edges = diagram_data(arch)
    metrics = layout_metrics(arch, max_height)
    states = _check_states(arch, states)
    xs = [n["x"] for n in nodes]
    ys = [n["y"] for n in nodes]
    pad_x, pad_y, font = metrics["pad_x"], metrics["pad_y"], metrics["font"]
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[min(xs) - pad_x, max(xs) + pad_x]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[max(ys) + pad_y, min(ys) - pad_y]))
    state = alt.param(name=STATE_PARAM, value=dict(states))
    clicked = alt.selection_point(name=CLICK_PARAM, fields=["name"], on="click", toggle="true",
                                  empty=False)
    colour = alt.Color("state:N", title="state",
                       scale=alt.Scale(domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values())),
                       legend=alt.Legend(orient="bottom") if legend else None)
    # Lines go red-ish when what they point at is not working.
    edge_layer = alt.Chart(alt.Data(values=edges or [{"x": 0, "y": 0, "x2": 0, "y2": 0,
                                                      "kind": "none", "target": ""}])).mark_rule(
        strokeWidth=1.6).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q",
        color=alt.condition("datum.target_state == 'up' || datum.target_state == 'degraded'",
                            alt.value("#8a8f98"), alt.value("#d9534f")),
        strokeDash=alt.StrokeDash("kind:N", legend=None,
                                  scale=alt.Scale(domain=["hard", "soft", "member", "none"],
                                                  range=[[1, 0], [6, 4], [2, 3], [1, 0]])),
        opacity=alt.condition("datum.kind == 'none'", alt.value(0), alt.value(1)),
    ).transform_calculate(target_state=f"{STATE_PARAM}[datum.target] || 'up'")
    node_layer = alt.Chart(alt.Data(values=nodes)).mark_point(
        filled=True, size=metrics["node_size"], opacity=1, stroke="#1f2933", cursor="pointer").encode(
        x=x, y=y, color=colour, shape=alt.Shape("shape:N", scale=None),
        strokeWidth=alt.condition(clicked, alt.value(2.5), alt.value(0.8)),
        tooltip=[alt.Tooltip("name:N", title="component"), alt.Tooltip("state:N"),
                 alt.Tooltip("availability:N"), alt.Tooltip("about:N", title="what")],
    ).transform_calculate(state=f"{STATE_PARAM}[datum.name] || 'up'").add_params(clicked)
    label_layer = alt.Chart(alt.Data(values=nodes)).mark_text(
        dy=LABEL_DY[metrics["node_size"]], baseline="top", fontSize=font,
        lineBreak="\n", lineHeight=font + 2).encode(x=x, y=y, text="text:N")
    return alt.layer(edge_layer, node_layer, label_layer).add_params(state).properties(
        width=metrics["width"], height=metrics["height"]).configure_view(stroke=None)
