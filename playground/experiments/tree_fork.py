"""Steering a logged amplification tree: replace a node's answer by hand, or re-run a subtree,
then recompute its ancestors, each as a fork run by `fork` (what changes is planned by
`playground.protocols.amplification.edits`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..protocols import Protocol
from ..protocols.amplification import Amplification
from ..protocols.amplification.edits import EditError, Kind, plan_fork
from ..store import Store
from .config import ExperimentError
from .fork import forked_experiment, load_original, run_linked
from .options import RunOptions, run_options
from .runner import RunSummary


@dataclass
class TreeFork:
    """A fork of a tree: its run's summary and its transcript's id."""

    summary: RunSummary
    transcript_id: str


async def edit_answer(
    store: Store, transcript_id: str, node: str, answer: str, **kw: Any
) -> TreeFork:
    """Replace ``node``'s answer with ``answer`` (written by a person) and recompute its
    ancestors up to the root. Keyword arguments as for `fork_tree`."""
    if not answer.strip():
        raise ExperimentError("the new answer is empty")
    return await fork_tree(store, transcript_id, node, "edit", answer=answer, **kw)


async def rerun_subtree(store: Store, transcript_id: str, node: str, **kw: Any) -> TreeFork:
    """Ask ``node`` and everything below it again (fresh calls, e.g. with ``changes`` to a
    role), then recompute its ancestors. Keyword arguments as for `fork_tree`."""
    return await fork_tree(store, transcript_id, node, "rerun", **kw)


async def fork_tree(
    store: Store,
    transcript_id: str,
    node: str,
    kind: Kind,
    options: RunOptions | None = None,
    *,
    answer: str | None = None,
    changes: dict[str, Any] | None = None,
    **fields: Any,
) -> TreeFork:
    """Fork an amplification transcript at ``node`` as a new run (``config.parent`` names the
    original), with the original experiment plus ``changes`` (e.g. another decomposer);
    ``options`` (or its fields as keywords) say how to run."""
    original, run = load_original(store, transcript_id)
    if run.protocol != Amplification.name:
        raise ExperimentError(f"transcript {transcript_id} is {run.protocol}, not amplification")
    try:
        copied, plan = plan_fork(original, node, kind, answer)
    except EditError as exc:
        raise ExperimentError(str(exc)) from None
    label = f"{'edit' if kind == 'edit' else 're-run'} of node {node} of {original.item.id}"
    experiment = forked_experiment(run, original, changes, label)

    def setup(protocol: Protocol) -> None:
        assert isinstance(protocol, Amplification)
        protocol.plan = plan

    parent = {"transcript": transcript_id, "run": run.id, "kind": kind, "node": node}
    summary, new_id = await run_linked(
        store, original, experiment, parent, copied, run_options(options, **fields),
        cache=kind == "edit", setup=setup, stored=run.config,
    )  # fmt: skip
    return TreeFork(summary, new_id)
