"""USB and IP cameras through OpenCV: V4L2 for devices, FFmpeg for files and stream URLs."""

import time

import cv2

from timelapse.camera.base import Camera, fit_within, preview_jpeg
from timelapse.errors import CameraError, CameraUnavailable

# Frames thrown away after opening: the first buffers of a UVC camera are often dark
# or stale while exposure settles.
DISCARD_AFTER_OPEN = 4
# Frames flushed before each live capture: the driver queues a few buffers, which
# would otherwise be seconds (or a whole interval) old.
FLUSH_BEFORE_CAPTURE = 2


def is_device(device):
    """Return True for a V4L2 index or /dev path, False for a file or URL."""
    return isinstance(device, int) or str(device).startswith("/dev/")


def is_stream(device):
    return isinstance(device, str) and "://" in device


class UsbCamera(Camera):
    name = "usb"

    def __init__(self, settings, jpeg_quality):
        super().__init__(settings, jpeg_quality)
        self._capture = None

    def open(self):
        device = self.settings.device
        api = cv2.CAP_V4L2 if is_device(device) else cv2.CAP_FFMPEG
        capture = cv2.VideoCapture(device, api)
        if not capture.isOpened():
            capture.release()
            raise CameraUnavailable(f"usb camera: cannot open {device}" + (
                "" if not is_device(device) else " (unplugged? is the user in group video?)"))
        if is_device(device):
            width, height = self.settings.resolution
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture
        time.sleep(self.settings.warmup)
        for _ in range(DISCARD_AFTER_OPEN):
            if not capture.grab():
                self.close()
                raise CameraError(f"usb camera: {device} opened but gives no frames")

    def capture(self):
        if self._capture is None:
            raise CameraError("usb camera: capture before open")
        device = self.settings.device
        if is_device(device) or is_stream(device):
            for _ in range(FLUSH_BEFORE_CAPTURE):
                self._capture.grab()
        ok, frame = self._capture.read()
        if not ok or frame is None or frame.size == 0:
            raise CameraError(f"usb camera: no frame from {device}")
        target = fit_within((frame.shape[1], frame.shape[0]), self.settings.resolution)
        if target:
            frame = cv2.resize(frame, target, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise CameraError("usb camera: JPEG encoding failed")
        return encoded.tobytes()

    def preview(self, focus=False):
        if self._capture is None:
            raise CameraError("usb camera: preview before open")
        ok, frame = self._capture.read()
        if not ok or frame is None or frame.size == 0:
            raise CameraError(f"usb camera: no frame from {self.settings.device}")
        return preview_jpeg(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), focus)

    def close(self):
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def describe(self):
        return f"usb {self.settings.device}"
