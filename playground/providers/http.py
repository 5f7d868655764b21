"""The HTTP client under the vendor SDKs: redirects are never followed (a key header would go
along to the new host) and a reply body is cut off past a byte cap, counted after decompression
so a small compressed body cannot unpack into gigabytes."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

import httpx2

from .base import ReplyTooLong

ACCEPTED_ENCODINGS = "gzip, deflate"
"""The only content encodings asked for, and decoded here under the cap."""

BYTES_PER_CHAR = 256
"""Body bytes allowed per reply character: a streamed delta of a few characters costs ~200
bytes of SSE framing and JSON, so the body cap is this times the reply's character cap."""

MIN_BODY_BYTES = 1 << 20

LIMITS = httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
"""The connection pool the SDKs give themselves (httpx's own default, 100, is lower)."""


def body_cap(max_reply_chars: int) -> int:
    """The byte cap on a reply body for a character cap."""
    return max(MIN_BODY_BYTES, BYTES_PER_CHAR * max_reply_chars)


class _CappedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, encoding: str, max_bytes: int) -> None:
        self._inner = inner
        self._max = max_bytes
        self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding else None

    def _too_long(self) -> ReplyTooLong:
        return ReplyTooLong(f"the reply body passed {self._max} bytes and was cut off")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for raw in self._inner:
            if self._decoder is None:
                part = raw
            else:
                try:  # never inflate more than one byte past the cap
                    part = self._decoder.decompress(raw, self._max - seen + 1)
                except zlib.error as error:
                    raise httpx2.DecodingError(f"bad compressed body: {error}") from None
            seen += len(part)
            if seen > self._max:
                raise self._too_long()
            yield part

    async def aclose(self) -> None:
        await self._inner.aclose()


class CappedTransport(httpx2.AsyncBaseTransport):
    """Wraps the default transport; decodes gzip/deflate itself (under the cap) so httpx does
    not inflate anything unbounded afterwards."""

    def __init__(self, max_bytes: int, inner: httpx2.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx2.AsyncHTTPTransport(limits=LIMITS)
        self._max = max_bytes

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding in ("", "identity"):
            encoding = ""
        elif encoding not in ("gzip", "deflate"):
            await response.aclose()
            raise httpx2.DecodingError(f"unasked-for content-encoding {encoding!r}")
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"content-encoding"]
        if encoding:  # the length was of the compressed body
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        return httpx2.Response(
            status_code=response.status_code,
            headers=headers,
            stream=_CappedStream(response.stream, encoding, self._max),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def http_client(*, max_reply_chars: int, timeout: float) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` for one SDK client: the SDKs' pool size, no redirects, the
    body cap, and ``timeout`` per network operation."""
    return httpx2.AsyncClient(
        transport=CappedTransport(body_cap(max_reply_chars)),
        follow_redirects=False,
        timeout=timeout,
        headers={"Accept-Encoding": ACCEPTED_ENCODINGS},
    )
