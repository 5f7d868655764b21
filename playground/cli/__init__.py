"""The ``playground`` command: everything the page can do, from a terminal."""

from __future__ import annotations

import click

from ..store import Store, StoreUnavailable
from .app import app
from .datasets import datasets
from .export import export
from .fork import fork, rejudge, transcripts
from .prompts import prompts
from .report import report
from .run import run
from .runs import runs
from .tournament import tournament
from .transfer import import_


class Context:
    """What every command shares: where the store is."""

    def __init__(self, db: str | None) -> None:
        self.db = db

    def store(self) -> Store:
        return Store(self.db)


class _Commands(click.Group):
    """Every command: a store that stays unwritable is one line (``Error: …``), not a trace."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except StoreUnavailable as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="PLAYGROUND_DB",
    help="Store URL (sqlite:///path.db, postgresql+psycopg://…) or SQLite file path. "
    "Default: $PLAYGROUND_DB, else ~/.local/share/oversight-playground/playground.db.",
)
@click.version_option(package_name="oversight-playground")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """Oversight playground: run debates and log every judge verdict with provenance."""
    ctx.obj = Context(db)


for command in (
    run, export, runs, transcripts, fork, rejudge, prompts, app, report, import_, datasets,
    tournament,
):  # fmt: skip
    cli.add_command(command)


def main() -> None:
    cli(prog_name="playground")
