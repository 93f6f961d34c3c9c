"""Views: altair charts and ipywidgets panels over labkit's results. Nothing here models."""

from .charts import curve_chart, nines_chart, runs_table, table
from .diagram import diagram, diagram_data
from .panel import BreakItPanel, break_it, panel_states
from .simpanel import SimulationPanel, simulate_it, simulation_panel_states
from .timeline import cell_states, stack_chart, sweep, timeline_chart, timeline_data

__all__ = ["BreakItPanel", "break_it", "curve_chart", "diagram", "diagram_data",
           "nines_chart", "panel_states", "runs_table", "table", "SimulationPanel", "simulate_it",
           "simulation_panel_states", "cell_states",
           "stack_chart", "sweep", "timeline_chart", "timeline_data"]
