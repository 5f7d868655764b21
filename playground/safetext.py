"""The one escaping helper: untrusted text (model output, dataset text, run and model names,
reasons, ids, tags, roles) made safe to show as Markdown in the app or an exported file, as a
plotly label, in HTML, as a CSV cell or on a terminal.

Which form to use:

- `md_text` / `md_line`: text shown literally by Markdown (``st.markdown``, ``st.write``,
  ``st.caption``, widget labels, expander and tab titles, ``st.metric`` labels, badges, status
  and error messages): no emphasis, code span, link, image, HTML, LaTeX, emoji code or Streamlit
  directive (``:red[…]``) can form. `md_text` escapes every ASCII punctuation character and keeps
  line breaks; `md_line` folds the text onto one line and escapes only the characters that can
  start Markdown there, so names and ids (``run-1``, ``debate/judge@1a2b``) read as written in
  the page source too.
- `md_code`: text as an inline code span (monospace), for ids, model names, paths and prompt
  references. The text cannot leave the span: the span's backtick fence is longer than any run
  of backticks inside it, so a model name with a backtick in it stays code. Never put text
  inside backticks any other way.
- `md_prose`: model or dataset prose, where the Markdown formatting a model writes (emphasis,
  lists, headings, code spans and fenced code) is kept, but nothing can make the browser fetch
  or run anything: no image, link (inline, reference or ``<autolink>``), raw HTML, LaTeX or
  directive. Code spans and fences are left as they are (their content is literal Markdown).
- `plot_text` / `plot_texts`: plotly tick, hover and legend text (plotly renders ``<b>``,
  ``<a href>``, ``<br>`` and entities in labels): HTML-escaped.
- `html_text`: text inside HTML the app writes itself (the prompt diff's table).
- `csv_cell`: a spreadsheet cell that cannot be read as a formula.
- `terminal_line`: one line for the terminal, with no escape sequence left in it.

What is not neutralised: a bare web address (``https://…``) in any Markdown form is still
shown as a clickable link by Streamlit's Markdown (GFM autolinks); it shows its full address and
nothing is fetched until someone clicks it. Selectbox and multiselect options and dataframe
cells are plain text in Streamlit: pass them unescaped (escaping would show the backslashes).

This module imports nothing from the playground (it is the lowest layer: anything may use it).
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable

__all__ = [
    "csv_cell",
    "html_text",
    "md_code",
    "md_line",
    "md_prose",
    "md_text",
    "plot_text",
    "plot_texts",
    "terminal_line",
]

_PUNCTUATION = re.compile(f"([{re.escape(string.punctuation)}])")
# What can start inline Markdown (emphasis, code, links, images, footnotes, HTML, autolinks,
# entities, strikethrough, table cells), LaTeX, or a Streamlit directive or emoji code (``:``).
_INLINE = re.compile(r"[\\`*_\[\]<>&$:~|#]")
# At the start of a line: a list marker (``-``, ``+``, ``1.``, ``1)`` before a space or the
# end) or a setext underline / thematic break (a line of only ``-`` or ``=``).
_BLOCK_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)|^()([-+=])(?=\s|[-=\s]*$)")
# In prose, only what could start a link, an image, HTML, an entity, LaTeX, a code span that
# is not one of ours, or a Streamlit colour directive or icon (``:red``, ``:material/…``: the
# colour would swallow the text after it); the backslash so that nothing we escape can be
# un-escaped.
_PROSE_SPECIALS = re.compile(
    r"([\\\[<&$`]|:(?=(?:red|orange|yellow|green|blue|violet|gray|grey|rainbow|primary)\b"
    r"|material/))"
)
# A code span on one line: a maximal run of backticks, content, the same run again.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
# A code fence at the start of a line (not indented: an indented fence may belong to a list
# item that a less indented line ends, and then its "code" would be read as Markdown).
_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")


def _lines(value: object) -> list[str]:
    return str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _literal_line(line: str) -> str:
    # four leading spaces would start an indented code block: they become no-break spaces
    body = line.lstrip(" ")
    indent = len(line) - len(body)
    return ("\u00a0" * indent if indent >= 4 else line[:indent]) + _PUNCTUATION.sub(r"\\\1", body)


def md_text(value: object) -> str:
    """Text shown literally by Streamlit Markdown (or any CommonMark renderer): every ASCII
    punctuation character escaped, each line break kept as a hard break and each line's
    indentation kept."""
    return "  \n".join(map(_literal_line, _lines(value)))


def _inline_special(match: re.Match[str]) -> str:
    char, text, at = match.group(0), match.string, match.start()
    if char == "_" and 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum():
        return char  # inside a word (``answer_a``) an underscore can neither open nor close
    return "\\" + char


def md_line(value: object) -> str:
    """Text shown literally on one line (runs of whitespace, line breaks too, become one
    space), for labels, titles, captions and any text set inside a sentence. Escaped: every
    character that can start inline Markdown, HTML, LaTeX or a Streamlit directive or emoji
    code, and a leading list, heading or quote marker; other punctuation is left as it is."""
    text = _INLINE.sub(_inline_special, " ".join(str(value).split()))
    return _BLOCK_START.sub(lambda m: f"{m[1] or ''}\\{m[2] or m[4]}", text, count=1)


def md_code(value: object) -> str:
    """Text (folded onto one line) as an inline code span it cannot leave: fenced by one
    backtick more than its longest run of backticks, and padded with a space when it starts
    or ends with a backtick. Empty text gives an empty string."""
    text = " ".join(str(value).split())
    if not text:
        return ""
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape_prose(text: str, entities: bool) -> str:
    if entities:  # as HTML entities, which every renderer reads as text
        text = html.escape(text, quote=False)
        return _PROSE_SPECIALS.sub(lambda m: m[0] if m[0] == "&" else "\\" + m[0], text)
    return _PROSE_SPECIALS.sub(r"\\\1", text)


def _prose_line(line: str, entities: bool = False) -> str:
    """One line of prose: its code spans kept as written, everything else escaped."""
    out, last = [], 0
    for match in _CODE_SPAN.finditer(line):
        if "|" in match.group(2):  # a table row would split it at the pipe: escape it as prose
            continue
        out.append(_escape_prose(line[last : match.start()], entities))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_prose(line[last:], entities))
    return "".join(out)


def md_prose(value: object, *, hard_breaks: bool = True, html_entities: bool = False) -> str:
    """Model or dataset prose for Markdown: its own formatting kept, but no image, link, raw
    HTML, entity, LaTeX or Streamlit directive can form outside code (``[``, ``<``, ``&``,
    ``$``, stray backticks and backslashes are escaped). Code spans on one line and
    fenced code blocks at the start of a line stay as written. With ``hard_breaks`` (the
    default, for the app) each single line break is kept instead of being joined. With
    ``html_entities`` (for Markdown files, whose renderers may pass raw HTML through) ``<``,
    ``>`` and ``&`` become entities instead of backslash escapes."""
    lines = _lines(value)
    blocks: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            lines = (_prose_line(line, html_entities) for line in prose)
            blocks.append(("  \n" if hard_breaks else "\n").join(lines))
            prose.clear()

    i = 0
    while i < len(lines):
        fence = _FENCE.fullmatch(lines[i])
        if fence is None or (fence.group(1)[0] == "`" and "`" in fence.group(2)):
            prose.append(lines[i])
            i += 1
            continue
        flush()
        mark = fence.group(1)
        close = re.compile(rf" {{0,3}}{re.escape(mark[0])}{{{len(mark)},}}[ \t]*")
        end = next((j for j in range(i + 1, len(lines)) if close.fullmatch(lines[j])), len(lines))
        blocks.append("\n".join(lines[i : end + 1]))
        i = end + 1
    flush()
    return "\n".join(blocks)


def html_text(value: object) -> str:
    """Text inside HTML (the prompt diff's table, the one place the app writes HTML): ``&``,
    ``<``, ``>`` and both quotes as entities."""
    return html.escape(str(value), quote=True)


def plot_text(value: object) -> str:
    """A plotly label (tick, hover, legend, annotation): HTML-escaped, shown as written."""
    return html.escape(str(value), quote=False)


def plot_texts(values: Iterable[object]) -> list[str]:
    """`plot_text` of each value, for a trace's ``x``/``y``/``text`` or a heatmap's axes."""
    return [plot_text(v) for v in values]


def terminal_line(value: object) -> str:
    """Text for a terminal on one line: whitespace folded, every other control character
    (escape sequences included: colours, cursor moves, OSC links, clipboard writes) shown as
    U+FFFD."""
    return "".join(c if c.isprintable() else "\ufffd" for c in " ".join(str(value).split()))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text that begins with ``= + - @``, a tab or a
    carriage return gets a leading apostrophe (OWASP's advice). Other values are unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
