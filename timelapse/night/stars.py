"""A clear-sky figure: how many stars a frame shows (SPEC §19).

Stars are point sources: pixels brighter than their neighbourhood's background by several times the
frame's noise, each the brightest of its 3 x 3 neighbours, with a dark ring around (so a satellite's
or an aircraft's trail is not a row of stars). Counted on a reduced frame (the JPEG
decoder's 1/4 scale: 480 x 270 for 1080p), so a count costs a few milliseconds. A cloud hides the stars
and the count drops; a frame lit by dusk, dawn or a car's lights says nothing about the sky
(``unknown``).
"""

import numpy as np
from PIL import Image, ImageFilter

from timelapse.night.pixels import max3

CLEAR_STARS = 10   # at least this many stars on a dark frame: the sky is clear
MIN_CONTRAST = 12  # a star stands at least this many levels (of 255) above its background
RING = 3          # pixels from a star to the ring that must stay dark (a satellite's trail does not)


def star_count(gray):
    """Return the number of point sources in ``gray`` (a 2-D uint8 numpy array, a reduced frame)."""
    if gray.shape[0] < 8 or gray.shape[1] < 8:
        return 0
    background = np.asarray(Image.fromarray(gray).filter(ImageFilter.BoxBlur(4)), dtype=np.int16)
    residual = gray.astype(np.int16) - background
    spread = np.median(np.abs(residual[::4, ::4] - np.median(residual[::4, ::4])))
    threshold = max(MIN_CONTRAST, 6 * 1.4826 * float(spread))
    peak = max3(gray)
    stars = (residual > threshold) & (gray == peak)
    # A point, not a line: at most one of the eight pixels three away is lit (a streak lights two).
    lit = np.pad(residual > threshold / 2, RING)
    height, width = gray.shape
    around = sum(lit[RING + dy:RING + dy + height, RING + dx:RING + dx + width].astype(np.uint8)
                 for dy in (-RING, 0, RING) for dx in (-RING, 0, RING) if dy or dx)
    stars &= around <= 1
    stars[:2, :] = stars[-2:, :] = False
    stars[:, :2] = stars[:, -2:] = False
    return int(np.count_nonzero(stars))


def sky_of(count, dark=True):
    """Return "clear", "cloudy" or "unknown" for a frame showing ``count`` stars (None: not counted);
    ``dark``: whether the frame was dark enough to say (not dusk, dawn or lit)."""
    if count is None or not dark:
        return "unknown"
    return "clear" if count >= CLEAR_STARS else "cloudy"
