"""What is on disk, for the web pages: days, a day's images, videos. Paths from URLs are parsed
into dates and times (never joined as strings) and resolved inside output_dir, or refused.

A day is listed with one directory scan (names and sizes, no decode); a day that has ended
does not change, so its summary is kept until its directory's mtime moves.
"""

import datetime
import os
import re
from collections import namedtuple
from pathlib import Path

from timelapse.names import image_file_name, in_real_order, parse_image_name
from timelapse.storage import day_dirs
from timelapse.errors import BadRequest

DaySummary = namedtuple("DaySummary", "date count first last bytes")  # first, last: datetime.time
DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_date(text):
    """Return the date in "YYYY-MM-DD"; raise BadRequest if it is malformed or impossible."""
    match = DATE.match(text or "")
    if not match:
        raise BadRequest(f"expected a day as YYYY-MM-DD, got {text!r}")
    try:
        return datetime.date(*map(int, match.groups()))
    except ValueError:
        raise BadRequest(f"no such day: {text!r}") from None


def parse_image(year, month, day, name):
    """Return (date, names.ImageName) from URL parts YYYY, MM, DD, HHMMSS.jpg (or HHMMSS_2.jpg, the
    second pass of a repeated hour); raise BadRequest if malformed."""
    image = parse_image_name(name)
    if not (image and re.fullmatch(r"\d{4}", year or "") and re.fullmatch(r"\d{2}", month or "")
            and re.fullmatch(r"\d{2}", day or "")):
        raise BadRequest("expected /YYYY/MM/DD/HHMMSS.jpg or HHMMSS_2.jpg")
    try:
        return datetime.date(int(year), int(month), int(day)), image
    except ValueError:
        raise BadRequest("no such day or time") from None


class Catalog:
    """The images and videos under ``root`` (output_dir), read-only."""

    def __init__(self, root):
        self.root = Path(root)
        self.real_root = Path(os.path.realpath(root))
        self._days = {}  # date -> (mtime_ns, DaySummary)

    def inside(self, path):
        """Return ``path`` if it resolves to a regular file inside output_dir, else None."""
        real = Path(os.path.realpath(path))
        if self.real_root not in real.parents or not real.is_file():
            return None
        return real

    def day_dir(self, date):
        return self.root / f"{date:%Y}" / f"{date:%m}" / f"{date:%d}"

    def image_path(self, date, image):
        """Return the file of ``image`` (names.ImageName), or None if there is none (or it would lead outside output_dir)."""
        return self.inside(self.day_dir(date) / image_file_name(*image))

    def day_images(self, date):
        """Return [(names.ImageName, size)] of a day's images in the order they were taken; [] for no such day."""
        folder = self.day_dir(date)
        real = Path(os.path.realpath(folder))
        if self.real_root not in real.parents:
            return []
        images = []
        try:
            with os.scandir(real) as entries:
                for entry in entries:
                    image = parse_image_name(entry.name)
                    if image and entry.is_file(follow_symlinks=False):
                        images.append((image, entry.stat(follow_symlinks=False).st_size))
        except OSError:
            return []
        return in_real_order(images, lambda item: item[0])

    def summary(self, day):
        """Return the DaySummary of a storage.Day, from the cache while its directory is unchanged."""
        try:
            mtime = os.stat(day.path).st_mtime_ns
        except OSError:
            return None
        cached = self._days.get(day.date)
        if cached and cached[0] == mtime:
            return cached[1]
        images = self.day_images(day.date)
        summary = DaySummary(day.date, len(images), images[0][0].time if images else None,
                             images[-1][0].time if images else None, sum(size for _, size in images))
        self._days[day.date] = (mtime, summary)
        return summary

    def days(self):
        """Return the DaySummary of every day with images, newest first."""
        found = [self.summary(day) for day in day_dirs(self.root)]
        return [day for day in reversed(found) if day and day.count]

    def video(self, date, suffix=".mp4"):
        """Return the rendered video (or "-keogram.jpg") of ``date``, or None."""
        return self.inside(self.root / "videos" / f"{date:%Y}" / f"{date}{suffix}")

    def videos(self):
        """Return [(name, path, size, keogram path or None)] of rendered videos, newest first; [] without videos/."""
        found = []
        videos = self.root / "videos"
        try:
            years = sorted((e.name for e in os.scandir(videos) if e.name.isdigit() and e.is_dir()), reverse=True)
        except OSError:
            return []
        for year in years:
            try:
                names = sorted((e.name for e in os.scandir(videos / year)
                                if e.name.endswith(".mp4") and not e.name.startswith(".")), reverse=True)
            except OSError:
                continue
            for name in names:
                path = self.inside(videos / year / name)
                if path:
                    keogram = self.inside(videos / year / name.replace(".mp4", "-keogram.jpg"))
                    found.append((name[:-4], f"{year}/{name}", path.stat().st_size, keogram))
        return found
