"""``playground import``: read JSONL exports back into a store (lossless for store exports)."""

from __future__ import annotations

import click

from ..export import ImportFileError, read_jsonl
from ..store.importer import ImportConflict, import_records


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def import_(obj, files: tuple[str, ...]) -> None:
    """Import FILES (JSONL from `playground export --format jsonl`) into the store. A run
    already in the store is refused and nothing is written."""
    store = obj.store()
    try:
        records = [record for path in files for record in read_jsonl(path)]
        summary = import_records(store, records)
    except (ImportFileError, ImportConflict) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(summary.line())
    for run_id in summary.runs:
        click.echo(run_id)
