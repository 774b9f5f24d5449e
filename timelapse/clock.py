"""What time is it here, and can it be trusted? Everything that names or deletes by date asks this module.

Image names are local wall time; a Pi has no RTC and may boot at 1970 or, with a bad RTC, a year
ahead. So: ``local_time`` names a slot (the machine's zone re-read each time, ``fold`` set in the
second pass of a repeated hour), ``clock_synchronized`` asks the kernel, and ``retention_paused``
says whether deleting anything by its date is safe now (SPEC §6 "Clock truth").

Test seam (tests only, never set on a real machine): ``TIMELAPSE_TEST_CLOCK_SYNCED_FILE`` names a
file holding ``1`` (synchronized) or ``0``; read at every call, so a test can change the kernel's
answer under a running daemon. A missing file reads as not synchronized.
"""

import ctypes
import ctypes.util
import datetime
import os
import time

TIME_ERROR = 5  # adjtimex(2): clock not synchronized
TIMESYNCD_FLAG = "/run/systemd/timesync/synchronized"
TEST_SEAM = "TIMELAPSE_TEST_CLOCK_SYNCED_FILE"
_ASK = object()
_libc = None


def _adjtimex_state():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    timex = ctypes.create_string_buffer(512)  # struct timex with modes = 0: only reads
    return _libc.adjtimex(timex)


def clock_synchronized():
    """Return True/False as the kernel reports (adjtimex, read-only), None if it cannot be asked.

    One system call: cheap enough to ask at every slot.
    """
    seam = os.environ.get(TEST_SEAM)
    if seam:
        try:
            with open(seam) as stream:
                return stream.read().strip() == "1"
        except OSError:
            return False
    if os.path.exists(TIMESYNCD_FLAG):
        return True
    try:
        state = _adjtimex_state()
    except (OSError, AttributeError):
        return None
    if state == -1:
        return None  # e.g. a seccomp filter denies adjtimex
    return state != TIME_ERROR


def retention_paused(trust_clock, synchronized=_ASK):
    """Return None if deleting by date is safe now, else the reason it is not (one sentence).

    Safe means the kernel reports a synchronized clock (``synchronized``, when the caller has
    just asked; else asked here), or ``trust_clock`` (storage.trust_clock: the owner vouches
    for an RTC). A clock that is not known good may be a year ahead, and every real day would
    look old enough to go.
    """
    if trust_clock:
        return None
    if synchronized is _ASK:
        synchronized = clock_synchronized()
    if synchronized:
        return None
    fix = ("until it is (NTP), or set storage.trust_clock: true if this machine keeps time "
           "without a network (an RTC)")
    if synchronized is None:
        return f"the kernel cannot be asked whether the clock is synchronized; nothing is deleted {fix}"
    return f"the system clock is not synchronized; nothing is deleted by date {fix}"


def local_time(epoch):
    """Return the aware local datetime of ``epoch`` (seconds) in the machine's zone as it is now.

    The zone is re-read (``time.tzset``: a stat of /etc/localtime, re-parsed only if it changed),
    so a new time zone applies from the next slot without a restart. ``fold`` is 1 in the second
    pass of a repeated hour (the clocks went back), 0 otherwise; the offset is the one in force
    at ``epoch``.
    """
    time.tzset()
    naive = datetime.datetime.fromtimestamp(epoch)
    return naive.astimezone().replace(fold=naive.fold)


class ClockWatch:
    """The clock as the daemon reports it: asked at every slot, each change of the pause said once."""

    def __init__(self):
        self.paused = None

    def check(self, trust_clock, deletes):
        """Return (synchronized, paused, change).

        ``synchronized`` is the kernel's answer now (True/False/None); ``paused`` why retention
        must wait, or None (also when nothing is set to delete, ``deletes`` false); ``change`` is
        "paused" or "resumed" when that differs from the previous check, else None.
        """
        synchronized = clock_synchronized()
        paused = retention_paused(trust_clock, synchronized) if deletes else None
        change = None
        if bool(paused) != bool(self.paused):
            change = "paused" if paused else "resumed"
        self.paused = paused
        return synchronized, paused, change
