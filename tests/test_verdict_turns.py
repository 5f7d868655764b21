"""Every protocol's verdicts can be traced to the call that produced them: a verdict holding a
reply points (``turn_index``) at the turn whose content that reply is, the record carries that
turn, and the analysis frame names the turn's model as the verdict's judge. Verdicts no single
call produced (a consistency check over several elicitations, the approval lab's outcome) hold
no reply and point nowhere. Each protocol runs on scripted models."""

from __future__ import annotations

import asyncio
import re

import pytest
from amplification_world import World, write_items

from playground.analysis import load_frames
from playground.experiments import parse_experiment, run_experiment
from playground.protocols import PROTOCOLS
from playground.providers.scripted import ScriptedModel


def arguer(messages, config):
    text = "\n".join(m.content for m in messages)
    if "Which answer will you argue for?" in text:
        return "Answer: B"
    return "My side is right, the passage says so."


def judge(messages, config):
    if "Write one short question" in messages[-1].content:
        return "Q: what does the source say exactly?"
    return "Answer: A\nConfidence: 70"


def subject(messages, config):
    if re.search(r"^Statement: ", messages[-1].content, re.M):
        return "Probability: 0.6"
    return "Answer: A\nConfidence: 70"


def greedy(messages, config):
    offers = re.findall(r"^([A-C]): (\d+) coins?", messages[-1].content, re.MULTILINE)
    return max(offers, key=lambda o: int(o[1]))[0]


JUDGED = {"judge": judge}
DEBATERS = {"debater_a": arguer, "debater_b": arguer, "judge": judge, "judge_b": judge}
CONSULTANT = {"consultant": arguer, "judge": judge}
WORLD = World().scripted
APPROVAL = {
    "agent": greedy,
    "overseer": lambda m, c: "Approval: 0.9\nRationale: more coins now.",
    "debater_a": lambda m, c: "It pays the most.",
    "debater_b": lambda m, c: "It makes us late.",
    "consultant": lambda m, c: "Take the money.",
    "judge": lambda m, c: "Approval: 20%\nRationale: the ride back is too long.",
}

CASES = {
    # protocol: (dataset or None for the tiny one, options, seat → reply)
    "blind": (None, {"swap_positions": True}, JUDGED),
    "consultancy": (None, {}, CONSULTANT),
    "open_consultancy": (None, {}, CONSULTANT),
    "debate": (None, {"rounds": 2, "judges": ["judge", "judge_b"]}, DEBATERS),
    "open_debate": (None, {}, {k: v for k, v in DEBATERS.items() if k != "judge_b"}),
    "amplification": ("amplification", {"max_depth": 1}, dict.fromkeys(
        ("decomposer", "answerer", "recombiner", "checker", "recombiner_resample"), WORLD)),
    "consistency": ("builtin:consistency", {}, {"subject": subject}),  # items: see ITEMS
    "approval": ("builtin:shortcut?n=2", {"sources": [
        "outcome", "myopic_overseer", "debate_overseer", "consultant_overseer"]}, APPROVAL),
    "judge_probe": ("logged", {"judges": ["judge", "judge_b"]}, {"judge": judge, "judge_b": judge}),
}  # fmt: skip


ITEMS = {"consistency": ["negation-01", "judge-01"]}
"""Items to run where the first few would not show every kind of verdict."""


def test_every_registered_protocol_is_covered():
    assert set(CASES) == set(PROTOCOLS)


def run_case(protocol, store, tiny_dataset, tmp_path):
    """Run ``protocol`` on its case with scripted models; its summary and records."""
    dataset, options, replies = CASES[protocol]
    if dataset is None:
        dataset = str(tiny_dataset)
    elif dataset == "amplification":
        dataset = str(write_items(tmp_path / "amp.jsonl"))
    elif dataset == "logged":  # re-judges the debate case's run
        logged, _ = run_case("debate", store, tiny_dataset, tmp_path)
        dataset = f"run:{logged.info.id}"
    exp = parse_experiment(
        {
            "name": protocol,
            "protocol": protocol,
            "dataset": dataset,
            **({"items": ITEMS[protocol]} if protocol in ITEMS else {"limit": 8}),
            "seed": 1,
            "cache": False,
            "options": options,
            "roles": {seat: {"model": f"scripted/{seat}"} for seat in replies},
        }
    )
    models = {seat: ScriptedModel(reply, name=f"m-{seat}") for seat, reply in replies.items()}
    summary = asyncio.run(run_experiment(exp, store, models=models))
    return summary, list(store.iter_records(summary.info.id))


@pytest.mark.parametrize("protocol", sorted(CASES))
def test_verdicts_point_at_the_turn_that_produced_them(protocol, store, tiny_dataset, tmp_path):
    summary, records = run_case(protocol, store, tiny_dataset, tmp_path)
    assert records and all(r.verdict.status != "error" for r in records), [
        r.verdict.reason for r in records if r.verdict.status == "error"
    ]
    pointed = 0
    for record in records:
        verdict = record.verdict
        if verdict.turn_index is None:
            assert verdict.raw == "", (protocol, verdict.role)
            continue
        [turn] = [t for t in record.turns if t.index == verdict.turn_index]
        assert turn.error is None and turn.content == verdict.raw, (protocol, verdict.role)
        pointed += 1
    assert pointed, f"no verdict of {protocol} points at a turn"

    frame = load_frames(store, [summary.info.id]).verdicts.set_index("verdict_id")
    for record in records:
        if record.verdict.turn_index is not None:
            [turn] = [t for t in record.turns if t.index == record.verdict.turn_index]
            assert frame.loc[record.verdict_id, "judge_model"] == turn.model, protocol
