"""What a protocol declares about itself for the pages and the report: its label and summary,
how its seats look, which of its options the run form draws (and how), and its report sections.
Plain data, no Streamlit: the pages and `playground.analysis.report` read it and name no
protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, cast, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from ..providers.human import ReplyKind

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FormField",
    "ProtocolInfo",
    "ReplyKind",
    "ReportFrames",
    "ReportSection",
    "SeatStyle",
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeatStyle(_Spec):
    """How a seat is shown: its name, a Streamlit colour and a Material icon."""

    name: str
    color: str = "gray"
    avatar: str = ":material/person:"


Widget = Literal["number", "checkbox", "radio", "select", "panel"]
"""``panel``: a number of judges N, sent as the first N seats of `PANEL`."""

PANEL = ("judge", "judge_b", "judge_c", "judge_d")
"""Seats of a judge panel, in the order the run form adds them."""


class FormField(_Spec):
    """One option as the run form draws it. ``key`` is the widget's key (``{protocol}`` is
    replaced by the protocol's name, for an option whose default differs between protocols);
    ``choices`` maps a radio's or select box's values to their labels; ``low``/``high`` bound a
    number. `form_fields` derives a plain one for an option a protocol does not describe."""

    option: str
    label: str
    widget: Widget
    key: str | None = None
    help: str | None = None
    choices: dict[str, str] | None = None
    low: int | None = None
    high: int | None = None

    def widget_key(self, protocol: str) -> str:
        return (self.key or f"{protocol}.{self.option}").replace("{protocol}", protocol)


class ProtocolInfo(_Spec):
    """What the pages show of a protocol."""

    label: str = Field(description="Its name in menus and status lines, e.g. 'Open debate'.")
    summary: str = Field(description="One or two sentences under the menu.")
    page: Literal["debate", "amplification", "consistency", "approval", "probe"] | None = Field(
        None,
        description="The page that runs it: 'debate' puts it in the Debate page's menu (any "
        "judged protocol whose items are questions with a true answer); 'probe' puts it in "
        "the Bias probes page's menu (a protocol re-judging a logged run, run:<id>).",
    )
    menu_order: int = Field(100, description="Place in its page's menu (lower first).")
    seat_styles: dict[str, SeatStyle] = Field(default_factory=dict)
    form: tuple[FormField, ...] | None = Field(
        None,
        description="The options the run form draws, in order; None: every option, each with "
        "a widget derived from its type.",
    )
    conditions: dict[str, str] = Field(
        default_factory=dict,
        description="What each ``assignment.condition`` it writes means, as a page says it.",
    )
    argues: bool = Field(
        False,
        description="Its transcripts hold arguments for assigned answers, which consistency's "
        "judge checks can re-present (run:<run id>).",
    )


class ReportFrames(Protocol):
    """The analysis frames a report section reads (`playground.analysis.Frames`)."""

    @property
    def verdicts(self) -> pd.DataFrame: ...

    @property
    def readings(self) -> pd.DataFrame: ...

    @property
    def usage(self) -> pd.DataFrame: ...


Tables = Callable[[ReportFrames, int], "dict[str, pd.DataFrame]"]
"""(frames, bootstrap replicates) → named tables."""


@dataclass(frozen=True, kw_only=True)
class ReportSection:
    """A section of the report a protocol adds: its tables, computed from the analysis frames.

    Sections of several protocols with the same ``key`` are one section: their tables and
    notes are joined, their titles joined with "and" and their texts one after the other, in
    ``order``.
    """

    key: str
    title: str
    about: str
    tables: Tables
    notes: dict[str, str] = field(default_factory=dict)
    """Per table: what would fill it, shown when it is empty."""
    order: int = 100
    every_verdict: bool = True
    """Reads every verdict, measurements included; False: judge decisions only."""
    reads_turns: bool = False
    """Reads readings or usage: computed last, while those finish loading."""


def reply_for(replies: dict[str, ReplyKind], role: str) -> ReplyKind:
    """The reply a seat's own prompt asks for; an added seat (``judge_b``) as its base role."""
    return replies.get(role) or replies.get(role.rsplit("_", 1)[0], "text")


def field_widget(name: str, info: FieldInfo) -> FormField | None:
    """A plain widget for an option from its type: a checkbox for a bool, a number for an int
    (within its ``ge``/``le`` bounds), a select box for a Literal; None for anything else (not
    drawn: its default applies). Its help is the field's description."""
    label = name.replace("_", " ").capitalize()
    annotation, described = info.annotation, info.description
    if annotation is bool:
        return FormField(option=name, label=label, widget="checkbox", help=described)
    if annotation is int:
        low = next((cast(int, m.ge) for m in info.metadata if isinstance(m, Ge)), None)
        high = next((cast(int, m.le) for m in info.metadata if isinstance(m, Le)), None)
        return FormField(
            option=name, label=label, widget="number", low=low, high=high, help=described
        )
    if get_origin(annotation) is Literal:
        values = [str(v) for v in get_args(annotation)]
        return FormField(
            option=name,
            label=label,
            widget="select",
            choices={v: v for v in values},
            help=described,
        )
    return None


def form_fields(info: ProtocolInfo, options: type[BaseModel]) -> tuple[FormField, ...]:
    """The fields the run form draws for a protocol: its declared ``form``, or one per option."""
    if info.form is not None:
        return info.form
    fields = options.model_fields.items()
    return tuple(w for name, info in fields if (w := field_widget(name, info)) is not None)
