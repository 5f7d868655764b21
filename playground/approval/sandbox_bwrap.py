"""The bubblewrap command line of the sandbox: what it sees, and which interpreter runs inside.

The sandbox sees ``/usr`` (and the merged-/usr symlinks ``/bin``, ``/lib``, ...) and the
interpreter's installation read-only, with every ``site-packages``/``dist-packages`` directory
in them hidden under an empty read-only tmpfs (only the standard library is visible: an
installed copy of this project would carry the hidden tests, references and mutants). It gets a
minimal read-only ``/dev`` with a size-limited ``/dev/shm``, its own ``/proc``, and a
size-limited ``/tmp`` as working directory, its only other writable place. Every namespace is
new (user, PID, network, IPC, UTS, cgroup) and nested user namespaces are disabled.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import stat
import sys
from pathlib import Path

_FALLBACK_PYTHON = "/usr/bin/python3"
"""Used inside when the host interpreter is not readable by the sandbox's throwaway uid (e.g.
a pyenv build under ``/root``): Debian's ``python3``, standard library only all the same."""


def usable_by_others(path: str) -> bool:
    """Every directory above ``path`` is searchable and ``path`` itself readable by anyone."""
    here = Path(path)
    try:
        for parent in here.parents:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        return bool(os.stat(here).st_mode & stat.S_IROTH)
    except OSError:
        return False


@functools.cache
def interpreter(for_other_uid: bool) -> tuple[str, str]:
    """The base interpreter (never a venv's) the sandbox runs, and its installation directory.

    With ``for_other_uid`` (we run as root and the sandbox as a throwaway uid), an interpreter
    that uid cannot read is replaced by Debian's ``/usr/bin/python3``."""
    exe = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    readable = usable_by_others(exe) and usable_by_others(prefix)
    if for_other_uid and not readable and os.path.exists(_FALLBACK_PYTHON):
        return os.path.realpath(_FALLBACK_PYTHON), "/usr"
    return exe, prefix


def site_dirs(trees: list[str]) -> list[str]:
    """Every ``site-packages``/``dist-packages`` directory inside ``trees`` (to be hidden)."""
    found: set[str] = set()
    for tree in {*trees, "/usr/local"}:
        for pattern in ("lib*/python3*/site-packages", "lib*/python3*/dist-packages"):
            for path in glob.glob(os.path.join(tree, pattern)):
                if os.path.isdir(path):
                    found.add(os.path.realpath(path))
    bound = [t.rstrip("/") + "/" for t in {*trees, "/usr"}]
    return sorted(p for p in found if any((p + "/").startswith(t) for t in bound))


def argv(
    *,
    exe: str,
    prefix: str,
    tmp_mb: int,
    shm_mb: int,
    seccomp_fd: int,
    command: list[str],
) -> list[str]:
    """The whole bwrap command line that runs ``command`` (process 1 inside)."""
    out = [shutil.which("bwrap") or "bwrap", "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            out += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            out += ["--ro-bind", top, top]
    trees = [prefix]
    if not exe.startswith(prefix.rstrip("/") + "/"):
        trees.append(os.path.dirname(exe))
    for tree in trees:
        if tree != "/usr" and not tree.startswith("/usr/"):
            for parent in reversed(Path(tree).parents[:-1]):
                out += ["--perms", "0755", "--dir", str(parent)]
            out += ["--ro-bind", tree, tree]
    for hidden in site_dirs(["/usr", *trees]):
        out += ["--perms", "0555", "--size", "4096", "--tmpfs", hidden, "--remount-ro", hidden]
    out += ["--dev", "/dev", "--remount-ro", "/dev"]
    out += ["--size", str(shm_mb << 20), "--perms", "1777", "--tmpfs", "/dev/shm"]
    out += ["--proc", "/proc"]
    out += ["--size", str(tmp_mb << 20), "--perms", "1777", "--tmpfs", "/tmp"]
    out += ["--remount-ro", "/", "--chdir", "/tmp"]
    out += ["--unshare-user", "--disable-userns", "--unshare-pid", "--unshare-net"]
    out += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    out += ["--as-pid-1", "--die-with-parent", "--new-session", "--clearenv"]
    for key, value in (
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("HOME", "/tmp"),
        ("TMPDIR", "/tmp"),
        ("LANG", "C.UTF-8"),
    ):
        out += ["--setenv", key, value]
    out += ["--seccomp", str(seccomp_fd)]
    return [*out, *command]
