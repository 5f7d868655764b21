"""Process 1 of every sandbox (standard library only): the only trusted code inside.

`playground.approval.sandbox` starts bubblewrap with ``--as-pid-1`` and this file as the command,
so no bubblewrap process lives inside the sandbox and this process is its init. First, before
anything untrusted exists, it makes itself not dumpable: other processes of the same uid can
then neither open its ``/proc/1/fd`` entries (its stdin, its result channel) nor read its memory
or trace it. As init of the PID namespace it also ignores every signal sent from inside (the
kernel drops them unless a handler is installed, and none is). Then it:

1. reads the payload (one JSON object) from stdin to the end and puts ``/dev/null`` there, so
   nothing started later inherits it;
2. moves the result channel to fd 3 and closes every other inherited descriptor but 0, 1,
   2; fd 3 is close-on-exec and is never handed to a child;
3. writes the payload's files into ``/tmp`` and sets the payload's resource limits;
4. either (``mode`` "script") forks, execs the untrusted script in the child and exits with its
   status (128 + N for signal N), reaping every orphan meanwhile; or (``mode`` "runner") runs
   the trusted runner's code in this very process: it defines ``main(payload)``, whose return
   value is written as JSON to fd 3, the result channel, and then this process exits 0. The host
   accepts that value only after a 0 exit status. A runner must close fd 3 in every child it
   forks (the TDD runner closes every descriptor but its own pipe).
"""

import ctypes
import json
import os
import resource
import signal
import sys

RESULT_FD = 3
_PR_SET_DUMPABLE = 4


def _not_dumpable() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _read_payload() -> dict:
    chunks = []
    while chunk := os.read(0, 1 << 20):
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return json.loads(b"".join(chunks))


def _write_files(files: dict) -> None:
    for rel, text in files.items():
        path = os.path.join("/tmp", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


def _run_script() -> int:
    pid = os.fork()
    if pid == 0:
        try:
            os.closerange(3, 1 << 16)
            os.execv(sys.executable, [sys.executable, "-E", "-S", "-B", "/tmp/main.py"])
        finally:
            os._exit(127)
    while True:  # reap orphans too: zombies would count against the process limit
        done, status = os.wait()
        if done == pid:
            if os.WIFSIGNALED(status):
                return 128 + os.WTERMSIG(status)
            return os.WEXITSTATUS(status)


def _run_runner(runner: str, data: object) -> None:
    namespace: dict = {"__name__": "sandbox_runner", "__builtins__": __builtins__}
    exec(compile(runner, "runner.py", "exec"), namespace)
    answer = json.dumps(namespace["main"](data)).encode()
    view = memoryview(answer)
    while view:
        view = view[os.write(RESULT_FD, view) :]


def main() -> None:
    _not_dumpable()
    # Python's own SIGINT handler would let a process inside interrupt us; without handlers,
    # the kernel drops every signal sent to the PID namespace's init from inside it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    payload = _read_payload()
    if payload["result_fd"] != RESULT_FD:
        os.dup2(payload["result_fd"], RESULT_FD)
    os.set_inheritable(RESULT_FD, False)
    os.closerange(RESULT_FD + 1, 1 << 16)
    _write_files(payload["files"])
    os.chdir("/tmp")
    for name, soft, hard in payload["limits"]:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    if payload["mode"] == "script":
        os._exit(_run_script())
    _run_runner(payload["runner"], payload["data"])
    sys.stdout.flush()
    os._exit(0)


main()
