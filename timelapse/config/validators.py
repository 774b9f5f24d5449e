"""Small named validators for the schema.

Each raises ``vol.Invalid`` whose message starts with "expected ...": the renderer
adds what was found, with the file and line. (A ValueError raised inside voluptuous
loses its message, hence vol.Invalid everywhere.)
"""

import difflib
import re

import voluptuous as vol

_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")
_CLOCK_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def duration(minimum, allow_zero=False):
    """Return a validator for seconds given as a number or "30s", "5m", "1h30m"."""
    floor = "0" if allow_zero else _plain(minimum)
    unit = "second" if floor == "1" else "seconds"
    least = f"{minimum // 60:g} minutes" if minimum >= 120 and minimum % 60 == 0 else f"{floor} {unit}"
    expected = f'expected a duration of at least {least} ("30s", "5m", or a number of seconds)'

    def validate(value):
        seconds = None
        if _is_number(value):
            seconds = float(value)
        elif isinstance(value, str):
            text = value.strip().lower().replace(" ", "")
            match = _DURATION.match(text)
            if text and match and any(match.groups()):
                hours, minutes, secs = match.groups()
                seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(secs or 0)
            elif re.fullmatch(r"\d+(?:\.\d+)?", text):
                seconds = float(text)
        if seconds is None or seconds != seconds or seconds == float("inf"):
            raise vol.Invalid(expected)
        if seconds < minimum and not (allow_zero and seconds == 0):
            raise vol.Invalid(expected)
        return seconds

    return validate


def _plain(number):
    return str(int(number)) if float(number).is_integer() else str(number)


def number(minimum=None, maximum=None, integer=False, exclusive_minimum=False):
    """Return a validator for a number (or whole number) within bounds."""
    kind = "a whole number" if integer else "a number"
    if minimum is not None and maximum is not None:
        expected = f"expected {kind} from {_plain(minimum)} to {_plain(maximum)}"
    elif minimum is not None:
        expected = f"expected {kind} {'greater than' if exclusive_minimum else 'of at least'} {_plain(minimum)}"
    else:
        expected = f"expected {kind}"

    def validate(value):
        if not _is_number(value) or (integer and not float(value).is_integer()):
            raise vol.Invalid(expected)
        if value != value or value in (float("inf"), float("-inf")):
            raise vol.Invalid(expected)
        if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
            raise vol.Invalid(expected)
        if maximum is not None and value > maximum:
            raise vol.Invalid(expected)
        return int(value) if integer else value

    return validate


def percent(value):
    """Return a percentage of the disk, a whole number 1..100."""
    return number(1, 100, integer=True)(value)


def boolean(value):
    """Return a YAML boolean; "yes"-like strings are not guessed at."""
    if not isinstance(value, bool):
        raise vol.Invalid("expected true or false")
    return value


def one_of(*choices):
    """Return a validator for one of a few words, suggesting the nearest on a typo."""

    def validate(value):
        if isinstance(value, str) and value.strip().lower() in choices:
            return value.strip().lower()
        hint = ""
        if isinstance(value, str):
            near = difflib.get_close_matches(value.lower(), choices, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise vol.Invalid(f"expected one of {', '.join(choices)}{hint}")

    return validate


def resolution(value):
    """Return (width, height) from a list of two positive whole numbers."""
    expected = "expected [width, height], two positive whole numbers such as [1920, 1080]"
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise vol.Invalid(expected)
    if not all(_is_number(v) and float(v).is_integer() and v >= 1 for v in value):
        raise vol.Invalid(expected)
    return (int(value[0]), int(value[1]))


_MOMENT = re.compile(r"^(sunrise|sunset|dawn|dusk|noon|\d{1,2}:\d{2})(?:([+-])(.+))?$")
_MOMENT_EXPECTED = ('expected sunrise, sunset, dawn, dusk, noon or HH:MM, optionally with "+ DURATION" or '
                    '"- DURATION", such as "sunrise - 30m"')


def _clock_minute(text):
    hours, minutes = (int(part) for part in text.split(":"))
    return hours * 60 + minutes if hours <= 23 and minutes <= 59 else None


def moment(value):
    """Return a window.Moment from "sunrise - 30m", "dusk", "06:30" (or YAML's 390 for an unquoted 06:30)."""
    from timelapse.window import Moment

    if _is_number(value) and float(value).is_integer() and 0 <= value < 24 * 60:
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
        minute = _clock_minute(event)
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
    start, end = _clock_minute(value.replace(" ", "").split("-")[0]), _clock_minute(value.replace(" ", "").split("-")[1])
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


def device(value):
    """Return a camera index (int >= 0) or a path/URL string."""
    if _is_number(value) and float(value).is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        return int(text) if text.isdigit() else text
    raise vol.Invalid("expected a camera index (0, 1, ...), a device path such as /dev/video0, "
                      "a video file, or a stream URL")


def absolute_path(optional=False):
    """Return a validator for an absolute filesystem path (or null when optional)."""

    def validate(value):
        if value is None and optional:
            return None
        if isinstance(value, str) and value.startswith("/") and "\0" not in value:
            return value.rstrip("/") or "/"
        raise vol.Invalid("expected an absolute path such as /var/lib/timelapse"
                          + (" (or null)" if optional else ""))

    return validate


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
        ok = (isinstance(setting, bool) or _is_number(setting)
              or (isinstance(setting, list) and setting and all(_is_number(v) for v in setting)))
        if not ok:
            raise vol.Invalid(f"expected a number, true/false or a list of numbers for control {name}",
                              path=[name])
        result[name] = tuple(setting) if isinstance(setting, list) else setting
    return result


_REMOTE = re.compile(r"^[A-Za-z0-9_][\w. -]*:")
_RATE = r"(?:off|\d+(?:\.\d+)?[BKMGTP]?i?)(?::(?:off|\d+(?:\.\d+)?[BKMGTP]?i?))?"
_BWLIMIT = re.compile(rf"^{_RATE}$|^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)-)?\d{{1,2}}:\d{{2}},{_RATE}"
                      rf"(?:\s+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)-)?\d{{1,2}}:\d{{2}},{_RATE})*$", re.I)


def remote(value):
    """Return an rclone destination ("name:path", or an absolute local path), or None."""
    if value is None:
        return None
    if isinstance(value, str) and "\n" not in value and (_REMOTE.match(value.strip()) or value.startswith("/")):
        return value.strip()
    raise vol.Invalid('expected an rclone destination "remote:path" such as "nas:timelapse/balcony" or '
                      '"s3:bucket/cam1" (a remote made with rclone config), an absolute path, or null')


def bwlimit(value):
    """Return an rclone --bwlimit value ("1M", "512k:off", "08:00,512k 23:00,off"), or None."""
    if value is None:
        return None
    if _is_number(value) and value > 0:
        return f"{value:g}"
    if isinstance(value, str) and _BWLIMIT.match(value.strip()):
        return value.strip()
    raise vol.Invalid('expected an rclone bandwidth limit such as "1M", "512k" or a timetable '
                      '"08:00,512k 23:00,off", or null')


def even_height(value):
    """Return a video height: an even whole number from 16 to 4320."""
    if not (_is_number(value) and float(value).is_integer() and 16 <= value <= 4320 and int(value) % 2 == 0):
        raise vol.Invalid("expected an even whole number of pixels from 16 to 4320, such as 720 or 1080")
    return int(value)


def optional(validator, what):
    """Return a validator that also takes null (``what`` says what null means)."""

    def validate(value):
        if value is None:
            return None
        try:
            return validator(value)
        except vol.Invalid as exc:
            raise vol.Invalid(f"{exc.msg} (or null: {what})") from None

    return validate


def listen_address(value):
    """Return an address to listen on (an IP address or a host name), or None for every interface."""
    import ipaddress

    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        text = value.strip().strip("[]")
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", text):
                return text
    raise vol.Invalid('expected an address to listen on, such as "127.0.0.1" or "::1", or null for every '
                      "interface")


def _gain_pair(value, path):
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_number(g) and 0 < g <= 32 for g in value)):
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
    if not (_is_number(value) and 0 < value < 1):
        raise vol.Invalid("expected a brightness between 0 and 1 (of full scale), such as 0.4")
    return float(value)


def _positive_duration(value):
    seconds = duration(0, allow_zero=True)(value)
    if seconds <= 0:
        raise vol.Invalid('expected a duration greater than 0 ("20s", "1/30" is not accepted: 0.033)')
    return seconds


def _max_step(value):
    if not (_is_number(value) and 0 < value <= 2):
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
            if not (isinstance(point, list) and len(point) == 2 and all(_is_number(x) for x in point)
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
    if not (_is_number(speed) and speed > 0):
        raise vol.Invalid("expected a number greater than 0 (how many times faster than real time)", path=["speed"])
    return SunScene(place.latitude, place.longitude, float(speed))
def text(value):
    """Return a non-empty string (a host name, a user name) without line breaks."""
    if isinstance(value, str) and value.strip() and "\n" not in value:
        return value.strip()
    raise vol.Invalid("expected a non-empty text on one line")


def _nested(what, fields, example, required=()):
    """Return a validator for a mapping of ``fields`` ({key: (default, validator)}), or null for off.

    Every bad key is reported at once, each with its own path (so with its own line).
    """

    def validate(value):
        if value is None:
            return None
        if not isinstance(value, dict):
            raise vol.Invalid(f"expected {what} as a mapping, such as {example}, or null (off)")
        errors, result = [], {}
        for key in value:
            if key not in fields:
                near = difflib.get_close_matches(str(key), list(fields), n=1)
                hint = f"did you mean '{near[0]}'?" if near else f"valid keys: {', '.join(fields)}"
                errors.append(vol.Invalid(f"unknown key '{key}' ({hint})", path=[key]))
        for key, (default, check) in fields.items():
            if key not in value:
                if key in required:
                    errors.append(vol.Invalid(f"expected {key} in {what}, such as {example} ({key} is missing)"))
                result[key] = default
                continue
            try:
                result[key] = check(value[key])
            except vol.Invalid as exc:
                errors.append(vol.Invalid(exc.msg, path=[key]))
        if errors:
            raise vol.MultipleInvalid(errors)
        return result

    return validate


def email_address(value):
    """Return an e-mail address ("name@example.org")."""
    if isinstance(value, str) and re.fullmatch(r"[^@\s]+@[^@\s]+", value.strip()):
        return value.strip()
    raise vol.Invalid("expected an e-mail address such as camera@example.org")


def _addresses(value):
    items = value if isinstance(value, list) else [value]
    if not items:
        raise vol.Invalid("expected one or more e-mail addresses, such as [me@example.org]")
    try:
        return [email_address(item) for item in items]
    except vol.Invalid:
        raise vol.Invalid("expected one or more e-mail addresses, such as [me@example.org]") from None


_PORT = number(1, 65535, integer=True)

email_channel = _nested(
    "alerts.email", {"to": (None, _addresses), "from": (None, email_address), "host": (None, text),
                     "port": (587, _PORT), "starttls": (True, boolean), "user": (None, optional(text, "no login"))},
    "{to: [me@example.org], from: camera@example.org, host: smtp.example.org}", required=("to", "from", "host"))


def url(value):
    """Return an http:// or https:// URL."""
    if isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
        return value.strip()
    raise vol.Invalid("expected an http:// or https:// URL such as https://ntfy.sh/my-camera")


_webhook_fields = _nested("alerts.webhook", {"url": (None, url), "format": ("json", one_of("json", "ntfy"))},
                          "{url: https://ntfy.sh/my-camera, format: ntfy}", required=("url",))


def webhook_channel(value):
    """Return {"url", "format"} from a URL or {url, format: json|ntfy}, or None."""
    if isinstance(value, str):
        return {"url": url(value), "format": "json"}
    return _webhook_fields(value)


def _topic(value):
    if isinstance(value, str) and value.strip() and not re.search(r"[#+\s]", value) and not value.startswith("/"):
        return value.strip().rstrip("/")
    raise vol.Invalid("expected an MQTT topic prefix without wildcards or spaces, such as timelapse/balcony")


mqtt_channel = _nested(
    "alerts.mqtt", {"host": (None, text), "port": (1883, _PORT), "tls": (False, boolean),
                    "user": (None, optional(text, "no login")),
                    "topic": (None, optional(_topic, "timelapse/<hostname>")), "homeassistant": (True, boolean)},
    "{host: 192.168.1.10}", required=("host",))


def clock_time(value):
    """Return a local time of day "HH:MM" (YAML's 480 for an unquoted 08:00 included), or None."""
    if value is None:
        return None
    if _is_number(value) and float(value).is_integer() and 0 <= value < 24 * 60:
        return f"{int(value) // 60:02d}:{int(value) % 60:02d}"
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        minute = _clock_minute(value.strip())
        if minute is not None:
            return f"{minute // 60:02d}:{minute % 60:02d}"
    raise vol.Invalid('expected a local time "HH:MM" such as "08:00", or null (no daily report)')


def camera_name(value):
    """Return the camera's name in messages, or None for the host name."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip() and "\n" not in value and len(value) <= 60:
        return value.strip()
    raise vol.Invalid("expected a short name on one line, such as \"balcony\", or null (the host name)")
