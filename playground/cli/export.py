"""``playground export``: write logged verdicts to a file for offline analysis: JSONL (the full
`Record`), CSV or Parquet (flat, with a turns table alongside), Markdown transcripts, or Inspect
eval logs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..analysis import apply, load_frames
from ..export import write_jsonl
from ..export.approvals import write_approvals
from ..export.extras import MissingExtra
from ..export.flat import export_flat, turns_path
from ..export.markdown import export_markdown, item_markdown, run_items, safe_name
from ..export.people import renamer
from .filtering import check_runs, filter_options, filters_from


@click.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet", "markdown", "inspect"]),
              default="jsonl", show_default=True)  # fmt: skip
@click.option("--out", required=True,
              help="Output file (- for standard output: jsonl, or markdown with --item); "
              "for markdown without --item, and inspect, a directory.")  # fmt: skip
@click.option("--item", "item_id", help="markdown: only this item of the run.")
@click.option("--approvals", is_flag=True,
              help="Write the approval lab's steps instead, as training JSONL: one line per "
              "step and source with state, step, approval, source, rationale, true value and "
              "outcome.")  # fmt: skip
@click.option("--with-emails", is_flag=True,
              help="Write study participants' emails; by default each appears by a "
              "pseudonymous rater id, stable within this store.")  # fmt: skip
@filter_options
@click.pass_obj
def export(
    obj, fmt: str, out: str, item_id: str | None, approvals: bool, with_emails: bool, **kw
) -> None:
    """Export verdicts. jsonl: one `Record` per line (lossless; `playground import` reads it).
    csv/parquet: one row per verdict in OUT and one per turn in OUT's .turns file. markdown:
    one readable file per item of one run (--run). inspect: Inspect eval logs (.eval) in OUT,
    one per run and seat configuration, for `inspect view` and inspect_ai.log.read_eval_log."""
    filters = filters_from(kw)
    store = obj.store()
    check_runs(store, filters.runs)
    if approvals and fmt != "jsonl":
        raise click.UsageError("--approvals writes JSONL: leave out --format or use jsonl")
    ids = None
    if fmt in ("jsonl", "inspect") and not (
        filters.is_empty() or filters == type(filters)(runs=filters.runs)
    ):
        frames = apply(load_frames(store, filters.runs or None, turns=False), filters)
        ids = set(frames.verdicts["verdict_id"])
    if fmt == "markdown":
        _markdown(store, filters.runs, item_id, out, with_emails)
    elif fmt == "inspect":
        if out == "-":
            raise click.UsageError("--out: inspect writes a directory of logs; give its name")
        try:
            from ..export.inspect import export_inspect  # inspect_ai is heavy: only here
        except MissingExtra as exc:
            raise click.ClickException(str(exc)) from None

        runs: list[str | None] = list(filters.runs) or [None]
        written = export_inspect(store, out, runs, ids, with_emails)
        click.echo(f"wrote {len(written)} Inspect logs to {out}", err=True)
        for path in written:
            click.echo(str(path))
    elif fmt == "jsonl":
        handle = sys.stdout if out == "-" else open(out, "w", encoding="utf-8")  # noqa: SIM115
        try:
            selected: list[str | None] = list(filters.runs) or [None]
            if approvals:
                count = write_approvals(store, handle, selected, ids, with_emails)
            else:
                count = sum(
                    write_jsonl(store, handle, run_id, ids, with_emails) for run_id in selected
                )
        finally:
            if handle is not sys.stdout:
                handle.close()
        what = "approval rows" if approvals else "records"
        click.echo(f"wrote {count} {what} to {out}", err=True)
    else:
        if out == "-":
            raise click.UsageError(f"--out: {fmt} writes two files; give a file name")
        verdicts, turns = export_flat(store, out, fmt, filters, filters.runs or None, with_emails)
        click.echo(f"wrote {verdicts} verdicts to {out} and {turns} turns to {turns_path(out)}",
                   err=True)  # fmt: skip


def _markdown(store, runs: list[str], item_id: str | None, out: str, with_emails: bool) -> None:
    if len(runs) != 1:
        raise click.UsageError("--format markdown: give exactly one --run")
    if item_id is None:
        if out == "-":
            raise click.UsageError("--out: markdown without --item writes a directory")
        written = export_markdown(store, runs[0], out, with_emails)
        click.echo(f"wrote {len(written)} item files to {out}", err=True)
        return
    records = run_items(store, runs[0], renamer(store, with_emails)).get(item_id)
    if not records:
        raise click.UsageError(f"--item: no item {item_id!r} in run {runs[0]!r}")
    text = item_markdown(records)
    if out == "-":
        click.echo(text, nl=False)
    else:
        path = Path(out)
        if path.is_dir():
            path = path / f"{safe_name(item_id)}.md"
        path.write_text(text, encoding="utf-8")
        click.echo(f"wrote {path}", err=True)
