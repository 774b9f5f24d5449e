"""A built-in test-pattern camera: try the appliance without hardware, demos, tests.

It draws a moving colour gradient with the capture time on it. Never chosen by
``source: auto``. It records what happened (``opens``, ``captures``, ``closes``) and can
be told to fail: when the environment names a fault file
(TIMELAPSE_SYNTHETIC_FAULT_FILE), each open and capture reads the word in it:

    absent   open fails as if the camera were unplugged
    fail     capture fails (no frame)
    hang     capture blocks until the camera is closed (a hung driver that lets go)
    stuck    capture, and close too, block for good (a thread stuck in a driver)
"""

import datetime
import os
import threading

import numpy as np

from timelapse.camera.base import Camera, encode_rgb
from timelapse.errors import CameraError, CameraUnavailable

FAULT_FILE_VARIABLE = "TIMELAPSE_SYNTHETIC_FAULT_FILE"


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

    def open(self):
        if current_fault() == "absent":
            raise CameraUnavailable("synthetic camera: told to be absent")
        width, height = self.settings.resolution
        self._ramp_x = np.linspace(0, 255, width).astype(np.uint8)
        self._ramp_y = np.linspace(0, 255, height).astype(np.uint8)[:, None]
        self._released.clear()
        self.opens += 1

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
