"""Plumbing shared by the providers that reach a model over HTTP through a vendor SDK.

Keys, URLs that are safe to log, which failures are worth retrying, Retry-After, and one SDK
client per event loop. The OpenAI and Anthropic modules differ only in how they shape requests.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx2
from pydantic import SecretStr

from .base import DEFAULT_MAX_REPLY_CHARS, DEFAULT_TIMEOUT, Model, ProviderError, check_limits
from .catalog import PROVIDERS
from .credentials import note_key_variable
from .http import http_client
from .pricing import price_for

if TYPE_CHECKING:
    from .credentials import Credentials

T = TypeVar("T")

PLACEHOLDER_KEY = "no-key-needed"
"""Sent to servers that need no key (Ollama, vLLM, llama.cpp): the SDKs refuse an empty one."""

RETRYABLE_STATUS = frozenset({408, 429})
"""Besides every 5xx (529 is Anthropic's "overloaded")."""

HOPELESS_CODES = frozenset(
    {"insufficient_quota", "contract_spend_limit_reached", "enforced_spend_limit_reached"}
)
"""429s that mean "out of money", not "slow down": retrying cannot help."""


class MalformedResponse(ProviderError):
    """The server answered 200 but with something that is not a usable completion."""


class StreamCut(ProviderError):
    """The stream ended before the server said it was finished."""


def require_key(
    credentials: Credentials,
    provider: str,
    *,
    env_var: str,
    model: str,
    base_url: str | None,
    api_key_env: str | None = None,
) -> str:
    """The key to send. ``api_key_env`` names an environment variable holding this server's key
    (for a hosted OpenAI-compatible service). Otherwise `Credentials.key_for` decides: a custom
    server (local or proxy) without a key of its own gets a placeholder; the vendor's own API
    without a key is refused now, in one line, rather than at the first call.
    """
    if api_key_env:
        vendor = next((p for p in PROVIDERS.values() if p.key_env == api_key_env), None)
        if vendor is not None and not vendor.may_receive_vendor_key(base_url):
            raise ProviderError(
                f"{model}: api_key_env names {api_key_env}, {vendor.label}'s own key, which goes "
                f"only to https://{vendor.vendor_host} or to the {vendor.base_url_env} you set"
            )
        key = os.environ.get(api_key_env)
        if not key:
            raise ProviderError(f"{model}: api_key_env names {api_key_env}, which is not set")
        note_key_variable(api_key_env)  # scrubbed from errors and logs from now on
        return key
    key = credentials.key_for(provider, base_url)
    if key:
        return key
    if base_url:
        return PLACEHOLDER_KEY
    raise ProviderError(
        f"{model} needs an API key: set the {env_var} environment variable, add {env_var} to "
        f".streamlit/secrets.toml, or paste it into the page's API key field"
    )


def safe_url(url: str | None) -> str | None:
    """The URL without user:password@, query string or fragment: what provenance may record."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literals lose their brackets in .hostname
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def is_loopback(url: str | None) -> bool:
    """Whether the URL names this machine (a model you serve yourself)."""
    host = urlsplit(url).hostname if url else None
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cost_usd(
    model: str,
    input_tokens: int | None,
    output_tokens: int | None,
    *,
    base_url: str | None,
    cached_input_tokens: int = 0,
) -> float | None:
    """Cost from the pricing table; 0.0 for an unpriced model on this machine; else unknown."""
    if input_tokens is None or output_tokens is None:
        return None
    price = price_for(model)
    if price is not None:
        return price.cost(input_tokens, output_tokens, cached_input_tokens=cached_input_tokens)
    return 0.0 if is_loopback(base_url) else None


def status_of(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def retryable_status(error: BaseException) -> bool | None:
    """True/False for an error that carries an HTTP status, None when it carries none."""
    status = status_of(error)
    if status is None:
        return None
    if status == 429 and _error_code(error) in HOPELESS_CODES:
        return False
    return status in RETRYABLE_STATUS or status >= 500


def _error_code(error: BaseException) -> str | None:
    for attribute in ("code", "error_code"):
        value = getattr(error, attribute, None)
        if isinstance(value, str):
            return value
    return None


def _transport_errors() -> tuple[type[BaseException], ...]:
    # httpx2 is what the SDKs use; plain httpx is checked too when something has loaded it
    # (langchain integrations). A raw transport error escapes while iterating an Anthropic stream.
    errors: list[type[BaseException]] = [
        httpx2.TimeoutException,
        httpx2.NetworkError,
        httpx2.RemoteProtocolError,
        ConnectionError,
        TimeoutError,
        json.JSONDecodeError,
        MalformedResponse,
        StreamCut,
    ]
    legacy = sys.modules.get("httpx")
    if legacy is not None:
        errors += [legacy.TimeoutException, legacy.NetworkError, legacy.RemoteProtocolError]
    return tuple(errors)


def is_transient(error: BaseException) -> bool:
    """A dropped connection, a timeout, a cut stream or a garbled body: worth another try."""
    return isinstance(error, _transport_errors())


def retry_after(error: BaseException) -> float | None:
    """Seconds asked for by ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    headers = getattr(getattr(error, "response", None), "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            if name == "retry-after-ms":
                continue
            try:
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
        if seconds == seconds and seconds != float("inf"):  # not NaN, finite
            return max(seconds, 0.0)
    return None


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, Any]] = (
    weakref.WeakKeyDictionary()
)
_clients_lock = threading.Lock()


def client_for_loop(key: Hashable, build: Callable[[], T]) -> T:
    """One SDK client per (running event loop, key), reused across calls.

    A client carries a connection pool bound to the loop that first used it; Streamlit runs each
    action in a fresh loop, where a cached client fails with "Event loop is closed". A client per
    call is correct but slow (new connections, several ms of setup). The entry goes away with its
    loop.
    """
    loop = asyncio.get_running_loop()
    with _clients_lock:
        per_loop = _clients.setdefault(loop, {})
        client = per_loop.get(key)
        if client is None:
            client = per_loop[key] = build()
    return client


READ_TIMEOUT = 120.0
"""Longest silence on a connection (the SDKs' default, 10 min, would hide a hung server);
the attempt as a whole is bounded by the model's ``deadline``."""


class RemoteModel(Model):
    """A model behind a vendor SDK client: what the OpenAI and Anthropic models share.

    The full base URL (a proxy may need its query or user:password) stays private with the key;
    only the redacted one is public, so neither reaches repr, logs or provenance. One client per
    event loop is reused across calls; the SDK's own retries are off (they live in
    providers.retry, nowhere else).
    """

    client_class: ClassVar[Callable[..., Any]]
    sdk_version: ClassVar[str]
    """The SDK's version, for provenance."""

    def __init__(
        self,
        name: str,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
    ) -> None:
        super().__init__(name, base_url=safe_url(base_url))
        self._endpoint = SecretStr(base_url or "")
        self._api_key = SecretStr(api_key)
        self.timeout = timeout
        self.deadline = timeout
        self.max_reply_chars = max_reply_chars
        self._body_chars = max_reply_chars  # what the HTTP body cap is derived from

    @property
    def endpoint(self) -> str | None:
        return self._endpoint.get_secret_value() or None

    def _client(self) -> Any:
        key = (self.provider, self._endpoint, self._api_key, self.timeout, self._body_chars)
        read_timeout = min(self.timeout, READ_TIMEOUT)
        return client_for_loop(
            key,
            lambda: self.client_class(
                api_key=self._api_key.get_secret_value(),
                base_url=self._endpoint.get_secret_value() or None,
                max_retries=0,
                timeout=read_timeout,
                http_client=http_client(max_reply_chars=self._body_chars, timeout=read_timeout),
            ),
        )

    def retry_after(self, error: BaseException) -> float | None:
        return retry_after(error)

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "sdk": f"{self.provider} {self.sdk_version}"}

    @classmethod
    def create(
        cls,
        name: str,
        *,
        base_url: str | None = None,
        credentials: Credentials,
        timeout: float = DEFAULT_TIMEOUT,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
        api_key_env: str | None = None,
        **options: Any,
    ) -> Model:
        """The provider's factory (see `playground.providers.PROVIDERS`). ``timeout`` is the
        overall deadline of one attempt in seconds; ``max_reply_chars`` caps the reply."""
        model = f"{cls.provider}/{name}"
        check_limits(model, timeout, max_reply_chars)
        if options:
            known = "timeout, max_reply_chars, api_key_env"
            raise ProviderError(
                f"{model}: unknown option(s) {', '.join(sorted(options))} (known: {known})"
            )
        key = require_key(
            credentials,
            cls.provider,
            env_var=PROVIDERS[cls.provider].key_env or "",
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
        )
        return cls(
            name, api_key=key, base_url=base_url, timeout=timeout, max_reply_chars=max_reply_chars
        )
