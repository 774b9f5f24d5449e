"""Scenes for the aim tests and bench: one larger picture (ffmpeg's testsrc2, a busy test card), and
1920x1080 windows cut from it at known offsets, through a day's light (SPEC §20)."""

import io
import subprocess

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 1920, 1080
MARGIN = 200  # the scene is this much larger on each side: windows move up to MARGIN pixels (> 10 %)
SHIFTS = [(0, 0), (1, 0), (0, -1), (5, -3), (-17, 11), (100, -60), (-150, 90), (192, 0), (0, -150),
          (-192, 150), (37, -71), (-3, 158)]  # (dx, dy) of the picture's content; up to 10 % of the width


def scene(directory):
    """Return the larger scene (a PIL RGB image), made once in ``directory`` by ffmpeg."""
    path = directory / "scene.png"
    if not path.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size={WIDTH + 2 * MARGIN}x{HEIGHT + 2 * MARGIN}:rate=1", "-frames:v", "1",
                        str(path)], check=True)
    return Image.open(path).convert("RGB")


def light(brightness=1.0, gamma=1.0, noise=0.0, seed=0):
    """Return a function that relights an RGB float array (0..255): scale, gamma and sensor noise."""
    rng = np.random.default_rng(seed)

    def apply(pixels):
        lit = 255.0 * (pixels / 255.0) ** gamma * brightness
        return lit + rng.normal(0, noise, pixels.shape) if noise else lit
    return apply


DAY = [light(0.12, 1.6, 3, 1), light(0.35, 1.3, 2, 2), light(0.7, 1.1, 1.5, 3), light(1.0), light(1.3, 0.8, 1, 4),
       light(0.9, 1.0, 2, 5), light(0.4, 1.4, 3, 6)]  # dawn to dusk; the night is too dark for a verdict
NIGHT = light(0.03, 1.0, 2, 7)


def window(big, dx, dy, relight=None, quality=85):
    """Return JPEG bytes of the 1920x1080 window whose content lies (dx, dy) from the centred one."""
    left, top = MARGIN - dx, MARGIN - dy
    pixels = np.asarray(big.crop((left, top, left + WIDTH, top + HEIGHT)), dtype=np.float32)
    if relight:
        pixels = relight(pixels)
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def write_window(path, big, dx=0, dy=0, relight=None):
    """Write window() to ``path`` (its folders made); return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(window(big, dx, dy, relight))
    return path
