"""The capture daemon's care of its output directory: the disk guard, write failures, daily retention.

`StorageKeeper` decides before each slot whether there is room to write (storage.stop_threshold),
reports a failed or recovered write once per episode, pauses retention while the clock is not
trusted (`timelapse.clock.ClockWatch`) and runs retention at most once a day, on a thread, never
deleting what is not yet copied off (sync).
"""

import errno
import logging
import os
import threading

from timelapse.clock import ClockWatch
from timelapse.errors import ClockUntrusted, StorageError
from timelapse.mounts import watch_for as mount_watch
from timelapse.retention import apply_retention
from timelapse.status import iso
from timelapse.storage import DiskGuard, check_output_dir, remove_stale_temporaries
from timelapse.sync.state import SyncState

log = logging.getLogger("timelapse")


def disk_guard(settings):
    """The `DiskGuard` for ``settings.storage`` (output_dir, warn and stop thresholds in percent)."""
    storage = settings.storage
    return DiskGuard(storage.output_dir, storage.warn_threshold, storage.stop_threshold)


class StorageKeeper:
    """Disk guard, write-failure episodes and retention scheduling for the daemon.

    ``settings`` is a callable returning the current settings (they change on reload);
    ``reporter`` is the daemon's `timelapse.daemon.reporter.StatusReporter`; ``stop_requested``
    is a callable, True once the daemon is stopping (retention stops between days).
    """

    def __init__(self, settings, reporter, stop_requested):
        self.settings = settings
        self.reporter = reporter
        self.stop_requested = stop_requested
        self.guard = disk_guard(settings())
        self.mounts = mount_watch(settings())
        self.away = None  # the mount point output_dir's drive is missing from (an episode: logged once)
        self.failing = False  # in a write-failure episode: logged once, cleared by the next written image
        self.retention_day = None  # the date retention last started for
        self.retention_thread = None
        self.clock_watch = ClockWatch()

    def reconfigure(self, new, old):
        """Follow reloaded settings ``new`` (``old``: those they replace): a new guard, retention due again."""
        self.guard = disk_guard(new)
        self.mounts = mount_watch(new)
        if new.storage != old.storage:
            self.retention_day = None

    def check_output_dir(self, path):
        """Log (and put in last_error) why ``path`` cannot take images; the slots report it again."""
        if self.mounts.missing():
            return  # the first slot says so (storage_missing)
        try:
            check_output_dir(path)
        except StorageError as exc:
            log.error("output directory unusable: %s", exc)
            self.reporter.status["last_error"] = str(exc)

    def remove_temporaries(self):
        """Delete temporaries an earlier daemon left unfinished (a crash or power cut mid-write)."""
        if self.mounts.missing():
            return  # not the drive's: whatever is underneath is not ours to touch
        removed = remove_stale_temporaries(self.settings().storage.output_dir, keep_pid=os.getpid())
        if removed:
            log.info("removed %d unfinished image(s) left by an earlier crash or power cut", removed)

    def follow_clock(self):
        """Ask the kernel (one adjtimex) whether the clock is synchronized; pause or resume retention."""
        settings = self.settings()
        synced, paused, change = self.clock_watch.check(
            settings.storage.trust_clock, settings.storage.cleanup_enabled or settings.render.retention_days)
        if change == "paused":
            log.warning("retention paused: %s; the disk guard (stop_threshold) protects the card", paused)
        elif change == "resumed":
            log.info("retention resumes: the clock is known good")
        self.reporter.status.update(clock_synced=synced, retention_paused=paused)

    def allows(self, slot):
        """Return True if the disk has room for ``slot``'s image; else record the skip (or failure)."""
        storage = self.settings().storage
        if not self.mounted(slot):
            return False
        try:
            usage, events = self.guard.check()
        except OSError as exc:
            self.failed(slot, StorageError(f"{storage.output_dir}: {exc.strerror}; "
                                           "create it or fix storage.output_dir"))
            return False
        for event in events:
            if event == "full":
                log.error("disk %.1f%% used, at or above stop_threshold %d%%: not writing new images until "
                          "space is freed", usage.percent, storage.stop_threshold)
            elif event == "resumed":
                log.info("disk %.1f%% used, below stop_threshold: writing images again", usage.percent)
            elif event == "warn":
                log.warning("disk %.1f%% used, above warn_threshold %d%%", usage.percent, storage.warn_threshold)
        status = self.reporter.status
        status.update(disk_usage_percent=round(usage.percent, 1), disk_free_bytes=usage.free_bytes)
        if self.guard.full:
            self.reporter.gap(slot, f"skipped: disk {usage.percent:.1f}% used "
                                    f"(stop_threshold {storage.stop_threshold}%)")
            self.reporter.set_state("disk_full", skipped_today=status["skipped_today"] + 1)
            return False
        return True

    def mounted(self, slot):
        """Return True if output_dir's own filesystem (if any) is mounted; else record ``slot`` as skipped
        with state storage_missing, logging once per episode (SPEC §6: storage that goes away)."""
        storage, status = self.settings().storage, self.reporter.status
        point = self.mounts.missing()
        if point is None:
            if self.away is not None:
                log.info("%s is mounted again: writing images to %s", self.away, storage.output_dir)
                self.away = None
                self.reporter.set_state("capturing", missing_mount=None)  # a failed write says so next
            return True
        why = (f"{storage.output_dir}: its drive is not mounted at {point}; not writing images underneath "
               f"(on the root filesystem) until it is mounted again")
        if self.away != point:
            log.error("%s (if output_dir is meant to be on the root filesystem now, remove %s from /etc/fstab "
                      "and delete %s)", why, point, " and ".join(self.mounts.memory_paths) or "nothing")
            self.away = point
        self.reporter.gap(slot, f"skipped: storage missing ({point} not mounted)")
        self.reporter.set_state("storage_missing", missing_mount=point, last_error=why, disk_usage_percent=None,
                                disk_free_bytes=None, skipped_today=status["skipped_today"] + 1)
        return False

    def failed(self, slot, exc):
        """Record that ``slot``'s image could not be written (``exc``: a `StorageError`)."""
        if not self.failing:
            log.error("cannot write images: %s", exc)
            self.failing = True
        self.reporter.gap(slot, f"failed: {exc}")
        full = exc.errno == errno.ENOSPC  # the disk filled mid-write
        status = self.reporter.status
        self.reporter.set_state("disk_full" if full else status["state"], last_capture=iso(slot),
                                last_capture_success=False, last_error=str(exc),
                                consecutive_failures=status["consecutive_failures"] + 1)

    def wrote(self):
        """An image was written: end a write-failure episode, saying so once."""
        if self.failing:
            log.info("writing images again to %s", self.settings().storage.output_dir)
            self.failing = False
        self.mounts.wrote()

    def maybe_apply_retention(self, today):
        """Start retention on a thread, once per local date ``today``, unless disabled, paused or running."""
        storage = self.settings().storage
        if (not storage.cleanup_enabled or self.retention_day == today or self.reporter.status["retention_paused"]
                or self.away):
            return
        if self.retention_thread and self.retention_thread.is_alive():
            return
        self.retention_day = today
        self.retention_thread = threading.Thread(
            target=self._retention, args=(storage.output_dir, storage.retention_days), name="retention", daemon=True)
        self.retention_thread.start()

    def _retention(self, root, days):
        settings = self.settings()
        remote = settings.sync.remote
        hold = SyncState(root).hold if remote else None  # never delete what is not yet copied off
        try:
            outcomes = apply_retention(root, days, should_stop=self.stop_requested, hold=hold,
                                       trust_clock=settings.storage.trust_clock)
        except ClockUntrusted as exc:  # the clock went bad since this slot asked
            log.warning("%s", exc)
            self.retention_day = None
            return
        deleted = [o for o in outcomes if o.deleted]
        if deleted:
            log.info("retention: deleted %d day(s) older than %d days (%d images, %.1f MB)", len(deleted), days,
                     sum(o.files for o in deleted), sum(o.bytes for o in deleted) / 1e6)
        waiting = [o for o in outcomes if o.held]
        if waiting:
            log.warning("retention: kept %d day(s) older than %d days that are not yet copied to %s "
                        "(see timelapse status); until they are, the disk guard is the last line of defence",
                        len(waiting), days, remote)
