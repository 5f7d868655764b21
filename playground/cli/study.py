"""``playground study``: create, list, show, close and report human studies."""

from __future__ import annotations

from pathlib import Path

import click

from ..safetext import terminal_line


def _fail(error: Exception) -> None:
    raise click.ClickException(terminal_line(error))


@click.group()
def study() -> None:
    """Human judging and approval studies (see docs: guide/studies)."""


@study.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--by", default="local", show_default=True, help="Who creates it (an email).")
@click.pass_obj
def create(obj, file: Path, by: str) -> None:
    """Create a study from a TOML FILE; prints its id."""
    from ..studies import StudyError, create_study, get_study, load_spec

    try:
        spec = load_spec(file)
        study_id = create_study(obj.store(), spec, by=by)
    except StudyError as error:
        _fail(error)
    info = get_study(obj.store(), study_id)
    click.echo(study_id)
    click.echo(
        f"{info.tasks} tasks ({info.gold_tasks} gold), {info.slots} judgment slots", err=True
    )


@study.command("list")
@click.pass_obj
def list_(obj) -> None:
    """Studies: id, kind, status, slots done, name."""
    from ..studies import list_studies

    infos = list_studies(obj.store())
    if not infos:
        click.echo("no studies yet")
        return
    click.echo(f"{'study id':<13} {'kind':<9} {'status':<7} {'done':>11}  name")
    for i in infos:
        done = f"{i.done}/{i.slots}"
        click.echo(f"{i.id:<13} {i.kind:<9} {i.status:<7} {done:>11}  {terminal_line(i.name)}")


@study.command("show")
@click.argument("study_id")
@click.pass_obj
def show(obj, study_id: str) -> None:
    """A study's settings and progress per task."""
    from ..analysis.study import task_table
    from ..store import studies as db
    from ..studies import StudyError, get_study

    store = obj.store()
    try:
        info = get_study(store, study_id)
    except StudyError as error:
        _fail(error)
    click.echo(terminal_line(f"{info.name} · {info.kind} · {info.status} · by {info.created_by}"))
    click.echo(terminal_line(f"{info.done} of {info.slots} judgment slots filled · "
                             f"{info.tasks} tasks ({info.gold_tasks} gold)"))  # fmt: skip
    click.echo(terminal_line(info.spec.model_dump_json(exclude={"name"})))
    tasks = task_table(db.tasks_of(store, study_id), db.slots_of(store, study_id))
    click.echo(tasks.to_string(index=False))


@study.command("close")
@click.argument("study_id")
@click.option("--by", default="local", show_default=True)
@click.pass_obj
def close(obj, study_id: str, by: str) -> None:
    """Close a study: no new tasks; everything submitted stays."""
    from ..studies import StudyError, close_study

    try:
        close_study(obj.store(), study_id, by=by)
    except StudyError as error:
        _fail(error)
    click.echo(f"closed {study_id}")


@study.command("report")
@click.argument("study_id")
@click.option("--csv-dir", type=click.Path(file_okay=False),
              help="Also write every table as study.TABLE.csv into this directory.")  # fmt: skip
@click.pass_obj
def report(obj, study_id: str, csv_dir: str | None) -> None:
    """Per-person accuracy (Wilson), Brier, gold checks, agreement, human vs model judges,
    the stepped reveal, a leaderboard; approval studies: Spearman and AUC per rater."""
    from ..analysis.study import study_tables
    from ..export.flat import table_bytes
    from ..studies import StudyError, get_study

    store = obj.store()
    try:
        get_study(store, study_id)
    except StudyError as error:
        _fail(error)
    tables = study_tables(store, study_id)
    for name, table in tables.items():
        click.echo(f"== {name}")
        shown = table.copy()
        for column in shown.select_dtypes(include=["object", "string"]).columns:
            shown[column] = shown[column].map(terminal_line)
        click.echo(shown.to_string(index=False, float_format=lambda x: f"{x:.3f}")
                   if len(shown) else "(none yet)")  # fmt: skip
        click.echo("")
    if csv_dir:
        out = Path(csv_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            (out / f"study.{name}.csv").write_bytes(table_bytes(table, "csv"))
        click.echo(f"tables written to {out}", err=True)
