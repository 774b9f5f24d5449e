"""Sun times for a place and a day, from python3-astral, behind one function.

Debian 12 and Raspberry Pi OS bookworm ship astral 1.6 (``astral.Astral``); newer releases
ship the 2.x/3.x API (``astral.sun``). ``sun_day`` hides the difference. Both compute with
NOAA's formulas; 1.6 takes the sun's position once per day (at 0h UTC), which costs a few
minutes of precision at high latitudes (see timelapse.yml(5) for the figures).
"""

import datetime
import functools
from collections import namedtuple

EVENTS = ("dawn", "sunrise", "noon", "sunset", "dusk")
# The sun's altitude at each event, in degrees: civil twilight is 6 below the horizon, and
# sunrise/sunset are when the upper limb touches it after refraction.
ALTITUDE = {"dawn": -6.0, "sunrise": -0.833, "sunset": -0.833, "dusk": -6.0}

# times: event -> aware UTC datetime, or None where the sun does not reach that altitude
# this day; lowest: the sun's elevation at solar midnight in degrees, which says why.
SunDay = namedtuple("SunDay", "times lowest")
HALF_DAY = datetime.timedelta(hours=12)


def always_above(day, event):
    """Return True if ``event`` is missing because the sun stays above its altitude all day.

    Its lowest point decides: near a polar night the sun may graze the horizon at noon,
    and a missing event there means it never gets up to it.
    """
    return day.times[event] is None and day.lowest > ALTITUDE[event]


@functools.lru_cache(maxsize=64)
def sun_day(date, latitude, longitude):
    """Return the SunDay of local ``date`` at a place; events that do not happen are None."""
    try:
        from astral import Astral  # astral 1.x (Debian 12, Raspberry Pi OS bookworm)
    except ImportError:
        return _sun_day_astral2(date, latitude, longitude)
    astral = Astral()
    astral.solar_depression = "civil"
    compute = {"dawn": astral.dawn_utc, "sunrise": astral.sunrise_utc, "sunset": astral.sunset_utc,
               "dusk": astral.dusk_utc}
    times = {}
    for event in EVENTS:
        if event == "noon":
            times[event] = astral.solar_noon_utc(date, longitude)
            continue
        try:
            times[event] = compute[event](date, latitude, longitude)
        except Exception:  # AstralError: the sun never reaches that altitude this day
            times[event] = None
    return SunDay(times, astral.solar_elevation(times["noon"] + HALF_DAY, latitude, longitude))


def _sun_day_astral2(date, latitude, longitude):
    """The same for astral 2.x and 3.x (``astral.sun``), which raise ValueError for a missing event."""
    from astral import Observer
    from astral import sun

    observer = Observer(latitude=latitude, longitude=longitude)
    # Ask for the day as it is at the place's own solar time, as astral 1.6 does.
    zone = datetime.timezone(datetime.timedelta(minutes=round(longitude * 4)))
    utc = datetime.timezone.utc
    compute = {"dawn": sun.dawn, "sunrise": sun.sunrise, "noon": sun.noon, "sunset": sun.sunset, "dusk": sun.dusk}
    times = {}
    for event in EVENTS:
        try:
            times[event] = compute[event](observer, date, tzinfo=zone).astimezone(utc)
        except ValueError:  # "Sun never reaches ..."
            times[event] = None
    return SunDay(times, sun.elevation(observer, times["noon"] + HALF_DAY))


def elevation(when, latitude, longitude):
    """Return the sun's elevation in degrees above the horizon at aware datetime ``when`` (astral 1.6 or 2+)."""
    try:
        from astral import Astral  # astral 1.x
    except ImportError:
        from astral import Observer
        from astral import sun

        return sun.elevation(Observer(latitude=latitude, longitude=longitude), when)
    return Astral().solar_elevation(when, latitude, longitude)
