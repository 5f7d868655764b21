"""``playground tournament``: plan a debater tournament (round robin, or the next Swiss round
from the results in the log) as experiment files that ``playground run`` runs."""

from __future__ import annotations

import click

from ..analysis import load_frames
from ..analysis.tournament import pairings, plan, standings, write_plan
from ..experiments import ExperimentError, load_experiment
from ..protocols import get_protocol


@click.command()
@click.argument("base", type=click.Path(exists=True, dir_okay=False))
@click.option("--debater", "debaters", multiple=True, required=True, metavar="MODEL",
              help="A debater model (repeat, at least two).")  # fmt: skip
@click.option("--format", "format_", type=click.Choice(["round-robin", "swiss"]),
              default="round-robin", show_default=True)  # fmt: skip
@click.option("--round", "round_", type=click.IntRange(1), default=1, show_default=True,
              help="Swiss: the round to pair (from the results of the earlier rounds in the log).")  # fmt: skip
@click.option("--name", help="Tournament name (tag tournament:NAME; default: the base's name).")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Directory for the experiment files.")  # fmt: skip
@click.pass_obj
def tournament(
    obj, base: str, debaters: tuple[str, ...], format_: str, round_: int, name: str | None,
    out: str,
) -> None:  # fmt: skip
    """Write one experiment per pairing of the debater models, from BASE (an experiment file
    giving the protocol, dataset, options and judge). Run them with `playground run FILE`."""
    try:
        exp = load_experiment(base)
    except ExperimentError as exc:
        raise click.UsageError(str(exc)) from None
    if not {"debater_a", "debater_b"} <= set(get_protocol(exp.protocol).roles):
        raise click.UsageError(
            f"{base}: protocol {exp.protocol!r} has no debater_a and debater_b seats "
            "(use debate or open_debate)"
        )
    tournament_name = name or exp.name
    table = None
    if format_ == "swiss" and round_ > 1:
        frames = load_frames(obj.store())
        table = standings(frames.verdicts, tournament_name, frames.runs)
        if table.empty:
            raise click.UsageError(
                f"--round {round_}: no results of tournament {tournament_name!r} in the log "
                "(run round 1 first, or pass --round 1)"
            )
        click.echo(table.drop(columns=["opponents"]).to_string(index=False))
    try:
        pairs, bye = pairings(list(debaters), format_, round_, table)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.UsageError(f"--debater: {exc}") from None
    paths = write_plan(plan(exp, pairs, tournament_name), out)
    for p, path in zip(pairs, paths, strict=True):
        click.echo(f"round {p.round}: {p.a} vs {p.b} → {path}")
    if bye:
        click.echo(f"bye: {bye}")
