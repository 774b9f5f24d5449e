"""Keep a months-long daemon's memory flat, and tell a small machine (a Pi Zero 2 W) from the rest."""

import ctypes
import ctypes.util
import os

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def keep_memory_flat():
    """Return large frame buffers to the system when freed, and share malloc arenas.

    glibc raises its mmap threshold after the first large free, after which multi-MB
    frame buffers are carved from heaps that never shrink; and every capture thread
    may get an arena of its own. Both make RSS creep; a fixed threshold and two arenas
    keep it flat at a negligible cost (one mmap per frame).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 256 * 1024)
        libc.mallopt(M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


SMALL_MACHINE = 1024 ** 3  # below this much RAM: 720p renders by default, ffmpeg's lean settings
MEMINFO_ENV = "TIMELAPSE_MEMINFO"  # another meminfo file to read (bench and tests simulate a 512 MB Pi)


def memory_total(meminfo=None):
    """Return the machine's RAM in bytes from ``meminfo`` (default $TIMELAPSE_MEMINFO, else
    /proc/meminfo), or None if unknown."""
    meminfo = meminfo or os.environ.get(MEMINFO_ENV) or "/proc/meminfo"
    try:
        with open(meminfo) as stream:
            for line in stream:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def small_machine(meminfo=None):
    """Return True on a machine with under SMALL_MACHINE of RAM (False if it cannot be told)."""
    return (memory_total(meminfo) or SMALL_MACHINE) < SMALL_MACHINE
