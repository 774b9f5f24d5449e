"""The days of images: ``output_dir/YYYY/MM/DD/HHMMSS.jpg`` (SPEC §6 Naming), read only here.

An image is ``HHMMSS.jpg`` in the machine's local time at its slot. When local time repeats (the
clocks go back at the end of DST, or the machine's zone moves west), the second pass is written
as ``HHMMSS_2.jpg``: no slot is lost and nothing is overwritten. A day directory holds those
images and, for a moment, the daemon's hidden temporaries (``.HHMMSS.jpg.<pid>.tmp``). Every
reader lists a day through ``day_images`` (or ``day_entries``) and so gets it in the order the
images were taken, from their names alone: nothing is decoded.
"""

import datetime
import os
import re
from collections import namedtuple
from pathlib import Path

IMAGE_NAME = re.compile(r"(\d{2})(\d{2})(\d{2})(_2)?\.jpg")  # whole names only (fullmatch)
SECOND_PASS = "_2"
# A hidden temporary beside its final name: ".HHMMSS.jpg.<pid>.tmp" (or ".HHMMSS_2.jpg..."), written by
# storage.write_atomically. Hidden, so that `ffmpeg -pattern_type glob -i '*.jpg'` never sees a half-written frame.
TEMP_PATTERN = re.compile(r"^\.\d{6}(?:_2)?\.jpg\.(\d+)\.tmp$")

ImageName = namedtuple("ImageName", "time second_pass")  # datetime.time, bool
Day = namedtuple("Day", "date path")  # datetime.date, Path of its directory


class Image(namedtuple("Image", "name folder file_name size")):
    """One image of a day: its ImageName, the day's folder (Path), its file name (str) and its size in
    bytes (None unless asked for). ``path`` is made when asked for: building a Path per image was two
    thirds of listing a 1,440-image day for the web (pathlib parses every name it is given)."""

    __slots__ = ()

    @property
    def path(self):
        """The image's Path: folder / file_name."""
        return self.folder / self.file_name


# One name in a day directory: path is a str (os.DirEntry's), image its ImageName (or None), pid the writer
# of a temporary (or None), regular False for a symlink, a directory or anything else that is not a plain
# file; size as Image's.
Entry = namedtuple("Entry", "name path image pid regular size")


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


def day_relpath(date):
    """Return "YYYY/MM/DD": where ``date``'s images are, relative to output_dir (and in URLs and the cache)."""
    return f"{date:%Y/%m/%d}"


def day_dir(root, date):
    """Return root/YYYY/MM/DD (``root`` is output_dir, or the thumbnail cache, which mirrors it)."""
    return Path(root, f"{date:%Y}", f"{date:%m}", f"{date:%d}")


def image_file(root, date, image):
    """Return root/YYYY/MM/DD/HHMMSS.jpg (or ..._2.jpg) of ``image`` (an ImageName) on ``date``."""
    return day_dir(root, date) / image_file_name(*image)


def image_path(root, when, second_pass=False):
    """Return root/YYYY/MM/DD/HHMMSS.jpg (or ..._2.jpg) for a local datetime."""
    return day_dir(root, when.date()) / image_file_name(when, second_pass)


def parse_image_relpath(text):
    """Return (date, ImageName) of "YYYY/MM/DD/HHMMSS.jpg" (or HHMMSS_2.jpg); raise ValueError if it is not
    one (malformed, or no such day). Parsed, never joined: the result names a file inside any root."""
    parts = (text or "").split("/")
    image = parse_image_name(parts[-1]) if len(parts) == 4 else None
    if not (image and re.fullmatch(r"\d{4}", parts[0]) and re.fullmatch(r"\d{2}", parts[1])
            and re.fullmatch(r"\d{2}", parts[2])):
        raise ValueError("expected /YYYY/MM/DD/HHMMSS.jpg or HHMMSS_2.jpg")
    try:
        return datetime.date(int(parts[0]), int(parts[1]), int(parts[2])), image
    except ValueError:
        raise ValueError("no such day or time") from None


def locate_image(root, path):
    """Return (date, ImageName) if ``path`` is an image's place under ``root`` (as the status file's
    ``last_image`` names it), else None. Only the text is read, never the file."""
    try:
        relative = Path(os.path.normpath(path)).relative_to(os.path.normpath(root))
        return parse_image_relpath(relative.as_posix())
    except (TypeError, ValueError):
        return None


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


def day_dirs(root):
    """Yield Day(date, path) for every YYYY/MM/DD directory under ``root``, oldest first.

    Lists only the year, month and day levels (never the images), lazily, so a caller
    that stops early reads no further; skips symlinks and names that are not real dates.
    """
    for year, year_path in _numbered_subdirs(root, 4):
        for month, month_path in _numbered_subdirs(year_path, 2):
            for day, day_path in _numbered_subdirs(month_path, 2):
                try:
                    yield Day(datetime.date(year, month, day), day_path)
                except ValueError:
                    continue


def _numbered_subdirs(parent, digits):
    """Return sorted (number, path) of real (not symlinked) subdirectories named by ``digits`` digits."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    return sorted((int(e.name), Path(e.path)) for e in entries
                  if len(e.name) == digits and e.name.isdigit() and e.is_dir(follow_symlinks=False))


def day_entries(path, sizes=False):
    """Return [Entry] of every name in the day directory ``path``, in no order (one scan; with ``sizes``
    one lstat per regular file, else size is None). Raise OSError if it cannot be read."""
    found = []
    with os.scandir(path) as entries:
        for entry in entries:
            temporary = TEMP_PATTERN.match(entry.name)
            regular = entry.is_file(follow_symlinks=False)
            found.append(Entry(entry.name, entry.path, parse_image_name(entry.name),
                               int(temporary.group(1)) if temporary else None, regular,
                               entry.stat(follow_symlinks=False).st_size if sizes and regular else None))
    return found


def day_images(root, date, sizes=False):
    """Return [Image] of ``date``'s images under ``root`` in the order they were taken (in_real_order).

    Only regular files with an image's name; [] for no such day, an unreadable one, or a day
    directory that leads outside ``root`` (a symlink). ``sizes``: each Image's size in bytes.
    """
    folder = day_dir(root, date)
    real = os.path.realpath(folder)
    if Path(os.path.realpath(root)) not in Path(real).parents:
        return []
    try:
        entries = day_entries(real, sizes)
    except OSError:
        return []
    return in_real_order((Image(e.image, folder, e.name, e.size) for e in entries if e.image and e.regular),
                         lambda item: item.name)


def newest_image(root):
    """Return (date, Image) of the image taken last under ``root`` (real-instant order: in the repeated
    hour of a DST change the second pass is newer), or None. Lists day directories from the newest
    back to the first that holds an image."""
    for day in reversed(list(day_dirs(root))):
        images = day_images(root, day.date)
        if images:
            return day.date, images[-1]
    return None
