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

import altair as alt

from ..model import Architecture, as_architecture
from ..layout import positions

STATE_COLOURS = {"up": "#2e9e5b", "degraded": "#e3a21a", "failed": "#f08a5d", "crashed": "#c0392b"}
STATE_PARAM = "node_state"
CLICK_PARAM = "clicked"
SHAPES = {"database": "square", "router": "diamond", "load balancer": "diamond", "group": "circle",
          "domain": "triangle-up", "worker": "circle", "queue": "square"}


def diagram_data(arch: Architecture) -> tuple[list[dict], list[dict]]:
    """Nodes and edges as plain records, positions included."""
    arch = as_architecture(arch)
    pos = positions(arch)
    nodes = []
    for name in arch.components:
        c = arch.component(name)
        x, y = pos[name]
        nodes.append({"name": name, "label": c.display_name, "kind": c.kind, "x": x, "y": y,
                      "shape": SHAPES.get(c.kind, "circle"),
                      "availability": "k-of-n" if c.kind == "group"
                      else f"{c.availability * 100:.4g} %",
                      "about": c.description or c.kind})
    edges = []
    for caller, callee, kind in arch.edges():
        (x, y), (x2, y2) = pos[caller], pos[callee]
        edges.append({"source": caller, "target": callee, "kind": kind,
                      "x": x, "y": y, "x2": x2, "y2": y2})
    return nodes, edges


def diagram(arch: Architecture, states: dict[str, str] | None = None, *, width: int | None = None,
            height: int | None = None) -> alt.LayerChart:
    """Boxes and arrows coloured by state: up, degraded, failed (a dependency is down), crashed.

    Clicking a node sets the ``clicked`` selection (the break-it panel toggles that component).
    Dashed lines are soft dependencies; dotted ones join a replica group to its members.
    """
    nodes, edges = diagram_data(arch)
    states = states or {n["name"]: "up" for n in nodes}
    xs = [n["x"] for n in nodes]
    ys = [n["y"] for n in nodes]
    span_x = max(xs) - min(xs)
    span_y = max(ys) - min(ys)
    width = width or int(min(1100, max(320, 100 * (span_x + 1))))
    height = height or int(min(720, max(180, 80 * (span_y + 1))))
    # Crowded rows (many cells, many shards) get smaller boxes and labels broken at spaces.
    crowded = width / (span_x + 1) < 80
    node_size, font_size = (380, 9) if crowded else (900, 11)
    pad_x = 0.6 if span_x else 1.0
    pad_y = 0.45 if span_y else 1.0
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=[min(xs) - pad_x, max(xs) + pad_x]))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[max(ys) + pad_y, min(ys) - pad_y]))
    state = alt.param(name=STATE_PARAM, value=dict(states))
    clicked = alt.selection_point(name=CLICK_PARAM, fields=["name"], on="click", toggle="true",
                                  empty=False)
    colour = alt.Color("state:N", title="state",
                       scale=alt.Scale(domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values())),
                       legend=alt.Legend(orient="bottom"))
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
        filled=True, size=node_size, opacity=1, stroke="#1f2933", cursor="pointer").encode(
        x=x, y=y, color=colour, shape=alt.Shape("shape:N", scale=None),
        strokeWidth=alt.condition(clicked, alt.value(2.5), alt.value(0.8)),
        tooltip=[alt.Tooltip("label:N", title="component"), alt.Tooltip("state:N"),
                 alt.Tooltip("availability:N"), alt.Tooltip("about:N", title="what")],
    ).transform_calculate(state=f"{STATE_PARAM}[datum.name] || 'up'").add_params(clicked)
    label_layer = alt.Chart(alt.Data(values=nodes)).mark_text(
        dy=18 if crowded else 26, baseline="top" if crowded else "middle", fontSize=font_size,
        lineBreak=" " if crowded else "\n").encode(
        x=x, y=y, text="label:N")
    return alt.layer(edge_layer, node_layer, label_layer).add_params(state).properties(
        width=width, height=height).configure_view(stroke=None)
