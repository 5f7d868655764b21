"""Run untrusted, model-written Python in a bubblewrap sandbox, never in the app's process.

Each call starts ``bwrap`` (Debian package ``bubblewrap``) with fresh namespaces:

- **files**: the sandbox sees ``/usr`` (and the merged-/usr symlinks ``/bin``, ``/lib``, ...)
  and the Python installation read-only, a minimal ``/dev``, its own ``/proc``, and a fresh
  size-limited tmpfs at ``/tmp`` that is its working directory and its only writable place.
  Nothing else of the host (home directories, the project, its hidden test data) is visible,
  and the tmpfs vanishes with the sandbox, so nothing written lands on the host;
- **network**: a private network namespace with only its own loopback;
- **processes**: a private PID namespace; killing the sandbox kills everything in it;
- **limits** (set before the model's code starts, soft = hard so it cannot raise them): address
  space (``RLIMIT_AS``), CPU seconds, file size, and number of processes. When we run as root
  the model's code runs as a throwaway uid without capabilities, so the process limit holds
  and root-only files stay unreadable; otherwise bubblewrap's user namespace does the same.

The wall-clock limit kills the sandbox's process group from outside. If bubblewrap is missing
or cannot create namespaces here, `run_python` raises `SandboxUnavailable`: it never falls back
to running the code unisolated.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

MAX_OUTPUT_CHARS = 20_000
"""stdout and stderr are each cut to this many characters (the rest is counted, not kept)."""

_SANDBOX_UID_BASE = 1_000_000
"""Throwaway uids for sandboxed code when we run as root: one random uid per run, so the
process limit of one run is not shared with another."""

# Runs inside the sandbox as root (or the caller's uid): reads the payload from stdin, writes the
# files into /tmp, applies the limits, drops to the throwaway uid and execs the model's script.
_BOOTSTRAP = """
import json, os, resource, sys
p = json.loads(sys.stdin.buffer.read())
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
for rel, text in p["files"].items():
    path = os.path.join("/tmp", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
uid = p["uid"]
if os.getuid() == 0:
    for top, dirs, names in os.walk("/tmp"):
        for name in dirs + names:
            os.lchown(os.path.join(top, name), uid, uid)
    os.chown("/tmp", uid, uid)
for name, soft, hard in p["limits"]:
    resource.setrlimit(getattr(resource, name), (soft, hard))
if os.getuid() == 0:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
os.execv(sys.executable, [sys.executable, "-E", "-S", "-B", "/tmp/main.py"])
"""


class SandboxUnavailable(RuntimeError):
    """No isolation mechanism works on this machine; the code was not run."""


@dataclass(frozen=True, kw_only=True)
class SandboxResult:
    """What one sandboxed run of a script did."""

    returncode: int
    """The script's exit status: 128 + N when signal N killed it (bubblewrap's convention),
    -9 when the wall-clock limit killed the sandbox."""
    stdout: str
    """Standard output, cut to `MAX_OUTPUT_CHARS` with a note of what was cut."""
    stderr: str
    """Standard error, cut the same way."""
    timed_out: bool
    """True when the wall-clock limit was reached and the sandbox was killed."""
    reason: str | None
    """One line when a limit stopped the script (time, CPU, memory, file size, processes,
    disk), else None. Ordinary exceptions in the script are not reasons: read stderr."""
    duration_s: float
    """Wall-clock seconds from starting the sandbox to its end."""

    @property
    def ok(self) -> bool:
        """The script ran to the end and exited 0."""
        return self.returncode == 0 and not self.timed_out


def run_python(
    code: str,
    *,
    files: dict[str, str] | None = None,
    timeout_s: float = 5.0,
    memory_mb: int = 256,
    cpu_s: float | None = None,
    file_mb: int = 16,
    tmp_mb: int = 64,
    max_processes: int = 64,
) -> SandboxResult:
    """Run ``code`` as the script ``/tmp/main.py`` in a fresh sandbox and wait for it.

    ``files`` maps relative paths to text written next to the script first (the script can
    import ``helper.py`` as ``helper``). Limits: ``timeout_s`` of wall-clock time for the whole
    run, ``cpu_s`` CPU seconds per process (default: the wall-clock limit), ``memory_mb`` of
    address space per process, ``file_mb`` per written file (stdout and stderr included),
    ``tmp_mb`` for the whole of ``/tmp``, ``max_processes`` alive at once. Only the Python
    standard library is importable (Python runs with ``-S``: no site-packages, and no
    ``exit()``/``quit()`` helpers; ``sys.exit`` works). Blocking; safe to call from several
    threads at once.
    """
    problem = isolation_problem()
    if problem:
        raise SandboxUnavailable(problem)
    return _run(code, files or {}, timeout_s, memory_mb, cpu_s, file_mb, tmp_mb, max_processes)


@functools.cache
def isolation_problem() -> str | None:
    """Why no sandbox can run here (one line), or None when bubblewrap works. Checked once."""
    if shutil.which("bwrap") is None:
        return "no sandbox: bwrap not found (install the Debian package bubblewrap)"
    probe = _run("print('ok')", {}, 10.0, 256, None, 1, 1, 8)
    if probe.returncode != 0 or probe.stdout.strip() != "ok":
        lines = (probe.stderr or probe.reason or f"exit status {probe.returncode}").splitlines()
        return f"no sandbox: bwrap cannot isolate code here: {lines[-1] if lines else '?'}"
    return None


def _run(
    code: str,
    files: dict[str, str],
    timeout_s: float,
    memory_mb: int,
    cpu_s: float | None,
    file_mb: int,
    tmp_mb: int,
    max_processes: int,
) -> SandboxResult:
    for rel in files:
        parts = Path(rel).parts
        if not parts or Path(rel).is_absolute() or ".." in parts or rel == "main.py":
            raise ValueError(f"sandbox file name must be relative and not main.py: {rel!r}")
    cpu = max(1, math.ceil(cpu_s if cpu_s is not None else timeout_s))
    limits = [
        ("RLIMIT_AS", memory_mb << 20, memory_mb << 20),
        ("RLIMIT_CPU", cpu, cpu + 1),  # SIGXCPU first, SIGKILL a second later
        ("RLIMIT_FSIZE", file_mb << 20, file_mb << 20),
        ("RLIMIT_NPROC", max_processes, max_processes),
        ("RLIMIT_CORE", 0, 0),
    ]
    payload = {
        "files": {**files, "main.py": code},
        "uid": _SANDBOX_UID_BASE + secrets.randbelow(1 << 20),
        "limits": limits,
    }
    with (
        tempfile.TemporaryFile() as stdin,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        stdin.write(json.dumps(payload).encode())
        stdin.seek(0)
        start = time.monotonic()
        proc = subprocess.Popen(
            _bwrap_argv(tmp_mb),
            stdin=stdin,
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group, killed as a whole on timeout
            env={"PATH": "/usr/bin:/bin"},
        )
        timed_out = False
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            # bwrap's --die-with-parent and PID namespace take every sandboxed process with it.
            with contextlib.suppress(ProcessLookupError):  # it may have just ended
                os.killpg(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
        duration = time.monotonic() - start
        stdout, stderr = _read_capped(out), _read_capped(err)
        err_tail = _read_tail(err)
    reason = _reason(
        returncode, err_tail, timed_out, timeout_s, cpu, memory_mb, file_mb, tmp_mb, max_processes
    )
    return SandboxResult(
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        reason=reason,
        duration_s=duration,
    )


@functools.cache
def _python() -> tuple[str, str]:
    """The base interpreter (not the venv's: the sandbox gets the standard library only) and
    the installation directory it needs."""
    exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    return exe, os.path.realpath(sys.base_prefix)


def _bwrap_argv(tmp_mb: int) -> list[str]:
    exe, prefix = _python()
    argv = [shutil.which("bwrap") or "bwrap", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
    trees = [prefix]
    if not exe.startswith(prefix.rstrip("/") + "/"):
        trees.append(os.path.dirname(exe))
    for tree in trees:
        if tree != "/usr" and not tree.startswith("/usr/"):
            # Create the parents ourselves: bwrap would make them 0700, unreadable after the
            # uid drop.
            parents = Path(tree).parents
            for parent in reversed(parents[:-1]):
                argv += ["--perms", "0755", "--dir", str(parent)]
            argv += ["--ro-bind", tree, tree]
    argv += ["--dev", "/dev", "--proc", "/proc"]
    argv += ["--size", str(tmp_mb << 20), "--perms", "1777", "--tmpfs", "/tmp"]
    argv += ["--remount-ro", "/", "--chdir", "/tmp"]
    argv += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--hostname", "sandbox"]
    argv += ["--die-with-parent", "--new-session", "--clearenv"]
    for key, value in (
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("HOME", "/tmp"),
        ("TMPDIR", "/tmp"),
        ("LANG", "C.UTF-8"),
    ):
        argv += ["--setenv", key, value]
    return [*argv, exe, "-E", "-S", "-B", "-c", _BOOTSTRAP]


def _read_capped(f: IO[bytes]) -> str:
    size = f.seek(0, os.SEEK_END)
    f.seek(0)
    text = f.read(MAX_OUTPUT_CHARS * 4).decode("utf-8", errors="replace")
    if len(text) > MAX_OUTPUT_CHARS or size > MAX_OUTPUT_CHARS * 4:
        return text[:MAX_OUTPUT_CHARS] + f"\n[… output cut: {size} bytes in all]"
    return text


def _read_tail(f: IO[bytes], size: int = 16_384) -> str:
    """The last `size` bytes of a capture, uncut: where the exception that ended a script is."""
    end = f.seek(0, os.SEEK_END)
    f.seek(max(0, end - size))
    return f.read().decode("utf-8", errors="replace")


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b")
"""The closing line of a Python traceback (`BlockingIOError: [Errno 11] ...`)."""


def _reason(
    returncode: int,
    stderr_tail: str,
    timed_out: bool,
    timeout_s: float,
    cpu: int,
    memory_mb: int,
    file_mb: int,
    tmp_mb: int,
    max_processes: int,
) -> str | None:
    if timed_out:
        return f"killed: wall-clock limit of {timeout_s:g} s reached"
    if returncode == 128 + signal.SIGXCPU:
        return f"killed: CPU time limit of {cpu} s reached"
    if returncode == 128 + signal.SIGKILL:
        return "killed by SIGKILL (CPU or memory limit)"
    if returncode == 0:
        return None
    # Several processes (a fork bomb) interleave their tracebacks, so the last line of stderr
    # may be the middle of one: take the last line that closes a traceback.
    lines = reversed(stderr_tail.splitlines())
    last = next((line for line in lines if _EXCEPTION_LINE.match(line)), "")
    for marker, reason in (
        ("MemoryError", f"memory limit of {memory_mb} MB reached"),
        ("File too large", f"file-size limit of {file_mb} MB reached"),
        ("No space left on device", f"/tmp size limit of {tmp_mb} MB reached"),
        ("Resource temporarily unavailable", f"process limit of {max_processes} reached"),
    ):
        if marker in last:
            return reason
    if returncode > 128:
        try:
            return f"killed by {signal.Signals(returncode - 128).name}"
        except ValueError:
            return None
    return None
