"""``playground app``: start the Streamlit UI, bound to this machine only."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from ..settings import SAFE_ENV

APP = Path(__file__).resolve().parents[2] / "app.py"
ADDRESS = "127.0.0.1"
"""Where the server listens. Passed on the command line, which Streamlit ranks above its
environment variables (``STREAMLIT_SERVER_ADDRESS``) and every config file (``~/.streamlit``,
``.streamlit/config.toml``), so nothing else can open the app to the network."""


def app_command(
    port: int, *, headless: bool, safe: bool, db: str | None, environ: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The ``streamlit run`` command line and the environment it runs in."""
    env = dict(environ)
    if db:
        env["PLAYGROUND_DB"] = db
    if safe:
        env[SAFE_ENV] = "1"
    args = [sys.executable, "-m", "streamlit", "run", str(APP)]
    args += ["--server.address", ADDRESS, "--server.port", str(port)]
    args += ["--server.headless", "true" if headless else "false"]
    return args, env


@click.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--headless/--browser", default=False, help="Do not open a browser tab.")
@click.option(
    "--safe",
    is_flag=True,
    help=f"Safe mode ({SAFE_ENV}=1): refuse langchain: models and local model files, so no "
    "experiment typed into a page can import code or load a file from this machine.",
)
@click.pass_obj
def app(obj, port: int, headless: bool, safe: bool) -> None:
    """Open the playground in the browser (Streamlit, listening on 127.0.0.1 only).

    There is no sign-in: to share it, keep it on 127.0.0.1 behind a reverse proxy that
    terminates TLS and authenticates people, and run it with --safe."""
    if not APP.exists():
        raise click.UsageError(
            f"app.py not found at {APP}: install the playground from its source tree"
        )
    args, env = app_command(port, headless=headless, safe=safe, db=obj.db, environ=os.environ)
    os.execvpe(args[0], args, env)
