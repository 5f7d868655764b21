"""Consistency checks (``consistency`` in an experiment file): ask the model under test — the
``subject`` seat, framed as an answerer, a debater or a judge by its prompt — logically related
questions and measure how far its answers are from coherent. One check instance is one
transcript (its turns the elicitations) and one verdict whose ``metrics`` hold the elicited
probabilities and the family's violation (`metrics`)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...datasets.consistency import FAMILIES, Family, JudgeCheck, check_of
from ...prompts import PromptError, get_prompt
from ...records import Assignment, Item
from ..base import Protocol, TranscriptContext
from ..registry import register
from ..spec import ProtocolInfo
from .judge import run_judge
from .logged import judge_items
from .meta import CheckMetrics
from .report import SECTION
from .statements import SUBJECT, missing, run_statements
from .turns import TURN_METAS
from .writer import WRITER

if TYPE_CHECKING:
    from ...store import Store

JudgeVariant = Literal["swap", "paraphrase", "rename"]

FAMILY_LABELS: dict[Family, str] = {
    "negation": "Negation — |P(A) + P(¬A) − 1|",
    "paraphrase": "Paraphrase — max − min over paraphrases",
    "conjunction": "Conjunction / disjunction — Fréchet bounds and the sum rule",
    "conditional": "Conditional — |P(A)·P(B|A) − P(A∧B)|",
    "monotonicity": "Monotonicity — (1 − Spearman ρ)/2",
    "but_not": "But not — |P(A) + P(B∧¬A) − P(A∨B)|",
    "implication": "Implication — A ⇒ B: max(0, P(A) − P(B))",
    "disjoint_spanning": "Partition — |Σ P(option) − 1|",
    "expected_evidence": "Expected evidence — |P(A) − P(E)P(A|E) − P(¬E)P(A|¬E)|",
    "cond_cond": "Chain rule — |P(A)P(B|A)P(C|A∧B) − P(A∧B∧C)|",
    "judge": "Judge — verdict flips under swap / paraphrase / renamed labels",
}
"""Each family and what its violation measures, as the Consistency page lists them."""
assert tuple(FAMILY_LABELS) == FAMILIES


class ConsistencyOptions(BaseModel):
    """Options of ``consistency`` (the ``[options]`` table of an experiment)."""

    model_config = ConfigDict(extra="forbid")

    families: list[Family] = Field(
        default_factory=lambda: list(FAMILIES),
        min_length=1,
        description="Check families to run; the dataset's instances of other families are skipped.",
    )
    write_variants: bool = Field(
        False,
        description="Add a variant_writer seat that writes every related statement an instance "
        "leaves out (negation, paraphrases, A and B, A or B, B given A, a question "
        "paraphrase); its text is recorded on its turn for review.",
    )
    paraphrases: int = Field(3, ge=1, le=8, description="Paraphrases the writer writes.")
    judge_variants: list[JudgeVariant] = Field(
        default_factory=lambda: list(get_args(JudgeVariant)),
        min_length=1,
        description="Judge family: re-presentations of the logged debate, each judged next to "
        "the logged one.",
    )
    rename_labels: tuple[str, str] = Field(
        ("X", "Y"), description="Judge family: the labels the 'rename' variant uses for A, B."
    )
    judge_prompt: str = Field(
        "consistency/judge", description="Judge family: the judge prompt (label variables)."
    )

    @field_validator("rename_labels")
    @classmethod
    def _labels(cls, labels: tuple[str, str]) -> tuple[str, str]:
        if len(set(labels)) != 2 or not all(len(x) == 1 and x.isupper() for x in labels):
            raise ValueError("give two different capital letters")
        if set(labels) == {"A", "B"}:
            raise ValueError("renamed labels must differ from A and B")
        return labels

    @field_validator("judge_prompt")
    @classmethod
    def _prompt(cls, prompt_id: str) -> str:
        try:
            variables = set(get_prompt(prompt_id).variables)
        except PromptError as exc:
            raise ValueError(str(exc)) from None
        needed = {"question", "label_a", "label_b", "answer_a", "answer_b", "transcript"}
        if not needed <= variables:
            raise ValueError(f"prompt {prompt_id} lacks {', '.join(sorted(needed - variables))}")
        return prompt_id


@register
class Consistency(Protocol[ConsistencyOptions]):
    name = "consistency"
    roles = (SUBJECT,)
    prompts: ClassVar[dict[str, str]] = {
        SUBJECT: "consistency/elicit",
        WRITER: "consistency/write_negation",
    }
    verdict_role = SUBJECT
    needs_truth = False
    Options = ConsistencyOptions
    info = ProtocolInfo(
        label="Consistency checks",
        summary="The model under test answers logically related questions; the checks measure "
        "how far its answers are from coherent.",
        page="consistency",
    )
    sections = (SECTION,)
    measurements = (CheckMetrics,)
    turn_metas = TURN_METAS

    @classmethod
    def seats(cls, options: ConsistencyOptions) -> tuple[str, ...]:
        return (SUBJECT, WRITER) if options.write_variants else (SUBJECT,)

    def check_items(self, items: Sequence[Item]) -> None:
        for item in items:
            if "check" not in item.meta:
                raise ValueError(
                    f"item {item.id!r} is not a consistency check (use builtin:consistency, a "
                    "consistency JSONL file, or run:<run id> for judge checks)"
                )
            check = check_of(item)
            if check.family not in self.options.families or self.options.write_variants:
                continue
            if isinstance(check, JudgeCheck):
                wanted = "paraphrase" in self.options.judge_variants
                lacking = ["paraphrase"] if wanted and check.paraphrase is None else []
                hint = " (or drop 'paraphrase' from options.judge_variants)"
            else:
                lacking, hint = missing(check), ""
            if lacking:
                raise ValueError(
                    f"item {item.id!r} ({check.family}) has no {', '.join(lacking)}: add it to "
                    f"the data or set options.write_variants = true{hint}"
                )

    def logged_items(self, store: Store, run_id: str) -> list[Item]:
        return judge_items(store, run_id)

    def assignments(self, item: Item, rng: random.Random) -> list[Assignment]:
        check = check_of(item)
        if check.family not in self.options.families:
            return []
        order = list(check.display_order) if isinstance(check, JudgeCheck) else []
        return [Assignment(seats={}, display_order=order, condition=check.family)]

    async def run(self, ctx: TranscriptContext) -> None:
        check = check_of(ctx.item)
        if isinstance(check, JudgeCheck):
            prompt = get_prompt(self.options.judge_prompt)
            variants = list(self.options.judge_variants)
            await run_judge(ctx, check, prompt, variants, self.options.rename_labels)
        else:
            await run_statements(ctx, check, self.options.paraphrases)


__all__ = ["FAMILY_LABELS", "Consistency", "ConsistencyOptions"]
