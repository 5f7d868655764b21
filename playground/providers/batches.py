"""Provider batch engines: submit many calls as one OpenAI Batch (files + batches) or Anthropic
Message Batch, ask how it stands, and read its results back as `Completion`s at the batch price.

An engine shapes each request exactly as the seat's model would for a direct call (the model's
own ``_request``), so a turn answered through a batch is the same call, only cheaper and later.
Which calls go into a batch, and when, is decided above (`playground.experiments.batching`).
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from .base import Completion, GenerateConfig, Message, Model, ProviderError, Usage
from .http import http_client
from .pricing import batch_cost
from .remote import RETRYABLE_STATUS, RemoteModel, client_for_loop

RESULTS_BYTES = 512 << 20
"""A batch's result files may be far larger than one reply: cap them at 512 MB (OpenAI allows
200 MB of input per batch)."""


class BatchState(BaseModel):
    """How a submitted batch stands, in the provider's words and counted."""

    id: str
    status: str = Field(description="The provider's own status word (in_progress, ended, …).")
    ended: bool = Field(description="No request in it will change any more.")
    total: int = 0
    succeeded: int = 0
    failed: int = Field(0, description="Errored, expired or cancelled requests.")


@dataclass(frozen=True)
class ItemError:
    """One request of a batch that produced no completion."""

    message: str
    retryable: bool
    """Whether sending the same request again may succeed (expired, cancelled, a server error)."""


Outcome = Completion | ItemError


class BatchEngine(ABC):
    """One provider's batch API, reached with the credentials and endpoint of ``model``."""

    provider: ClassVar[str]

    def __init__(self, model: RemoteModel) -> None:
        self.model = model

    @property
    def key(self) -> tuple[str, str]:
        """Calls with the same key may share a batch (same provider, endpoint and key)."""
        return (self.provider, str(hash((self.model._endpoint, self.model._api_key))))

    def body(self, messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
        """The request body, exactly as a direct call would send it."""
        return self.model._request(messages, config)  # type: ignore[attr-defined]

    def _client(self) -> Any:
        model = self.model
        key = ("batch", model.provider, model._endpoint, model._api_key, model.timeout)
        read_timeout = min(model.timeout, 120.0)
        return client_for_loop(
            key,
            lambda: model.client_class(
                api_key=model._api_key.get_secret_value(),
                base_url=model._endpoint.get_secret_value() or None,
                max_retries=2,  # a poll that meets a 5xx tries again rather than failing a wave
                timeout=read_timeout,
                http_client=http_client(max_reply_chars=RESULTS_BYTES // 256, timeout=read_timeout),
            ),
        )

    async def _bounded(self, what: str, call: Any) -> Any:
        """Every network call of an engine ends within the model's deadline."""
        try:
            async with asyncio.timeout(self.model.timeout):
                return await call
        except TimeoutError:
            raise ProviderError(
                f"{self.model.model_string}: {what} did not answer within {self.model.timeout:g} s"
            ) from None

    def _priced(self, completion: Completion) -> Completion:
        usage = completion.usage
        completion.usage = Usage(
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=batch_cost(self.provider, usage.cost_usd),
        )
        return completion

    async def find(self, label: str) -> str | None:
        """The provider's id of a batch submitted under ``label`` whose id was never recorded
        (a kill between submitting and recording); None when it cannot tell or finds none."""
        return None

    @abstractmethod
    async def submit(self, requests: list[tuple[str, dict[str, Any]]], label: str) -> str:
        """Send ``(custom_id, body)`` pairs as one batch; the provider's batch id."""

    @abstractmethod
    async def state(self, batch_id: str) -> BatchState: ...

    @abstractmethod
    async def results(self, batch_id: str) -> tuple[dict[str, Outcome], ItemError]:
        """What each request of an ended batch produced, by custom_id, and what a request
        with no result there counts as."""


class OpenAIBatches(BatchEngine):
    """The OpenAI Batch API: a JSONL file of requests uploaded with purpose ``batch``, a batch
    over it, and output/error files of results (chat.completions endpoint)."""

    provider = "openai"
    ENDED: ClassVar[frozenset[str]] = frozenset({"completed", "failed", "expired", "cancelled"})

    async def submit(self, requests: list[tuple[str, dict[str, Any]]], label: str) -> str:
        client = self._client()
        lines = (
            json.dumps(
                {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body}
            )
            for cid, body in requests
        )
        data = ("\n".join(lines) + "\n").encode()
        upload = await self._bounded(
            "file upload",
            client.files.create(file=(f"{label}.jsonl", data), purpose="batch"),
        )
        batch = await self._bounded(
            "batch creation",
            client.batches.create(
                input_file_id=upload.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"playground_batch": label},
            ),
        )
        return str(batch.id)

    async def find(self, label: str) -> str | None:
        async def search() -> str | None:
            page = await self._client().batches.list(limit=100)
            for batch in page.data:  # the newest 100: a kill mid-submit is recent
                if (batch.metadata or {}).get("playground_batch") == label:
                    return str(batch.id)
            return None

        return await self._bounded("batch list", search())

    async def state(self, batch_id: str) -> BatchState:
        batch = await self._bounded("batch status", self._client().batches.retrieve(batch_id))
        counts = batch.request_counts
        return BatchState(
            id=batch_id,
            status=batch.status,
            ended=batch.status in self.ENDED,
            total=counts.total if counts else 0,
            succeeded=counts.completed if counts else 0,
            failed=counts.failed if counts else 0,
        )

    async def results(self, batch_id: str) -> tuple[dict[str, Outcome], ItemError]:
        client = self._client()
        batch = await self._bounded("batch status", client.batches.retrieve(batch_id))
        outcomes: dict[str, Outcome] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await self._bounded("batch results", client.files.content(file_id))
            for line in content.text.splitlines():
                if line.strip():
                    custom_id, outcome = self._outcome(json.loads(line))
                    outcomes[custom_id] = outcome
        return outcomes, self._missing(batch)

    def _missing(self, batch: Any) -> ItemError:
        if batch.status == "failed":  # the input file was refused as a whole
            errors = batch.errors.data if batch.errors and batch.errors.data else []
            reason = "; ".join(f"{e.code}: {e.message}" for e in errors)[:300] or "no reason"
            return ItemError(f"the batch failed validation ({reason})", False)
        return ItemError(f"the batch ended {batch.status} without a result for it", True)

    def _outcome(self, line: dict[str, Any]) -> tuple[str, Outcome]:
        import openai.types.chat

        custom_id = str(line.get("custom_id"))
        response = line.get("response") or {}
        error = line.get("error")
        status = response.get("status_code")
        if status == 200:
            parsed = openai.types.chat.ChatCompletion.model_validate(response.get("body"))
            return custom_id, self._priced(self.model._from_response(parsed))  # type: ignore[attr-defined]
        if error:  # batch_expired, batch_cancelled: never attempted, worth sending again
            return custom_id, ItemError(f"{error.get('code')}: {error.get('message')}", True)
        body = (response.get("body") or {}).get("error") or {}
        retryable = isinstance(status, int) and (status in RETRYABLE_STATUS or status >= 500)
        return custom_id, ItemError(
            f"HTTP {status}: {body.get('message', 'no message')}", retryable
        )


class AnthropicBatches(BatchEngine):
    """Anthropic Message Batches: one create call carrying every request, then results as JSONL
    (succeeded, errored, expired or canceled per request)."""

    provider = "anthropic"
    RETRYABLE: ClassVar[frozenset[str]] = frozenset(
        {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}
    )

    async def submit(self, requests: list[tuple[str, dict[str, Any]]], label: str) -> str:
        batch = await self._bounded(
            "batch creation",
            self._client().messages.batches.create(
                requests=[{"custom_id": cid, "params": body} for cid, body in requests]
            ),
        )
        return str(batch.id)

    async def state(self, batch_id: str) -> BatchState:
        batch = await self._bounded(
            "batch status", self._client().messages.batches.retrieve(batch_id)
        )
        c = batch.request_counts
        failed = c.errored + c.expired + c.canceled
        return BatchState(
            id=batch_id,
            status=batch.processing_status,
            ended=batch.processing_status == "ended",
            total=c.processing + c.succeeded + failed,
            succeeded=c.succeeded,
            failed=failed,
        )

    async def results(self, batch_id: str) -> tuple[dict[str, Outcome], ItemError]:
        async def read() -> dict[str, Outcome]:
            outcomes: dict[str, Outcome] = {}
            async for entry in await self._client().messages.batches.results(batch_id):
                outcomes[entry.custom_id] = self._outcome(entry.result)
            return outcomes

        outcomes = await self._bounded("batch results", read())
        return outcomes, ItemError("the batch ended without a result for it", True)

    def _outcome(self, result: Any) -> Outcome:
        if result.type == "succeeded":
            message = result.message
            resolved = getattr(message, "model", None) or None
            return self._priced(
                Completion(
                    text="".join(b.text for b in message.content if b.type == "text"),
                    usage=self.model._usage(message.usage, resolved),  # type: ignore[attr-defined]
                    resolved_model=resolved,
                    finish_reason=message.stop_reason,
                )
            )
        if result.type == "errored":
            error = result.error.error
            return ItemError(f"{error.type}: {error.message}", error.type in self.RETRYABLE)
        return ItemError(f"the request was {result.type} before it ran", True)


ENGINES: dict[str, type[BatchEngine]] = {"openai": OpenAIBatches, "anthropic": AnthropicBatches}


def engine_for(model: Model, role: str) -> BatchEngine:
    """The batch engine for a seat's model; `ProviderError` in one line when it has none."""
    engine = ENGINES.get(model.provider)
    if engine is None or not isinstance(model, RemoteModel):
        kind = "a person's seat" if model.provider == "human" else f"provider {model.provider!r}"
        raise ProviderError(
            f"roles.{role}: {model.model_string} cannot run in a batch: {kind} has no batch API "
            f"(batch runs need openai/… or anthropic/… in every seat)"
        )
    return engine(model)
