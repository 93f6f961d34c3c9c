"""Small declarative charts built from plain rows (lists of dicts)."""

from __future__ import annotations

from typing import Sequence

import altair as alt

from ..errors import fail


def _tooltips(row: dict) -> list:
    # Inline data (alt.Data) gives altair no dtypes to infer from: every field needs a type.
    return [alt.Tooltip(c, type="quantitative" if isinstance(v, (int, float)) and not isinstance(v, bool)
                        else "nominal") for c, v in row.items()]


def _rows(rows: Sequence[dict], needed: Sequence[str]) -> list[dict]:
    rows = list(rows)
    if not rows or not all(isinstance(r, dict) for r in rows):
        raise fail("rows", rows, "expected a non-empty list of dicts")
    for column in needed:
        if column not in rows[0]:
            raise fail("rows", sorted(rows[0]), f"expected every row to have a {column!r} column")
    return rows


def curve_chart(rows: Sequence[dict], x: str, y: str, series: str | None = None, *,
                title: str = "", y_title: str | None = None, log_y: bool = False,
                width: int = 420, height: int = 240) -> alt.Chart:
    """Lines with points: ``y`` against ``x``, one line per ``series`` value."""
    rows = _rows(rows, [x, y] + ([series] if series else []))
    encoding = {"x": alt.X(f"{x}:Q", title=x),
                "y": alt.Y(f"{y}:Q", title=y_title or y,
                           scale=alt.Scale(type="log") if log_y else alt.Scale(zero=False)),
                "tooltip": _tooltips(rows[0])}
    if series:
        encoding["color"] = alt.Color(f"{series}:N", title=series)
    return alt.Chart(alt.Data(values=rows)).mark_line(point=True).encode(**encoding).properties(
        title=title, width=width, height=height)


def nines_chart(rows: Sequence[dict], label: str = "architecture", value: str = "nines", *,
                title: str = "How many nines", width: int = 420) -> alt.Chart:
    """Horizontal bars of nines per row, so 'one more nine' reads as length."""
    rows = _rows(rows, [label, value])
    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y(f"{label}:N", sort=None, title=None),
        x=alt.X(f"{value}:Q", title=value),
        tooltip=_tooltips(rows[0]),
    ).properties(title=title, width=width)
