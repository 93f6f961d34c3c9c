"""labkit: the models behind Resilience Lab.

Layers, lower never importing higher: ``model`` -> ``structure`` / ``availability`` /
``sharding`` (analysis) -> ``views`` (charts and panels) and ``check`` (exercises).
``catalog`` builds the lesson architectures from the model.

>>> import labkit
>>> round(labkit.parallel(0.999, 0.999), 6)
0.999999
"""

from .availability import (Estimate, Snapshot, availability, availability_from_mtbf,
                           availability_from_nines, blast_radius, brute_force_availability,
                           component_states, downtime_per_year, feature_availability,
                           features_working, format_duration, format_percent, k_of_n, nines,
                           nines_table, parallel, request_success_ratio, right_now,
                           sampled_availability, series, single_points_of_failure)
from .errors import LabkitError
from .model import Architecture, Component
from .setup import setup
from .structure import compile_structure

__version__ = "0.1.0"

__all__ = [
    "Architecture", "Component", "Estimate", "LabkitError", "Snapshot", "availability",
    "availability_from_mtbf", "availability_from_nines", "blast_radius",
    "brute_force_availability", "compile_structure", "component_states", "downtime_per_year",
    "feature_availability", "features_working", "format_duration", "format_percent", "k_of_n",
    "nines", "nines_table", "parallel", "request_success_ratio", "right_now",
    "sampled_availability", "series", "setup", "single_points_of_failure",
]


def __getattr__(name):
    # Views pull in ipywidgets and altair; load them only when a notebook asks.
    if name in ("break_it", "BreakItPanel", "diagram"):
        from . import views
        return getattr(views, name)
    if name in ("catalog", "sharding", "check", "views"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")
