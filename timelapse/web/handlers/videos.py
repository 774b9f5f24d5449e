"""Videos: the list and player (``/videos``) and its JSON twin (``/api/videos``), from one handler.

Empty until a video is rendered; no videos/ folder is fine. Each video is
``{"kind", "period", "daily", "url", "poster", "frames", "bytes", "seconds"}`` (SPEC §18): kind and
period as timelapse.archive.Period names them ("day" "2026-11-21", "range" "2026-11-01_2026-11-21"),
the keogram as poster when there is one; frames and seconds are null while nothing records them.
"""

import json

from timelapse.web import urls
from timelapse.web.base import BaseHandler


def video_json(video):
    """Return the JSON of a catalog.Video."""
    product = video.product
    return {"kind": product.period.kind, "period": product.period.name, "daily": product.daily,
            "url": urls.product(product), "poster": urls.product(video.poster) if video.poster else None,
            "frames": None, "bytes": video.bytes, "seconds": None}


class Videos(BaseHandler):
    """GET /videos (the page) and /api/videos (``as_json``: the same list as JSON)."""

    def initialize(self, ctx, as_json=False):
        super().initialize(ctx)
        self.as_json = as_json
        self.page = not as_json

    def get(self):
        videos = [video_json(video) for video in self.ctx.catalog.videos()]
        if not self.as_json:
            return self.render_page("videos.html", videos=videos)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.write(json.dumps(videos))
