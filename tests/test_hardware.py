"""Real cameras, when this machine has them (a Raspberry Pi with a camera, a USB webcam).

Skipped, with the reason, where there is no such hardware (as on the amd64 CI machine):
there, the backends are exercised through real OpenCV on a video file and a picamera2
stand-in (test_camera.py).
"""

import io
from dataclasses import replace

import pytest
from PIL import Image

from timelapse import config
from timelapse.camera import make_camera
from timelapse.camera.detect import pi_cameras, v4l2_capture_devices

USB = v4l2_capture_devices()
PI, PI_REASON = pi_cameras()


def capture_one(source, device=0):
    settings = replace(config.defaults().camera, source=source, device=device, warmup=1, resolution=(1280, 720))
    with make_camera(settings, 85) as camera:
        data = camera.capture()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


@pytest.mark.skipif(not USB, reason="no USB (V4L2) camera on this machine")
def test_a_real_usb_camera_gives_a_jpeg_within_the_resolution():
    width, height = capture_one("usb", USB[0].stable_path or USB[0].path)
    assert width <= 1280 and height <= 720


@pytest.mark.skipif(not PI, reason=f"no Raspberry Pi camera: {PI_REASON}")
def test_a_real_pi_camera_gives_a_jpeg_at_the_resolution():
    assert capture_one("picamera") == (1280, 720)
