"""Secrets never reach the log: a run whose base URLs carry user:password and a query string and
whose ``init`` holds an API key leaves none of them in the SQLite file, the Runs page's data or
any export; an old log holding them is scrubbed when opened; a failed write prints no row."""

from __future__ import annotations

import json
import sqlite3

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from playground.cli import cli
from playground.store import Store
from playground.store.migrations import m005_scrub_secrets
from playground.store.redact import REDACTED, clean_url, looks_like_key, scrub, secret_name

PASSWORD = "hunter2-PASSWORD-77"
QUERY_SECRET = "QUERYSECRET0123456789"
INIT_KEY = "sk-init-SECRET-abcdef0123456789"
HEADER_KEY = "Zq8Lw2Xv9Rk4Tn6Bm1Pc3Hd5Jf7Gs0Ay"  # key-shaped, under an innocent name
ENV_KEY = "server-key-from-the-ENV-556677"
SECRETS = [PASSWORD, QUERY_SECRET, INIT_KEY, HEADER_KEY, ENV_KEY]


def experiment_file(tmp_path, server) -> str:
    debater_url = server.base_url.replace("http://", f"http://judge:{PASSWORD}@")
    judge_url = f"http://127.0.0.1:9/v1?api-key={QUERY_SECRET}&x=1"
    path = tmp_path / "secret.toml"
    path.write_text(
        f"""
name = "secrets"
protocol = "debate"
dataset = "builtin:reading"
limit = 2
[options]
rounds = 1
[roles.debater]
model = "openai/debater-model"
base_url = "{debater_url}"
init = {{ api_key_env = "MY_SERVER_KEY" }}
[roles.judge]
model = "langchain:langchain_core.language_models.fake_chat_models.FakeListChatModel"
base_url = "{judge_url}"
[roles.judge.init]
responses = ["Answer: A\\nConfidence: 70"]
api_key = "{INIT_KEY}"
openai_api_base = "http://u:{PASSWORD}@127.0.0.1:9/v1?token={QUERY_SECRET}"
default_headers = {{ "X-Api-Key" = "{INIT_KEY}", "X-Trace" = "{HEADER_KEY}", "X-Echo" = "{ENV_KEY}" }}
"""
    )
    return str(path)


def assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


def test_no_secret_in_the_store_the_runs_page_data_or_any_export(
    tmp_path, monkeypatch, openai_server
):
    server = openai_server
    monkeypatch.setenv("MY_SERVER_KEY", ENV_KEY)
    db = tmp_path / "log.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", str(db), "run", experiment_file(tmp_path, server)])
    assert result.exit_code == 0, result.output
    assert server.requests
    store = Store(str(db))
    [info] = store.list_runs()
    assert info.verdicts == {"ok": 2}
    assert_clean(json.dumps(info.config), "the Runs page's config")
    roles = info.config["experiment"]["roles"]
    assert roles["debater"]["base_url"] == server.base_url  # host, port and path kept
    assert roles["debater"]["init"] == {"api_key_env": "MY_SERVER_KEY"}
    judge = roles["judge"]
    assert judge["base_url"] == "http://127.0.0.1:9/v1"
    assert judge["init"]["api_key"] == REDACTED
    assert judge["init"]["openai_api_base"] == "http://127.0.0.1:9/v1"
    assert judge["init"]["default_headers"] == {
        "X-Api-Key": REDACTED,
        "X-Trace": REDACTED,
        "X-Echo": REDACTED,
    }
    assert judge["init"]["responses"] == ["Answer: A\nConfidence: 70"]
    prov = info.config["provenance"]["roles"]
    assert prov["debater_a"]["base_url"] == server.base_url

    outputs = {
        "jsonl": tmp_path / "out.jsonl",
        "csv": tmp_path / "out.csv",
        "parquet": tmp_path / "out.parquet",
    }
    for fmt, out in outputs.items():
        result = runner.invoke(cli, ["--db", str(db), "export", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
    md = tmp_path / "md"
    result = runner.invoke(
        cli, ["--db", str(db), "export", "--format", "markdown", "--run", info.id, "--out", str(md)]
    )
    assert result.exit_code == 0, result.output
    records = outputs["jsonl"].read_text()
    assert records.count("\n") == 2 and server.base_url in records
    files = [*outputs.values(), tmp_path / "out.turns.csv", tmp_path / "out.turns.parquet"]
    files += sorted(md.iterdir())
    assert len(files) > 5
    for path in files:
        assert_clean(path.read_bytes().decode("utf-8", "replace"), path.name)
    store.engine.dispose()
    with sqlite3.connect(db) as conn:  # fold the WAL into the file, then read every byte
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert_clean(db.read_bytes().decode("utf-8", "replace"), "the SQLite file")


def test_an_old_log_holding_secrets_is_scrubbed_when_opened(store, tmp_path):
    raw_url = f"http://u:{PASSWORD}@h:1/v1?key={QUERY_SECRET}"
    config = {
        "experiment": {"roles": {"judge": {"base_url": raw_url, "init": {"token": INIT_KEY}}}}
    }
    with store.engine.begin() as conn:  # rows as a version before scrubbing wrote them
        row = dict(id="old", name="old", protocol="debate", status="done", source="cli")
        row.update(tags=[], config=config, playground_version="0", created_at=sa.func.now())
        conn.execute(store.runs.insert().values(**row))
        conn.execute(sa.text("DELETE FROM schema_migrations WHERE name = 'm005_scrub_secrets'"))
    url = store.url.render_as_string(hide_password=False)
    store.engine.dispose()
    reopened = Store(url)
    [info] = reopened.list_runs()
    judge = info.config["experiment"]["roles"]["judge"]
    assert judge == {"base_url": "http://h:1/v1", "init": {"token": REDACTED}}
    with reopened.engine.connect() as conn:
        m005_scrub_secrets(conn)  # nothing left to change: scrubbing is idempotent
    assert reopened.get_run("old").config == info.config


def test_a_failed_write_does_not_print_the_row(store):
    store.create_run(
        "r1", name="r", protocol="debate", dataset=None, config={}, tags=[], version="0",
        source="cli",
    )  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError) as caught:
        store.create_run(
            "r1", name=f"payload {INIT_KEY}", protocol="debate", dataset=None,
            config={"note": INIT_KEY}, tags=[], version="0", source="cli",
        )  # fmt: skip
    assert INIT_KEY not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("http://u:p@host:8000/v1?key=x#frag", "http://host:8000/v1"),
        ("https://api.example.com/v1", "https://api.example.com/v1"),
        ("http://u:pa/ss@w@host/v1", "http://host/v1"),
        ("not a url", "not a url"),
    ],
)
def test_clean_url(url, clean):
    assert clean_url(url) == clean


def test_what_counts_as_secret():
    assert all(map(secret_name, ["api_key", "openai_api_key", "X-Api-Key", "apiKey", "password"]))
    assert not any(map(secret_name, ["api_key_env", "max_tokens", "temperature", "responses"]))
    assert looks_like_key("sk-ant-api03-abcdefghijkl") and looks_like_key(HEADER_KEY)
    assert not looks_like_key("claude-3-5-sonnet-20241022") and not looks_like_key("gpt-4o")
    tree = {"prompt_hash": "ab" * 32, "init": {"model": "gpt-4o-mini", "timeout": 30}}
    assert scrub(tree) == tree  # hashes outside init and ordinary options are kept
