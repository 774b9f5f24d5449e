"""A built-in test-pattern camera: try the appliance without hardware, demos, tests.

It draws a moving colour gradient with the capture time on it. Never chosen by
``source: auto``. It records what happened (``opens``, ``captures``, ``closes``) and can
be told to fail: when the environment names a fault file
(TIMELAPSE_SYNTHETIC_FAULT_FILE), each open and capture reads the word in it:

    absent   open fails as if the camera were unplugged
    fail     capture fails (no frame)
    hang     capture blocks until the camera is closed (a hung driver that lets go)
    stuck    capture, and close too, block for good (a thread stuck in a driver)

With ``camera.scene`` set it is a physical camera in a simulated light (SPEC §16, exposure/scene.py):
each frame's mean is lux × exposure × gain / 50, the pattern and the label modulate around it, read
and shot noise are added and values clip at 1. It obeys picamera2's rules: controls given with
``apply_controls`` after capture N are in force from capture N+1, ``ExposureTime`` is cut to
``FrameDurationLimits``, a long exposure takes its time, and ``metadata`` reports what was applied.
Without ``AeEnable: False`` it imitates libcamera's AE: it meters the previous frame and aims at a
mean of 0.16, exposure up to 66 ms, then gain up to 8, with no smoothing.
"""

import datetime
import os
import threading
import time

import numpy as np

from timelapse.camera.base import Camera, encode_rgb
from timelapse.errors import CameraError, CameraUnavailable

FAULT_FILE_VARIABLE = "TIMELAPSE_SYNTHETIC_FAULT_FILE"

# The simulated sensor's camera_controls, name -> (min, max, default), as picamera2 reports them.
SENSOR_CONTROLS = {"ExposureTime": (60, 120_000_000, 20000), "AnalogueGain": (1.0, 16.0, 1.0),
                   "FrameDurationLimits": (33333, 120_000_000, 33333), "AeEnable": (False, True, True),
                   "AwbEnable": (False, True, True), "ColourGains": (0.0, 32.0, None)}
AE_TARGET = 0.16  # the Raspberry Pi tuning files' AE target mean
AE_MAX_EXPOSURE_US = 66_666  # libcamera's default exposure mode stops at 1/15 s ...
AE_MAX_GAIN = 8.0  # ... then raises the gain up to 8
AWB_GAINS = (2.0, 1.6)  # what the simulated AWB reports (red, blue)
FULL_WELL = 10_000  # electrons at full scale, gain 1 (shot noise)
READ_NOISE = 3.0  # electrons (read noise)
NOISE_SCALE = 24  # a standard normal's unit in the 8-bit noise table (±5.3 sigma fit in 0..255)


def current_fault():
    """Return the fault word the test harness asked for, or None."""
    path = os.environ.get(FAULT_FILE_VARIABLE)
    if not path:
        return None
    try:
        with open(path) as stream:
            return stream.read().strip() or None
    except OSError:
        return None


class SyntheticCamera(Camera):
    name = "synthetic"

    def __init__(self, settings, jpeg_quality, clock=datetime.datetime.now):
        super().__init__(settings, jpeg_quality)
        self.clock = clock
        self.opens = self.captures = self.closes = 0
        self._released = threading.Event()
        self._ramp_x = self._ramp_y = None
        self._pending, self._in_force = {}, {}
        self._ae = (20000.0, 1.0)  # what the imitated AE uses next: (exposure µs, gain)
        self._noise = None
        self.supports_exposure = settings.scene is not None

    def control_limits(self):
        return dict(SENSOR_CONTROLS) if self.supports_exposure else {}

    def apply_controls(self, controls):
        self._pending.update(controls)  # taken up by the next capture, as picamera2's next request

    def open(self):
        if current_fault() == "absent":
            raise CameraUnavailable("synthetic camera: told to be absent")
        width, height = self.settings.resolution
        self._ramp_x = np.linspace(0, 255, width).astype(np.uint8)
        self._ramp_y = np.linspace(0, 255, height).astype(np.uint8)[:, None]
        self._released.clear()
        if self.settings.scene is not None and self._noise is None:
            self._rng = np.random.default_rng()
            normal = self._rng.standard_normal(width * height * 3 + 65536) * NOISE_SCALE + 128
            self._noise = np.clip(normal, 0, 255).astype(np.uint8)  # N(0, 1) as 128 ± NOISE_SCALE
        self.opens += 1
        if self.settings.warmup:  # as a real camera settles (usb.py, picamera.py)
            time.sleep(self.settings.warmup)

    def capture(self):
        if self._ramp_x is None:
            raise CameraError("synthetic camera: capture before open")
        fault = current_fault()
        if fault == "fail":
            raise CameraError("synthetic camera: told to fail")
        if fault == "hang":
            self._released.wait()
            raise CameraError("synthetic camera: hung capture was released")
        if fault == "stuck":
            threading.Event().wait()
        if self.settings.scene is not None:
            return self._capture_scene()
        now = self.clock()
        moving = np.roll(self._ramp_x, int(now.timestamp() * 40) % self._ramp_x.size)
        # One frame-sized buffer, filled in place and freed after encoding: nothing
        # frame-sized stays resident between captures.
        frame = np.empty((self._ramp_y.size, moving.size, 3), dtype=np.uint8)
        frame[..., 0] = moving
        frame[..., 1] = self._ramp_y
        np.add(moving >> 1, self._ramp_y >> 1, out=frame[..., 2])
        self.captures += 1
        return encode_rgb(_draw_time(frame, now), self.settings.resolution, self.jpeg_quality)

    def _settings_for_frame(self):
        """Return (exposure µs, gain, colour gains) in force for this frame; take up controls set since the last."""
        self._in_force.update(self._pending)
        self._pending = {}
        controls = self._in_force
        if controls.get("AeEnable", True) is False and "ExposureTime" in controls:
            exposure, gain = float(controls["ExposureTime"]), float(controls.get("AnalogueGain", 1.0))
        else:
            exposure, gain = self._ae
        low, high = SENSOR_CONTROLS["ExposureTime"][:2]
        frame_max = controls.get("FrameDurationLimits", SENSOR_CONTROLS["FrameDurationLimits"][:2])[1]
        exposure = min(max(exposure, low), high, frame_max)  # libcamera cuts the shutter to the frame duration
        gain = min(max(gain, 1.0), SENSOR_CONTROLS["AnalogueGain"][1])
        colour = controls.get("ColourGains") if controls.get("AwbEnable", True) is False else None
        return exposure, gain, tuple(colour) if colour else AWB_GAINS

    def _capture_scene(self):
        from timelapse.exposure.measure import mean_rgb
        from timelapse.exposure.scene import frame_mean, scene_lux

        exposure, gain, colour = self._settings_for_frame()
        if self._released.wait(exposure / 1e6):  # a long exposure takes its time; close() ends it
            raise CameraError("synthetic camera: closed during the exposure")
        now = self.clock()
        lux = scene_lux(self.settings.scene)
        mean = frame_mean(lux, exposure, gain)
        width, height = self._ramp_x.size, self._ramp_y.size
        moving = np.roll(self._ramp_x, int(now.timestamp() * 40) % width)
        frame = np.empty((height, width, 3), dtype=np.uint8)
        frame[..., 0] = moving
        frame[..., 1] = self._ramp_y
        np.add(moving >> 1, self._ramp_y >> 1, out=frame[..., 2])
        _draw_time(frame, now)
        # Pattern values 0..255 modulate the mean by 0.5..1.5 (their mean is 1), and noise is added at the
        # frame's mean level (shot noise sqrt(mean·gain/FULL_WELL), read noise READ_NOISE·gain/FULL_WELL):
        # both by table lookups on 8-bit values, so a 1080p frame costs tens of milliseconds.
        signal = np.clip(mean * (0.5 + np.arange(256) / 255.0) * 255.0 + 0.5, 0, 255).astype(np.int16)
        sigma = 255.0 * np.sqrt(min(mean, 1.0) * gain / FULL_WELL + (READ_NOISE * gain / FULL_WELL) ** 2)
        noise = np.round((np.arange(256) - 128) / NOISE_SCALE * sigma).astype(np.int16)
        offset = int(self._rng.integers(0, self._noise.size - frame.size))
        values = signal[frame]
        values += noise[self._noise[offset:offset + frame.size].reshape(frame.shape)]
        frame = np.clip(values, 0, 255, out=values).astype(np.uint8)
        self.captures += 1
        self.metadata = {"ExposureTime": int(round(exposure)), "AnalogueGain": gain, "ColourGains": colour,
                         "Lux": lux, "FrameDuration": int(max(exposure, SENSOR_CONTROLS["FrameDurationLimits"][0])),
                         "MeasuredMean": mean_rgb(frame)}
        measured = max(self.metadata["MeasuredMean"], 1 / 255)
        total = exposure * gain * AE_TARGET / measured  # libcamera's AE: straight to its target, no smoothing
        ae_exposure = min(max(total, SENSOR_CONTROLS["ExposureTime"][0]), AE_MAX_EXPOSURE_US)
        self._ae = (ae_exposure, min(max(total / ae_exposure, 1.0), AE_MAX_GAIN))
        return encode_rgb(frame, self.settings.resolution, self.jpeg_quality)

    def close(self):
        if current_fault() == "stuck":
            threading.Event().wait()
        self._released.set()
        self._ramp_x = self._ramp_y = None
        self.closes += 1

    def describe(self):
        return "synthetic test pattern"


def _draw_time(frame, when):
    """Write ``when`` large into the top-left corner of ``frame`` (in place); return it as a PIL image."""
    from PIL import Image, ImageDraw

    text = when.strftime("%Y-%m-%d %H:%M:%S")
    label = Image.new("L", (6 * len(text) + 4, 14), 0)
    ImageDraw.Draw(label).text((2, 1), text, fill=255)
    scale = max(1, frame.shape[1] // 4 // label.width)
    big = np.asarray(label.resize((label.width * scale, label.height * scale), Image.NEAREST))
    height, width = min(big.shape[0], frame.shape[0] - 8), min(big.shape[1], frame.shape[1] - 8)
    if height > 0 and width > 0:
        frame[8:8 + height, 8:8 + width] = big[:height, :width, None]
    # frombuffer shares the frame's memory: no full-frame copy per capture.
    return Image.frombuffer("RGB", (frame.shape[1], frame.shape[0]), frame, "raw", "RGB", 0, 1)
