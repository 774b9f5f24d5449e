"""What the capture daemon says about itself: the status fields, the status file, systemd's STATUS line, the gap log.

The loop records through `StatusReporter.update` / `set_state`; `timelapse status`, the web pages
and the exporters read the file it writes (timelapse/status.py). The gap log gets one line per
slot without an image, ``<ISO time> <reason>``.
"""

import logging
import os

from timelapse import __version__
from timelapse.settings.applied import status_of, tell
from timelapse.status import iso, write_status

log = logging.getLogger("timelapse")


class StatusReporter:
    """The daemon's status dict and where it is published.

    ``settings`` is a callable returning the current settings (they change on reload: status_file,
    gap_log); ``wall`` returns epoch seconds; ``notifier`` is a `timelapse.notify.Notifier`.
    ``status`` holds the fields of the status file (SPEC: the status file); code that changes a
    field without publishing it (counters reset at midnight, disk figures) writes to it directly.
    """

    def __init__(self, settings, wall, notifier):
        self.settings = settings
        self.wall = wall
        self.notifier = notifier
        current, now = settings(), wall()
        self.status = {
            "version": __version__, "pid": os.getpid(), "state": "starting", "camera": current.camera.source,
            "interval": current.capture.interval, "last_capture": None, "last_image": None,
            "last_capture_success": None, "last_error": None, "consecutive_failures": 0,
            "captures_today": 0, "skipped_today": 0, "next_capture": None, "disk_usage_percent": None,
            "disk_free_bytes": None, "clock_synced": None, "started": iso(now), "config_loaded": iso(now),
            "config_file": current.path, "updated": iso(now), "retention_paused": None, "exposure": None,
            "settings": status_of(current.layer, None, iso(now)),
            "missing_mount": None}
        tell(current.layer, None)

    def update(self, **fields):
        """Record status fields; write the file and tell systemd."""
        self.status.update(fields, updated=iso(self.wall()))
        try:
            write_status(self.settings().daemon.status_file, self.status)
        except OSError as exc:
            log.debug("cannot write status file: %s", exc)
        self.notifier.status(self.summary())

    def set_state(self, state, **fields):
        """Record a new ``state`` (and fields) as `update` does; log the change at debug level."""
        if state != self.status["state"]:
            log.debug("state: %s -> %s", self.status["state"], state)
        self.update(state=state, **fields)

    def summary(self):
        """One line for systemd's STATUS=, e.g. ``capturing, last 12:00:05 ok, 42 today, disk 63%``."""
        status = self.status
        parts = [status["state"].replace("_", " ")]
        if status["last_capture"]:
            parts.append(f"last {status['last_capture'][11:19]} {'ok' if status['last_capture_success'] else 'FAILED'}")
        parts.append(f"{status['captures_today']} today")
        if status["disk_usage_percent"] is not None:
            parts.append(f"disk {status['disk_usage_percent']:.0f}%")
        return ", ".join(parts)

    def gap(self, slot, reason):
        """Note a slot (epoch seconds) without an image in the gap log, if one is configured."""
        path = self.settings().daemon.gap_log
        log.debug("no image for %s: %s", iso(slot), reason)
        if path:
            try:
                with open(path, "a") as stream:
                    stream.write(f"{iso(slot)} {reason}\n")
            except OSError as exc:
                log.debug("cannot write gap log %s: %s", path, exc)
