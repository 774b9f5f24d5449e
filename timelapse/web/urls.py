"""Every URL the web interface hands out, built here and nowhere else (Datasette's url_builder).

Handlers, templates (as ``urls``) and the JSON the pages' JavaScript reads all take their URLs
from these functions; app.js builds none from a path. A file's URL mirrors its place under
output_dir, which timelapse.archive spells: ``/images/YYYY/MM/DD/HHMMSS.jpg``,
``/thumbs/YYYY/MM/DD/HHMMSS.jpg``, ``/videos/YYYY/YYYY-MM-DD.mp4``. The routes that answer them
are in app.py.
"""

from timelapse.archive import day_relpath, image_file_name, locate_image, product_relpath

STATUS = "/"
STATUS_JSON = "/api/status"
METRICS = "/metrics"
LIVE = "/live"
DAYS = "/days"
DAYS_JSON = "/api/days"
VIDEOS = "/videos"
VIDEOS_JSON = "/api/videos"
NIGHTS = "/nights"
NIGHTS_JSON = "/api/nights"
VIDEO_REQUESTS_JSON = "/api/videos/requests"  # GET: asked-for videos and their progress; POST: ask (SPEC §18)
LOGIN = "/login"
LOGOUT = "/logout"
SETTINGS = "/settings"  # the Settings page (SPEC §17)
SETTINGS_JSON = "/api/settings"
SETTINGS_HISTORY_JSON = "/api/settings/history"
SETTINGS_ROLLBACK_JSON = "/api/settings/rollback"
SCHEDULE_JSON = "/api/schedule"
AIM_REFERENCE = "/aim/reference.jpg"  # the aim reference (SPEC §20)
AIM_JSON = "/api/aim"  # the live frame's shift from it


def image(date, name):
    """Return the URL of the image ``name`` (archive.ImageName) of ``date``: /images/YYYY/MM/DD/HHMMSS.jpg."""
    return f"/images/{day_relpath(date)}/{image_file_name(*name)}"


def day_files(date, file_names):
    """Return [(image URL, thumbnail URL)] of the files ``file_names`` (archive.Image.file_name) of
    ``date``, in order: a day's listing builds the day's part of the URLs once, not 2,880 times."""
    day = day_relpath(date)
    return [(f"/images/{day}/{name}", f"/thumbs/{day}/{name}") for name in file_names]


def thumb(date, name):
    """Return the URL of its 320 px thumbnail: /thumbs/YYYY/MM/DD/HHMMSS.jpg."""
    return f"/thumbs/{day_relpath(date)}/{image_file_name(*name)}"


def day(date):
    """Return the URL of the day's page: /days/YYYY-MM-DD."""
    return f"{DAYS}/{date}"


def day_json(date):
    """Return the URL of the day's JSON (its images): /api/days/YYYY-MM-DD."""
    return f"{DAYS_JSON}/{date}"


def day_zip(date):
    """Return the URL of the day as a zip: /download/YYYY-MM-DD.zip."""
    return f"/download/{date}.zip"


def night(evening):
    """Return the URL of the night's page (SPEC §19), named by its evening: /nights/YYYY-MM-DD."""
    return f"{NIGHTS}/{evening}"


def night_json(evening):
    """Return the URL of the night's JSON twin: /api/nights/YYYY-MM-DD."""
    return f"{NIGHTS_JSON}/{evening}"


def product(product):
    """Return the URL of a rendered file (archive.Product): /videos/YYYY/YYYY-MM-DD.mp4 and the like."""
    return "/" + product_relpath(product)


def live_stream(focus=False):
    """Return the URL of the live MJPEG stream (``focus``: the 1:1 crop of the centre)."""
    return "/live.mjpg" + ("?focus=1" if focus else "")


def live_frame(focus=False):
    """Return the URL of one fresh live frame."""
    return "/live.jpg" + ("?focus=1" if focus else "")


def last_image(root, path):
    """Return {"last_image_url", "last_thumb_url"} of the image at ``path`` (the status file's last_image)
    under ``root`` (output_dir); both None when there is none or it is not an image there."""
    found = locate_image(root, path) if path else None
    if found is None:
        return {"last_image_url": None, "last_thumb_url": None}
    return {"last_image_url": image(*found), "last_thumb_url": thumb(*found)}
