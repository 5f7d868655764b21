"""pytest plugin: a throwaway PostgreSQL server for the store's PostgreSQL tests.

Enabled by ``pytest_plugins = [..., "pg"]`` in tests/conftest.py. The server comes from Debian's
``postgresql`` package (``make system-deps`` installs it); tests that use it are skipped, naming
what is missing, only when the server binaries or the psycopg driver are not installed.

The server listens only on a unix socket in a temp dir (no TCP at all), with fsync off, and
runs as a direct child of pytest (not daemonized by pg_ctl) that the kernel shuts down if
pytest dies: no postgres process outlives the session. As root it runs as the ``postgres``
system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "postgres"
DATABASE = "playground"
# A server zone other than UTC, as many real servers have: the store must not depend on it.
SERVER_TIMEZONE = "America/New_York"
INITDB_OPTIONS = ["-U", SUPERUSER, "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"]
SETTINGS = {
    "listen_addresses": "",  # unix socket only
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "60",
    "timezone": SERVER_TIMEZONE,
}


def server_binaries() -> Path | None:
    """The bin dir of the newest PostgreSQL under /usr/lib/postgresql that has initdb."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    found.sort(key=lambda p: float(p.parent.name) if p.parent.name[0].isdigit() else 0.0)
    return found[-1] if found else None


def _run_as() -> dict[str, Any]:
    """Popen arguments that drop root to the postgres user; nothing when not root."""
    if os.geteuid() != 0:
        return {}
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root, and there is no 'postgres' system user to run PostgreSQL")
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _die_with_pytest() -> None:
    """In the server process: the kernel sends SIGQUIT (immediate shutdown) when pytest dies."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGQUIT)  # PR_SET_PDEATHSIG


def connect(url: Any, **kwargs: Any) -> Any:
    """A psycopg connection to a SQLAlchemy URL made by this plugin."""
    import psycopg

    return psycopg.connect(host=url.query["host"], user=url.username, dbname=url.database, **kwargs)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A running PostgreSQL server for the session; yields the URL of an empty database in it."""
    bin_dir = server_binaries()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL server not installed: no initdb under /usr/lib/postgresql/*/bin "
            "(`make system-deps` installs Debian's postgresql)"
        )
    try:
        import psycopg
    except ImportError:
        pytest.skip("psycopg not installed (`pip install -e '.[postgres]'`)")
    import sqlalchemy as sa

    run_as = _run_as()
    # under /tmp, not $TMPDIR: the postgres user must reach it, and a socket path is short
    base = Path(tempfile.mkdtemp(prefix="playground-pg-", dir="/tmp"))
    server: subprocess.Popen[bytes] | None = None
    try:
        if run_as:
            os.chown(base, run_as["user"], run_as["group"])
        data, log = base / "data", base / "server.log"
        initdb = subprocess.run(
            [bin_dir / "initdb", "-D", data, *INITDB_OPTIONS],
            capture_output=True,
            text=True,
            cwd=base,
            **run_as,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
        options = [f"--{name}={value}" for name, value in SETTINGS.items()]
        with log.open("wb") as log_file:
            server = subprocess.Popen(
                [bin_dir / "postgres", "-D", data, "-k", base, *options],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=base,
                start_new_session=True,  # a Ctrl-C reaches pytest, which stops the server
                preexec_fn=_die_with_pytest,
                **run_as,
            )
        url = sa.URL.create(
            "postgresql+psycopg", username=SUPERUSER, database="postgres", query={"host": str(base)}
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with connect(url, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{DATABASE}"')
                break
            except psycopg.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL did not start:\n{log.read_text()}") from None
                time.sleep(0.05)
        yield url.set(database=DATABASE).render_as_string(hide_password=False)
    finally:
        if server is not None:
            server.send_signal(signal.SIGQUIT)  # = pg_ctl stop -m immediate
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty database for this test alone, dropped afterwards."""
    import sqlalchemy as sa

    url = sa.make_url(postgres_url)
    name = f"test_{uuid.uuid4().hex[:12]}"
    with connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
