"""Test helpers for the team app: a real OpenID provider (PyPI ``oidc-provider-mock``) and the
app (``streamlit run app.py`` in team mode, ``[auth]`` pointing at it) on free loopback ports,
and signing a person in through the provider's authorize page in a browser context."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from test_browser import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class TeamApp:
    url: str
    db: Path
    provider: str


def _wait_provider(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"oidc-provider-mock exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"oidc-provider-mock not up after {timeout}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def team_app(tmp_path: Path, *, auth: bool = True) -> Iterator[TeamApp]:
    """The provider and the team app, both on 127.0.0.1; stopped afterwards. The app runs in
    ``tmp_path`` (where its ``.streamlit/secrets.toml`` is) with this checkout on the path."""
    provider_port, app_port = free_port(), free_port()
    provider = f"http://127.0.0.1:{provider_port}"
    url = f"http://127.0.0.1:{app_port}"
    db = tmp_path / "team.db"
    if auth:
        (tmp_path / ".streamlit").mkdir(exist_ok=True)
        (tmp_path / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "{url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(16)}"\n'
            'client_id = "playground-test"\n'
            'client_secret = "not-a-secret"\n'
            f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        )
    env = {**os.environ, "PLAYGROUND_DB": str(db), "PLAYGROUND_TEAM": "1", "PLAYGROUND_SAFE": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        env.pop(name, None)
    plog, alog = tmp_path / "provider.log", tmp_path / "streamlit.log"
    mock = [sys.executable, "-m", "oidc_provider_mock", "--port", str(provider_port)]
    with plog.open("wb") as out:
        pproc = subprocess.Popen(mock, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_provider(provider, pproc, plog)
        command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
        command += ["--server.headless", "true", "--server.address", "127.0.0.1"]
        command += ["--server.port", str(app_port), "--browser.gatherUsageStats", "false"]
        with alog.open("wb") as out:
            aproc = subprocess.Popen(
                command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            wait_healthy(url, aproc, alog)
            yield TeamApp(url, db, provider)
        finally:
            _stop(aproc)
    finally:
        _stop(pproc)


def sign_in(page, app: TeamApp, email: str) -> None:
    """Open the app and sign ``email`` in through the provider, as a person would."""
    page.goto(app.url)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app.provider}/**")
    page.locator("input[name=sub]").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app.url}/**")
    page.get_by_text(f"Signed in as {email}").wait_for()


async def sign_in_async(page, app: TeamApp, email: str) -> None:
    """`sign_in` for Playwright's async API."""
    await page.goto(app.url)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{app.provider}/**")
    await page.locator("input[name=sub]").fill(email)
    await page.get_by_role("button", name="Authorize").click()
    await page.wait_for_url(f"{app.url}/**")
    await page.get_by_text(f"Signed in as {email}").wait_for()
