"""The clear-sky figure of the newest image, for the status, /metrics, MQTT and Home Assistant (SPEC §19).

One reduced decode (timelapse.night.survey.measure: Pillow alone, no numpy) per new image, remembered
by (path, mtime, size): a status page polled every few seconds costs nothing more. An image speaks for
the sky only when it is dark: its scene brightness from EXIF at most DARK_SCENE_EV (the camera needs
exposure × gain of about 4 s for a normal image). An image without exposure EXIF, a daytime one, or
none at all: ``unknown``.
"""

import functools
import os

from timelapse import archive
from timelapse.imagefile import DamagedImage
from timelapse.night.stars import sky_of
from timelapse.night.survey import measure

DARK_SCENE_EV = -4.0
UNKNOWN = {"stars": None, "sky": "unknown"}


@functools.lru_cache(maxsize=4)
def _figure(path, mtime, size):
    try:
        ev, stars, exif = measure(path)
    except (DamagedImage, OSError):
        return UNKNOWN
    dark = exif and ev <= DARK_SCENE_EV
    return {"stars": stars if dark else None, "sky": sky_of(stars, dark)}


def sky_now(root, last_image):
    """Return {"stars", "sky"} of ``last_image`` (the status file's path, hostile) when it is an image's
    place under ``root`` (output_dir); UNKNOWN otherwise."""
    found = archive.locate_image(root, last_image) if last_image else None
    if found is None:
        return dict(UNKNOWN)
    path = archive.image_file(root, *found)
    try:
        stat = os.stat(path, follow_symlinks=False)
    except OSError:
        return dict(UNKNOWN)
    return dict(_figure(str(path), stat.st_mtime_ns, stat.st_size))
