"""A stand-in for picamera2 (Raspberry Pi OS only), for tests on amd64.

It mirrors the names and signatures of the real API that timelapse uses
(picamera2/picamera2.py: Picamera2.__init__(camera_num=0, tuning=None, ...),
global_camera_info(), create_still_configuration(main={}, ...), configure(),
start(), capture_array(name="main"), set_controls(), camera_controls, options,
stop(), close()) and records every call. Tests steer it through the class
attributes below.
"""

import numpy as np


class Picamera2:
    # What the "hardware" looks like; tests change these.
    cameras = [{"Model": "imx708_wide", "Location": 2, "Rotation": 180,
                "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a", "Num": 0}]
    sensor_size = (4608, 2592)
    controls_available = {"AfMode": (0, 2, 0), "LensPosition": (0.0, 32.0, 1.0), "ExposureTime": (1, 66666, 20000),
                          "AnalogueGain": (1.0, 16.0, 1.0), "ScalerCrop": ((0, 0, 0, 0), (65535, 65535, 65535, 65535),
                                                                            (0, 0, 4608, 2592))}
    fail_capture = False
    instances = []

    def __init__(self, camera_num=0, verbose_console=None, tuning=None, allocator=None):
        if camera_num >= len(self.cameras):
            raise IndexError("list index out of range")
        self.camera_num = camera_num
        self.calls = []
        self.options = {"quality": 90, "compress_level": 1}
        self.camera_config = None
        self.started = False
        self.closed = False
        self.controls = {}
        Picamera2.instances.append(self)

    @staticmethod
    def global_camera_info():
        return [dict(info) for info in Picamera2.cameras]

    @property
    def camera_controls(self):
        return dict(self.controls_available)

    def create_still_configuration(self, main={}, lores=None, raw={}, transform=None, colour_space=None,
                                   buffer_count=1, controls={}, display=None, encode=None, queue=True,
                                   sensor={}, use_case="still"):
        self.calls.append(("create_still_configuration", dict(main)))
        config = {"use_case": use_case, "buffer_count": buffer_count, "controls": dict(controls),
                  "main": {"format": "BGR888", "size": self.sensor_size, **main}}
        return config

    def configure(self, camera_config=None):
        self.calls.append(("configure", camera_config))
        self.camera_config = camera_config

    def start(self, config=None, show_preview=False):
        if self.camera_config is None:
            raise RuntimeError("Camera has not been configured")
        self.calls.append(("start",))
        self.started = True

    def set_controls(self, controls):
        self.calls.append(("set_controls", dict(controls)))
        self.controls.update(controls)

    def capture_array(self, name="main", wait=None, signal_function=None):
        self.calls.append(("capture_array", name))
        if not self.started:
            raise RuntimeError("Camera is not running")
        if self.fail_capture:
            raise RuntimeError("Camera frontend has timed out!")
        width, height = self.camera_config[name]["size"]
        frame = np.zeros((height, width, 3), dtype=np.uint8)
        frame[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)  # R ramps left to right
        frame[: height // 2, :, 2] = 255  # B on the top half
        return frame

    def stop(self):
        self.calls.append(("stop",))
        self.started = False

    def close(self):
        self.calls.append(("close",))
        self.closed = True
