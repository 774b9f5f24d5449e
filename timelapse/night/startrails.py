"""Startrails: the per-pixel maximum of a night's dark frames (SPEC §19).

One accumulator (a uint8 array the size of the output) and one frame decoded at a time, at half size
through the JPEG decoder's own scaling (Pillow ``draft``) unless ``full``: memory stays flat however
long the night. Which frames are dark is the survey's (timelapse.night.survey) to say.
"""

import io

import numpy as np
from PIL import Image

from timelapse.imagefile import DamagedImage, opened


def decode(path, full=False, mode="RGB"):
    """Return the JPEG at ``path`` as a numpy array (``mode`` "RGB" or "L"), at half size unless ``full``.
    Raise DamagedImage or OSError if it cannot be read."""
    with opened(path) as image:
        try:
            if not full:
                image.draft(mode, (max(1, image.width // 2), max(1, image.height // 2)))
            return np.asarray(image.convert(mode))
        except Exception as exc:
            raise DamagedImage(path, f"not a readable JPEG ({exc})") from None


def startrails(paths, full=False, skipped=None, each=None):
    """Return (the startrails image as a Pillow RGB image, frames used) from ``paths`` (the dark frames).

    A frame of another size than the first, or one that cannot be read, is left out; (path, why) is
    appended to ``skipped``. ``each(path, frame)``, when given, sees every decoded frame (a uint8 RGB
    array) before it is let go. Return (None, 0) when no frame could be used.
    """
    accumulator, used = None, 0
    for path in paths:
        try:
            frame = decode(path, full)
        except (DamagedImage, OSError) as exc:
            if skipped is not None:
                skipped.append((path, getattr(exc, "why", None) or str(exc)))
            continue
        if each is not None:
            each(path, frame)
        if accumulator is None:
            accumulator = frame.copy()
        elif frame.shape != accumulator.shape:
            if skipped is not None:
                skipped.append((path, f"size {frame.shape[1]}x{frame.shape[0]} differs from the night's"))
            continue
        else:
            np.maximum(accumulator, frame, out=accumulator)
        used += 1
    return (Image.fromarray(accumulator) if accumulator is not None else None), used


def jpeg(image, quality=92):
    """Return ``image`` (Pillow) as JPEG bytes."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
