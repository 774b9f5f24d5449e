"""The capture daemon (`timelapse run`): one loop, one interruptible wait per slot.

Signal handlers only set flags and wake the loop; the loop acts at safe points.
"""

import datetime
import errno
import logging
import math
import os
import signal
import threading
import time

from timelapse import __version__, config
from timelapse.clock import ClockWatch, clock_synchronized, local_time
from timelapse.errors import CameraError, ClockUntrusted, ConfigError, EXIT_FAILURE, StorageError
from timelapse.exif import with_exif
from timelapse.exposure.ramp import ExposureRamp
from timelapse.logsetup import set_level, setup_logging
from timelapse.memory import keep_memory_flat
from timelapse.names import SlotNamer
from timelapse.notify import Notifier
from timelapse.preview import PreviewService, socket_path
from timelapse.retention import apply_retention
from timelapse.schedule import clock_stepped, missed_between, next_slot
from timelapse.session import CameraSession, CameraStuck
from timelapse.daemon_status import StatusReporter
from timelapse.status import iso
from timelapse.storage import DiskGuard, check_output_dir, remove_stale_temporaries, write_atomically
from timelapse.sync.state import SyncState
from timelapse.window import next_opening, window_state

log = logging.getLogger("timelapse")


class SystemClock:
    """Wall time names images; boot time (steady, counts suspend) times the waits."""

    @staticmethod
    def wall():
        return time.time()

    @staticmethod
    def boot():
        return time.clock_gettime(time.CLOCK_BOOTTIME)


class Daemon:
    def __init__(self, settings, clock=None, notifier=None):
        self.settings = settings
        self.clock = clock or SystemClock()
        self.notifier = notifier or Notifier()
        self.wake = threading.Event()
        self.stop_requested = self.reload_requested = False
        self.session = self._new_session(settings)
        self.guard = self._new_guard(settings)
        self.exposure = ExposureRamp(settings, self.clock.wall)
        self.last_slot = None
        self.storage_failing = False
        self.retention_day = None
        self.retention_thread = None
        self.clock_watch = ClockWatch()
        self.namer = SlotNamer(settings.storage.output_dir)
        self.names_taken = False  # a skip episode: slots whose names exist (the clock went back)
        self._last_ping = 0.0
        self.reporter = StatusReporter(lambda: self.settings, self.clock.wall, self.notifier)
        now = self.clock.wall()
        self._today = datetime.date.fromtimestamp(now)

    def _new_session(self, settings):
        return CameraSession(settings.camera, settings.capture.jpeg_quality, settings.capture.timeout,
                             settings.daemon.lock_file, cancelled=lambda: self.stop_requested, tick=self.ping)

    @staticmethod
    def _new_guard(settings):
        storage = settings.storage
        return DiskGuard(storage.output_dir, storage.warn_threshold, storage.stop_threshold)

    @property
    def status(self):
        """The status fields (a dict), kept by the `StatusReporter`."""
        return self.reporter.status

    # -- signals, waiting ------------------------------------------------------

    def install_signal_handlers(self):
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGHUP, self._request_reload)

    def _request_stop(self, *_):
        self.stop_requested = True
        self.wake.set()

    def _request_reload(self, *_):
        self.reload_requested = True
        self.wake.set()

    def ping(self):
        now = self.clock.boot()
        if now - self._last_ping >= 1.0:
            self._last_ping = now
            self.notifier.watchdog()

    def sleep_until(self, deadline):
        """Wait until boot-clock ``deadline``; return False early on a stop or reload request."""
        period = self.notifier.watchdog_period
        while not (self.stop_requested or self.reload_requested):
            remaining = deadline - self.clock.boot()
            if remaining <= 0:
                return True
            self.wake.wait(min(remaining, period) if period else remaining)
            self.wake.clear()
            self.ping()
        return False

    # -- start, clock, camera ----------------------------------------------------------

    def run(self):
        """Run until SIGTERM/SIGINT; return the exit code."""
        self.install_signal_handlers()
        settings = self.settings
        log.info("timelapse %s starting: %s every %g s into %s", __version__, settings.camera.source,
                 settings.capture.interval, settings.storage.output_dir)
        self._check_output_dir(settings.storage.output_dir)
        threading.Thread(target=self._remove_temporaries, name="temp-cleanup", daemon=True).start()
        self.reporter.set_state("starting")
        self.notifier.ready(self.reporter.summary())
        code = 0
        try:
            self.wait_for_clock()
            self.loop()
        except CameraStuck as exc:
            log.error("camera stuck: %s; exiting so that systemd restarts the service", exc)
            self.status["last_error"] = str(exc)
            code = EXIT_FAILURE
        self.notifier.send(stopping=1)
        self.exposure.save()
        if code == EXIT_FAILURE:
            self.session.abandon()
        else:
            self.session.close()
        self.reporter.set_state("stopped", next_capture=None)
        log.info("timelapse stopped")
        if code == EXIT_FAILURE:
            os._exit(code)  # a thread is stuck in the driver; do not wait for it
        return code

    def _check_output_dir(self, path):
        try:
            check_output_dir(path)
        except StorageError as exc:
            log.error("output directory unusable: %s", exc)
            self.status["last_error"] = str(exc)

    def _remove_temporaries(self):
        removed = remove_stale_temporaries(self.settings.storage.output_dir, keep_pid=os.getpid())
        if removed:
            log.info("removed %d unfinished image(s) left by an earlier crash or power cut", removed)

    def wait_for_clock(self):
        timeout = self.settings.daemon.clock_sync_timeout
        deadline = self.clock.boot() + timeout
        while True:
            synced = clock_synchronized()
            if synced is None:
                log.warning("cannot ask the kernel whether the clock is synchronized (adjtimex denied); "
                            "not waiting for it")
                break
            if synced or self.stop_requested:
                break
            if self.reload_requested:
                self.apply_reload()
                deadline = min(deadline, self.clock.boot() + self.settings.daemon.clock_sync_timeout)
            if self.clock.boot() >= deadline:
                log.warning("clock not synchronized after %g s; capturing anyway, image times may be wrong",
                            self.settings.daemon.clock_sync_timeout)
                break
            if self.status["state"] != "waiting_for_clock":
                log.info("waiting up to %g s for a synchronized clock", timeout)
                self.reporter.set_state("waiting_for_clock")
            self.sleep_until(min(deadline, self.clock.boot() + 1.0))
        self.reporter.update(clock_synced=synced)

    def open_camera(self):
        """Try to open the camera; on failure schedule a retry. Return True if open."""
        try:
            self.session.open()
        except (CameraError, ConfigError) as exc:  # ConfigError: a control this camera does not have
            self.session.failed(exc, self.clock.boot())
            self.reporter.set_state("waiting_for_camera", last_error=str(exc), camera=self.session.description)
            return False
        if not self.session.disconnected:
            log.info("camera connected: %s", self.session.description)
        self.exposure.opened(self.session)
        self.reporter.update(camera=self.session.description)
        return True

    # -- the loop ------------------------------------------------------------------------

    def loop(self):
        while not self.stop_requested:
            if self.reload_requested:
                self.apply_reload()
                continue
            wall, boot = self.clock.wall(), self.clock.boot()
            capture = self.settings.capture
            inside, opens, closes = window_state(capture.active_hours, capture.location, wall)
            if not inside:
                self._idle_until(opens, wall, boot)
                continue
            keep_open = not self.settings.camera.release_between_captures
            if keep_open and not self.session.is_open and boot >= self.session.retry_at:
                self.open_camera()
                continue  # opening took time: look at the clock again
            after = self.last_slot if self.last_slot is not None and self.last_slot <= wall + 1 else None
            slot = next_slot(wall, capture.interval, after=after)
            if closes is not None and slot >= closes:  # the window closes before that slot
                self._idle_until(next_opening(capture.active_hours, capture.location, closes), wall, boot)
                continue
            retry_in = self.session.retry_at - boot
            if keep_open and not self.session.is_open and retry_in < slot - wall:
                self.reporter.update(next_capture=iso(slot))
                self.sleep_until(self.session.retry_at)
                continue
            self.reporter.update(next_capture=iso(slot))
            offset = wall - boot
            if not self.sleep_until(boot + (slot - wall)):
                continue
            wall, boot = self.clock.wall(), self.clock.boot()
            if clock_stepped(offset, wall, boot):
                log.warning("the wall clock stepped by %+.0f s; re-aligning the schedule", (wall - boot) - offset)
                slot = float(math.floor(wall))  # capture now, by the new clock; never a burst
            elif after is not None:
                missed = missed_between(after, slot, capture.interval)
                if missed:
                    self.exposure.restart()
                    self.reporter.gap(after + capture.interval,
                                      f"missed {missed} slot(s): capture overran or system suspended")
            self.capture_slot(slot)

    def _idle_until(self, opens, wall, boot):
        """Close the camera and sleep until the capture window opens (epoch ``opens``; None: a day, then look again)."""
        if self.status["state"] != "idle":
            log.info("outside active_hours: idle until %s", iso(opens) if opens else
                     "the window opens (not within a year: checking again daily)")
            self.session.close()
            self.exposure.restart()
        self.reporter.set_state("idle", next_capture=iso(opens))
        self.sleep_until(boot + ((opens if opens else wall + 86400) - wall))

    def capture_slot(self, slot):
        """Capture the image for ``slot`` (epoch seconds), or record why there is none."""
        lateness, began = self.clock.wall() - slot, self.clock.boot()
        self.last_slot = slot
        when = local_time(slot)  # aware; the zone as it is now
        if when.date() != self._today:
            self._today = when.date()
            self.status.update(captures_today=0, skipped_today=0)
        self._follow_clock()
        if not self._disk_allows(slot):
            return
        path, free = self.namer.choose(when)
        if not free:
            self._name_taken(slot, path)
            return
        if not self.session.is_open:
            if self.clock.boot() < self.session.retry_at:  # backing off: no attempt this slot
                retry = self.session.retry_at - self.clock.boot()
                self._capture_failed(slot, f"camera unavailable, next attempt in {retry:.0f} s: "
                                           f"{self.session.last_error}", reopen=False)
                return
            if not self.open_camera():
                self._capture_failed(slot, self.session.last_error, reopen=False)
                return
        grab_started = self.clock.boot()
        try:
            data = self.session.capture()
        except CameraError as exc:  # includes CaptureTimeout; CameraStuck propagates
            if not self.stop_requested:  # a capture abandoned for a stop is not a camera failure
                self._capture_failed(slot, str(exc))
            return
        grab = self.clock.boot() - grab_started
        shot = self.exposure.captured(self.session, grab)
        try:
            data = with_exif(data, when, shot.get("exposure_time_us"), shot.get("analogue_gain"))
        except ValueError as exc:
            self._capture_failed(slot, f"the camera returned an image that is not a JPEG ({exc})")
            return
        try:
            written = write_atomically(path, data)
        except StorageError as exc:
            self._storage_failed(slot, exc)
            return
        finally:
            if self.settings.camera.release_between_captures and not self.session.viewers:
                self.session.close()
        if not written:
            self._name_taken(slot, path)
            return
        if self.names_taken:
            log.info("names are free again from %s: capturing", path)
            self.names_taken = False
        self.session.succeeded()
        if self.storage_failing:
            log.info("writing images again to %s", self.settings.storage.output_dir)
            self.storage_failing = False
        self.reporter.set_state("capturing", last_capture=iso(slot), last_image=str(path), last_capture_success=True,
                       consecutive_failures=0, captures_today=self.status["captures_today"] + 1, exposure=shot or None)
        self._maybe_apply_retention()
        overhead = self.clock.boot() - began - grab
        log.debug("captured %s: %d bytes, started %.2f ms after its slot, grab+encode %.1f ms, overhead %.2f ms",
                  path, len(data), lateness * 1000, grab * 1000, overhead * 1000)

    def _name_taken(self, slot, path):
        """Skip a slot whose file exists (the clock went back); never overwrite; say it once per episode."""
        if not self.names_taken:
            log.info("%s exists already (the clock went back?): not overwriting; skipping slots until "
                     "their names are free (each in the gap log, counted in status)", path)
            self.names_taken = True
        self.reporter.gap(slot, f"skipped: {path} exists")
        self.reporter.update(skipped_today=self.status["skipped_today"] + 1)

    def _follow_clock(self):
        """Ask the kernel (one adjtimex) whether the clock is synchronized; pause or resume retention."""
        settings = self.settings
        synced, paused, change = self.clock_watch.check(
            settings.storage.trust_clock, settings.storage.cleanup_enabled or settings.render.retention_days)
        if change == "paused":
            log.warning("retention paused: %s; the disk guard (stop_threshold) protects the card", paused)
        elif change == "resumed":
            log.info("retention resumes: the clock is known good")
        self.status.update(clock_synced=synced, retention_paused=paused)

    def _capture_failed(self, slot, error, reopen=True):
        self.exposure.restart()
        if reopen:
            self.session.failed(error, self.clock.boot())
        self.reporter.gap(slot, f"failed: {error}")
        self.reporter.set_state("waiting_for_camera", last_capture=iso(slot), last_capture_success=False,
                       last_error=error, consecutive_failures=self.status["consecutive_failures"] + 1)

    def _storage_failed(self, slot, exc):
        if not self.storage_failing:
            log.error("cannot write images: %s", exc)
            self.storage_failing = True
        self.reporter.gap(slot, f"failed: {exc}")
        full = exc.errno == errno.ENOSPC  # the disk filled mid-write
        self.reporter.set_state("disk_full" if full else self.status["state"], last_capture=iso(slot),
                       last_capture_success=False, last_error=str(exc),
                       consecutive_failures=self.status["consecutive_failures"] + 1)

    def _disk_allows(self, slot):
        storage = self.settings.storage
        try:
            usage, events = self.guard.check()
        except OSError as exc:
            self._storage_failed(slot, StorageError(f"{storage.output_dir}: {exc.strerror}; "
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
        self.status.update(disk_usage_percent=round(usage.percent, 1), disk_free_bytes=usage.free_bytes)
        if self.guard.full:
            self.reporter.gap(slot, f"skipped: disk {usage.percent:.1f}% used (stop_threshold {storage.stop_threshold}%)")
            self.reporter.set_state("disk_full", skipped_today=self.status["skipped_today"] + 1)
            return False
        return True

    def _maybe_apply_retention(self):
        storage = self.settings.storage
        if not storage.cleanup_enabled or self.retention_day == self._today or self.status["retention_paused"]:
            return
        if self.retention_thread and self.retention_thread.is_alive():
            return
        self.retention_day = self._today
        self.retention_thread = threading.Thread(
            target=self._retention, args=(storage.output_dir, storage.retention_days), name="retention", daemon=True)
        self.retention_thread.start()

    def _retention(self, root, days):
        remote = self.settings.sync.remote
        hold = SyncState(root).hold if remote else None  # never delete what is not yet copied off
        try:
            outcomes = apply_retention(root, days, should_stop=lambda: self.stop_requested, hold=hold,
                                       trust_clock=self.settings.storage.trust_clock)
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

    # -- reload --------------------------------------------------------------------------

    def apply_reload(self):
        self.reload_requested = False
        new, problems = config.reload(self.settings)
        if not problems and new.storage.output_dir != self.settings.storage.output_dir:
            try:
                check_output_dir(new.storage.output_dir)
            except StorageError as exc:
                problems = [str(exc)]
        if problems:
            log.error("reload rejected, keeping the current settings:")
            for problem in problems:
                log.error("  %s", problem)
            self.reporter.update(last_error="reload rejected: " + "; ".join(problems))
            return
        old, self.settings = self.settings, new
        set_level(new.daemon.log_level)
        self.guard = self._new_guard(new)
        if new.storage.output_dir != old.storage.output_dir:
            self.namer = SlotNamer(new.storage.output_dir)
        reopened = self.session.reconfigure(new.camera, new.capture.jpeg_quality, new.capture.timeout,
                                            new.daemon.lock_file)
        self.exposure.reconfigure(new, self.session)
        if new.storage != old.storage:
            self.retention_day = None
        log.info("reloaded %s%s", new.path or "built-in defaults", "; camera reopens" if reopened else "")
        self.reporter.update(interval=new.capture.interval, config_loaded=iso(self.clock.wall()), camera=new.camera.source)


def run_command(args):
    """`timelapse run`: load the configuration (exit 78 if invalid) and run the daemon, with its live view."""
    settings = config.load(args.config)
    setup_logging("debug" if args.debug else settings.daemon.log_level)
    keep_memory_flat()
    daemon = Daemon(settings)
    preview = PreviewService(
        socket_path(settings.daemon.status_file), daemon.session, lambda: daemon.settings, lambda: daemon.last_slot,
        keep_open=lambda: not daemon.settings.camera.release_between_captures and daemon.status["state"] != "idle")
    preview.start()
    try:
        return daemon.run()
    finally:
        preview.stop()
