"""Find cameras: Pi cameras through picamera2, USB (V4L2) capture devices through sysfs.

Nothing here runs at import time; /dev and /sys are read only when asked.
"""

import importlib.util
import logging
import os
from collections import namedtuple
from pathlib import Path

log = logging.getLogger(__name__)

V4l2Device = namedtuple("V4l2Device", "path name stable_path")

# The modules picamera2 itself imports that Raspberry Pi OS ships in packages of their own.
PICAMERA2_PARTS = {"libcamera": "python3-libcamera", "pykms": "python3-kms++", "kms": "python3-kms++"}


def import_problem(exc, library, missing):
    """Return what an ImportError raised while importing ``library`` means, naming the module really missing.

    ``library`` is the module imported (``picamera2``, ``cv2``); ``missing`` is appended when it is
    itself absent ("is not installed" + ``missing``, which says how to install it). When one of its
    own imports fails instead (picamera2 without ``pykms``), the message names that module
    (``exc.name``) and, where known, the package that has it.
    """
    if exc.name == library or (exc.name or "").startswith(library + "."):
        return f"{library} is not installed{missing}"
    part = PICAMERA2_PARTS.get(exc.name) if library == "picamera2" else None
    return f"{library} cannot be imported: {exc}" + (f" (sudo apt install {part})" if part else "")


def is_usb_webcam(info):
    """Return True for a global_camera_info() entry that is a UVC webcam, not a Pi camera.

    picamera2 lists UVC webcams through libcamera's uvcvideo pipeline; their Id names the
    USB bus (picamera2 itself sorts them last by that). The usb backend drives them.
    """
    return "/usb" in str(info.get("Id", ""))


def opencv_installed():
    """Return True if OpenCV can be imported, without paying for the import."""
    return importlib.util.find_spec("cv2") is not None


def usb_without_opencv(devices=None):
    """Return a note for the user when a USB camera is present but OpenCV is not; else None."""
    if opencv_installed():
        return None
    devices = v4l2_capture_devices() if devices is None else devices
    if not devices:
        return None
    names = ", ".join(device.stable_path or device.path for device in devices)
    return f"USB cameras need OpenCV: sudo apt install python3-opencv (found: {names})"


def pi_cameras():
    """Return (cameras, reason): the Pi cameras in picamera2's global_camera_info(), or [] and why not."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        return [], import_problem(exc, "picamera2", " (python3-picamera2, Raspberry Pi OS only)")
    except Exception as exc:  # libcamera present but broken
        return [], f"picamera2 failed to load: {exc}"
    try:
        listed = Picamera2.global_camera_info()
    except Exception as exc:
        return [], f"picamera2 could not list cameras: {exc}"
    cameras = [info for info in listed if not is_usb_webcam(info)]
    if cameras:
        return cameras, None
    if listed:
        return [], "picamera2 lists only USB webcams, which the usb backend drives"
    return [], "picamera2 found no Raspberry Pi camera"


def v4l2_capture_devices(sys_root="/sys", dev_root="/dev"):
    """Return USB V4L2 capture devices (their first node each), with stable by-id paths.

    The Pi's own codec/ISP nodes (/dev/video10...) are not USB and are left out, and so
    are each camera's metadata nodes (index > 0).
    """
    by_id = {}
    by_id_dir = Path(dev_root, "v4l", "by-id")
    if by_id_dir.is_dir():
        for link in sorted(by_id_dir.iterdir()):
            by_id.setdefault(os.path.realpath(link), str(link))
    devices = []
    class_dir = Path(sys_root, "class", "video4linux")
    if not class_dir.is_dir():
        return devices
    for node in sorted(class_dir.iterdir(), key=lambda p: (len(p.name), p.name)):
        index = _read(node / "index") or "0"
        usb = "/usb" in os.path.realpath(node / "device")
        if index.strip() != "0" or not usb:
            continue
        path = str(Path(dev_root, node.name))
        devices.append(V4l2Device(path, _read(node / "name") or node.name,
                                  by_id.get(os.path.realpath(path))))
    return devices


def _read(path):
    try:
        return path.read_text().strip()
    except OSError:
        return None


def choose(settings, report=None):
    """Return (source, device) for ``settings``; for ``auto``, ``report`` why each option was passed over.

    Return (None, reason) when ``auto`` finds no camera. ``report`` defaults to logging at info.
    """
    report = report or log.info
    if settings.source != "auto":
        return settings.source, settings.device
    cameras, reason = pi_cameras()
    if cameras:
        report("camera auto: using Raspberry Pi camera %s", cameras[0].get("Model", "0"))
        return "picamera", 0
    report("camera auto: no Pi camera: %s", reason)
    devices = v4l2_capture_devices()
    if devices:
        chosen = devices[0]
        report("camera auto: using USB camera %s (%s)", chosen.stable_path or chosen.path, chosen.name)
        return "usb", chosen.stable_path or chosen.path
    report("camera auto: no USB camera: no V4L2 capture device in /sys/class/video4linux")
    return None, (f"no camera found (no Pi camera: {reason}; "
                  "no USB camera: no V4L2 capture device in /sys/class/video4linux)")
