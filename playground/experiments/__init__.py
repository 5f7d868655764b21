"""Experiments: the TOML file that describes a run, the runner that executes it, the options
that say how, and the handle that runs any of it on a thread of its own."""

from .config import Experiment, ExperimentError, RoleConfig, load_experiment, parse_experiment
from .handle import SETUP_ERRORS, HumanAsked, RunHandle, RunRegistry, Status
from .options import RunOptions
from .progress import RunProgress
from .runner import RunSummary, build_seats, run_experiment, select_items

__all__ = [
    "SETUP_ERRORS",
    "Experiment",
    "ExperimentError",
    "HumanAsked",
    "RoleConfig",
    "RunHandle",
    "RunOptions",
    "RunProgress",
    "RunRegistry",
    "RunSummary",
    "Status",
    "build_seats",
    "load_experiment",
    "parse_experiment",
    "run_experiment",
    "select_items",
]
