"""Validators of when and where capture runs: sun moments, capture.active_hours, capture.location."""

import re

import voluptuous as vol

from timelapse.config.vocabulary import clock_minute, duration, is_number, number

_CLOCK_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


_MOMENT = re.compile(r"^(sunrise|sunset|dawn|dusk|noon|\d{1,2}:\d{2})(?:([+-])(.+))?$")


_MOMENT_EXPECTED = ('expected sunrise, sunset, dawn, dusk, noon or HH:MM, optionally with "+ DURATION" or '
                    '"- DURATION", such as "sunrise - 30m"')


def moment(value):
    """Return a window.Moment from "sunrise - 30m", "dusk", "06:30" (or YAML's 390 for an unquoted 06:30)."""
    from timelapse.window import Moment

    if is_number(value) and float(value).is_integer() and 0 <= value < 24 * 60:
        return Moment("clock", int(value), 0)  # YAML 1.1 reads an unquoted 06:30 as 390 (base 60)
    match = _MOMENT.match(value.replace(" ", "").lower()) if isinstance(value, str) else None
    if not match:
        raise vol.Invalid(_MOMENT_EXPECTED)
    event, sign, amount = match.groups()
    offset = 0.0
    if sign:
        try:
            offset = duration(0, allow_zero=True)(amount) * (-1 if sign == "-" else 1)
        except vol.Invalid:
            raise vol.Invalid(_MOMENT_EXPECTED) from None
    if ":" in event:
        minute = clock_minute(event)
        if minute is None:
            raise vol.Invalid(_MOMENT_EXPECTED)
        return Moment("clock", minute, offset)
    return Moment(event, None, offset)


def active_hours(value):
    """Return a window.ActiveHours from "HH:MM-HH:MM" or {from: MOMENT, until: MOMENT}, or None."""
    from timelapse.window import ActiveHours, Moment

    if value is None:
        return None
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - {"from", "until"})
        if unknown:
            raise vol.Invalid(f"unknown key '{unknown[0]}' in active_hours (expected from and until)",
                              path=[unknown[0]])
        missing = [key for key in ("from", "until") if key not in value]
        if missing:
            raise vol.Invalid(f'expected both from and until, such as {{from: "sunrise - 30m", until: '
                              f'"sunset + 30m"}} ({missing[0]} is missing)')
        moments = []
        for key in ("from", "until"):
            try:
                moments.append(moment(value[key]))
            except vol.Invalid as exc:
                raise vol.Invalid(exc.msg, path=[key]) from None
        hours = ActiveHours(*moments)
        if hours.start == hours.end:
            raise vol.Invalid("expected from and until to differ (the window would be empty or everything)")
        return hours
    expected = ('expected a local-time window "HH:MM-HH:MM" with start != end, such as "06:00-20:00", '
                'or {from: "sunrise - 30m", until: "sunset + 30m"}')
    match = _CLOCK_WINDOW.match(value.replace(" ", "")) if isinstance(value, str) else None
    if not match:
        raise vol.Invalid(expected)
    start, end = clock_minute(value.replace(" ", "").split("-")[0]), clock_minute(value.replace(" ", "").split("-")[1])
    if start is None or end is None or start == end:
        raise vol.Invalid(expected)
    return ActiveHours(Moment("clock", start, 0), Moment("clock", end, 0))


def location(value):
    """Return a window.Location from {latitude, longitude} in degrees, or None."""
    from timelapse.window import Location

    if value is None:
        return None
    example = "such as {latitude: 59.91, longitude: 10.75}"
    if not isinstance(value, dict):
        raise vol.Invalid(f"expected the camera's place as {{latitude, longitude}} in degrees, {example}")
    for key in value:
        if key not in ("latitude", "longitude"):
            raise vol.Invalid(f"unknown key '{key}' in location (expected latitude and longitude)", path=[key])
    result = {}
    for key, limit in (("latitude", 90), ("longitude", 180)):
        if key not in value:
            raise vol.Invalid(f"expected both latitude and longitude, {example} ({key} is missing)")
        try:
            result[key] = float(number(-limit, limit)(value[key]))
        except vol.Invalid as exc:
            raise vol.Invalid(f"{exc.msg} (degrees, north and east positive)", path=[key]) from None
    return Location(**result)
