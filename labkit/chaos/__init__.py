"""Experiments in Chaos Toolkit's format, run by chaostoolkit-lib against a simulated system.

A learner writes an experiment exactly as for a real system (title, description,
steady-state hypothesis with tolerances, method, rollbacks, and stop conditions as a
control); labkit supplies the **actions** (:mod:`labkit.chaos.actions`: crash, crash_cell,
zone_outage, az_power_interruption, added_latency, ...), the **probes**
(:mod:`labkit.chaos.probes`: success_ratio, p99_latency, backlog, open_breakers, ...) and the
**system** they act on (:class:`System`: an architecture under traffic, a simulated clock and
a fault schedule). :func:`run_experiment` returns an :class:`ExperimentResult`; the parts map
to AWS Fault Injection Service as :func:`fis_mapping` tabulates.

>>> from labkit.catalog import cells
>>> from labkit.simulation import constant
>>> system = System(cells(4), constant(1000), cell_capacity=400, failover="health check", seed=1)
>>> result = run_experiment(example_path("cell_crash"), system)
>>> result.status, result.held_before, result.held_after
('completed', True, True)
>>> result.rollbacks[0]["activity"]
'restore the cell'

Without failover the same experiment finds the weakness: a quarter of customers fail.

>>> result = run_experiment(example_path("cell_crash"), System(cells(4), 1000, cell_capacity=400, seed=1))
>>> result.deviated, round(result.after[0].value, 2)
(True, 0.75)

For an architecture of your own, two examples fit any file: ``component_crash`` (one
component down at the peak, the check of a headroom recommendation) and ``zone_outage`` (a
failure domain down, the check of a replica in another zone). Their titles name your
architecture: ``${architecture}`` is filled in from the configuration, where labkit puts the
architecture's name.

>>> from labkit.archfile import load_architecture
>>> crash = load_experiment(example_path("component_crash"))
>>> crash["configuration"]
{'component': 'api'}
>>> run_experiment(crash, System(load_architecture("my_shop.yaml"), 800, seed=1)).title
'my shop loses api at the peak'

Nothing here touches the network or sleeps: pauses and waits are simulated time.
"""

from pathlib import Path

from .experiment import load_experiment, validate_experiment
from .fis import fis_mapping
from .run import ExperimentResult, ProbeCheck, run_experiment
from .system import System

EXPERIMENTS = Path(__file__).parent / "experiments"


def examples() -> list[str]:
    """Names of the example experiments shipped with labkit."""
    return sorted(p.stem for p in EXPERIMENTS.iterdir() if p.suffix in (".json", ".yaml", ".yml"))


def example_path(name: str) -> Path:
    """The file of the example experiment ``name`` (see :func:`examples`)."""
    from ..errors import check_choice
    check_choice("name", name, examples())
    return next(p for p in sorted(EXPERIMENTS.iterdir()) if p.stem == name)


__all__ = ["ExperimentResult", "ProbeCheck", "System", "example_path", "examples", "fis_mapping",
           "load_experiment", "run_experiment", "validate_experiment"]
