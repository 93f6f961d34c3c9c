"""Timelines of a simulated run: what was offered, served, shed, failed and timed out; how
slow the good responses were; which cells were up and where breakers were open.

Charts are built from :meth:`labkit.simulation.Run.table` rows, declaratively: a run in,
a chart spec out.

>>> from labkit.catalog import cells
>>> from labkit.simulation import constant, simulate
>>> chart = timeline_chart(simulate(cells(2), constant(100), duration=30, cell_capacity=80))
>>> sorted(chart.to_dict()["vconcat"][0]["encoding"])
['color', 'strokeDash', 'tooltip', 'x', 'y']
"""

from __future__ import annotations

import json
import math

import altair as alt
import numpy as np

from ..errors import check_count, check_flag, check_text, fail

OUTCOME_COLOURS = {"offered": "#5b6770", "served": "#2e9e5b", "failed": "#c0392b",
                   "shed": "#e3a21a", "timed out": "#8e44ad", "wasted": "#95a5a6"}
MAX_POINTS = 1_500  # points per series drawn; longer runs are thinned evenly
STACK_POINTS = 250


def _every(run) -> int:
    return max(1, math.ceil(len(run.times) / MAX_POINTS))


OUTCOMES = {"offered": "offered", "served": "good", "failed": None, "shed": "shed",
            "timed out": "timed_out", "wasted": "wasted"}
CELL_COLOURS = {"up": "#2e9e5b", "down": "#c0392b", "breaker open": "#2c3e50",
                "breaker half-open": "#f39c12"}


def timeline_data(run) -> dict:
    """The datasets a timeline draws: ``steps`` (one wide row per drawn step: requests per
    second by outcome and the p99 latency) and ``cells`` (one row per stretch of time a cell
    spent in one state). Plain lists of dicts."""
    every = _every(run)
    per_second = {name: (run.errors + run.rejected if attr is None else getattr(run, attr)) / run.step
                  for name, attr in OUTCOMES.items()}
    steps = []
    for i in range(0, len(run.times), every):
        row = {"time": float(run.times[i])}
        row.update({name: float(values[i]) for name, values in per_second.items()})
        p99 = run.latency_p99[i]
        row["p99 latency (ms)"] = None if np.isnan(p99) else float(p99)
        steps.append(row)
    return {"steps": steps, "cells": cell_states(run)}


def cell_states(run) -> list[dict]:
    """Rows (cell, state, start, end): each stretch of time a cell spent up, down, or with
    its breaker open or half-open; with one breaker in front of all cells, a row for it too."""
    names = run.cells
    links = run.breaker.shape[1] if run.breaker.shape[1] == len(names) - (names[-1] == "fallback") else 0
    code = np.where(run.cell_up, 0, 1).astype(np.int8)
    if links:
        open_ = run.breaker[:, :links]
        code[:, :links] = np.where(open_ > 0, open_ + 1, code[:, :links])
    labels = ("up", "down", "breaker open", "breaker half-open")
    columns = [(cell, code[:, j]) for j, cell in enumerate(names)]
    if _one_breaker_for_all(run):
        # The breaker in front of everything: closed is drawn as up (traffic passes).
        state = run.breaker[:, 0]
        columns.append((ONE_BREAKER, np.where(state > 0, state + 1, 0).astype(np.int8)))
    rows = []
    for cell, column in columns:
        changes = np.flatnonzero(np.diff(column)) + 1
        starts = np.concatenate([[0], changes])
        ends = np.concatenate([changes, [len(column)]])
        for a, b in zip(starts, ends):
            rows.append({"cell": cell, "state": labels[column[a]],
                         "start": float(run.times[a]), "end": float(run.times[b - 1] + run.step)})
    return rows


ONE_BREAKER = "one breaker for all"


def _one_breaker_for_all(run) -> bool:
    cells = len(run.cells) - (run.cells[-1] == "fallback")
    return run.breaker.shape[1] == 1 and cells > 1


def _strips(run) -> list[str]:
    """The rows of the cell strip: every cell, and the client's breaker when there is one."""
    return list(run.cells) + ([ONE_BREAKER] if _one_breaker_for_all(run) else [])


def timeline_chart(run, *, title: str = "", width: int = 560, cells: bool = True) -> alt.VConcatChart:
    """Requests per second by outcome over time, the p99 latency of good responses, and
    (with ``cells``) a strip per cell: up, down, or its breaker open."""
    from ..simulation import Run

    if not isinstance(run, Run):
        raise fail("run", run, "expected the result of labkit.simulation.simulate(...)")
    check_text("title", title)
    width = check_count("width", width, low=200, high=860)
    check_flag("cells", cells)
    return _timeline(_strips(run) if cells else None, title, width).properties(
        datasets=timeline_data(run))


STRIP_ROW_PX = 14     # a row per cell while they fit ...
STRIP_MAX_PX = 264    # ... in a strip at most this tall; more cells get thinner rows
LABEL_PX = 14         # vertical room one 11 px label needs, so labels never overlap
SPECIAL_ROWS = ("fallback", ONE_BREAKER)


def strip_layout(rows: list[str]) -> tuple[int, list[str]]:
    """The cell strip's height in pixels, and which rows get a label.

    Every row is labelled while rows are at least :data:`LABEL_PX` tall. With many cells
    (Ring's 32) the rows get thinner and only every k-th cell is labelled, so no two labels
    overlap; the fallback cell and the one breaker for all are always labelled. A row
    without a label keeps its tick, and its tooltip names it.

    >>> strip_layout(["cell 1", "cell 2"])
    (28, ['cell 1', 'cell 2'])
    >>> height, shown = strip_layout([f"cell {i}" for i in range(1, 33)] + ["one breaker for all"])
    >>> height, shown[:3], shown[-1]
    (264, ['cell 1', 'cell 3', 'cell 5'], 'one breaker for all')
    """
    n = max(1, len(rows))
    height = min(STRIP_MAX_PX, STRIP_ROW_PX * n)
    specials = [i for i, row in enumerate(rows) if row in SPECIAL_ROWS]
    if any(b - a == 1 for a, b in zip(specials, specials[1:])):
        height = max(height, LABEL_PX * n)   # two special rows side by side both need a label
    every = math.ceil(LABEL_PX / (height / n) - 1e-9)
    kept = list(specials)
    for i in range(len(rows)):
        if all(abs(i - j) >= every for j in kept):
            kept.append(i)
    return height, [rows[i] for i in sorted(kept)]


def _strip_axis(rows: list[str], shown: list[str]) -> alt.Axis:
    if len(shown) == len(rows):
        return alt.Axis(title=None)
    # Rows without a label keep their tick; the expression blanks their text (a row missing
    # from a run's data, such as a breaker that is off, simply has no label to show).
    listed = ", ".join(json.dumps(row) for row in shown)
    return alt.Axis(title=None, labelExpr=f"indexof([{listed}], datum.value) >= 0 ? datum.label : ''")


def _timeline(cells, title: str, width: int) -> alt.VConcatChart:
    steps = alt.Data(name="steps")
    # A flush last label is moved inwards and can overlap its neighbour: keep labels centred.
    time_axis = alt.Axis(labelFlush=False)
    outcomes = alt.Chart(steps).transform_fold(list(OUTCOMES), as_=["outcome", "requests per second"]
                                               ).mark_line(strokeWidth=1.8).encode(
        x=alt.X("time:Q", title="time (s)", axis=time_axis),
        y=alt.Y("requests per second:Q"),
        color=alt.Color("outcome:N", scale=alt.Scale(domain=list(OUTCOME_COLOURS),
                                                     range=list(OUTCOME_COLOURS.values())),
                        legend=alt.Legend(orient="right")),
        strokeDash=alt.condition("datum.outcome == 'offered'", alt.value([5, 3]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("time:Q"), alt.Tooltip("outcome:N"),
                 alt.Tooltip("requests per second:Q", format=",.0f")],
    ).properties(title=title or "What happened to the requests", width=width, height=190)
    # While nothing is served there is no latency to draw: the line breaks there, instead of
    # joining the points on either side as if answers had kept coming.
    latency = alt.Chart(steps).mark_line(color="#34495e", invalid="break-paths-show-domains").encode(
        x=alt.X("time:Q", title="time (s)", axis=time_axis),
        y=alt.Y("p99 latency (ms):Q"),
        tooltip=[alt.Tooltip("time:Q"), alt.Tooltip("p99 latency (ms):Q", format=",.0f")],
    ).properties(width=width, height=80, title="p99 latency of good responses (gaps: none served)")
    parts = [outcomes, latency]
    if cells is not None:
        height, shown = strip_layout(list(cells))
        parts.append(alt.Chart(alt.Data(name="cells")).mark_rect().encode(
            x=alt.X("start:Q", title="time (s)", axis=time_axis), x2=alt.X2("end:Q"),
            y=alt.Y("cell:N", sort=list(cells), axis=_strip_axis(list(cells), shown)),
            color=alt.Color("state:N", scale=alt.Scale(domain=list(CELL_COLOURS),
                                                       range=list(CELL_COLOURS.values())),
                            legend=alt.Legend(orient="right", title="cell")),
            tooltip=["cell:N", "state:N", "start:Q", "end:Q"],
        ).properties(width=width, height=height, title="cells"))
    # One time axis for all rows, so a gap in latency lines up with the outage above it.
    return alt.vconcat(*parts).resolve_scale(color="independent", x="shared")


def timeline_template(run, *, title: str = "", width: int = 560, fallback: bool = False) -> dict:
    """The timeline's spec, validated once with one row of each dataset: a panel then swaps
    in each new run's data with :func:`timeline_spec`, skipping re-validation of thousands of
    rows (which would cost most of a second per redraw).

    The cell strip keeps a place for every row a later run may bring: the fallback cell
    (with ``fallback``) and one breaker for all, so rows keep their order and labels."""
    data = timeline_data(run)
    tiny = {name: rows[:1] for name, rows in data.items()}
    strips = [c for c in run.cells if c != "fallback"]
    if fallback or "fallback" in run.cells:
        strips.append("fallback")
    # A panel may switch to one breaker for all later: keep a row for it from the start.
    if len(strips) - ("fallback" in strips) > 1:
        strips.append(ONE_BREAKER)
    return _timeline(strips, title, width).properties(datasets=tiny).to_dict()


def timeline_spec(template: dict, run) -> dict:
    """``template`` with ``run``'s data: what the panel sends to the browser."""
    return {**template, "datasets": timeline_data(run)}


def sweep(run_one, values, *, label: str = "running"):
    """``[run_one(v) for v in values]``, with a progress bar in a notebook when it is slow.

    The bar appears only if the sweep is still going after about a second, so quick sweeps
    stay quiet (and headless runs print nothing).
    """
    import time

    values = list(values)
    check_text("label", label)
    results, bar, start = [], None, time.perf_counter()
    for i, value in enumerate(values):
        results.append(run_one(value))
        if bar is None and time.perf_counter() - start > 1.0 and i + 1 < len(values):
            bar = _progress_bar(label, len(values))
        if bar is not None:
            bar.value = i + 1
    if bar is not None:
        bar.bar_style = "success"
    return results


def _progress_bar(label: str, total: int):
    try:
        from IPython import get_ipython
        from IPython.display import display
        import ipywidgets as widgets
    except ImportError:  # pragma: no cover - labkit always has them
        return None
    if get_ipython() is None:
        return None
    bar = widgets.IntProgress(value=0, min=0, max=total, description=label,
                              layout=widgets.Layout(width="420px"))
    display(bar)
    return bar


def stack_chart(run, *, title: str = "", width: int = 560, height: int = 260) -> alt.Chart:
    """Calls per second reaching each layer of a call stack over time (a
    :func:`labkit.simulation.simulate_stack` run), on a log scale: one line per layer, the
    client's new requests dashed.

    >>> from labkit.simulation import constant, crash, simulate_stack
    >>> run = simulate_stack(constant(10), layers=3, duration=30, faults=[crash("layer3", 5, 10)])
    >>> stack_chart(run).to_dict()["encoding"]["y"]["scale"]
    {'type': 'log'}
    """
    check_text("title", title)
    width, height = check_count("width", width, low=100, high=2000), check_count("height", height, low=80, high=2000)
    # A log scale has no zero: a stretch in which nobody calls a layer is left as a gap.
    # Few points per line: altair validates every row, and a step line needs no more.
    rows = [r for r in run.table(every=max(1, math.ceil(len(run.times) / STACK_POINTS)))
            if r["calls per s"] > 0]
    order = ["client (new requests)"] + list(run.layers)
    return alt.Chart(alt.Data(values=rows)).mark_line(strokeWidth=2, interpolate="step-after").encode(
        x=alt.X("time:Q", title="time (s)"),
        y=alt.Y("calls per s:Q", title="calls per second", scale=alt.Scale(type="log")),
        color=alt.Color("layer:N", sort=order, title="calls reaching"),
        strokeDash=alt.condition(alt.datum.layer == order[0], alt.value([5, 3]), alt.value([1, 0])),
        tooltip=["time:Q", "layer:N", alt.Tooltip("calls per s:Q", format=",.0f")],
    ).properties(title=title, width=width, height=height)
