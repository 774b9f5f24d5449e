"""Compare with reference (SPEC §20): the aim reference as a JPEG and the live frame's shift from it.

/api/aim answers with the shift of the next live frame (``?after=N``: newer than frame N, so a page
that asks again after each answer gets one answer per frame), or of the newest image when the
daemon gives no live picture. The comparison runs on a worker thread, off the event loop.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from timelapse.aim.words import in_words
from timelapse.archive import aim_reference, newest_image
from timelapse.errors import DamagedImage, TimelapseError
from timelapse.imagefile import header_size
from timelapse.web.base import BaseHandler

WORKER = ThreadPoolExecutor(1, thread_name_prefix="aim")  # one comparison at a time: a Pi has few cores
WAIT = 5.0  # seconds to wait for the next live frame
MAX_REFERENCE = 32 * 1024 * 1024  # bytes: a larger file under .aim/ is not served


class AimReference(BaseHandler):
    """The aim reference JPEG (not cached: `timelapse aim --set` replaces it)."""

    def get(self):
        path = aim_reference(self.ctx.settings.storage.output_dir)
        try:
            if os.path.islink(path) or os.path.getsize(path) > MAX_REFERENCE:
                raise DamagedImage(path, "not a regular file of a sensible size")
            header_size(path)
            with open(path, "rb") as stream:
                data = stream.read(MAX_REFERENCE)
        except (OSError, DamagedImage):
            self.set_status(404)
            return self.finish({"error": "no aim reference yet: set one with `sudo -u timelapse timelapse aim --set`"})
        self.set_header("Content-Type", "image/jpeg")
        self.set_header("Cache-Control", "no-store")
        self.finish(data)


class AimApi(BaseHandler):
    """{"dx", "dy", "confidence", "verdict", "why", "words", "reference", "frame", "source"} of the next live frame."""

    async def get(self):
        try:
            after = int(self.get_argument("after", "0"))
        except ValueError:
            self.set_status(400)
            return self.finish({"error": "after: expected a whole number (the last frame answered)"})
        root, hub = self.ctx.settings.storage.output_dir, self.ctx.hub
        hub.join("live")
        try:
            got = await hub.next_frame("live", max(after, 0), timeout=WAIT, first=True)
        finally:
            hub.leave("live")
        loop = asyncio.get_running_loop()
        # numpy and Pillow come with the first check, not at start (the web server's idle RSS, SPEC §10)
        from timelapse.aim.check import NoReference, as_json, measure, measure_jpeg

        try:
            if got is not None:
                frame, source = got[0], "live"
                shift, record = await loop.run_in_executor(WORKER, measure_jpeg, root, got[1])
            else:
                newest = newest_image(root)
                if newest is None:
                    raise TimelapseError("no live picture and no image yet")
                frame, source = 0, "latest image"
                shift, record = await loop.run_in_executor(WORKER, measure, root, str(newest[1].path))
        except NoReference:
            self.set_status(404)
            return self.finish({"error": "no aim reference yet: set one with `sudo -u timelapse timelapse aim --set` "
                                         "(the latest image) on the camera"})
        except TimelapseError as exc:
            self.set_status(503)
            return self.finish({"error": str(exc)})
        self.set_header("Cache-Control", "no-store")
        self.finish(dict(as_json(shift, record), words=in_words(shift.dx, shift.dy), frame=frame, source=source))
