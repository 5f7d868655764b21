"""Consistency and amplification turns read back as their typed ``meta`` models (the union on
``kind`` of `playground.protocols.reading.turn_meta`), with the stored JSON unchanged."""

from __future__ import annotations

import asyncio

from amplification_world import write_items
from test_amplification import experiment as amplification_experiment
from test_amplification import run as run_amplification
from test_consistency import experiment, incoherent, write, writer

from playground.experiments import run_experiment
from playground.protocols.amplification.turns import NodeMeta
from playground.protocols.consistency.turns import ElicitationMeta, VariantMeta
from playground.protocols.reading import turn_meta
from playground.providers.scripted import ScriptedModel


def test_consistency_turns_read_as_elicitations_and_variants(store, tmp_path):
    lean = [
        {"id": "para", "family": "paraphrase", "a": "Water boils at 100 C at sea level."},
        {"id": "conj", "family": "conjunction", "a": "It rains on Monday.", "b": "It rains on Tuesday."},
    ]  # fmt: skip
    subject = ScriptedModel(lambda messages, config: incoherent(
        {"messages": [{"content": m.content} for m in messages]}))  # fmt: skip
    exp = experiment(
        write(tmp_path, lean),
        {"subject": {"model": "scripted/s"}, "variant_writer": {"model": "scripted/w"}},
        write_variants=True,
        paraphrases=2,
    )
    models = {"subject": subject, "variant_writer": ScriptedModel(writer)}
    summary = asyncio.run(run_experiment(exp, store, models=models))
    turns = [t for r in store.iter_records(summary.info.id) for t in r.turns]
    metas = [turn_meta(t.meta) for t in turns]
    variants = [m for m in metas if isinstance(m, VariantMeta)]
    elicited = [m for m in metas if isinstance(m, ElicitationMeta)]
    assert len(variants) + len(elicited) == len(turns)  # every turn is one of the two
    assert {m.key for m in variants} == {"paraphrases", "a_and_b", "a_or_b"}
    [para] = [m for m in variants if m.key == "paraphrases"]
    assert para.lines() == ["At sea level water boils at 100 C.", "Sea-level water boils at 100 C."]
    assert all(m.status == "ok" and 0 <= (m.probability or 0) <= 1 for m in elicited)
    for turn, meta in zip(turns, metas, strict=True):  # the JSON on disk is what it was
        assert meta is not None and meta.model_dump(exclude_unset=True) == turn.meta | {
            "kind": turn.meta["kind"]
        }
        assert set(turn.meta) >= {"kind", "key"}


def test_amplification_turns_read_as_node_metas_without_a_kind(store, tmp_path):
    summary, _ = run_amplification(
        amplification_experiment(write_items(tmp_path / "a.jsonl")), store
    )
    [view] = store.transcripts_of(summary.info.id)
    for turn in view.turns:
        meta = turn_meta(turn.meta)
        assert isinstance(meta, NodeMeta) and "kind" not in turn.meta
        assert (meta.node, meta.step, meta.depth) == (
            turn.meta["node"],
            turn.meta["step"],
            turn.meta["depth"],
        )
        if meta.step == "check":
            assert meta.check in ("justification", "resample", "direct")
            assert meta.flagged is turn.meta.get("flagged")
    assert turn_meta({"credences": [0.5, 0.5]}) is None  # no protocol describes it
