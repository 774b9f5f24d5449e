"""Cameras behind one small interface (see base.py); backends load only when chosen."""

import importlib

from timelapse.camera.detect import choose
from timelapse.errors import CameraUnavailable

BACKENDS = {
    "picamera": ("timelapse.camera.picamera", "PiCamera"),
    "usb": ("timelapse.camera.usb", "UsbCamera"),
    "synthetic": ("timelapse.camera.synthetic", "SyntheticCamera"),
}


def make_camera(settings, jpeg_quality, report=None):
    """Return an unopened camera for ``settings``, resolving ``auto``; raise CameraUnavailable if none.

    ``report`` receives the reasons ``auto`` passed over each kind of camera (default: logged at info).
    """
    source, device = choose(settings, report)
    if source is None:
        raise CameraUnavailable(device)
    module_name, class_name = BACKENDS[source]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        package = {"picamera": "python3-picamera2", "usb": "python3-opencv"}.get(source, "")
        raise CameraUnavailable(f"{source} camera: {exc.name or exc} is not installed "
                                f"({package})") from None
    if device != settings.device:
        settings = type(settings)(**{**settings.__dict__, "source": source, "device": device})
    return getattr(module, class_name)(settings, jpeg_quality)
