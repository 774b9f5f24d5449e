"""The alert rules: a table, each row a condition on a Snapshot, as Prometheus alerting rules.

A test returns what is wrong in a few words (the incident holds), "" or False (it does not),
or None (it cannot be judged now: the state stays as it was, e.g. outside the capture window).
``hold`` is Prometheus' ``for:``: how long, in seconds, the condition must hold before it fires
(a daemon that systemd restarts within seconds is no incident). ``action`` is the next command.
"""

import datetime
from collections import namedtuple

from timelapse.alerts.moved import camera_moved
from timelapse.alerts.snapshot import epoch
from timelapse.window import day_window

Rule = namedtuple("Rule", "name title resolved hold test action")

SYNC_LATE = 4  # sync_failing: no successful copy for this many times sync.every
CLOCK_HOLD = 3600  # clock_unsynchronized: an hour


def _interval(snap):
    return snap.settings.capture.interval


def window_opened(settings, wall):
    """Return when the capture window open at ``wall`` opened (epoch; 0 without active_hours), or None if closed."""
    capture = settings.capture
    if capture.active_hours is None:
        return 0.0
    today = datetime.date.fromtimestamp(wall)
    for date in (today - datetime.timedelta(days=1), today):
        window = day_window(capture.active_hours, capture.location, date)
        if window.opens is not None and window.opens <= wall < window.closes:
            return window.opens
    return None


def not_capturing(snap):
    """The daemon is down, hung, or has written no image for alerts.after slots inside the window."""
    if not snap.running:
        return snap.why_down or "the daemon is not running"
    if snap.stale:
        return f"the daemon's status has not changed since {snap.status.get('updated')}: it may be hung"
    if snap.status.get("state") in ("waiting_for_camera", "disk_full", "storage_missing"):
        return False  # camera_lost, disk_full and storage_missing say why
    opened = window_opened(snap.settings, snap.now)
    if opened is None or snap.status.get("state") == "idle":
        return None  # outside the capture window (or none today: polar night): nothing is expected
    interval, after = _interval(snap), snap.settings.alerts.after
    since = max(filter(None, (snap.last_good, opened, epoch(snap.status.get("started")))), default=snap.now)
    missed = int((snap.now - since - snap.settings.capture.timeout) // interval)
    if missed >= after:
        return f"no image for {missed} slots ({snap.status.get('last_error') or 'no error reported'})"
    return False


def camera_lost(snap):
    if snap.running and snap.status.get("state") == "waiting_for_camera":
        return f"the camera fails: {snap.status.get('last_error') or 'no camera found'}"
    return False


def storage_missing(snap):
    """output_dir's own drive (USB, NAS) is not mounted: the daemon writes nothing (SPEC §6)."""
    if snap.running and snap.status.get("state") == "storage_missing":
        return snap.status.get("last_error") or f"the drive for images is not mounted at {snap.status.get('missing_mount')}"
    return False


def _percent(snap):
    if snap.status.get("state") == "storage_missing":
        return None  # what is underneath is the root's disk, not the drive's
    return snap.disk.percent if snap.disk is not None else snap.status.get("disk_usage_percent")


def disk_full(snap):
    storage, percent = snap.settings.storage, _percent(snap)
    if snap.running and snap.status.get("state") == "disk_full":
        return f"the disk is full ({percent:.0f}% used): no new images" if percent is not None else "the disk is full"
    if percent is not None and percent >= storage.stop_threshold:
        return f"the disk is {percent:.0f}% used (stop_threshold {storage.stop_threshold}%): no new images"
    return False if percent is not None else None


def disk_warn(snap):
    storage, percent = snap.settings.storage, _percent(snap)
    if percent is None:
        return None
    if storage.warn_threshold <= percent < storage.stop_threshold and snap.status.get("state") != "disk_full":
        return f"the disk is {percent:.0f}% used (warn_threshold {storage.warn_threshold}%)"
    return False


def sync_failing(snap):
    sync = snap.settings.sync
    if not sync.remote:
        return False
    last_success = epoch(snap.sync.get("last_success"))
    since = last_success or snap.watching_since or snap.now
    if snap.now - since < SYNC_LATE * sync.every:
        return False
    last = snap.sync.get("last") or {}
    error = f"; last error: {last.get('error')}" if last and not last.get("ok") and last.get("error") else ""
    when = "never" if last_success is None else snap.sync.get("last_success")
    return f"no successful copy to {sync.remote} (last success: {when}){error}"


def clock_unsynchronized(snap):
    if not snap.running or snap.status.get("clock_synced") is None:
        return None
    return "" if snap.status["clock_synced"] else "the system clock is not synchronized: image times may be wrong"


def render_failed(snap):
    if snap.render is None:
        return None  # no systemd: the nightly render is the timer's, and cannot be seen here
    result = snap.render.get("Result")
    if result and result != "success":
        return f"timelapse-render.service failed ({result})"
    return False


def _dead_hold(snap):
    # A daemon that systemd restarts (RestartSec=5) is back well within this; a dead one is
    # reported within two intervals and a minute (SPEC §10).
    return min(max(2 * _interval(snap), 15), 60)


RULES = (
    Rule("not_capturing", "not capturing", "capturing again", _dead_hold, not_capturing,
         "sudo systemctl status timelapse; journalctl -u timelapse -e"),
    Rule("camera_lost", "camera lost", "camera back", lambda s: max(2 * _interval(s), 10), camera_lost,
         "check the camera's cable; timelapse cameras; journalctl -u timelapse -e"),
    Rule("storage_missing", "drive for images missing", "drive for images back", lambda s: 0, storage_missing,
         "plug in or mount the drive (findmnt; sudo mount -a); journalctl -u timelapse -e"),
    Rule("disk_full", "disk full", "disk has room again", lambda s: 0, disk_full,
         "free space (timelapse cleanup --dry-run; storage.retention_days); df -h"),
    Rule("disk_warn", "disk nearly full", "disk below warn_threshold", lambda s: 0, disk_warn,
         "free space soon (timelapse cleanup --dry-run; storage.retention_days); df -h"),
    Rule("sync_failing", "offsite copy failing", "offsite copy working again", lambda s: 0, sync_failing,
         "timelapse status; journalctl -u timelapse-sync -e; sudo -u timelapse timelapse sync"),
    Rule("clock_unsynchronized", "clock not synchronized", "clock synchronized", lambda s: CLOCK_HOLD,
         clock_unsynchronized, "timedatectl; check the network and NTP (systemd-timesyncd)"),
    Rule("render_failed", "nightly render failed", "nightly render works again", lambda s: 0, render_failed,
         "journalctl -u timelapse-render -e; sudo -u timelapse timelapse render yesterday"),
    Rule("camera_moved", "camera moved", "camera back in place", lambda s: 0, camera_moved,
         "put it back with the web's Live page, compare with reference (timelapse aim shows the shift); "
         "or keep the new view: sudo -u timelapse timelapse aim --set"),
)

BY_NAME = {rule.name: rule for rule in RULES}
