"""Cameras behind one small interface (see base.py); backends load only when chosen."""

import importlib

from timelapse.camera.detect import choose, import_problem
from timelapse.errors import CameraUnavailable

BACKENDS = {
    "picamera": ("timelapse.camera.picamera", "PiCamera"),
    "usb": ("timelapse.camera.usb", "UsbCamera"),
    "synthetic": ("timelapse.camera.synthetic", "SyntheticCamera"),
}


# The library each backend imports (its absence is "not installed"; a failure inside it is named).
LIBRARY = {"picamera": "picamera2", "usb": "cv2"}

# What a backend needs that Debian may not have installed, and how to get it.
MISSING_LIBRARY = {
    "picamera": "Pi cameras need picamera2 (Raspberry Pi OS): sudo apt install python3-picamera2",
    "usb": "USB cameras need OpenCV: sudo apt install python3-opencv",
}


def make_camera(settings, jpeg_quality, report=None, timeout=None):
    """Return an unopened camera for ``settings``, resolving ``auto``; raise CameraUnavailable if none.

    ``timeout`` is ``capture.timeout``, for a backend whose library can bound a capture itself.

    ``report`` receives the reasons ``auto`` passed over each kind of camera (default: logged at info).
    """
    source, device = choose(settings, report)
    if source is None:
        raise CameraUnavailable(device)
    module_name, class_name = BACKENDS[source]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        library = LIBRARY.get(source) or exc.name or module_name
        hint = f"; {MISSING_LIBRARY[source]}" if source in MISSING_LIBRARY else ""
        raise CameraUnavailable(f"{source} {device}: {import_problem(exc, library, hint)}") from None
    if device != settings.device:
        settings = type(settings)(**{**settings.__dict__, "source": source, "device": device})
    camera = getattr(module, class_name)(settings, jpeg_quality)
    camera.timeout = timeout
    return camera
