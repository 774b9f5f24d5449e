"""Raspberry Pi cameras through picamera2 (libcamera).

OpenCV's V4L2 backend cannot drive a Pi camera on the libcamera stack, hence this
separate backend. The camera is configured once for stills at ``resolution`` and stays
open between captures; frames are encoded here at ``jpeg_quality``.
"""

import time

from picamera2 import Picamera2

from timelapse.camera.base import Camera, encode_rgb
from timelapse.errors import CameraError, CameraUnavailable, ConfigError


class PiCamera(Camera):
    name = "picamera"

    def __init__(self, settings, jpeg_quality):
        super().__init__(settings, jpeg_quality)
        self._picam2 = None

    def open(self):
        if not Picamera2.global_camera_info():
            raise CameraUnavailable("picamera: no Raspberry Pi camera found (is the ribbon cable seated?)")
        try:
            picam2 = Picamera2()
        except (RuntimeError, IndexError, OSError) as exc:
            raise CameraUnavailable(f"picamera: cannot open the camera: {exc}") from None
        self._picam2 = picam2
        try:
            # picamera2's "BGR888" is laid out R, G, B in memory: what PIL expects.
            config = picam2.create_still_configuration(
                main={"size": tuple(self.settings.resolution), "format": "BGR888"})
            picam2.configure(config)
            picam2.start()
            time.sleep(self.settings.warmup)
            if self.settings.controls:
                unknown = sorted(set(self.settings.controls) - set(picam2.camera_controls))
                if unknown:
                    raise ConfigError(
                        f"camera.controls: unknown libcamera control {', '.join(unknown)}; this camera has: "
                        f"{', '.join(sorted(picam2.camera_controls))}")
                picam2.set_controls(dict(self.settings.controls))
        except ConfigError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise CameraError(f"picamera: cannot start the camera: {exc}") from None

    def capture(self):
        if self._picam2 is None:
            raise CameraError("picamera: capture before open")
        try:
            array = self._picam2.capture_array("main")
        except Exception as exc:
            raise CameraError(f"picamera: capture failed: {exc}") from None
        if array is None or array.size == 0:
            raise CameraError("picamera: no frame")
        return encode_rgb(array[..., :3], self.settings.resolution, self.jpeg_quality)

    def close(self):
        picam2, self._picam2 = self._picam2, None
        if picam2 is None:
            return
        for step in (picam2.stop, picam2.close):
            try:
                step()
            except Exception:  # close must not raise; the camera may already be gone
                pass

    def describe(self):
        return "picamera 0"
