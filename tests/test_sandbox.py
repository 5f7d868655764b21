"""The sandbox really contains model-written code: time, CPU, memory, files, network, processes."""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
from pathlib import Path

import pytest

import playground
from playground.approval import sandbox
from playground.approval.sandbox import (
    MAX_OUTPUT_CHARS,
    Limits,
    SandboxUnavailable,
    isolation_problem,
    run_python,
    run_runner,
)


@pytest.fixture(autouse=True)
def _needs_bwrap():
    problem = isolation_problem()
    if problem:
        pytest.fail(problem)  # never skip: a missing sandbox must not pass silently


def _processes_running(argv: list[str]) -> list[int]:
    """Host pids of processes whose command line is exactly ``argv``."""
    wanted = "\0".join(argv) + "\0"
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry / "cmdline").read_text() == wanted:
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def test_normal_code_runs_with_its_files_and_returns_stdout():
    result = run_python(
        "import helper, os\nprint(helper.greet('sandbox'))\nprint(sorted(os.listdir('.')))",
        files={"helper.py": "def greet(name):\n    return f'hello {name}'\n"},
    )
    assert result.ok
    assert result.stdout.splitlines() == ["hello sandbox", "['helper.py', 'main.py']"]
    assert result.reason is None and not result.timed_out


def test_an_exception_is_an_exit_status_not_a_reason():
    result = run_python("raise ValueError('boom')")
    assert result.returncode == 1
    assert "ValueError: boom" in result.stderr
    assert result.reason is None


def test_infinite_loop_is_killed_at_the_wall_clock_limit():
    result = run_python("import time\nwhile True:\n    time.sleep(0.01)", timeout_s=1)
    assert result.timed_out and not result.ok
    assert result.reason == "killed: wall-clock limit of 1 s reached"
    assert 1 <= result.duration_s < 10  # killed at the limit, not left running


def test_busy_loop_hits_the_cpu_limit():
    result = run_python("while True:\n    pass", timeout_s=10, cpu_s=1)
    assert not result.timed_out
    assert result.reason == "killed: CPU time limit of 1 s reached"


def test_no_network_not_even_the_hosts_loopback():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    server.settimeout(0.2)

    def accept() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # the server works
        code = f"""
import json, socket
out = {{}}
for name, call in [
    ("host_loopback", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2)),
    ("outbound", lambda: socket.create_connection(("1.1.1.1", 80), timeout=2)),
    ("dns", lambda: socket.getaddrinfo("pypi.org", 443)),
]:
    try:
        call()
        out[name] = "reached"
    except OSError as e:
        out[name] = type(e).__name__
print(json.dumps(out))
"""
        result = run_python(code)
        assert result.ok, result.stderr
        out = json.loads(result.stdout)
        assert out["host_loopback"] == "ConnectionRefusedError"
        assert out["outbound"] != "reached"
        assert out["dns"] == "gaierror"
        time.sleep(0.3)
        assert len(accepted) == 1  # only the host's own check connected
    finally:
        server.close()
        thread.join()
        for conn in accepted:
            conn.close()


def test_huge_allocations_fail_inside_without_hurting_the_host():
    at_once = run_python("x = bytearray(4 << 30)", memory_mb=128)
    assert at_once.returncode == 1
    assert at_once.reason == "memory limit of 128 MB reached"
    growing = run_python(
        "chunks = []\nwhile True:\n    chunks.append(bytearray(8 << 20))", memory_mb=128
    )
    assert growing.reason == "memory limit of 128 MB reached"
    assert run_python("print(len(bytearray(32 << 20)))", memory_mb=128).stdout == "33554432\n"


def test_writes_outside_the_temp_dir_never_reach_the_host(tmp_path):
    token = secrets.token_hex(6)
    (tmp_path / "secret.txt").write_text("host only")
    targets = [
        tmp_path / f"escape-{token}.txt",
        Path(f"/tmp/escape-{token}.txt"),
        Path(f"/etc/escape-{token}.txt"),
        Path(f"/usr/escape-{token}.txt"),
        Path(playground.__file__).parent / f"escape-{token}.txt",
    ]
    code = f"""
import json, os
out = {{}}
for target in {[str(t) for t in targets]!r}:
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as f:
            f.write("escaped")
        out[target] = "written"
    except OSError as e:
        out[target] = type(e).__name__
out["secret"] = os.path.exists({str(tmp_path / "secret.txt")!r})
out["project"] = os.path.exists({playground.__file__!r})
print(json.dumps(out))
"""
    result = run_python(code)
    assert result.ok, result.stderr
    out = json.loads(result.stdout)
    assert out.pop("secret") is False and out.pop("project") is False  # host files are unseen
    assert out[f"/etc/escape-{token}.txt"] != "written"
    assert out[f"/usr/escape-{token}.txt"] != "written"
    for target in targets:
        assert not target.exists(), f"{target} landed on the host ({out[str(target)]})"


def test_each_run_gets_a_fresh_temp_dir_that_is_gone_afterwards():
    token = secrets.token_hex(6)
    first = run_python(f"open('mark-{token}', 'w').write('x')\nimport os\nprint(os.getcwd())")
    assert first.ok and first.stdout.strip() == "/tmp"
    assert not Path(f"/tmp/mark-{token}").exists()
    second = run_python(f"import os\nprint(os.path.exists('mark-{token}'), os.listdir('.'))")
    assert second.stdout.strip() == "False ['main.py']"


def test_runs_without_privileges():
    result = run_python(
        "import os\n"
        "caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')]\n"
        "print(os.getuid(), caps[0])"
    )
    uid, caps = result.stdout.split()
    assert int(caps, 16) == 0
    if os.geteuid() == 0:
        assert int(uid) >= sandbox._SANDBOX_UID_BASE


def test_fork_bomb_and_spawned_processes_are_contained():
    bomb = run_python("import os\nwhile True:\n    os.fork()", timeout_s=15, max_processes=16)
    assert bomb.reason == "process limit of 16 reached"
    assert bomb.duration_s < 15
    sleeper = ["sleep", f"60.{secrets.randbelow(10**9)}"]  # a command line no one else runs
    spawn = run_python(
        f"import subprocess, time\nsubprocess.Popen({sleeper!r}, start_new_session=True)\n"
        "while True:\n    time.sleep(0.05)",
        timeout_s=1,
    )
    assert spawn.timed_out
    # The pid namespace takes the sleeper with it; the kernel reaps it asynchronously.
    deadline = time.monotonic() + 10
    while _processes_running(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_running(sleeper) == []


def test_interleaved_tracebacks_still_name_the_limit():
    """Many processes write their tracebacks at once; the last line of stderr may be the
    middle of one (seen on CI with a fork bomb). The last closing line decides."""
    block = 'Traceback (most recent call last):\n  File "/tmp/main.py", line 3, in <module>\n'
    stderr = block + "BlockingIOError: [Errno 11] Resource temporarily unavailable\n" + block
    limits = sandbox.Limits(file_mb=1, tmp_mb=4, max_processes=16)
    reason = sandbox._reason(1, stderr, False, limits)
    assert reason == "process limit of 16 reached"
    assert sandbox._reason(1, block + "ValueError: boom\n" + block, False, limits) is None


def test_file_size_and_temp_dir_size_limits():
    big_file = run_python("open('big', 'wb').write(b'x' * (2 << 20))", file_mb=1)
    assert big_file.reason == "file-size limit of 1 MB reached"
    full = run_python(
        "for i in range(16):\n    open(f'f{i}', 'wb').write(b'x' * (1 << 20))", tmp_mb=4
    )
    assert full.reason == "/tmp size limit of 4 MB reached"


def test_output_is_cut_to_a_sane_size():
    result = run_python("print('x' * 200_000)")
    assert result.ok
    assert len(result.stdout) < MAX_OUTPUT_CHARS + 100
    assert "output cut: 200001 bytes in all" in result.stdout


def test_file_names_must_stay_inside_the_temp_dir():
    with pytest.raises(ValueError, match="relative"):
        run_python("pass", files={"../outside.py": ""})
    with pytest.raises(ValueError, match="relative"):
        run_python("pass", files={"/etc/x": ""})


def test_refuses_to_run_when_no_sandbox_is_available(monkeypatch, tmp_path):
    ran = tmp_path / "ran"
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    isolation_problem.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match="bubblewrap") as info:
            run_python(f"open({str(ran)!r}, 'w')")
        assert "\n" not in str(info.value)
        assert not ran.exists()
    finally:
        monkeypatch.undo()
        isolation_problem.cache_clear()


def test_a_runner_answers_over_its_own_channel_never_stdout():
    runner = (
        "import json, sys\n"
        "def main(data):\n"
        "    print(json.dumps({'results': 'forged'}))\n"
        "    return {'doubled': [2 * x for x in data]}\n"
    )
    result = run_runner(runner, [1, 2, 3], Limits())
    assert result.ok and result.reason is None
    assert result.value == {"doubled": [2, 4, 6]}
    assert "forged" in result.stdout  # printed, and ignored


def test_a_runner_answer_counts_only_after_exit_status_0():
    wrote_then_failed = (
        "import os\ndef main(data):\n    os.write(3, b'[\"pass\"]')\n    os._exit(1)\n"
    )
    result = run_runner(wrote_then_failed, None, Limits())
    assert result.returncode == 1 and result.value is None
    assert result.reason == "runner ended with exit status 1"
    raised = run_runner("def main(data):\n    raise ValueError('no')\n", None, Limits())
    assert raised.value is None and "ValueError: no" in raised.stderr
    silent = run_runner("import os\ndef main(data):\n    os._exit(0)\n", None, Limits())
    assert silent.value is None and silent.reason == "runner sent no answer"


def test_the_runner_is_process_1_and_its_payload_never_touches_the_disk():
    runner = (
        "import os\n"
        "def main(data):\n"
        "    return [os.getpid(), os.listdir('/tmp'), sorted(os.listdir('/proc/self/fd'))]\n"
    )
    result = run_runner(runner, {"hidden": "tests"}, Limits())
    assert result.value == [1, [], ["0", "1", "2", "3", "4"]]  # 3: the channel, 4: listdir's
    # A script runs as a child of process 1, which it cannot open through /proc.
    probe = run_python("open('/proc/1/fd/0', 'rb').read()")
    assert "PermissionError" in probe.stderr


def test_site_packages_of_every_bound_tree_are_hidden(tmp_path):
    from playground.approval import sandbox_bwrap

    site = tmp_path / "lib" / "python3.11" / "site-packages"
    debian = tmp_path / "lib" / "python3" / "dist-packages"
    for folder in (site, debian, tmp_path / "lib" / "python3.11" / "json"):
        folder.mkdir(parents=True)
    hidden = sandbox_bwrap.site_dirs([str(tmp_path)])
    assert str(site) in hidden and str(debian) in hidden
    assert not any(h.startswith(str(tmp_path / "lib" / "python3.11" / "json")) for h in hidden)
    argv = sandbox_bwrap.argv(
        exe=str(tmp_path / "bin" / "python3"),
        prefix=str(tmp_path),
        tmp_mb=1,
        shm_mb=1,
        seccomp_fd=9,
        command=["true"],
    )
    mounts = [argv[i + 1] for i, arg in enumerate(argv) if arg == "--tmpfs"]
    assert str(site) in mounts and str(debian) in mounts


def test_a_system_call_of_another_abi_kills_the_process():
    """The seccomp filter admits only the native ABI: an x32 call would bypass its rules."""
    x32_getpid = 0x40000000 | 39
    result = run_python(f"import ctypes\nctypes.CDLL(None).syscall({x32_getpid})\nprint('alive')")
    assert result.reason == "killed by SIGSYS" and result.stdout == ""
