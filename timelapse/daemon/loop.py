"""The capture daemon (`timelapse run`): one loop, one interruptible wait per slot.

Signal handlers only set flags and wake the loop; the loop acts at safe points.
"""

import datetime
import logging
import math
import os
import threading
import time

from timelapse import __version__, config
from timelapse.clock import clock_synchronized, local_time
from timelapse.daemon.reload import apply_reload, watch_layer
from timelapse.daemon.reporter import StatusReporter
from timelapse.daemon.storage_keeper import StorageKeeper
from timelapse.errors import CameraError, ConfigError, EXIT_FAILURE, StorageError
from timelapse.exif import with_exif
from timelapse.exposure.ramp import ExposureRamp
from timelapse.logsetup import setup_logging
from timelapse.memory import keep_memory_flat
from timelapse.names import SlotNamer
from timelapse.daemon.notify import Notifier
from timelapse.daemon.preview import PreviewService, socket_path
from timelapse.schedule import clock_stepped, missed_between, next_slot
from timelapse.daemon.session import CameraSession, CameraStuck
from timelapse.signals import StopAndReload
from timelapse.status import iso
from timelapse.storage import write_atomically
from timelapse.window import next_opening, window_state

log = logging.getLogger("timelapse")
# A new web layer does not interrupt a wait that ends sooner than this: the slot comes first, the
# reload (some ms of YAML and validation; more on a Pi) right after it.
LAYER_GUARD = 0.3

OPEN_MARGIN = 1.0  # seconds beyond camera.warmup to open a camera ahead of a window's first slot


class SystemClock:
    """Wall time names images; boot time (steady, counts suspend) times the waits."""

    @staticmethod
    def wall():
        return time.time()

    @staticmethod
    def boot():
        return time.clock_gettime(time.CLOCK_BOOTTIME)


class Daemon(StopAndReload):
    """The capture loop: signals, waits, the active-hours window, the camera session, one image per slot.

    It wires its collaborators: `StatusReporter` (daemon/reporter.py: status file, STATUS=,
    gap log), `StorageKeeper` (daemon/storage_keeper.py: disk guard, write failures, retention)
    and `apply_reload` (daemon/reload.py: SIGHUP). ``clock`` has ``wall()`` and ``boot()``
    in seconds (`SystemClock`); ``notifier`` is a `timelapse.notify.Notifier`.
    """

    def __init__(self, settings, clock=None, notifier=None):
        self.settings = settings
        self.clock = clock or SystemClock()
        self.notifier = notifier or Notifier()
        self.wake = threading.Event()
        self.stop_requested = self.reload_requested = False
        self.session = self._new_session(settings)
        self.exposure = ExposureRamp(settings, self.clock.wall)
        self.last_slot = None
        self.slot_offset = None  # wall - boot when the last slot was chosen: a step between slots shows against it
        self.namer = SlotNamer(settings.storage.output_dir)
        self.names_taken = False  # a skip episode: slots whose names exist (the clock went back)
        self._last_ping = 0.0
        self.reporter = StatusReporter(lambda: self.settings, self.clock.wall, self.notifier)
        self.storage = StorageKeeper(lambda: self.settings, self.reporter, lambda: self.stop_requested)
        self._today = datetime.date.fromtimestamp(self.clock.wall())
        self.layer_watch = None
        self.layer_changed = False  # set by the web layer's watch (a thread), like reload_requested by SIGHUP

    def _new_session(self, settings):
        return CameraSession(settings.camera, settings.capture.jpeg_quality, settings.capture.timeout,
                             settings.daemon.lock_file, cancelled=lambda: self.stop_requested, tick=self.ping)

    @property
    def status(self):
        """The status fields (a dict), kept by the `StatusReporter`."""
        return self.reporter.status

    # -- signals, waiting -------------------------------------------------------------

    def ping(self):
        now = self.clock.boot()
        if now - self._last_ping >= 1.0:
            self._last_ping = now
            self.notifier.watchdog()

    def note_layer_change(self):
        """The web layer changed (called from its watch thread): wake the loop, as SIGHUP's handler does."""
        self.layer_changed = True
        self.wake.set()

    def sleep_until(self, deadline):
        """Wait until boot-clock ``deadline``; return False early on a stop or reload request."""
        period = self.notifier.watchdog_period
        while not (self.stop_requested or self.reload_requested):
            remaining = deadline - self.clock.boot()
            if remaining <= 0:
                return True
            if self.layer_changed and remaining > LAYER_GUARD:
                return False
            self.wake.wait(min(remaining, period) if period else remaining)
            self.wake.clear()
            self.ping()
        return False

    # -- start, clock, camera ----------------------------------------------------------

    def run(self):
        """Run until SIGTERM/SIGINT; return the exit code."""
        self.install_signal_handlers()
        watch_layer(self)  # a save in the web wakes the loop like SIGHUP (no wakeups otherwise)
        settings = self.settings
        log.info("timelapse %s starting: %s every %g s into %s", __version__, settings.camera.source,
                 settings.capture.interval, settings.storage.output_dir)
        self.storage.check_output_dir(settings.storage.output_dir)
        threading.Thread(target=self.storage.remove_temporaries, name="temp-cleanup", daemon=True).start()
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
        if self.storage.away is None:  # never into the directory left underneath a missing drive
            self.exposure.save()
        if code == EXIT_FAILURE:
            self.session.abandon()
        else:
            self.session.close()
        self.reporter.set_state("stopped", next_capture=None)
        if self.layer_watch:
            self.layer_watch.stop()
        log.info("timelapse stopped")
        if code == EXIT_FAILURE:
            os._exit(code)  # a thread is stuck in the driver; do not wait for it
        return code

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
            if self.reload_requested or self.layer_changed:
                apply_reload(self)
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
        if not self.session.disconnected:  # a reconnect is logged by session.succeeded
            # Once at info; a camera released between captures reopens every slot (debug, SPEC §6).
            (log.debug if self.session.announced else log.info)("camera connected: %s", self.session.description)
            self.session.announced = True
        self.exposure.opened(self.session)
        self.reporter.update(camera=self.session.description)
        return True

    # -- the loop ------------------------------------------------------------------------

    def loop(self):
        while not self.stop_requested:
            if self.reload_requested or self.layer_changed:
                apply_reload(self)
                continue
            wall, boot = self.clock.wall(), self.clock.boot()
            capture = self.settings.capture
            inside, opens, closes = window_state(capture.active_hours, capture.location, wall)
            if not inside:
                first = next_slot(opens, capture.interval) if opens is not None else None
                if first is not None and first - wall <= self.lead():
                    self._open_ahead(first)
                else:
                    self._idle_until(first, wall, boot)
                continue
            keep_open = not self.settings.camera.release_between_captures
            if keep_open and not self.session.is_open and boot >= self.session.retry_at:
                self.open_camera()
                continue  # opening took time: look at the clock again
            after = self.last_slot if self.last_slot is not None and self.last_slot <= wall + 1 else None
            if self.slot_offset is not None and clock_stepped(self.slot_offset, wall, boot):
                # Stepped while a capture ran (after the wait below had looked): the grid follows the
                # new clock from its next slot, so neither a burst nor a gap of 'missed' slots.
                log.warning("the wall clock stepped by %+.0f s; re-aligning the schedule",
                            (wall - boot) - self.slot_offset)
                after = None
            self.slot_offset = wall - boot
            slot = next_slot(wall, capture.interval, after=after)
            if closes is not None and slot >= closes:  # the window closes before that slot
                opens = next_opening(capture.active_hours, capture.location, closes)
                self._idle_until(next_slot(opens, capture.interval) if opens is not None else None, wall, boot)
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
                self.slot_offset = wall - boot
            elif after is not None:
                missed = missed_between(after, slot, capture.interval)
                if missed:
                    self.exposure.restart()
                    self.reporter.gap(after + capture.interval,
                                      f"missed {missed} slot(s): capture overran or system suspended")
            self.capture_slot(slot)

    def lead(self):
        """Seconds ahead of a window's first slot to open the camera: its warmup and a margin for the
        device itself (0 when it is released between captures: every slot opens it anyway)."""
        camera = self.settings.camera
        return 0.0 if camera.release_between_captures else camera.warmup + OPEN_MARGIN

    def _idle_until(self, first, wall, boot):
        """Close the camera and sleep until the capture window's first slot ``first`` (epoch; None: a day,
        then look again) comes within the camera's warmup (`lead`)."""
        if self.status["state"] != "idle":
            log.info("outside active_hours: idle until %s", iso(first) if first else
                     "the window opens (not within a year: checking again daily)")
            self.session.close()
            self.exposure.restart()
        self.reporter.set_state("idle", next_capture=iso(first))
        self.slot_offset = None  # hours asleep: slewing may add up; the window's opening re-aligns anyway
        wake = first - self.lead() if first else wall + 86400
        self.sleep_until(boot + (wake - wall))

    def _open_ahead(self, slot):
        """The window's first ``slot`` (the one announced) is within the camera's warmup: open the camera
        now, wait for the slot and capture it. Missed anyway (the camera took longer than an interval
        to open), it is counted as skipped and named in the gap log (SPEC §6: active_hours)."""
        keep_open = not self.settings.camera.release_between_captures
        if keep_open and not self.session.is_open and self.clock.boot() >= self.session.retry_at:
            self.open_camera()
        if not self.sleep_until(self.clock.boot() + (slot - self.clock.wall())):
            return  # a stop or a reload: the loop decides again
        late = self.clock.wall() - slot
        if late >= self.settings.capture.interval:
            self.last_slot = slot
            self.reporter.gap(slot, f"skipped: the window's first slot; the camera was ready {late:.0f} s late")
            self.reporter.update(skipped_today=self.status["skipped_today"] + 1)
            return
        self.capture_slot(slot)

    def capture_slot(self, slot):
        """Capture the image for ``slot`` (epoch seconds), or record why there is none."""
        lateness, began = self.clock.wall() - slot, self.clock.boot()
        self.last_slot = slot
        when = local_time(slot)  # aware; the zone as it is now
        if when.date() != self._today:
            self._today = when.date()
            self.status.update(captures_today=0, skipped_today=0)
        self.storage.follow_clock()
        if not self.storage.allows(slot):
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
            self.storage.failed(slot, exc)
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
        self.storage.wrote()
        self.reporter.set_state("capturing", last_capture=iso(slot), last_image=str(path), last_capture_success=True,
                                consecutive_failures=0, captures_today=self.status["captures_today"] + 1,
                                exposure=shot or None)
        self.storage.maybe_apply_retention(self._today)
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

    def _capture_failed(self, slot, error, reopen=True):
        self.exposure.restart()
        if reopen:
            self.session.failed(error, self.clock.boot())
        self.reporter.gap(slot, f"failed: {error}")
        self.reporter.set_state("waiting_for_camera", last_capture=iso(slot), last_capture_success=False,
                                last_error=error, consecutive_failures=self.status["consecutive_failures"] + 1)


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
