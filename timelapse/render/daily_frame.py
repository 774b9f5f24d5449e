"""One frame a day (SPEC §18): the frame nearest the day's chosen moment, of a steady brightness.

Among the frames within WINDOW (or 2 capture intervals, if more) of the moment, each frame's
brightness is measured in EV: log2 of its mean luma over its exposure (EXIF ExposureTime ×
analogue gain, ISO/100; 1 where the EXIF does not say). The nearest frame within 1 EV of the
candidates' median wins: not a cloud's shadow, a car's lights, or a frame taken while the
exposure settled. Each candidate is decoded at 1/8 size (a few kB), one at a time.
"""

import datetime
import math
import statistics
from collections import namedtuple

from PIL import Image, ImageStat

from timelapse.exif import EXIF_IFD, EXPOSURE_TIME, ISO_SPEED_RATINGS
from timelapse.imagefile import quick_check

WINDOW = datetime.timedelta(minutes=30)
TOLERANCE_EV = 1.0
NOON = datetime.time(12, 0)

# when: naive local datetime of the moment; fallback: why 12:00 was taken instead (None if not).
Target = namedtuple("Target", "when fallback")


def target(moment, date, location):
    """Return the Target of a window.Moment on local ``date``: a clock time, or a sun event (+ offset) at
    ``location``; a sun event that does not happen that day (polar day or night) falls back to 12:00."""
    if moment.event == "clock":
        base = datetime.datetime.combine(date, datetime.time(moment.minute // 60, moment.minute % 60))
        return Target(base + datetime.timedelta(seconds=moment.offset), None)
    from timelapse.sun import sun_day

    when = sun_day(date, location.latitude, location.longitude).times[moment.event]
    if when is None:
        return Target(datetime.datetime.combine(date, NOON), f"no {moment.event} on {date}: 12:00 local")
    local = (when + datetime.timedelta(seconds=moment.offset)).astimezone()
    return Target(local.replace(tzinfo=None, fold=0), None)


def window(interval):
    """Return how far from the moment a candidate may be: 30 minutes, or 2 ``interval``s (seconds) if more."""
    return max(WINDOW, datetime.timedelta(seconds=2 * interval))


def brightness(path):
    """Return the frame's brightness in EV (log2 of mean luma 0..1 over exposure seconds × gain), or None if
    it cannot be decoded."""
    if quick_check(path):
        return None
    try:
        with Image.open(path) as image:
            tags = image.getexif().get_ifd(EXIF_IFD)
            image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
            mean = ImageStat.Stat(image.convert("L")).mean[0]
    except (OSError, ValueError, SyntaxError):
        return None
    exposure = float(tags.get(EXPOSURE_TIME) or 1.0)
    gain = float(tags.get(ISO_SPEED_RATINGS) or 100) / 100
    return math.log2(max(mean, 0.5) / 255) - math.log2(max(exposure * gain, 1e-9))


def _seconds(when):
    return when.timestamp()  # naive local; fold picks the second pass of a repeated hour


def choose(frames, goal, interval, measure=brightness):
    """Return the frames.Frame of ``frames`` (one day's, any order) nearest ``goal`` (a naive local
    datetime) within window(interval) whose brightness is within TOLERANCE_EV of the candidates'
    median, or None if there is none."""
    reach = window(interval).total_seconds()
    at = _seconds(goal)
    near = [frame for frame in frames if abs(_seconds(frame.when) - at) <= reach]
    measured = [(frame, ev) for frame in near if (ev := measure(frame.path)) is not None]
    if not measured:
        return None
    middle = statistics.median(ev for _, ev in measured)
    steady = [frame for frame, ev in measured if abs(ev - middle) <= TOLERANCE_EV]
    return min(steady, key=lambda frame: abs(_seconds(frame.when) - at), default=None)
