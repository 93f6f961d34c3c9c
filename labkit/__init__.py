"""labkit: the models behind Resilience Lab.

Layers, lower never importing higher:

- model: ``errors``, ``model`` (components, dependencies, features), ``layout``, ``catalog``
  (the lesson architectures);
- analysis: ``formulas`` (closed forms, nines, downtime), ``structure`` (the compiled
  structure function), ``analysis`` (exact availability and its independent checks),
  ``failures`` (single points of failure, the state right now, blast radius), ``sharding``
  (cells and shuffle sharding), ``retries`` (retry amplification), ``breakit`` (what a
  learner has broken, and what follows);
- model, too: ``archfile`` (an architecture in a YAML or JSON file);
- analysis, too: ``rare_events`` (six nines and beyond with bounded relative error, and what
  zero observed failures prove);
- simulation: ``simulation`` (the time-stepped engine, traffic, faults, studies, call stacks,
  queued work), ``backoff`` (backoff with jitter, Brooker's experiment), ``breaker``
  (circuit breakers);
- experiments and reports: ``chaos`` (Chaos Toolkit experiments against a simulated
  system), ``report`` (a resilience report after AWS Resilience Hub);
- views: ``views`` (charts and panels) and ``check`` (exercises).

>>> import labkit
>>> round(labkit.parallel(0.999, 0.999), 6)
0.999999
"""

from .analysis import (Estimate, availability, brute_force_availability, feature_availability,
                       request_success_ratio, sampled_availability)
from .failures import (Snapshot, blast_radius, component_states, features_working, right_now,
                       single_points_of_failure)
from .formulas import (availability_from_mtbf, availability_from_nines, downtime_per_year,
                       format_duration, format_percent, k_of_n, nines, nines_table, parallel,
                       series)
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
    if name in ("catalog", "sharding", "retries", "breakit", "backoff", "breaker", "simulation",
                "check", "views", "rare_events", "archfile", "report", "chaos"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")
