"""Secrets kept out of the log: what a run's config or a verdict's provenance holds is scrubbed
before it is written, imported or upgraded, so nothing that reads the store (the Runs page, the
JSONL/CSV/Parquet/Markdown exports) can show a key.

- Every URL (``base_url`` and any other ``scheme://`` string) loses its user:password and its
  query string and fragment: ``http://u:p@host:8000/v1?key=x`` → ``http://host:8000/v1``.
- In a role's ``init`` table (constructor arguments of a ``langchain:`` model, provider options)
  a value is replaced by ``[redacted]`` when its name looks like a secret (a word of it is key,
  token, secret, password, credential, auth…; names ending in ``_env`` name a variable and are
  kept) or its value looks like a key (``sk-…``, ``Bearer …``, long random-looking strings).
- The values of environment variables named by any ``api_key_env``, and of variables whose
  names end like ``_API_KEY``/``_TOKEN``/``_SECRET``/``_PASSWORD``, are replaced wherever they
  appear.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"

_SECRET_WORDS = frozenset(
    {
        "key", "apikey", "token", "secret", "password", "passwd", "pwd", "passphrase",
        "credential", "credentials", "auth", "authorization", "bearer", "cookie", "signature",
        "sig",
    }
)  # fmt: skip
_NOT_SECRET_LAST = frozenset({"env", "var"})  # ``api_key_env`` names a variable, not a key
_WORDS = re.compile(r"[_\-\s.]+|(?<=[a-z0-9])(?=[A-Z])")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<rest>[^?#]*)(?:[?#].*)?$", re.S)
_KEY_SHAPE = re.compile(
    r"\b(?:sk|pk|rk|key|token)-[A-Za-z0-9_\-]{8,}"
    r"|\b(?:ghp|gho|ghs|ghu|github_pat|hf|glpat|xox[abprs]|AKIA|AIza)[_\-]?[A-Za-z0-9_\-]{12,}"
    r"|\bBearer\s+\S{8,}"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*)?"
)
_RANDOM = re.compile(r"[A-Za-z0-9_\-+/=.]{24,}")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_SECRET_ENV = re.compile(r"(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.I)
_MIN_SECRET = 8


def secret_name(name: str) -> bool:
    """Whether a setting called ``name`` holds a secret (``api_key``, ``X-Api-Key``,
    ``openai_api_key``, ``password``; not ``api_key_env`` or ``max_tokens``)."""
    words = [w.lower() for w in _WORDS.split(str(name)) if w]
    if not words or words[-1] in _NOT_SECRET_LAST:
        return False
    return any(w in _SECRET_WORDS for w in words) or "".join(words) in _SECRET_WORDS


def looks_like_key(value: str) -> bool:
    """A whole value shaped like an API key: a known key prefix, a bearer token, a JWT, a long
    hex string, or a long unspaced string mixing upper case, lower case and digits."""
    value = value.strip()
    if _KEY_SHAPE.fullmatch(value) or _HEX.fullmatch(value):
        return True
    return bool(
        _RANDOM.fullmatch(value)
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    )


def clean_url(url: str) -> str:
    """A URL without user:password, query string or fragment (anything else is returned as is).
    Everything up to the last ``@`` before the path ends is dropped, so a password holding
    ``/`` or ``@`` goes too."""
    match = _URL.match(url)
    if not match:
        return url
    rest = match["rest"]
    if "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    return match["scheme"] + rest


def env_secrets(tree: Any = None) -> set[str]:
    """Values of the environment variables a tree names in ``api_key_env`` and of those named
    like a key (``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``)."""
    names = {name for name in os.environ if _SECRET_ENV.search(name)}
    names |= set(_named_envs(tree))
    return {v for n in names if len(v := os.environ.get(n, "").strip()) >= _MIN_SECRET}


def _named_envs(tree: Any) -> Iterable[str]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key == "api_key_env" and isinstance(value, str):
                yield value
            else:
                yield from _named_envs(value)
    elif isinstance(tree, list | tuple):
        for value in tree:
            yield from _named_envs(value)


def scrub(tree: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a config or provenance tree (JSON-like) with its secrets removed, as the module
    docstring says; ``secrets`` are further values to remove wherever they appear."""
    known = sorted({*secrets, *env_secrets(tree)} - {""}, key=len, reverse=True)
    return _walk(tree, [s for s in known if len(s) >= _MIN_SECRET], False)


def _walk(value: Any, known: list[str], in_init: bool) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if in_init and secret_name(key) and item not in (None, "", True, False):
                out[key] = REDACTED
            else:
                out[key] = _walk(item, known, in_init or key == "init")
        return out
    if isinstance(value, list | tuple):
        return [_walk(item, known, in_init) for item in value]
    if isinstance(value, str):
        return _text(value, known, in_init)
    return value


def _text(value: str, known: list[str], in_init: bool) -> str:
    for secret in known:
        if secret in value:
            value = value.replace(secret, REDACTED)
    value = clean_url(value)
    if in_init:
        if looks_like_key(value):
            return REDACTED
        value = _KEY_SHAPE.sub(REDACTED, value)
    return value


def drop_redacted(tree: Any) -> Any:
    """A stored tree without its ``[redacted]`` values, to build models from again (a resumed
    run): a key that was not stored must come from the environment (``api_key_env``, the
    integration's own variable), never from the marker."""
    if isinstance(tree, dict):
        return {k: drop_redacted(v) for k, v in tree.items() if v != REDACTED}
    if isinstance(tree, list):
        return [drop_redacted(v) for v in tree if v != REDACTED]
    return tree
