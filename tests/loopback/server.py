"""The base of the loopback API imitations: a server on 127.0.0.1 with scripted replies,
recorded requests and faults injected on demand.

A vendor module (openai_server, anthropic_server) only says how its API shapes requests,
replies, stream events and errors; everything else lives here once.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import random
import socket
import threading
import traceback
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

from .shapes import (
    Fault,
    Finish,
    Recorded,
    Reply,
    Responder,
    default_responder,
    model_responder,
    pieces,
    words,
)
from .transport import Handler, HTTPServer


class LoopbackServer(ABC):
    """A vendor API imitation on 127.0.0.1. Every attribute may be changed while it runs.

    Faults: ``faults`` is consumed one per generation request, in order (``None``/"ok" for a
    clean answer); once it is empty, each request fails with probability ``fault_rate``, the
    kind drawn from ``fault_kinds`` by an RNG seeded with ``seed``.
    """

    prefix = ""
    """Path the SDK's base_url must include (``/v1`` for OpenAI)."""

    def __init__(
        self,
        *,
        port: int = 0,
        responder: Responder | None = None,
        latency: float = 0.0,
        chunk_delay: float = 0.0,
        faults: Iterable[str | Fault | None] = (),
        fault_rate: float = 0.0,
        fault_kinds: Sequence[str] = ("429", "500", "reset"),
        seed: int = 0,
        retry_after: str | None = "0.1",
        hang: float = 10.0,
        trickle_every: float = 0.2,
        send_usage: bool = True,
        served_model: str | None = None,
        api_key: str | None = None,
        record: bool = True,
        verbose: bool = False,
    ) -> None:
        self.responder: Responder = responder or default_responder
        self.latency = latency
        """Seconds before each answer (time to first byte)."""
        self.chunk_delay = chunk_delay
        """Seconds between stream events."""
        self.faults: list[str | Fault | None] = list(faults)
        self.fault_rate = fault_rate
        self.fault_kinds = list(fault_kinds)
        self.retry_after = retry_after
        self.hang = hang
        self.trickle_every = trickle_every
        self.fault_headers: dict[str, str] = {}
        """Extra headers on every status fault (e.g. ``x-ratelimit-remaining-requests: 0``)."""
        self.redirect_to: str | None = None
        """Origin a 3xx fault points to (``Location`` is it plus the request's path)."""
        """Seconds between the bytes (or SSE comments) of a ``trickle`` fault."""
        self.send_usage = send_usage
        self.served_model = served_model
        """Model name to answer with; None echoes the one asked for."""
        self.api_key = api_key
        """When set, requests without it (Bearer or x-api-key) get a 401."""
        self.record = record
        """Keep every request in ``requests``; a long benchmark may switch it off."""
        self.verbose = verbose
        self.requests: list[Recorded] = []
        self.injected: list[str] = []
        """Kinds of the faults injected so far, in order."""
        self.received = 0
        """Requests received, counted even when ``record`` is off (``GET /_loopback/stats``)."""
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd = HTTPServer(("127.0.0.1", port), Handler)
        self._httpd.app = self
        self._thread: threading.Thread | None = None

    # -- what a vendor module provides ----------------------------------------------------

    @abstractmethod
    def route(self, handler: Handler, method: str, path: str, body: Any) -> None:
        """Answer one request (call `serve_generation` for the chat endpoint)."""

    @abstractmethod
    def error_body(self, status: int, message: str) -> dict[str, Any]: ...

    @abstractmethod
    def reply_for(self, body: dict[str, Any]) -> Reply: ...

    @abstractmethod
    def completion_json(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]: ...

    @abstractmethod
    def stream_events(self, body: dict[str, Any], reply: Reply) -> list[bytes]: ...

    @abstractmethod
    def stream_error_event(self) -> bytes: ...

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in latency/hang
        self._httpd.shutdown()
        self._httpd.server_close()
        for connection in list(self._connections):  # idle keep-alive connections
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- shared request handling ----------------------------------------------------------

    def make_reply(
        self,
        body: dict[str, Any],
        *,
        prompt: Iterable[str],
        max_tokens: int | None,
        stop: Sequence[str],
    ) -> Reply:
        """Run the responder, then cut at the first stop sequence and at ``max_tokens`` words."""
        text = self.responder(body)
        finish: Finish = "end"
        hit = None
        cuts = [(text.find(s), s) for s in stop if s and s in text]
        if cuts:
            position, hit = min(cuts)
            text, finish = text[:position], "stop_sequence"
        if max_tokens is not None and words(text) > max_tokens:
            text = "".join(pieces(text)[:max_tokens]).rstrip()
            finish, hit = "length", None
        model = self.served_model or str(body.get("model", ""))
        return Reply(text, finish, hit, sum(words(p) for p in prompt), words(text), model)

    def _dispatch(self, handler: Handler) -> None:
        path = handler.path.split("?", 1)[0]
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            handler.send_json(400, self.error_body(400, "request body is not JSON"))
            return
        if path.endswith("/_loopback/stats"):  # for benchmarks whose server runs in another process
            handler.send_json(200, {"received": self.received, "injected": self.injected})
            return
        if path.endswith("/_loopback/requests"):  # the bodies received (when recording)
            with self._lock:
                bodies = [r.json for r in self.requests]
            handler.send_json(200, {"bodies": bodies})
            return
        with self._lock:
            self.received += 1
            if self.record:
                self.requests.append(Recorded(handler.command, path, headers, body))
        if self.api_key and self.api_key not in (
            headers.get("x-api-key"),
            headers.get("authorization", "").removeprefix("Bearer "),
        ):
            handler.send_json(401, self.error_body(401, "invalid x-api-key"))
            return
        try:
            self.route(handler, handler.command, path, body)
        except Exception as error:  # a broken responder: say so, as a 500, and show the trace
            traceback.print_exc()
            handler.send_json(500, self.error_body(500, f"loopback responder failed: {error}"))

    def _next_fault(self) -> Fault | None:
        with self._lock:
            fault = None
            if self.faults:
                fault = Fault.parse(self.faults.pop(0))
            elif self.fault_rate and self._rng.random() < self.fault_rate:
                fault = Fault.parse(self._rng.choice(self.fault_kinds))
            if fault is not None:
                self.injected.append(fault.kind)
        return fault

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def serve_generation(self, handler: Handler, body: dict[str, Any]) -> None:
        """The chat endpoint: faults first, then a JSON or SSE answer built by the vendor hooks."""
        fault = self._next_fault()
        self._pause(self.latency)
        kind = fault.kind if fault else None
        if kind == "reset":
            return handler.abort()
        if kind == "timeout":
            self._pause(self.hang)
            return handler.abort()
        if fault and kind and kind.isdigit():
            status = int(kind)
            headers = dict(self.fault_headers)
            retry_after = fault.retry_after or (self.retry_after if status == 429 else None)
            if retry_after is not None:
                headers["Retry-After"] = retry_after
            if fault.retry_after_ms is not None:
                headers["retry-after-ms"] = fault.retry_after_ms
            if 300 <= status < 400 and self.redirect_to:
                headers["Location"] = self.redirect_to + handler.path
            return handler.send_json(status, self.error_body(status, "injected fault"), headers)

        reply = self.reply_for(body)
        if kind == "trickle":
            return self._trickle(handler, body, reply)
        if not body.get("stream"):
            data = json.dumps(self.completion_json(body, reply)).encode()
            if kind == "malformed":
                return handler.send_bytes(200, data[: len(data) // 2])
            if kind in ("cut", "truncate"):
                handler.send_bytes(200, data[: len(data) // 2], length=len(data))
                return handler.abort()
            return handler.send_bytes(200, data)

        events = self.stream_events(body, reply)
        handler.start_stream()
        if kind in ("cut", "truncate", "malformed", "stream_error"):
            events = events[: max(2, len(events) // 2)]
        for event in events:
            handler.send_chunk(event)
            self._pause(self.chunk_delay)
        if kind == "cut":
            return handler.abort()
        if kind == "malformed":
            # Named, so the Anthropic SDK (which skips unnamed events) parses it too.
            handler.send_chunk(b'event: content_block_delta\ndata: {"type": "content_bl\n\n')
        if kind == "stream_error":
            handler.send_chunk(self.stream_error_event())
        handler.end_stream()

    def _trickle(self, handler: Handler, body: dict[str, Any], reply: Reply) -> None:
        """Never finish, and never fall silent long enough for a read timeout: until the
        client hangs up or the server stops."""
        with contextlib.suppress(OSError):  # the client hanging up is how this ends
            self._trickle_forever(handler, body, reply)

    def _trickle_forever(self, handler: Handler, body: dict[str, Any], reply: Reply) -> None:
        if body.get("stream"):
            handler.start_stream()
            handler.send_chunk(self.stream_events(body, reply)[0])
            while not self._stopping.is_set():
                self._pause(self.trickle_every)
                handler.send_chunk(b": trickle\n\n")
                handler.wfile.flush()
            return
        data = json.dumps(self.completion_json(body, reply)).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data) + 10**9))
        handler.end_headers()
        padded = itertools.chain(data, itertools.repeat(ord(" ")))  # JSON allows the spaces
        for byte in padded:
            if self._stopping.is_set():
                return
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            self._pause(self.trickle_every)


def main(server_class: type[LoopbackServer], argv: Sequence[str] | None = None) -> None:
    """``python -m tests.loopback.<vendor>_server --port N``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=server_class.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--faults", default="", help="comma-separated, e.g. 429,500,cut")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--api-key", default=None, help="require this key")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--no-record", action="store_true", help="keep no request bodies")
    parser.add_argument(
        "--responder",
        default="echo",
        metavar="echo|MODEL",
        help="echo (deterministic) or a playground model string such as local/smollm2",
    )
    args = parser.parse_args(argv)
    server = server_class(
        port=args.port,
        latency=args.latency,
        faults=[f for f in args.faults.split(",") if f],
        fault_rate=args.fault_rate,
        seed=args.seed,
        api_key=args.api_key,
        verbose=args.verbose,
        record=not args.no_record,
        responder=None if args.responder == "echo" else model_responder(args.responder),
    )
    with server:
        print(f"{server_class.__name__} on {server.base_url} (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
