"""What the bench reads of a running process in /proc: its resident memory and its voluntary
context switches (the kernel's count of the times a thread went to sleep: a wakeup each)."""

import re
from pathlib import Path


def rss_mb(pid):
    """Return the process's resident set (VmRSS) in MiB, or None if it has gone."""
    try:
        return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024
    except (OSError, AttributeError):
        return None


def voluntary_switches(pid):
    """Return the voluntary context switches of the process's live threads, summed (a thread that has
    ended takes its count with it, so compare two readings of the same threads)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", (task / "status").read_text()).group(1))
        except (OSError, AttributeError):
            pass
    return total
