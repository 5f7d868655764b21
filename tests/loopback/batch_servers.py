"""Loopback imitations of the providers' batch engines, for tests and benchmarks on 127.0.0.1:
OpenAI's Batch API (``/v1/files`` upload and content, ``/v1/batches`` create and retrieve) and
Anthropic's Message Batches (``/v1/messages/batches`` create, retrieve and results).

Shapes follow the published API references: an OpenAI batch moves validating → in_progress →
completed (or expired), with successes in an output file and failures in an error file, one
JSON line per request (``custom_id``, ``response.status_code``/``body`` or ``error.code``); an
Anthropic batch is ``in_progress`` until ``ended``, and its results are JSON lines of
``{"custom_id", "result": {"type": "succeeded"|"errored"|"expired"|"canceled", …}}``.

A batch ends after ``polls`` status reads. ``item_faults`` is consumed one per request as
batches are processed: None/"ok" answers, "500" is a server error, "400" an invalid request,
"expired" a request the window closed on. ``expire_batches`` makes the next N batches end as
expired: their first half is answered, the rest expires.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from .anthropic_server import AnthropicServer
from .openai_server import OpenAIServer
from .shapes import Recorded
from .transport import Handler

_ids = itertools.count(1)


class BatchJobs:
    """What both imitations share: stored batches, polls until done, per-request faults."""

    def __init__(self, polls: int = 1) -> None:
        self.polls = polls
        """Status reads a batch answers ``in_progress`` before it ends."""
        self.item_faults: list[str | None] = []
        self.expire_batches = 0
        self.hold_from: int | None = None
        """Batches from this one on (0 = the first created) stay in progress while it is set."""
        self.jobs: dict[str, dict[str, Any]] = {}
        """Batch id → {"requests": [(custom_id, body)], "reads": n, "results": … once ended}."""
        self.created: list[str] = []
        """Batch ids in the order they were created."""
        self.lock = threading.Lock()

    def add(self, prefix: str, requests: list[tuple[str, dict[str, Any]]]) -> str:
        batch_id = f"{prefix}{next(_ids):06d}"
        with self.lock:
            self.jobs[batch_id] = {"requests": requests, "reads": 0, "results": None}
            self.created.append(batch_id)
        return batch_id

    def advance(self, batch_id: str) -> dict[str, Any]:
        """Count one status read; once there were enough, decide every request's fate."""
        with self.lock:
            job = self.jobs[batch_id]
            job["reads"] += 1
            held = self.hold_from is not None and self.created.index(batch_id) >= self.hold_from
            if job["results"] is None and job["reads"] > self.polls and not held:
                expire = self.expire_batches > 0
                self.expire_batches -= expire
                half = (len(job["requests"]) + 1) // 2
                fates = []
                for n, (cid, body) in enumerate(job["requests"]):
                    fault = "expired" if expire and n >= half else None
                    if fault is None and self.item_faults:
                        fault = self.item_faults.pop(0)
                    fates.append((cid, body, fault or "ok"))
                job["results"] = fates
                job["expired"] = expire
            return job

    def requests_sent(self) -> int:
        return sum(len(job["requests"]) for job in self.jobs.values())


def _multipart(headers: Any, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body: name → (filename, content)."""
    head = f"Content-Type: {headers.get('Content-Type')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return parts


class OpenAIBatchServer(OpenAIServer):
    """Loopback OpenAI server with the Files and Batch APIs (chat.completions batches)."""

    def __init__(self, *, polls: int = 1, **options: Any) -> None:
        super().__init__(**options)
        self.batches = BatchJobs(polls)
        self.files: dict[str, tuple[str, str, bytes]] = {}
        """File id → (filename, purpose, content)."""
        self.batch_objects: dict[str, dict[str, Any]] = {}

    def _dispatch(self, handler: Handler) -> None:
        path = handler.path.split("?", 1)[0]
        if handler.command == "POST" and path == "/v1/files":  # multipart, not JSON
            length = int(handler.headers.get("Content-Length") or 0)
            raw = handler.rfile.read(length)
            with self._lock:
                self.received += 1
                self.requests.append(Recorded("POST", path, dict(handler.headers), None))
            return self._upload(handler, raw)
        return super()._dispatch(handler)

    def _upload(self, handler: Handler, raw: bytes) -> None:
        parts = _multipart(handler.headers, raw)
        if "file" not in parts or "purpose" not in parts:
            return handler.send_json(400, self.error_body(400, "file and purpose are required"))
        filename, content = parts["file"]
        purpose = parts["purpose"][1].decode()
        file_id = f"file-loopback{next(_ids):06d}"
        self.files[file_id] = (filename or "upload", purpose, content)
        handler.send_json(200, self._file_object(file_id))

    def _file_object(self, file_id: str) -> dict[str, Any]:
        filename, purpose, content = self.files[file_id]
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }

    def route(self, handler: Handler, method: str, path: str, body: Any) -> None:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/batches" and isinstance(body, dict):
            return self._create(handler, body)
        if method == "GET" and path == "/v1/batches":  # newest first, one page
            data = list(reversed(self.batch_objects.values()))
            first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
            page = {"object": "list", "data": data, "first_id": first, "last_id": last}
            return handler.send_json(200, {**page, "has_more": False})
        if method == "GET" and len(parts) == 3 and parts[1] == "batches":
            return self._retrieve(handler, parts[2])
        if method == "GET" and len(parts) == 4 and parts[1] == "files" and parts[3] == "content":
            if parts[2] not in self.files:
                return handler.send_json(404, self.error_body(404, f"no file {parts[2]}"))
            return handler.send_bytes(200, self.files[parts[2]][2])
        return super().route(handler, method, path, body)

    def _create(self, handler: Handler, body: dict[str, Any]) -> None:
        file_id = body.get("input_file_id")
        if file_id not in self.files or self.files[file_id][1] != "batch":
            return handler.send_json(400, self.error_body(400, f"no batch file {file_id!r}"))
        if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
            return handler.send_json(400, self.error_body(400, "unsupported endpoint or window"))
        lines = [json.loads(x) for x in self.files[file_id][2].decode().splitlines() if x.strip()]
        requests = [(line["custom_id"], line["body"]) for line in lines]
        batch_id = self.batches.add("batch_loopback", requests)
        now = int(time.time())
        self.batch_objects[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": file_id,
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "expires_at": now + 86400,
            "request_counts": {"total": len(requests), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        handler.send_json(200, self.batch_objects[batch_id])

    def _retrieve(self, handler: Handler, batch_id: str) -> None:
        if batch_id not in self.batch_objects:
            return handler.send_json(404, self.error_body(404, f"no batch {batch_id}"))
        obj = self.batch_objects[batch_id]
        job = self.batches.advance(batch_id)
        if job["results"] is None:
            obj["status"] = "in_progress"
            obj.setdefault("in_progress_at", int(time.time()))
        elif obj["output_file_id"] is None and obj["error_file_id"] is None:
            self._finish(obj, job)
        handler.send_json(200, obj)

    def _finish(self, obj: dict[str, Any], job: dict[str, Any]) -> None:
        output, errors = [], []
        for cid, body, fate in job["results"]:
            line: dict[str, Any] = {"id": f"batch_req_{next(_ids)}", "custom_id": cid}
            if fate == "ok":
                reply = self.completion_json(body, self.reply_for(body))
                response = {"status_code": 200, "request_id": "req_lb", "body": reply}
                output.append({**line, "response": response, "error": None})
            elif fate == "expired":
                message = "This request could not be executed before the completion window expired."
                error = {"code": "batch_expired", "message": message}
                errors.append({**line, "response": None, "error": error})
            else:
                status = int(fate)
                response = {
                    "status_code": status,
                    "request_id": "req_lb",
                    "body": self.error_body(status, "injected fault"),
                }
                errors.append({**line, "response": response, "error": None})
        for name, rows in (("output_file_id", output), ("error_file_id", errors)):
            if rows:
                file_id = f"file-loopback{next(_ids):06d}"
                data = "".join(json.dumps(r) + "\n" for r in rows).encode()
                self.files[file_id] = (f"{obj['id']}_{name}.jsonl", "batch_output", data)
                obj[name] = file_id
        now = int(time.time())
        obj["status"] = "expired" if job["expired"] else "completed"
        obj["expired_at" if job["expired"] else "completed_at"] = now
        obj["request_counts"] = {
            "total": len(job["results"]),
            "completed": len(output),
            "failed": len(errors),
        }


def _rfc3339(epoch: float | None = None) -> str:
    return datetime.fromtimestamp(epoch or time.time(), UTC).isoformat().replace("+00:00", "Z")


class AnthropicBatchServer(AnthropicServer):
    """Loopback Anthropic server with Message Batches."""

    def __init__(self, *, polls: int = 1, **options: Any) -> None:
        super().__init__(**options)
        self.batches = BatchJobs(polls)
        self.created_at: dict[str, float] = {}

    def route(self, handler: Handler, method: str, path: str, body: Any) -> None:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/messages/batches" and isinstance(body, dict):
            return self._create(handler, body)
        if method == "GET" and len(parts) == 4 and parts[:3] == ["v1", "messages", "batches"]:
            return self._retrieve(handler, parts[3])
        if method == "GET" and len(parts) == 5 and parts[4] == "results":
            return self._results(handler, parts[3])
        return super().route(handler, method, path, body)

    def _create(self, handler: Handler, body: dict[str, Any]) -> None:
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            return handler.send_json(400, self.error_body(400, "requests: Field required"))
        pairs = [(str(r["custom_id"]), r["params"]) for r in requests]
        if len({cid for cid, _ in pairs}) != len(pairs):
            return handler.send_json(400, self.error_body(400, "custom_id values must be unique"))
        batch_id = self.batches.add("msgbatch_loopback", pairs)
        self.created_at[batch_id] = time.time()
        handler.send_json(200, self._object(batch_id, self.batches.jobs[batch_id]))

    def _object(self, batch_id: str, job: dict[str, Any]) -> dict[str, Any]:
        created = self.created_at[batch_id]
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        ended = job["results"] is not None
        if not ended:
            counts["processing"] = len(job["requests"])
        else:
            for _, _, fate in job["results"]:
                key = {"ok": "succeeded", "expired": "expired"}.get(fate, "errored")
                counts[key] += 1
        return {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "created_at": _rfc3339(created),
            "expires_at": _rfc3339(created + 86400),
            "ended_at": _rfc3339() if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch_id}/results"
            if ended
            else None,
        }

    def _retrieve(self, handler: Handler, batch_id: str) -> None:
        if batch_id not in self.batches.jobs:
            return handler.send_json(404, self.error_body(404, f"no batch {batch_id}"))
        job = self.batches.jobs[batch_id]
        # the SDK's results() reads the batch first: only count reads while it runs
        if job["results"] is None:
            job = self.batches.advance(batch_id)
        handler.send_json(200, self._object(batch_id, job))

    def _results(self, handler: Handler, batch_id: str) -> None:
        job = self.batches.jobs.get(batch_id)
        if job is None or job["results"] is None:
            return handler.send_json(404, self.error_body(404, f"no results for {batch_id}"))
        lines = []
        for cid, params, fate in job["results"]:
            problem = self._invalid(handler, params) if fate == "ok" else None
            if fate == "ok" and problem is None:
                message = self.completion_json(params, self.reply_for(params))
                result: dict[str, Any] = {"type": "succeeded", "message": message}
            elif fate == "expired":
                result = {"type": "expired"}
            else:
                status = 400 if problem else int(fate)
                error = self.error_body(status, problem or "injected fault")
                result = {"type": "errored", "error": error}
            lines.append(json.dumps({"custom_id": cid, "result": result}) + "\n")
        handler.send_bytes(200, "".join(lines).encode())
