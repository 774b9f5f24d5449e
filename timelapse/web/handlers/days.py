"""Days: the list, a day (scrubber, keogram timeline, lazily loaded grid), their JSON, and a day
as a zip that is streamed (stored, not recompressed) with flat memory whatever its size."""

import json
import zipfile

import tornado.iostream
import tornado.web

from timelapse.web.base import BaseHandler
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
    base = f"{date:%Y/%m/%d}"
    return [{"time": time.isoformat(), "url": f"/images/{base}/{time:%H%M%S}.jpg",
             "thumb": f"/thumbs/{base}/{time:%H%M%S}.jpg"} for time, _ in images]


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
        self.render_page("day.html", date=date, count=len(images), first=images[0][0], last=images[-1][0],
                         size=sum(size for _, size in images), images=images_json(date, images[:1]),
                         keogram=f"/videos/{date:%Y}/{date}-keogram.jpg" if keogram else None,
                         video=f"/videos/{date:%Y}/{date}.mp4" if video else None)


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
                for time, _ in images:
                    path = self.ctx.catalog.image_path(date, time)
                    if path is None:
                        continue
                    info = zipfile.ZipInfo(f"{date}/{time:%H%M%S}.jpg", date_time=(
                        date.year, date.month, date.day, time.hour, time.minute, time.second))
                    with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as member:
                        while chunk := source.read(ZIP_CHUNK):
                            member.write(chunk)
                            await self._send(sink)
                    await self._send(sink)
            await self._send(sink)
        except tornado.iostream.StreamClosedError:
            return  # the browser went away; nothing to clean up

    async def _send(self, sink):
        data = sink.drain()
        if data:
            self.write(data)
            await self.flush()
