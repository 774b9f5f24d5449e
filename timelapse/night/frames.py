"""Which frames belong to a night: its evening's dusk to the next morning's dawn (SPEC §19).

A night is named after its evening. It runs over the capture window when ``capture.active_hours``
is a night window (one that closes the next day), else from dusk to dawn at ``capture.location``
(civil twilight, timelapse.sun), else from 18:00 to 06:00 local. Its frames are the evening's and
the morning's images in the order they were taken (timelapse.archive.day_images), across midnight.
"""

import datetime
from collections import namedtuple

from timelapse import archive
from timelapse.window import ActiveHours, Moment, day_window

# path: Path of the image; when: naive local datetime (fold=1 for a repeated hour's second pass);
# instant: epoch seconds.
NightFrame = namedtuple("NightFrame", "path when instant")
# opens/closes: epoch seconds; source: "capture window", "dusk to dawn" or "18:00 to 06:00".
NightSpan = namedtuple("NightSpan", "evening opens closes source")

DUSK_TO_DAWN = ActiveHours(Moment("dusk", None, 0), Moment("dawn", None, 0))
EVENING, MORNING = datetime.time(18), datetime.time(6)


def _is_night_window(window, evening):
    """Return True if ``window`` (a DayWindow) opens on ``evening`` and closes on a later day."""
    if window.opens is None:
        return False
    closes = datetime.datetime.fromtimestamp(window.closes)
    return closes.date() > evening


def night_span(capture, evening):
    """Return the NightSpan of the night that begins on ``evening`` (a date), from ``capture`` settings
    (``active_hours``, ``location``). Where the sun does not set (midnight sun) the span falls back to
    18:00 to 06:00 local."""
    hours, location = capture.active_hours, capture.location
    if hours is not None:
        window = day_window(hours, location, evening)
        if _is_night_window(window, evening):
            return NightSpan(evening, window.opens, window.closes, "capture window")
    if location is not None:
        window = day_window(DUSK_TO_DAWN, location, evening)
        if window.opens is not None and window.closes - window.opens < 36 * 3600:
            return NightSpan(evening, window.opens, window.closes, "dusk to dawn")
    opens = datetime.datetime.combine(evening, EVENING).timestamp()
    closes = datetime.datetime.combine(evening + datetime.timedelta(days=1), MORNING).timestamp()
    return NightSpan(evening, opens, closes, "18:00 to 06:00")


def night_frames(root, span):
    """Return [NightFrame] of the images under ``root`` (output_dir) taken within ``span``, in the order
    they were taken: the evening's, then the morning's. Nothing is decoded."""
    found = []
    for date in (span.evening, span.evening + datetime.timedelta(days=1)):
        for image in archive.day_images(root, date):
            when = datetime.datetime.combine(date, image.name.time).replace(fold=int(image.name.second_pass))
            instant = when.timestamp()
            if span.opens <= instant < span.closes:
                found.append(NightFrame(image.path, when, instant))
    return found
