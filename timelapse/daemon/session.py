"""The daemon's hold on the camera: open under lock and deadline, reopen with backoff."""

import logging
import random
import threading

from timelapse.camera import make_camera
from timelapse.camera.lock import CameraLock
from timelapse.camera.runner import RELEASE_GRACE, call_with_timeout
from timelapse.errors import CameraError, CameraStuck, CaptureTimeout

log = logging.getLogger(__name__)

BACKOFF_FIRST = 5.0
BACKOFF_LIMIT = 300.0


def backoff_delay(failures, rand=random.random):
    """Return seconds to wait after ``failures`` failed attempts: 5 s doubling, +0-20 % jitter, at most 300 s."""
    base = min(BACKOFF_LIMIT, BACKOFF_FIRST * 2 ** max(0, failures - 1))
    return min(BACKOFF_LIMIT, base * (1 + 0.2 * rand()))


class CameraSession:
    """Keep a camera open (or not, with release_between_captures) and say when to retry."""

    def __init__(self, settings, jpeg_quality, timeout, lock_path, cancelled=lambda: False, tick=None):
        self.settings, self.jpeg_quality, self.timeout = settings, jpeg_quality, timeout
        self.file_lock = CameraLock(lock_path, holder="timelapse run")
        self.cancelled, self.tick = cancelled, tick
        self.camera = None
        # Captures and live-view frames take turns at the camera; opening and closing too.
        self.lock = threading.RLock()
        self.viewers = 0  # live-view clients connected (preview.py): keeps a released camera open
        self.failures = 0
        self.retry_at = 0.0  # boot-clock time before which opening is not retried
        self.disconnected = False
        self.announced = False  # "camera connected" said at info (once; again for another camera)
        self.last_error = None  # why the last attempt failed
        self.metadata = {}  # the camera's report on the last saved capture (base.py: metadata)
        self.description = settings.source

    @property
    def is_open(self):
        return self.camera is not None

    def _call(self, function, timeout, what):
        try:
            return call_with_timeout(function, timeout, self.camera, what, self.cancelled, self.tick)
        except CaptureTimeout as exc:
            if not exc.released:
                raise CameraStuck(str(exc)) from None
            raise

    def open(self):
        """Open the camera under the lock; raise CameraError (logged by the caller) if it cannot."""
        with self.lock:
            self._open()

    def _open(self):
        if self.camera is not None:
            return
        self.file_lock.acquire()
        try:
            # While the camera stays missing, auto-detection's reasons go to debug: said once is enough.
            self.camera = make_camera(self.settings, self.jpeg_quality,
                                      report=log.debug if self.disconnected else log.info, timeout=self.timeout)
            self.description = self.camera.describe()
            self._call(self.camera.open, self.timeout + self.settings.warmup, "open")
        except CameraStuck:
            self.abandon()
            raise
        except BaseException:
            self.close()
            raise

    def capture(self):
        """Return JPEG bytes from the open camera; raise CameraError or CameraStuck."""
        camera = self.camera

        def locked():
            with self.lock:
                data = camera.capture()
                self.metadata = dict(camera.metadata)  # before a live-view frame can replace it
                return data
        return self._call(locked, self.timeout, "capture")

    def apply_controls(self, controls):
        """Hand libcamera ``controls`` to the open camera for its next capture (SPEC §16)."""
        with self.lock:
            if self.camera is not None:
                self.camera.apply_controls(controls)

    def preview(self, focus=False):
        """Return a live-view JPEG from the open camera; raise CameraError if it is not open or fails."""
        camera = self.camera
        if camera is None:
            raise CameraError(f"camera not open: {self.last_error or self.description}")

        def locked():
            with self.lock:
                return camera.preview(focus)
        return self._call(locked, self.timeout, "preview")

    def close(self):
        """Close the camera (if open) and release the lock."""
        # A call stuck in the driver may hold the lock: closing must not wait for it for ever.
        held = self.lock.acquire(timeout=RELEASE_GRACE + 1)
        try:
            camera, self.camera = self.camera, None
            if camera is not None:
                try:
                    camera.close()
                except Exception:
                    log.debug("camera close failed", exc_info=True)
            self.file_lock.release()
        finally:
            if held:
                self.lock.release()

    def abandon(self):
        """Let go of a camera stuck in its driver without calling into it again (that could hang too)."""
        self.camera = None
        self.file_lock.release()

    def succeeded(self):
        if self.disconnected:
            log.info("camera reconnected: %s (after %d failed attempts)", self.description, self.failures)
        self.failures = 0
        self.disconnected = False

    def failed(self, error, now):
        """Close the camera and schedule the next attempt; log the first failure of a run only."""
        self.close()
        self.failures += 1
        self.last_error = str(error)
        delay = backoff_delay(self.failures)
        self.retry_at = now + delay
        if not self.disconnected:
            log.warning("camera disconnected or failing: %s; retrying with backoff (next in %.0f s)", error, delay)
            self.disconnected = True
        else:
            log.debug("camera still failing (%d): %s; next attempt in %.0f s", self.failures, error, delay)

    def reconfigure(self, new, old):
        """Follow reloaded settings ``new`` (``old``: those they replace); return True if the camera
        must reopen (only when what it was opened with changed)."""
        settings, jpeg_quality = new.camera, new.capture.jpeg_quality
        timeout, lock_path = new.capture.timeout, new.daemon.lock_file
        changed = (settings, jpeg_quality) != (self.settings, self.jpeg_quality) or lock_path != self.file_lock.path
        self.timeout = timeout
        if changed:
            self.close()
            self.settings, self.jpeg_quality = settings, jpeg_quality
            self.file_lock = CameraLock(lock_path, holder="timelapse run")
            self.description = settings.source
            self.failures, self.retry_at, self.disconnected, self.announced = 0, 0.0, False, False
        return changed
