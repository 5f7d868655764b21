"""Checking a prompt's variables against what the protocol passes to its role.

A protocol fills a role's template with a fixed set of values (the debate judge gets
``question``, ``answer_a``, ``answer_b`` and ``transcript``). That set is read from the role's
*reference template*: the shipped template file of that id (or of the id it was edited from),
else the template a protocol ships as its default for that role. An edited
template is refused when it

- references a variable outside that set (rendering would fail on every call: *unknown*), or
- drops one of them (the model would silently lose what the protocol meant it to see: *missing*),

and each problem names the variable. Templates with no reference (a role no protocol has) are
checked only for syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..prompts import PromptError, PromptTemplate, load_prompts, parse_template
from ..protocols import PROTOCOLS, get_protocol


@dataclass(frozen=True, kw_only=True)
class VariableCheck:
    """The outcome of checking one template: what it uses, what it should use, what is wrong."""

    variables: tuple[str, ...] = ()
    expected: tuple[str, ...] | None = None
    """The reference template's variables; None when there is no reference."""
    reference: str | None = None
    """``id@hash8`` of the reference template."""
    unknown: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    """Problems that stop the template from parsing at all."""

    @property
    def ok(self) -> bool:
        return not (self.unknown or self.missing or self.errors)

    def problems(self) -> list[str]:
        """One line per problem, each naming the variable (or the parse error)."""
        lines = list(self.errors)
        given = ", ".join(self.expected or ())
        for name in self.unknown:
            lines.append(
                f"unknown variable {{{name}}}: the protocol passes only {given} "
                f"(as {self.reference} uses them); write {{{{{name}}}}} for literal braces"
            )
        for name in self.missing:
            lines.append(
                f"missing required variable {{{name}}}: the protocol passes it and "
                f"{self.reference} uses it"
            )
        return lines


def default_prompt_ids() -> dict[str, str]:
    """Every protocol's default prompt id per seat, as ``protocol.seat`` → id."""
    found = {}
    for name in PROTOCOLS:
        for seat, prompt_id in get_protocol(name).prompts.items():
            found[f"{name}.{seat}"] = prompt_id
    return found


def reference_template(
    prompt_id: str, role: str, directory: Path | None = None, *, parent_id: str | None = None
) -> PromptTemplate | None:
    """The shipped template a version of ``prompt_id`` (written for ``role``) must match.

    In order: the template file with the same id; the file of the id it was edited from
    (``parent_id``); a protocol's default template for the same role in the same namespace
    (``debate/…``); the default for that role when every protocol's has the same variables.
    """
    templates = load_prompts(directory)
    for candidate in (prompt_id, parent_id):
        if candidate and candidate in templates:
            return templates[candidate]
    defaults = sorted(
        p for p in set(default_prompt_ids().values()) if p in templates and templates[p].role
    )
    same_role = [p for p in defaults if role and templates[p].role == role]
    namespace = prompt_id.rsplit("/", 1)[0] + "/" if "/" in prompt_id else None
    preferred = [p for p in same_role if namespace and p.startswith(namespace)]
    if preferred:
        return templates[preferred[0]]
    if same_role and len({tuple(templates[p].variables) for p in same_role}) == 1:
        return templates[same_role[0]]
    return None


def check_template(
    template: PromptTemplate, directory: Path | None = None, *, parent_id: str | None = None
) -> VariableCheck:
    """Check a parsed template's variables against its reference template."""
    variables = tuple(template.variables)
    reference = reference_template(template.id, template.role, directory, parent_id=parent_id)
    if reference is None:
        return VariableCheck(variables=variables)
    expected = tuple(reference.variables)
    return VariableCheck(
        variables=variables,
        expected=expected,
        reference=f"{reference.id}@{reference.hash[:8]}",
        unknown=tuple(v for v in variables if v not in expected),
        missing=tuple(v for v in expected if v not in variables),
    )


def check_messages(
    prompt_id: str,
    role: str,
    messages: list[tuple[str, str]],
    *,
    description: str = "",
    directory: Path | None = None,
    parent_id: str | None = None,
) -> tuple[PromptTemplate | None, VariableCheck]:
    """Build a template from edited messages and check it; the template is None when it does
    not parse (bad braces, an empty message, an unknown message role), the reason in ``errors``."""
    data = {
        "id": prompt_id,
        "role": role,
        "description": description,
        "messages": [{"role": r, "content": c} for r, c in messages],
    }
    try:
        template = parse_template(data, "the editor")
    except PromptError as exc:
        message = str(exc).removeprefix("the editor: ")
        return None, VariableCheck(errors=(message,))
    return template, check_template(template, directory, parent_id=parent_id)


def check_for_seat(template: PromptTemplate, default: PromptTemplate, seat: str) -> None:
    """Refuse, before a run starts, a template that needs a value the protocol does not give this
    seat (every call would fail rendering). Dropping a variable is allowed here: a pinned
    experiment may do so on purpose; the editor is where it is refused."""
    unknown = [v for v in template.variables if v not in default.variables]
    if unknown:
        raise PromptError(
            f"prompt {template.id}@{template.hash[:8]} uses {{{unknown[0]}}}, which is not "
            f"passed to {seat} (it gets {', '.join(default.variables)})"
        )
