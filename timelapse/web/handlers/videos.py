"""Videos: the list and player (``/videos``) and its JSON twin (``/api/videos``), from one handler.

Empty until a video is rendered; no videos/ folder is fine. Each video is
``{"kind", "period", "daily", "url", "poster", "frames", "bytes", "seconds"}`` (SPEC §18): kind and
period as timelapse.archive.Period names them ("day" "2026-11-21", "range" "2026-11-01_2026-11-21"),
the keogram as poster when there is one; frames and seconds are null while nothing records them.
"""

from timelapse.web import urls
from timelapse.web.base import TwinHandler


def video_json(video):
    """Return the JSON of a catalog.Video."""
    product = video.product
    return {"kind": product.period.kind, "period": product.period.name, "daily": product.daily,
            "url": urls.product(product), "poster": urls.product(video.poster) if video.poster else None,
            "frames": None, "bytes": video.bytes, "seconds": None}


class Videos(TwinHandler):
    """GET /videos (the list and player) and /api/videos (its JSON twin)."""

    def get(self):
        videos = [video_json(video) for video in self.ctx.catalog.videos()]
        self.reply(videos, "videos.html", videos=videos)
