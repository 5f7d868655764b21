"""``playground report``: the Analysis page's tables, printed (and optionally saved as CSV)."""

from __future__ import annotations

from pathlib import Path

import click

from .filtering import check_runs, filter_options, filters_from


class SectionChoice(click.Choice):
    """The report's section keys, read from the registry when the command runs (a protocol
    registered after import adds its sections; ``--help`` does not load the analysis layer)."""

    def __init__(self) -> None:
        super().__init__(())

    def get_metavar(self, param, ctx=None):  # type: ignore[no-untyped-def,override]
        return "SECTION"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        from ..analysis.report import section_keys

        self.choices = tuple(section_keys())
        return super().convert(value, param, ctx)


@click.command()
@filter_options
@click.option("--section", "sections", multiple=True, type=SectionChoice(),
              help="Only these sections (repeatable; default: all; a wrong name lists them).")  # fmt: skip
@click.option("--reps", type=click.IntRange(0, 10_000), default=200, show_default=True,
              help="Bootstrap replicates for rating intervals (0: none).")  # fmt: skip
@click.option("--cluster", default="item", show_default=True, metavar="FIELD",
              help="What the clustered intervals resample: 'item' (a question and its swap), "
              "an item metadata field (e.g. article_id: QuALITY's passage) or a verdict "
              "column (run_id, dataset, model.<role>).")  # fmt: skip
@click.option("--csv-dir", type=click.Path(file_okay=False),
              help="Also write every table as SECTION.TABLE.csv into this directory.")  # fmt: skip
@click.option("--width", type=click.IntRange(60), default=160, show_default=True)
@click.pass_obj
def report(
    obj,
    sections: tuple[str, ...],
    reps: int,
    cluster: str,
    csv_dir: str | None,
    width: int,
    **kw,
) -> None:
    """Print judge accuracy, position bias, agreement, ratings, calibration, cost and checks
    for the selected verdicts: the same tables as the Analysis page."""
    from ..analysis import apply, build_report, load_frames, render_text  # pandas: only here
    from ..analysis.paired import cluster_column
    from ..export.flat import table_bytes

    filters = filters_from(kw)
    store = obj.store()
    check_runs(store, filters.runs)
    frames = apply(load_frames(store, filters.runs or None), filters)
    try:
        cluster_column(frames.verdicts, cluster)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--cluster") from None
    click.echo(f"{len(frames.verdicts)} verdicts in {frames.verdicts['run_id'].nunique()} "
               f"run(s) · {filters.describe()}")  # fmt: skip
    click.echo("")
    result = build_report(frames, reps=reps, cluster=cluster)
    if sections:
        result = [s for s in result if s.key in sections]
    click.echo(render_text(result, width=width))
    if csv_dir:
        out = Path(csv_dir)
        out.mkdir(parents=True, exist_ok=True)
        for section in result:
            for name, table in section.tables.items():
                (out / f"{section.key}.{name}.csv").write_bytes(table_bytes(table, "csv"))
        click.echo(f"tables written to {out}", err=True)
