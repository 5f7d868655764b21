"""A real amplification tree on the embedded model (SmolLM2 in-process): no key, no server."""

import asyncio

import pytest

from playground.experiments import load_experiment, run_experiment
from playground.protocols.amplification import tree_from_turns

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


def test_tiny_tree_on_the_embedded_model(store):
    experiment = load_experiment("examples/amplification-local.toml")
    experiment.dataset = "builtin:reading"
    experiment.items = ["reading-003"]  # one the model splits into two subquestions
    experiment.limit = None
    summary = asyncio.run(run_experiment(experiment, store))
    assert summary.info.status == "done"
    records = list(store.iter_records(summary.info.id))
    assert {r.verdict.role for r in records} == {"recombiner", "direct"}
    for record in records:
        # the tiny model may or may not follow the formats; either way the verdicts are honest
        assert record.verdict.status in ("ok", "unparseable")
        assert (record.is_correct is None) == (record.verdict.status != "ok")
    [view] = store.transcripts_of(summary.info.id)
    assert all(t.error is None and t.model == "local/smollm2" for t in view.turns)
    assert all(t.output_tokens and t.cost_usd == 0.0 for t in view.turns)
    nodes = tree_from_turns(view.item.question, view.turns)
    root = nodes["1"]
    assert root.answer is not None and len(nodes) in (1, 3)
    if len(nodes) == 3:  # decomposed: two leaves at the depth budget, then the checks
        assert all(nodes[c].budget == "depth" and nodes[c].answer for c in root.children)
        assert set(root.checks) == {"justification", "resample", "direct"}
        for check in root.checks.values():
            assert check.status in ("ok", "unparseable")
            assert (check.flagged is None) == (check.status == "unparseable")
    else:
        assert root.decomposition in ("leaf", "single", "unparseable")
