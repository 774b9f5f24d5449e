"""What rendering makes, under ``output_dir/videos/`` (SPEC §12, §18, §19): the one place its names are spelled.

| kind    | period (``Period.name``)   | files in ``videos/YYYY/`` (``project``: in ``videos/``)                      |
|---------|----------------------------|------------------------------------------------------------------------------|
| day     | ``2026-11-21``             | ``2026-11-21.mp4``, ``2026-11-21-keogram.jpg``                               |
| range   | ``2026-11-01_2026-11-21``  | ``2026-11-01_2026-11-21.mp4`` (in FROM's year)                               |
| week    | ``2026-W47`` (ISO week)    | ``2026-W47.mp4``, ``2026-W47-daily.mp4``, a ``.json`` sidecar beside each    |
| month   | ``2026-11``                | ``2026-11.mp4``, ``2026-11-daily.mp4``, sidecars                             |
| project | ``project``                | ``project.mp4``, ``project-daily.mp4``, sidecars                             |
| night   | ``2026-11-21`` (evening)   | ``2026-11-21-night.mp4``, ``-night-keogram.jpg``, ``-night.json``,           |
|         |                            | ``2026-11-21-startrails.jpg``, ``-meteors.json``, ``-meteors/N.jpg``         |

Every product is a ``Product(period, what, daily, number)``: ``what`` is one of WHATS, ``daily`` marks
a daily-frame period video (and its sidecar), ``number`` a meteor crop's N. ``product_path`` makes a
file's path, ``parse_product`` reads one back from its place under ``videos/`` (a URL part or a
listing), ``products`` lists what is there.
"""

import datetime
import os
import re
from collections import namedtuple
from pathlib import Path

VIDEOS = "videos"
REQUESTS = "requests"  # videos/requests/ID.json: a requested video's progress (render.queue)
KINDS = ("day", "range", "week", "month", "project", "night")
WHATS = ("video", "keogram", "sidecar", "startrails", "meteors", "meteor")
_SUFFIX = {"video": ".mp4", "keogram": "-keogram.jpg", "sidecar": ".json", "startrails": "-startrails.jpg",
           "meteors": "-meteors.json"}  # "meteor": -meteors/N.jpg
_WHAT_OF_SUFFIX = {suffix: what for what, suffix in _SUFFIX.items()}
_WHATS_OF = {"day": {"video", "keogram", "sidecar"}, "range": {"video", "keogram", "sidecar"},
             "week": {"video", "sidecar"}, "month": {"video", "sidecar"}, "project": {"video", "sidecar"},
             "night": {"video", "keogram", "sidecar", "startrails", "meteors", "meteor"}}  # what each kind has
_DAILY = ("week", "month", "project")  # the kinds with a daily-frame variant of their video (and its sidecar)
_DATE = r"\d{4}-\d{2}-\d{2}"
_NAME = re.compile(
    rf"(?:(?P<first>{_DATE})(?:_(?P<last>{_DATE}))?(?P<night>-night)?|(?P<week>\d{{4}}-W\d{{2}})"
    r"|(?P<month>\d{4}-\d{2})|(?P<project>project))(?P<daily>-daily)?"
    r"(?P<what>\.mp4|-keogram\.jpg|\.json|-startrails\.jpg|-meteors\.json|-meteors/(?P<number>[1-9]\d{0,5})\.jpg)")


class Period(namedtuple("Period", "kind first last")):
    """What a product covers: ``kind`` (one of KINDS) and its ``first`` and ``last`` day (datetime.date;
    None for the project, whose days are known only from its sidecar). Make one with the class methods."""

    __slots__ = ()

    @classmethod
    def day(cls, date):
        return cls("day", date, date)

    @classmethod
    def days(cls, first, last):
        """A day for one day, else a range FROM_TO."""
        return cls.day(first) if first == last else cls("range", first, last)

    @classmethod
    def week(cls, date):
        """The ISO week (Monday to Sunday) holding ``date``."""
        monday = date - datetime.timedelta(days=date.weekday())
        return cls("week", monday, monday + datetime.timedelta(days=6))

    @classmethod
    def month(cls, date):
        first = date.replace(day=1)
        return cls("month", first, (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1))

    @classmethod
    def project(cls):
        return cls("project", None, None)

    @classmethod
    def night(cls, evening):
        """The night that begins on the evening of ``evening`` (and ends the next morning)."""
        return cls("night", evening, evening + datetime.timedelta(days=1))

    @property
    def name(self):
        """Return the period as its files spell it: "2026-11-21", "2026-11-01_2026-11-21", "2026-W47",
        "2026-11", "project" (a night: its evening's date)."""
        if self.kind == "range":
            return f"{self.first}_{self.last}"
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "project":
            return "project"
        return str(self.first)

    @property
    def folder(self):
        """Return the folder of its files relative to output_dir: "videos/YYYY", or "videos" for the project."""
        return VIDEOS if self.kind == "project" else f"{VIDEOS}/{self.name[:4]}"


Product = namedtuple("Product", "period what daily number", defaults=(False, None))


def product_relpath(product):
    """Return the product's place relative to output_dir, e.g. "videos/2026/2026-11-21-keogram.jpg"."""
    period, what = product.period, product.what
    stem = period.name + ("-night" if period.kind == "night" and what in ("video", "keogram", "sidecar") else "")
    stem += "-daily" if product.daily else ""
    name = f"{stem}-meteors/{product.number}.jpg" if what == "meteor" else stem + _SUFFIX[what]
    return f"{period.folder}/{name}"


def product_path(root, product):
    """Return the product's path under ``root`` (output_dir)."""
    return Path(root, product_relpath(product))


def video_path(root, period, daily=False):
    """Return the video of ``period`` under ``root`` (e.g. videos/YYYY/YYYY-MM-DD.mp4)."""
    return product_path(root, Product(period, "video", daily))


def keogram_path(root, period):
    """Return the keogram of ``period`` (a day or a night) under ``root``."""
    return product_path(root, Product(period, "keogram"))


def sidecar_path(root, period, daily=False):
    """Return the JSON sidecar beside the video of ``period`` (SPEC §18)."""
    return product_path(root, Product(period, "sidecar", daily))


def parse_product(relpath):
    """Return the Product at ``relpath`` relative to videos/ ("2026/2026-11-21.mp4", "project.mp4"), or
    None if it is no name rendering writes (a wrong year folder, an impossible date, a hidden temporary)."""
    relpath = relpath or ""
    match = _NAME.fullmatch(relpath.partition("/")[2] if "/" in relpath else relpath)
    if not match:
        return None
    groups = match.groupdict()
    what = _WHAT_OF_SUFFIX.get(groups["what"], "meteor")
    try:
        period = _period(groups, what)
    except ValueError:  # an impossible date
        return None
    daily = bool(groups["daily"])
    if what not in _WHATS_OF[period.kind] or (daily and not (period.kind in _DAILY and what in ("video", "sidecar"))):
        return None
    if period.kind == "range" and not period.first < period.last:
        return None
    product = Product(period, what, daily, int(groups["number"]) if groups["number"] else None)
    return product if product_relpath(product) == f"{VIDEOS}/{relpath}" else None  # one spelling per product


def _period(groups, what):
    """Return the Period that a name's groups spell; raise ValueError for an impossible date."""
    if groups["first"]:
        first = datetime.date.fromisoformat(groups["first"])
        if groups["last"]:
            return Period("range", first, datetime.date.fromisoformat(groups["last"]))
        night = groups["night"] or what in ("startrails", "meteors", "meteor")
        return Period.night(first) if night else Period.day(first)
    if groups["week"]:
        year, week = groups["week"].split("-W")
        return Period.week(datetime.date.fromisocalendar(int(year), int(week), 1))
    if groups["month"]:
        return Period.month(datetime.date.fromisoformat(groups["month"] + "-01"))
    return Period.project()


def products(root):
    """Return [(Product, Path)] of every product file under root/videos (regular files, no symlinks), in
    (folder, name) order: oldest year first, the project's files last; [] without videos/."""
    videos = Path(root, VIDEOS)
    found = []
    try:
        with os.scandir(videos) as entries:
            top = sorted((e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False)) for e in entries)
    except OSError:
        return []
    for name, is_dir, is_file in top:
        if is_dir and len(name) == 4 and name.isdigit():
            found += _products_in(videos, name)
    for name, is_dir, is_file in top:
        product = parse_product(name) if is_file else None
        if product:
            found.append((product, videos / name))
    return found


def _products_in(videos, year):
    found = []
    try:
        with os.scandir(videos / year) as entries:
            listed = sorted((e.name, e.is_dir(follow_symlinks=False), e.is_file(follow_symlinks=False))
                            for e in entries)
    except OSError:
        return []
    for name, is_dir, is_file in listed:
        product = parse_product(f"{year}/{name}") if is_file else None
        if product:
            found.append((product, videos / year / name))
        elif is_dir and name.endswith("-meteors"):
            try:
                crops = sorted(e.name for e in os.scandir(videos / year / name) if e.is_file(follow_symlinks=False))
            except OSError:
                continue
            found += [(product, videos / year / name / crop) for crop in crops
                      if (product := parse_product(f"{year}/{name}/{crop}"))]
    return found


def request_status_path(root, request_id):
    """Return videos/requests/ID.json under ``root``: the progress of the requested video ``request_id``
    (render.queue.REQUEST_ID, checked by the caller), written by the renderer and read by the web."""
    return Path(root, VIDEOS, REQUESTS, f"{request_id}.json")


def request_status_ids(root):
    """Return the ids of the requested videos that have a progress document under videos/requests/
    (names ``ID.json``; the caller checks each id against render.queue.REQUEST_ID). [] when the folder
    is missing or cannot be read."""
    try:
        with os.scandir(Path(root, VIDEOS, REQUESTS)) as entries:
            return sorted(entry.name[:-5] for entry in entries
                          if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False))
    except OSError:
        return []
