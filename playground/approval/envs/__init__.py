"""Approval environments by name. Adding one is a module with an `Environment` subclass and a
line here; `register_builtin` below makes its tasks the built-in dataset ``builtin:<name>``
(the datasets package never imports an environment)."""

from __future__ import annotations

import importlib

from ...datasets import register_builtin
from ...datasets.params import Params
from ...records import Item
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


def _load_tdd(params: Params, seed: int) -> list[Item]:
    params.finish()
    return get_environment("tdd").items(seed)


def _load_shortcut(params: Params, seed: int) -> list[Item]:
    n = params.integer("n", default=30, low=1, high=2000)
    params.finish()
    from .shortcut import ShortcutEnvironment

    return ShortcutEnvironment().items(seed, count=n)


register_builtin(
    "tdd",
    "Approval lab: test-driven coding tasks (write tests, then code; hidden tests and mutants "
    "decide the true value). For the approval protocol.",
    _load_tdd,
    kind="approval",
)
register_builtin(
    "shortcut",
    "Approval lab: courier runs with a tempting shortcut step (parameter n, default 30; uses "
    "the seed). For the approval protocol.",
    _load_shortcut,
    kind="approval",
)

__all__ = [
    "ENVIRONMENTS", "Environment", "Episode", "Outcome", "StepResult", "StepSpec",
    "get_environment",
]  # fmt: skip
