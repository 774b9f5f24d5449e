"""A night (``/nights/YYYY-MM-DD``, named by its evening) and its JSON twin (``/api/nights/...``): the
startrails image, the night's keogram and video, the meteor candidates' crops (each opening its frame)
and the star count through the night (SPEC §19).

The night's JSON files are read as hostile: at most MAX_JSON bytes, found only where timelapse.archive
puts them and only inside output_dir; a crop's URL is made from its number, a frame's from a parsed
``YYYY/MM/DD/HHMMSS.jpg``, never from a path the file gives.
"""

import json

import tornado.web

from timelapse.archive import Period, Product, parse_image_relpath
from timelapse.web import urls
from timelapse.web.base import TwinHandler
from timelapse.web.catalog import BadRequest, parse_date

MAX_JSON = 4 * 1024 * 1024
CHART = (600, 120)  # the star count's chart, in SVG units


def _read_json(catalog, product):
    """Return the JSON object at the product's place, or None when it is missing, too big or not JSON."""
    path = catalog.product(product)
    if path is None:
        return None
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_JSON + 1)
        document = json.loads(data) if len(data) <= MAX_JSON else None
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _url(catalog, product):
    return urls.product(product) if catalog.product(product) else None


def _frame_url(text):
    try:
        return urls.image(*parse_image_relpath(text)) if isinstance(text, str) else None
    except ValueError:
        return None


def meteors_json(catalog, period, document):
    """Return the candidates of a night's meteors document as [{"time", "line", "length_px", "brightness",
    "crop", "frame"}] with their URLs."""
    found = []
    candidates = document.get("candidates") if document else None
    for number, candidate in enumerate(candidates if isinstance(candidates, list) else [], 1):
        if not isinstance(candidate, dict):
            continue
        found.append({"time": str(candidate.get("time", "")), "line": candidate.get("line"),
                      "length_px": candidate.get("length_px"), "brightness": candidate.get("brightness"),
                      "crop": _url(catalog, Product(period, "meteor", number=number)),
                      "frame": _frame_url(candidate.get("image"))})
    return found


def stars_json(document):
    """Return [{"time", "stars", "sky"}] from a night's sidecar; ``stars`` is null for a frame left out
    (dusk, dawn, lit); entries that are not that are dropped."""
    entries = document.get("stars") if document else None
    return [{"time": str(e.get("time", "")), "stars": e.get("stars"), "sky": str(e.get("sky", "unknown"))}
            for e in (entries if isinstance(entries, list) else [])
            if isinstance(e, dict) and (e.get("stars") is None or type(e.get("stars")) is int)]


def chart_points(stars, size=CHART):
    """Return the SVG polyline points of the star counts (left: dusk, right: dawn; top: the most stars);
    frames without a count are passed over."""
    counted = [(index, entry["stars"]) for index, entry in enumerate(stars) if entry["stars"] is not None]
    if not counted:
        return ""
    top = max(max(count for _, count in counted), 1)
    step = size[0] / max(1, len(stars) - 1)
    return " ".join(f"{index * step:.1f},{size[1] - count * size[1] / top:.1f}" for index, count in counted)


class Night(TwinHandler):
    """GET /nights/DAY and /api/nights/DAY; 404 for a night with nothing made, 400 for a malformed day."""

    def get(self, text):
        try:
            evening = parse_date(text)
        except BadRequest as exc:
            raise tornado.web.HTTPError(400, reason=str(exc)) from None
        catalog, period = self.ctx.catalog, Period.night(evening)
        meteors = _read_json(catalog, Product(period, "meteors"))
        sidecar = _read_json(catalog, Product(period, "sidecar"))
        files = {what: _url(catalog, Product(period, what)) for what in ("startrails", "keogram", "video")}
        if not any(files.values()) and meteors is None and sidecar is None:
            raise tornado.web.HTTPError(404, reason=f"nothing made for the night of {evening} yet "
                                                    f"(timelapse startrails / meteors / render --night {evening})")
        header = sidecar or meteors or {}
        night = {"night": str(evening), "from": header.get("from"), "until": header.get("until"),
                 "frames": header.get("frames"), "left_out": header.get("left_out"),
                 "sky": (sidecar or {}).get("sky", "unknown"), **files,
                 "meteors": meteors_json(catalog, period, meteors), "stars": stars_json(sidecar),
                 "day": urls.day(evening)}
        self.reply(night, "night.html", night=night, points=chart_points(night["stars"]), chart=CHART)
