"""``playground import``: read JSONL exports back into a store (lossless for store exports), and
Inspect eval logs of multiple-choice evals as judge verdicts."""

from __future__ import annotations

from pathlib import Path

import click

from ..export import ImportFileError, read_jsonl
from ..export.extras import MissingExtra
from ..records import Record
from ..store.importer import BadRecord, ImportConflict, import_records


def is_inspect_log(path: str | Path) -> bool:
    """An ``.eval`` file, or a ``.json`` file that starts like an Inspect log."""
    path = Path(path)
    if path.suffix == ".eval":
        return True
    if path.suffix != ".json":
        return False
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith(b"{") and b'"eval"' in head


def read_any(path: str) -> list[Record]:
    """Records from a JSONL export or, by its name and first bytes, an Inspect log (inspect_ai
    is imported only then: it is heavy)."""
    if is_inspect_log(path):
        try:
            from ..export.inspect_log import read_inspect
        except MissingExtra as exc:  # the [inspect] extra is not installed
            raise ImportFileError(f"{path}: {exc}") from None
        return list(read_inspect(path))
    return list(read_jsonl(path))


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def import_(obj, files: tuple[str, ...]) -> None:
    """Import FILES into the store: JSONL from `playground export --format jsonl`, or Inspect
    eval logs (.eval, .json) of multiple-choice evals, whose samples become judge verdicts. A
    run already in the store is refused and nothing is written."""
    store = obj.store()
    try:
        records = [record for path in files for record in read_any(path)]
        summary = import_records(store, records)
    except ImportFileError as exc:  # read before anything is written: the import is atomic
        raise click.UsageError(f"{exc} (nothing was imported)") from None
    except (BadRecord, ImportConflict) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(summary.line())
    for run_id in summary.runs:
        click.echo(run_id)
