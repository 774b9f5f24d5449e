"""Images, thumbnails and videos as files: ETags, 304s, byte ranges (seeking a video), long caching
for what never changes. Each URL is parsed into a date and a time before any path is made."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import tornado.web

from timelapse.web.base import AuthMixin
from timelapse.web.catalog import BadRequest, parse_date, parse_image
from timelapse.web.thumbs import thumbnail

THUMB_WORKERS = ThreadPoolExecutor(2, thread_name_prefix="thumbs")  # decoding stays off the event loop


class FileHandler(AuthMixin, tornado.web.StaticFileHandler):
    """A file under ``root`` named by ``locate(url part)`` (None: 404; BadRequest: 400)."""

    immutable = True

    def initialize(self, ctx, root):
        self.ctx = ctx
        super().initialize(path=str(root))

    def locate(self, path):
        raise NotImplementedError

    def parse_url_path(self, url_path):
        try:
            found = self.locate(url_path)
        except BadRequest as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        if found is None:
            raise tornado.web.HTTPError(404)
        return str(found)

    @classmethod
    def get_absolute_path(cls, root, path):
        return path  # locate() returned it, resolved and checked to be inside root

    @classmethod
    def get_content_version(cls, abspath):
        status = os.stat(abspath)  # not a hash of the content: a video may be hundreds of MB
        return f"{status.st_mtime_ns:x}-{status.st_size:x}"

    def get_cache_time(self, path, modified, mime_type):
        return 365 * 86400 if self.immutable else 0

    def write_error(self, status_code, **kwargs):
        AuthMixin.write_error(self, status_code, **kwargs)


class ImageFile(FileHandler):
    def locate(self, path):
        date, image = parse_image(*_four(path))
        return self.ctx.catalog.image_path(date, image)


class ThumbFile(FileHandler):
    async def get(self, path, include_body=True):
        try:
            date, image = parse_image(*_four(path))
        except BadRequest as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        source = self.ctx.catalog.image_path(date, image)
        if source is None:
            raise tornado.web.HTTPError(404)
        self._thumb = await asyncio.get_running_loop().run_in_executor(
            THUMB_WORKERS, thumbnail, self.ctx.cache, source, date, image)
        await super().get(path, include_body)

    def locate(self, path):
        return os.path.realpath(self._thumb)


class VideoFile(FileHandler):
    """/videos/YYYY/YYYY-MM-DD.mp4 and its -keogram.jpg; a video may be rendered again (--force)."""

    immutable = False

    def locate(self, path):
        year, _, name = path.partition("/")
        for suffix in (".mp4", "-keogram.jpg"):
            if name.endswith(suffix):
                date = parse_date(name[:-len(suffix)])
                if year != f"{date:%Y}":
                    raise BadRequest("the year does not match the day")
                return self.ctx.catalog.video(date, suffix)
        raise BadRequest("expected /videos/YYYY/YYYY-MM-DD.mp4 or -keogram.jpg")


def _four(path):
    parts = path.split("/")
    if len(parts) != 4:
        raise BadRequest("expected /YYYY/MM/DD/HHMMSS.jpg")
    return parts
