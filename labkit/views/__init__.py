"""Views: altair charts and ipywidgets panels over labkit's results. Nothing here models."""

from .charts import curve_chart, nines_chart
from .diagram import diagram, diagram_data
from .panel import BreakItModel, BreakItPanel, break_it

__all__ = ["BreakItModel", "BreakItPanel", "break_it", "curve_chart", "diagram", "diagram_data",
           "nines_chart"]
