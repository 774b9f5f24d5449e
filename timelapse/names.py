"""The name of each slot's image, seeing local time repeat (SPEC §6 Naming).

An image is ``HHMMSS.jpg`` in the machine's local time at its slot; the second pass of a
repeated local time (the clocks go back at the end of DST, or the machine's zone moves west)
is ``HHMMSS_2.jpg``, so that no slot is lost and nothing is overwritten. Where those names
live and how a day is read back in real-instant order is timelapse.archive's.
"""

from pathlib import Path

from timelapse.archive import image_path


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
