"""The resilience report drawn: tables and charts over :func:`labkit.report.resilience_report`.

>>> from labkit.catalog import monolith
>>> from labkit.report import resilience_report
>>> report = resilience_report(monolith(), 0.999)
>>> print(report_table(report))
Availability against target
feature  availability  nines  downtime / year  target  allowed / year  met  single points of failure
browse   99.8 %        2.70   17.51 h          99.9 %  8.76 h          NO   app, server, db
buy      99.8 %        2.70   17.51 h          99.9 %  8.76 h          NO   app, server, db
review   99.8 %        2.70   17.51 h          99.9 %  8.76 h          NO   app, server, db
>>> type(report_chart(report)).__name__
'HConcatChart'
"""

from __future__ import annotations

import math

import altair as alt

from ..errors import check_choice, fail
from ..report import (ResilienceReport, blast_rows, capacity_rows, feature_rows,
                      recommendation_rows)
from .charts import Table, table

PARTS = ("features", "recommendations", "blast radius", "capacity")
_TITLES = {"features": "Availability against target", "recommendations": "Recommendations, best first",
           "blast radius": "Blast radius of each failure domain",
           "capacity": "Capacity and N+1 headroom"}
#: Nines drawn for a perfect feature (infinitely many) or a perfect target.
NINES_CAP = 12.0


def _check(report) -> ResilienceReport:
    if not isinstance(report, ResilienceReport):
        raise fail("report", report, "expected the result of labkit.report.resilience_report(...)")
    return report


def report_table(report: ResilienceReport, part: str = "features") -> Table:
    """One part of the report as a table (HTML in JupyterLab, aligned text elsewhere).

    ``part``: ``"features"`` (availability against target), ``"recommendations"``,
    ``"blast radius"`` or ``"capacity"``.
    """
    report = _check(report)
    check_choice("part", part, PARTS)
    rows = {"features": feature_rows, "recommendations": recommendation_rows,
            "blast radius": blast_rows, "capacity": capacity_rows}[part](report)
    if not rows:
        rows = [{part: "none"}]
    return table(rows, title=_TITLES[part])


def _nines(value) -> float:
    return NINES_CAP if value is None or not math.isfinite(value) else min(NINES_CAP, value)


def report_chart(report: ResilienceReport, *, width: int = 360) -> alt.TopLevelMixin:
    """Nines per feature against its target (bars; the target a tick, red when missed), and
    beside it the share of customers each failure domain's failure reaches."""
    report = _check(report)
    if isinstance(width, bool) or not isinstance(width, int) or not 100 <= width <= 2000:
        raise fail("width", width, "expected a whole number of pixels from 100 to 2000")
    rows = [{"feature": r["feature"], "nines": round(_nines(r["nines"]), 4),
             "availability": r["availability"],
             "target nines": None if r["target"] is None else round(_nines(r["target_nines"]), 4),
             "met": "no target" if r["met"] is None else ("met" if r["met"] else "missed")}
            for r in report.features]
    height = max(60, 22 * len(rows))
    base = alt.Chart(alt.Data(values=rows))
    bars = base.mark_bar().encode(
        y=alt.Y("feature:N", sort=None, title=None),
        x=alt.X("nines:Q", title="nines (availability)", scale=alt.Scale(domainMin=0)),
        color=alt.Color("met:N", title="target", scale=alt.Scale(
            domain=["met", "missed", "no target"], range=["#4c9a2a", "#d1495b", "#8d99ae"])),
        tooltip=[alt.Tooltip("feature:N"), alt.Tooltip("availability:Q", format=".6%"),
                 alt.Tooltip("nines:Q", format=".2f"), alt.Tooltip("target nines:Q", format=".2f"),
                 alt.Tooltip("met:N")])
    ticks = base.transform_filter("datum['target nines'] != null").mark_tick(
        color="black", thickness=3, size=18).encode(
        y=alt.Y("feature:N", sort=None), x=alt.X("target nines:Q"))
    availability = (bars + ticks).properties(title="Availability against target (tick: target)",
                                             width=width, height=height)
    if not report.blast_radius:
        return availability
    blast = [{"failure domain": r["domain"], "kind": r["kind"],
              "customers affected": r["customers_affected"],
              "features lost": ", ".join(r["features_lost"][:6])} for r in report.blast_radius]
    radius = alt.Chart(alt.Data(values=blast)).mark_bar().encode(
        y=alt.Y("failure domain:N", sort=None, title=None),
        x=alt.X("customers affected:Q", title="share of customers affected",
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("kind:N", title="what fails"),
        tooltip=[alt.Tooltip("failure domain:N"), alt.Tooltip("kind:N"),
                 alt.Tooltip("customers affected:Q", format=".1%"),
                 alt.Tooltip("features lost:N")],
    ).properties(title="Blast radius of each failure domain", width=width,
                 height=max(60, 18 * len(blast)))
    return alt.hconcat(availability, radius).resolve_scale(color="independent")


__all__ = ["report_chart", "report_table"]
