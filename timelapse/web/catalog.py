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

from timelapse import archive
from timelapse.errors import BadRequest

DaySummary = namedtuple("DaySummary", "date count first last bytes")  # first, last: datetime.time
Video = namedtuple("Video", "product path bytes poster")  # archive.Product, Path, int, keogram's Product or None
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


def parse_image(relpath):
    """Return (date, archive.ImageName) from the URL part YYYY/MM/DD/HHMMSS.jpg (or HHMMSS_2.jpg, the second
    pass of a repeated hour); raise BadRequest if malformed."""
    try:
        return archive.parse_image_relpath(relpath)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def parse_product(relpath):
    """Return the archive.Product named by the URL part after /videos/; raise BadRequest if it names none."""
    product = archive.parse_product(relpath)
    if product is None:
        raise BadRequest("expected /videos/YYYY/YYYY-MM-DD.mp4, -keogram.jpg or another rendered file's name")
    return product


class Catalog:
    """The images and videos under ``root`` (output_dir), read-only, through timelapse.archive."""

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

    def image_path(self, date, image):
        """Return the file of ``image`` (archive.ImageName), or None if there is none (or it would lead outside
        output_dir)."""
        return self.inside(archive.image_file(self.root, date, image))

    def day_images(self, date, sizes=True):
        """Return [archive.Image] of a day's images (``sizes``: with their sizes) in the order they were taken;
        [] for no such day."""
        return archive.day_images(self.root, date, sizes=sizes)

    def summary(self, day):
        """Return the DaySummary of an archive.Day, from the cache while its directory is unchanged."""
        try:
            mtime = os.stat(day.path).st_mtime_ns
        except OSError:
            return None
        cached = self._days.get(day.date)
        if cached and cached[0] == mtime:
            return cached[1]
        images = self.day_images(day.date)
        summary = DaySummary(day.date, len(images), images[0].name.time if images else None,
                             images[-1].name.time if images else None, sum(image.size for image in images))
        self._days[day.date] = (mtime, summary)
        return summary

    def days(self):
        """Return the DaySummary of every day with images, newest first."""
        found = [self.summary(day) for day in archive.day_dirs(self.root)]
        return [day for day in reversed(found) if day and day.count]

    def product(self, product):
        """Return the file of an archive.Product (a video, a keogram...), or None."""
        return self.inside(archive.product_path(self.root, product))

    def videos(self):
        """Return [Video] of the rendered videos, newest first, each with its keogram as poster when there is
        one; [] without videos/."""
        found = archive.products(self.root)
        keograms = {product.period for product, _ in found if product.what == "keogram"}
        videos = []
        for product, path in reversed(found):
            real = self.inside(path) if product.what == "video" else None
            if real:
                poster = archive.Product(product.period, "keogram") if product.period in keograms else None
                videos.append(Video(product, real, real.stat().st_size, poster))
        return videos
