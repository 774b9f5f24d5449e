"""Delete whole day directories older than retention_days, and nothing else, ever."""

import datetime
import itertools
import logging
import os
from collections import namedtuple
from pathlib import Path

from timelapse.archive import day_dirs, day_entries
from timelapse.clock import retention_paused
from timelapse.errors import ClockUntrusted

log = logging.getLogger(__name__)

# reason: why it was kept; held: kept by ``hold`` (not yet copied off the camera), not for its contents
Outcome = namedtuple("Outcome", "day files bytes deleted reason held", defaults=(False,))


def day_dirs_older_than(root, cutoff):
    """Return Day entries for YYYY/MM/DD directories dated before ``cutoff``, oldest first.

    Lists only the year, month and day levels up to ``cutoff``, never the images.
    """
    return list(itertools.takewhile(lambda day: day.date < cutoff, day_dirs(root)))


def inspect_day(path):
    """Return (files, bytes, reason); reason is None when the directory holds only our images."""
    files = size = 0
    try:
        entries = day_entries(path, sizes=True)
    except OSError as exc:
        return 0, 0, f"cannot read it: {exc.strerror}"
    for entry in entries:
        if not (entry.image or entry.pid is not None):
            return files, size, f"it holds '{entry.name}', which is not a timelapse image"
        if not entry.regular:
            return files, size, f"'{entry.name}' is not a regular file"
        files += 1
        size += entry.size
    return files, size, None


def _delete_day(path):
    for entry in day_entries(path):
        os.unlink(entry.path)
    os.rmdir(path)
    for parent in (path.parent, path.parent.parent):  # empty month, then empty year
        try:
            os.rmdir(parent)
        except OSError:
            break


def apply_retention(root, retention_days, today=None, dry_run=False, should_stop=lambda: False, hold=None,
                    trust_clock=False):
    """Delete (or with dry_run, list) day directories older than ``retention_days``.

    Never today's, oldest first; return an Outcome per candidate. ``should_stop`` lets
    the daemon end the work early, between two days. ``hold(day)`` returns why a day must
    stay (not yet copied off the camera), or None; held days are not logged one by one.
    Raise ClockUntrusted (nothing deleted) unless the clock is known good: synchronized,
    or ``trust_clock`` (storage.trust_clock); a dry run only lists, so it always may.
    """
    if not dry_run:
        paused = retention_paused(trust_clock)
        if paused:
            raise ClockUntrusted(f"retention paused: {paused}")
    today = today or datetime.date.today()
    cutoff = today - datetime.timedelta(days=max(1, retention_days))
    outcomes = []
    for day in day_dirs_older_than(Path(root), cutoff):
        if should_stop():
            break
        files, size, reason = inspect_day(day.path)
        held = hold(day) if hold and reason is None else None
        deleted = False
        if held:
            outcomes.append(Outcome(day, files, size, False, held, True))
            continue
        if reason is None and not dry_run:
            try:
                _delete_day(day.path)
                deleted = True
            except OSError as exc:
                reason = f"cannot delete: {exc.strerror}"
        if reason:
            log.warning("retention: kept %s: %s", day.path, reason)
        outcomes.append(Outcome(day, files, size, deleted, reason))
    return outcomes
