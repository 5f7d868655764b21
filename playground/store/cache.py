"""The response cache: a model call answered once is answered again from the store.

The key covers everything that determines a call: provider, model, the whole endpoint (query
string included), a hash of the role's ``init`` (a langchain model's constructor arguments),
every generation parameter (seed included) and the exact messages. Only the key's sha256 is
stored, never the endpoint or the init themselves. Re-running an identical experiment with the
cache on makes no model calls; turns answered from it are marked ``cached``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..providers import Completion, GenerateConfig, Message, Model, Usage
from ..providers.base import TokenLogprob
from ..records import utcnow
from .writes import describe, log

if TYPE_CHECKING:
    from . import Store


def cache_key(
    model: Model, messages: Sequence[Message], config: GenerateConfig, sample: int = 0
) -> str:
    """``sample`` tells apart deliberate repeats of one call (best-of-N candidates), which must
    not answer each other from the cache."""
    payload: dict[str, object] = {
        "model": model.model_string,
        "base_url": endpoint(model),
        "params": config.params(),
        "messages": [[m.role, m.content] for m in messages],
    }
    init = init_hash(model)
    if init:  # absent rather than empty, so keys of models built without options stay valid
        payload["init"] = init
    if sample:
        payload["sample"] = sample
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def endpoint(model: Model) -> str | None:
    """The URL the model calls, exactly as configured (a query string such as Azure's
    ``api-version`` selects what answers): the model's own ``base_url``, not the scrubbed one
    its provenance shows (remote models keep it as a `SecretStr`). It only enters the key's
    hash."""
    return model.endpoint or model.describe().get("base_url")


def init_hash(model: Model) -> str | None:
    """A sha256 of what the role's ``init`` made of the model: ``model.init`` when the provider
    records its options, else a langchain model's constructor fields as given (``chat_model``,
    fields set by the caller). None when there is nothing to tell two such models apart."""
    init = model.init
    if not init:
        return None
    canonical = json.dumps(init, sort_keys=True, ensure_ascii=False, default=_opaque)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _opaque(value: object) -> str:
    secret = getattr(value, "get_secret_value", None)  # pydantic SecretStr: its value counts
    if callable(secret):
        return f"secret:{hashlib.sha256(str(secret()).encode()).hexdigest()}"
    return f"{type(value).__module__}.{type(value).__qualname__}"


class ResponseCache:
    """Cached completions in the store's ``response_cache`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.table = store.response_cache
        # built once: a fresh select per call costs more CPU than the lookup itself
        self._select = sa.select(self.table.c.response).where(
            self.table.c.key == sa.bindparam("key")
        )

    def lookup(
        self, model: Model, messages: Sequence[Message], config: GenerateConfig, sample: int = 0
    ) -> tuple[str, Completion | None]:
        """The call's key and its cached completion, if there is one. A cached completion
        costs nothing now: its cost is 0 and its latency 0; token counts are the original's.
        A model that is not ``cacheable`` (a person) is never looked up or stored."""
        if not model.cacheable:
            return "", None
        key = cache_key(model, messages, config, sample)
        completion = self.get(key)
        if completion is not None:
            completion.usage.cost_usd = 0.0
        return key, completion

    def get(self, key: str) -> Completion | None:
        """The cached completion; None on a miss, and when the store cannot be read (the call
        is then made: the cache is an economy, never a reason to fail)."""
        try:
            with self.store.engine.connect() as conn:
                row = conn.execute(self._select, {"key": key}).first()
        except sa.exc.DBAPIError as error:
            log.warning("response cache not read (the call is made): %s", describe(error))
            return None
        if row is None:
            return None
        data = row.response
        return Completion(
            text=data["text"],
            usage=Usage(
                input_tokens=data.get("input_tokens"),
                output_tokens=data.get("output_tokens"),
                cost_usd=data.get("cost_usd"),
            ),
            latency_ms=0.0,
            resolved_model=data.get("resolved_model"),
            finish_reason=data.get("finish_reason"),
            logprobs=[TokenLogprob.model_validate(t) for t in data["logprobs"]]
            if data.get("logprobs") is not None
            else None,
            reasoning=data.get("reasoning"),
            reasoning_tokens=data.get("reasoning_tokens"),
        )

    def put(self, key: str, model: Model, completion: Completion) -> None:
        if not model.cacheable:
            return
        response: dict[str, Any] = {
            "text": completion.text,
            "input_tokens": completion.usage.input_tokens,
            "output_tokens": completion.usage.output_tokens,
            "cost_usd": completion.usage.cost_usd,
            "resolved_model": completion.resolved_model,
            "finish_reason": completion.finish_reason,
        }
        if completion.logprobs is not None:  # absent otherwise: older entries read the same
            response["logprobs"] = [t.model_dump() for t in completion.logprobs]
        if completion.reasoning is not None:
            response["reasoning"] = completion.reasoning
        if completion.reasoning_tokens is not None:
            response["reasoning_tokens"] = completion.reasoning_tokens
        try:
            with self.store.engine.begin() as conn:
                conn.execute(
                    self.table.insert(),
                    {
                        "key": key,
                        "model": model.model_string,
                        "response": response,
                        "created_at": utcnow(),
                    },
                )
        except sa.exc.IntegrityError:
            pass  # the same call finished twice at once: the first answer is kept
        except sa.exc.DBAPIError as error:
            # best effort: a locked or failing store must not turn a paid, good completion
            # into an error; the turn itself is written (and retried) by the store's sink
            log.warning("response not cached (the turn is kept): %s", describe(error))
