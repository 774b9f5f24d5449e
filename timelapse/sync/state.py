"""What has been copied off the camera, kept in ``output_dir/.sync/`` (atomic JSON files).

``days.json``: for each day directory a sync copied completely, when the run that did it
started and the directory's mtime then (a late image changes it, and the day is copied
again). ``last-run.json``: the outcome of the last run, and when one last succeeded.

A day counts as safely copied only when a run that *started* after the day ended copied
it without error and nothing was added since: only then may retention delete it.
"""

import datetime
import json
import os
from pathlib import Path

from timelapse.archive import day_dirs, sync_dir
from timelapse.storage import write_atomically


def _read(path, default):
    try:
        with open(path) as stream:
            value = json.load(stream)
    except (OSError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


def _write(path, value):
    write_atomically(path, (json.dumps(value, indent=1, sort_keys=True) + "\n").encode(), replace=True)


def day_end(date):
    """Return the epoch time at which local ``date`` ended."""
    return datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time()).timestamp()


def dir_mtime(path):
    """Return a day directory's mtime in ns (a new image renamed into it changes it), or None."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class SyncState:
    """The records under ``root/.sync``, read once; ``save_*`` write them back atomically."""

    def __init__(self, root):
        self.root = Path(root)
        self.days = _read(sync_dir(root) / "days.json", {})
        self.last_run = _read(sync_dir(root) / "last-run.json", {})

    def is_copied(self, day):
        """Return True if ``day`` (a storage.Day) was copied completely and has not changed since."""
        record = self.days.get(day.date.isoformat())
        return bool(record) and record.get("started", 0) >= day_end(day.date) and \
            record.get("mtime_ns") == dir_mtime(day.path)

    def hold(self, day):
        """Return why retention must keep ``day`` (not yet copied completely), or None."""
        if self.is_copied(day):
            return None
        if day.date.isoformat() in self.days:
            return "it changed after its last copy to sync.remote; waiting for the next sync"
        return "not yet copied completely to sync.remote; waiting for a sync"

    def pending_days(self, today=None):
        """Return the day directories a run must copy: every day not safely copied, oldest first."""
        return [day for day in day_dirs(self.root) if not self.is_copied(day)]

    def days_waiting(self, today=None):
        """Return how many days that have ended are not yet safely copied."""
        today = today or datetime.date.today()
        return sum(1 for day in self.pending_days() if day.date < today)

    def mark_copied(self, days, started):
        """Record ``days`` (listed with their mtimes at ``started``) as copied by a run that began then."""
        for day, mtime_ns in days:
            if started >= day_end(day.date) and mtime_ns is not None:
                self.days[day.date.isoformat()] = {"started": started, "mtime_ns": mtime_ns}
        known = {day.date.isoformat() for day in day_dirs(self.root)}
        self.days = {date: record for date, record in self.days.items() if date in known}  # retention deleted
        _write(sync_dir(self.root) / "days.json", self.days)

    def save_run(self, outcome):
        """Record a run's outcome ({"started", "finished", "ok", "files", "bytes", "error", ...})."""
        record = dict(self.last_run)
        record.update(last=outcome)
        if outcome.get("ok"):
            record["last_success"] = outcome["finished"]
        self.last_run = record
        _write(sync_dir(self.root) / "last-run.json", record)


def summary(root, today=None):
    """Return what `timelapse status` shows of the offsite copy: last run, last success, days waiting."""
    state = SyncState(root)
    return {"last": state.last_run.get("last"), "last_success": state.last_run.get("last_success"),
            "days_waiting": state.days_waiting(today)}
