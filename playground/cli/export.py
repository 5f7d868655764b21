"""``playground export``: write logged verdicts to a file for offline analysis."""

from __future__ import annotations

import sys

import click

from ..export import write_jsonl


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option("--out", required=True, help="Output file, or - for standard output.")
@click.option("--run", "run_id", help="Only this run (default: every run).")
@click.pass_obj
def export(obj, fmt: str, out: str, run_id: str | None) -> None:
    """Export verdict records (one JSON object per line; schema in the README)."""
    store = obj.store()
    if run_id and store.get_run(run_id) is None:
        raise click.UsageError(f"--run: no run {run_id!r} in {store!r}")
    if out == "-":
        count = write_jsonl(store, sys.stdout, run_id)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            count = write_jsonl(store, handle, run_id)
    click.echo(f"wrote {count} records to {out}", err=True)
