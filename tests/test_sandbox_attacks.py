"""Code inside the sandbox attacks it, as root and as an unprivileged user, and every attack fails.

Root hides some holes (as root, bubblewrap's own process 1 was out of reach; as a normal user it
was not), so each attack runs twice: in a copy of the sandbox code run by Debian's python3 as
the caller (root here), and by the same copy as ``nobody`` (``setpriv --reuid=65534``). The copy
lives in a world-readable temp dir, since the project and the venv may not be readable there.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest

import playground.approval

APPROVAL = Path(playground.approval.__file__).parent
MODULES = ["sandbox.py", "sandbox_bwrap.py", "sandbox_init.py", "sandbox_seccomp.py"]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs"]

DRIVER = """
import json, os, sys
sys.path.insert(0, {root!r})
from sbx import sandbox
RUNNER = open(os.path.join({root!r}, "sbx", "tdd_runner.py")).read()

def hidden(solution, tests, function):
    cases = {{"solution": solution, "tests": tests, "function": function, "check_s": 2.0}}
    r = sandbox.run_runner(RUNNER, cases, sandbox.Limits(timeout_s=len(tests) * 2 + 5))
    return {{"value": r.value, "returncode": r.returncode, "reason": r.reason,
             "stderr": r.stderr[-2000:]}}

def script(code, **limits):
    r = sandbox.run_python(code, **limits)
    return {{"returncode": r.returncode, "stdout": r.stdout, "stderr": r.stderr[-2000:],
             "reason": r.reason}}
"""


@pytest.fixture(scope="module")
def copy_dir():
    if not os.path.exists("/usr/bin/python3"):
        pytest.fail("Debian python3 missing: run make system-deps")
    root = Path(tempfile.mkdtemp(prefix="sandbox-attacks-"))
    pkg = root / "sbx"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in MODULES:
        shutil.copy(APPROVAL / name, pkg / name)
    shutil.copy(APPROVAL / "envs" / "tdd_runner.py", pkg / "tdd_runner.py")
    spec = importlib.util.find_spec("pyseccomp")
    assert spec is not None and spec.origin, "pyseccomp is not installed"
    shutil.copy(spec.origin, root / "pyseccomp.py")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    shutil.rmtree(root)


@pytest.fixture(params=["caller", "nobody"])
def run(request, copy_dir):
    """Run driver code (the sandbox copy imported) as the caller or as nobody; its last
    stdout line is JSON."""
    as_nobody = request.param == "nobody"
    if as_nobody and os.geteuid() != 0:
        as_nobody = False  # we are an unprivileged user already

    def go(body: str) -> dict:
        code = DRIVER.format(root=str(copy_dir)) + textwrap.dedent(body)
        path = copy_dir / f"driver-{os.getpid()}-{len(list(copy_dir.iterdir()))}.py"
        path.write_text(code)
        path.chmod(0o644)
        argv = ["/usr/bin/python3", "-I", "-B", str(path)]
        proc = subprocess.run(
            [*NOBODY, *argv] if as_nobody else argv,
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return go


FORGE = r"""
import json, os
def double(x):
    return x + 1  # wrong for every test
forged = [["pass", ""]] * 2
lines = [json.dumps(forged), json.dumps({"results": forged})]
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        continue
    for fd in fds:
        try:
            with open(f"/proc/{pid}/fd/{fd}", "a") as f:
                f.write("\n".join(lines) + "\n")
        except OSError:
            pass
for fd in range(3, 1024):  # anything inherited
    try:
        os.write(fd, ("\n".join(lines) + "\n").encode())
    except OSError:
        pass
import signal  # then end the runner, so that nothing overwrites the forgery
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
"""


def test_a_wrong_solution_cannot_forge_its_verdict(run):
    out = run(
        f"""
tests = ["assert double(2) == 4", "assert double(3) == 6"]
print(json.dumps(hidden({FORGE!r}, tests, "double")))
"""
    )
    assert out["returncode"] == 0, out
    # It may garble or kill its own process (a crash), but it never passes.
    assert len(out["value"]) == 2 and {s for s, _ in out["value"]} <= {"fail", "crash"}, out


KILL = r"""
import os, signal
def double(x):
    return 2 * x
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
    for pid in [1, *(int(p) for p in os.listdir("/proc") if p.isdigit())]:
        if pid != os.getpid():
            try:
                os.kill(pid, sig)
            except OSError:
                pass
"""


def test_the_solution_cannot_kill_the_runner(run):
    out = run(
        f"""
print(json.dumps(hidden({KILL!r}, ["assert double(2) == 4"], "double")))
"""
    )
    # The solution killed its own checker (a crash verdict), never the runner (no verdict).
    assert out["returncode"] == 0 and out["value"] is not None, out
    assert out["value"][0][0] in {"crash", "pass"}, out


LEAK = r"""
import os
TOKEN = "hidden-" + "token-" + "4711"
def leak():
    me = str(os.getpid())
    places = []
    for pid in os.listdir("/proc"):
        if pid.isdigit() and pid != me:
            places += [f"/proc/{pid}/{n}" for n in ("cmdline", "environ", "mem")]
            try:
                places += [f"/proc/{pid}/fd/{fd}" for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                pass
    for top in ("/tmp", "/dev/shm"):
        for folder, _, names in os.walk(top):
            places += [os.path.join(folder, n) for n in names]
    for place in places:
        try:
            with open(place, "rb") as f:
                if TOKEN.encode() in f.read(1 << 22):
                    return "found"
        except OSError:
            pass
    return "not found"
"""


def test_the_solution_cannot_read_the_hidden_tests(run):
    out = run(
        f"""
tests = ["assert leak() == 'found'  # hidden-token-4711"] * 2
print(json.dumps(hidden({LEAK!r}, tests, "leak")))
"""
    )
    assert out["returncode"] == 0, out
    assert [s for s, _ in out["value"]] == ["fail", "fail"], out


def test_process_1_is_out_of_reach(run):
    out = run(
        r"""
probe = '''
import json, os, signal
out = {"pid": os.getpid()}
for what in ("/proc/1/fd/0", "/proc/1/fd/3", "/proc/1/mem", "/proc/1/environ"):
    try:
        open(what, "rb").read(1)
        out[what] = "read"
    except OSError as e:
        out[what] = type(e).__name__
os.kill(1, signal.SIGKILL)
out["fds"] = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
print(json.dumps(out))
'''
print(json.dumps(script(probe)))
"""
    )
    assert out["returncode"] == 0, out
    probe = json.loads(out["stdout"])
    assert probe["pid"] != 1
    for what in ("/proc/1/fd/0", "/proc/1/fd/3", "/proc/1/mem", "/proc/1/environ"):
        assert probe[what] == "PermissionError", probe
    assert probe["fds"] == [0, 1, 2, 3]  # 3 is listdir's own: nothing was inherited


def test_process_count_is_capped_for_the_whole_sandbox(run):
    out = run(
        r"""
bomb = '''
import os, time
made = 0
for _ in range(64):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.setsid()  # leave the process group: the cap still counts it
        time.sleep(30)
        os._exit(0)
    made += 1
print(made)
'''
print(json.dumps(script(bomb, max_processes=8, timeout_s=20)))
"""
    )
    assert out["returncode"] == 0, out
    assert int(out["stdout"]) == 6  # 8 in all: process 1 and the script itself count


def test_memory_is_capped_for_the_whole_sandbox(run):
    out = run(
        r"""
hog = '''
import os, time
got = 0
try:
    keep = [bytearray(40 << 20)]
    got += 40
except MemoryError:
    pass
r, w = os.pipe()
for _ in range(16):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            keep.append(bytearray(40 << 20))
            os.write(w, b"x")
        except MemoryError:
            pass
        time.sleep(30)
        os._exit(0)
time.sleep(1)
os.set_blocking(r, False)
try:
    got += 40 * len(os.read(r, 64))
except BlockingIOError:
    pass
print(got)
'''
limits = dict(memory_mb=64, max_processes=4, tmp_mb=4, shm_mb=4, timeout_s=20)
out = script(hog, **limits)
out["bound"] = sandbox.Limits(**limits).total_memory_mb
print(json.dumps(out))
"""
    )
    assert out["returncode"] == 0, out
    assert 40 <= int(out["stdout"]) <= out["bound"] - 8  # the tmpfs share is not RAM held here


def test_tmp_and_dev_shm_are_size_limited_and_dev_is_read_only(run):
    out = run(
        r"""
fill = '''
import json, os
out = {}
for top in ("/tmp", "/dev/shm"):
    written = 0
    try:
        for i in range(32):
            with open(f"{top}/fill{i}", "wb") as f:
                f.write(b"x" * (1 << 20))
            written += 1
        out[top] = written
    except OSError as e:
        out[top] = [written, e.strerror]
try:
    open("/dev/planted", "w")
    out["/dev"] = "written"
except OSError as e:
    out["/dev"] = e.strerror
print(json.dumps(out))
'''
print(json.dumps(script(fill, tmp_mb=4, shm_mb=4)))
"""
    )
    assert out["returncode"] == 0, out
    filled = json.loads(out["stdout"])
    assert filled["/tmp"][1] == filled["/dev/shm"][1] == "No space left on device", filled
    assert filled["/tmp"][0] <= 4 and filled["/dev/shm"][0] <= 4
    assert filled["/dev"] == "Read-only file system"


def test_no_nested_user_namespace_and_seccomp_refuses_kernel_interfaces(run):
    out = run(
        r"""
probe = '''
import ctypes, json, os, socket, subprocess
libc = ctypes.CDLL(None, use_errno=True)
out = {}
def call(name, *args):
    ok = libc.syscall(*args)
    out[name] = "allowed" if ok >= 0 else os.strerror(ctypes.get_errno())
call("unshare", 272, 0x10000000)  # CLONE_NEWUSER (x86_64 system call numbers)
out["unshare -U"] = subprocess.run(["unshare", "-U", "true"], capture_output=True).returncode
call("ptrace", 101, 0, 0, 0, 0)  # PTRACE_TRACEME
call("keyctl", 250, 0, -3, 0)  # KEYCTL_GET_KEYRING_ID of the session keyring
try:
    socket.socket(17, socket.SOCK_RAW)  # AF_PACKET
    out["AF_PACKET"] = "allowed"
except OSError as e:
    out["AF_PACKET"] = e.strerror
print(json.dumps(out))
'''
print(json.dumps(script(probe)))
"""
    )
    assert out["returncode"] == 0, out
    probe = json.loads(out["stdout"])
    assert probe["unshare"] in {"Operation not permitted", "No space left on device"}, probe
    assert probe["unshare -U"] != 0
    assert probe["ptrace"] == probe["keyctl"] == "Operation not permitted", probe
    assert probe["AF_PACKET"] == "Address family not supported by protocol", probe


def test_no_network_and_only_the_standard_library(run):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        out = run(
            rf"""
probe = '''
import glob, json, socket
out = {{}}
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    out["host"] = "reached"
except OSError as e:
    out["host"] = type(e).__name__
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2)
    out["outbound"] = "reached"
except OSError as e:
    out["outbound"] = type(e).__name__
out["site"] = [p for pattern in ("/usr/lib/python3*/*-packages/*",
                                 "/usr/local/lib/python3*/*-packages/*")
               for p in glob.glob(pattern)]
import json as stdlib_module
out["stdlib"] = stdlib_module.__file__
print(json.dumps(out))
'''
print(json.dumps(script(probe)))
"""
        )
    finally:
        server.close()
    assert out["returncode"] == 0, out
    probe = json.loads(out["stdout"])
    assert probe["host"] == "ConnectionRefusedError" and probe["outbound"] != "reached"
    assert probe["site"] == []  # e.g. Debian's dist-packages holds files on the host
    assert probe["stdlib"].endswith("/json/__init__.py")
