"""The shift of an image from a reference: phase correlation of edge images (SPEC §20).

Both images are decoded small and grey (the JPEG decoder's own 1/2..1/8 scaling, then a resize to
WORK_WIDTH), turned into edge images (the gradient magnitude, so that a change of light through the
day changes little), windowed (Hann, so the image borders make no edge of their own) and compared by
the normalised cross-power spectrum (numpy's FFT): its inverse has one sharp peak at the shift. The
peak is refined to a fraction of a pixel by fitting a parabola through it and its neighbours, and the
shift is given in pixels of the full image.

``confidence`` (0..1) says how sharp the peak is: 1 - (second highest peak / highest). A dark or
featureless image has no edges to agree on: its peak is no higher than the noise, and the verdict
is None.
"""

from dataclasses import dataclass

import numpy as np
from PIL import Image

from timelapse.imagefile import decode_reduced

WORK_WIDTH = 512  # pixels: the reduced copy's width (a 1920 image: 3.75 full pixels each)
MIN_CONFIDENCE = 0.3  # below this a shift is not a verdict
MIN_BRIGHTNESS = 0.08  # mean grey (0..1) below this: too dark to say
MIN_EDGES = 0.0003  # mean edge strength (0..1 of full scale per pixel) below this: featureless
EXCLUDE = 3  # reduced pixels around the highest peak left out when finding the second


@dataclass(frozen=True)
class Reduced:
    """An image made ready for comparison: its windowed edge image's spectrum and what it came from.

    ``scale`` is full-image pixels per reduced pixel; ``brightness`` and ``edges`` are means, 0..1.
    """

    spectrum: np.ndarray
    scale: float
    size: tuple  # the full image's (width, height)
    brightness: float
    edges: float
    shape: tuple  # the reduced grey image's (height, width)

    @property
    def readable(self):
        """Return why this image cannot give a verdict ("too dark", "featureless"), or None."""
        if self.brightness < MIN_BRIGHTNESS:
            return f"too dark (mean brightness {self.brightness:.2f})"
        if self.edges < MIN_EDGES:
            return "too featureless (no edges to compare)"
        return None


@dataclass(frozen=True)
class Shift:
    """How far an image lies from the reference, in pixels of the full image: +dx right, +dy down.

    ``confidence`` 0..1; ``why`` says why there is no verdict (then ``verdict`` is False).
    """

    dx: float
    dy: float
    confidence: float
    why: str = None

    @property
    def verdict(self):
        """Return True if the shift can be trusted (a readable image and a sharp peak)."""
        return self.why is None and self.confidence >= MIN_CONFIDENCE

    @property
    def length(self):
        """Return the shift's length in pixels."""
        return float(np.hypot(self.dx, self.dy))


def _window(height, width):
    return np.outer(np.hanning(height), np.hanning(width)).astype(np.float32)


_WINDOWS = {}


def reduce_grey(grey, full_size):
    """Return the Reduced form of a float32 grey array (0..1) of the image of ``full_size`` (w, h)."""
    dy, dx = np.gradient(grey)
    edges = np.hypot(dx, dy)
    window = _WINDOWS.get(edges.shape)
    if window is None:
        window = _WINDOWS[edges.shape] = _window(*edges.shape)
    centred = (edges - edges.mean()) * window
    return Reduced(np.fft.rfft2(centred), full_size[0] / grey.shape[1], tuple(full_size),
                   float(grey.mean()), float(edges.mean()), grey.shape)


def reduce_image(image, full_size=None, like=None):
    """Return the Reduced form of a PIL image (any mode); ``full_size`` (w, h) if it was decoded smaller.

    ``like``: a Reduced whose shape to take when the aspect ratios agree within 1 % (a live frame's
    size is rounded when the camera scales it down).
    """
    full = full_size or image.size
    height = max(1, round(WORK_WIDTH * full[1] / full[0]))
    if like is not None and abs(like.shape[0] - height) <= max(2, height // 100):
        height = like.shape[0]
    small = image.convert("L").resize((WORK_WIDTH, height), Image.BILINEAR)
    return reduce_grey(np.asarray(small, dtype=np.float32) / 255.0, full)


def reduce_file(path):
    """Return the Reduced form of the JPEG at ``path``; raise DamagedImage if it cannot be read
    (FileNotFoundError if it is gone)."""
    full = []

    def wanted(size):
        full.append(size)
        return WORK_WIDTH, max(1, WORK_WIDTH * size[1] // size[0])

    image = decode_reduced(path, wanted)
    return reduce_image(image, full[0])


def _peak_offset(values):
    """Return the parabola's vertex offset (-0.5..0.5) through three values around a maximum."""
    left, centre, right = values
    bend = left - 2 * centre + right
    return 0.0 if bend >= 0 else float(np.clip(0.5 * (left - right) / bend, -0.5, 0.5))


def compare(image, reference):
    """Return the Shift of Reduced ``image`` from Reduced ``reference`` (in pixels of the full reference image,
    whatever the image's own size: a live frame may be smaller).

    Images of different aspect ratios cannot be compared: raise ValueError.
    """
    if image.shape != reference.shape:
        raise ValueError(f"the image ({image.size[0]}x{image.size[1]}) and the reference "
                         f"({reference.size[0]}x{reference.size[1]}) differ in shape")
    why = image.readable or reference.readable
    cross = image.spectrum * np.conj(reference.spectrum)
    cross /= np.abs(cross) + 1e-12
    surface = np.fft.irfft2(cross, s=image.shape)
    height, width = surface.shape
    row, col = np.unravel_index(int(np.argmax(surface)), surface.shape)
    peak = float(surface[row, col])
    fine_row = row + _peak_offset([surface[(row + k) % height, col] for k in (-1, 0, 1)])
    fine_col = col + _peak_offset([surface[row, (col + k) % width] for k in (-1, 0, 1)])
    masked = np.roll(np.roll(surface, -row + EXCLUDE, 0), -col + EXCLUDE, 1).copy()
    masked[:2 * EXCLUDE + 1, :2 * EXCLUDE + 1] = -np.inf
    second = float(masked.max())
    confidence = 0.0 if peak <= 0 else float(np.clip(1 - max(second, 0) / peak, 0, 1))
    dy = fine_row - height if fine_row > height / 2 else fine_row
    dx = fine_col - width if fine_col > width / 2 else fine_col
    return Shift(round(dx * reference.scale, 1), round(dy * reference.scale, 1), round(confidence, 3), why)
