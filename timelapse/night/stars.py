"""A clear-sky figure: how many stars a frame shows (SPEC §19).

Stars are point sources: pixels brighter than their neighbourhood's background by several times the
frame's noise, each the brightest of its 3 x 3 neighbours, with a dark ring around (so a satellite's
or an aircraft's trail is not a row of stars). Counted on a reduced frame (the JPEG decoder's 1/4
scale: 480 x 270 for 1080p) with Pillow alone, so that the web server and the alerts service can
count the newest image without loading numpy. A cloud hides the stars and the count drops; a frame lit
by dusk, dawn or a car's lights says nothing about the sky (``unknown``).
"""

from PIL import ImageChops, ImageFilter

CLEAR_STARS = 10   # at least this many stars on a dark frame: the sky is clear
MIN_CONTRAST = 12  # a star stands at least this many levels (of 255) above its background
RING = 3           # pixels from a star to the ring that must stay dark (a trail does not)
AROUND = [(dx, dy) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dx or dy]


def _median(histogram):
    half, seen = sum(histogram) / 2, 0
    for value, count in enumerate(histogram):
        seen += count
        if seen >= half:
            return value
    return 0


def _shifted(image, dx, dy):
    """Return ``image`` moved by (dx, dy) pixels, black where it moved away (a crop: no copy loop)."""
    width, height = image.size
    return image.crop((-dx, -dy, width - dx, height - dy))


def _mask(image, above):
    """Return a "1"-like L image: 255 where ``image`` > ``above``, else 0."""
    return image.point(lambda v: 255 if v > above else 0)


def star_count(gray):
    """Return the number of point sources in ``gray`` (a Pillow "L" image, a reduced frame)."""
    width, height = gray.size
    margin = RING + 1
    if width <= 2 * margin or height <= 2 * margin:
        return 0
    background = gray.filter(ImageFilter.BoxBlur(4))
    residual = ImageChops.subtract(gray, background)
    noise = 1.4826 * _median(ImageChops.difference(gray, background).histogram())
    threshold = max(MIN_CONTRAST, 6 * noise)
    rows = ImageChops.lighter(gray, ImageChops.lighter(_shifted(gray, 1, 0), _shifted(gray, -1, 0)))
    brightest = ImageChops.lighter(rows, ImageChops.lighter(_shifted(rows, 0, 1), _shifted(rows, 0, -1)))
    peak = ImageChops.subtract(brightest, gray).point(lambda v: 255 if v == 0 else 0)
    lit = residual.point(lambda v: 1 if v > threshold / 2 else 0)
    ring = None
    for dx, dy in AROUND:
        shifted = _shifted(lit, dx * RING, dy * RING)
        ring = shifted if ring is None else ImageChops.add(ring, shifted)
    alone = ring.point(lambda v: 255 if v <= 1 else 0)
    stars = ImageChops.multiply(ImageChops.multiply(_mask(residual, threshold), peak), alone)
    inner = stars.crop((margin, margin, width - margin, height - margin))
    return inner.histogram()[255]


def sky_of(count, dark=True):
    """Return "clear", "cloudy" or "unknown" for a frame showing ``count`` stars (None: not counted);
    ``dark``: whether the frame was dark enough to say (not dusk, dawn or lit)."""
    if count is None or not dark:
        return "unknown"
    return "clear" if count >= CLEAR_STARS else "cloudy"
