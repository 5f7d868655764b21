"""Prompt versions: content-addressed and immutable in the store, checked variables, diffs,
export to files that load back as the same version, and pins in experiment files."""

import asyncio
import tomllib

import pytest

from playground.experiments import ExperimentError, parse_experiment, run_experiment
from playground.prompting import (
    check_messages,
    diff_templates,
    export_version,
    get_version,
    list_versions,
    resolve_prompt,
    save_version,
    side_by_side_html,
    to_toml,
    unified_diff,
)
from playground.prompting.diff import Segment, is_same
from playground.prompting.preview import render_preview
from playground.prompts import PromptError, get_prompt, load_template, parse_template
from playground.providers.scripted import ScriptedModel
from playground.records import Item


def edited_judge(extra: str = "\nBe brief."):
    judge = get_prompt("debate/judge")
    messages = [(role, content) for role, content in judge.messages]
    messages[-1] = (messages[-1][0], messages[-1][1] + extra)
    template, check = check_messages("debate/judge", "judge", messages)
    assert check.ok, check.problems()
    return template


# -- versioning ---------------------------------------------------------------------------------


def test_file_templates_are_versions_with_their_file_hash(store):
    versions = {v.id: v for v in list_versions(store) if v.source == "file"}
    judge = get_prompt("debate/judge")
    assert versions["debate/judge"].hash == judge.hash
    assert versions["debate/judge"].role == "judge"
    assert {"debate/debater", "consultancy/consultant", "blind/judge"} <= set(versions)
    assert len(list_versions(store)) == len(versions)  # listing again registers nothing new


def test_save_is_content_addressed_immutable_and_linked_to_its_parent(store):
    original = get_prompt("debate/judge")
    edited = edited_judge()
    version, new = save_version(store, edited, note="shorter", parent=original.hash[:8])
    assert new and version.hash == edited.hash  # the hash is PromptTemplate.hash
    assert len(version.hash) == 64 and version.hash != original.hash
    assert version.parent_hash == original.hash
    assert version.note == "shorter" and version.source == "library"

    # the same wording again: the first version comes back untouched
    again, new_again = save_version(store, edited_judge(), note="other note", parent=None)
    assert not new_again
    assert (again.note, again.parent_hash, again.created_at) == (
        "shorter",
        original.hash,
        version.created_at,
    )
    # a description change is not a new version (the hash covers the messages only)
    described = parse_template(
        {
            "id": "debate/judge",
            "role": "judge",
            "description": "changed",
            "messages": [{"role": r, "content": c} for r, c in edited.messages],
        },
        "x",
    )
    assert save_version(store, described)[0].hash == version.hash
    stored = get_version(store, "debate/judge", version.hash)
    assert stored is not None and stored.template.messages == edited.messages


def test_same_wording_may_be_saved_under_another_id(store):
    edited = edited_judge()
    save_version(store, edited)
    fork = parse_template(
        {
            "id": "debate/judge-brief",
            "role": "judge",
            "messages": [{"role": r, "content": c} for r, c in edited.messages],
        },
        "x",
    )
    version, new = save_version(store, fork, parent=edited.hash)
    assert new and version.hash == edited.hash and version.id == "debate/judge-brief"


def test_bad_ids_and_parents_are_refused(store):
    bad = parse_template({"id": "../etc", "messages": [{"role": "user", "content": "x"}]}, "x")
    with pytest.raises(PromptError, match=r"prompt id '\.\./etc'"):
        save_version(store, bad)
    with pytest.raises(PromptError, match="no version with hash 00000000"):
        save_version(store, edited_judge(), parent="00000000")


# -- validation ---------------------------------------------------------------------------------


def test_unknown_variable_is_refused_and_named(store):
    judge = get_prompt("debate/judge")
    messages = [(r, c) for r, c in judge.messages]
    messages[0] = ("system", messages[0][1] + " You know the {passage}.")
    template, check = check_messages("debate/judge", "judge", messages)
    assert template is not None and not check.ok
    assert check.unknown == ("passage",)
    [problem] = check.problems()
    assert problem.startswith("unknown variable {passage}: the protocol passes only")
    assert "answer_a, answer_b, question, transcript" in problem
    with pytest.raises(PromptError, match=r"unknown variable \{passage\}"):
        save_version(store, template)


def test_dropped_required_variable_is_refused_and_named(store):
    judge = get_prompt("debate/judge")
    messages = [(r, c.replace("{transcript}", "(no debate)")) for r, c in judge.messages]
    template, check = check_messages("debate/judge", "judge", messages)
    assert check.missing == ("transcript",)
    assert check.problems() == [
        f"missing required variable {{transcript}}: the protocol passes it and "
        f"debate/judge@{judge.hash[:8]} uses it"
    ]
    with pytest.raises(PromptError, match=r"missing required variable \{transcript\}"):
        save_version(store, template)


def test_new_id_is_checked_against_its_role_and_parent():
    # a new id in the debate namespace: checked against the debate judge's variables
    _, check = check_messages("debate/strict-judge", "judge", [("user", "Pick: {question}")])
    assert check.reference.startswith("debate/judge@")
    assert set(check.missing) == {"answer_a", "answer_b", "transcript"}
    # a consultant prompt saved under a new namespace, edited from the shipped one
    consultant = get_prompt("consultancy/consultant")
    messages = [(r, c) for r, c in consultant.messages]
    _, check = check_messages(
        "mine/consultant", "consultant", messages, parent_id="consultancy/consultant"
    )
    assert check.ok and check.reference.startswith("consultancy/consultant@")


def test_syntax_errors_are_reported_not_raised():
    template, check = check_messages("debate/judge", "judge", [("user", "{unclosed")])
    assert template is None and not check.ok
    assert "cannot parse template" in check.problems()[0]
    template, check = check_messages("debate/judge", "judge", [("user", "   ")])
    assert template is None and "content must be a non-empty string" in check.problems()[0]


def test_literal_braces_are_not_variables():
    judge = get_prompt("debate/judge")
    messages = [(r, c) for r, c in judge.messages]
    messages[0] = ("system", messages[0][1] + ' Reply as {{"answer": "A"}}.')
    _, check = check_messages("debate/judge", "judge", messages)
    assert check.ok


def test_preview_renders_an_item_and_marks_unknown_variables():
    item = Item(id="x1", question="Who?", answers=["Ada", "Bo"], correct=0, passage="Ada won.")
    rendered = render_preview(get_prompt("debate/judge"), item)
    text = "\n".join(m.content for m in rendered)
    assert "Question: Who?" in text and "Answer A:" in text and "Debater A" in text
    draft = parse_template({"id": "d", "messages": [{"role": "user", "content": "{oops}"}]}, "d")
    assert render_preview(draft, item)[0].content == "⟨oops⟩"


# -- diff ---------------------------------------------------------------------------------------


def test_diff_rows_mark_changed_words_and_lines():
    old = get_prompt("debate/judge")
    messages = [(r, c) for r, c in old.messages]
    messages[0] = ("system", messages[0][1].replace("fair judge", "strict judge"))
    messages[1] = ("user", messages[1][1] + "\nThink step by step.")
    new = parse_template(
        {"id": "debate/judge", "messages": [{"role": r, "content": c} for r, c in messages]}, "x"
    )
    rows = diff_templates(old, new)
    assert not is_same(rows) and is_same(diff_templates(old, old))
    [replaced] = [r for r in rows if r.tag == "replace"]
    assert replaced.left_no == replaced.right_no == 2  # line 1 is the [system] header
    assert Segment("fair", True) in replaced.left and Segment("strict", True) in replaced.right
    assert not any(s.changed for s in replaced.left if s.text in ("You", "judge"))
    [inserted] = [r for r in rows if r.tag == "insert"]
    assert inserted.left_no is None and inserted.right[0].text == "Think step by step."

    text = unified_diff(old, new)
    assert f"--- debate/judge@{old.hash[:12]}" in text
    assert "-You are a fair judge." in text and "+You are a strict judge." in text
    assert "+Think step by step." in text
    assert unified_diff(old, old) == ""


def test_diff_html_escapes_every_piece_of_text():
    old = parse_template({"id": "x", "messages": [{"role": "user", "content": "Hi <b>"}]}, "a")
    new = parse_template(
        {"id": "x", "messages": [{"role": "user", "content": "Hi <script>alert(1)</script>"}]},
        "b",
    )
    page = side_by_side_html(diff_templates(old, new), "<i>old</i>", "new & better")
    assert "<script>" not in page and "<b>" not in page and "<i>old</i>" not in page
    assert "alert(1)&lt;/script&gt;" in page and "&lt;i&gt;old&lt;/i&gt;" in page
    assert "new &amp; better" in page
    assert "<ins>" in page and "<del>" in page


# -- export -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        'He said """no""" and left "',
        "Back\\slash \\n and a tab\there\r\nand \x7f and \x01",
        '""',
        "\nstarts with a newline\n\n",
        'ends with two quotes""',
        "''' literal ''' quotes {question}",
    ],
)
def test_toml_export_round_trips_exactly(store, tmp_path, content):
    template = parse_template(
        {
            "id": "odd/one",
            "role": "judge",
            "description": 'A "quoted" description\nover two lines',
            "messages": [{"role": "user", "content": content}],
        },
        "x",
    )
    version, _ = save_version(store, template, note="line one\nline two", validate=False)
    text = to_toml(version)
    tomllib.loads(text)
    path = export_version(version, tmp_path)
    assert path == tmp_path / "odd" / "one.toml"
    loaded = load_template(path)
    assert loaded.messages == template.messages and loaded.hash == version.hash
    assert loaded.description == template.description


def test_export_replaces_the_file_of_that_id_only_when_asked(store, tmp_path):
    first, _ = save_version(store, edited_judge("\nOne."), validate=True)
    second, _ = save_version(store, edited_judge("\nTwo."), validate=True)
    path = export_version(first, tmp_path)
    assert export_version(first, tmp_path) == path  # already that version: nothing to do
    with pytest.raises(PromptError, match="holds another version of debate/judge"):
        export_version(second, tmp_path)
    assert export_version(second, tmp_path, overwrite=True) == path
    assert load_template(path).hash == second.hash
    assert f"# parent version: {get_prompt('debate/judge').hash}" not in path.read_text()


# -- pins ---------------------------------------------------------------------------------------


def judge_pinned(dataset, prompt):
    return parse_experiment(
        {
            "name": "pinned",
            "protocol": "debate",
            "dataset": str(dataset),
            "options": {"rounds": 1},
            "roles": {
                "debater": {"model": "scripted/x"},
                "judge": {"model": "scripted/x", "prompt": prompt},
            },
        }
    )


def scripted():
    return {
        "debater_a": ScriptedModel(["Mine."]),
        "debater_b": ScriptedModel(["No, mine."]),
        "judge": ScriptedModel(["Answer: A\nConfidence: 70"]),
    }


def test_pinned_version_is_used_and_logged(store, tiny_dataset):
    version, _ = save_version(store, edited_judge("\nPINNED"))
    models = scripted()
    exp = judge_pinned(tiny_dataset, f"debate/judge@{version.hash[:8]}")
    summary = asyncio.run(run_experiment(exp, store, models=models))
    assert all("PINNED" in call[-1].content for call in models["judge"].calls)
    for record in store.iter_records(summary.info.id):
        judge_turn = record.turns[-1]
        assert (judge_turn.prompt_id, judge_turn.prompt_hash) == ("debate/judge", version.hash)
        assert record.provenance.roles["judge"].prompt_hash == version.hash
        # the logged turn links to its version with no translation
        assert get_version(store, judge_turn.prompt_id, judge_turn.prompt_hash) == version


def test_file_version_can_be_pinned_by_prefix(store, tiny_dataset):
    judge = get_prompt("debate/judge")
    assert resolve_prompt(f"debate/judge@{judge.hash[:8]}") == judge  # no store: the file
    exp = judge_pinned(tiny_dataset, f"debate/judge@{judge.hash[:10].upper()}")
    summary = asyncio.run(run_experiment(exp, store, models=scripted()))
    [info] = store.list_runs()
    assert info.id == summary.info.id and info.verdicts == {"ok": 3}


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("debate/judge@deadbeef", "roles.judge: no version deadbeef of prompt 'debate/judge'"),
        ("debate/judge@abc", "roles.judge: prompt 'debate/judge@abc': after '@' give the version"),
        ("nope@deadbeef", "roles.judge: no version deadbeef of prompt 'nope'"),
    ],
)
def test_unknown_pins_are_one_line_errors_naming_role_and_hash(store, tiny_dataset, pin, message):
    with pytest.raises(ExperimentError) as caught:
        asyncio.run(run_experiment(judge_pinned(tiny_dataset, pin), store, models=scripted()))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert store.list_runs() == []


def test_store_only_id_must_be_pinned(store, tiny_dataset):
    fork = parse_template(
        {"id": "debate/judge-x", "role": "judge", "messages": [{"role": "user", "content": "x"}]},
        "x",
    )
    version, _ = save_version(store, fork, validate=False)
    with pytest.raises(ExperimentError, match="has no template file; pin a stored version"):
        asyncio.run(
            run_experiment(judge_pinned(tiny_dataset, "debate/judge-x"), store, models=scripted())
        )
    assert resolve_prompt("debate/judge-x", store, newest=True) == version.template


def test_pinned_prompt_needing_a_value_the_seat_lacks_is_refused(store, tiny_dataset):
    bad = parse_template(
        {"id": "debate/judge", "messages": [{"role": "user", "content": "{passage} {question}"}]},
        "x",
    )
    version, _ = save_version(store, bad, validate=False)
    with pytest.raises(ExperimentError, match=r"roles.judge: .* uses \{passage\}, which is not"):
        asyncio.run(
            run_experiment(judge_pinned(tiny_dataset, version.pin), store, models=scripted())
        )


def test_versions_on_postgresql(fresh_postgres_url):
    from playground.store import Store

    pg = Store(fresh_postgres_url)
    version, new = save_version(pg, edited_judge("\nNon-ASCII: é ✓"), parent=None, note="pg")
    assert new
    assert resolve_prompt(f"debate/judge@{version.hash[:8]}", pg) == version.template
    stored = get_version(pg, "debate/judge", version.hash)
    assert stored is not None and stored.created_at.tzinfo is not None
    assert save_version(pg, edited_judge("\nNon-ASCII: é ✓"))[1] is False
    assert {v.source for v in list_versions(pg)} == {"file", "library"}
