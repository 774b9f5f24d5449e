"""A planted night for the night-sky tests and `make bench`: JPEGs with EXIF written straight into a
day tree (no camera, no daemon), with what each test must find.

The sky turns about a pole; the camera follows the light with ``exposure: smooth``, so every frame's
image mean stays flat while the scene (the EXIF's exposure × gain) darkens from dusk to midnight and
brightens to dawn. Planted: meteors (one frame, a bright line), satellites (a segment moving on along
its line through several frames), aircraft (a blinking trail going on across frames), headlights (a
frame lit from below, the exposure unchanged) and a cloud hour, 03:00 to 04:00 (stars hidden).
"""

import datetime
import io
import math
from collections import namedtuple

import numpy as np
from PIL import Image

from timelapse import archive
from timelapse.exif import with_exif

SKY = 51            # the image mean the exposure holds (0.2 of full scale)
NIGHT_EV = -8.0     # scene EV at night; dusk and dawn ramp from DAY_EV
DAY_EV = 6.0

Planted = namedtuple("Planted", "frames meteors satellites aircraft lit cloudy")  # indexes, lines


def scene_ev(minutes):
    """Scene EV at ``minutes`` after 17:00: dusk 17:00-19:00, night, dawn 05:00-07:00."""
    if minutes < 120:
        return DAY_EV + (NIGHT_EV - DAY_EV) * minutes / 120
    if minutes > 720:
        return NIGHT_EV + (DAY_EV - NIGHT_EV) * min(1.0, (minutes - 720) / 120)
    return NIGHT_EV


def _line(canvas, x1, y1, x2, y2, value, width=2, dash=None):
    steps = int(max(abs(x2 - x1), abs(y2 - y1)) * 2) + 1
    for k in range(steps):
        if dash and (k // 2) % sum(dash) >= dash[0]:
            continue
        x = x1 + (x2 - x1) * k / max(1, steps - 1)
        y = y1 + (y2 - y1) * k / max(1, steps - 1)
        xi, yi = int(round(x)), int(round(y))
        if 0 <= xi < canvas.shape[1] and 0 <= yi < canvas.shape[0]:  # a line may leave the frame
            canvas[yi:yi + width, xi:xi + width] = np.maximum(canvas[yi:yi + width, xi:xi + width], value)


def plant_night(root, evening, size=(640, 360), step_minutes=5, turn_degrees=0.5, stars=160, seed=7,
                meteors=10, quality=90):
    """Write the night of ``evening`` (17:00 to 07:00 local, every ``step_minutes``) under ``root``;
    return Planted: frame paths in order, meteors [(index, (x1, y1, x2, y2))] in full pixels, satellites
    and aircraft [(first index, count)], lit frame indexes, cloudy frame indexes."""
    rng = np.random.default_rng(seed)
    width, height = size
    pole = (width * 0.5, height * 0.1)
    radius = rng.uniform(20, math.hypot(width, height), stars)
    angle = rng.uniform(0, 2 * math.pi, stars)
    level = rng.uniform(110, 200, stars)
    start = datetime.datetime.combine(evening, datetime.time(17))
    count = 14 * 60 // step_minutes + 1
    night = [i for i in range(count) if 130 <= i * step_minutes <= 700]
    cloudy = [i for i in night if 600 <= i * step_minutes < 660]  # 03:00-04:00
    busy = set(cloudy)
    lit = [night[len(night) // 5], night[len(night) // 2], night[4 * len(night) // 5]]
    busy.update(j for i in lit for j in (i - 1, i, i + 1))
    satellites = [(night[len(night) // 6], 4), (night[len(night) // 3], 3), (night[2 * len(night) // 3], 5)]
    aircraft = [(night[len(night) // 4], 3), (night[3 * len(night) // 5], 4)]
    for first, n in satellites + aircraft:
        busy.update(range(first - 1, first + n + 1))
    free = [i for i in night if i not in busy and i - 1 not in busy and i + 1 not in busy]
    chosen = sorted(rng.choice(free, min(meteors, len(free)), replace=False).tolist())
    meteor_lines = {}
    for i in chosen:
        length = rng.uniform(50, 140)
        a = rng.uniform(0, math.pi)
        x, y = rng.uniform(80, width - 80), rng.uniform(60, height * 0.6)
        meteor_lines[i] = (x, y, x + length * math.cos(a), y + length * math.sin(a) * 0.6)
    moving = {}
    for kind, (first, n) in [("satellite", s) for s in satellites] + [("aircraft", a) for a in aircraft]:
        a = rng.uniform(0, math.pi)
        x, y = rng.uniform(40, width * 0.3), rng.uniform(30, height * 0.5)
        stride = 45 if kind == "satellite" else 35
        for k in range(n):
            x1, y1 = x + k * stride * math.cos(a), y + k * stride * math.sin(a) * 0.5
            x2, y2 = x1 + (stride - 5) * math.cos(a), y1 + (stride - 5) * math.sin(a) * 0.5
            moving[first + k] = (kind, (x1, y1, x2, y2))
    yy, xx = np.mgrid[0:height, 0:width]
    paths = []
    for i in range(count):
        minutes = i * step_minutes
        when = start + datetime.timedelta(minutes=minutes)
        ev = scene_ev(minutes)
        darkness = min(1.0, max(0.0, (DAY_EV - 4 - ev) / 6))  # stars fade in at dusk, out at dawn
        canvas = np.full((height, width), 0, dtype=np.float32)
        turned = angle + math.radians(turn_degrees * i)
        sx = (pole[0] + radius * np.cos(turned)).astype(int)
        sy = (pole[1] + radius * np.sin(turned)).astype(int)
        inside = (sx >= 0) & (sx < width - 1) & (sy >= 0) & (sy < height - 1)
        visible = darkness * (0.0 if i in cloudy else 1.0)
        for dy in (0, 1):
            for dx in (0, 1):
                canvas[sy[inside] + dy, sx[inside] + dx] = level[inside] * visible
        if i in meteor_lines:
            _line(canvas, *meteor_lines[i], value=220)
        if i in moving:
            kind, line = moving[i]
            _line(canvas, *line, value=170, dash=(3, 2) if kind == "aircraft" else None)
        sky = SKY + (1 - darkness) * 20 * (1 - yy / height) + (8 if i in cloudy else 0)
        rgb = np.stack([sky * (1 - 0.3 * (1 - darkness)), sky, sky * (1 + 0.4 * (1 - darkness))], axis=-1)
        rgb = rgb + canvas[..., None] + rng.normal(0, 2.5, (height, width, 1))
        if i in lit:
            rgb = rgb + 240 * np.exp(-((yy - height) ** 2) / (2 * (height * 0.7) ** 2))[..., None]
        product = (SKY / 255) / 2 ** ev  # exposure × gain that holds the mean at SKY
        exposure = min(20.0, product)
        gain = max(1.0, product / exposure)
        buffer = io.BytesIO()
        Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=quality)
        data = with_exif(buffer.getvalue(), when.astimezone(), round(exposure * 1e6), gain)
        path = archive.image_path(root, when)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return Planted(paths, [(i, meteor_lines[i]) for i in chosen], satellites, aircraft, lit, cloudy)
