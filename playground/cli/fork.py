"""``playground fork`` / ``rejudge`` / ``transcripts``: branch a logged transcript, judge it again,
and find the transcript ids to do so."""

from __future__ import annotations

import tomllib
from typing import Any

import click

from ..experiments import SETUP_ERRORS, RunHandle, RunOptions
from ..experiments.fork import fork as fork_transcript
from ..experiments.fork import merge
from ..safetext import terminal_line
from .progress import Progress
from .run import follow


def parse_sets(sets: tuple[str, ...]) -> dict[str, Any]:
    """``roles.judge.model=openai/gpt-4o`` … → nested changes; values are read as TOML when
    they parse (numbers, booleans, quoted strings, lists) and as plain strings otherwise."""
    changes: dict[str, Any] = {}
    for item in sets:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(
                f"--set {item!r}: write KEY=VALUE, e.g. roles.judge.model=openai/gpt-4o"
            )
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        nested: Any = value
        for part in reversed(key.strip().split(".")):
            nested = {part: nested}
        changes = merge(changes, nested)
    return changes


def _run(obj, transcript_id: str, at_turn: int | None, sets: tuple[str, ...]) -> None:
    try:
        store, changes = obj.store(), parse_sets(sets)
        handle = RunHandle(
            lambda options: fork_transcript(
                store, transcript_id, options, at_turn=at_turn, changes=changes
            ),
            RunOptions(sink=Progress(), source="cli"),
            keep_events=False,
        )
        summary = follow(handle, "interrupted: the turns completed so far are kept")
    except SETUP_ERRORS as exc:
        raise click.UsageError(str(exc)) from None
    for line in summary.lines():
        click.echo(line)


SET_HELP = "Change a setting of the original experiment, e.g. roles.judge.model=openai/gpt-4o or options.rounds=4 (repeatable)."


@click.command()
@click.argument("transcript_id")
@click.option(
    "--at-turn", type=click.IntRange(0), required=True, help="Keep turns 0..K; run the rest again."
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.pass_obj
def fork(obj, transcript_id: str, at_turn: int, sets: tuple[str, ...]) -> None:
    """Continue TRANSCRIPT_ID from turn K with settings changed, as a new linked run."""
    _run(obj, transcript_id, at_turn, sets)


@click.command()
@click.argument("transcript_id")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.pass_obj
def rejudge(obj, transcript_id: str, sets: tuple[str, ...]) -> None:
    """Judge TRANSCRIPT_ID again (e.g. --set roles.judge.model=...), as a new linked run."""
    _run(obj, transcript_id, None, sets)


@click.command()
@click.argument("run_id")
@click.pass_obj
def transcripts(obj, run_id: str) -> None:
    """List a run's transcripts: id, item, position, status, verdicts, parent."""
    store = obj.store()
    if store.get_run(run_id) is None:
        raise click.UsageError(f"no run {run_id!r} in {store!r}")
    for view in store.transcripts_of(run_id):
        verdicts = ", ".join(
            f"{v.role}:{v.status}" + ("" if ok is None else (" correct" if ok else " wrong"))
            for _, v, ok in view.verdicts
        )
        parent = f"  (from {terminal_line(view.parent_id)})" if view.parent_id else ""
        swapped = " swapped" if view.assignment.swapped else ""
        click.echo(
            f"{terminal_line(view.id)}  {terminal_line(view.item.id)}{swapped}  {view.status}  "
            f"{len(view.turns)} turns  {terminal_line(verdicts)}{parent}"
        )
