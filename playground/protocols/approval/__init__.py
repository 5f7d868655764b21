"""The approval lab's protocol (``approval``): an agent's steps in an environment with ground
truth (`playground.approval.envs`), rated by approval sources before they are carried out.

Modules: `protocol` (the `Approval` protocol and its options), `sources` (who rates a step and
how), `metrics` (approval quality against the true step values)."""

from .protocol import SOURCES, Approval, ApprovalOptions

__all__ = ["SOURCES", "Approval", "ApprovalOptions"]
