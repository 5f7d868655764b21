"""A loopback imitation of the OpenAI chat.completions API (``/v1/chat/completions``,
``/v1/models``), for tests and benchmarks that must not leave 127.0.0.1.

Besides text it serves, in the real API's shapes: token log-probabilities (``logprobs``,
``top_logprobs``; tokens from `shapes.tokens`, each with log-probability 0 unless
``alternatives`` gives its top list), ``response_format`` (checked as the API checks a strict
JSON schema; the responder writes the JSON), ``reasoning_effort`` (reasoning tokens in usage)
and, like vLLM or DeepSeek, a ``reasoning_content`` when ``reasoning_content`` is set."""

from __future__ import annotations

import itertools
import time
from typing import Any

from .server import LoopbackServer, main
from .shapes import Reply, pieces, sse, text_of, tokens, words
from .transport import Handler

_FINISH = {"end": "stop", "stop_sequence": "stop", "length": "length"}
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
_ids = itertools.count(1)
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


class OpenAIServer(LoopbackServer):
    """Loopback OpenAI-compatible server."""

    prefix = "/v1"

    def __init__(
        self,
        *,
        alternatives: dict[str, dict[str, float]] | None = None,
        reasoning_content: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.alternatives = alternatives or {}
        """Top log-probabilities of a generated token, by the token without its spaces
        (``{"A": {" A": -0.2, " B": -1.7}}``); a token not named has only itself, at 0."""
        self.reasoning_content = reasoning_content
        """Thoughts sent as ``message.reasoning_content`` (as vLLM and DeepSeek do)."""

    def route(self, handler: Handler, method: str, path: str, body: Any) -> None:
        if method == "POST" and path == "/v1/chat/completions" and isinstance(body, dict):
            problem = self._invalid(body)
            if problem:
                return handler.send_json(400, self.error_body(400, problem))
            return self.serve_generation(handler, body)
        if method == "GET" and path == "/v1/models":
            model = {"id": self.served_model or "loopback", "object": "model", "created": 0}
            return handler.send_json(200, {"object": "list", "data": [model]})
        handler.send_json(404, self.error_body(404, f"no route {method} {path}"))

    def _invalid(self, body: dict[str, Any]) -> str | None:
        """The request errors the real API answers 400 for, in its words."""
        top = body.get("top_logprobs")
        if top is not None:
            if not body.get("logprobs"):
                return "Invalid value for 'top_logprobs': 'logprobs' must be set to true."
            if not isinstance(top, int) or not 0 <= top <= 20:
                return "Invalid 'top_logprobs': integer must be between 0 and 20."
        effort = body.get("reasoning_effort")
        if effort is not None and effort not in _EFFORTS:
            return f"Invalid value: '{effort}'. Supported values are: {', '.join(_EFFORTS)}."
        return _invalid_format(body.get("response_format"))

    def _logprob(self, token: str) -> dict[str, Any]:
        top = self.alternatives.get(token.strip(), {token: 0.0})
        own = top.get(token, max(top.values()))

        def entry(text: str, logprob: float) -> dict[str, Any]:
            return {"token": text, "logprob": logprob, "bytes": list(text.encode())}

        ranked = sorted(top.items(), key=lambda kv: -kv[1])
        return {**entry(token, own), "top_logprobs": [entry(t, lp) for t, lp in ranked]}

    def _logprobs(self, body: dict[str, Any], text: str) -> dict[str, Any] | None:
        if not body.get("logprobs"):
            return None
        k = body.get("top_logprobs") or 0
        content = []
        for token in tokens(text):
            item = self._logprob(token)
            content.append({**item, "top_logprobs": item["top_logprobs"][:k]})
        return {"content": content, "refusal": None}

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

    def _usage(self, reply: Reply, body: dict[str, Any] | None = None) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "prompt_tokens": reply.input_tokens,
            "completion_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
        }
        if body and body.get("reasoning_effort"):
            thought = words(self.reasoning_content or "")
            usage["completion_tokens"] += thought
            usage["total_tokens"] += thought
            usage["completion_tokens_details"] = {"reasoning_tokens": thought}
        return usage

    def completion_json(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if self.reasoning_content is not None:
            message["reasoning_content"] = self.reasoning_content
        choice = {
            "index": 0,
            "message": message,
            "logprobs": self._logprobs(body, reply.text),
            "finish_reason": _FINISH[reply.finish],
        }
        return {
            "id": f"chatcmpl-loopback-{next(_ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model,
            "choices": [choice],
            **({"usage": self._usage(reply, body)} if self.send_usage else {}),
        }

    def stream_events(self, body: dict[str, Any], reply: Reply) -> list[bytes]:
        head = {
            "id": f"chatcmpl-loopback-{next(_ids)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": reply.model,
        }

        def chunk(delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
            return sse({**head, "choices": [choice]})

        events = [chunk({"role": "assistant", "content": ""})]
        if self.reasoning_content:
            events += [chunk({"reasoning_content": p}) for p in pieces(self.reasoning_content)]
        logprobs = self._logprobs(body, reply.text)
        if logprobs is not None:  # one chunk per token, each with its own log-probability
            events += [
                chunk({"content": item["token"]}, logprobs={"content": [item], "refusal": None})
                for item in logprobs["content"]
            ]
        else:
            events += [chunk({"content": piece}) for piece in pieces(reply.text)]
        events.append(chunk({}, _FINISH[reply.finish]))
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if wants_usage and self.send_usage:
            events.append(sse({**head, "choices": [], "usage": self._usage(reply, body)}))
        events.append(sse("[DONE]"))
        return events

    def stream_error_event(self) -> bytes:
        return sse(self.error_body(500, "The server had an error while processing your request."))


def _invalid_format(response_format: Any) -> str | None:
    """``response_format`` checked as the API checks it (a strict schema must close every
    object and require every property)."""
    if response_format is None:
        return None
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("text", "json_object"):
        return None
    if kind != "json_schema":
        return "Invalid value for 'response_format.type': use text, json_object or json_schema."
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        return "Missing required parameter: 'response_format.json_schema.name'."
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        return "Missing required parameter: 'response_format.json_schema.schema'."
    if spec.get("strict"):
        name = spec["name"]
        if schema.get("additionalProperties") is not False:
            return (
                f"Invalid schema for response_format '{name}': In context=(), "
                f"'additionalProperties' is required to be supplied and to be false."
            )
        missing = set(schema.get("properties", {})) - set(schema.get("required", []))
        if missing:
            return (
                f"Invalid schema for response_format '{name}': In context=(), 'required' "
                f"is required to be supplied and to be an array including every key in "
                f"properties. Missing '{sorted(missing)[0]}'."
            )
    return None


if __name__ == "__main__":
    main(OpenAIServer)
