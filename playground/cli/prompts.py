"""``playground prompts``: list, show, diff, save and export prompt versions, and A/B two of them.

A reference is ``ID`` (the template file, or for an id with no file its newest stored version) or
``ID@HASH`` with the full hash or a unique prefix of at least 8 hex digits.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import NoReturn

import click

from ..datasets import DatasetError
from ..experiments import ExperimentError, RunHandle, RunOptions, load_experiment
from ..experiments.pairs import ABResult, compare_runs
from ..prompting import (
    PromptVersion,
    export_version,
    get_version,
    list_versions,
    resolve_prompt,
    save_version,
    unified_diff,
)
from ..prompts import PromptError, load_prompts, parse_template
from ..providers import Credentials, ProviderError
from ..store import Store
from .run import follow

ERRORS = (PromptError, ExperimentError, DatasetError, ProviderError)


def _version(store: Store, ref: str) -> PromptVersion:
    template = resolve_prompt(ref, store, newest=True)
    version = get_version(store, template.id, template.hash)
    if version is None:  # a file template: resolving registered it
        raise PromptError(f"prompt {ref}: not recorded in {store!r}")
    return version


def _fail(exc: Exception) -> NoReturn:
    raise click.UsageError(str(exc)) from None


@click.group()
def prompts() -> None:
    """Prompt versions: every template file and every version saved from the page or here."""


@prompts.command("list")
@click.option("--role", help="Only versions written for this role (judge, debater, …).")
@click.option("--id", "prompt_id", help="Only versions of this prompt id.")
@click.pass_obj
def list_(obj, role: str | None, prompt_id: str | None) -> None:
    """List versions by prompt id, oldest first; ``*`` marks the one in prompts/ now."""
    try:
        store = obj.store()
        versions = list_versions(store, prompt_id=prompt_id, role=role)
        current = {t.id: t.hash for t in load_prompts().values()}
    except ERRORS as exc:
        _fail(exc)
    if not versions:
        click.echo("no prompt versions")
        return
    click.echo(f"  {'version':<40} {'role':<11} {'source':<7} {'parent':<12} {'created':<16} note")
    for v in sorted(versions, key=lambda v: v.id):
        mark = "*" if current.get(v.id) == v.hash else " "
        created = v.created_at.strftime("%Y-%m-%d %H:%M") if v.created_at else "-"
        parent = (v.parent_hash or "-")[:12]
        note = (v.note or "").replace("\n", " ")
        click.echo(
            f"{mark} {v.ref:<40} {v.role or '-':<11} {v.source:<7} {parent:<12} {created:<16} {note}"
        )


@prompts.command()
@click.argument("ref")
@click.pass_obj
def show(obj, ref: str) -> None:
    """Print a version: its hash, role, parent, note, variables and messages."""
    try:
        version = _version(obj.store(), ref)
    except ERRORS as exc:
        _fail(exc)
    t = version.template
    click.echo(f"prompt   {t.id}")
    click.echo(f"hash     {t.hash}")
    click.echo(f"role     {t.role or '-'}")
    click.echo(f"source   {version.source}")
    click.echo(f"parent   {version.parent_hash or '-'}")
    if version.note:
        click.echo(f"note     {version.note}")
    if t.description:
        click.echo(f"about    {t.description}")
    click.echo(f"uses     {', '.join('{' + v + '}' for v in t.variables) or 'no variables'}")
    for role, content in t.messages:
        click.echo(f"\n[{role}]\n{content}")


@prompts.command()
@click.argument("old")
@click.argument("new")
@click.pass_obj
def diff(obj, old: str, new: str) -> None:
    """Unified diff from version OLD to version NEW (nothing when they are the same)."""
    try:
        store = obj.store()
        a, b = resolve_prompt(old, store, newest=True), resolve_prompt(new, store, newest=True)
    except ERRORS as exc:
        _fail(exc)
    text = unified_diff(a, b)
    click.echo(text if text else f"same wording: {a.id}@{a.hash[:12]} and {b.id}@{b.hash[:12]}")


@prompts.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", help="Why this version: shown in lists and exported with it.")
@click.option("--parent", help="Hash (≥ 8 hex digits) of the version this was edited from.")
@click.pass_obj
def save(obj, file: Path, note: str | None, parent: str | None) -> None:
    """Save a template FILE (the prompts/ TOML format) as a version; prints its reference."""
    try:
        template = parse_template(tomllib.loads(file.read_text(encoding="utf-8")), str(file))
        version, new = save_version(obj.store(), template, note=note, parent=parent, source="cli")
    except tomllib.TOMLDecodeError as exc:
        raise click.UsageError(f"{file}: not valid TOML ({exc})") from None
    except ERRORS as exc:
        _fail(exc)
    click.echo(version.pin)
    if not new:
        click.echo("(already a version: unchanged)", err=True)


@prompts.command("export")
@click.argument("ref")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Prompts directory (default: prompts/, or $PLAYGROUND_PROMPTS).",
)
@click.option("--overwrite", is_flag=True, help="Replace the file that holds this id now.")
@click.pass_obj
def export_(obj, ref: str, directory: Path | None, overwrite: bool) -> None:
    """Write version REF into the prompts directory as a template file; prints its path."""
    try:
        path = export_version(_version(obj.store(), ref), directory, overwrite=overwrite)
    except ERRORS as exc:
        _fail(exc)
    click.echo(str(path))


def _short(pin: str) -> str:
    prompt_id, _, digest = pin.partition("@")
    return f"{prompt_id}@{digest[:12]}"


def ab_lines(result: ABResult) -> list[str]:
    """An A/B result as text: per-pair verdicts (changed ones marked), counts, statistics."""
    lines = [f"{'':2}{'item':<18} {'swap':<5} {'judge':<8} {'A':<16} {'B':<16}"]
    for p in result.pairs:
        mark = "≠" if p.changed else " "
        swap = "yes" if p.assignment.swapped else "no"
        lines.append(
            f"{mark} {p.item_id:<18} {swap:<5} {p.role:<8} {p.shown(p.a):<16} {p.shown(p.b)}"
        )
    lines.append(f"changed: {len(result.changed)} of {len(result.pairs)} pairs")
    for name, arm in (("A", result.a), ("B", result.b)):
        acc = f"{arm.accuracy:.1%}" if arm.accuracy is not None else "n/a"
        prompts = ", ".join(
            f"{s}={_short(arm.prompts[s])}" for s in result.seats if s in arm.prompts
        )
        lines.append(
            f"arm {name}: run {arm.run_id}  {prompts}  ok {arm.ok}, unparseable "
            f"{arm.unparseable}, error {arm.error}, correct {arm.correct}, accuracy {acc}"
        )
    lines.append(result.stats.describe())
    if any(result.unpaired):
        lines.append(f"unpaired verdicts left out: A {result.unpaired[0]}, B {result.unpaired[1]}")
    lines += [f"warning: {w}" for w in result.warnings]
    return lines


@prompts.command()
@click.argument("experiment", type=click.Path(dir_okay=False))
@click.option("--role", required=True, help="The seat (judge) or role (debater) to vary.")
@click.argument("version_a")
@click.argument("version_b")
@click.option("--limit", type=click.IntRange(1), help="Only the first N items.")
@click.option("--concurrency", type=click.IntRange(1, 512), help="Transcripts at once.")
@click.pass_obj
def ab(
    obj,
    experiment: str,
    role: str,
    version_a: str,
    version_b: str,
    limit: int | None,
    concurrency: int | None,
) -> None:
    """Run EXPERIMENT twice, with VERSION_A then VERSION_B pinned on --role; compare paired."""
    from ..experiments.ab import plan_ab, run_ab  # runs experiments: imported when needed

    try:
        store = obj.store()
        base = load_experiment(experiment)
        if limit:
            base.limit = limit
        plan = plan_ab(base, role, version_a, version_b, store)
        on_start = lambda arm, run_id: click.echo(f"arm {arm}: run {run_id}", err=True)  # noqa: E731
        handle = RunHandle(
            lambda options: run_ab(
                plan, store, options, on_start=on_start, concurrency=concurrency
            ),
            RunOptions(credentials=Credentials(), source="cli"),
            keep_events=False,
        )
        result = follow(handle, "interrupted: completed transcripts are kept")
    except ERRORS as exc:
        _fail(exc)
    click.echo(f"A/B {plan.ab_id}: tag ab:{plan.ab_id}")
    for line in ab_lines(result):
        click.echo(line)


@prompts.command()
@click.argument("run_a")
@click.argument("run_b")
@click.pass_obj
def compare(obj, run_a: str, run_b: str) -> None:
    """Pair two stored runs' verdicts by item and assignment and compare them like an A/B."""
    try:
        result = compare_runs(obj.store(), run_a, run_b)
    except ERRORS as exc:
        _fail(exc)
    for line in ab_lines(result):
        click.echo(line)
