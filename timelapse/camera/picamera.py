"""Raspberry Pi cameras through picamera2 (libcamera).

OpenCV's V4L2 backend cannot drive a Pi camera on the libcamera stack, hence this
separate backend. The camera is configured once for stills at ``resolution`` and stays
open between captures; frames are encoded here at ``jpeg_quality``.

What the real library does, and how this backend meets it:
- ``global_camera_info()`` lists UVC webcams too (``/usb`` in their ``Id``): they are left to
  the usb backend, and the camera opened is the first Pi camera in that list.
- ``set_controls()`` after ``start()`` rides on the next queued request, so the frame already
  in flight misses it: controls go with the configuration, and apply from the first frame.
- A float for an integer control kills picamera2's event loop: values are converted first
  (see controls.py).
- ``capture_array()`` blocks forever when no frame comes, and ``stop()`` queues behind it:
  where picamera2 has them (0.3.17+ / 0.3.20+), ``wait=`` bounds the capture and
  ``cancel_all_and_flush()`` frees the queue so that the camera can be closed in-process.
- Exposure (SPEC §16): ``capture_arrays(["main", "lores"])`` (every release since 0.3.9) gives the
  frame, the small lores frame in the same request (its Y plane is metered: no decode, no second
  full-size pass) and the request's metadata (``ExposureTime``, ``AnalogueGain``, ``ColourGains``).
  Controls for the next capture go through ``set_controls``, which picamera2 attaches to the next
  request it queues: a frame already queued or in flight still has the old ones, so a capture after
  new controls takes up to ``SETTLE_FRAMES`` more frames until the metadata says they are applied.
"""

import concurrent.futures
import inspect
import time

from picamera2 import Picamera2

from timelapse.camera.base import PREVIEW_SIZE, Camera, encode_rgb, fit_within, preview_jpeg
from timelapse.camera.controls import checked_controls
from timelapse.camera.detect import is_usb_webcam
from timelapse.errors import CameraError, CameraUnavailable, ConfigError

WAIT_SHARE = 0.9  # of capture.timeout, for picamera2's own wait=
SETTLE_FRAMES = 3  # frames a capture may skip while new controls reach the sensor


def yuv420_to_rgb(array):
    """Return an RGB array from picamera2's YUV420 "lores" array (Y plane, then U and V, height * 3/2 rows)."""
    import numpy as np

    rows, width = array.shape[:2]
    height = rows * 2 // 3
    y = array[:height].astype(np.float32)
    chroma = array[height:].reshape(2, height // 2, width // 2).astype(np.float32) - 128.0
    u = chroma[0].repeat(2, axis=0).repeat(2, axis=1)
    v = chroma[1].repeat(2, axis=0).repeat(2, axis=1)
    rgb = np.stack([y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def error_chain(exc):
    """Return ``exc`` and its causes as one line ("did not complete: Failed to acquire camera: ...")."""
    parts = []
    while exc is not None and len(parts) < 4:
        text = str(exc).rstrip(".") or type(exc).__name__
        if text not in parts:
            parts.append(text)
        exc = exc.__cause__ or exc.__context__
    return ": ".join(parts)


class PiCamera(Camera):
    name = "picamera"

    def __init__(self, settings, jpeg_quality):
        super().__init__(settings, jpeg_quality)
        self._picam2 = None
        self._can_wait = False
        self._requested = None  # the exposure controls set for the next capture, until a frame has them
        self.number, self.model = 0, None

    supports_exposure = True

    def control_limits(self):
        return dict(self._picam2.camera_controls) if self._picam2 is not None else {}

    def apply_controls(self, controls):
        if self._picam2 is None:
            return
        available = self._picam2.camera_controls
        # libcamera 0.5+ has no AeEnable (picamera2 sets ExposureTimeMode/AnalogueGainMode to manual itself
        # when ExposureTime/AnalogueGain are given): what this camera does not advertise is left out.
        wanted = checked_controls({k: v for k, v in controls.items() if k in available}, available)
        self._picam2.set_controls(wanted)
        self._requested = wanted

    def _find_pi_camera(self):
        """Set number and model from the first Pi camera picamera2 lists; raise CameraUnavailable if none."""
        try:
            listed = Picamera2.global_camera_info()
        except Exception as exc:
            raise CameraUnavailable(f"picamera: cannot list cameras: {error_chain(exc)}") from None
        for index, info in enumerate(listed):
            if not is_usb_webcam(info):
                self.number, self.model = index, info.get("Model")
                return
        webcams = " (picamera2 lists only USB webcams: use camera.source: usb)" if listed else ""
        raise CameraUnavailable(f"picamera: no Raspberry Pi camera found (is the ribbon cable seated?){webcams}")

    def open(self):
        self._find_pi_camera()
        try:
            picam2 = Picamera2(self.number)
        except IndexError:  # picamera2 0.3.36 and before, for a camera gone since it was listed
            raise CameraUnavailable(f"picamera: cannot open {self.describe()}: no camera number {self.number} "
                                    "found (unplugged?)") from None
        except (RuntimeError, OSError) as exc:  # 0.3.38: RuntimeError('No camera number 0 found - ...')
            raise CameraUnavailable(f"picamera: cannot open {self.describe()}: {error_chain(exc)}") from None
        self._picam2 = picam2
        try:
            controls = checked_controls(dict(self.settings.controls), picam2.camera_controls)
            # picamera2's "BGR888" is laid out R, G, B in memory: what PIL expects. Controls given
            # with the configuration go with camera.start(), so every frame carries them.
            # A small "lores" stream in the same configuration feeds the live view: no mode switch.
            lores = fit_within(tuple(self.settings.resolution), PREVIEW_SIZE) or tuple(self.settings.resolution)
            config = picam2.create_still_configuration(
                main={"size": tuple(self.settings.resolution), "format": "BGR888"},
                lores={"size": (lores[0] - lores[0] % 2, lores[1] - lores[1] % 2)}, controls=controls)
            picam2.configure(config)
            picam2.start()
            self._can_wait = "wait" in inspect.signature(picam2.capture_array).parameters
            time.sleep(self.settings.warmup)
        except ConfigError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise CameraError(f"picamera: cannot start {self.describe()}: {error_chain(exc)}") from None

    def capture(self):
        if self._picam2 is None:
            raise CameraError("picamera: capture before open")
        # picamera2 gives up a little before the caller's deadline, so that it is picamera2's own
        # timeout (after which the camera can be freed) that ends a hung capture.
        wait = round(self.timeout * WAIT_SHARE, 3) if self._can_wait and self.timeout else None
        started = time.monotonic()
        for _ in range(1 + SETTLE_FRAMES):
            array, lores, metadata = self._capture_arrays(wait)
            if self._applied(metadata) or not self._time_for_another(metadata, started):
                break
        if array.size == 0:
            raise CameraError("picamera: no frame")
        from timelapse.exposure.measure import mean_luma

        self._requested = None
        height = lores.shape[0] * 2 // 3  # YUV420: the Y plane's rows come first
        self.metadata = dict(metadata or {}, MeasuredMean=mean_luma(lores[:height]))
        return encode_rgb(array[..., :3], self.settings.resolution, self.jpeg_quality)

    def _capture_arrays(self, wait):
        """Return (main array, lores array, metadata) of the next frame; raise CameraError if none comes."""
        try:
            arrays, metadata = (self._picam2.capture_arrays(["main", "lores"], wait=wait) if wait
                                else self._picam2.capture_arrays(["main", "lores"]))
        except (TimeoutError, concurrent.futures.TimeoutError):
            self._cancel_jobs()
            raise CameraError(f"picamera: no frame within {wait:g} s (camera frontend timed out?)") from None
        except Exception as exc:
            raise CameraError(f"picamera: capture failed: {error_chain(exc)}") from None
        if not arrays or arrays[0] is None or arrays[1] is None:
            raise CameraError("picamera: no frame")
        return arrays[0], arrays[1], metadata or {}

    def _applied(self, metadata):
        """Return True if the frame was taken with the exposure last requested (or none was)."""
        wanted = self._requested
        if not wanted or "ExposureTime" not in wanted:
            return True
        exposure, gain = metadata.get("ExposureTime"), metadata.get("AnalogueGain")
        limit = wanted.get("FrameDurationLimits", (0, wanted["ExposureTime"]))[1]
        expected = min(wanted["ExposureTime"], limit)
        return (exposure is not None and abs(exposure - expected) <= max(100, 0.05 * expected)
                and (gain is None or abs(gain - wanted.get("AnalogueGain", gain)) <= 0.05 * gain))

    def _time_for_another(self, metadata, started):
        """Return True if one more frame (as long as the last) still fits well inside capture.timeout."""
        frame = max(metadata.get("FrameDuration", 0), metadata.get("ExposureTime", 0)) / 1e6
        return not self.timeout or time.monotonic() - started + 2 * frame < self.timeout * 0.5

    def preview(self, focus=False):
        if self._picam2 is None:
            raise CameraError("picamera: preview before open")
        wait = round(self.timeout * WAIT_SHARE, 3) if self._can_wait and self.timeout else None
        stream = "main" if focus else "lores"
        try:
            array = (self._picam2.capture_array(stream, wait=wait) if wait
                     else self._picam2.capture_array(stream))
        except (TimeoutError, concurrent.futures.TimeoutError):
            self._cancel_jobs()
            raise CameraError(f"picamera: no preview frame within {wait:g} s") from None
        except Exception as exc:
            raise CameraError(f"picamera: preview failed: {error_chain(exc)}") from None
        return preview_jpeg(array[..., :3] if focus else yuv420_to_rgb(array), focus)

    def _cancel_jobs(self):
        """Drop picamera2's queued jobs (a stuck capture), so that stop() and close() can run."""
        cancel = getattr(self._picam2, "cancel_all_and_flush", None)
        if cancel is not None:
            try:
                cancel()
            except Exception:  # the camera may be gone; close() still gets its try
                pass

    def close(self):
        if self._picam2 is None:
            return
        self._cancel_jobs()
        picam2, self._picam2 = self._picam2, None
        for step in (picam2.stop, picam2.close):
            try:
                step()
            except Exception:  # close must not raise; the camera may already be gone
                pass

    def describe(self):
        return f"picamera {self.number}" + (f" ({self.model})" if self.model else "")
