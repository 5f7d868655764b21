"""``playground app``: the Streamlit server it starts listens on 127.0.0.1 only, whatever the
environment says, and ``--safe`` turns safe mode on in the server's own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from playground.cli.app import APP, app_command
from playground.settings import SAFE_ENV

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(address)
            # the kernel prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


def test_command_line_names_the_loopback_address_and_safe_mode():
    args, env = app_command(8600, headless=True, safe=True, db="x.db", environ={"A": "1"})
    assert args[:5] == [sys.executable, "-m", "streamlit", "run", str(APP)]
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert args[args.index("--server.port") + 1] == "8600"
    assert env == {"A": "1", "PLAYGROUND_DB": "x.db", SAFE_ENV: "1"}
    _, env = app_command(8600, headless=True, safe=False, db=None, environ={})
    assert SAFE_ENV not in env


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads /proc/net/tcp")
def test_server_listens_only_on_loopback_even_when_the_environment_says_otherwise(tmp_path):
    port, log = free_port(), tmp_path / "app.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env["STREAMLIT_SERVER_ADDRESS"] = "0.0.0.0"  # what a shell profile or container might set
    env.pop(SAFE_ENV, None)
    command = [sys.executable, "-m", "playground.cli", "--db", str(tmp_path / "log.db")]
    command += ["app", "--headless", "--port", str(port), "--safe"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert listening_addresses(port) == {"127.0.0.1"}
        # the cli execs streamlit in the same process: its environment is the server's
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
        assert f"{SAFE_ENV}=1".encode() in environ
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
