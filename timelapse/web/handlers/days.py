"""Days: the list, a day (scrubber, keogram timeline, lazily loaded grid), their JSON, and a day
as a zip that is streamed (stored, not recompressed) with flat memory whatever its size."""

import os
import zipfile

import tornado.iostream
import tornado.web

from timelapse.archive import Period, Product, image_file_name
from timelapse.imagefile import DamagedImage
from timelapse.web import urls
from timelapse.web.base import BaseHandler, TwinHandler
from timelapse.web.catalog import BadRequest, parse_date
from timelapse.web.handlers.files import DAMAGED

ZIP_CHUNK = 256 * 1024


def rendered(catalog, date, what):
    """Return the URL of the day's video or keogram (``what``), or None when it is not there."""
    product = Product(Period.day(date), what)
    return urls.product(product) if catalog.product(product) else None


def day_json(summary, catalog):
    return {"date": summary.date.isoformat(), "count": summary.count,
            "first": summary.first.isoformat() if summary.first else None,
            "last": summary.last.isoformat() if summary.last else None, "bytes": summary.bytes,
            "video": rendered(catalog, summary.date, "video"), "keogram": rendered(catalog, summary.date, "keogram"),
            "night": night_page(catalog, summary.date)}


def night_page(catalog, evening):
    """Return the URL of the night that begins on ``evening`` when something was made for it, else None."""
    period = Period.night(evening)
    made = any(catalog.product(Product(period, what)) for what in ("startrails", "video", "sidecar"))
    return urls.night(evening) if made else None


def images_json(date, images):
    """Return the day's images (archive.Image) for the page and /api/days/DAY: "time" is local wall time,
    "second_pass" marks the second pass of a repeated hour (HHMMSS_2.jpg), "label" says it for people."""
    listing = []
    for image, (url, thumb) in zip(images, urls.day_files(date, [image.file_name for image in images])):
        time = image.name.time.isoformat()
        listing.append({"time": time, "second_pass": image.name.second_pass, "name": image.file_name,
                        "label": time + " (hour repeated)" if image.name.second_pass else time,
                        "url": url, "thumb": thumb})
    return listing


class Days(TwinHandler):
    """GET /days (the list of days) and /api/days (its JSON twin)."""

    def get(self):
        days = [day_json(day, self.ctx.catalog) for day in self.ctx.catalog.days()]
        self.reply(days, "days.html", days=days)


def day_images(catalog, text, sizes=True):
    """Return (date, [archive.Image]) of the day named "YYYY-MM-DD" in a URL (``sizes``: with each image's
    size, an lstat each); 400 if malformed, 404 if it has no images."""
    try:
        date = parse_date(text)
    except BadRequest as exc:
        raise tornado.web.HTTPError(400, reason=str(exc)) from None
    images = catalog.day_images(date, sizes)
    if not images:
        raise tornado.web.HTTPError(404, reason=f"no images on {date}")
    return date, images


class Day(TwinHandler):
    """GET /days/DAY (scrubber, keogram, grid) and /api/days/DAY (``{"date", "images"}``); 404 for a day
    without images, 400 for a malformed one."""

    def get(self, text):
        date, images = day_images(self.ctx.catalog, text, sizes=not self.as_json)
        if self.as_json:  # every image; the page takes them from here
            return self.reply({"date": date.isoformat(), "images": images_json(date, images)})
        self.reply(None, "day.html", date=date, count=len(images), first=images[0].name.time,
                   last=images[-1].name.time, size=sum(image.size for image in images),
                   images=images_json(date, images[:1]), keogram=rendered(self.ctx.catalog, date, "keogram"),
                   video=rendered(self.ctx.catalog, date, "video"))


def _read(source):
    """Return the next chunk of ``source``; b"" at its end or when the card fails to read it (EIO)."""
    try:
        return source.read(ZIP_CHUNK)
    except OSError as exc:
        DAMAGED.record(DamagedImage(source.name, f"unreadable: {exc.strerror}"))
        return b""


class _Sink:
    """A write-only stream for zipfile; the handler drains it after every chunk."""

    def __init__(self):
        self.parts, self.position = [], 0

    def write(self, data):
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self):
        return self.position

    def flush(self):
        pass

    def drain(self):
        data, self.parts = b"".join(self.parts), []
        return data


class DayZip(BaseHandler):
    async def get(self, text):
        date, images = day_images(self.ctx.catalog, text)
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="timelapse-{date}.zip"')
        sink = _Sink()
        try:
            with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for image in images:  # in the order they were taken
                    source = self._open(self.ctx.catalog.image_path(date, image.name))
                    if source is None:
                        continue
                    time = image.name.time
                    info = zipfile.ZipInfo(f"{date}/{image_file_name(*image.name)}", date_time=(
                        date.year, date.month, date.day, time.hour, time.minute, time.second))
                    with source, archive.open(info, "w", force_zip64=True) as member:
                        while chunk := _read(source):
                            member.write(chunk)
                            await self._send(sink)
                    await self._send(sink)
            await self._send(sink)
        except tornado.iostream.StreamClosedError:
            return  # the browser went away; nothing to clean up

    @staticmethod
    def _open(path):
        """Return the image open for reading, or None (gone, unreadable or empty: named once in the log).

        Other damage is copied as it is: the zip holds the files, and a truncated JPEG still holds
        most of its picture.
        """
        if path is None:
            return None
        try:
            source = open(path, "rb")
        except OSError as exc:
            DAMAGED.record(DamagedImage(path, f"unreadable: {exc.strerror}"))
            return None
        if os.fstat(source.fileno()).st_size == 0:
            source.close()
            DAMAGED.record(DamagedImage(path, "empty file"))
            return None
        return source

    async def _send(self, sink):
        data = sink.drain()
        if data:
            self.write(data)
            await self.flush()
