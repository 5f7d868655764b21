"""A loopback imitation of the OpenAI chat.completions API (``/v1/chat/completions``,
``/v1/models``), for tests and benchmarks that must not leave 127.0.0.1."""

from __future__ import annotations

import itertools
import time
from typing import Any

from .server import LoopbackServer, main
from .shapes import Reply, pieces, sse, text_of
from .transport import Handler

_FINISH = {"end": "stop", "stop_sequence": "stop", "length": "length"}
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_ids = itertools.count(1)


class OpenAIServer(LoopbackServer):
    """Loopback OpenAI-compatible server."""

    prefix = "/v1"

    def route(self, handler: Handler, method: str, path: str, body: Any) -> None:
        if method == "POST" and path == "/v1/chat/completions" and isinstance(body, dict):
            return self.serve_generation(handler, body)
        if method == "GET" and path == "/v1/models":
            model = {"id": self.served_model or "loopback", "object": "model", "created": 0}
            return handler.send_json(200, {"object": "list", "data": [model]})
        handler.send_json(404, self.error_body(404, f"no route {method} {path}"))

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        kind, code = _ERROR_TYPES.get(status, ("server_error", None))
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def reply_for(self, body: dict[str, Any]) -> Reply:
        stop = body.get("stop") or []
        return self.make_reply(
            body,
            prompt=[text_of(m.get("content")) for m in body.get("messages", [])],
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens"),
            stop=[stop] if isinstance(stop, str) else stop,
        )

    def _usage(self, reply: Reply) -> dict[str, int]:
        return {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
        }

    def completion_json(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        message = {"role": "assistant", "content": reply.text}
        choice = {"index": 0, "message": message, "finish_reason": _FINISH[reply.finish]}
        return {
            "id": f"chatcmpl-loopback-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model,
            "choices": [choice],
            **({"usage": self._usage(reply)} if self.send_usage else {}),
        }

    def stream_events(self, body: dict[str, Any], reply: Reply) -> list[bytes]:
        head = {
            "id": f"chatcmpl-loopback-{next(_ids)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": reply.model,
        }

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return sse({**head, "choices": [choice]})

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in pieces(reply.text)]
        events.append(chunk({}, _FINISH[reply.finish]))
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if wants_usage and self.send_usage:
            events.append(sse({**head, "choices": [], "usage": self._usage(reply)}))
        events.append(sse("[DONE]"))
        return events

    def stream_error_event(self) -> bytes:
        return sse(self.error_body(500, "The server had an error while processing your request."))


if __name__ == "__main__":
    main(OpenAIServer)
