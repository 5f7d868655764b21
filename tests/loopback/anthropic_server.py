"""A loopback imitation of the Anthropic Messages API (``/v1/messages``), streaming the real
event sequence, for tests and benchmarks that must not leave 127.0.0.1."""

from __future__ import annotations

import itertools
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
        return None

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
        return self._message(
            reply,
            [{"type": "text", "text": reply.text}],
            stop_reason=_STOP_REASON[reply.finish],
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
        block = {"type": "text", "text": ""}
        events = [
            sse({"type": "message_start", "message": start}, "message_start"),
            sse(
                {"type": "content_block_start", "index": 0, "content_block": block},
                "content_block_start",
            ),
            sse({"type": "ping"}, "ping"),
        ]
        for piece in pieces(reply.text):
            delta = {"type": "text_delta", "text": piece}
            events.append(
                sse(
                    {"type": "content_block_delta", "index": 0, "delta": delta},
                    "content_block_delta",
                )
            )
        delta = {"stop_reason": _STOP_REASON[reply.finish], "stop_sequence": reply.stop_sequence}
        usage = {"output_tokens": reply.output_tokens}
        events += [
            sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            sse({"type": "message_delta", "delta": delta, "usage": usage}, "message_delta"),
            sse({"type": "message_stop"}, "message_stop"),
        ]
        return events

    def stream_error_event(self) -> bytes:
        return sse(self.error_body(529, "Overloaded"), "error")


if __name__ == "__main__":
    main(AnthropicServer)
