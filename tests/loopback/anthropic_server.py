"""A loopback imitation of the Anthropic Messages API (``/v1/messages``), streaming the real
event sequence, for tests and benchmarks that must not leave 127.0.0.1.

Besides text it serves forced tool use (``tool_choice = {"type": "tool", …}``: the responder's
reply, a JSON object, becomes the ``tool_use`` block's input, ``stop_reason = "tool_use"``) and
extended thinking (``thinking = {"type": "enabled", "budget_tokens": N}``: a ``thinking`` block
with ``thinking_text`` before the text), checked as the API checks them."""

from __future__ import annotations

import itertools
import json
from typing import Any

from .server import LoopbackServer, main
from .shapes import Reply, pieces, sse, text_of
from .transport import Handler

_STOP_REASON = {"end": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence"}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}
# API version 2026-10-21 (what anthropic SDK 2.x sends) refuses sampling parameters outright.
_REFUSED_FROM_2026 = ("temperature", "top_p", "top_k")
_ids = itertools.count(1)


class AnthropicServer(LoopbackServer):
    """Loopback Anthropic-compatible server."""

    def __init__(self, *, thinking_text: str = "Weighing both sides.", **options: Any) -> None:
        super().__init__(**options)
        self.thinking_text = thinking_text
        """The thinking block's text when a request enables thinking."""

    def route(self, handler: Handler, method: str, path: str, body: Any) -> None:
        if method == "POST" and path == "/v1/messages" and isinstance(body, dict):
            problem = self._invalid(handler, body)
            if problem:
                return handler.send_json(400, self.error_body(400, problem))
            return self.serve_generation(handler, body)
        handler.send_json(404, self.error_body(404, f"no route {method} {path}"))

    def _invalid(self, handler: Handler, body: dict[str, Any]) -> str | None:
        if not isinstance(body.get("max_tokens"), int):
            return "max_tokens: Field required"
        if handler.headers.get("anthropic-version", "2023-06-01") != "2023-06-01":
            for name in _REFUSED_FROM_2026:
                if name in body:
                    return f"{name}: Extra inputs are not permitted"
        tools = body.get("tools") or []
        names = [t.get("name") for t in tools if isinstance(t, dict)]
        for tool in tools:
            if not isinstance(tool, dict) or "input_schema" not in tool:
                return "tools.0.custom.input_schema: Field required"
        choice = body.get("tool_choice")
        forced = isinstance(choice, dict) and choice.get("type") == "tool"
        if forced and choice.get("name") not in names:
            return f"tool_choice: no tool named {choice.get('name')!r} in tools"
        thinking = body.get("thinking")
        if isinstance(thinking, dict) and thinking.get("type") == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                return (
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
                )
            if budget >= body["max_tokens"]:
                return "`max_tokens` must be greater than `thinking.budget_tokens`."
            if forced:
                return "Thinking may not be enabled when tool_choice forces tool use."
        return None

    def _blocks(self, body: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
        """The reply's content blocks, as the API would send them."""
        blocks: list[dict[str, Any]] = []
        thinking = body.get("thinking")
        if isinstance(thinking, dict) and thinking.get("type") == "enabled":
            blocks.append(
                {"type": "thinking", "thinking": self.thinking_text, "signature": "sig-loopback"}
            )
        choice = body.get("tool_choice")
        if isinstance(choice, dict) and choice.get("type") == "tool":
            try:
                data = json.loads(reply.text)
            except ValueError:
                data = {}
            tool = {"type": "tool_use", "id": f"toolu_loopback_{next(_ids)}"}
            blocks.append(
                {**tool, "name": choice["name"], "input": data if isinstance(data, dict) else {}}
            )
        else:
            blocks.append({"type": "text", "text": reply.text})
        return blocks

    def _stop_reason(self, blocks: list[dict[str, Any]], reply: Reply) -> str:
        return "tool_use" if blocks[-1]["type"] == "tool_use" else _STOP_REASON[reply.finish]

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        kind = _ERROR_TYPES.get(status, "api_error")
        error = {"type": kind, "message": message}
        return {"type": "error", "error": error, "request_id": "req_loopback"}

    def reply_for(self, body: dict[str, Any]) -> Reply:
        system = text_of(body.get("system") or "")
        return self.make_reply(
            body,
            prompt=[system, *(text_of(m.get("content")) for m in body.get("messages", []))],
            max_tokens=body.get("max_tokens"),
            stop=body.get("stop_sequences") or [],
        )

    def _message(self, reply: Reply, content: list[dict[str, Any]], **rest: Any) -> dict[str, Any]:
        return {
            "id": f"msg_loopback_{next(_ids)}",
            "type": "message",
            "role": "assistant",
            "model": reply.model,
            "content": content,
            **rest,
        }

    def completion_json(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        usage = {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens}
        blocks = self._blocks(body, reply)
        return self._message(
            reply,
            blocks,
            stop_reason=self._stop_reason(blocks, reply),
            stop_sequence=reply.stop_sequence,
            **({"usage": usage} if self.send_usage else {}),
        )

    def stream_events(self, body: dict[str, Any], reply: Reply) -> list[bytes]:
        # The sequence the real API sends: input usage up front, output usage at the end.
        start = self._message(
            reply,
            [],
            stop_reason=None,
            stop_sequence=None,
            usage={"input_tokens": reply.input_tokens, "output_tokens": 1},
        )
        blocks = self._blocks(body, reply)
        events = [
            sse({"type": "message_start", "message": start}, "message_start"),
            sse({"type": "ping"}, "ping"),
        ]
        for index, block in enumerate(blocks):
            events += self._block_events(index, block)
        stop = self._stop_reason(blocks, reply)
        delta = {"stop_reason": stop, "stop_sequence": reply.stop_sequence}
        usage = {"output_tokens": reply.output_tokens}
        events += [
            sse({"type": "message_delta", "delta": delta, "usage": usage}, "message_delta"),
            sse({"type": "message_stop"}, "message_stop"),
        ]
        return events

    def _block_events(self, index: int, block: dict[str, Any]) -> list[bytes]:
        """One content block streamed: start (empty), deltas, stop."""

        def event(kind: str, **data: Any) -> bytes:
            return sse({"type": kind, "index": index, **data}, kind)

        kind = block["type"]
        if kind == "thinking":
            empty: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [{"type": "thinking_delta", "thinking": p} for p in pieces(block["thinking"])]
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
        elif kind == "tool_use":
            empty = {**block, "input": {}}
            text = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces(text)]
        else:
            empty = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": p} for p in pieces(block["text"])]
        return [
            event("content_block_start", content_block=empty),
            *(event("content_block_delta", delta=d) for d in deltas),
            event("content_block_stop"),
        ]

    def stream_error_event(self) -> bytes:
        return sse(self.error_body(529, "Overloaded"), "error")


if __name__ == "__main__":
    main(AnthropicServer)
