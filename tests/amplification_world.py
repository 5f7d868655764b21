"""A scripted world for amplification tests: arithmetic questions every role can really work out.

Questions are "What is <expression>?". The decomposer splits an expression at its top-level
operator (``+`` before ``*``) and says LEAF for a number; the answerer evaluates; the recombiner
adds or multiplies its subanswers (at the root it picks the option nearest the result); the
checker recomputes the node from the subanswers and says whether the stated answer follows.
A node listed in ``bad`` has a non-sequitur recombiner: it glues the subanswers' digits together
in the order shown ("4" and "1" give 41), so its justification, resample and direct checks can
all catch it. The same world answers `ScriptedModel`s and the loopback servers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ITEMS = [
    {"id": "amp1", "question": "What is (2+3)*(4+1)?", "answers": ["25", "30"], "correct": 0},
    {"id": "amp2", "question": "What is (1+1)*(2+2)?", "answers": ["6", "8"], "correct": 1},
]


def write_items(path: Path) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in ITEMS))
    return path


def split(expr: str) -> tuple[str, list[str]] | None:
    """The top-level operator and operands of an expression; None for a number."""
    expr = expr.strip()
    while expr.startswith("(") and _closing(expr, 0) == len(expr) - 1:
        expr = expr[1:-1].strip()
    for op in "+*":
        depth, parts, start = 0, [], 0
        for i, ch in enumerate(expr):
            depth += ch == "("
            depth -= ch == ")"
            if ch == op and depth == 0:
                parts.append(expr[start:i])
                start = i + 1
        if parts:
            return op, [*parts, expr[start:]]
    return None


def _closing(expr: str, start: int) -> int:
    depth = 0
    for i in range(start, len(expr)):
        depth += expr[i] == "("
        depth -= expr[i] == ")"
        if depth == 0:
            return i
    return -1


def value(expr: str) -> int:
    assert re.fullmatch(r"[\d+*() ]+", expr), expr
    return int(eval(expr, {"__builtins__": {}}))


def bare(expr: str) -> str:
    """The expression without spaces and outer parentheses: "(4+1)" is "4+1"."""
    expr = expr.replace(" ", "")
    while expr.startswith("(") and _closing(expr, 0) == len(expr) - 1:
        expr = expr[1:-1]
    return expr


def question_of(user: str) -> str:
    return bare(re.search(r"Question: What is (.+?)\?", user).group(1))


def options_of(user: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^([A-F])\. (\d+)$", user, re.M)}


def subanswers_of(user: str) -> list[int | None]:
    found = re.findall(r"^\s+Answer: (.*)$", user, re.M)
    return [int(v) if re.fullmatch(r"-?\d+", v.strip()) else None for v in found]


@dataclass
class World:
    bad: set[str] = field(default_factory=set)
    """Expressions whose recombination is a non-sequitur."""
    decomposer_says: dict[str, str] = field(default_factory=dict)
    """Expression → a scripted decomposer reply, instead of the real split."""
    checker_says: str | None = None
    """A fixed checker reply (e.g. one it cannot parse)."""

    def reply(self, system: str, user: str) -> str:
        expr = question_of(user)
        options = options_of(user)
        if "break hard questions" in system:
            return self.decompose(expr)
        if "answer questions carefully" in system:
            return self.final(value(expr), options, "I work it out.")
        if "combine the answers" in system:
            return self.recombine(expr, subanswers_of(user), options)
        if "check reasoning" in system:
            return self.check(expr, user)
        raise AssertionError(f"unknown role: {system}")

    def decompose(self, expr: str) -> str:
        if expr in self.decomposer_says:
            return self.decomposer_says[expr]
        parts = split(expr)
        if parts is None:
            return "LEAF"
        return "\n".join(f"- What is {bare(p)}?" for p in parts[1])

    def combine(self, expr: str, subs: list[int | None]) -> int | None:
        parts = split(expr)
        if parts is None or any(s is None for s in subs):
            return None
        result = 1 if parts[0] == "*" else 0
        for s in subs:
            result = result * s if parts[0] == "*" else result + s
        return result

    def recombine(self, expr: str, subs: list[int | None], options: dict[str, int]) -> str:
        if expr in self.bad:
            glued = int("".join(str(s) for s in subs))
            return self.final(glued, options, "Putting the digits side by side gives the answer.")
        result = self.combine(expr, subs)
        return self.final(result, options, "Combining the subanswers gives the answer.")

    def final(self, result: int | None, options: dict[str, int], why: str) -> str:
        if not options:
            return f"{why}\nAnswer: {result}"
        label = min(options, key=lambda k: abs(options[k] - (result or 0)))
        return f"{why}\nAnswer: {label}\nConfidence: 80"

    def check(self, expr: str, user: str) -> str:
        if self.checker_says is not None:
            return self.checker_says
        stated = user.split("Reasoning and answer to check:", 1)[1]
        answer = re.findall(r"Answer: (\S+)", stated)[-1]
        options = options_of(user)
        result = self.combine(expr, subanswers_of(user))
        if options:
            ok = result is not None and options.get(answer) == result
        else:
            ok = answer == str(result)
        return f"Justified: {'yes' if ok else 'no'}\nConfidence: 90"

    # -- adapters ------------------------------------------------------------------------------

    def scripted(self, messages, config) -> str:
        return self.reply(messages[0].content, messages[-1].content)

    def responder(self, request: dict) -> str:
        system = request.get("system") or request["messages"][0]["content"]
        if isinstance(system, list):
            system = " ".join(part["text"] for part in system)
        return self.reply(system, request["messages"][-1]["content"])
