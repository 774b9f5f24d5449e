"""One aim check: the shift of an image from the aim reference, as `timelapse aim` prints it (SPEC §20)."""

import io
import os

from timelapse.aim import shift as shifts
from timelapse.aim.reference import read_reference
from timelapse.errors import DamagedImage, TimelapseError

SET_HINT = "set one with `timelapse aim --set` (the latest image) or `timelapse aim --set IMAGE`"

_cache = {}  # the reference's Reduced form by (path, mtime, size): read once, not at every check


class NoReference(TimelapseError):
    """There is no aim reference yet."""


def reference_reduced(root):
    """Return (record, Reduced) of the aim reference; raise NoReference (saying how to set one) or
    TimelapseError if the reference is damaged."""
    record = read_reference(root)
    if record is None:
        raise NoReference(f"no aim reference yet in {os.path.join(root, '.aim')}: {SET_HINT}")
    path = record["path"]
    try:
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in _cache:
            _cache.clear()
            _cache[key] = shifts.reduce_file(path)
    except (OSError, DamagedImage) as exc:
        raise TimelapseError(f"the aim reference {path} cannot be read ({exc}): {SET_HINT}") from None
    return record, _cache[key]


def readable(path):
    """Return the Reduced form of the image at ``path``; raise TimelapseError naming it if it is gone or damaged."""
    try:
        return shifts.reduce_file(path)
    except FileNotFoundError:
        raise TimelapseError(f"{path}: no such image") from None
    except DamagedImage as exc:
        raise TimelapseError(f"{exc}: choose another image") from None
    except OSError as exc:
        raise TimelapseError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def measure(root, image):
    """Return (Shift, reference record) of the image at ``image`` (a path, or a PIL image) from the aim
    reference under ``root``; raise NoReference or TimelapseError (damaged image, other shape)."""
    record, reference = reference_reduced(root)
    reduced = shifts.reduce_image(image, like=reference) if hasattr(image, "convert") else readable(image)
    try:
        return shifts.compare(reduced, reference), record
    except ValueError as exc:
        raise TimelapseError(f"{exc}: set a new reference ({SET_HINT})") from None


def measure_jpeg(root, data):
    """Return (Shift, reference record) of a JPEG given as bytes (a live frame); raise as measure()."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.draft("L", (shifts.WORK_WIDTH, shifts.WORK_WIDTH * image.size[1] // max(1, image.size[0])))
            image.load()
            return measure(root, image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise TimelapseError(f"the live frame cannot be read ({exc})") from None


def as_json(shift, record):
    """Return what `timelapse aim` prints: {"dx", "dy", "confidence", "reference", "verdict", "why"}."""
    return {"dx": shift.dx, "dy": shift.dy, "confidence": shift.confidence, "reference": record["time"],
            "verdict": shift.verdict, "why": shift.why if shift.why or shift.verdict else "the match is too weak"}

