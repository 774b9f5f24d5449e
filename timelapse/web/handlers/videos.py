"""Videos: the list and player (``/videos``) and its JSON twin (``/api/videos``), from one handler.

Empty until a video is rendered; no videos/ folder is fine. Each video is
``{"kind", "period", "daily", "url", "poster", "frames", "bytes", "seconds"}`` (SPEC §18): kind and
period as timelapse.archive.Period names them ("day" "2026-11-21", "range" "2026-11-01_2026-11-21",
"week" "2026-W47", "month" "2026-11", "project" "project"); the poster is the keogram when there is
one, else the thumbnail of the video's first frame; frames and seconds come from the video's
sidecar (null without one). The page groups them by kind: days, weeks, months, project, nights.
"""

import datetime

from timelapse import archive
from timelapse.web import urls
from timelapse.web.base import TwinHandler
from timelapse.web.sidecars import figures, read_sidecar

# (heading, kinds) in the order the page shows them
GROUPS = (("Days", ("day", "range")), ("Weeks", ("week",)), ("Months", ("month",)), ("Project", ("project",)),
          ("Nights", ("night",)))


def video_json(video, catalog):
    """Return the JSON of a catalog.Video (its sidecar read through ``catalog``: only a file inside output_dir)."""
    product = video.product
    sidecar = catalog.product(archive.Product(product.period, "sidecar", product.daily))
    document = read_sidecar(sidecar) if sidecar else None
    frames, seconds, first = figures(document)
    poster = urls.product(video.poster) if video.poster else None
    if poster is None and first:
        try:
            poster = urls.thumb(*archive.parse_image_relpath(first))
        except ValueError:
            pass  # a sidecar naming no image: no poster
    return {"kind": product.period.kind, "period": product.period.name, "daily": product.daily,
            "url": urls.product(product), "poster": poster, "frames": frames, "bytes": video.bytes,
            "seconds": seconds}


def grouped(videos):
    """Return [(heading, [video JSON])] of the groups that hold any, in GROUPS order."""
    return [(heading, found) for heading, kinds in GROUPS
            if (found := [video for video in videos if video["kind"] in kinds])]


class Videos(TwinHandler):
    """GET /videos (the list and player, grouped by kind) and /api/videos (its JSON twin)."""

    def get(self):
        videos = [video_json(video, self.ctx.catalog) for video in self.ctx.catalog.videos()]
        yesterday = datetime.date.today() - datetime.timedelta(days=1)  # the form's days: the last week
        self.reply(videos, "videos.html", videos=videos, groups=grouped(videos),
                   first_day=yesterday - datetime.timedelta(days=6), last_day=yesterday)
