"""What the judged protocols (blind, consultancy, debate and their open variants) declare for the
pages: their seats' looks, the run form's fields for the options they share, the replies their
judges give, and how many calls a run of one item makes."""

from __future__ import annotations

from .judging import JudgedOptions, RoundOptions
from .spec import FormField, ReplyKind, SeatStyle

GAVEL = ":material/gavel:"

JUDGE_STYLES: dict[str, SeatStyle] = {
    "judge": SeatStyle(name="Judge", color="violet", avatar=GAVEL),
    # extra judges of a panel: seats judge_b, judge_c, … (see `JudgedOptions.judges`)
    **{
        f"judge_{x}": SeatStyle(name=f"Judge {n}", color="violet", avatar=GAVEL)
        for n, x in enumerate("bcd", 2)
    },
}
DEBATER_STYLES: dict[str, SeatStyle] = {
    "debater_a": SeatStyle(name="Debater A", color="blue", avatar=":material/counter_1:"),
    "debater_b": SeatStyle(name="Debater B", color="orange", avatar=":material/counter_2:"),
}
CONSULTANT_STYLES: dict[str, SeatStyle] = {
    "consultant": SeatStyle(
        name="Consultant", color="green", avatar=":material/record_voice_over:"
    ),
}

JUDGE_REPLIES: dict[str, ReplyKind] = {"judge": "judgement"}
"""A judge's own prompt asks for ``Answer: X`` and ``Confidence: N`` (every panel seat too)."""

QUOTE_MODES: dict[str, str] = {
    "off": "Off",
    "strict": "Strict (exact words)",
    "fuzzy": "Fuzzy (small slips pass)",
}

PANEL_FIELDS = (
    FormField(
        option="judges",
        label="Judges",
        widget="panel",
        key="judges",
        help="A judge panel: each judge has its own seat and model and gives its own verdict "
        "on the same transcript.",
    ),
    FormField(
        option="swap_positions",
        label="Also run with positions swapped",
        widget="checkbox",
        key="swap",
        help="Runs a second transcript with the answers shown in the other order (and defended "
        "from the other seat), to measure the judge's position bias.",
    ),
)
"""What every judged protocol's form ends with."""


def round_fields(speaks: str, turn_order: bool = False) -> tuple[FormField, ...]:
    """The form of a protocol that argues over rounds: ``speaks`` says who speaks each round."""
    order = (
        FormField(
            option="turn_order",
            label="Turn order",
            widget="radio",
            key="turn_order",
            choices={"simultaneous": "simultaneous", "sequential": "sequential"},
            help="Simultaneous: neither debater sees the other's speech of the same round. "
            "Sequential: debater A speaks first and B sees it.",
        ),
    )
    return (
        FormField(
            option="rounds",
            label="Rounds",
            widget="number",
            key="rounds",
            low=1,
            high=10,
            help=f"{speaks} once per round.",
        ),
        *(order if turn_order else ()),
        FormField(
            option="interactive_judge",
            label="Interactive judge",
            widget="checkbox",
            key="{protocol}.interactive_judge",
            help="After each round but the last, the (first) judge asks a question the "
            "arguers see.",
        ),
        FormField(
            option="judge_each_round",
            label="Judge after every round",
            widget="checkbox",
            key="judge_each_round",
            help="Each judge also gives a choice and credence after every round, drawn as a "
            "credence curve (not counted as a verdict).",
        ),
        FormField(
            option="quotes",
            label="Quote verification",
            widget="select",
            key="quotes",
            choices=QUOTE_MODES,
            help="Check each <quote>…</quote> an arguer cites against the passage and show "
            "the judge which ones were found.",
        ),
        FormField(
            option="scratchpad",
            label="Private scratchpad",
            widget="checkbox",
            key="scratchpad",
            help="Arguers may think inside <scratchpad>…</scratchpad>: kept on the turn, "
            "never shown to the judge or the opponent.",
        ),
        *PANEL_FIELDS,
    )


def transcripts(options: JudgedOptions) -> int:
    """Transcripts per item before any per-protocol split: two when positions are swapped."""
    return 2 if options.swap_positions else 1


def calls_per_transcript(
    options: RoundOptions, speakers: int, interactive: bool, chooses: bool
) -> int:
    """Speeches, the judges' between-round calls, the final judgements and a side choice."""
    judges = len(options.judges)
    rounds = options.rounds
    between = (rounds - 1) * (judges * options.judge_each_round + interactive)
    return rounds * speakers + between + judges + chooses
