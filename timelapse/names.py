"""Image names in a day directory, and the order of a day by its real instants (SPEC §6 Naming).

An image is ``HHMMSS.jpg`` in the machine's local time at its slot. When local time repeats (the
clocks go back at the end of DST, or the machine's zone moves west), the second pass is written
as ``HHMMSS_2.jpg``: no slot is lost and nothing is overwritten. Every reader of a day lists it
with ``parse_image_name`` and orders it with ``in_real_order``: names only, nothing decoded.
"""

import datetime
import re
from collections import namedtuple
from pathlib import Path

IMAGE_NAME = re.compile(r"(\d{2})(\d{2})(\d{2})(_2)?\.jpg")  # whole names only (fullmatch)
SECOND_PASS = "_2"

ImageName = namedtuple("ImageName", "time second_pass")  # datetime.time, bool


def parse_image_name(name):
    """Return ImageName for "HHMMSS.jpg" or "HHMMSS_2.jpg" (a real time of day), else None."""
    match = IMAGE_NAME.fullmatch(name or "")
    if not match:
        return None
    try:
        return ImageName(datetime.time(*map(int, match.groups()[:3])), bool(match.group(4)))
    except ValueError:
        return None


def image_file_name(time, second_pass=False):
    """Return "HHMMSS.jpg", or "HHMMSS_2.jpg" for the second pass of a repeated local time."""
    return f"{time:%H%M%S}{SECOND_PASS if second_pass else ''}.jpg"


def image_path(root, when, second_pass=False):
    """Return root/YYYY/MM/DD/HHMMSS.jpg (or ..._2.jpg) for a local datetime."""
    return Path(root, f"{when:%Y}", f"{when:%m}", f"{when:%d}", image_file_name(when, second_pass))


def in_real_order(items, image=lambda item: item):
    """Return one day's ``items`` sorted by the instant they were taken, from their names alone.

    ``image(item)`` gives an item's ImageName. Without ``_2`` names this is the order of the
    times. With them: every plain image up to the end of the last repeated hour that was
    taken in the first pass comes first, then the second pass (``_2``), then the rest, so the
    repeated hour plays once and then again, never interleaved. Exact for every DST rule in
    use (the repeated span ends on a whole hour); after a change of time zone west, plain
    images of the second pass whose name was free (another minute grid) stay among the first.
    """
    items = list(items)
    repeated = [image(item).time for item in items if image(item).second_pass]
    if not repeated:
        return sorted(items, key=lambda item: image(item))
    last_hour = max(repeated).hour

    def key(item):
        name = image(item)
        if name.second_pass:
            return 1, name.time
        return (0 if name.time.hour <= last_hour else 2), name.time

    return sorted(items, key=key)


def recorded_offset(path):
    """Return the UTC offset (timedelta) an image's EXIF says it was taken at, or None."""
    from PIL import Image, UnidentifiedImageError

    from timelapse.exif import taken_at

    try:
        with Image.open(path) as image:
            taken = taken_at(image)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError):
        return None
    return taken.utcoffset() if taken else None


class SlotNamer:
    """Choose the file for each slot's image, remembering enough to see local time repeat.

    The second pass of repeated local time is told by ``fold`` (the zone's own DST rule), by
    local time going back while the UTC offset changed (the zone itself changed under a running
    daemon), or by an image of the plain name taken at another offset (after a restart). A
    name taken at the same offset means the clock stepped back: the slot is skipped.
    """

    def __init__(self, root, offset_of=recorded_offset):
        self.root, self._offset_of = Path(root), offset_of
        self._last = None  # aware datetime of the previous slot
        self._repeat_until = None  # naive local time up to which slots are a second pass

    def choose(self, when):
        """Return (path, free) for aware local ``when``: where its image goes, and False if taken."""
        naive = when.replace(tzinfo=None, fold=0)
        last, self._last = self._last, when
        if last is not None and not when.fold and when.utcoffset() != last.utcoffset():
            previous = last.replace(tzinfo=None, fold=0)
            if naive < previous:  # the zone changed and local time went back
                self._repeat_until = max(previous, self._repeat_until or previous)
        if self._repeat_until is not None and not (naive.date() == self._repeat_until.date()
                                                   and naive <= self._repeat_until):
            self._repeat_until = None
        second = bool(when.fold) or self._repeat_until is not None
        if not second:
            plain = image_path(self.root, when)
            if plain.exists():
                offset = self._offset_of(plain)
                second = offset is not None and offset != when.utcoffset()
        path = image_path(self.root, when, second)
        return path, not path.exists()
