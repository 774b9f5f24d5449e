"""Validators of the alerts section: its channels (email, webhook, MQTT), daily report and name."""

import re

import voluptuous as vol

from timelapse.config.vocabulary import PORT, boolean, clock_minute, is_number, nested, one_of, optional, text, url

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


email_channel = nested(
    "alerts.email", {"to": (None, _addresses), "from": (None, email_address), "host": (None, text),
                     "port": (587, PORT), "starttls": (True, boolean), "user": (None, optional(text, "no login"))},
    "{to: [me@example.org], from: camera@example.org, host: smtp.example.org}", required=("to", "from", "host"))


_webhook_fields = nested("alerts.webhook", {"url": (None, url), "format": ("json", one_of("json", "ntfy"))},
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


mqtt_channel = nested(
    "alerts.mqtt", {"host": (None, text), "port": (1883, PORT), "tls": (False, boolean),
                    "user": (None, optional(text, "no login")),
                    "topic": (None, optional(_topic, "timelapse/<hostname>")), "homeassistant": (True, boolean)},
    "{host: 192.168.1.10}", required=("host",))


def clock_time(value):
    """Return a local time of day "HH:MM" (YAML's 480 for an unquoted 08:00 included), or None."""
    if value is None:
        return None
    if is_number(value) and float(value).is_integer() and 0 <= value < 24 * 60:
        return f"{int(value) // 60:02d}:{int(value) % 60:02d}"
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        minute = clock_minute(value.strip())
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


def moved_pixels(value):
    """Return the shift in pixels from the aim reference that counts as "moved" (SPEC §20), or None (off)."""
    if value is None:
        return None
    if is_number(value) and float(value).is_integer() and 1 <= value <= 10000:
        return int(value)
    raise vol.Invalid("expected a whole number of pixels of at least 1, such as 20, or null (no camera_moved alert)")
