"""The clear-sky figure of the newest image, for the status, /metrics, MQTT and Home Assistant (SPEC §19).

One reduced decode (timelapse.night.survey.measure: Pillow alone, no numpy) per new image, remembered
by (path, mtime, size): a status page polled every few seconds costs nothing more. An image speaks for
the sky only when it is dark: its scene brightness from EXIF at most DARK_SCENE_EV (the camera needs
exposure × gain of about 4 s for a normal image). An image without exposure EXIF, a daytime one, or
none at all: ``unknown``.

The alerts process (MQTT state) lives for months in about 20 MB and must not load Pillow: it asks
`sky_in_child`, which judges darkness from the status' exposure figures first (no decode at all in
daylight) and counts stars in a short-lived child (``python3 -m timelapse.night.sky_now ROOT IMAGE``)
once per new dark image.
"""

import functools
import json
import math
import os
import subprocess
import sys

from timelapse import archive
from timelapse.imagefile import DamagedImage

DARK_SCENE_EV = -4.0
UNKNOWN = {"stars": None, "sky": "unknown"}


@functools.lru_cache(maxsize=4)
def _figure(path, mtime, size):
    from timelapse.night.stars import sky_of  # Pillow: only when a figure is asked for
    from timelapse.night.survey import measure

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


CHILD_TIMEOUT = 60  # seconds a child may take (a Pi Zero under load)
_asked = {}  # {last_image: figure}: the child runs once per new image


def sky_in_child(root, last_image, exposure):
    """Return sky_now(root, last_image) without loading Pillow in this process: ``exposure`` is the
    status' {"exposure_time_us", "analogue_gain", "brightness"} of that image; unknown when it is
    missing or the scene is not dark, else the figure from a child process (unknown if it fails)."""
    exposure = exposure if isinstance(exposure, dict) else {}
    try:
        seconds = float(exposure["exposure_time_us"]) / 1e6 * float(exposure.get("analogue_gain") or 1.0)
        scene = math.log2(max(float(exposure["brightness"]), 0.5 / 255) / seconds)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return dict(UNKNOWN)
    if scene > DARK_SCENE_EV or not last_image:
        return dict(UNKNOWN)
    if last_image not in _asked:
        try:
            done = subprocess.run([sys.executable, "-m", "timelapse.night.sky_now", str(root), str(last_image)],
                                  capture_output=True, text=True, timeout=CHILD_TIMEOUT)
            figure = json.loads(done.stdout) if done.returncode == 0 else dict(UNKNOWN)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            figure = dict(UNKNOWN)
        _asked.clear()
        _asked[last_image] = figure
    return dict(_asked[last_image])


if __name__ == "__main__":
    print(json.dumps(sky_now(sys.argv[1], sys.argv[2])))
