"""Approval environments by name. Adding one is a module with an `Environment` subclass, a line
here, and a line in `playground.datasets` (``_LOADERS`` and ``KINDS``) that makes its tasks the
built-in dataset ``builtin:<name>``."""

from __future__ import annotations

import importlib

from .base import Environment, Episode, Outcome, StepResult, StepSpec

ENVIRONMENTS: dict[str, str] = {
    "tdd": "playground.approval.envs.tdd:TddEnvironment",
    "shortcut": "playground.approval.envs.shortcut:ShortcutEnvironment",
}
"""Environment name → ``module:Class``."""


def get_environment(name: str) -> Environment:
    try:
        module_name, class_name = ENVIRONMENTS[name].split(":")
    except KeyError:
        known = ", ".join(ENVIRONMENTS)
        raise ValueError(f"unknown approval environment {name!r} (known: {known})") from None
    cls: type[Environment] = getattr(importlib.import_module(module_name), class_name)
    return cls()


__all__ = [
    "ENVIRONMENTS", "Environment", "Episode", "Outcome", "StepResult", "StepSpec",
    "get_environment",
]  # fmt: skip
