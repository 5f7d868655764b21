"""The cohort filters shared by ``playground report`` and ``playground export``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the analysis layer (pandas) is imported only when a command filters
    from ..analysis.filters import Filters


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.UsageError(f"{name}: expected YYYY-MM-DD, got {value!r}") from None


FILTER_OPTIONS = [
    click.option("--run", "runs", multiple=True, help="Only this run (repeatable)."),
    click.option("--tag", "tags", multiple=True, help="Only runs with this tag (repeatable: any)."),
    click.option("--exclude-tag", "exclude_tags", multiple=True, help="Leave out runs with this tag."),
    click.option("--protocol", "protocols", multiple=True, help="Only this protocol."),
    click.option("--dataset", "datasets", multiple=True, help="Only this dataset string."),
    click.option("--model", "models", multiple=True, metavar="ROLE=MODEL",
                 help="Only verdicts whose ROLE seat had MODEL, e.g. judge=openai/gpt-4o-mini."),
    click.option("--prompt", "prompts", multiple=True, metavar="ROLE=ID@HASH8",
                 help="Only this prompt version in ROLE, e.g. judge=debate/judge@1a2b3c4d."),
    click.option("--option", "options", multiple=True, metavar="NAME=VALUE",
                 help="Only runs with this protocol option value, e.g. rounds=3."),
    click.option("--since", help="Runs created on or after this date (YYYY-MM-DD, UTC)."),
    click.option("--until", help="Runs created on or before this date (YYYY-MM-DD, UTC)."),
]  # fmt: skip


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the filter options to a click command (they arrive as keyword arguments)."""
    for option in reversed(FILTER_OPTIONS):
        command = option(command)
    return command


def filters_from(kwargs: dict[str, Any]) -> Filters:
    """Pop the filter options from a command's keyword arguments into `Filters`."""
    from ..analysis.filters import Filters, option_value, parse_assignments

    try:
        options = parse_assignments(kwargs.pop("options"), "--option")
        return Filters(
            runs=list(kwargs.pop("runs")),
            tags=list(kwargs.pop("tags")),
            exclude_tags=list(kwargs.pop("exclude_tags")),
            protocols=list(kwargs.pop("protocols")),
            datasets=list(kwargs.pop("datasets")),
            models=parse_assignments(kwargs.pop("models"), "--model"),
            prompts=parse_assignments(kwargs.pop("prompts"), "--prompt"),
            options={k: [option_value(v) for v in vs] for k, vs in options.items()},
            since=_date(kwargs.pop("since"), "--since"),
            until=_date(kwargs.pop("until"), "--until"),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def check_runs(store: Any, runs: list[str]) -> None:
    for run_id in runs:
        if store.get_run(run_id) is None:
            raise click.UsageError(f"--run: no run {run_id!r} in {store!r}")
