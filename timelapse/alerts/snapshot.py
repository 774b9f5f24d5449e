"""One look at the camera: what the rules judge. Collected once per check, then only read.

The daemon's own view (the status file) is checked against the world: the unit's systemd
state (or, without systemd, the status's pid), the disk as it is now, the sync record.
"""

import datetime
import os
from collections import deque
from dataclasses import dataclass, field

from timelapse import archive
from timelapse import status as status_file
from timelapse.alerts import units
from timelapse.storage import disk_usage

DAEMON_UNIT = "timelapse.service"
RENDER_UNIT = "timelapse-render.service"
RESTART_LOOP = (3, 600)  # restarts within seconds: a unit in a restart loop


def epoch(iso_text):
    """Return the epoch seconds of an ISO 8601 text, or None."""
    try:
        return datetime.datetime.fromisoformat(iso_text).timestamp() if iso_text else None
    except (TypeError, ValueError):
        return None


@dataclass
class Snapshot:
    """What is known at ``now`` (epoch seconds). ``status`` is the status file ({} if none)."""

    now: float
    settings: object
    status: dict
    running: bool  # the daemon is up (systemd, else the status's pid)
    why_down: str = None  # when not running: why, in words
    stale: bool = False  # running but its status stopped updating (hung)
    last_good: float = None  # epoch of the last image written
    last_image: str = None
    disk: object = None  # storage.DiskUsage now, None if output_dir cannot be read
    sync: dict = field(default_factory=dict)  # sync.state last-run record ({} without sync.remote)
    render: dict = None  # timelapse-render.service's systemd state, None without systemd
    watching_since: float = None  # when alerts first watched this camera


def newest_image(root):
    """Return (path, mtime) of the image taken last under ``root`` (real-instant order: the second pass of
    a repeated hour is newer), or (None, None); lists directories only back to the newest day that has
    one (done only when the status names none)."""
    newest = archive.newest_image(root)
    if newest is not None:
        try:
            return str(newest[1].path), os.stat(newest[1].path).st_mtime
        except OSError:
            pass
    return None, None


class Collector:
    """Make Snapshots; remembers the daemon unit's restart counts to see a restart loop."""

    def __init__(self, settings, unit_states=units.unit_states, clock=None):
        self.settings = settings
        self.unit_states = unit_states
        self.clock = clock or (lambda: datetime.datetime.now().timestamp())
        self.restarts = deque(maxlen=32)  # (epoch, NRestarts)
        self.last_seen = None  # (last_image, last_good) as last reported

    def collect(self, watching_since=None):
        """Return a Snapshot of now."""
        settings, now = self.settings, self.clock()
        status = status_file.read_status(settings.daemon.status_file) or {}
        unit_states = self.unit_states((DAEMON_UNIT, RENDER_UNIT))
        running, why = self._daemon(status, now, unit_states[DAEMON_UNIT])
        snap = Snapshot(now=now, settings=settings, status=status, running=running, why_down=why,
                        watching_since=watching_since)
        snap.stale = running and bool(status) and status_file.is_stale(
            status, datetime.datetime.fromtimestamp(now).astimezone())
        snap.last_image = status.get("last_image")
        snap.last_good = epoch(status.get("last_capture")) if status.get("last_capture_success") else None
        if snap.last_good is None and snap.last_image:
            try:
                snap.last_good = os.stat(snap.last_image).st_mtime
            except OSError:
                pass
        if not snap.last_image:  # a daemon stopped (no status) or just restarted: the last one it wrote
            snap.last_image, snap.last_good = self.last_seen or newest_image(settings.storage.output_dir)
        self.last_seen = (snap.last_image, snap.last_good) if snap.last_image else None
        try:
            snap.disk = disk_usage(settings.storage.output_dir)
        except OSError:
            snap.disk = None
        if settings.sync.remote:
            from timelapse.sync.state import SyncState

            snap.sync = SyncState(settings.storage.output_dir).last_run
        snap.render = unit_states[RENDER_UNIT]
        return snap

    def _daemon(self, status, now, unit):
        if unit is not None:
            self.restarts.append((now, unit["NRestarts"]))
            recent = [count for when, count in self.restarts if now - when <= RESTART_LOOP[1]]
            if recent and recent[-1] - recent[0] >= RESTART_LOOP[0]:
                return False, f"{DAEMON_UNIT} is restarting in a loop ({recent[-1] - recent[0]} restarts " \
                              f"in {RESTART_LOOP[1] // 60} minutes)"
            if units.is_running(unit):
                return True, None
            return False, units.describe(DAEMON_UNIT, unit)
        if not status:
            return False, f"no status in {self.settings.daemon.status_file}"
        if status_file.daemon_running(status):
            return True, None
        if status.get("state") == "stopped":
            return False, "the daemon was stopped"
        return False, f"the daemon (pid {status.get('pid')}) is gone"
