"""The test runner the TDD environment sends into the sandbox (standard library only).

It reads ``cases.json`` ({"solutions": [...], "tests": [...], "check_s": float}), deletes it,
runs every solution against every test, each pair in a forked process of its own with a time
limit, and prints one JSON line: {"results": [[[status, message], ...], ...]} indexed
[solution][test]. Status is ``pass``, ``fail`` (an AssertionError), ``error`` (any other
exception, in the solution or the test), ``timeout``, or ``crash`` (the process ended without
reporting, e.g. it called ``os._exit``).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
import types

_MESSAGE_CHARS = 300


def check(solution: str, test: str) -> tuple[str, str]:
    """Run the solution, then the test in the same namespace (so it may also
    ``from solution import f``), then every ``test*`` function the test defined."""
    module = types.ModuleType("solution")
    sys.modules["solution"] = module
    namespace = module.__dict__
    try:
        exec(compile(solution, "solution.py", "exec"), namespace)
    except BaseException as e:
        return "error", f"solution: {type(e).__name__}: {e}"
    namespace["__name__"] = "__main__"
    try:
        exec(compile(test, "tests.py", "exec"), namespace)
        for name, value in list(namespace.items()):
            if (
                name.startswith("test")
                and isinstance(value, types.FunctionType)
                and value.__code__.co_filename == "tests.py"
            ):
                value()
    except AssertionError as e:
        return "fail", f"AssertionError: {e}"
    except BaseException as e:
        return "error", f"{type(e).__name__}: {e}"
    return "pass", ""


def run_pair(solution: str, test: str, check_s: float) -> list[str]:
    """`check` in a child process; its output is discarded, its verdict comes over a pipe."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        os.setpgid(0, 0)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        status, message = check(solution, test)
        os.write(write_fd, json.dumps([status, message[:_MESSAGE_CHARS]]).encode())
        os._exit(0)
    os.close(write_fd)
    with contextlib.suppress(OSError):  # the child already did it, or already ended
        os.setpgid(pid, pid)
    deadline = time.monotonic() + check_s
    data = b""
    verdict: list[str] | None = None
    while verdict is None:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([read_fd], [], [], left)[0]:
            verdict = ["timeout", f"no result within {check_s:g} s"]
            break
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        data += chunk
        try:  # a process the checked code spawned may hold the pipe open: stop at the verdict
            status, message = json.loads(data)
            verdict = [str(status), str(message)]
        except (ValueError, TypeError):
            continue
    os.close(read_fd)
    with contextlib.suppress(OSError):  # also whatever the checked code spawned
        os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return verdict or ["crash", "the process ended without reporting a result"]


def main() -> None:
    with open("cases.json", encoding="utf-8") as f:
        cases = json.load(f)
    os.remove("cases.json")  # checked code should not simply read the other cases
    results = [
        [run_pair(solution, test, cases["check_s"]) for test in cases["tests"]]
        for solution in cases["solutions"]
    ]
    sys.stdout.write(json.dumps({"results": results}) + "\n")


if __name__ == "__main__":
    main()
