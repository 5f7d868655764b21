"""Plain data the loopback servers share: faults, recorded requests, replies, and the text
helpers that make token counts and stream deltas deterministic."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Responder = Callable[[dict[str, Any]], str]
"""Request JSON → reply text."""

Finish = Literal["end", "length", "stop_sequence"]

NAMED_FAULTS = ("reset", "timeout", "cut", "truncate", "malformed", "stream_error", "trickle")


@dataclass(frozen=True)
class Fault:
    """One injected failure.

    ``kind`` is an HTTP status ("429", "500", "503", "529", "400", ...) answered with the API's
    error body, or: ``reset`` (socket closed with RST, no response), ``timeout`` (no answer for
    ``hang`` seconds, then reset), ``cut`` (half the reply, then reset), ``truncate`` (half a
    stream, then a clean end, as a proxy might), ``malformed`` (200 with broken JSON),
    ``stream_error`` (a stream that reports a server error part-way, as Anthropic's does),
    ``trickle`` (a 200 that never finishes: one body byte, or one SSE comment after the first
    event, every ``trickle_every`` seconds, so no single read ever times out).
    """

    kind: str
    retry_after: str | None = None
    """Retry-After value for a status fault; None uses the server's ``retry_after``."""
    retry_after_ms: str | None = None

    @classmethod
    def parse(cls, spec: str | Fault | None) -> Fault | None:
        """``"429"``, ``"429:0.3"`` (Retry-After: 0.3), ``"429:ms=250"``, ``"cut"``; None or
        ``"ok"`` mean no fault."""
        if spec is None or isinstance(spec, Fault):
            return spec
        kind, _, arg = spec.partition(":")
        if kind == "ok":
            return None
        if not (kind.isdigit() or kind in NAMED_FAULTS):
            raise ValueError(f"unknown fault {spec!r}: an HTTP status or one of {NAMED_FAULTS}")
        if arg.startswith("ms="):
            return cls(kind, retry_after_ms=arg[3:])
        return cls(kind, retry_after=arg or None)


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    received_at: float = field(default_factory=time.monotonic)
    """When the request arrived (time.monotonic), to check pacing and concurrency."""


@dataclass(frozen=True)
class Reply:
    text: str
    finish: Finish
    stop_sequence: str | None
    input_tokens: int
    output_tokens: int
    model: str


def words(text: str) -> int:
    """The loopback servers' token count: whitespace-separated words."""
    return len(text.split())


def pieces(text: str) -> list[str]:
    """Word-sized stream deltas that join back to exactly ``text``."""
    return re.findall(r"\S+\s*|\s+", text)


def tokens(text: str) -> list[str]:
    """The loopback servers' log-probability tokens, shaped like a BPE vocabulary's: a word or
    one punctuation mark with the spaces before it (``"Answer: A"`` → ``Answer``, ``:``,
    `` A``); they join back to exactly ``text``."""
    return re.findall(r"\s*[A-Za-z0-9]+|\s*[^\sA-Za-z0-9]|\s+", text)


def text_of(content: Any) -> str:
    """Text of a message content: a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def default_responder(request: dict[str, Any]) -> str:
    """Deterministic: echoes the last user message."""
    users = [m for m in request.get("messages", []) if m.get("role") == "user"]
    return f"Echo: {text_of(users[-1]['content']) if users else ''}"


def model_responder(model_string: str) -> Responder:
    """Answers with a playground model (e.g. ``local/smollm2``), so a loopback server can stand in
    for a real OpenAI- or Anthropic-compatible endpoint with real text. Each request runs one
    call on the handler's thread; the embedded model serialises them itself."""
    import asyncio

    from playground.providers import GenerateConfig, Message, get_model

    model = get_model(model_string)

    def respond(request: dict[str, Any]) -> str:
        messages = []
        system = request.get("system")  # Anthropic keeps it apart from the messages
        if system:
            messages.append(Message(role="system", content=text_of(system)))
        for m in request.get("messages", []):
            messages.append(Message(role=m["role"], content=text_of(m["content"])))
        limit = request.get("max_tokens") or request.get("max_completion_tokens")
        config = GenerateConfig(max_tokens=limit, temperature=request.get("temperature"))
        return asyncio.run(model.generate(messages, config)).text

    return respond


def sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n".encode()
