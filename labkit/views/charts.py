"""Small declarative charts built from plain rows (lists of dicts)."""

from __future__ import annotations

import html
from typing import Sequence

import altair as alt

from ..errors import check_count, check_flag, check_name, check_text, fail


def _tooltips(row: dict) -> list:
    # Inline data (alt.Data) gives altair no dtypes to infer from: every field needs a type.
    return [alt.Tooltip(c, type="quantitative" if isinstance(v, (int, float)) and not isinstance(v, bool)
                        else "nominal") for c, v in row.items()]


MAX_ROWS = 100_000  # points in one chart: more would stall the browser, not inform


def _rows(rows: Sequence[dict], needed: Sequence[str]) -> list[dict]:
    allowed = "expected a non-empty list of dicts (one per point)"
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, (list, tuple)):
        raise fail("rows", rows, allowed)
    if not rows or len(rows) > MAX_ROWS or not all(isinstance(r, dict) for r in rows):
        raise fail("rows", rows, f"{allowed}, at most {MAX_ROWS:,}")
    for argument, column in needed:
        check_name(argument, column)
        if not all(column in row for row in rows):
            raise fail(argument, column, "expected a column every row has: "
                       + ", ".join(repr(str(c)) for c in list(rows[0])[:12]))
    return list(rows)


def _size(argument: str, value: int) -> int:
    return check_count(argument, value, low=50, high=2000)


def curve_chart(rows: Sequence[dict], x: str, y: str, series: str | None = None, *,
                title: str = "", y_title: str | None = None, log_y: bool = False,
                width: int = 420, height: int = 240) -> alt.Chart:
    """Lines with points: ``y`` against ``x``, one line per ``series`` value."""
    rows = _rows(rows, [("x", x), ("y", y)] + ([("series", series)] if series is not None else []))
    check_text("title", title)
    if y_title is not None:
        check_text("y_title", y_title)
    check_flag("log_y", log_y)
    width, height = _size("width", width), _size("height", height)
    # Whole-number x (replicas, cells) gets whole-number ticks: no "1.5 replicas".
    whole = all(isinstance(r[x], int) and not isinstance(r[x], bool) for r in rows)
    # Labels stay centred on their ticks: a flush last label is moved inwards, onto its neighbour.
    axis = (alt.Axis(format="d", tickMinStep=1, labelFlush=False) if whole
            else alt.Axis(labelFlush=False))
    encoding = {"x": alt.X(f"{x}:Q", title=x, axis=axis),
                "y": alt.Y(f"{y}:Q", title=y_title or y,
                           scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False)),
                "tooltip": _tooltips(rows[0])}
    if series is not None:
        # Lines that meet (a curve reaching its ceiling) stay distinguishable by dash and
        # point shape, not only by a colour drawn over the other.
        encoding["color"] = alt.Color(f"{series}:N", title=series)
        encoding["strokeDash"] = alt.StrokeDash(f"{series}:N", title=series)
        encoding["shape"] = alt.Shape(f"{series}:N", title=series, legend=None)
    return alt.Chart(alt.Data(values=rows)).mark_line(point=True, strokeWidth=2).encode(
        **encoding).properties(title=title, width=width, height=height)


def table(rows: Sequence[dict], *, title: str = "") -> "Table":
    """Rows of plain values shown as a table: HTML in JupyterLab, aligned text elsewhere.

    >>> print(table([{"replicas": 1, "nines": 3.0}, {"replicas": 2, "nines": 6.0}]))
    replicas  nines
           1    3.0
           2    6.0
    """
    rows = _rows(rows, [])
    check_text("title", title)
    return Table(rows, title)


class Table:
    """A small table of rows (see :func:`table`)."""

    def __init__(self, rows: list[dict], title: str = "") -> None:
        self.rows, self.title = rows, title
        self.columns = list(dict.fromkeys(c for row in rows for c in row))

    def __str__(self) -> str:
        cells = [[str(c) for c in self.columns]]
        cells += [[str(row.get(c, "")) for c in self.columns] for row in self.rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(self.columns))]
        # Numbers line up on the right, words on the left, as in a printed table.
        numeric = [all(isinstance(row.get(c), (int, float)) and not isinstance(row.get(c), bool)
                       for row in self.rows) for c in self.columns]
        lines = ["  ".join((v.rjust(w) if num else v.ljust(w))
                           for v, w, num in zip(line, widths, numeric)).rstrip()
                 for line in cells]
        return "\n".join(([self.title] if self.title else []) + lines)

    def __repr__(self) -> str:  # papermill's text/plain output, and any plain console
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(row.get(c, '')))}</td>"
                                        for c in self.columns) + "</tr>" for row in self.rows)
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def nines_chart(rows: Sequence[dict], label: str = "architecture", value: str = "nines", *,
                title: str = "How many nines", width: int = 420) -> alt.Chart:
    """Horizontal bars of nines per row, so 'one more nine' reads as length."""
    rows = _rows(rows, [("label", label), ("value", value)])
    check_text("title", title)
    width = _size("width", width)
    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y(f"{label}:N", sort=None, title=None),
        x=alt.X(f"{value}:Q", title=value),
        tooltip=_tooltips(rows[0]),
    ).properties(title=title, width=width)


TOTALS = ("new", "retries", "served", "shed", "timed out", "wasted")


def runs_table(runs, *, label: str = "run", title: str = "") -> "Table":
    """One row per labelled run: its totals (``run.summary()``) as whole numbers with
    thousands separators, and the success ratio as a percentage.

    >>> from labkit.model import Architecture
    >>> from labkit.simulation import constant, simulate
    >>> one = Architecture("s").add_component("s", capacity=100)
    >>> print(runs_table({"shed": simulate(one, constant(150), duration=10, arrivals="fluid")},
    ...                  label="overload"))
    overload  new    retries  served  shed  timed out  wasted  success ratio
    shed      1,500  0        1,000   500   0          0       66.7%
    """
    from collections.abc import Mapping

    from ..simulation import Run

    if not isinstance(runs, Mapping) or not runs or len(runs) > 100:
        raise fail("runs", runs, "expected a mapping of label to simulate(...) result, "
                   "1 to 100 of them")
    check_name("label", label)
    rows = []
    for name, run in runs.items():
        if not isinstance(run, Run):
            raise fail(f"runs[{name!r}]", run, "expected the result of labkit.simulation.simulate(...)")
        s = run.summary()
        rows.append({label: str(name), **{k: f"{round(s[k]):,}" for k in TOTALS},
                     "success ratio": f"{s['success ratio']:.1%}"})
    return table(rows, title=title)
