"""Videos asked for on the web (SPEC §18): ``POST /api/videos/requests`` queues one, ``GET`` lists them.

The request is parsed by render.queue.parse_request (as the renderer parses it again) and written
atomically into the web's own state directory (render.queue.queue_dir); timelapse-render-queue.path
sees it and timelapse-render-queue.service renders it. Each request's progress comes from the
renderer's document under output_dir (read bounded and forgivingly; a missing one reads "queued").
At most MAX_PENDING requests wait at once; finished ones past the newest MAX_KEPT are cleared
here, since the queue folder is the web's alone. With ``web.auth: none`` nobody may ask (anyone on
the network could fill the disk and the CPU): the list stays readable.
"""

import json
import logging
import os
import secrets
from datetime import datetime, timezone

from timelapse import archive
from timelapse.errors import BadRequest
from timelapse.render import queue
from timelapse.web import urls
from timelapse.web.base import BaseHandler

log = logging.getLogger("timelapse.web")


def listing(settings):
    """Return the requests, newest first: [{"id", "first", "last", "between", "every", "daily_frame",
    "overlay", "state", "done", "total", "error", "url"}] (url: the finished video's, else null)."""
    folder, root = queue.queue_dir(settings), settings.storage.output_dir
    found = []
    for request_id in reversed(queue.queued_ids(folder)[-(queue.MAX_KEPT + queue.MAX_PENDING):]):
        try:
            request = queue.load_request(folder / f"{request_id}.json", settings.capture.location).document
        except (BadRequest, OSError):
            request = dict.fromkeys(queue.KEYS)  # the renderer sets it aside and says why
        progress = queue.read_status(root, request_id) or {}
        state = progress.get("state") if progress.get("state") in ("rendering",) + queue.FINISHED else "queued"
        product = archive.parse_product(str(progress.get("video") or "").partition("/")[2])
        found.append(dict(request, id=request_id, state=state, done=_count(progress.get("done")),
                          total=_count(progress.get("total")), error=str(progress.get("error") or "")[:300] or None,
                          url=urls.product(product) if state == "done" and product else None))
    return found


def _count(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def clear_finished(settings, requests):
    """Remove the queue files of finished requests beyond the newest MAX_KEPT (``requests``: listing())."""
    folder = queue.queue_dir(settings)
    for old in [request for request in requests if request["state"] in queue.FINISHED][queue.MAX_KEPT:]:
        try:
            os.unlink(folder / f"{old['id']}.json")
        except OSError:
            pass


class VideoRequests(BaseHandler):
    """GET /api/videos/requests ({"requests": listing(), "can_ask", "max_pending", "xsrf_token"}) and POST
    (queue one: 201 with it, 400 bad input, 403 without XSRF token or with web.auth none, 429 too many)."""

    def refuse(self, status, error):
        self.set_status(status)
        self.finish({"error": error})

    def get(self):
        self.set_header("Cache-Control", "no-store")
        # xsrf_token: what a script signed in with HTTP Basic sends back as X-XSRFToken (with the _xsrf
        # cookie this answer sets) to POST; only this origin can read it.
        self.finish({"requests": listing(self.ctx.settings), "can_ask": not self.ctx.open_access,
                     "max_pending": queue.MAX_PENDING, "xsrf_token": self.xsrf_token.decode()})

    def post(self):
        settings = self.ctx.settings
        if self.ctx.open_access:
            return self.refuse(403, "asking for a video needs web.auth: password (anyone on the network could "
                                    "otherwise fill the disk); set one with sudo timelapse web-password")
        if len(self.request.body) > queue.MAX_BYTES:
            return self.refuse(400, f"a request is at most {queue.MAX_BYTES} bytes")
        try:
            document = json.loads(self.request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self.refuse(400, 'expected a JSON object such as {"first": "2026-11-01", "last": "2026-11-21"}')
        try:
            request = queue.parse_request(document, settings.capture.location)
        except BadRequest as exc:
            return self.refuse(400, str(exc))
        requests = listing(settings)
        waiting = [item for item in requests if item["state"] not in queue.FINISHED]
        if len(waiting) >= queue.MAX_PENDING:
            return self.refuse(429, f"{len(waiting)} videos are waiting already (at most {queue.MAX_PENDING}): "
                                    f"ask again when one is done")
        clear_finished(settings, requests)
        request_id = queue.new_id(datetime.now(timezone.utc), secrets.token_hex(4))
        try:
            queue.write_request(queue.queue_dir(settings), request, request_id)
        except OSError as exc:
            log.warning("cannot queue a video request in %s: %s", queue.queue_dir(settings), exc)
            return self.refuse(503, f"cannot queue the request in {queue.queue_dir(settings)}: "
                                    f"{exc.strerror or exc}")
        log.info("video requested by %s: %s (%s)", self.request.remote_ip, request.document, request_id)
        self.set_status(201)
        self.finish(dict(request.document, id=request_id, state="queued", done=0, total=0, error=None, url=None))
