"""Check ``camera.controls`` against what a Pi camera advertises, before libcamera sees them.

picamera2 checks control names only. libcamera's Python binding refuses a float for an
integer control, and it does so inside picamera2's event loop thread, which then dies and
leaves every later capture hanging. So each value is given the control's own type here:
a whole-number float becomes an int, 0/1 a bool where the control is a bool, and anything
that cannot be converted is a configuration error naming the control.
"""

from timelapse.errors import ConfigError

# Accepted by picamera2 although libcamera does not advertise it: picamera2 turns it into
# FrameDurationLimits itself (a number or a (min, max) pair, floats allowed).
VIRTUAL_CONTROLS = {"FrameRate"}


def control_type(limits):
    """Return int, float or bool: the element type of a camera_controls (min, max, default) entry."""
    for value in (limits[2], limits[0], limits[1]):
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if value is not None:
            return type(value) if type(value) in (bool, int, float) else None
    return None


def _convert(value, kind):
    """Return ``value`` as ``kind``; raise ValueError if it cannot be without changing it."""
    if kind is float and not isinstance(value, bool):
        return float(value)
    if kind is int and not isinstance(value, bool):
        if float(value).is_integer():
            return int(value)
        raise ValueError(f"expected a whole number, got {value!r}")
    if kind is bool:
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def checked_controls(controls, available):
    """Return ``controls`` converted to the types in ``available`` (picamera2's camera_controls).

    Raise ConfigError naming every control this camera does not have or whose value does not fit.
    """
    problems, result = [], {}
    unknown = sorted(name for name in controls if name not in available and name not in VIRTUAL_CONTROLS)
    if unknown:
        problems.append(f"camera.controls: unknown libcamera control {', '.join(unknown)}; this camera has: "
                        f"{', '.join(sorted(available))}")
    for name, value in controls.items():
        if name in unknown:
            continue
        kind = None if name in VIRTUAL_CONTROLS else control_type(available[name])
        try:
            if isinstance(value, (list, tuple)):
                result[name] = tuple(_convert(item, kind) for item in value)
            else:
                result[name] = _convert(value, kind)
        except ValueError as exc:
            problems.append(f"camera.controls.{name}: {exc} ({name} is a{'n' if kind is int else ''} "
                            f"{kind.__name__} control on this camera)")
    if problems:
        raise ConfigError(problems)
    return result
