"""Experiments: the TOML file that describes a run, and the runner that executes it."""

from .background import BackgroundRun, RunProgress
from .config import Experiment, ExperimentError, RoleConfig, load_experiment, parse_experiment
from .runner import RunSummary, build_seats, run_experiment, select_items

__all__ = [
    "BackgroundRun",
    "Experiment",
    "ExperimentError",
    "RoleConfig",
    "RunProgress",
    "RunSummary",
    "build_seats",
    "load_experiment",
    "parse_experiment",
    "run_experiment",
    "select_items",
]
