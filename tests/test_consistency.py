"""The consistency protocol end to end: a scripted incoherent model behind the real openai SDK
(loopback server) yields the violations computed by hand; unparseable answers are counted and
excluded; the variant writer's texts are recorded; judge consistency runs on logged debates."""

import asyncio
import json
import re

import pytest

from playground.datasets import DatasetError, load_dataset
from playground.experiments import ExperimentError, parse_experiment, run_experiment
from playground.providers.scripted import ScriptedModel

CHECKS = [
    {"id": "neg", "family": "negation", "a": "Cats purr.", "not_a": "Cats never purr."},
    {
        "id": "para",
        "family": "paraphrase",
        "a": "Water boils at 100 C at sea level.",
        "paraphrases": ["At sea level water boils at 100 C.", "Sea-level water boils at 100 C.",
                        "MUMBLE"],
    },
    {
        "id": "conj", "family": "conjunction", "a": "It rains on Monday.", "b": "It rains on Tuesday.",
        "a_and_b": "It rains on Monday and Tuesday.", "a_or_b": "It rains on Monday or Tuesday.",
    },
    {
        "id": "cond", "family": "conditional", "a": "The team wins the league.",
        "b": "The coach stays.", "b_given_a": "Suppose that the team wins the league. Then the coach stays.",
        "a_and_b": "The team wins the league and the coach stays.",
    },
    {
        "id": "mono", "family": "monotonicity", "template": "The tower is taller than {x} metres.",
        "values": [100, 200, 300, 400], "direction": "decreasing",
    },
]  # fmt: skip

# The incoherent model's probability per statement; MUMBLE gets an unreadable reply.
P = {
    "Cats purr.": 0.9, "Cats never purr.": 0.3,
    "Water boils at 100 C at sea level.": 0.95, "At sea level water boils at 100 C.": 0.7,
    "Sea-level water boils at 100 C.": 0.8,
    "It rains on Monday.": 0.6, "It rains on Tuesday.": 0.5,
    "It rains on Monday and Tuesday.": 0.6, "It rains on Monday or Tuesday.": 0.4,
    "The team wins the league.": 0.5,
    "Suppose that the team wins the league. Then the coach stays.": 0.8,
    "The team wins the league and the coach stays.": 0.3,
    "The tower is taller than 100 metres.": 0.9, "The tower is taller than 200 metres.": 0.7,
    "The tower is taller than 300 metres.": 0.8, "The tower is taller than 400 metres.": 0.1,
}  # fmt: skip


def incoherent(body) -> str:
    text = body["messages"][-1]["content"]
    statement = re.search(r"Statement: (.*)\n", text).group(1)
    if statement == "MUMBLE":
        return "Hard to say, maybe."
    return f"Probability: {P[statement]}"


def write(tmp_path, lines, name="checks.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def experiment(dataset, roles, **options):
    return parse_experiment(
        {
            "name": "consistency",
            "protocol": "consistency",
            "dataset": str(dataset),
            "concurrency": 2,
            "options": options,
            "roles": roles,
        }
    )


def by_item(store, run_id):
    return {r.item_id: r for r in store.iter_records(run_id)}


def test_incoherent_model_through_the_openai_sdk(store, tmp_path, openai_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    openai_server.responder = incoherent
    model = {"model": "openai/incoherent", "base_url": openai_server.base_url}
    exp = experiment(write(tmp_path, CHECKS), {"subject": model})
    summary = asyncio.run(run_experiment(exp, store))
    records = by_item(store, summary.info.id)
    assert set(records) == {"neg", "para", "conj", "cond", "mono"}
    m = {k: r.verdict.metrics for k, r in records.items()}
    assert m["neg"]["violation"] == 0.2  # |.9 + .3 - 1|
    assert m["para"]["violation"] == 0.25 and m["para"]["n"] == 3  # .95 - .7, MUMBLE excluded
    assert m["para"]["unparseable"] == ["p3"] and m["para"]["n_unparseable"] == 1
    assert m["conj"] == m["conj"] | {"and_bound": 0.1, "or_bound": 0.2, "sum_gap": 0.1}
    assert m["conj"]["violation"] == 0.2
    assert m["cond"]["violation"] == 0.1  # |.5 x .8 - .3|
    assert m["mono"]["violation"] == 0.1 and m["mono"]["spearman"] == 0.8
    for record in records.values():
        assert record.verdict.status == "ok" and record.is_correct is None
        assert record.protocol == "consistency" and record.verdict.role == "subject"
        turns = [t for t in record.turns if t.meta.get("kind") == "elicitation"]
        assert turns and all(t.model == "openai/incoherent" for t in turns)
        assert all(t.prompt_id == "consistency/elicit" and t.prompt_hash for t in turns)
        for t in turns:  # every elicited probability is on its turn and in the metrics
            assert record.verdict.metrics["probabilities"][t.meta["key"]] == t.meta["probability"]
    assert records["mono"].assignment.condition == "monotonicity"
    assert len(openai_server.requests) == 2 + 4 + 4 + 3 + 4
    # measurements are not judge decisions: no accuracy, but a summary per family
    from playground.analysis import build_report, load_frames

    assert summary.info.accuracy is None and summary.info.scored == 0
    sections = {s.key: s for s in build_report(load_frames(store, [summary.info.id]))}
    assert sections["accuracy"].tables["accuracy"].empty
    table = sections["checks"].tables["consistency"].set_index("family")
    assert table.loc["negation", "mean_violation"] == pytest.approx(0.2)
    assert table.loc["paraphrase", "answers_excluded"] == 1
    assert table.loc["monotonicity", "instances"] == 1


def test_too_few_parsed_answers_is_unparseable_never_a_number(
    store, tmp_path, openai_server, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    openai_server.responder = incoherent
    check = {"id": "neg", "family": "negation", "a": "Cats purr.", "not_a": "MUMBLE"}
    exp = experiment(
        write(tmp_path, [check]),
        {"subject": {"model": "openai/x", "base_url": openai_server.base_url}},
    )
    summary = asyncio.run(run_experiment(exp, store))
    (record,) = store.iter_records(summary.info.id)
    assert record.verdict.status == "unparseable"
    assert record.verdict.reason == "no parsed answer for not_a"
    assert record.verdict.metrics["violation"] is None
    assert record.verdict.metrics["probabilities"] == {"a": 0.9, "not_a": None}


def writer(messages, config):
    text = messages[-1].content
    if "logical negation" in text:
        return "Negation: Cats never purr."
    if "paraphrases" in text:
        return "1. At sea level water boils at 100 C.\n2. Sea-level water boils at 100 C."
    if "both of these" in text:
        return "It rains on Monday and Tuesday."
    if "at least one" in text:
        return '"It rains on Monday or Tuesday."'
    if "Suppose that" in text:
        return "Suppose that the team wins the league. Then the coach stays."
    return ""


def test_variant_writer_fills_gaps_and_is_recorded(store, tmp_path):
    lean = [
        {"id": "neg", "family": "negation", "a": "Cats purr."},
        {"id": "para", "family": "paraphrase", "a": "Water boils at 100 C at sea level."},
        {"id": "conj", "family": "conjunction", "a": "It rains on Monday.", "b": "It rains on Tuesday."},
        {"id": "cond", "family": "conditional", "a": "The team wins the league.", "b": "The coach stays.",
         "a_and_b": "The team wins the league and the coach stays."},
    ]  # fmt: skip
    subject = ScriptedModel(lambda messages, config: incoherent(
        {"messages": [{"content": m.content} for m in messages]}))  # fmt: skip
    exp = experiment(
        write(tmp_path, lean),
        {"subject": {"model": "scripted/s"}, "variant_writer": {"model": "scripted/w"}},
        write_variants=True,
        paraphrases=2,
    )
    summary = asyncio.run(
        run_experiment(
            exp, store, models={"subject": subject, "variant_writer": ScriptedModel(writer)}
        )
    )
    records = by_item(store, summary.info.id)
    assert records["neg"].verdict.metrics["violation"] == 0.2
    assert records["neg"].verdict.metrics["statements"]["not_a"] == "Cats never purr."
    assert records["para"].verdict.metrics["violation"] == 0.25
    assert records["conj"].verdict.metrics["violation"] == 0.2
    assert records["cond"].verdict.metrics["violation"] == 0.1
    written = [t for t in records["conj"].turns if t.meta.get("kind") == "variant"]
    assert {t.meta["key"] for t in written} == {"a_and_b", "a_or_b"}
    assert {t.meta["text"] for t in written} == {
        "It rains on Monday and Tuesday.",
        "It rains on Monday or Tuesday.",
    }
    assert all(
        t.role == "variant_writer" and t.prompt_id.startswith("consistency/write_") for t in written
    )
    para = [t for t in records["para"].turns if t.meta.get("kind") == "variant"]
    assert para[0].meta["texts"] == [
        "At sea level water boils at 100 C.",
        "Sea-level water boils at 100 C.",
    ]


def test_missing_texts_without_a_writer_are_refused_before_the_run(store, tmp_path):
    exp = experiment(
        write(tmp_path, [{"id": "neg-1", "family": "negation", "a": "Cats purr."}]),
        {"subject": {"model": "scripted/s"}},
    )
    with pytest.raises(ExperimentError, match=r"item 'neg-1' \(negation\) has no not_a: add it"):
        asyncio.run(run_experiment(exp, store, models={"subject": ScriptedModel(writer)}))
    assert store.list_runs() == []


def test_judge_checks_without_a_paraphrase_are_refused_with_the_way_out(store, tmp_path):
    check = {"id": "j-1", "family": "judge", "question": "Which?", "answers": ["x", "y"],
             "debate": [{"answer": 0, "round": 1, "text": "x it is."}]}  # fmt: skip
    exp = experiment(write(tmp_path, [check]), {"subject": {"model": "scripted/s"}})
    with pytest.raises(
        ExperimentError,
        match=r"item 'j-1' \(judge\) has no paraphrase: .* \(or drop 'paraphrase' from "
        r"options.judge_variants\)",
    ):
        asyncio.run(run_experiment(exp, store, models={"subject": ScriptedModel(writer)}))
    assert store.list_runs() == []


def test_bad_check_lines_are_one_line_errors(tmp_path):
    bad = write(tmp_path, [{"id": "m", "family": "monotonicity", "template": "x", "values": [1, 2, 3],
                            "direction": "increasing"}])  # fmt: skip
    with pytest.raises(
        DatasetError, match=r"line 1: field 'template': must contain \{x\} exactly once"
    ):
        load_dataset(str(bad))
    unknown = write(tmp_path, [{"id": "n", "family": "negaton", "a": "x"}], "u.jsonl")
    with pytest.raises(
        DatasetError, match=r"u.jsonl line 1: field 'family': 'negaton' is not one of"
    ):
        load_dataset(str(unknown))


def test_debate_protocols_refuse_items_without_a_true_answer(store):
    exp = parse_experiment(
        {"name": "d", "protocol": "blind", "dataset": "builtin:consistency", "items": ["monotonicity-01"],
         "roles": {"judge": {"model": "scripted/j"}}}
    )  # fmt: skip
    with pytest.raises(ExperimentError, match="has no true answer"):
        asyncio.run(run_experiment(exp, store, models={"judge": ScriptedModel(writer)}))
    assert store.list_runs() == []


def test_builtin_set_covers_every_family():
    items = load_dataset("builtin:consistency").items
    families = [i.meta["check"]["family"] for i in items]
    assert len(items) >= 40
    for family in ("negation", "paraphrase", "conjunction", "conditional", "monotonicity", "judge"):
        assert families.count(family) >= 6, family


def biased_judge(messages, config):
    """Always picks whichever answer is shown first, with the same confidence."""
    first = re.search(r"^Answer (\w): ", messages[-1].content, re.MULTILINE).group(1)
    return f"Answer: {first}\nConfidence: 70"


def test_judge_consistency_on_logged_debates(store, tiny_dataset):
    from tests.test_protocol_family import run as run_protocol

    debates, _ = run_protocol(
        store, tiny_dataset, "debate", ["debater_a", "debater_b", "judge"], rounds=2
    )
    source = debates[0].run_id
    exp = parse_experiment(
        {"name": "judge-consistency", "protocol": "consistency", "dataset": f"run:{source}",
         "options": {"write_variants": True},
         "roles": {"subject": {"model": "scripted/j"}, "variant_writer": {"model": "scripted/w"}}}
    )  # fmt: skip
    judge = ScriptedModel(biased_judge)
    summary = asyncio.run(
        run_experiment(
            exp,
            store,
            models={
                "subject": judge,
                "variant_writer": ScriptedModel(
                    lambda m, c: "Which answer does the account support?"
                ),
            },
        )
    )
    records = list(store.iter_records(summary.info.id))
    assert {r.item_id for r in records} == {d.transcript_id for d in debates}
    for r in records:
        m = r.verdict.metrics
        assert m["family"] == "judge" and r.verdict.status == "ok"
        assert m["flips"] == {"swap": True, "paraphrase": False, "rename": False}
        assert m["disagreement"] == pytest.approx(1 / 3)
        assert m["credence_shift"] == pytest.approx(0.4 / 3)  # swap: .7 → .3 on the base choice
        # the base judgement is scored like any verdict: it picked the first-shown answer
        assert r.verdict.choice == r.assignment.display_order[0]
        assert r.is_correct == (r.verdict.choice == r.correct)
        judged = {t.meta["variant"]: t for t in r.turns if t.meta.get("kind") == "judgement"}
        assert set(judged) == {"base", "swap", "paraphrase", "rename"}
        assert judged["paraphrase"].meta["question"] == "Which answer does the account support?"
    prompts = [c[-1].content for c in judge.calls]
    assert any("Debater X:" in p and "Answer Y:" in p for p in prompts)
    assert all("Round 2" in p and "my side is right" in p for p in prompts)


def test_relabel_rewrites_label_mentions_in_logged_speeches():
    from playground.protocols.consistency.judge import relabel

    text = "Answer A is wrong, as Debater B said; answer B stands. A lone A stays."
    out = relabel(text, {"A": 0, "B": 1}, {0: "Y", 1: "X"})
    assert out == "Answer Y is wrong, as Debater X said; answer X stands. A lone A stays."


def test_logged_run_without_debates_is_a_clear_error(store, tiny_dataset):
    from tests.test_protocol_family import run as run_protocol

    blind, _ = run_protocol(store, tiny_dataset, "blind", ["judge"])
    exp = parse_experiment(
        {"name": "j", "protocol": "consistency", "dataset": f"run:{blind[0].run_id}",
         "options": {"judge_variants": ["swap"]}, "roles": {"subject": {"model": "scripted/j"}}}
    )  # fmt: skip
    with pytest.raises(DatasetError, match="no debate or consultancy transcripts"):
        asyncio.run(run_experiment(exp, store, models={"subject": ScriptedModel(biased_judge)}))


def test_only_protocols_that_read_the_log_take_a_logged_run(store, tiny_dataset):
    from tests.test_protocol_family import run as run_protocol

    debates, _ = run_protocol(store, tiny_dataset, "debate", ["debater_a", "debater_b", "judge"])
    exp = parse_experiment(
        {"name": "d", "protocol": "blind", "dataset": f"run:{debates[0].run_id}",
         "roles": {"judge": {"model": "scripted/j"}}}
    )  # fmt: skip
    with pytest.raises(DatasetError, match="protocol blind cannot take a logged run"):
        asyncio.run(run_experiment(exp, store, models={"judge": ScriptedModel(biased_judge)}))
