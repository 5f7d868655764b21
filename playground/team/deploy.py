"""Whether this machine may serve the team app: is sign-in configured (``[auth]`` in
``.streamlit/secrets.toml``, read the way Streamlit reads it) and may the server listen on the
address asked for. Streamlit-free, so ``playground app`` checks before starting anything.

Without ``[auth]`` the app is the single-user local tool and listens on 127.0.0.1 only; team
mode needs ``[auth]``; listening beyond loopback needs team mode (sign-in on every page).
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "AUTH_KEYS",
    "PROVIDER_KEYS",
    "auth_problem",
    "bind_problem",
    "read_auth",
    "secrets_files",
]

AUTH_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """Streamlit's default secrets files, in the order it reads them (later ones win)."""
    return [
        Path.home() / ".streamlit" / "secrets.toml",
        (cwd or Path.cwd()) / ".streamlit" / "secrets.toml",
    ]


def read_auth(files: Sequence[Path]) -> dict[str, Any] | None:
    """The ``[auth]`` table the app will see (later files win key by key), or None."""
    merged: dict[str, Any] | None = None
    for path in files:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"secrets file {path}: cannot read it ({error})") from None
        section = data.get("auth")
        if isinstance(section, Mapping):
            merged = {**(merged or {}), **section}
    return merged


def providers(auth: Mapping[str, Any]) -> list[str]:
    """Named providers (``[auth.NAME]`` tables with the provider keys); "default" when the keys
    sit in ``[auth]`` itself."""
    named = [
        k for k, v in auth.items() if isinstance(v, Mapping) and all(p in v for p in PROVIDER_KEYS)
    ]
    if all(p in auth for p in PROVIDER_KEYS):
        return ["default", *named]
    return named


def auth_problem(auth: Mapping[str, Any] | None) -> str | None:
    """What keeps sign-in from working, in one line; None when ``[auth]`` is complete."""
    if auth is None:
        return "no [auth] section in .streamlit/secrets.toml: sign-in (team mode) is not configured"
    missing = [k for k in AUTH_KEYS if not auth.get(k)]
    if missing:
        return f"[auth] in .streamlit/secrets.toml lacks {', '.join(missing)}"
    if not providers(auth):
        return (
            "[auth] in .streamlit/secrets.toml names no provider: give "
            + ", ".join(PROVIDER_KEYS)
            + " in [auth] or in an [auth.NAME] table"
        )
    return None


def is_loopback(address: str) -> bool:
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip()).is_loopback
    except ValueError:
        return False


def bind_problem(address: str, *, team: bool, auth: Mapping[str, Any] | None) -> str | None:
    """Why the app may not start on ``address`` in this mode (one line), or None."""
    if team and (problem := auth_problem(auth)):
        return f"team mode needs sign-in: {problem}"
    if not is_loopback(address) and not team:
        return (
            f"--address {address}: the app listens beyond this machine only in team mode "
            "(--team, with [auth] in .streamlit/secrets.toml)"
        )
    return None
