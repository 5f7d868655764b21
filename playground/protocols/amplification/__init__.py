"""Recursive amplification: subquestion trees answered at the leaves and recombined upward,
with justification, resample and direct checks at every internal node; edits and subtree
re-runs as forks; a summary of amplified vs direct answers and of the checks.

Modules: `protocol` (the `Amplification` protocol and its options), `solve` (growing and
answering a tree), `checks`, `parsing` (strict readers of replies), `messages` (prompt values),
`tree` (node ids, the call budget, the tree read back from turns), `edits` (planning a fork:
`playground.experiments.tree_fork` runs it), `summary`.
"""

from .protocol import Amplification, AmplificationOptions
from .summary import AmplificationSummary, summarize
from .tree import Node, tree_from_turns

__all__ = [
    "Amplification",
    "AmplificationOptions",
    "AmplificationSummary",
    "Node",
    "summarize",
    "tree_from_turns",
]
