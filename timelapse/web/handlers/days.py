"""Days: the list, a day (scrubber, keogram timeline, lazily loaded grid), their JSON, and a day
as a zip that is streamed (stored, not recompressed) with flat memory whatever its size."""

import json
import os
import zipfile

import tornado.iostream
import tornado.web

from timelapse.imagefile import DamagedImage
from timelapse.web.base import BaseHandler
from timelapse.names import image_file_name
from timelapse.web.handlers.files import DAMAGED
from timelapse.web.catalog import BadRequest, parse_date

ZIP_CHUNK = 256 * 1024


def day_json(summary, catalog):
    video, keogram = catalog.video(summary.date), catalog.video(summary.date, "-keogram.jpg")
    return {"date": summary.date.isoformat(), "count": summary.count,
            "first": summary.first.isoformat() if summary.first else None,
            "last": summary.last.isoformat() if summary.last else None, "bytes": summary.bytes,
            "video": f"/videos/{summary.date:%Y}/{summary.date}.mp4" if video else None,
            "keogram": f"/videos/{summary.date:%Y}/{summary.date}-keogram.jpg" if keogram else None}


def images_json(date, images):
    """Return the day's images for the page and /api/days/DAY: "time" is local wall time, "second_pass"
    marks the second pass of a repeated hour (HHMMSS_2.jpg), "label" says it for people."""
    base = f"{date:%Y/%m/%d}"
    return [{"time": image.time.isoformat(), "second_pass": image.second_pass, "name": image_file_name(*image),
             "label": image.time.isoformat() + (" (hour repeated)" if image.second_pass else ""),
             "url": f"/images/{base}/{image_file_name(*image)}", "thumb": f"/thumbs/{base}/{image_file_name(*image)}"}
            for image, _ in images]


class DaysPage(BaseHandler):
    page = True

    def get(self):
        self.render_page("days.html", days=[day_json(day, self.ctx.catalog) for day in self.ctx.catalog.days()])


class DaysApi(BaseHandler):
    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.write(json.dumps([day_json(day, self.ctx.catalog) for day in self.ctx.catalog.days()]))


def _day(text):
    try:
        return parse_date(text)
    except BadRequest as exc:
        raise tornado.web.HTTPError(400, reason=str(exc)) from None


class DayApi(BaseHandler):
    def get(self, text):
        date = _day(text)
        images = self.ctx.catalog.day_images(date)
        if not images:
            raise tornado.web.HTTPError(404, reason=f"no images on {date}")
        self.set_header("Cache-Control", "no-store")
        self.write({"date": date.isoformat(), "images": images_json(date, images)})


class DayPage(BaseHandler):
    page = True

    def get(self, text):
        date = _day(text)
        images = self.ctx.catalog.day_images(date)
        if not images:
            raise tornado.web.HTTPError(404, reason=f"no images on {date}")
        keogram = self.ctx.catalog.video(date, "-keogram.jpg")
        video = self.ctx.catalog.video(date)
        self.render_page("day.html", date=date, count=len(images), first=images[0][0].time, last=images[-1][0].time,
                         size=sum(size for _, size in images), images=images_json(date, images[:1]),
                         keogram=f"/videos/{date:%Y}/{date}-keogram.jpg" if keogram else None,
                         video=f"/videos/{date:%Y}/{date}.mp4" if video else None)


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
        date = _day(text)
        images = self.ctx.catalog.day_images(date)
        if not images:
            raise tornado.web.HTTPError(404, reason=f"no images on {date}")
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="timelapse-{date}.zip"')
        sink = _Sink()
        try:
            with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
                for image, _ in images:  # in the order they were taken
                    source = self._open(self.ctx.catalog.image_path(date, image))
                    if source is None:
                        continue
                    time = image.time
                    info = zipfile.ZipInfo(f"{date}/{image_file_name(*image)}", date_time=(
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
