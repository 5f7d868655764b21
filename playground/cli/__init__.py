"""The ``playground`` command: everything the page can do, from a terminal.

Commands are imported only when they run (or their help is shown), so ``playground --help``
and the light commands do not pay for pandas, SQLAlchemy, LangChain or the vendor SDKs."""

from __future__ import annotations

import ast
import importlib
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..store import Store

#: command name → (module under playground.cli, the command's function there).
COMMANDS: dict[str, tuple[str, str]] = {
    "app": ("app", "app"),
    "datasets": ("datasets", "datasets"),
    "export": ("export", "export"),
    "fork": ("fork", "fork"),
    "import": ("transfer", "import_"),
    "prompts": ("prompts", "prompts"),
    "rejudge": ("fork", "rejudge"),
    "report": ("report", "report"),
    "run": ("run", "run"),
    "runs": ("runs", "runs"),
    "study": ("study", "study"),
    "tournament": ("tournament", "tournament"),
    "transcripts": ("fork", "transcripts"),
}


class Context:
    """What every command shares: where the store is."""

    def __init__(self, db: str | None) -> None:
        self.db = db

    def store(self) -> Store:
        from ..store import Store

        return Store(self.db)


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command is used; a store
    that stays unwritable is one line (``Error: …``), not a trace."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BaseException as exc:
            # StoreUnavailable can only come from a loaded store; do not import it for --help
            if "playground.store" in sys.modules:
                from ..store import StoreUnavailable

                if isinstance(exc, StoreUnavailable):
                    raise click.ClickException(str(exc)) from None
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attr = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list, each command's first line read from its source (not imported)."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=_doc(name)).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@cache
def _doc(name: str) -> str:
    """A lazy command's docstring as click reads it (cleaned, cut at ``\\f``), from its source."""
    module, attr = COMMANDS[name]
    tree = ast.parse((Path(__file__).parent / f"{module}.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == attr:
            return (ast.get_docstring(node) or "").split("\f")[0]
    raise LookupError(f"playground.cli.{module} has no command function {attr}")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def main() -> None:
    cli(prog_name="playground")
