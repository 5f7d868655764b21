"""The Debate page's protocol family under `AppTest`: every protocol runs from the page against
the loopback OpenAI-compatible server; a person judges or argues through the page's forms and
is recorded as "human"; quotes are shown against the passage; per-round credences are drawn."""

from __future__ import annotations

import re

import pytest
from test_pages import TIMEOUT, open_app, texts, use_server

from pages.credences import credence_curves
from pages.protocol_form import PROTOCOLS
from pages.quotes_view import locate, marked_markdown, passage_markdown
from playground.datasets import load_dataset
from playground.records import Turn, Verdict
from playground.safetext import md_text as escape_md

PASSAGE = load_dataset("builtin:reading", seed=0).items[0].passage
FIRST_SENTENCE = PASSAGE.split(". ")[0]  # "The lighthouse on Corran Point was automated in 1987"
INVENTED = "the keeper sold the lamp for scrap"


def any_seat(request: dict) -> str:
    """Loopback responder for every protocol: a side, a question, a verdict or a speech that
    quotes the passage once truly and once falsely."""
    messages = request["messages"]
    system, last = messages[0]["content"], messages[-1]["content"]
    if "Which answer will you argue for?" in last:
        return "Answer: A"
    if "Write one short question" in last:
        return "Which sentence supports you?"
    if re.search(r"You are a (fair |careful )?judge", system):
        return "Answer: B\nConfidence: 70"
    return f"The text says <quote>{FIRST_SENTENCE}</quote>, not <quote>{INVENTED}</quote>."


def choose_protocol(at, protocol: str, **options) -> None:
    at.selectbox(key="protocol").set_value(protocol).run()
    for key, value in options.items():
        widget = {"turn_order": at.radio, "quotes": at.selectbox, "judges": at.number_input}.get(
            key, at.number_input if key == "rounds" else at.checkbox
        )
        widget(key=key).set_value(value)
    at.run()


@pytest.mark.parametrize(
    ("protocol", "seats", "options", "calls", "verdicts"),
    [
        ("blind", ["judge"], {"swap": True}, 2, 2),
        ("consultancy", ["consultant", "judge"], {"rounds": 2}, 2 * 4, 2),
        ("open_consultancy", ["consultant", "judge"], {"rounds": 1}, 3, 1),
        ("debate", ["debater_a", "debater_b", "judge"], {"rounds": 2, "turn_order": "sequential"}, 5, 1),
        ("open_debate", ["debater_a", "debater_b", "judge"], {"rounds": 1}, 4, 1),
        ("debate", ["debater_a", "debater_b", "judge", "judge_b"], {"rounds": 1, "judges": 2}, 4, 2),
    ],
)  # fmt: skip
def test_each_protocol_runs_from_the_page(
    store, openai_server, protocol, seats, options, calls, verdicts
):
    openai_server.responder = any_seat
    at = open_app()
    choose_protocol(at, protocol, **options)
    use_server(at, openai_server.base_url, seats)
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert at.status[0].proto.label.startswith(f"{PROTOCOLS[protocol].label} finished in ")
    [run] = store.list_runs()
    assert (run.protocol, run.status, run.verdicts) == (protocol, "done", {"ok": verdicts})
    assert len(openai_server.requests) == calls
    shown = texts(at)
    assert "Chose **Answer B**" in shown
    assert len(at.chat_message) == calls


def test_a_person_judges_a_debate_from_the_page(store, openai_server):
    openai_server.responder = any_seat
    at = open_app()
    at.selectbox(key="judge.provider").set_value("human").run()
    # a judge does not read the passage: the page hides it, and the true answer
    assert not [e for e in at.expander if e.label.startswith(("Passage", "Correct answer"))]
    assert "you are judging" in texts(at)
    use_server(at, openai_server.base_url, ["debater_a", "debater_b"])
    at.number_input(key="rounds").set_value(1)
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error

    # the page waits for the person and shows what an LLM judge would see
    assert at.status[0].proto.label == "Waiting for you: Judge"
    shown = texts(at)
    assert "Your turn:" in shown
    view = next(e for e in at.expander if e.label == "What this seat sees")
    seen = "\n".join(m.value for m in view.markdown)
    assert "You are a fair judge" in seen
    assert escape_md(f"<quote>{FIRST_SENTENCE}</quote>") in seen  # quotes off: unmarked
    assert "waiting for your entry" in shown
    assert len(openai_server.requests) == 2  # both debaters spoke; the judge is the person

    choice = next(r for r in at.radio if r.label == "Which answer is correct?")
    assert choice.options[1].startswith("Answer B: ")
    choice.set_value("B")
    at.slider[0].set_value(80)
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert at.status[0].proto.label.startswith("Debate finished")
    assert "Credences: Answer A **20%** · Answer B **80%**" in texts(at)

    [run] = store.list_runs()
    assert run.verdicts == {"ok": 1} and "human" in run.tags
    assert run.config["experiment"]["roles"]["judge"]["model"] == "human"
    [view] = store.transcripts_of(run.id)
    judge_turn = view.turns[-1]
    assert (judge_turn.role, judge_turn.model) == ("judge", "human")
    assert judge_turn.content == "Answer: B\nConfidence: 80"
    [(_, verdict, _)] = view.verdicts
    assert verdict.turn_index == judge_turn.index and verdict.role == "judge"
    assert verdict.choice == view.assignment.display_order[1]
    assert verdict.credences[verdict.choice] == 0.8
    # and the next rerun reads the run back from the store
    at.run()
    assert "Last run" in [s.value for s in at.subheader]


def test_a_person_argues_and_a_simultaneous_opponent_stays_hidden(store, openai_server):
    openai_server.responder = any_seat
    at = open_app()
    at.selectbox(key="debater_a.provider").set_value("human").run()
    use_server(at, openai_server.base_url, ["debater_b", "judge"])
    at.number_input(key="rounds").set_value(1)
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert at.status[0].proto.label == "Waiting for you: Debater A"
    assert INVENTED not in texts(at)  # B speaks at the same time: not shown before A submits
    view = next(e for e in at.expander if e.label == "What this seat sees")
    assert "You are Debater A" in "\n".join(m.value for m in view.markdown)

    # submitting nothing is refused and asked again
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert "Write something first." in [w.value for w in at.warning]
    speech = f"Read it: <quote>{FIRST_SENTENCE}</quote>."
    at.text_area[0].set_value(speech)
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert at.status[0].proto.label.startswith("Debate finished")
    [run] = store.list_runs()
    [view] = store.transcripts_of(run.id)
    mine = next(t for t in view.turns if t.role == "debater_a")
    assert (mine.model, mine.content, mine.round) == ("human", speech, 1)
    assert mine.input_tokens is None and mine.cost_usd is None
    assert INVENTED in texts(at)  # now B's speech is shown


def test_a_person_picks_a_side_in_open_debate(store, openai_server):
    openai_server.responder = any_seat
    at = open_app()
    choose_protocol(at, "open_debate", rounds=1)
    at.selectbox(key="debater_a.provider").set_value("human").run()
    use_server(at, openai_server.base_url, ["debater_b", "judge"])
    at.button(key="run").click().run(timeout=TIMEOUT)
    side = next(r for r in at.radio if r.label == "Which answer will you argue for?")
    side.set_value("B")
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert at.status[0].proto.label == "Waiting for you: Debater A"
    assert not [r for r in at.radio if r.label == side.label]  # now the speech is asked for
    at.text_area[0].set_value("B it is.")
    at.form_submit_button[0].click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    [run] = store.list_runs()
    [record] = store.iter_records(run.id)
    choice, speech = (t for t in record.turns if t.role == "debater_a")
    assert (choice.model, choice.content, choice.meta["kind"]) == ("human", "Answer: B", "choice")
    assert choice.meta["chose"] == record.assignment.display_order[1]
    assert (speech.model, speech.content) == ("human", "B it is.")


def test_stopping_a_run_that_waits_for_a_person(store, openai_server):
    openai_server.responder = any_seat
    at = open_app()
    at.selectbox(key="protocol").set_value("blind").run()
    at.selectbox(key="judge.provider").set_value("human").run()
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert at.status[0].proto.label == "Waiting for you: Judge"
    assert at.button(key="stop").label == "Stop"
    at.button(key="stop").click().run(timeout=TIMEOUT)
    assert not at.exception
    assert at.status[0].proto.label == "Stopped"
    assert "The run was stopped" in at.warning[0].value
    assert not [b for b in at.button if b.key == "stop"]  # gone once the run has ended
    [run] = store.list_runs()
    assert run.status == "interrupted"


def test_quotes_are_highlighted_against_the_passage(store, openai_server):
    openai_server.responder = any_seat
    at = open_app()
    choose_protocol(at, "debate", rounds=1, quotes="strict")
    use_server(at, openai_server.base_url, ["debater_a", "debater_b", "judge"])
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error

    def check(at) -> None:
        panel = next(e for e in at.expander if e.label == "Quotes checked against the passage")
        shown = "\n".join(m.value for m in panel.markdown)
        verified = f":green-background[{escape_md(FIRST_SENTENCE)}]"
        assert shown.count(verified) == 2  # each debater's passage, highlighted where quoted
        assert shown.count(f":red-background[{escape_md(INVENTED)}]") == 2
        assert "quotes: 1 verified, 1 unverified" in shown

    check(at)  # live
    [run] = store.list_runs()
    [view] = store.transcripts_of(run.id)
    assert all(t.meta["quotes"] == {"verified": 1, "unverified": 1} for t in view.turns[:2])
    at.run()
    check(at)  # read back from the store


def test_credences_after_each_round_are_drawn(store, openai_server):
    openai_server.responder = any_seat
    at = open_app()
    choose_protocol(at, "debate", rounds=3, judge_each_round=True)
    use_server(at, openai_server.base_url, ["debater_a", "debater_b", "judge"])
    at.button(key="run").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    [chart] = at.get("plotly_chart")
    assert '"after round"' in chart.proto.spec
    [run] = store.list_runs()
    [view] = store.transcripts_of(run.id)
    interim = [t for t in view.turns if t.meta.get("kind") == "interim"]
    assert [t.round for t in interim] == [1, 2]


# -- the pure parts -------------------------------------------------------------------------


def test_escape_md_leaves_nothing_to_interpret():
    nasty = "<b>x</b> *y* [l](http://e.test) ![i](http://e.test/p.png) $1 :red[z] `c`"
    escaped = escape_md(nasty)
    assert re.sub(r"\\(.)", r"\1", escaped) == nasty
    assert not re.search(r"(?<!\\)[<*\[\]()!$:`]", escaped)
    assert escape_md("a\nb") == "a  \nb"


def test_locate_quotes_in_the_passage():
    passage = "The sky over Tarn was blue all summer. In August, the harbour froze — twice!"
    start, end = locate("the SKY over tarn, was blue", passage, "strict")
    assert passage[start:end] == "The sky over Tarn was blue"
    start, end = locate("In August the harbour froze twice", passage, "strict")
    assert passage[start:end] == "In August, the harbour froze — twice"
    assert locate("The sky over Tarn was blue all sumer", passage, "strict") is None
    start, end = locate("The sky over Tarn was blue all sumer", passage, "fuzzy")
    assert passage[start:end] == "The sky over Tarn was blue all summer"
    assert locate("The harbour never froze", passage, "fuzzy") is None
    shown = passage_markdown(passage, [(0, 3), (2, 7)])
    assert shown.startswith(":green-background[The sky]")


def test_marked_transcript_shows_verified_and_unverified_quotes():
    text = "A: <v_quote>blue sky</v_quote> and <u_quote>green [sky]</u_quote>"
    assert marked_markdown(text) == (
        "A\\: :green-background[blue sky] and :red-background[green \\[sky\\]]"
    )


def test_credence_curves_end_at_the_verdict():
    def interim(round_: int, credences) -> Turn:
        meta = {"kind": "interim", "status": "ok", "choice": 0, "credences": credences}
        return Turn(index=round_, role="judge", round=round_, model="m", content="", meta=meta)

    speech = Turn(index=0, role="debater_a", round=3, model="m", content="")
    turns = [speech, interim(1, [0.6, 0.4]), interim(2, None)]
    verdict = Verdict(status="ok", choice=1, credences=[0.3, 0.7], role="judge")
    [(judge, points)] = credence_curves(turns, [verdict], correct=0).items()
    assert judge == "judge"
    assert [(p.round, p.credence, p.final) for p in points] == [
        (1, 0.6, False),
        (2, None, False),
        (3, 0.3, True),
    ]
    assert credence_curves([speech], [verdict], correct=0) == {}
