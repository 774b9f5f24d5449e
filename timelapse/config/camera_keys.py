"""Validators of the camera section: device, controls, exposure (with white balance) and scene."""

import difflib
import re

import voluptuous as vol

from timelapse.config.schedule_keys import location
from timelapse.config.vocabulary import duration, is_number, number, one_of

def device(value):
    """Return a camera index (int >= 0) or a path/URL string."""
    if is_number(value) and float(value).is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return int(text) if text.isdigit() else text
    raise vol.Invalid("expected a camera index (0, 1, ...), a device path such as /dev/video0, "
                      "a video file, or a stream URL")


def controls(value):
    """Return a mapping of libcamera control names to numbers, booleans or lists of numbers."""
    expected = ("expected a mapping of libcamera control names to numbers, booleans or lists of "
                "numbers, such as {AfMode: 0, LensPosition: 1.0}")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise vol.Invalid(expected)
    result = {}
    for name, setting in value.items():
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name):
            raise vol.Invalid(expected, path=[name])
        ok = (isinstance(setting, bool) or is_number(setting)
              or (isinstance(setting, list) and setting and all(is_number(v) for v in setting)))
        if not ok:
            raise vol.Invalid(f"expected a number, true/false or a list of numbers for control {name}",
                              path=[name])
        result[name] = tuple(setting) if isinstance(setting, list) else setting
    return result


def _gain_pair(value, path):
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(is_number(g) and 0 < g <= 32 for g in value)):
        raise vol.Invalid("expected [red_gain, blue_gain], two colour gains from above 0 to 32, such as [2.0, 1.6]",
                          path=path)
    return (float(value[0]), float(value[1]))


def white_balance(value):
    """Return "auto" or ((day_red, day_blue), (night_red, night_blue)) colour gains."""
    if value == "auto":
        return "auto"
    expected = "expected auto or {day: [red_gain, blue_gain], night: [red_gain, blue_gain]}"
    if not isinstance(value, dict):
        raise vol.Invalid(expected)
    for key in value:
        if key not in ("day", "night"):
            raise vol.Invalid(f"unknown key '{key}' in white_balance (expected day and night)", path=[key])
    missing = [key for key in ("day", "night") if key not in value]
    if missing:
        raise vol.Invalid(f"{expected} ({missing[0]} is missing)")
    return (_gain_pair(value["day"], ["day"]), _gain_pair(value["night"], ["night"]))


_EXPOSURE_KEYS = {
    "mode": lambda value: one_of("camera", "smooth")(value),
    "target": lambda value: _open_fraction(value),
    "max_exposure": lambda value: _positive_duration(value),
    "max_gain": lambda value: float(number(1)(value)),
    "max_step": lambda value: _max_step(value),
    "white_balance": lambda value: white_balance(value),
}


def _open_fraction(value):
    if not (is_number(value) and 0 < value < 1):
        raise vol.Invalid("expected a brightness between 0 and 1 (of full scale), such as 0.4")
    return float(value)


def _positive_duration(value):
    seconds = duration(0, allow_zero=True)(value)
    if seconds <= 0:
        raise vol.Invalid('expected a duration greater than 0 ("20s", "1/30" is not accepted: 0.033)')
    return seconds


def _max_step(value):
    if not (is_number(value) and 0 < value <= 2):
        raise vol.Invalid("expected a number of EV (stops) above 0 and at most 2, such as 0.33")
    return float(value)


def exposure(value):
    """Return an ExposureSettings from camera.exposure {mode, target, max_exposure, max_gain, max_step, white_balance}.

    Every bad key is reported (vol.MultipleInvalid), each with its own path.
    """
    from timelapse.exposure.settings import ExposureSettings

    if not isinstance(value, dict):
        raise vol.Invalid(f"expected a mapping {{mode: camera | smooth, ...}} of {', '.join(_EXPOSURE_KEYS)}")
    errors, result = [], {}
    for key, setting in value.items():
        check = _EXPOSURE_KEYS.get(key)
        if check is None:
            near = difflib.get_close_matches(str(key), _EXPOSURE_KEYS, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else f" (valid keys: {', '.join(_EXPOSURE_KEYS)})"
            errors.append(vol.Invalid(f"unknown key '{key}' in exposure{hint}", path=[key]))
            continue
        try:
            result[key] = check(setting)
        except vol.Invalid as exc:
            errors.append(vol.Invalid(exc.msg, path=[key] + list(exc.path)))
    if errors:
        raise vol.MultipleInvalid(errors)
    return ExposureSettings(**result)


def scene(value):
    """Return None, a LightScene from {light: [[SECONDS, LUX], ...]} or a SunScene from {latitude, longitude, speed}."""
    from timelapse.exposure.settings import LightScene, SunScene

    if value is None:
        return None
    expected = ("expected null, {light: [[SECONDS, LUX], ...]} or {latitude: .., longitude: .., speed: 600}")
    if not isinstance(value, dict):
        raise vol.Invalid(expected)
    if "light" in value:
        extra = sorted(set(map(str, value)) - {"light"})
        if extra:
            raise vol.Invalid(f"unknown key '{extra[0]}' beside light in scene (a light list stands alone)",
                              path=[extra[0]])
        points = value["light"]
        if not isinstance(points, list) or not points:
            raise vol.Invalid("expected a list of [SECONDS, LUX] pairs, such as [[0, 100000], [60, 0.01]]",
                              path=["light"])
        result, last = [], None
        for index, point in enumerate(points):
            if not (isinstance(point, list) and len(point) == 2 and all(is_number(x) for x in point)
                    and point[0] >= 0 and point[1] > 0):
                raise vol.Invalid("expected [SECONDS, LUX] with SECONDS >= 0 and LUX > 0", path=["light", index])
            if last is not None and point[0] <= last:
                raise vol.Invalid(f"expected SECONDS after {last:g} (the points in time order)", path=["light", index])
            last = point[0]
            result.append((float(point[0]), float(point[1])))
        return LightScene(tuple(result))
    unknown = sorted(set(map(str, value)) - {"latitude", "longitude", "speed"})
    if unknown:
        raise vol.Invalid(f"unknown key '{unknown[0]}' in scene (expected light, or latitude, longitude and "
                          "speed)", path=[unknown[0]])
    place = location({key: value[key] for key in ("latitude", "longitude") if key in value})
    if place is None or "latitude" not in value:
        raise vol.Invalid(expected)
    speed = value.get("speed", 600)
    if not (is_number(speed) and speed > 0):
        raise vol.Invalid("expected a number greater than 0 (how many times faster than real time)", path=["speed"])
    return SunScene(place.latitude, place.longitude, float(speed))
