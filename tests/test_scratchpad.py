"""Private scratchpads: an arguer's <scratchpad> text is recorded on its turn but never reaches
the judge, the opponent, the selector or a judge check built from the log."""

import asyncio
import re

from playground.experiments import parse_experiment, run_experiment
from playground.protocols.scratchpad import INSTRUCTION, split
from playground.providers.scripted import ScriptedModel


def arguer(messages, config):
    name = re.search(r"You are (?:Debater (\w)|a consultant)", messages[0].content)
    who = name.group(1) if name and name.group(1) else "C"
    rnd = re.search(r"round (\d+) of", messages[0].content).group(1)
    return f"<scratchpad>SECRET-{who}{rnd} my weak point</scratchpad>Public {who}{rnd}."


def experiment(dataset, protocol="debate", **options):
    seat = "debater" if protocol == "debate" else "consultant"
    return parse_experiment(
        {
            "name": "pad",
            "protocol": protocol,
            "dataset": str(dataset),
            "limit": 1,
            "options": {"rounds": 2, "scratchpad": True, **options},
            "roles": {seat: {"model": "scripted/x"}, "judge": {"model": "scripted/x"}, **(
                {"selector": {"model": "scripted/x"}} if options.get("best_of_n", 1) > 1 else {}
            )},
        }
    )  # fmt: skip


def test_split_rules():
    assert split("<Scratchpad>a</SCRATCHPAD>Hi <scratchpad>b</scratchpad>there") == (
        "Hi there",
        "a\n\nb",
    )
    assert split("Claim.\n\nMore. <scratchpad>cut off mid-thought") == (
        "Claim.\n\nMore.",
        "cut off mid-thought",
    )
    assert split("no pad") == ("no pad", "")


def test_debate_scratchpad_is_recorded_and_hidden(store, tiny_dataset):
    models = {
        "debater_a": ScriptedModel(arguer),
        "debater_b": ScriptedModel(arguer),
        "judge": ScriptedModel(["Answer: A\nConfidence: 70"]),
    }
    summary = asyncio.run(run_experiment(experiment(tiny_dataset), store, models=models))
    (record,) = store.iter_records(summary.info.id)
    speeches = [t for t in record.turns if t.role.startswith("debater")]
    assert all("SECRET" in t.content for t in speeches)  # the whole reply is kept
    assert {t.meta["scratchpad"] for t in speeches} >= {"SECRET-A1 my weak point"}
    judge_sees = "\n".join(m.content for m in models["judge"].calls[0])
    assert "Public A2" in judge_sees and "Public B2" in judge_sees
    assert "SECRET" not in judge_sees and "my weak point" not in judge_sees
    b_round2 = models["debater_b"].calls[1][0].content
    assert "Public A1" in b_round2 and "SECRET-A1" not in b_round2
    assert INSTRUCTION in models["debater_a"].calls[0][0].content
    assert record.provenance.options["scratchpad"] is True


def test_off_by_default_and_prompts_unchanged(store, tiny_dataset):
    exp = experiment(tiny_dataset, scratchpad=False)
    models = {
        "debater_a": ScriptedModel(arguer),
        "debater_b": ScriptedModel(arguer),
        "judge": ScriptedModel(["Answer: A"]),
    }
    asyncio.run(run_experiment(exp, store, models=models))
    assert INSTRUCTION not in models["debater_a"].calls[0][0].content
    assert "SECRET" in "\n".join(m.content for m in models["judge"].calls[0])


def test_consultancy_and_best_of_n_selector_see_only_public_text(store, tiny_dataset):
    exp = experiment(tiny_dataset, "consultancy", best_of_n=2, interactive_judge=False)
    selector = ScriptedModel(["1: 5\n2: 3\nBest: 1"])
    models = {
        "consultant": ScriptedModel(arguer),
        "selector": selector,
        "judge": ScriptedModel(["Answer: B\nConfidence: 60"]),
    }
    summary = asyncio.run(run_experiment(exp, store, models=models))
    records = list(store.iter_records(summary.info.id))
    assert records and all(r.verdict.status == "ok" for r in records)
    picked = [t for r in records for t in r.turns if "selected" in t.meta]
    assert picked and all(t.meta["scratchpad"].startswith("SECRET") for t in picked)
    seen = "\n".join(m.content for call in [*selector.calls, *models["judge"].calls] for m in call)
    assert "Public C1" in seen and "SECRET" not in seen


def test_judge_checks_from_the_log_drop_the_scratchpad(store, tiny_dataset):
    models = {
        "debater_a": ScriptedModel(arguer),
        "debater_b": ScriptedModel(arguer),
        "judge": ScriptedModel(["Answer: A"]),
    }
    summary = asyncio.run(run_experiment(experiment(tiny_dataset), store, models=models))
    from playground.protocols.consistency.logged import judge_items

    (item,) = judge_items(store, summary.info.id)
    text = item.model_dump_json()
    assert "Public A1" in text and "SECRET" not in text
