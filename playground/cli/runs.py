"""``playground runs``: list logged runs with their verdict counts."""

from __future__ import annotations

import click

from ..safetext import terminal_line


@click.command()
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.pass_obj
def runs(obj, limit: int) -> None:
    """List the newest runs: id, protocol, status, verdicts and accuracy."""
    infos = obj.store().list_runs(limit)
    if not infos:
        click.echo("no runs yet")
        return
    click.echo(
        f"{'run id':<23} {'protocol':<10} {'status':<11} {'ok/unp/err':<11} {'acc':>6}  name"
    )
    for i in infos:
        counts = "/".join(str(i.verdicts.get(s, 0)) for s in ("ok", "unparseable", "error"))
        acc = f"{i.accuracy:.0%}" if i.accuracy is not None else "-"
        id_, protocol, status, name = map(terminal_line, (i.id, i.protocol, i.status, i.name))
        click.echo(f"{id_:<23} {protocol:<10} {status:<11} {counts:<11} {acc:>6}  {name}")
