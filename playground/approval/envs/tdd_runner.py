"""The test runner the TDD environment sends into the sandbox (standard library only).

It runs as process 1 of the sandbox (`playground.approval.sandbox.run_runner`): its
``main(cases)`` gets {"solution": str, "tests": [...], "check_s": float, "function": str |
null}, runs the solution against every test, each pair in a forked process of its own with a
time limit, and returns [[status, message], ...], which reaches the host over the sandbox's
result channel: nothing the checked code prints or writes can pass for it.
Status is ``pass``, ``fail`` (an AssertionError), ``error`` (any other exception, in the
solution or the test), ``timeout``, or ``crash`` (the process ended without reporting, e.g. it
called ``os._exit``). One sandbox holds one solution, so nothing a test leaves behind (a file,
a process) reaches the run of another solution.

Two ways to run a pair:

- ``function`` null: the solution and the test run in one process (the test may ``from
  solution import f``). Used when the test is the agent's (its own tests against the reference
  and the mutants, or against its own code): whatever it does only decides its own verdict.
- ``function`` named: the test is trusted (a hidden reference test) and the solution is the
  agent's. The test runs here; the agent's code runs in a fresh interpreter (``python -I``,
  nothing of this process's memory) that only receives the call arguments and sends back each
  result (and the arguments as the call left them, so in-place changes show) as ``repr``
  text, which is read with `ast.literal_eval`: plain data or an error. So
  the agent's code cannot see the hidden tests or their expected values, cannot hand back an
  object that equals everything, and cannot write a verdict: the sandbox made this process
  not dumpable (its forked checkers inherit that), so the code cannot open their pipes or
  memory through ``/proc``, and as the sandbox's init it cannot be killed from inside.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import types

# Nothing is imported from the working directory: checked code can write files there.
sys.path[:] = [p for p in sys.path if p not in ("", "/tmp", os.getcwd())]

_MESSAGE_CHARS = 300

# The agent's function, served in a fresh interpreter: one JSON line in per call, one out.
_WORKER = r"""
import ast, json, os, sys, types
proto_in = os.fdopen(os.dup(0), "rb")
proto_out = os.fdopen(os.dup(1), "wb")
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)

def reply(obj):
    proto_out.write(json.dumps(obj).encode() + b"\n")
    proto_out.flush()

request = json.loads(proto_in.readline())
module = types.ModuleType("solution")
sys.modules["solution"] = module
try:
    exec(compile(request["solution"], "solution.py", "exec"), module.__dict__)
    fn = module.__dict__[request["function"]]
except BaseException as e:
    reply({"failed": f"solution: {type(e).__name__}: {e}"[:300]})
    os._exit(0)
reply({"ready": True})
for line in proto_in:
    call = json.loads(line)
    args, kwargs = ast.literal_eval(call["args"]), ast.literal_eval(call["kwargs"])
    try:
        out = {"id": call["id"], "value": repr(fn(*args, **kwargs))}
    except BaseException as e:
        out = {"id": call["id"], "raised": type(e).__name__, "message": str(e)[:300]}
    try:  # the arguments as the call left them, so a test can see them changed in place
        out["args"] = repr(args)
    except BaseException:
        pass
    reply(out)
"""


class Gone(Exception):
    """The process serving the function ended, or sent something that is not a reply."""


class Served:
    """The agent's ``function`` in its own interpreter; calling it sends the arguments there."""

    def __init__(self, solution: str, function: str) -> None:
        self.function = function
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-B", "-c", _WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.buffer = b""
        self.calls = 0
        self.send({"solution": solution, "function": function})
        first = self.receive()
        if "failed" in first:
            raise RuntimeError(first["failed"])

    def send(self, obj: dict) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
            self.proc.stdin.flush()
        except OSError as e:
            raise Gone(f"the solution's process ended ({e})") from None

    def receive(self) -> dict:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            select.select([fd], [], [])  # the pair's time limit is kept by the parent
            chunk = os.read(fd, 65536)
            if not chunk:
                raise Gone("the solution's process ended without replying")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        try:
            reply = json.loads(line)
        except ValueError:
            raise Gone("the solution's process sent something that is not a reply") from None
        if not isinstance(reply, dict):
            raise Gone("the solution's process sent something that is not a reply")
        return reply

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        self.send({"id": self.calls, "args": repr(args), "kwargs": repr(kwargs)})
        reply = self.receive()
        if reply.get("id") != self.calls:
            raise Gone("the solution's process answered out of turn")
        after = _plain(reply.get("args"), "changed its arguments to")
        if isinstance(after, tuple) and len(after) == len(args):
            for arg, new in zip(args, after, strict=True):
                _update_in_place(arg, new)
        if "value" in reply:
            return _plain(reply["value"], "returned")
        name, message = str(reply.get("raised")), str(reply.get("message"))
        kind = getattr(builtins, name, None)
        if isinstance(kind, type) and issubclass(kind, Exception):
            try:
                error = kind(message)
            except TypeError:  # an exception class with a constructor of its own
                error = RuntimeError(f"{name}: {message}")
            raise error
        raise RuntimeError(f"{name}: {message}")


def _plain(text: object, what: str) -> object:
    """Plain data from the ``repr`` text the solution's process sent, or a TypeError."""
    if text is None:
        return None
    try:
        return ast.literal_eval(str(text))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise TypeError(f"the function {what} {str(text)[:80]}, which is not plain data") from None


def _update_in_place(arg: object, new: object) -> None:
    """Make a mutable argument hold what the call left in its copy (an in-place change)."""
    if isinstance(arg, list) and isinstance(new, list):
        arg[:] = new
    elif isinstance(arg, (dict, set)) and type(new) is type(arg):
        arg.clear()
        arg.update(new)


def run_test(namespace: dict, test: str) -> None:
    """The test's top level, then every ``test*`` function it defined."""
    exec(compile(test, "tests.py", "exec"), namespace)
    for name, value in list(namespace.items()):
        if (
            name.startswith("test")
            and isinstance(value, types.FunctionType)
            and value.__code__.co_filename == "tests.py"
        ):
            value()


def check(solution: str, test: str, function: str | None) -> tuple[str, str]:
    """The verdict of one test on one solution (see the module docstring for the two ways)."""
    if function is None:
        module = types.ModuleType("solution")
        sys.modules["solution"] = module
        namespace = module.__dict__
        try:
            exec(compile(solution, "solution.py", "exec"), namespace)
        except BaseException as e:
            return "error", f"solution: {type(e).__name__}: {e}"
        namespace["__name__"] = "__main__"
    else:
        try:
            served = Served(solution, function)
        except Gone as e:
            return "crash", str(e)
        except RuntimeError as e:
            return "error", str(e)
        namespace = {"__name__": "__main__", "__builtins__": builtins, function: served}
    try:
        run_test(namespace, test)
    except AssertionError as e:
        return "fail", f"AssertionError: {e}"
    except Gone as e:
        return "crash", str(e)
    except BaseException as e:
        return "error", f"{type(e).__name__}: {e}"
    return "pass", ""


def run_pair(solution: str, test: str, function: str | None, check_s: float) -> list[str]:
    """`check` in a child process; its output is discarded, its verdict comes over a pipe."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        # Nothing but the verdict pipe: fd 3 is the sandbox's result channel.
        os.closerange(3, write_fd)
        os.closerange(write_fd + 1, 1 << 16)
        os.setpgid(0, 0)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        status, message = check(solution, test, function)
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
    _reap()
    return verdict or ["crash", "the process ended without reporting a result"]


def _reap() -> None:
    """Collect the orphans the checked code left (they are ours, as process 1): zombies would
    count against the sandbox's process limit."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(cases: dict) -> list[list[str]]:
    """Every test against the solution, in order: [[status, message], ...]."""
    function = cases["function"]
    return [
        run_pair(cases["solution"], test, function, cases["check_s"]) for test in cases["tests"]
    ]
