"""The day-to-night exposure controller (SPEC §16): a pure function of (state, measurement, limits).

It follows the shape of Raspilapse's controller: metering (the frame's mean brightness), the
exposure decision (how many EV to move) and the shutter/gain ladder (how to split the light into
exposure time and analogue gain) are separate steps. Nothing here reads a clock, a file or a camera,
so the tests replay light sequences through it and get the same answer every time.

Units: exposure time in microseconds (libcamera's ``ExposureTime``), analogue gain as a factor
(1.0 = none), brightness as the mean of the frame, 0..1 of full scale, without gamma. One EV (stop)
is a factor of 2 in exposure time × gain.
"""

import math
from dataclasses import dataclass, replace

FREE_CAPTURES = 3  # captures after a start, a window opening or a gap that may meter freely (SPEC §16)
FREE_STEP = 6.0  # EV one freely metering capture may move at most (enough from a black frame to the target)
HYSTERESIS = 0.2  # EV: inside target ± this, the settings stay as they are (so the ramp does not hunt)
CLIPPED = 0.97  # a frame this bright is clipped: how much too bright it is cannot be known
BLACK = 0.002  # a frame this dark holds no measurement either (noise only)
DAY_TOTAL_US = 10_000  # exposure × gain at or below 1/100 s at gain 1: a daylight frame (white balance)


@dataclass(frozen=True)
class Limits:
    """What the controller may do. ``min_exposure_us``/``max_exposure_us``: the shutter range after every
    clamp (config, interval, sensor); ``max_gain`` >= 1; ``max_step``: EV between saved images;
    ``target``: brightness 0..1."""
    target: float
    max_exposure_us: float
    max_gain: float
    max_step: float
    min_exposure_us: float = 100.0


@dataclass(frozen=True)
class Measurement:
    """What one saved frame was taken with (from the camera's metadata) and how bright it came out."""
    brightness: float
    exposure_us: float
    gain: float
    colour_gains: object = None  # (red, blue) the camera used, when it reports them


@dataclass(frozen=True)
class State:
    """The settings for the next capture. ``free``: captures left that may meter freely;
    ``wb_lock``: (red, blue) gains white balance is locked at (``auto``), None while the camera's AWB runs."""
    exposure_us: float
    gain: float
    free: int = FREE_CAPTURES
    wb_lock: object = None

    @property
    def total(self):
        return self.exposure_us * self.gain


def ev(ratio):
    """Return a light ratio in EV (stops): log2."""
    return math.log2(ratio)


def split(total_us, limits):
    """Return (exposure_us, gain) for a light amount exposure × gain: shutter first up to its longest, then
    gain up to ``max_gain``; so going back down, the gain goes first. Clamped to what the limits allow."""
    exposure = min(max(total_us, limits.min_exposure_us), limits.max_exposure_us)
    gain = min(max(total_us / exposure, 1.0), limits.max_gain)
    return exposure, gain


def error_ev(brightness, target, free):
    """Return how many EV the light must change to bring ``brightness`` to ``target``.

    A clipped frame says only "too bright", a black one only "too dark": they move by the largest step
    allowed, rather than by a number computed from a value that is not a measurement.
    """
    limit = FREE_STEP if free else math.inf
    if brightness >= CLIPPED:
        return -min(limit, 3.0) if free else -math.inf
    if brightness <= BLACK:
        return min(limit, ev(target / BLACK)) if free else math.inf
    return ev(target / brightness)


def next_state(state, measured, limits):
    """Return the State for the next capture, from the last one and the frame it gave.

    The light the frame was taken with is what the camera reports it used (``measured``), so a camera
    that applied a request late does not make the controller count a step twice. Inside the hysteresis
    band nothing changes; outside it the step aims at the target itself, limited to ``max_step`` EV
    (``FREE_STEP`` while metering freely).
    """
    free = state.free > 0
    taken = max(measured.exposure_us, 1.0) * max(measured.gain, 1.0)
    error = error_ev(measured.brightness, limits.target, free)
    if abs(error) <= HYSTERESIS:
        error = 0.0
    step_limit = FREE_STEP if free else limits.max_step
    error = max(-step_limit, min(step_limit, error))
    exposure, gain = split(taken * 2 ** error, limits)
    return replace(state, exposure_us=exposure, gain=gain, free=max(0, state.free - 1))


def night_fraction(total_us, limits):
    """Return 0 (day) .. 1 (night) for a light amount: 0 at or below DAY_TOTAL_US, 1 with the shutter at its
    longest (``max_exposure_us``) or beyond, in between on a log (EV) scale."""
    night = max(limits.max_exposure_us, DAY_TOTAL_US * 2)
    if total_us <= DAY_TOTAL_US:
        return 0.0
    return min(1.0, ev(total_us / DAY_TOTAL_US) / ev(night / DAY_TOTAL_US))


def white_balance(state, white, measured, limits):
    """Return (state, colour gains to lock or None for the camera's AWB).

    ``white`` is "auto" or ((day_red, day_blue), (night_red, night_blue)). Fixed gains are cross-faded
    by ``night_fraction`` geometrically (a gain's effect is a ratio). With "auto" the camera's AWB runs
    until a daylight frame, whose reported ColourGains are then held for good.
    """
    if white != "auto":
        (day_r, day_b), (night_r, night_b) = white
        f = night_fraction(state.total, limits)
        return state, (day_r ** (1 - f) * night_r ** f, day_b ** (1 - f) * night_b ** f)
    if state.wb_lock is None and measured is not None and measured.colour_gains and \
            measured.exposure_us * measured.gain <= DAY_TOTAL_US:
        state = replace(state, wb_lock=tuple(float(g) for g in measured.colour_gains))
    return state, state.wb_lock


def controls(state, colour_gains, frame_limits):
    """Return the libcamera controls for the next capture: AE off, the shutter and gain, frame duration
    limits wide enough for the shutter, and the white balance locked when ``colour_gains`` is set.

    ``frame_limits``: the camera's (min, max) FrameDurationLimits in µs, or None if it has none.
    """
    result = {"AeEnable": False, "ExposureTime": int(round(state.exposure_us)), "AnalogueGain": float(state.gain)}
    if frame_limits:
        low, high = frame_limits
        result["FrameDurationLimits"] = (int(low), int(max(low, min(high, state.exposure_us + 1000))))
    if colour_gains:
        result.update(AwbEnable=False, ColourGains=(float(colour_gains[0]), float(colour_gains[1])))
    return result
