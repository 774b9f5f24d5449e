"""The daily capture window (``capture.active_hours``): fixed clock times or the sun's.

Pure functions of the epoch times they are given; local time is the machine's (naive
datetimes, as ``time.localtime`` sees them), so DST days are right. A window belongs to
the day it opens: ``{from: dusk, until: dawn}`` opens at dusk and closes at the next dawn.

Where the sun does not reach an event's altitude that day (polar night, midnight sun,
white nights) the event stands at the start or the end of the day, as the sun dictates:
a window then is empty or the whole day, never an error.
"""

import datetime
from collections import namedtuple

from timelapse.sun import ALTITUDE, always_above, sun_day

SUN_EVENTS = ("sunrise", "sunset", "dawn", "dusk", "noon")
RISING = ("dawn", "sunrise")

# event: "clock" or a sun event; minute: minutes after midnight (clock only); offset: seconds.
Moment = namedtuple("Moment", "event minute offset")
ActiveHours = namedtuple("ActiveHours", "start end")
Location = namedtuple("Location", "latitude longitude")
# opens/closes: epoch seconds (None: empty); note: "polar night", "midnight sun" or None.
DayWindow = namedtuple("DayWindow", "date opens closes note")

DAY_START, DAY_END = "day start", "day end"
SEARCH_DAYS = 400  # how far ahead a closed window is looked for (a polar night lasts months)


def uses_sun(hours):
    """Return the sun events ``hours`` needs, in order ([] for a fixed window)."""
    if hours is None:
        return []
    return [moment.event for moment in hours if moment.event != "clock"]


def _midnight(date):
    return datetime.datetime.combine(date, datetime.time()).timestamp()


def _sun_time(moment, date, location, opening):
    """Return the epoch time of a sun ``moment`` on local ``date``, or DAY_START/DAY_END/None.

    A missing event is placed where the sun's state puts it: a rising event the sun is
    always above "happened" at the start of the day; a setting event it is always below,
    likewise; the other two never happen (None when opening: the window does not open;
    the end of the day when closing: it does not close).
    """
    day = sun_day(date, location.latitude, location.longitude)
    when = day.times[moment.event]
    if when is not None:
        return when.timestamp() + moment.offset
    above = always_above(day, moment.event)
    happened = above if moment.event in RISING else not above
    if happened:
        return DAY_START
    return None if opening else DAY_END


def _moment_time(moment, date, location, opening):
    if moment.event == "clock":
        return datetime.datetime.combine(date, datetime.time(moment.minute // 60, moment.minute % 60)).timestamp() \
            + moment.offset
    return _sun_time(moment, date, location, opening)


def _resolve(value, date):
    return {DAY_START: _midnight(date), DAY_END: _midnight(date + datetime.timedelta(days=1))}.get(value, value)


def horizon_note(date, location):
    """Return what the sun does at the horizon on ``date`` where it is unusual, else None.

    "polar night" or "midnight sun": it neither rises nor sets. "midnight sun ends": it has not
    risen because it had not set, and sets for the first time since (often just after midnight:
    that sunset ends this day's daylight, so this day's window runs into the next).
    """
    day = sun_day(date, location.latitude, location.longitude)
    rises, sets = day.times["sunrise"] is not None, day.times["sunset"] is not None
    if not rises and not sets:
        return "midnight sun" if day.lowest > ALTITUDE["sunrise"] else "polar night"
    if not rises and always_above(day, "sunrise"):
        return "midnight sun ends"
    return None


def day_window(hours, location, date):
    """Return the DayWindow that opens on local ``date`` (opens None: none that day)."""
    note = horizon_note(date, location) if uses_sun(hours) else None
    opens = _moment_time(hours.start, date, location, opening=True)
    if opens is None:
        return DayWindow(date, None, None, note)
    substituted = opens in (DAY_START, DAY_END)
    opens = _resolve(opens, date)
    closes = _resolve(_moment_time(hours.end, date, location, opening=False), date)
    if closes <= opens and not substituted:
        # It closes the next day (a window over midnight), where the sun has its own times.
        closes = _resolve(_moment_time(hours.end, date + datetime.timedelta(days=1), location, opening=False),
                          date + datetime.timedelta(days=1))
    if closes <= opens:
        return DayWindow(date, None, None, note)
    return DayWindow(date, opens, closes, note)


def window_state(hours, location, wall):
    """Return (inside, opens, closes) at epoch ``wall``.

    inside: capture may run now. closes: when the window (merged with any that follow
    at once, as on whole days) closes, None for never. opens: when it next opens if not
    inside, None if not within SEARCH_DAYS.
    """
    if hours is None:
        return True, None, None
    today = datetime.date.fromtimestamp(wall)
    for date in (today - datetime.timedelta(days=1), today):
        window = day_window(hours, location, date)
        if window.opens is not None and window.opens <= wall < window.closes:
            return True, None, _merged_close(hours, location, window)
    return False, next_opening(hours, location, wall), None


def _merged_close(hours, location, window):
    closes, date = window.closes, window.date
    for _ in range(SEARCH_DAYS):
        date += datetime.timedelta(days=1)
        following = day_window(hours, location, date)
        if following.opens is None or following.opens > closes:
            return closes
        closes = max(closes, following.closes)
    return None  # open for as far as we look: never closes


def next_opening(hours, location, after):
    """Return the epoch time at which the window next opens at or after ``after``; None if not found."""
    date = datetime.date.fromtimestamp(after)
    for _ in range(SEARCH_DAYS):
        window = day_window(hours, location, date)
        if window.opens is not None and window.opens >= after:
            return window.opens
        date += datetime.timedelta(days=1)
    return None
