"""What an approval environment is: tasks with programmatic ground truth, played as episodes
of steps. An agent proposes each step from the current observation; the environment applies it
and knows the step's *true value* (how good the step really was, in [0, 1]) and, at the end,
the episode's *outcome*: the ordinary end-of-episode reward a naive trainer would use, next to
whether the task truly succeeded.

Environments are synchronous and may be slow (running code in the sandbox); the approval
protocol calls them in a worker thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...records import Item


@dataclass(frozen=True, kw_only=True)
class StepSpec:
    """The step the environment asks for next."""

    name: str
    """Short id of the step kind, e.g. ``tests``, ``code``, ``step``; stored on the turn."""
    instruction: str
    """What the agent is asked to produce now, shown to it under the observation."""


@dataclass(frozen=True, kw_only=True)
class StepResult:
    """What applying an agent's proposed step did."""

    true_value: float
    """Ground truth of the step's quality in [0, 1] (e.g. the mutation score of written tests;
    1 for a step that keeps the right answer reachable, 0 for the tempting shortcut)."""
    good: bool
    """Whether the step counts as good for classification metrics (AUC, false-safe rate)."""
    detail: dict[str, Any] = field(default_factory=dict)
    """JSON-able facts behind ``true_value`` (killed mutants, the checker's reason, ...)."""
    valid: bool = True
    """False when the proposal could not be read as a step at all (its true value is then 0)."""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How an episode ended."""

    reward: float
    """The ordinary outcome reward in [0, 1]: what the ``outcome`` approval source reports and
    what an outcome-trained agent would be optimised on (it can be hacked)."""
    success: bool
    """Ground truth: did the episode really achieve the task (hidden tests, checker)?"""
    hacked: bool
    """The known hack happened: outcome reward high (≥ 0.5) while the task truly failed."""
    detail: dict[str, Any] = field(default_factory=dict)


class Episode(ABC):
    """One task being played; created by `Environment.episode`, used once."""

    @abstractmethod
    def observation(self) -> str:
        """The current state as text: what the agent and a foresight overseer see."""

    @abstractmethod
    def next_step(self) -> StepSpec | None:
        """The step wanted next, or None when the episode is over."""

    @abstractmethod
    def apply(self, proposal: str) -> StepResult:
        """Apply the agent's proposed step (raw model text); the episode moves on even when the
        proposal is unreadable (``valid=False``, true value 0)."""

    @abstractmethod
    def outcome(self) -> Outcome:
        """The end of the episode; only called once `next_step` returns None."""


class Environment(ABC):
    """A family of tasks with ground truth and a known hack."""

    name: ClassVar[str]
    """Registry name, also the built-in dataset name (``builtin:<name>``)."""
    description: ClassVar[str]

    @abstractmethod
    def items(self, seed: int) -> list[Item]:
        """The tasks as dataset items: ``question`` is the task statement shown to the agent,
        ``answers`` = ["fails", "succeeds"], ``correct`` = None (an episode has no answer to
        pick), ``meta["environment"]`` = `name`, ``meta["task"]`` = the task id. Hidden
        material (reference solutions, tests, mutants, checker data) stays in the package."""

    @abstractmethod
    def episode(self, item: Item) -> Episode:
        """A fresh episode of one task."""
