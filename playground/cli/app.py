"""``playground app``: start the Streamlit UI: the local single-user tool on 127.0.0.1, or the
team app (``--team``: sign-in on every page, roles) that may listen beyond this machine."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from ..settings import SAFE_ENV, TEAM_ENV, SettingsError, team_mode

APP = Path(__file__).resolve().parents[2] / "app.py"
ADDRESS = "127.0.0.1"
"""Where the server listens unless ``--address`` says otherwise (only in team mode). Passed on
the command line, which Streamlit ranks above its environment variables
(``STREAMLIT_SERVER_ADDRESS``) and every config file (``~/.streamlit``,
``.streamlit/config.toml``), so nothing else can open the app to the network."""


def app_command(
    port: int,
    *,
    headless: bool,
    safe: bool,
    db: str | None,
    environ: Mapping[str, str],
    team: bool = False,
    address: str = ADDRESS,
) -> tuple[list[str], dict[str, str]]:
    """The ``streamlit run`` command line and the environment it runs in. Team mode is also
    safe mode: a shared server must not run code or load files a page names."""
    env = dict(environ)
    if db:
        env["PLAYGROUND_DB"] = db
    if safe or team:
        env[SAFE_ENV] = "1"
    if team:
        env[TEAM_ENV] = "1"
    args = [sys.executable, "-m", "streamlit", "run", str(APP)]
    args += ["--server.address", address, "--server.port", str(port)]
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
@click.option(
    "--team",
    is_flag=True,
    help=f"Team mode ({TEAM_ENV}=1, or team = true in the settings file): sign-in on every "
    "page through [auth] in .streamlit/secrets.toml, pages by role; implies --safe.",
)
@click.option(
    "--address",
    default=ADDRESS,
    show_default=True,
    help="Where to listen; beyond loopback only in team mode (put TLS in front).",
)
@click.pass_obj
def app(obj, port: int, headless: bool, safe: bool, team: bool, address: str) -> None:
    """Open the playground in the browser (Streamlit).

    Without --team it is the single-user local tool on 127.0.0.1, with no sign-in. With --team
    every page needs sign-in (OpenID Connect, Streamlit's st.login) and shows what the person's
    role allows; see the docs' "Deploying for a team"."""
    from ..team.deploy import bind_problem, read_auth, secrets_files

    if not APP.exists():
        raise click.UsageError(
            f"app.py not found at {APP}: install the playground from its source tree"
        )
    try:
        team = team or team_mode()
        auth = read_auth(secrets_files())
    except (SettingsError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    if problem := bind_problem(address, team=team, auth=auth):
        raise click.ClickException(problem)
    args, env = app_command(
        port, headless=headless, safe=safe, db=obj.db, environ=os.environ, team=team,
        address=address,
    )  # fmt: skip
    os.execvpe(args[0], args, env)
