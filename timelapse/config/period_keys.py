"""Validators of the period videos' keys (SPEC §18): render.periods, daily_frame, project_start, overlay."""

import datetime
import re

import voluptuous as vol

from timelapse.config import vocabulary as v
from timelapse.config.schedule_keys import moment

PERIOD_KINDS = ("week", "month", "project")
POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")
# The overlay's placeholders: {camera}, {date}, {time} and {time:STRFTIME}.
PLACEHOLDER = re.compile(r"\{(camera|date|time(?::[^{}]*)?)\}")
_BRACE = re.compile(r"\{[^{}]*\}")


def periods(value):
    """Return a tuple of the period kinds to render nightly, each once, in the order given."""
    expected = f"expected a list of {', '.join(PERIOD_KINDS)} (or [] for none), such as [week, month]"
    if value is None:
        return ()
    if not isinstance(value, list):
        raise vol.Invalid(expected)
    kinds = []
    for index, item in enumerate(value):
        try:
            kind = v.one_of(*PERIOD_KINDS)(item)
        except vol.Invalid as exc:
            raise vol.Invalid(exc.msg, path=[index]) from None
        if kind in kinds:
            raise vol.Invalid(f"expected each period once ({kind} is listed twice)", path=[index])
        kinds.append(kind)
    return tuple(kinds)


def daily_frame(value):
    """Return a window.Moment for {at: noon | "HH:MM" | "sunrise + 2h"}, or None (every frame counts)."""
    example = '{at: noon}, {at: "12:00"} or {at: "sunrise + 2h"}'
    fields = {"at": (None, moment)}
    result = v.nested("daily_frame", fields, example, required=("at",))(value)
    return None if result is None else result["at"]


def project_start(value):
    """Return the project's first day (datetime.date) from "YYYY-MM-DD" (YAML's unquoted date too), or None."""
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    try:
        if isinstance(value, str):
            return datetime.date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise vol.Invalid('expected a day as "YYYY-MM-DD" (the first day of the project video), or null')


def overlay_text(value):
    """Return the overlay's text: one line; placeholders only {camera}, {date}, {time} and {time:FORMAT}."""
    text = v.text(value) if isinstance(value, str) else v.text(None)
    for brace in _BRACE.findall(PLACEHOLDER.sub("", text)):
        raise vol.Invalid(f"expected only the placeholders {{camera}}, {{date}}, {{time}} or {{time:FORMAT}} "
                          f"(strftime, such as {{time:%Y-%m-%d %H:%M}}), found {brace}")
    if "\t" in text or any(ord(char) < 32 for char in text):
        raise vol.Invalid("expected a text without control characters (tabs, line breaks)")
    return text


def overlay(value):
    """Return {"text", "position", "size"} (size: percent of the video's height), or None for no text."""
    fields = {"text": (None, overlay_text), "position": ("bottom-left", v.one_of(*POSITIONS)),
              "size": (4, v.number(1, 20))}
    return v.nested("overlay", fields, '{text: "{camera}  {time:%Y-%m-%d %H:%M}", position: bottom-left}',
                    required=("text",))(value)
