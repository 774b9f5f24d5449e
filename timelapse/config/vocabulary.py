"""The configuration's vocabulary: small named validators any section uses (durations, numbers,
percents, choices, paths, texts, nested mappings).

Each raises ``vol.Invalid`` whose message starts with "expected ...": the renderer adds what was
found, with the file and line. (A ValueError raised inside voluptuous loses its message, hence
vol.Invalid everywhere.) The sections' own validators are in camera_keys, schedule_keys,
network_keys and alerts_keys.
"""

import difflib
import re

import voluptuous as vol


_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def duration(minimum, allow_zero=False):
    """Return a validator for seconds given as a number or "30s", "5m", "1h30m"."""
    floor = "0" if allow_zero else _plain(minimum)
    unit = "second" if floor == "1" else "seconds"
    least = f"{minimum // 60:g} minutes" if minimum >= 120 and minimum % 60 == 0 else f"{floor} {unit}"
    expected = f'expected a duration of at least {least} ("30s", "5m", or a number of seconds)'

    def validate(value):
        seconds = None
        if is_number(value):
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
        if not is_number(value) or (integer and not float(value).is_integer()):
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
    if not all(is_number(v) and float(v).is_integer() and v >= 1 for v in value):
        raise vol.Invalid(expected)
    return (int(value[0]), int(value[1]))


def clock_minute(text):
    hours, minutes = (int(part) for part in text.split(":"))
    return hours * 60 + minutes if hours <= 23 and minutes <= 59 else None


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


def even_height(value):
    """Return a video height: an even whole number from 16 to 4320."""
    if not (is_number(value) and float(value).is_integer() and 16 <= value <= 4320 and int(value) % 2 == 0):
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


def text(value):
    """Return a non-empty string (a host name, a user name) without line breaks."""
    if isinstance(value, str) and value.strip() and "\n" not in value:
        return value.strip()
    raise vol.Invalid("expected a non-empty text on one line")


def nested(what, fields, example, required=()):
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


def url(value):
    """Return an http:// or https:// URL."""
    if isinstance(value, str) and re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
        return value.strip()
    raise vol.Invalid("expected an http:// or https:// URL such as https://ntfy.sh/my-camera")


PORT = number(1, 65535, integer=True)
