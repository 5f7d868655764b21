"""Prompt templates: loaded from prompts/, hashed by content, rendered strictly."""

import pytest

from playground.prompts import PromptError, get_prompt, load_prompts, parse_template


def test_builtin_templates_load_with_ids_and_hashes():
    prompts = load_prompts()
    assert {"debate/debater", "debate/judge"} <= set(prompts)
    for template in prompts.values():
        assert len(template.hash) == 64
    assert "transcript" in prompts["debate/judge"].variables


def test_hash_depends_on_messages_only():
    a = parse_template({"id": "x", "messages": [{"role": "user", "content": "Hi {name}"}]}, "a")
    b = parse_template(
        {"id": "x", "description": "other", "messages": [{"role": "user", "content": "Hi {name}"}]},
        "b",
    )
    c = parse_template({"id": "x", "messages": [{"role": "user", "content": "Hello {name}"}]}, "c")
    assert a.hash == b.hash != c.hash


def test_render_fills_and_refuses_missing_variables():
    judge = get_prompt("debate/judge")
    messages = judge.render(question="Q?", answer_a="yes", answer_b="no", transcript="T")
    assert [m.role for m in messages] == ["system", "user"]
    assert "Answer A: yes" in messages[1].content
    with pytest.raises(PromptError, match=r"missing variable.*transcript"):
        judge.render(question="Q?", answer_a="yes", answer_b="no")


def test_values_with_braces_are_not_reinterpreted():
    t = parse_template({"id": "x", "messages": [{"role": "user", "content": "Say {text}"}]}, "s")
    assert t.render(text="{not a var}")[0].content == "Say {not a var}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "field 'id' must be a non-empty string"),
        ({"id": "x", "messages": []}, "field 'messages' must be a non-empty list"),
        ({"id": "x", "messages": [{"role": "robot", "content": "x"}]}, "message 1: role must be"),
        ({"id": "x", "mesages": []}, "unknown field"),
        (
            {"id": "x", "messages": [{"role": "user", "content": "{unclosed"}]},
            "cannot parse template",
        ),
    ],
)
def test_bad_templates(data, message):
    with pytest.raises(PromptError, match=message):
        parse_template(data, "bad.toml")


def test_unknown_prompt_id():
    with pytest.raises(PromptError, match="unknown prompt 'nope'"):
        get_prompt("nope")


def test_every_template_renders_as_langchain_cores_chat_prompt_template_does():
    # the playground renders with langchain-core's formatter without its prompt stack; the
    # ChatPromptTemplate built from the same messages must give the same messages
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    for template in load_prompts().values():
        lc = template.chat_template
        assert sorted(lc.input_variables) == template.variables, template.id
        values = {v: f"<{v} with {{braces}} and 100%>" for v in template.variables}
        expected = [(roles[m.type], m.content) for m in lc.format_messages(**values)]
        assert [(m.role, m.content) for m in template.render(**values)] == expected, template.id


@pytest.mark.parametrize(
    ("content", "why"),
    [("{a.b}", "attribute access"), ("{a[0]}", "indexing"), ("{0}", "all digits"),
     ("{x:{y}}", "Nested replacement"), ("a } b", "Single '}'")],
)  # fmt: skip
def test_variables_langchain_core_refuses_are_refused_at_load(content, why):
    from langchain_core.prompts import ChatPromptTemplate

    with pytest.raises(ValueError):  # langchain-core refuses each of them too
        ChatPromptTemplate.from_messages([("user", content)], template_format="f-string")
    with pytest.raises(PromptError, match=f"cannot parse template: .*{why}"):
        parse_template({"id": "x", "messages": [{"role": "user", "content": content}]}, "b")
