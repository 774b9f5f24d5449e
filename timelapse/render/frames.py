"""Choose a render's frames: the days, the part of each day, every Nth; skip broken JPEGs.

Days are listed from their directory (one scan each, names only); each chosen frame costs
one stat, a 32-byte read of its end (a JPEG ends with the EOI marker FFD9) and Pillow's
header read for its size (timelapse.imagefile: a header over its pixel limit is skipped).
Nothing is decoded; a frame whose body is broken is dropped by ffmpeg's decoder itself.
"""

import datetime
from collections import Counter, namedtuple

from timelapse.archive import day_images
from timelapse.imagefile import DamagedImage, header_size, quick_check

Frame = namedtuple("Frame", "path when size")  # size: (width, height)
Selection = namedtuple("Selection", "frames skipped")  # skipped: [(path, why)]


def day_frames(root, date):
    """Return [(path, local datetime)] for a day's images in the order they were taken ([] if there is no
    such day): a repeated hour (HHMMSS_2.jpg, archive.in_real_order) plays once and then again."""
    return [(image.path, datetime.datetime.combine(date, image.name.time).replace(fold=int(image.name.second_pass)))
            for image in day_images(root, date)]


def in_between(when, between):
    """Return True if ``when``'s time of day is inside ``between`` (start, end minutes; may wrap)."""
    if between is None:
        return True
    start, end = between
    minute = when.hour * 60 + when.minute
    return start <= minute < end if start < end else (minute >= start or minute < end)


def select(root, dates, between=None, every=1):
    """Return the Selection of frames from ``dates`` (in order), within ``between``, every ``every``th."""
    candidates = [item for date in dates for item in day_frames(root, date) if in_between(item[1], between)]
    frames, skipped = [], []
    for path, when in candidates[::every]:
        frame, bad = checked_frame(path, when)
        if bad:
            skipped.append(bad)
        else:
            frames.append(frame)
    return Selection(frames, skipped)


def checked_frame(path, when):
    """Return (Frame, None) for a usable image at ``path`` taken at ``when``, or (None, (path, why)) for a
    damaged one: checked by its end marker and header only (SPEC §12: no decode of every frame)."""
    why = quick_check(path)
    size = None
    if not why:
        try:
            size = header_size(path)
        except DamagedImage as exc:
            why = exc.why
        except OSError as exc:  # gone since the listing (retention)
            why = f"unreadable: {exc.strerror}"
    return (None, (path, why)) if why else (Frame(path, when, size), None)


def reference_size(frames):
    """Return the size most frames have (the video is made for it; the others are fitted in)."""
    return Counter(frame.size for frame in frames).most_common(1)[0][0]


def output_size(reference, height):
    """Return the even (width, height) of the video: ``height`` at most, never enlarged, aspect kept."""
    width, source_height = reference
    height = min(height, source_height - source_height % 2)
    width = max(2, round(width * height / source_height / 2) * 2)
    return width, max(2, height)
