"""Writing a prompt version back to ``prompts/`` as a TOML template file.

The file is written so that loading it gives exactly the same messages, and so the same hash:
the exported file *is* that version. A file already holding that prompt id is replaced only when
asked (two files with one id would not load).
"""

from __future__ import annotations

from pathlib import Path

from ..prompts import PROMPTS_DIR, PromptError, load_prompts
from .versions import PromptVersion, check_id


def _basic(text: str, *, multiline: bool) -> str:
    """A TOML basic string (or multi-line basic string) holding ``text`` exactly."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n" and multiline:
            out.append("\n")
        elif ch == "\t":
            out.append("\t" if multiline else "\\t")
        elif ch == '"' and not multiline:
            out.append('\\"')
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    body = "".join(out)
    if not multiline:
        return f'"{body}"'
    # no run of three quotes inside, none touching the closing delimiter
    body = body.replace('"""', '""\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return f'"""\n{body}"""'  # the newline right after the opening quotes is not content


def to_toml(version: PromptVersion) -> str:
    """The template file's text for a version, with its provenance in leading comments."""
    template = version.template
    lines = [f"# Exported from the oversight playground: version {version.hash}"]
    if version.parent_hash:
        lines.append(f"# parent version: {version.parent_hash}")
    if version.note:
        lines += [f"# note: {line}" for line in version.note.splitlines()]
    lines.append(f"id = {_basic(template.id, multiline=False)}")
    if template.role:
        lines.append(f"role = {_basic(template.role, multiline=False)}")
    if template.description:
        lines.append(f"description = {_basic(template.description, multiline=False)}")
    for role, content in template.messages:
        lines += ["", "[[messages]]", f'role = "{role}"']
        lines.append(f"content = {_basic(content, multiline=True)}")
    return "\n".join(lines) + "\n"


def export_version(
    version: PromptVersion, directory: Path | None = None, *, overwrite: bool = False
) -> Path:
    """Write a version into the prompts directory and return the file's path.

    It goes to the file that already holds its id (replaced only with ``overwrite``; nothing is
    written when that file is already this version), else to ``<directory>/<id>.toml``.
    """
    directory = Path(directory or PROMPTS_DIR)
    check_id(version.id)
    current = load_prompts(directory).get(version.id)
    if current is not None and current.source:
        path = Path(current.source)
        if current.hash == version.hash:
            return path
        if not overwrite:
            raise PromptError(
                f"{path} holds another version of {version.id} ({current.hash[:12]}); "
                "replace it explicitly (overwrite)"
            )
    else:
        path = directory / f"{version.id}.toml"
        if path.exists() and not overwrite:
            raise PromptError(f"{path} exists and holds another prompt id; not replaced")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(version), encoding="utf-8")
    return path
