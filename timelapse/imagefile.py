"""Every image under output_dir may be damaged: the one place that opens them, bounded, and the
one record of which are damaged, so that each is named once, not on every request.

A file may be empty (a power cut without atomic writes, a copy from elsewhere), truncated, not a
JPEG at all, a JPEG with a broken body, or a header claiming enormous dimensions (a decompression
bomb: a few bytes that would decode to gigabytes). Readers (thumbnails, keogram, render, the web
listing and zip) ask here and skip the file or show a placeholder; nothing raises past them.

Decoding is bounded twice: a header over MAX_PIXELS is refused before any pixel is decoded
(Pillow's own limit, its DecompressionBombWarning made an error), and readers decode at reduced
size (``draft``: the JPEG decoder itself scales by 1/2 .. 1/8), so a reader never holds more than
about MAX_PIXELS / 64 * 3 bytes (under 4 MB) for a thumbnail or a keogram column.
"""

import io
import logging
import os
import threading
import warnings
from collections import OrderedDict

from timelapse.errors import DamagedImage

# The largest sensor a Pi takes (Arducam's 64 MP, 9152 x 6944) with room to spare; a full RGB
# decode of this is 240 MB, so readers never decode at full size (see draft_open).
MAX_PIXELS = 80_000_000

EOI = b"\xff\xd9"  # a JPEG ends with its end-of-image marker; 0xFF in the entropy-coded data is stuffed
REMEMBERED = 4096  # damaged files remembered (each named once); the oldest are forgotten first

log = logging.getLogger("timelapse.images")


def pillow():
    """Return PIL.Image with this module's bounds set (imported on first use: the web server's idle
    RSS, SPEC §10, has no Pillow until an image is decoded)."""
    from PIL import Image

    with _BOUNDS_SET:
        if not _bounds_set:
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here that is an error too.
            warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
            _bounds_set.append(True)
    return Image


_BOUNDS_SET = threading.Lock()
_bounds_set = []  # non-empty once pillow() has set Pillow's bounds (once: a test may lower them after)


def quick_check(path):
    """Return why ``path`` is not a usable JPEG from its length and last 32 bytes (empty, truncated), or None.

    Costs one open and a 32-byte read: cheap enough for every frame of a render or a zip.
    """
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            length = stream.tell()
            if length == 0:
                return "empty file"
            stream.seek(max(0, length - 32))
            if EOI not in stream.read():
                return "truncated (no JPEG end marker)"
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    return None


def _opened(path):
    """Return the opened (header-read, not decoded) image; raise DamagedImage if it cannot be used."""
    Image = pillow()
    try:
        image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DamagedImage(path, f"dimensions too large (over {MAX_PIXELS / 1e6:g} MP)") from None
    except FileNotFoundError:
        raise
    except Exception as exc:  # Pillow's plugins raise many kinds on hostile input; all mean "not an image"
        raise DamagedImage(path, "empty file" if _empty(path) else _why(exc)) from None
    width, height = image.size
    limit = min(MAX_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_PIXELS)  # Pillow only warns up to twice its limit
    if width < 1 or height < 1 or width * height > limit:
        image.close()
        raise DamagedImage(path, f"dimensions {width}x{height} too large (at most {limit / 1e6:g} MP)")
    if image.format != "JPEG":
        image.close()
        raise DamagedImage(path, f"not a JPEG (a {image.format} image)")
    return image


def opened(path):
    """Return the JPEG at ``path`` opened (header read, nothing decoded), for a reader that needs its EXIF
    and a reduced decode from one open; raise DamagedImage if it cannot be used, FileNotFoundError if gone."""
    return _opened(path)


def header_size(path):
    """Return (width, height) from the JPEG's header (nothing decoded); raise DamagedImage if unusable."""
    with _opened(path) as image:
        return image.size


def decode_reduced(path, size):
    """Return the image at ``path`` as RGB, decoded at the smallest JPEG scale at least ``size`` (w, h).

    ``size`` may be a function of the full (width, height) returning the wanted (w, h). Raise
    DamagedImage if it is not a JPEG, is truncated or broken, or is too large; FileNotFoundError if
    it is gone. The result may be larger than ``size`` (up to twice): callers resize.
    """
    with _opened(path) as image:
        want = size(image.size) if callable(size) else size
        try:
            image.draft("RGB", (max(1, want[0]), max(1, want[1])))
            return image.convert("RGB")
        except Exception as exc:  # a broken body surfaces here, as OSError, SyntaxError, ...
            raise DamagedImage(path, _why(exc)) from None


def _empty(path):
    try:
        return os.path.getsize(path) == 0
    except OSError:
        return False


def _why(exc):
    text = str(exc).strip() or type(exc).__name__
    if "cannot identify image file" in text:
        return "not an image (Pillow cannot identify it)"
    return f"not a readable JPEG ({text})"


class DamageLog:
    """Damaged files seen by a long-running reader: each is warned about once, and not decoded again
    while it is unchanged (its size and mtime). Thread-safe (thumbnails are made in worker threads)."""

    def __init__(self, logger=log, limit=REMEMBERED):
        self.logger, self.limit = logger, limit
        self._seen = OrderedDict()  # path -> ((mtime_ns, size), why)
        self._lock = threading.Lock()

    @staticmethod
    def _stamp(path):
        try:
            status = os.stat(path)
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def known(self, path):
        """Return why ``path`` was found damaged, if it was and has not changed since; else None."""
        stamp = self._stamp(path)
        with self._lock:
            entry = self._seen.get(str(path))
        return entry[1] if entry and entry[0] == stamp else None

    def record(self, damaged):
        """Note a DamagedImage; log one warning naming the file the first time (or after it changed)."""
        stamp = self._stamp(damaged.path)
        with self._lock:
            entry = self._seen.get(damaged.path)
            if entry and entry[0] == stamp:
                return
            self._seen[damaged.path] = (stamp, damaged.why)
            while len(self._seen) > self.limit:
                self._seen.popitem(last=False)
        self.logger.warning("damaged image %s: %s (shown as a placeholder, skipped by renders)",
                            damaged.path, damaged.why)


_PLACEHOLDERS = {}


def placeholder(width=320, height=180, text="damaged image"):
    """Return JPEG bytes of a grey placeholder saying ``text`` (made once per size)."""
    key = (width, height, text)
    if key not in _PLACEHOLDERS:
        from PIL import ImageDraw

        canvas = pillow().new("RGB", (width, height), (64, 64, 64))
        draw = ImageDraw.Draw(canvas)
        draw.line((0, 0, width - 1, height - 1), fill=(110, 110, 110), width=2)
        draw.line((0, height - 1, width - 1, 0), fill=(110, 110, 110), width=2)
        box = draw.textbbox((0, 0), text)
        draw.rectangle(((width - box[2]) // 2 - 6, (height - box[3]) // 2 - 4,
                        (width + box[2]) // 2 + 6, (height + box[3]) // 2 + 4), fill=(64, 64, 64))
        draw.text(((width - box[2]) // 2, (height - box[3]) // 2), text, fill=(230, 230, 230))
        out = io.BytesIO()
        canvas.save(out, "JPEG", quality=80)
        _PLACEHOLDERS[key] = out.getvalue()
    return _PLACEHOLDERS[key]
