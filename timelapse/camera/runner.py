"""Run camera calls under a deadline, so a hung driver cannot stall the caller."""

import threading
import time

from timelapse.errors import CaptureTimeout

RELEASE_GRACE = 1.0  # seconds close() gets after an overrun before the backend counts as stuck


SLICE = 0.25  # how often a waiting caller checks for a stop request and pings the watchdog


def call_with_timeout(function, timeout, camera, what="capture", cancelled=lambda: False, tick=None):
    """Return ``function()``, or raise CaptureTimeout after ``timeout`` seconds.

    On overrun (or when ``cancelled()`` turns true, e.g. on SIGTERM) the camera is
    closed to free the blocked call; CaptureTimeout.released says whether that worked
    (if not, a thread is stuck in the driver and only a new process can recover).
    ``tick`` is called while waiting (the systemd watchdog). The abandoned worker is
    a daemon thread.
    """
    outcome = {}
    done = threading.Event()

    def work():
        try:
            outcome["value"] = function()
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name=f"camera-{what}", daemon=True)
    deadline = time.monotonic() + timeout
    worker.start()
    while not done.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0 or cancelled():
            break
        done.wait(min(SLICE, remaining))
        if tick:
            tick()
    if done.is_set():
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")
    closer = threading.Thread(target=camera.close, name="camera-close", daemon=True)
    closer.start()
    closer.join(RELEASE_GRACE)
    worker.join(RELEASE_GRACE if not closer.is_alive() else 0)
    released = not closer.is_alive() and not worker.is_alive()
    reason = "was cancelled" if cancelled() else f"took longer than {timeout:g} s and was abandoned"
    raise CaptureTimeout(f"{what} {reason}"
                         + ("" if released else "; the camera driver did not let go"), released=released)
