"""The seccomp filter of the sandbox: kernel interfaces that sandboxed code never needs, refused.

Built with libseccomp (Debian ``libseccomp2``) through its ctypes binding ``pyseccomp`` (PyPI),
exported as a BPF program and handed to bubblewrap (``--seccomp FD``), which loads it last,
right before it starts the sandbox's process 1: everything inside runs under it. Everything not
listed is allowed (a deny list, like container runtimes use); a listed call fails with
``EPERM`` (``ENOSYS`` for ``clone3``, whose flags a filter cannot read, so the C library falls
back to ``clone``, whose flags it can). System calls of another ABI (i386, x32) kill the process:
libseccomp's filter admits only the native one.
"""

from __future__ import annotations

import errno
import functools
import tempfile

DENIED = (
    # Reading or changing other processes.
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_getfd",
    # Namespaces and mounts (nested user namespaces are off as well: bwrap --disable-userns).
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # Large kernel attack surfaces a test never needs.
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "keyctl", "add_key", "request_key", "open_by_handle_at",
    "name_to_handle_at", "lookup_dcookie", "personality", "uselib", "vhangup",
    # The machine itself.
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "syslog", "quotactl", "iopl", "ioperm", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex",
)  # fmt: skip
"""System calls refused with EPERM."""

_NAMESPACE_FLAGS = (
    0x00000080,  # CLONE_NEWTIME
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)
_TIOCSTI, _TIOCLINUX = 0x5412, 0x541C  # push input into a terminal, Linux console control
_SOCKET_FAMILIES = (1, 2, 10, 16)  # AF_UNIX, AF_INET, AF_INET6, AF_NETLINK: all others refused
_AF_MAX = 46


class SeccompUnavailable(RuntimeError):
    """libseccomp or its binding is missing: no filter can be built."""


@functools.cache
def bpf_program() -> bytes:
    """The filter as the BPF program bubblewrap's ``--seccomp`` reads (built once)."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError, AttributeError) as e:  # the binding loads libseccomp
        raise SeccompUnavailable(
            f"no seccomp filter: {e} (install the PyPI package pyseccomp and the Debian "
            "package libseccomp2)"
        ) from None
    deny = sc.ERRNO(errno.EPERM)
    f = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        f.add_rule(deny, name)
    for flag in _NAMESPACE_FLAGS:
        f.add_rule(deny, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    f.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for request in (_TIOCSTI, _TIOCLINUX):
        f.add_rule(deny, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, request))
    refuse_family = sc.ERRNO(errno.EAFNOSUPPORT)
    for family in range(_AF_MAX):
        if family not in _SOCKET_FAMILIES:
            f.add_rule(refuse_family, "socket", sc.Arg(0, sc.EQ, family))
    f.add_rule(refuse_family, "socket", sc.Arg(0, sc.GE, _AF_MAX))
    with tempfile.TemporaryFile() as out:
        f.export_bpf(out)
        out.seek(0)
        return out.read()
