"""A night's frames surveyed once: each frame's scene brightness (EXIF and a 1/8-scale decode), and
which are dark. (Star counts are made from the startrails' own decodes of the dark frames: stars_of.)

A frame's *scene* brightness is log2(mean ÷ (exposure time × gain)), its EV: what the sky was, not
what the image looks like. With ``exposure: smooth`` the image mean stays flat from dusk to dawn
while the scene darkens by twenty stops, so a threshold on the image cannot tell dusk from midnight;
the EXIF (§16) can. A frame is dark when its scene is within ``DARK_EV`` of the night's darkest tenth.
The others are left out of startrails by reason: ``dusk`` before the first dark frame, ``dawn`` after
the last, ``lit`` between (the moon rising, a car's lights, a torch). Frames without exposure EXIF (a
USB camera) are judged by their image mean alone, said once in ``note``.
"""

import math
from collections import Counter, namedtuple

from PIL import Image, ImageStat

from timelapse.exif import exposure_of
from timelapse.imagefile import DamagedImage, opened
from timelapse.night.stars import star_count

DARK_EV = 2.0
SURVEY_HEIGHT = 270  # rows a star count is made at (1080p at 1/4)
MEAN_HEIGHT = 135    # rows of the decode a frame's mean is taken from (1080p at 1/8)

# frame: NightFrame; ev: scene brightness (None: unreadable); reason: None (dark), "dusk", "dawn", "lit"
# or "unreadable".
Surveyed = namedtuple("Surveyed", "frame ev reason")
Survey = namedtuple("Survey", "frames left_out note")  # left_out: Counter of reason -> frames


def _reduced(path, height):
    """Return (the JPEG at ``path`` as an "L" image decoded near ``height`` rows, (exposure s, gain) or
    None). Raise DamagedImage or OSError if it cannot be read."""
    with opened(path) as image:
        exposure = exposure_of(image)
        try:
            image.draft("L", (max(1, image.width * height // image.height), height))
            return image.convert("L"), exposure
        except Exception as exc:
            raise DamagedImage(path, f"not a readable JPEG ({exc})") from None


def _ev(gray, exposure):
    mean = max(ImageStat.Stat(gray).mean[0], 0.5) / 255
    return math.log2(mean / (exposure[0] * exposure[1])) if exposure else math.log2(mean)


def scene(path):
    """Return (scene EV, or image-mean EV without exposure EXIF; has_exposure) of the JPEG at ``path``
    from its EXIF and a 1/8-scale decode. Raise DamagedImage or OSError if it cannot be read."""
    gray, exposure = _reduced(path, MEAN_HEIGHT)
    return _ev(gray, exposure), exposure is not None


def measure(path, height=SURVEY_HEIGHT):
    """Return (scene EV or image-mean EV, star count, has_exposure) of the JPEG at ``path``, decoded at a
    reduced size (the newest image's clear-sky figure). Raise DamagedImage or OSError if it cannot be read."""
    gray, exposure = _reduced(path, height)
    return _ev(gray, exposure), star_count(gray), exposure is not None


def stars_of(frame):
    """Return the star count of a decoded frame (a uint8 RGB or L numpy array, any size), counted at about
    SURVEY_HEIGHT rows as for the newest image."""
    gray = Image.fromarray(frame).convert("L")
    factor = max(1, gray.height // SURVEY_HEIGHT)
    return star_count(gray.reduce(factor) if factor > 1 else gray)


def survey(frames):
    """Return the Survey of ``frames`` ([NightFrame] in order): each frame Surveyed, the counts left out
    by reason, and a note when some frames had no exposure EXIF (None otherwise)."""
    measured, without = [], 0
    for frame in frames:
        try:
            ev, exif = scene(frame.path)
        except (DamagedImage, OSError):
            measured.append((frame, None))
            continue
        without += not exif
        measured.append((frame, ev))
    levels = sorted(ev for _, ev in measured if ev is not None)
    darkest = levels[len(levels) // 10] if levels else 0.0
    dark = [ev is not None and ev <= darkest + DARK_EV for _, ev in measured]
    first = dark.index(True) if any(dark) else len(dark)
    last = len(dark) - 1 - dark[::-1].index(True) if any(dark) else -1
    result = []
    for index, (frame, ev) in enumerate(measured):
        if ev is None:
            reason = "unreadable"
        elif dark[index]:
            reason = None
        else:
            reason = "dusk" if index < first else "dawn" if index > last else "lit"
        result.append(Surveyed(frame, ev, reason))
    note = (f"{without} of {len(frames)} frames have no exposure EXIF (a USB camera?): judged by image "
            f"brightness alone") if without else None
    return Survey(result, Counter(item.reason for item in result if item.reason), note)
