"""When to capture: slots on wall-clock multiples of the interval, in local time.

Pure functions of the times they are given, so tests need no sleeping. The daemon
waits for a slot on the boot-time clock (it does not jump with the wall clock and
counts suspend) and names the image by the slot's local wall time.
"""

import math
import time

STEP_TOLERANCE = 1.0  # seconds the wall clock may drift from boot time before it counts as a step


def utc_offset(wall):
    """Return the local UTC offset in seconds at epoch time ``wall``."""
    return time.localtime(wall).tm_gmtoff


def next_slot(now, interval, after=None, offset=utc_offset):
    """Return the first slot (epoch seconds) at or after ``now``, and after ``after``.

    Slots are local-time multiples of ``interval``: 60 s gives every hh:mm:00, 300 s
    :00, :05, ... Slots before ``now`` are skipped, never made up. A slot is at least
    one second after ``after`` (image names have one-second resolution).
    """
    earliest = now if after is None else max(now, after + 1)
    shift = offset(earliest)
    local = earliest + shift
    return math.ceil((local - 1e-6) / interval) * interval - shift


def missed_between(previous, slot, interval):
    """Return how many grid slots lie strictly between two captured slots."""
    if previous is None:
        return 0
    return max(0, round((slot - previous) / interval) - 1)


def clock_stepped(expected_offset, wall, boot):
    """Return True if the wall clock moved against boot time by more than STEP_TOLERANCE."""
    return abs((wall - boot) - expected_offset) > STEP_TOLERANCE
