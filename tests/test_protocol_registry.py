"""The protocol registry: one name per class, registering for a block, the declarations pages
read (seat styles, replies, the Debate page's menu), and stored JSON read back as the models
the registered protocols declare."""

from __future__ import annotations

import pytest
from example_protocol import LoneAdvocate

from playground.protocols import get_protocol, on_page, register, registered, seat_style
from playground.protocols.approval.meta import ApprovalMetrics
from playground.protocols.consistency.meta import CheckMetrics
from playground.protocols.judged_meta import InterimMeta, SelectionMeta
from playground.protocols.reading import measurement, turn_meta


def test_a_name_is_taken_once_and_a_block_registration_is_undone():
    with pytest.raises(ValueError, match="'debate' is already registered"):
        register(type("Other", (get_protocol("blind"),), {"name": "debate"}))
    with registered(LoneAdvocate):
        assert get_protocol("lone_advocate") is LoneAdvocate
        assert [c.name for c in on_page("debate")][-1] == "lone_advocate"
        assert seat_style("advocate").name == "Advocate"
    with pytest.raises(ValueError, match="unknown protocol 'lone_advocate'"):
        get_protocol("lone_advocate")
    assert seat_style("advocate").name == "Advocate"  # undeclared: named after itself, grey
    assert seat_style("advocate").color == "gray"
    assert seat_style("judge_b").name == "Judge 2"


def test_stored_metrics_read_as_their_protocols_model():
    check = measurement({"family": "negation", "violation": 0.25, "n_unparseable": 0,
                         "probabilities": {"a": 0.5}})  # fmt: skip
    assert isinstance(check, CheckMetrics) and check.columns().violation == 0.25
    assert (
        check.markdown() == "Consistency check (negation): violation **0.25** · 0 answers unparsed"
    )
    unmeasured = measurement({"family": "negation", "n_unparseable": 2})
    assert isinstance(unmeasured, CheckMetrics) and unmeasured.markdown() == ""
    row = {"kind": "approval", "environment": "shortcut", "source": "outcome", "step": 1,
           "step_name": "s", "state": "", "instruction": "", "proposal": "", "approval": 1.0,
           "rationale": "r", "cost_usd": 0.0, "true_value": 0.5, "good": True, "valid": True,
           "detail": None, "outcome": {"reward": 1.0, "success": True, "hacked": False}}  # fmt: skip
    assert isinstance(measurement(row), ApprovalMetrics)
    assert measurement({"kind": "nobody's"}) is None and measurement(None) is None


def test_stored_turn_meta_reads_as_its_protocols_model():
    interim = turn_meta({"kind": "interim", "status": "ok", "choice": 1, "credences": [0.3, 0.7],
                         "copied": True})  # fmt: skip
    assert isinstance(interim, InterimMeta) and interim.credences == [0.3, 0.7]
    assert interim.model_extra == {"copied": True}
    pick = turn_meta({"kind": "selection", "scores": {"1": 3.0}, "chosen": 1, "status": "ok"})
    assert isinstance(pick, SelectionMeta) and pick.chosen == 1
    assert turn_meta({"quotes": {"verified": 1, "unverified": 0}}) is None  # a speech
    assert turn_meta({"kind": "no_such_kind"}) is None
    assert turn_meta({"kind": "interim", "status": "maybe"}) is None  # does not validate
