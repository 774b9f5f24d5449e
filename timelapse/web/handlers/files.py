"""Images, thumbnails and videos as files: ETags, 304s, byte ranges (seeking a video), long caching
for what never changes. Each URL is parsed into a date and a time before any path is made. A
damaged image (timelapse.imagefile) is answered with a placeholder picture, named once in the log."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import tornado.web

from timelapse.imagefile import DamagedImage, DamageLog, header_size, placeholder, quick_check
from timelapse.web.base import AuthMixin
from timelapse.web.catalog import BadRequest, parse_image, parse_product
from timelapse.web.thumbs import WIDTH, thumbnail

THUMB_WORKERS = ThreadPoolExecutor(2, thread_name_prefix="thumbs")  # decoding stays off the event loop
DAMAGED = DamageLog()  # every damaged image this server has met: one warning each, no second decode


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

    def compute_etag(self):
        return super().compute_etag() if getattr(self, "absolute_path", None) else None  # a placeholder: none

    def get_cache_time(self, path, modified, mime_type):
        return 365 * 86400 if self.immutable else 0

    def write_error(self, status_code, **kwargs):
        AuthMixin.write_error(self, status_code, **kwargs)


def send_placeholder(handler, why, size):
    """Answer with the placeholder picture for a damaged image (200, never cached, the reason in a header)."""
    handler.set_header("Content-Type", "image/jpeg")
    handler.set_header("Cache-Control", "no-store")
    handler.set_header("X-Timelapse-Damaged", why.encode("ascii", "replace").decode())
    handler.finish(placeholder(*size))


def damage(source):
    """Return why ``source`` is damaged, from what is known or from its end and header (no decode), or None."""
    why = DAMAGED.known(source) or quick_check(source)
    if why is None:
        try:
            header_size(source)
        except DamagedImage as exc:
            why = exc.why
    if why is not None:
        DAMAGED.record(DamagedImage(source, why))
    return why


class ImageFile(FileHandler):
    """An image as it is on disk; a damaged one (empty, truncated, not a JPEG, too large) as a placeholder."""

    async def get(self, path, include_body=True):
        try:
            source = self.locate(path)
        except BadRequest as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        if source is None:
            raise tornado.web.HTTPError(404)
        why = damage(source)
        if why is not None:
            return send_placeholder(self, why, (640, 360))
        await super().get(path, include_body)

    def locate(self, path):
        date, image = parse_image(path)
        return self.ctx.catalog.image_path(date, image)


class ThumbFile(FileHandler):
    async def get(self, path, include_body=True):
        try:
            date, image = parse_image(path)
        except BadRequest as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        source = self.ctx.catalog.image_path(date, image)
        if source is None:
            raise tornado.web.HTTPError(404)
        why = DAMAGED.known(source)
        if why is None:
            try:
                self._thumb = await asyncio.get_running_loop().run_in_executor(
                    THUMB_WORKERS, thumbnail, self.ctx.cache, source, date, image)
            except DamagedImage as exc:
                DAMAGED.record(exc)
                why = exc.why
            except FileNotFoundError:  # deleted (retention) since it was found
                raise tornado.web.HTTPError(404) from None
        if why is not None:
            return send_placeholder(self, why, (WIDTH, WIDTH * 9 // 16))
        await super().get(path, include_body)

    def locate(self, path):
        return os.path.realpath(self._thumb)


class VideoFile(FileHandler):
    """/videos/YYYY/YYYY-MM-DD.mp4, its -keogram.jpg, and every other name rendering writes (archive.Product);
    a video may be rendered again (--force)."""

    immutable = False

    def locate(self, path):
        return self.ctx.catalog.product(parse_product(path))
