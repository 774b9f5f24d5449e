"""A night's frames surveyed once: each frame's scene brightness and star count, and which are dark.

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

from PIL import ImageStat

from timelapse.exif import exposure_of
from timelapse.imagefile import DamagedImage, opened
from timelapse.night.stars import star_count

DARK_EV = 2.0
SURVEY_HEIGHT = 270  # rows of the reduced decode (1080p at 1/4)

# frame: NightFrame; ev: scene brightness (None: unreadable); stars: star count; reason: None (dark),
# "dusk", "dawn", "lit" or "unreadable".
Surveyed = namedtuple("Surveyed", "frame ev stars reason")
Survey = namedtuple("Survey", "frames left_out note")  # left_out: Counter of reason -> frames


def measure(path, height=SURVEY_HEIGHT):
    """Return (scene EV or image-mean EV, star count, has_exposure) of the JPEG at ``path``, decoded at a
    reduced size. Raise DamagedImage or OSError if it cannot be read."""
    with opened(path) as image:
        exposure = exposure_of(image)
        try:
            image.draft("L", (max(1, image.width * height // image.height), height))
            gray = image.convert("L")
        except Exception as exc:
            raise DamagedImage(path, f"not a readable JPEG ({exc})") from None
    mean = max(ImageStat.Stat(gray).mean[0], 0.5) / 255
    ev = math.log2(mean / (exposure[0] * exposure[1])) if exposure else math.log2(mean)
    return ev, star_count(gray), exposure is not None


def survey(frames):
    """Return the Survey of ``frames`` ([NightFrame] in order): each frame Surveyed, the counts left out
    by reason, and a note when some frames had no exposure EXIF (None otherwise)."""
    measured, without = [], 0
    for frame in frames:
        try:
            ev, stars, exif = measure(frame.path)
        except (DamagedImage, OSError):
            measured.append((frame, None, None))
            continue
        without += not exif
        measured.append((frame, ev, stars))
    levels = sorted(ev for _, ev, _ in measured if ev is not None)
    darkest = levels[len(levels) // 10] if levels else 0.0
    dark = [ev is not None and ev <= darkest + DARK_EV for _, ev, _ in measured]
    first = dark.index(True) if any(dark) else len(dark)
    last = len(dark) - 1 - dark[::-1].index(True) if any(dark) else -1
    result = []
    for index, (frame, ev, stars) in enumerate(measured):
        if ev is None:
            reason = "unreadable"
        elif dark[index]:
            reason = None
        else:
            reason = "dusk" if index < first else "dawn" if index > last else "lit"
        result.append(Surveyed(frame, ev, stars, reason))
    note = (f"{without} of {len(frames)} frames have no exposure EXIF (a USB camera?): judged by image "
            f"brightness alone") if without else None
    return Survey(result, Counter(item.reason for item in result if item.reason), note)
