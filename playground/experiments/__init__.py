"""Experiments: the TOML file that describes a run, and the runner that executes it."""

from ..datasets import DatasetError
from ..prompts import PromptError
from ..providers import ProviderError
from .background import BackgroundRun, RunProgress
from .config import Experiment, ExperimentError, RoleConfig, load_experiment, parse_experiment
from .runner import RunSummary, build_seats, run_experiment, select_items

SETUP_ERRORS = (ExperimentError, DatasetError, PromptError, ProviderError)
"""What a bad experiment, dataset, prompt or provider setting raises before a run starts; each
message is one line, shown as it is (CLI and pages)."""

__all__ = [
    "SETUP_ERRORS",
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
