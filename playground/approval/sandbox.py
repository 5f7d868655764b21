"""Run untrusted, model-written Python in a bubblewrap sandbox, never in the app's process.

Each call starts ``bwrap`` (Debian package ``bubblewrap``) unprivileged, in fresh namespaces
(user, PID, network, IPC, UTS), under a seccomp filter (`sandbox_seccomp`), with nested user
namespaces disabled. When we run as root, bwrap itself is started as a throwaway uid first, so
root and an ordinary user get the same sandbox. What it sees is in `sandbox_bwrap`: ``/usr`` and
the interpreter read-only with the standard library only (site-packages hidden), its own
``/proc``, a read-only ``/dev`` with a size-limited ``/dev/shm``, a size-limited ``/tmp``, and
its own loopback only. Process 1 inside is our own supervisor (`sandbox_init`), not dumpable,
deaf to signals from inside; it reads the payload from a file and closes it, and is the only
process that holds the result channel (a file on fd 3).

Two entry points:

- `run_python` runs an untrusted script and reports its exit status, stdout and stderr;
- `run_runner` runs trusted runner code as process 1 itself; the runner starts the untrusted
  code as its children and returns a JSON value, which is read from the result channel (never
  from stdout) and accepted only when process 1 exited 0. Code inside cannot write that channel,
  read the runner's payload (e.g. hidden tests) or kill the runner.

Limits hold for the whole sandbox, not per process: the number of processes (``RLIMIT_NPROC``
counts every process of the sandbox's uid in its own user namespace, and only those), and
memory as at most ``max_processes × memory_mb`` of address space plus the two tmpfs sizes
(no cgroup is used: see docs/security.md). CPU seconds and file size are per process. The
wall-clock limit kills the sandbox from outside. If bubblewrap or seccomp is missing or cannot
create namespaces here, `run_python` raises `SandboxUnavailable`: it never falls back to running
the code unisolated.
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
import tempfile
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, Any

from . import sandbox_bwrap
from .sandbox_seccomp import SeccompUnavailable, bpf_program

MAX_OUTPUT_CHARS = 20_000
"""stdout and stderr are each cut to this many characters (the rest is counted, not kept)."""
MAX_RESULT_BYTES = 16 << 20
"""A runner's answer larger than this is refused."""

_SANDBOX_UID_BASE = 1_000_000
"""Throwaway uids for the sandbox when we run as root: one random uid per run, so the process
limit of one run is not shared with another, and no file of a real user is the sandbox's."""


class SandboxUnavailable(RuntimeError):
    """No isolation mechanism works on this machine; the code was not run."""


@dataclass(frozen=True, kw_only=True)
class SandboxResult:
    """What one sandboxed run did."""

    returncode: int
    """Exit status (of the script, or of the runner as process 1): 128 + N when signal N
    killed it, -9 when the wall-clock limit killed the sandbox."""
    stdout: str
    """Standard output, cut to `MAX_OUTPUT_CHARS` with a note of what was cut. Never the
    runner's answer: anything inside may have written here."""
    stderr: str
    """Standard error, cut the same way."""
    timed_out: bool
    """True when the wall-clock limit was reached and the sandbox was killed."""
    reason: str | None
    """One line when a limit stopped the run (time, CPU, memory, file size, processes, disk)
    or a runner gave no answer, else None. Ordinary exceptions are not reasons: read stderr."""
    duration_s: float
    """Wall-clock seconds from starting the sandbox to its end."""
    value: Any = None
    """`run_runner` only: the runner's answer, read from the result channel only after the
    runner exited 0; None otherwise."""

    @property
    def ok(self) -> bool:
        """The run went to the end and exited 0."""
        return self.returncode == 0 and not self.timed_out


@dataclass(frozen=True, kw_only=True)
class Limits:
    """The limits of one sandbox (see `run_python` for what each means)."""

    timeout_s: float = 5.0
    memory_mb: int = 256
    cpu_s: float | None = None
    file_mb: int = 16
    tmp_mb: int = 64
    shm_mb: int = 16
    max_processes: int = 16

    @property
    def cpu(self) -> int:
        return max(1, math.ceil(self.cpu_s if self.cpu_s is not None else self.timeout_s))

    @property
    def rlimits(self) -> list[tuple[str, int, int]]:
        """Set inside before any untrusted code starts; soft = hard, so they cannot be raised."""
        return [
            ("RLIMIT_AS", self.memory_mb << 20, self.memory_mb << 20),
            ("RLIMIT_CPU", self.cpu, self.cpu + 1),  # SIGXCPU first, SIGKILL a second later
            ("RLIMIT_FSIZE", self.file_mb << 20, self.file_mb << 20),
            ("RLIMIT_NPROC", self.max_processes, self.max_processes),
            ("RLIMIT_CORE", 0, 0),
        ]

    @property
    def total_memory_mb(self) -> int:
        """The most memory the whole sandbox can hold: every process at its address-space
        limit, plus full ``/tmp`` and ``/dev/shm`` (tmpfs lives in memory)."""
        return self.max_processes * self.memory_mb + self.tmp_mb + self.shm_mb


def run_python(
    code: str,
    *,
    files: dict[str, str] | None = None,
    timeout_s: float = 5.0,
    memory_mb: int = 256,
    cpu_s: float | None = None,
    file_mb: int = 16,
    tmp_mb: int = 64,
    shm_mb: int = 16,
    max_processes: int = 16,
) -> SandboxResult:
    """Run ``code`` as the script ``/tmp/main.py`` in a fresh sandbox and wait for it.

    ``files`` maps relative paths to text written next to the script first (the script can
    import ``helper.py`` as ``helper``). Limits: ``timeout_s`` of wall-clock time for the whole
    run, ``cpu_s`` CPU seconds per process (default: the wall-clock limit), ``memory_mb`` of
    address space per process, ``file_mb`` per written file (stdout and stderr included),
    ``tmp_mb`` for the whole of ``/tmp`` and ``shm_mb`` for ``/dev/shm``, ``max_processes``
    alive at once in the whole sandbox (process 1 included). Only the Python standard library
    is importable (Python runs with ``-S``: no site-packages, and no ``exit()``/``quit()``
    helpers; ``sys.exit`` works). Blocking; safe to call from several threads at once.
    """
    _check_files(files or {})
    limits = Limits(
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        cpu_s=cpu_s,
        file_mb=file_mb,
        tmp_mb=tmp_mb,
        shm_mb=shm_mb,
        max_processes=max_processes,
    )
    payload = {"mode": "script", "files": {**(files or {}), "main.py": code}}
    return _available_run(payload, limits)


def run_runner(runner: str, data: object, limits: Limits) -> SandboxResult:
    """Run trusted ``runner`` code as process 1 of a fresh sandbox: it must define
    ``main(data)``, which gets ``data`` (any JSON value) and returns a JSON value. The result's
    ``value`` is that answer, taken from the result channel only when the runner exited 0; its
    ``reason`` says why there is none otherwise. The runner starts untrusted code as its own
    children, and must close every descriptor above 2 in a child it forks (fd 3 is the result
    channel); such children cannot read ``data`` from outside, nor write the answer."""
    payload = {"mode": "runner", "files": {}, "runner": runner, "data": data}
    return _available_run(payload, limits)


def _available_run(payload: dict[str, Any], limits: Limits) -> SandboxResult:
    problem = isolation_problem()
    if problem:
        raise SandboxUnavailable(problem)
    return _run(payload, limits)


@functools.cache
def isolation_problem() -> str | None:
    """Why no sandbox can run here (one line), or None when bubblewrap works. Checked once."""
    if shutil.which("bwrap") is None:
        return "no sandbox: bwrap not found (install the Debian package bubblewrap)"
    try:
        bpf_program()
    except SeccompUnavailable as e:
        return f"no sandbox: {e}"
    exe, _ = sandbox_bwrap.interpreter(os.geteuid() == 0)
    if os.geteuid() == 0 and not sandbox_bwrap.usable_by_others(exe):
        return (
            f"no sandbox: {exe} is not readable by the sandbox's throwaway uid "
            "(install the Debian package python3)"
        )
    probe = _run({"mode": "script", "files": {"main.py": "print('ok')"}}, Limits(timeout_s=10))
    if probe.returncode != 0 or probe.stdout.strip() != "ok":
        lines = (probe.stderr or probe.reason or f"exit status {probe.returncode}").splitlines()
        return f"no sandbox: bwrap cannot isolate code here: {lines[-1] if lines else '?'}"
    return None


def _check_files(files: dict[str, str]) -> None:
    for rel in files:
        parts = Path(rel).parts
        if not parts or Path(rel).is_absolute() or ".." in parts or rel == "main.py":
            raise ValueError(f"sandbox file name must be relative and not main.py: {rel!r}")


@functools.cache
def _init_code() -> str:
    return (resources.files(__package__) / "sandbox_init.py").read_text(encoding="utf-8")


def _run(payload: dict[str, Any], limits: Limits) -> SandboxResult:
    as_root = os.geteuid() == 0
    uid = _SANDBOX_UID_BASE + secrets.randbelow(1 << 20) if as_root else None
    exe, prefix = sandbox_bwrap.interpreter(as_root)
    with (
        tempfile.TemporaryFile() as stdin,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.TemporaryFile() as result,
        tempfile.TemporaryFile() as seccomp,
    ):
        # bwrap passes on the descriptors it does not use; process 1 moves this one to fd 3.
        full = {**payload, "limits": limits.rlimits, "result_fd": result.fileno()}
        stdin.write(json.dumps(full).encode())
        stdin.seek(0)
        seccomp.write(bpf_program())
        seccomp.seek(0)
        argv = sandbox_bwrap.argv(
            exe=exe,
            prefix=prefix,
            tmp_mb=limits.tmp_mb,
            shm_mb=limits.shm_mb,
            seccomp_fd=seccomp.fileno(),
            command=[exe, "-I", "-S", "-B", "-c", _init_code()],
        )
        start = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=out,
            stderr=err,
            pass_fds=(result.fileno(), seccomp.fileno()),
            start_new_session=True,  # its own process group, killed as a whole on timeout
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},
            user=uid,
            group=uid,
            extra_groups=[] if as_root else None,
        )
        timed_out = False
        try:
            returncode = proc.wait(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            # bwrap's --die-with-parent and PID namespace take every sandboxed process with it.
            with contextlib.suppress(ProcessLookupError):  # it may have just ended
                os.killpg(proc.pid, signal.SIGKILL)
            returncode = proc.wait()
        duration = time.monotonic() - start
        stdout, stderr = _read_capped(out), _read_capped(err)
        err_tail = _read_tail(err)
        value, no_value = _answer(result) if payload["mode"] == "runner" else (None, None)
    reason = _reason(returncode, err_tail, timed_out, limits)
    if payload["mode"] == "runner" and reason is None:
        reason = no_value if returncode == 0 else f"runner ended with exit status {returncode}"
    return SandboxResult(
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        reason=reason,
        duration_s=duration,
        value=value if returncode == 0 and not timed_out else None,
    )


def _answer(result: IO[bytes]) -> tuple[Any, str | None]:
    """The runner's answer from the result channel, or None and why there is none."""
    size = result.seek(0, os.SEEK_END)
    if size > MAX_RESULT_BYTES:
        return None, f"runner answer too large ({size} bytes)"
    result.seek(0)
    try:
        return json.loads(result.read()), None
    except ValueError:
        return None, "runner sent no answer"


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


def _reason(returncode: int, stderr_tail: str, timed_out: bool, limits: Limits) -> str | None:
    timeout_s, cpu, memory_mb = limits.timeout_s, limits.cpu, limits.memory_mb
    file_mb, tmp_mb, max_processes = limits.file_mb, limits.tmp_mb, limits.max_processes
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
