"""``playground app --team`` / ``--address``: the app listens beyond loopback only in team mode
with a complete ``[auth]`` in .streamlit/secrets.toml; each refusal is one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from playground.cli import cli
from playground.cli.app import app_command
from playground.settings import SAFE_ENV, TEAM_ENV
from playground.team.deploy import auth_problem, bind_problem, read_auth

AUTH = """[auth]
redirect_uri = "https://playground.example.org/oauth2callback"
cookie_secret = "x"
client_id = "id"
client_secret = "s"
server_metadata_url = "https://idp.example.org/.well-known/openid-configuration"
"""


@pytest.fixture
def in_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def write_secrets(where, text):
    (where / ".streamlit").mkdir(exist_ok=True)
    (where / ".streamlit" / "secrets.toml").write_text(text)


def run_app(*args):
    result = CliRunner().invoke(cli, ["app", "--headless", *args])
    return result.exit_code, result.output.strip()


def test_beyond_loopback_without_team_mode_is_refused(in_dir):
    write_secrets(in_dir, AUTH)
    code, out = run_app("--address", "0.0.0.0")
    assert code != 0 and len(out.splitlines()) == 1
    assert "--address 0.0.0.0: the app listens beyond this machine only in team mode" in out


def test_team_mode_without_auth_is_refused_in_one_line(in_dir):
    code, out = run_app("--team", "--address", "0.0.0.0")
    assert code != 0 and len(out.splitlines()) == 1
    assert "team mode needs sign-in: no [auth] section in .streamlit/secrets.toml" in out
    write_secrets(in_dir, '[auth]\nredirect_uri = "x"\n')
    code, out = run_app("--team")
    assert code != 0 and "[auth] in .streamlit/secrets.toml lacks cookie_secret" in out
    write_secrets(in_dir, '[auth]\nredirect_uri = "x"\ncookie_secret = "y"\n')
    code, out = run_app("--team")
    assert "names no provider" in out and len(out.splitlines()) == 1
    write_secrets(in_dir, "[auth\n")
    code, out = run_app("--team")
    assert code != 0 and "cannot read it" in out


def test_team_mode_from_the_environment_setting_is_checked_too(in_dir, monkeypatch):
    monkeypatch.setenv(TEAM_ENV, "1")
    code, out = run_app()
    assert code != 0 and "team mode needs sign-in" in out


def test_what_is_allowed(in_dir):
    write_secrets(in_dir, AUTH)
    auth = read_auth([in_dir / ".streamlit" / "secrets.toml"])
    assert auth_problem(auth) is None
    assert bind_problem("0.0.0.0", team=True, auth=auth) is None
    assert bind_problem("127.0.0.1", team=False, auth=None) is None
    assert bind_problem("localhost", team=False, auth=None) is None
    assert bind_problem("::1", team=False, auth=None) is None
    named = {"redirect_uri": "r", "cookie_secret": "c", "google": dict(client_id="i",
             client_secret="s", server_metadata_url="u")}  # fmt: skip
    assert auth_problem(named) is None
    # a later file (the project's) wins key by key over the user's
    home = in_dir / "home"
    home.mkdir()
    write_secrets(home, AUTH)
    write_secrets(in_dir, '[auth]\ncookie_secret = "project"\n')
    merged = read_auth(
        [home / ".streamlit" / "secrets.toml", in_dir / ".streamlit" / "secrets.toml"]
    )
    assert merged["cookie_secret"] == "project" and merged["client_id"] == "id"


def test_team_command_line_turns_on_team_and_safe_mode_and_the_address():
    args, env = app_command(
        8600, headless=True, safe=False, db=None, environ={}, team=True, address="0.0.0.0"
    )
    assert args[args.index("--server.address") + 1] == "0.0.0.0"
    assert env == {SAFE_ENV: "1", TEAM_ENV: "1"}
