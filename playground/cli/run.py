"""``playground run``: run an experiment file (or resume a run), printing the run id first,
live progress on stderr, then a summary."""

from __future__ import annotations

import sys
from typing import TypeVar

import click

from ..experiments import SETUP_ERRORS, RunHandle, RunOptions, load_experiment
from .progress import Progress

T = TypeVar("T")


@click.command()
@click.argument("experiment", type=click.Path(dir_okay=False), required=False)
@click.option("--resume", "resume", metavar="RUN_ID", help="Continue an interrupted or killed run.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 512),
    help="Transcripts at once, not calls: a debate round calls both debaters at once "
    "(overrides the file).",
)
@click.option(
    "--max-calls",
    type=click.IntRange(1),
    help="Model calls in flight at once across the run (overrides the file's max_calls).",
)
@click.option(
    "--batch",
    is_flag=True,
    help="Send the calls through the providers' batch APIs, wave by wave, at the batch price "
    "(openai/… and anthropic/… seats only).",
)
@click.option(
    "--limit", type=click.IntRange(1), help="Only the first N items (overrides the file)."
)
@click.option(
    "--no-cache", is_flag=True, help="Call the models even when the cache has the answer."
)
@click.option(
    "--max-cost-usd",
    type=click.FloatRange(0, min_open=True),
    help="Stop the run (status budget) once its calls cost this much; with --resume, the "
    "higher budget to continue with (overrides the file).",
)
@click.option(
    "--max-transcript-cost-usd",
    type=click.FloatRange(0, min_open=True),
    help="Stop a transcript once its calls cost this much (overrides the file).",
)
@click.option(
    "--max-tokens-total",
    type=click.IntRange(1),
    help="Stop the run once its calls used this many tokens (overrides the file).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the planned calls per seat and an estimated cost; send nothing.",
)
@click.pass_obj
def run(
    obj,
    experiment: str | None,
    resume: str | None,
    concurrency: int | None,
    max_calls: int | None,
    batch: bool,
    limit: int | None,
    no_cache: bool,
    max_cost_usd: float | None,
    max_transcript_cost_usd: float | None,
    max_tokens_total: int | None,
    dry_run: bool,
) -> None:
    """Run EXPERIMENT (a TOML file) and log every turn and verdict, or --resume RUN_ID."""
    if bool(experiment) == bool(resume):
        raise click.UsageError("give an EXPERIMENT file or --resume RUN_ID (one of the two)")
    if resume and (limit or max_calls or batch):
        raise click.UsageError("--limit, --max-calls and --batch cannot change a resumed run")
    try:
        store = obj.store()
        exp = load_experiment(experiment) if experiment else None
        if exp is not None and limit:
            exp.limit = limit
        if exp is not None and max_calls:
            exp.max_calls = max_calls
        if exp is not None and batch:
            exp.batch = True
        given = {
            "max_cost_usd": max_cost_usd,
            "max_transcript_cost_usd": max_transcript_cost_usd,
            "max_tokens_total": max_tokens_total,
        }
        budget: dict[str, float | None] = {k: v for k, v in given.items() if v is not None}
        if dry_run:
            from ..experiments.plan import plan_run

            for line in plan_run(exp, store, resume, budget).lines():
                click.echo(line)
            return
        options = RunOptions(sink=Progress(), source="cli", on_start=click.echo)
        handle = RunHandle.for_experiment(
            exp,
            store,
            options,
            resume=resume,
            keep_events=False,
            budget=budget,
            **_overrides(concurrency, no_cache),
        )
        summary = follow(handle)
    except SETUP_ERRORS as exc:
        raise click.UsageError(str(exc)) from None
    for line in summary.lines():
        click.echo(line)
    if summary.info.status == "budget":
        sys.exit(3)  # stopped at a budget: resumable
    counts = summary.info.verdicts
    if counts.get("error") and not (counts.get("ok") or counts.get("unparseable")):
        sys.exit(1)  # nothing but errors: let scripts notice


RESUMABLE = "interrupted: completed transcripts are kept; continue with --resume"


def follow(handle: RunHandle[T], interrupted: str = RESUMABLE) -> T:
    """Start ``handle`` and wait for what it returns; Ctrl-C stops the run (marked
    ``interrupted``, what completed kept), says ``interrupted`` and exits with 130."""
    try:
        handle.start()
        while not handle.join(0.5):
            pass
    except KeyboardInterrupt:
        handle.cancel()
        handle.join()
        click.echo(interrupted, err=True)
        sys.exit(130)
    return handle.outcome()


def _overrides(concurrency: int | None, no_cache: bool) -> dict:
    overrides: dict = {}
    if concurrency:
        overrides["concurrency"] = concurrency
    if no_cache:
        overrides["cache"] = False
    return overrides
