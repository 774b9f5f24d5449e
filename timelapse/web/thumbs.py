"""Thumbnails, 320 pixels wide, made on first request from the JPEG's reduced-size decode
(Pillow's ``draft``) and kept in the cache directory, which is safe to delete."""

import io
import os
from pathlib import Path

from PIL import Image

from timelapse.archive import image_file
from timelapse.imagefile import decode_reduced
from timelapse.storage import write_atomically

WIDTH = 320


def cache_dir(environ=os.environ):
    """Return $CACHE_DIRECTORY (systemd's CacheDirectory=), else $XDG_CACHE_HOME or ~/.cache, /timelapse-web."""
    if environ.get("CACHE_DIRECTORY"):
        return Path(environ["CACHE_DIRECTORY"].split(":")[0])
    base = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "timelapse-web")


def make_thumbnail(source):
    """Return JPEG bytes of ``source`` scaled to WIDTH pixels wide (never enlarged).

    Raise DamagedImage (timelapse.imagefile) if ``source`` cannot be decoded.
    """
    image = decode_reduced(source, lambda full: (WIDTH, max(1, round(full[1] * WIDTH / full[0]))))
    if image.width > WIDTH:
        height = max(1, round(image.height * WIDTH / image.width))
        image = image.resize((WIDTH, height), Image.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def thumbnail(cache, source, date, image):
    """Return the cached thumbnail's path for ``image`` (archive.ImageName; made if missing or older than the image).

    The cache mirrors output_dir's days: cache/YYYY/MM/DD/HHMMSS.jpg.
    """
    target = image_file(cache, date, image)
    try:
        if os.stat(target).st_mtime_ns >= os.stat(source).st_mtime_ns:
            return target
    except OSError:
        pass
    write_atomically(target, make_thumbnail(source), fsync=False, replace=True)
    return target
