"""Is the system clock synchronized? Image names depend on it; a Pi has no RTC."""

import ctypes
import ctypes.util
import os

TIME_ERROR = 5  # adjtimex(2): clock not synchronized
TIMESYNCD_FLAG = "/run/systemd/timesync/synchronized"


def clock_synchronized():
    """Return True/False as the kernel reports (adjtimex, read-only), None if it cannot be asked."""
    if os.path.exists(TIMESYNCD_FLAG):
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        timex = ctypes.create_string_buffer(512)  # struct timex with modes = 0: only reads
        state = libc.adjtimex(timex)
    except (OSError, AttributeError):
        return None
    if state == -1:
        return None  # e.g. a seccomp filter denies adjtimex
    return state != TIME_ERROR
