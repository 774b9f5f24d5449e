"""The daemon's side of the exposure ramp (SPEC §16): limits and their clamps, the state file, the camera.

``ExposureRamp`` wraps the pure controller (controller.py) for one daemon. Its hooks:

    opened(session)            the camera (re)opened: decide whether the ramp runs, read the sensor's
                               limits, start from ``output_dir/.exposure.json`` (when under an hour old)
                               or meter, and hand the first controls to the camera
    captured(session, grab)    after each saved capture: what it was taken with, for EXIF and the
                               status ({exposure_time_us, analogue_gain, brightness}, or {} if the
                               camera does not say); in mode smooth, the next capture's controls
    restart()                  a gap or a window opening: the next 3 captures may meter freely
    reconfigure(new, old)      a reload
    save()                     write the state now (at stop)
"""

import collections
import json
import logging
import math
import time
from dataclasses import replace

from timelapse.archive import exposure_file
from timelapse.errors import CameraError, ConfigError, StorageError
from timelapse.exposure.controller import (FREE_CAPTURES, Limits, Measurement, State, controls, next_state, split,
                                          white_balance)
from timelapse.storage import write_atomically

log = logging.getLogger("timelapse")

STATE_MAX_AGE = 3600  # seconds: an older state says nothing about the light now
SAVE_EVERY = 60  # seconds between state writes (the card is written once per image, not twice)
INTERVAL_MARGIN = 0.5  # seconds the shutter must leave of the interval (SPEC §16)
TIMEOUT_SHARE = 0.9  # of capture.timeout, picamera2's own wait for a frame (camera/picamera.py)
CLAMP_STEP = 0.05  # seconds: the interval clamp moves in these steps
NEED_WINDOW = 15  # captures whose median time beyond the exposure is "the time a capture needs"
START_EXPOSURE_US = 20_000  # where metering starts without a state: libcamera's default exposure


class ExposureRamp:
    def __init__(self, settings, clock=time.time):
        self.settings, self.clock = settings, clock
        self.active = False
        self.state = None
        self.limits = None
        self.available = {}
        self._need = 0.0  # seconds a capture takes beyond its exposure (readout, encode): the recent median
        self._needs = collections.deque(maxlen=NEED_WINDOW)
        self._room = None  # seconds of the interval the shutter may use, as last decided
        self._said = set()
        self._saved_at = 0.0

    @property
    def path(self):
        return exposure_file(self.settings.storage.output_dir)

    def _once(self, key, message, *args):
        if key not in self._said:
            self._said.add(key)
            log.info(message, *args)

    # -- hooks ---------------------------------------------------------------------------

    def opened(self, session):
        """The camera opened: start the ramp (mode smooth and a camera that can be steered) or stay out."""
        camera = session.camera
        self.active = False
        if self.settings.camera.exposure.mode != "smooth" or camera is None:
            return
        if not camera.supports_exposure:
            why = ("source auto chose a USB camera, whose exposure ranges are driver specific"
                   if camera.name == "usb" else "the synthetic camera without camera.scene has no exposure to steer")
            self._once(("passive", camera.name), "camera.exposure.mode smooth: %s; running as mode camera", why)
            return
        self.available = camera.control_limits()
        self.limits = self._limits()
        if self.state is None:  # a start: the saved state, or meter (a reopen keeps the state it had)
            self.state = self._load() or State(*split(START_EXPOSURE_US, self.limits))
        self.active = True
        self._apply(session, None)

    def captured(self, session, grab):
        """Return {exposure_time_us, analogue_gain, brightness} of the capture just taken ({} if unknown);
        in mode smooth, set the next capture's controls from it."""
        metadata = session.metadata
        exposure, gain = metadata.get("ExposureTime"), metadata.get("AnalogueGain")
        brightness = metadata.get("MeasuredMean")
        if exposure is None and gain is None and brightness is None:
            return {}
        shot = {"exposure_time_us": None if exposure is None else int(exposure),
                "analogue_gain": None if gain is None else round(float(gain), 3),
                "brightness": None if brightness is None else round(float(brightness), 4)}
        if self.active and exposure and brightness is not None:
            self._needs.append(max(0.0, grab - exposure / 1e6))
            self._need = sorted(self._needs)[len(self._needs) // 2]  # the median: a one-off stall does not count
            self.limits = self._limits()
            measured = Measurement(float(brightness), float(exposure), float(gain or 1.0),
                                   metadata.get("ColourGains"))
            self.state = next_state(self.state, measured, self.limits)
            self._apply(session, measured)
            if self.clock() - self._saved_at >= SAVE_EVERY:
                self.save()
        return shot

    def restart(self):
        """A gap or a window opening: the next captures may meter freely."""
        if self.state is not None:
            self.state = replace(self.state, free=FREE_CAPTURES)

    def reconfigure(self, new, old):
        """Follow reloaded settings ``new`` (``old``: those they replace): new limits from the next
        capture, the state kept. The daemon calls `opened` again when the camera stays open."""
        self.settings, self._room = new, None

    def save(self):
        """Write the state to output_dir/.exposure.json atomically; a failure is logged at debug only."""
        if self.state is None:
            return
        self._saved_at = self.clock()
        data = {"exposure_us": self.state.exposure_us, "gain": self.state.gain,
                "wb_lock": self.state.wb_lock, "saved": self._saved_at}
        try:
            write_atomically(self.path, json.dumps(data).encode(), fsync=False, replace=True)
        except StorageError as exc:
            log.debug("cannot write %s: %s", self.path, exc)

    # -- inside ----------------------------------------------------------------------------

    def _apply(self, session, measured):
        self.state, colour = white_balance(self.state, self.settings.camera.exposure.white_balance, measured,
                                           self.limits)
        frame = self.available.get("FrameDurationLimits")
        try:
            session.apply_controls(controls(self.state, colour, frame[:2] if frame else None))
        except (CameraError, ConfigError) as exc:  # a camera that refuses them must not stop the captures
            self.active = False
            log.warning("camera.exposure.mode smooth: the camera refused the exposure controls (%s); "
                        "running as mode camera until it reopens", exc)

    def _limits(self):
        """Return the Limits in force, each clamp of max_exposure and max_gain said once in the log."""
        exposure = self.settings.camera.exposure
        longest = exposure.max_exposure
        # In CLAMP_STEP steps, and only when it moves by two of them: the clamp does not follow every
        # capture's own timing (each move of it is a step of the exposure that max_step does not see).
        steps = math.floor((self.settings.capture.interval - INTERVAL_MARGIN - self._need) / CLAMP_STEP + 1e-6)
        room = steps * round(CLAMP_STEP * 1000) / 1000
        if self._room is None or abs(room - self._room) >= 2 * CLAMP_STEP - 1e-9:
            self._room = room
        room = self._room
        if room < longest:
            longest = max(room, 0.001)
            self._once("interval", "camera.exposure.max_exposure %g s does not fit the %g s interval (minus %.1f s, "
                       "and %.2f s a capture needs): clamped to %.3f s", exposure.max_exposure,
                       self.settings.capture.interval, INTERVAL_MARGIN, self._need, longest)
        allowed = self.settings.capture.timeout * TIMEOUT_SHARE - 1.0  # a frame must arrive within the timeout
        if allowed < longest:
            longest = max(allowed, 0.001)
            self._once("timeout", "camera.exposure.max_exposure: a frame must arrive within capture.timeout "
                       "(%g s): clamped to %.3f s", self.settings.capture.timeout, longest)
        sensor = self.available.get("ExposureTime")
        if sensor and sensor[1] and sensor[1] / 1e6 < longest:
            longest = sensor[1] / 1e6
            self._once("sensor", "camera.exposure.max_exposure: this sensor allows at most %g s: clamped to it",
                       longest)
        max_gain = exposure.max_gain
        sensor_gain = self.available.get("AnalogueGain")
        if sensor_gain and sensor_gain[1] and sensor_gain[1] < max_gain:
            max_gain = float(sensor_gain[1])
            self._once("gain", "camera.exposure.max_gain: this sensor allows at most %g: clamped to it", max_gain)
        shortest = float(sensor[0]) if sensor and sensor[0] else 100.0
        return Limits(exposure.target, max(longest * 1e6, shortest), max_gain, exposure.max_step, shortest)

    def _load(self):
        """Return the saved State if the file is there, sane and under an hour old; else None (meter)."""
        try:
            data = json.loads(self.path.read_text())
            age = self.clock() - float(data["saved"])
            exposure, gain = float(data["exposure_us"]), float(data["gain"])
            lock = tuple(float(g) for g in data["wb_lock"]) if data.get("wb_lock") else None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not (0 <= age < STATE_MAX_AGE and exposure > 0 and gain >= 1):
            return None
        exposure, gain = split(exposure * gain, self.limits)
        log.info("exposure: starting from the state saved %.0f s ago (%.0f µs, gain %.2f)", age, exposure, gain)
        return State(exposure, gain, wb_lock=lock)
