"""``playground app``: start the Streamlit UI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

APP = Path(__file__).resolve().parents[2] / "app.py"


@click.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--headless/--browser", default=False, help="Do not open a browser tab.")
@click.pass_obj
def app(obj, port: int, headless: bool) -> None:
    """Open the playground in the browser (Streamlit, bound to localhost)."""
    if not APP.exists():
        raise click.UsageError(
            f"app.py not found at {APP}: install the playground from its source tree"
        )
    env = dict(os.environ)
    if obj.db:
        env["PLAYGROUND_DB"] = obj.db
    args = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port)]
    args += ["--server.headless", "true" if headless else "false"]
    os.execvpe(args[0], args, env)
