"""The one escaping helper, checked against a real CommonMark parser (markdown-it-py, with GFM
tables): no image, link or HTML can form from escaped text, literal text reads back exactly,
and model prose keeps its formatting and its code."""

from __future__ import annotations

import random

import pytest
from markdown_it import MarkdownIt

from playground.safetext import (
    csv_cell,
    html_text,
    md_code,
    md_line,
    md_prose,
    md_text,
    plot_text,
    plot_texts,
    terminal_line,
)

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
DANGEROUS = {"image", "link_open", "html_inline", "html_block"}

ATTACKS = [
    "![x](http://127.0.0.1:9/x.png)",
    "[click](javascript:alert(1))",
    "![x][r]\n\n[r]: http://127.0.0.1:9/ref.png",
    "<img src=http://127.0.0.1:9/html.png>",
    "<http://127.0.0.1:9/autolink>",
    "model` ![x](http://127.0.0.1:9/tick.png) `",
    "\\`![x](http://127.0.0.1:9/esc.png)`",
    "a ` b\n`![x](http://127.0.0.1:9/two-lines.png)`",
    "`a\n\n![x](http://127.0.0.1:9/para.png)\n\n`",
    "| a | b |\n|---|---|\n| `x | ![x](http://127.0.0.1:9/table.png) ` | y |",
    "- ```\n![x](http://127.0.0.1:9/list-fence.png)\n```",
    "  ```\n![x](http://127.0.0.1:9/indented-fence.png)\n```",
    "``` a`b\n![x](http://127.0.0.1:9/bad-info.png)\n```",
    "&#33;[x](http://127.0.0.1:9/entity.png)",
    ":red[**red**] $x^2$ :material/warning:",
    "<script>alert(1)</script>",
]


def tokens(markdown: str) -> list:
    out = []
    for token in PARSER.parse(markdown):
        out.append(token)
        out.extend(token.children or [])
    return out


def text_of(markdown: str) -> str:
    """The characters a reader sees (text, code, line breaks), markup removed."""
    parts = []
    for token in tokens(markdown):
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("hardbreak", "softbreak") or token.type == "paragraph_close":
            parts.append("\n")
    return "".join(parts).strip("\n")


def fuzz(n: int, seed: int = 14) -> list[str]:
    pieces = ["![", "[", "]", "(", ")", "http://127.0.0.1:9/f.png", "`", "``", "```", "\n", " ",
              "<", ">", "img", "&", "#33;", "\\", "|", "-", "*", "$", ":", "x", "~~~", "\n\n",
              "_", "a_b", "1.", "2)", "=", "#", "+", "~~", "    "]  # fmt: skip
    rng = random.Random(seed)
    return ["".join(rng.choices(pieces, k=rng.randint(1, 30))) for _ in range(n)]


@pytest.mark.parametrize("text", ATTACKS + fuzz(400))
def test_no_image_link_or_html_forms(text):
    forms = (md_text, md_line, md_code, md_prose,
             lambda t: md_prose(t, hard_breaks=False, html_entities=True))  # fmt: skip
    for escaped in (form(text) for form in forms):
        found = {t.type for t in tokens(escaped)} & DANGEROUS
        assert not found, (text, escaped, found)


@pytest.mark.parametrize("text", ATTACKS + fuzz(200, seed=15))
def test_md_text_reads_back_as_written(text):
    # every character as written (a run of blank lines reads as one paragraph break)
    assert text_of(md_text(text)).split() == text.split()
    assert text_of(md_line(text)) == " ".join(text.split())


@pytest.mark.parametrize("text", ATTACKS + fuzz(300, seed=16))
def test_md_code_is_one_code_span_holding_the_text(text):
    folded = " ".join(text.split())
    spans = [t for t in tokens(md_code(text)) if t.type not in ("paragraph_open", "inline")]
    assert [(t.type, t.content) for t in spans if t.type != "paragraph_close"] == (
        [("code_inline", folded)] if folded else []
    )


def test_md_line_leaves_harmless_punctuation_alone():
    for name in ("run-1", "runs=20261203-135916-e55dbb", "debate/judge@26d6ce6a", "answer_a",
                 "0.6", "-5", "a - b"):  # fmt: skip
        assert md_line(name) == name
    assert md_line("- 1. _x_ #3") == "\\- 1. \\_x\\_ \\#3"
    assert md_line("12. not a list") == "12\\. not a list"


def test_md_text_keeps_lines_and_indentation():
    out = md_text("a*b*\n\n    `c` <d>")
    assert "code_block" not in {t.type for t in tokens(out)}  # four spaces, yet not code
    assert text_of(out).replace("\u00a0", "") == "a*b*\n`c` <d>"


def test_md_text_escapes_streamlit_directives_and_backticks():
    name = "gpt-4o` ![x](http://127.0.0.1:9/x.png) :red[big] $1"
    escaped = md_line(name)
    assert "`" not in escaped.replace("\\`", "")
    assert ":red[" not in escaped and "$1" not in escaped.replace("\\$1", "")
    assert text_of(escaped) == name


def test_md_prose_keeps_formatting_and_code():
    reply = (
        "**Answer A** is right:\n- it says `x[0] < y` and\n\n```python\nprint(a[0] < b)  # $5\n"
        "![not](an image)\n```\nSee [the passage](http://127.0.0.1:9/p) ![p](http://127.0.0.1:9/i)"
    )
    out = md_prose(reply)
    kinds = [t.type for t in tokens(out)]
    assert "strong_open" in kinds and "bullet_list_open" in kinds
    code = [t.content for t in tokens(out) if t.type in ("code_inline", "fence")]
    assert code == ["x[0] < y", "print(a[0] < b)  # $5\n![not](an image)\n"]
    assert "[the passage](http://127.0.0.1:9/p)" in text_of(out)
    assert not {t.type for t in tokens(out)} & DANGEROUS


def test_md_prose_keeps_single_line_breaks_unless_asked():
    assert md_prose("one\ntwo") == "one  \ntwo"
    assert md_prose("one\ntwo", hard_breaks=False) == "one\ntwo"
    assert md_prose("costs $5 & more") == "costs \\$5 \\& more"


def test_md_prose_keeps_streamlit_colour_words_as_text():
    # ":red" before an escaped bracket would still colour (and hide) what follows in Streamlit
    assert md_prose(":red[x] :material/home: Answer: A, builtin:reading") == (
        "\\:red\\[x] \\:material/home: Answer: A, builtin:reading"
    )


def test_md_prose_for_files_uses_html_entities():
    assert md_prose("<b>x</b> & `<i>` [l](u)", html_entities=True) == (
        "&lt;b&gt;x&lt;/b&gt; &amp; `<i>` \\[l](u)"
    )


def test_html_text_escapes_tags_and_quotes():
    assert html_text("<img src='x'> & \"y\"") == "&lt;img src=&#x27;x&#x27;&gt; &amp; &quot;y&quot;"


def test_plot_text_escapes_plotly_markup():
    assert plot_text("<a href='http://127.0.0.1:9/'>x</a><b>y</b>") == (
        "&lt;a href='http://127.0.0.1:9/'&gt;x&lt;/a&gt;&lt;b&gt;y&lt;/b&gt;"
    )
    assert plot_texts(["a&b", 3]) == ["a&amp;b", "3"]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_csv_cell_neutralises_formulas(cell):
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain", "a=b", "", 5, -1.5, None, "1-2"])
def test_csv_cell_leaves_other_values(cell):
    assert csv_cell(cell) == cell


def test_terminal_line_leaves_no_escape_sequence():
    name = "run\x1b]52;c;ZXZpbA==\x07 \x1b[2Jx\nnext\u202e"
    assert terminal_line(name) == "run\ufffd]52;c;ZXZpbA==\ufffd \ufffd[2Jx next\ufffd"
