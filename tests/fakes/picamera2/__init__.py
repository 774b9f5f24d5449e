"""A strict stand-in for picamera2 (Raspberry Pi OS only), for tests on amd64.

It mirrors the names, signatures and, above all, the blocking and failing behaviour of the
real library (raspberrypi/picamera2 0.3.x: picamera2.py, job.py, controls.py, request.py),
so that the backend cannot lean on kindness the hardware will not show:

- ``global_camera_info()`` lists UVC webcams too (an ``Id`` containing ``/usb``), sorted last;
  ``Picamera2(camera_num)`` indexes that list, so camera 0 on a Pi with only a webcam is the webcam.
- ``Picamera2(camera_num)`` with no such camera raises ``RuntimeError('No camera number 0 found -
  use "rpicam-hello --list-cameras" to check connected cameras')`` (0.3.38; 0.3.36 and before
  raised ``IndexError`` from indexing the list).
- ``Picamera2()`` on a camera another process holds raises
  ``RuntimeError("Camera __init__ sequence did not complete.")`` from
  ``RuntimeError("Failed to acquire camera: Device or resource busy")``.
- ``start()`` runs an event loop thread. A frame arrives every ``frame_interval`` from a request
  queued earlier: controls given with the configuration or set before ``start()`` go with
  ``camera.start()`` and are on every frame; ``set_controls()`` after ``start()`` ride on the next
  request queued, so the frame already in flight (``buffer_count=1``) does not carry them.
- Every capture and ``stop()`` is a job run by the event loop, in order. ``capture_array()``
  without ``wait`` blocks as long as no frame arrives (``frames_arrive = False``: "frontend has
  timed out"); with ``wait=seconds`` it raises ``TimeoutError``. ``stop()`` (and so ``close()``)
  waits behind a stuck capture job until ``cancel_all_and_flush()`` clears the queue.
- ``set_controls`` raises ``RuntimeError`` for a control libcamera does not advertise
  (``FrameRate`` is accepted: picamera2 maps it to ``FrameDurationLimits``).
- A float for an integer control is refused by libcamera's binding in the event loop thread,
  which dies: no frame arrives again and every later job waits forever.

- Exposure (picamera2.py ``capture_arrays``, request.py ``get_metadata``): every frame carries the
  controls in force; ``ExposureTime`` (µs) is cut to ``FrameDurationLimits``' maximum, a frame takes
  at least its exposure time, and ``capture_arrays(["main", "lores"])`` returns the arrays with the
  frame's metadata under libcamera's names (``ExposureTime``, ``AnalogueGain``, ``ColourGains``,
  ``Lux``, ``FrameDuration``). With ``AeEnable`` off the frame's brightness follows the light:
  mean = ``lux`` × exposure s × gain / 50 (clipped at full scale); with AE on, libcamera's default
  exposure and gain are used.

Tests steer it through the class attributes below and read what happened from
``calls`` and ``delivered`` (the controls in force on each frame handed out).
"""

import threading
import time
from concurrent import futures
from concurrent.futures import CancelledError, Future

import numpy as np

TimeoutError = futures.TimeoutError  # picamera2 re-exports concurrent.futures.TimeoutError (what wait= raises)

_BUSY = "Failed to acquire camera: Device or resource busy"


class Job:
    """An operation the event loop performs: its functions return (done, result)."""

    def __init__(self, functions):
        self._functions = list(functions)
        self._future = Future()
        self._future.set_running_or_notify_cancel()

    def execute(self):
        try:
            while self._functions:
                done, result = self._functions[0]()
                if not done:
                    return False
                self._functions.pop(0)
            self._future.set_result(result)
        except Exception as exc:
            self._functions = []
            self._future.set_exception(exc)
        return True

    def get_result(self, timeout=None):
        return self._future.result(timeout=timeout)

    def cancel(self):
        if not self._future.done():
            self._future.set_exception(CancelledError())


class Picamera2:
    # What the "hardware" looks like and does; tests change these.
    cameras = [{"Model": "imx708_wide", "Location": 2, "Rotation": 180,
                "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a", "Num": 0}]
    sensor_size = (4608, 2592)
    # name -> (min, max, default), as camera_controls reports them; the types are libcamera's.
    controls_available = {"AfMode": (0, 2, 0), "LensPosition": (0.0, 32.0, 1.0), "ExposureTime": (1, 66666, 20000),
                          "AnalogueGain": (1.0, 16.0, 1.0), "AeEnable": (False, True, True),
                          "FrameDurationLimits": (33333, 120000, 33333),
                          "ScalerCrop": ((0, 0, 0, 0), (65535, 65535, 65535, 65535), (0, 0, 4608, 2592))}
    frame_interval = 1 / 30
    lux = 400.0  # the light in front of the "sensor": frame mean = lux × exposure s × gain / 50
    frames_arrive = True  # False: the sensor stops delivering ("Camera frontend has timed out!")
    busy = False  # another process holds the camera
    instances = []

    def __init__(self, camera_num=0, verbose_console=None, tuning=None, allocator=None):
        self.is_open = False
        self.calls = []
        if camera_num >= len(self.global_camera_info()):  # word for word picamera2 0.3.38 (before: IndexError)
            raise RuntimeError(f'No camera number {camera_num} found - use "rpicam-hello --list-cameras" '
                               'to check connected cameras')
        camera_num = self.global_camera_info()[camera_num]["Num"]
        if Picamera2.busy:
            try:
                raise RuntimeError(_BUSY)
            except RuntimeError as exc:
                raise RuntimeError("Camera __init__ sequence did not complete.") from exc
        self.camera_idx = camera_num
        self.is_open = True
        self.options = {"quality": 90, "compress_level": 1}
        self.camera_config = None
        self.started = False
        self.delivered = []  # the controls in force on each frame handed out by capture_array
        self.loop_error = None  # why the event loop died, if it did
        self._pending = {}  # set_controls since the last request was queued
        self._lock = threading.Lock()
        self._jobs = []
        self._wake = threading.Event()
        self._loop = None
        Picamera2.instances.append(self)

    @staticmethod
    def global_camera_info():
        cameras = [dict(info) for info in Picamera2.cameras]
        return sorted(cameras, key=lambda cam: ("/usb" not in cam["Id"], cam["Id"]), reverse=True)

    @property
    def camera_controls(self):
        return dict(self.controls_available)

    def create_still_configuration(self, main={}, lores=None, raw={}, transform=None, colour_space=None,
                                   buffer_count=1, controls={}, display=None, encode=None, queue=True,
                                   sensor={}, use_case="still"):
        self.calls.append(("create_still_configuration", dict(main)))
        if not self.is_open:
            raise RuntimeError("Camera not opened")
        return {"use_case": use_case, "buffer_count": buffer_count, "controls": dict(controls),
                "main": {"format": "BGR888", "size": self.sensor_size, **main},
                "lores": None if lores is None else {"format": "YUV420", **lores}}

    def configure(self, camera_config=None):
        self.calls.append(("configure", camera_config))
        self._check_names(camera_config.get("controls", {}))
        self.camera_config = camera_config
        self._pending = dict(camera_config.get("controls", {}))

    def start(self, config=None, show_preview=False):
        if config is not None:
            self.configure(config)
        if self.camera_config is None:
            raise RuntimeError("Camera has not been configured")
        self.calls.append(("start",))
        if self.started:
            return
        start_controls, self._pending = self._pending, {}
        self._check_types(start_controls)  # camera.start(controls) converts in the calling thread
        self._state = dict(start_controls)
        self._in_flight = [{} for _ in range(self.camera_config["buffer_count"])]
        self._completed = []
        self._sensor_timestamp_ns = 0
        self.started = True
        self._loop = threading.Thread(target=self._event_loop, name="picamera2-event-loop", daemon=True)
        self._loop.start()

    def set_controls(self, controls):
        self.calls.append(("set_controls", dict(controls)))
        self._check_names(controls)
        with self._lock:
            self._pending.update(controls)

    # -- the event loop -------------------------------------------------------------------

    def _event_loop(self):
        # The sensor's schedule in whole nanoseconds, as libcamera counts it: in float seconds a
        # 300 ms frame can come out 299_999_999 ns long.
        next_frame = time.monotonic_ns() + round(self.frame_interval * 1e9)
        while self.started:
            arriving = Picamera2.frames_arrive
            self._wake.wait(max(0.0, (next_frame - time.monotonic_ns()) / 1e9) if arriving else 0.05)
            self._wake.clear()
            with self._lock:
                # Looked at again under the lock: a test that stops the frames and then takes
                # the last one away (stall()) must not see one more land after that on a busy machine.
                if arriving and Picamera2.frames_arrive and time.monotonic_ns() >= next_frame:
                    self._state.update(self._in_flight.pop(0))
                    # libcamera's SensorTimestamp: when the frame's exposure began, on the sensor's own
                    # schedule (a busy machine delays delivery, never the sensor)
                    self._sensor_timestamp_ns = next_frame - self._exposure(self._state)[0] * 1000
                    upcoming = {**self._state, **(self._in_flight[0] if self._in_flight else {})}
                    next_frame += max(round(self.frame_interval * 1e9), self._exposure(upcoming)[0] * 1000)
                    self._completed = [dict(self._state)]  # queue=True: the newest frame is kept
                    request, self._pending = self._pending, {}
                    try:
                        self._check_types(request)  # request.set_control, in this thread
                    except TypeError as exc:
                        self.loop_error = exc
                        return  # the thread dies; nothing ever runs here again
                    self._in_flight.append(request)
                while self._jobs and self._jobs[0].execute():
                    self._jobs.pop(0)

    def _dispatch(self, functions, wait, immediate=False):
        job = Job(functions)
        with self._lock:
            self._jobs.append(job)
        if immediate or self._completed:
            self._wake.set()
        if wait is False:
            return job
        return job.get_result(timeout=None if wait in (None, True) else wait)

    def _exposure(self, controls):
        """Return (exposure µs, gain) a frame with ``controls`` is taken with, as libcamera would apply them."""
        low, high, default = self.controls_available.get("ExposureTime", (1, 66666, 20000))
        manual = controls.get("AeEnable", True) is False or "ExposureTime" in controls
        exposure = controls.get("ExposureTime", default) if manual else default
        limits = controls.get("FrameDurationLimits", self.controls_available.get("FrameDurationLimits"))
        exposure = min(max(exposure, low), high, limits[1] if limits else high)
        gain = controls.get("AnalogueGain", 1.0) if manual else 1.0
        return int(exposure), float(gain)

    def _metadata(self, controls):
        exposure, gain = self._exposure(controls)
        limits = controls.get("FrameDurationLimits", self.controls_available.get("FrameDurationLimits"))
        colour = tuple(controls["ColourGains"]) if controls.get("AwbEnable", True) is False and \
            "ColourGains" in controls else (1.9, 1.7)
        return {"ExposureTime": exposure, "AnalogueGain": gain, "ColourGains": colour, "Lux": self.lux,
                "FrameDuration": max(exposure, limits[0] if limits else 33333),
                "SensorTimestamp": self._sensor_timestamp_ns}

    def _level(self, controls):
        exposure, gain = self._exposure(controls)
        return min(1.0, self.lux * exposure / 1e6 * gain / 50)

    def _capture_arrays_(self, names):
        if not self._completed:
            return False, None
        controls = self._completed.pop(0)
        self.delivered.append(controls)
        return True, ([self._make_array(name, controls) for name in names], self._metadata(controls))

    def capture_arrays(self, names=["main"], wait=None, signal_function=None):
        self.calls.append(("capture_arrays", tuple(names)))
        if not self.started:
            raise RuntimeError("Camera is not running")
        return self._dispatch([lambda: self._capture_arrays_(names)], wait)

    def capture_metadata(self, wait=None, signal_function=None):
        self.calls.append(("capture_metadata",))
        if not self.started:
            raise RuntimeError("Camera is not running")

        def metadata_():
            if not self._completed:
                return False, None
            return True, self._metadata(self._completed.pop(0))
        return self._dispatch([metadata_], wait)

    def _capture_array_(self, name):
        if not self._completed:
            return False, None
        controls = self._completed.pop(0)
        self.delivered.append(controls)
        return True, self._make_array(name, controls)

    def _make_array(self, name, controls):
        width, height = self.camera_config[name]["size"]
        if self.camera_config[name].get("format") == "YUV420":  # lores: Y plane, then U and V at half size
            frame = np.full((height * 3 // 2, width), 128, dtype=np.uint8)
            frame[:height] = np.linspace(16, 235, width, dtype=np.uint8)
            if "ExposureTime" in controls or controls.get("AeEnable", True) is False:  # the light, metered
                frame[:height] = np.clip(self._level(controls) * np.linspace(128, 382, width), 0, 255)
            return frame
        frame = np.zeros((height, width, 3), dtype=np.uint8)
        frame[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)  # R ramps left to right
        frame[: height // 2, :, 2] = 255  # B on the top half
        return frame

    def capture_array(self, name="main", wait=None, signal_function=None):
        self.calls.append(("capture_array", name))
        if not self.started:
            raise RuntimeError("Camera is not running")
        return self._dispatch([lambda: self._capture_array_(name)], wait)

    def cancel_all_and_flush(self):
        self.calls.append(("cancel_all_and_flush",))
        with self._lock:
            for job in self._jobs:
                job.cancel()
            self._jobs = []

    def _stop_(self):
        self.started = False
        return True, None

    def stop(self):
        self.calls.append(("stop",))
        if not self.started:
            return
        self._dispatch([self._stop_], wait=True, immediate=True)  # behind every queued job
        self._loop.join()

    def close(self):
        self.calls.append(("close",))
        if not self.is_open:
            return
        self.stop()
        self.is_open = False

    @property
    def closed(self):
        return not self.is_open

    # -- what libcamera checks ----------------------------------------------------------------

    def _check_names(self, controls):
        for name in controls:
            if name != "FrameRate" and name not in self.controls_available:
                raise RuntimeError(f"Control {name} is not advertised by libcamera")

    def _check_types(self, controls):
        for name, value in controls.items():
            if name == "FrameRate":
                continue
            kind = type(self.controls_available[name][2])
            values = value if isinstance(value, (list, tuple)) else [value]
            kinds = kind if kind is not tuple else type(self.controls_available[name][2][0])
            for item in values:
                if kinds is int and isinstance(item, float):
                    raise TypeError(f"Unable to cast Python instance of type <class 'float'> to C++ type "
                                    f"'int' (control {name})")
