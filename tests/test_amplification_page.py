"""The Amplification page under `AppTest`, reached through `st.navigation` as app.py runs it:
it renders with the embedded defaults, grows a tree against the loopback OpenAI server, shows
the checks' flags, and edits a node into a fork shown beside the original."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import single_page

from playground.protocols.amplification import tree_from_turns

TIMEOUT = 60
ROLES = ("decomposer", "answerer", "recombiner", "checker")


@pytest.fixture
def page(tmp_path) -> AppTest:
    """pages/amplification.py alone, navigated like app.py does."""
    return single_page(tmp_path, "amplification.py", "Amplification")


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.label for e in at.expander] + [e.value for e in at.error]
    return "\n".join(parts)


def test_page_renders_with_embedded_defaults(store, page):
    at = page.run()
    assert not at.exception and not at.error
    assert at.title[0].value == "Amplification"
    for role in ROLES:
        assert at.selectbox(key=f"amp.{role}.provider").value == "local"
    assert at.number_input(key="amp.max_depth").value == 1
    assert at.multiselect(key="amp.checks").value == ["justification", "resample", "direct"]
    assert [e.label for e in at.expander] == ["Passage: every role sees it but the checker"]


def generic(request: dict) -> str:
    """Loopback responder for any question: two subquestions at the root, leaves below; the
    root's recombination picks B while its direct answer picks A, and the checker objects."""
    system, user = request["messages"][0]["content"], request["messages"][-1]["content"]
    root = "This question helps to answer" not in user
    if "break hard questions" in system:
        return "- What does the text say first?\n- What does it say next?" if root else "LEAF"
    if "answer questions carefully" in system:
        return "Answer: A\nConfidence: 60" if root else "The text says so.\nAnswer: seven"
    if "combine the answers" in system:
        return "Both subanswers point to B.\nAnswer: B\nConfidence: 90"
    return "Justified: no\nConfidence: 80"


def test_tree_runs_live_against_the_loopback_server_and_is_edited(store, page, openai_server):
    openai_server.responder = generic
    at = page.run()
    for role in ROLES:
        at.selectbox(key=f"amp.{role}.provider").set_value("compat")
    at.run()
    for role in ROLES:
        at.text_input(key=f"amp.{role}.compat.base_url").set_value(openai_server.base_url)
        at.text_input(key=f"amp.{role}.compat.model").set_value("loopback")
    at.button(key="amp.run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error, texts(at)
    assert at.status[0].proto.label == "Growing the tree: done"

    [run] = store.list_runs()
    assert (run.source, run.status, run.verdicts) == ("page", "done", {"ok": 2})
    [view] = store.transcripts_of(run.id)
    nodes = tree_from_turns(view.item.question, view.turns)
    assert list(nodes) == ["1", "1.1", "1.2"]
    assert nodes["1"].flagged == ["justification", "direct"]
    # the stored tree: one expander per node, nested, flags as red badges
    labels = [e.label for e in at.expander if e.label.startswith("`")]
    assert [label.split("`")[1] for label in labels] == ["1", "1.1", "1.2"]
    assert ":red-badge[:material/flag: justification]" in labels[0]
    assert ":green-badge[:material/check: resample]" in labels[0]
    assert "→ **seven**" in labels[1] and ":gray-badge[budget: depth]" in labels[1]
    assert "**Amplified**" in texts(at) and "**Direct**" in texts(at)

    at.selectbox(key="amp.node").set_value("1.1")
    at.text_area(key="amp.new_answer").set_value("Answer: eight")
    at.button(key="amp.edit").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error, texts(at)
    assert any(h.value == "Before and after" for h in at.subheader)
    changed = at.dataframe[0].value
    assert list(changed["node"]) == ["1.1"] and bool(changed["edited"].iloc[0])
    assert changed["answer after"].iloc[0] == "eight"
    forked = store.get_transcript(at.session_state["amp.fork"])
    assert forked.parent_id == view.id
    [human] = [t for t in forked.turns if t.model == "human"]
    assert human.content == "Answer: eight" and human.meta["node"] == "1.1"
    assert "edited by hand" in texts(at)
