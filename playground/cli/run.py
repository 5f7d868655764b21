"""``playground run``: run an experiment file, printing the run id first, then a summary."""

from __future__ import annotations

import asyncio
import sys

import click

from ..datasets import DatasetError
from ..events import Event, TranscriptFinished, TranscriptStarted, VerdictReached
from ..experiments import ExperimentError, load_experiment, run_experiment
from ..prompts import PromptError
from ..providers import Credentials, ProviderError

SETUP_ERRORS = (ExperimentError, DatasetError, PromptError, ProviderError)


class Progress:
    """One stderr line per finished transcript, so a long run shows it is alive."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}
        self.done = 0

    def __call__(self, event: Event) -> None:
        match event:
            case TranscriptStarted():
                suffix = " (swapped)" if event.assignment.swapped else ""
                self.items[event.transcript_id] = event.item.id + suffix
            case VerdictReached():
                v = event.verdict
                mark = {True: "correct", False: "wrong", None: v.reason or ""}[event.is_correct]
                click.echo(
                    f"  {self.items.get(event.transcript_id, '?')}: {v.status} {mark}", err=True
                )
            case TranscriptFinished():
                self.done += 1


@click.command()
@click.argument("experiment", type=click.Path(dir_okay=False))
@click.option(
    "--concurrency", type=click.IntRange(1, 512), help="Transcripts at once (overrides the file)."
)
@click.option(
    "--limit", type=click.IntRange(1), help="Only the first N items (overrides the file)."
)
@click.pass_obj
def run(obj, experiment: str, concurrency: int | None, limit: int | None) -> None:
    """Run EXPERIMENT (a TOML file) and log every turn and verdict."""
    try:
        exp = load_experiment(experiment)
        if concurrency:
            exp.concurrency = concurrency
        if limit:
            exp.limit = limit
        store = obj.store()
        coro = run_experiment(
            exp,
            store,
            credentials=Credentials(),
            sink=Progress(),
            source="cli",
            on_start=lambda run_id: click.echo(run_id),
        )
        summary = asyncio.run(coro)
    except SETUP_ERRORS as exc:
        raise click.UsageError(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("interrupted: completed transcripts are kept in the store", err=True)
        sys.exit(130)
    for line in summary.lines():
        click.echo(line)
    counts = summary.info.verdicts
    if counts.get("error") and not (counts.get("ok") or counts.get("unparseable")):
        sys.exit(1)  # nothing but errors: let scripts notice
