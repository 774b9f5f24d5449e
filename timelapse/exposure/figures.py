"""How well a day's images are exposed: the figures SPEC §10 and §16 ask for, from the saved images.

A shot is (brightness 0..1, exposure µs, analogue gain), read back from a saved JPEG (its mean luma,
and its EXIF ExposureTime and ISOSpeedRatings / 100). Used by ``make bench`` and the day-to-night test.
"""

import io
import math

FREE = 3  # the first captures after a start may meter freely (SPEC §16): not judged
FLOOR = 0.005  # darker than this, a brightness ratio is noise


def read_shot(path):
    """Return (brightness, exposure_us, gain) of a saved image; exposure and gain None if EXIF lacks them."""
    from PIL import Image

    from timelapse.exif import EXIF_IFD, EXPOSURE_TIME, ISO_SPEED_RATINGS

    with Image.open(io.BytesIO(path.read_bytes()) if hasattr(path, "read_bytes") else path) as image:
        tags = image.getexif().get_ifd(EXIF_IFD)
        image.draft("L", (image.width // 4, image.height // 4))
        gray = image.convert("L")
        histogram = gray.histogram()
        brightness = sum(i * n for i, n in enumerate(histogram)) / max(1, sum(histogram)) / 255.0
    exposure = tags.get(EXPOSURE_TIME)
    iso = tags.get(ISO_SPEED_RATINGS)
    return (brightness, None if exposure is None else float(exposure) * 1e6, None if iso is None else iso / 100.0)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else 0.0


def day_figures(shots, target, max_gain):
    """Return the figures of a sequence of shots.

    ``within_1ev``: share of judged frames within ±1 EV of ``target``, where judged frames leave out the
    first FREE and those taken at the controller's limits (shutter and gain both at their maximum: the
    night is darker than any setting can reach); ``at_limits``: how many those were; ``change_p99_ev``:
    the 99th percentile of |EV| between consecutive frames, leaving out pairs where the scene alone moved
    the image (a frame at the limits, or too dark to measure); ``dark``: frames more than 4 EV under target.
    """
    judged = shots[FREE:]
    # Gain rises only once the shutter is at its longest (the ladder), so gain at max_gain means both are.
    at_limit = [s[2] is not None and s[2] >= max_gain * 0.98 for s in judged]
    free = [s for s, limit in zip(judged, at_limit) if not limit]
    within = [abs(math.log2(max(s[0], 1e-6) / target)) <= 1 for s in free]
    pairs = zip(zip(judged, at_limit), zip(judged[1:], at_limit[1:]))
    changes = [abs(math.log2(b[0] / a[0])) for (a, la), (b, lb) in pairs if not (la or lb) and min(a[0], b[0]) > FLOOR]
    return {"frames": len(shots), "judged": len(free), "at_limits": sum(at_limit),
            "within_1ev": sum(within) / len(within) if within else 0.0,
            "change_p99_ev": percentile(changes, 0.99), "change_max_ev": max(changes, default=0.0),
            "dark": sum(s[0] < target / 16 for s in shots),
            "longest_exposure_us": max((s[1] or 0) for s in shots), "highest_gain": max((s[2] or 0) for s in shots)}
