"""A child process's life bound to its parent's: killed when the parent dies (Linux).

Helpers outside the app's process (password-hashing workers, media sandbox children) must
not run on, orphaned, after the app was killed with SIGKILL: nothing would ever end them.
Only the standard library: the media fork server and its children import this.
"""

from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1
_PR_GET_PDEATHSIG = 2


def die_with_parent(death_signal: int = signal.SIGKILL) -> None:
    """Have the kernel send ``death_signal`` to this process when its parent dies."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)


def death_signal() -> int:
    """The signal this process gets when its parent dies (0: none, it would run on)."""
    received = ctypes.c_int()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_GET_PDEATHSIG, ctypes.byref(received), 0, 0, 0)
    return received.value
