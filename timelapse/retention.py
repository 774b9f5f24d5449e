"""Delete whole day directories older than retention_days, and nothing else, ever."""

import datetime
import logging
import os
import re
from collections import namedtuple
from pathlib import Path

from timelapse.storage import TEMP_PATTERN

log = logging.getLogger(__name__)

Day = namedtuple("Day", "date path")
Outcome = namedtuple("Outcome", "day files bytes deleted reason")  # reason: why it was kept
_IMAGE = re.compile(r"^\d{6}\.jpg$")


def _dated_subdirs(parent, digits):
    """Return (number, path) of real (not symlinked) subdirectories named by ``digits`` digits."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    found = []
    for entry in entries:
        if len(entry.name) == digits and entry.name.isdigit() and entry.is_dir(follow_symlinks=False):
            found.append((int(entry.name), Path(entry.path)))
    return sorted(found)


def day_dirs_older_than(root, cutoff):
    """Return Day entries for YYYY/MM/DD directories dated before ``cutoff``, oldest first.

    Lists only the year, month and day levels (never the images), skips symlinks and
    any name that is not a real calendar date.
    """
    days = []
    for year, year_path in _dated_subdirs(root, 4):
        if year > cutoff.year:
            break
        for month, month_path in _dated_subdirs(year_path, 2):
            if (year, month) > (cutoff.year, cutoff.month):
                break
            for day, day_path in _dated_subdirs(month_path, 2):
                try:
                    date = datetime.date(year, month, day)
                except ValueError:
                    continue
                if date < cutoff:
                    days.append(Day(date, day_path))
    return days


def inspect_day(path):
    """Return (files, bytes, reason); reason is None when the directory holds only our images."""
    files = size = 0
    try:
        entries = list(os.scandir(path))
    except OSError as exc:
        return 0, 0, f"cannot read it: {exc.strerror}"
    for entry in entries:
        if not (_IMAGE.match(entry.name) or TEMP_PATTERN.match(entry.name)):
            return files, size, f"it holds '{entry.name}', which is not a timelapse image"
        if not entry.is_file(follow_symlinks=False):
            return files, size, f"'{entry.name}' is not a regular file"
        files += 1
        size += entry.stat(follow_symlinks=False).st_size
    return files, size, None


def _delete_day(path):
    for entry in os.scandir(path):
        os.unlink(entry.path)
    os.rmdir(path)
    for parent in (path.parent, path.parent.parent):  # empty month, then empty year
        try:
            os.rmdir(parent)
        except OSError:
            break


def apply_retention(root, retention_days, today=None, dry_run=False, should_stop=lambda: False):
    """Delete (or with dry_run, list) day directories older than ``retention_days``.

    Never today's, oldest first; return an Outcome per candidate. ``should_stop`` lets
    the daemon end the work early, between two days.
    """
    today = today or datetime.date.today()
    cutoff = today - datetime.timedelta(days=max(1, retention_days))
    outcomes = []
    for day in day_dirs_older_than(Path(root), cutoff):
        if should_stop():
            break
        files, size, reason = inspect_day(day.path)
        deleted = False
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
