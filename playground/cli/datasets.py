"""``playground datasets``: list the dataset references and formats, and inspect one before a run."""

from __future__ import annotations

import json

import click

from ..datasets import FORMATS, DatasetError, list_builtins, load_dataset
from ..datasets.summary import summarize
from ..safetext import terminal_line


@click.group()
def datasets() -> None:
    """Built-in datasets and the file formats a dataset reference can name."""


@datasets.command(name="list")
def list_() -> None:
    """The built-in datasets and the file formats (``<format>:<path>``)."""
    for ref, description in list_builtins().items():
        click.echo(f"{ref:<24} {description}")
    for name, description in FORMATS.items():
        click.echo(f"{name + ':<path>':<24} {description}")
    click.echo(f"{'<path>.jsonl':<24} JSONL items (id, question, answers, correct, passage, meta).")


@datasets.command(name="inspect")
@click.argument("dataset")
@click.option("--seed", type=int, default=0, show_default=True,
              help="The experiment's seed (generated sets, GPQA's answer order).")  # fmt: skip
@click.option("--sample", type=click.IntRange(0, 50), default=1, show_default=True,
              help="How many items to show in full.")  # fmt: skip
@click.option("--width", type=click.IntRange(40), default=300, show_default=True,
              help="Cut each shown text to this many characters.")  # fmt: skip
def inspect_(dataset: str, seed: int, sample: int, width: int) -> None:
    """Load DATASET (as an experiment's ``dataset``) and print its counts, a histogram of how
    many answers items have, where the true answer sits, and a sample item."""
    try:
        summary = summarize(load_dataset(dataset, seed=seed), sample)
    except DatasetError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(summary.description)
    click.echo(
        f"items: {summary.items} · with a passage: {summary.with_passage} · "
        f"without a true answer: {summary.without_truth}"
    )
    click.echo("answers per item:")
    _histogram(summary.answer_counts, summary.items, "answers")
    if summary.correct_positions:
        click.echo("position of the true answer:")
        _histogram(summary.correct_positions, summary.items - summary.without_truth, "index")
    if summary.meta_keys:
        click.echo("meta: " + ", ".join(f"{k} ({n})" for k, n in summary.meta_keys.items()))
    for item in summary.sample:
        click.echo("")
        click.echo(f"sample {item.id}:")
        click.echo(f"  question: {_cut(item.question, width)}")
        for index, answer in enumerate(item.answers):
            mark = "*" if index == item.correct else " "
            click.echo(f"  {mark} {index}. {_cut(answer, width)}")
        if item.passage is not None:
            click.echo(f"  passage ({len(item.passage)} characters): {_cut(item.passage, width)}")
        if item.meta:
            click.echo(f"  meta: {_cut(json.dumps(item.meta, ensure_ascii=False), width)}")


def _histogram(counts: dict[int, int], total: int, label: str) -> None:
    widest = max(counts.values(), default=1)
    for value, count in counts.items():
        bar = "#" * max(1, round(30 * count / widest))
        share = f"{count / total:.0%}" if total else "-"
        click.echo(f"  {label} {value:>2}: {count:>6}  {share:>4}  {bar}")


def _cut(text: str, width: int) -> str:
    """One line of dataset text for a terminal: whitespace folded, control characters (escape
    sequences included) shown as U+FFFD, cut to ``width``."""
    flat = terminal_line(text)
    return flat if len(flat) <= width else flat[: width - 1] + "…"
