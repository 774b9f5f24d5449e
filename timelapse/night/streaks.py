"""Straight bright streaks that are new in a frame: what a meteor, a satellite or an aircraft leaves.

numpy and Pillow only (a Pi with picamera2 has no OpenCV). A frame's *new light* is what it has above
the brighter of its two neighbours, the neighbours' maximum widened by a pixel (a 3 x 3 maximum) so
that a star, which moves a pixel or two between frames as the sky turns, is not new. The new light
above the noise is grouped into connected parts (8-neighbours, after closing one-pixel gaps), and a
part is a streak when it is long and thin: its pixels' principal axis (a line fit, no Hough transform)
is at least MIN_LENGTH long and ELONGATION times its width.
"""

import math
from collections import namedtuple

import numpy as np

from timelapse.night.pixels import max3

MIN_LENGTH = 12       # pixels (of the half-size frame) along the streak
ELONGATION = 4.0      # length at least this many times the width
MIN_CONTRAST = 20     # new light at least this many levels (of 255) ...
NOISE_FACTOR = 6      # ... and this many times the frame-to-frame noise
BUSY = 0.01           # more than this fraction of the frame new: the scene changed (lit, cloud): no streaks

# line: (x1, y1, x2, y2) in the frame's pixels; length and width in pixels; brightness: mean new light
# (0..255); angle in radians (0..pi); centre (x, y).
Streak = namedtuple("Streak", "line length width brightness angle centre")


def new_light(frame, before, after):
    """Return (new light as int16, threshold) of ``frame`` against its neighbours (uint8 2-D arrays of one
    shape; ``before`` or ``after`` may be None at the ends of the night)."""
    neighbours = [n for n in (before, after) if n is not None]
    brightest = neighbours[0] if len(neighbours) == 1 else np.maximum(*neighbours)
    widened = max3(brightest).astype(np.int16)
    light = frame.astype(np.int16) - widened
    sample = frame[::4, ::4].astype(np.int16) - brightest[::4, ::4]
    noise = 1.4826 * float(np.median(np.abs(sample - np.median(sample)))) / math.sqrt(2)
    return light, max(MIN_CONTRAST, NOISE_FACTOR * noise)


def streaks(frame, before, after):
    """Return ([Streak], busy) for ``frame`` between its neighbours; ``busy`` is True when so much of
    the frame is new that it says nothing (a car's lights, a cloud moving in), and the list is then []."""
    light, threshold = new_light(frame, before, after)
    mask = light > threshold
    if np.count_nonzero(mask) > BUSY * mask.size:
        return [], True
    if not mask.any():
        return [], False
    closed = max3(mask)
    found = []
    for part in _components(closed):
        ys, xs = part[:, 0], part[:, 1]
        keep = mask[ys, xs]
        if np.count_nonzero(keep) < MIN_LENGTH // 2:
            continue
        streak = _fit(xs[keep], ys[keep], light[ys[keep], xs[keep]])
        if streak is not None:
            found.append(streak)
    return found, False


def _fit(xs, ys, values):
    """Return the Streak the points make when long and thin, else None (a principal-axis line fit)."""
    cx, cy = xs.mean(), ys.mean()
    dx, dy = xs - cx, ys - cy
    cov = np.cov(np.vstack((dx, dy))) if len(xs) > 1 else np.zeros((2, 2))
    eigenvalues, vectors = np.linalg.eigh(cov)
    ux, uy = vectors[:, 1]
    along = dx * ux + dy * uy
    length = float(along.max() - along.min()) + 1
    width = 2 * math.sqrt(max(float(eigenvalues[0]), 0.0)) + 1
    if length < MIN_LENGTH or length < ELONGATION * width:
        return None
    low, high = float(along.min()), float(along.max())
    line = (cx + low * ux, cy + low * uy, cx + high * ux, cy + high * uy)
    return Streak(tuple(round(v, 1) for v in line), length, width, float(values.mean()),
                  math.atan2(uy, ux) % math.pi, (float(cx), float(cy)))


def _components(mask):
    """Yield each 8-connected part of the boolean ``mask`` as an (n, 2) array of (y, x)."""
    points = set(zip(*(axis.tolist() for axis in np.nonzero(mask))))
    while points:
        seed = points.pop()
        part, todo = [seed], [seed]
        while todo:
            y, x = todo.pop()
            for ny in (y - 1, y, y + 1):
                for nx in (x - 1, x, x + 1):
                    if (ny, nx) in points:
                        points.remove((ny, nx))
                        part.append((ny, nx))
                        todo.append((ny, nx))
        yield np.array(part)


def collinear(one, other, angle=math.radians(8), distance=4.0):
    """Return True if streak ``other`` lies on the line of streak ``one`` (within ``angle`` radians and
    ``distance`` pixels): the same object moving on, as a satellite or an aircraft does."""
    turn = abs(one.angle - other.angle)
    if min(turn, math.pi - turn) > angle:
        return False
    ux, uy = math.cos(one.angle), math.sin(one.angle)
    ox, oy = other.centre[0] - one.centre[0], other.centre[1] - one.centre[1]
    return abs(ox * uy - oy * ux) <= distance
