"""EXIF for saved images: the instant each was taken, and the exposure it was taken with.

File names carry local wall time only (an hour repeats when the clocks go back, SPEC §6); the EXIF
``DateTimeOriginal`` with ``OffsetTimeOriginal`` (EXIF 2.31) keeps the real instant with the image,
through any copy. ``ExposureTime`` and ``ISOSpeedRatings`` (analogue gain × 100, the usual mapping for
Raspberry Pi sensors, whose base ISO is taken as 100 at gain 1) record what the camera used (SPEC §16).

The block is built by Pillow (``Image.Exif``) and spliced into the camera's JPEG as an APP1 segment:
no re-encode, so it costs microseconds on the capture path, and the image data is untouched.
"""

import datetime
from fractions import Fraction

from PIL import Image, TiffImagePlugin

# Tag numbers from the EXIF 2.32 specification (CIPA DC-008), as Pillow's ExifTags names them.
EXIF_IFD = 0x8769
EXPOSURE_TIME = 0x829A
ISO_SPEED_RATINGS = 0x8827
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011

SOI = b"\xff\xd8"
APP0 = b"\xff\xe0"
APP1 = b"\xff\xe1"


def exif_block(taken, exposure_time_us=None, analogue_gain=None):
    """Return the EXIF block (``b"Exif\\0\\0"`` + TIFF data) for an image.

    ``taken`` is an aware datetime (its offset becomes ``OffsetTimeOriginal``, "+01:00");
    ``exposure_time_us`` (int, microseconds) and ``analogue_gain`` (float, 1.0 = no gain) are
    left out when None. Raise ValueError if ``taken`` is naive: a local time without its offset
    is exactly what EXIF is here to avoid.
    """
    offset = taken.utcoffset()
    if offset is None:
        raise ValueError("taken must carry its UTC offset (an aware datetime)")
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    tags = {DATETIME_ORIGINAL: taken.strftime("%Y:%m:%d %H:%M:%S"),
            OFFSET_TIME_ORIGINAL: f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"}
    if exposure_time_us:
        seconds = Fraction(int(exposure_time_us), 1_000_000).limit_denominator(1_000_000)
        tags[EXPOSURE_TIME] = TiffImagePlugin.IFDRational(seconds.numerator, seconds.denominator)
    if analogue_gain:
        tags[ISO_SPEED_RATINGS] = max(1, min(65535, round(float(analogue_gain) * 100)))
    exif = Image.Exif()
    exif[EXIF_IFD] = tags  # a dict is written as the nested Exif IFD by Pillow 9.4 (bookworm) and 10+ (trixie)
    return exif.tobytes()


def with_exif(jpeg, taken, exposure_time_us=None, analogue_gain=None):
    """Return ``jpeg`` (bytes) with an EXIF APP1 segment for ``taken`` and the exposure.

    The segment goes after a JFIF APP0 when there is one (so the file stays valid JFIF),
    else straight after SOI. Any EXIF segment the camera wrote itself is kept after ours; readers
    take the first. Raise ValueError if ``jpeg`` does not start with a JPEG SOI marker.
    """
    if not jpeg.startswith(SOI):
        raise ValueError("not a JPEG (no SOI marker)")
    block = exif_block(taken, exposure_time_us, analogue_gain)
    segment = APP1 + (len(block) + 2).to_bytes(2, "big") + block
    at = 2
    if jpeg[2:4] == APP0:
        at = 4 + int.from_bytes(jpeg[4:6], "big")
    return b"".join((jpeg[:at], segment, jpeg[at:]))


def taken_at(image):
    """Return the aware datetime an open Pillow image says it was taken, or None if it does not say."""
    tags = image.getexif().get_ifd(EXIF_IFD)
    stamp, offset = tags.get(DATETIME_ORIGINAL), tags.get(OFFSET_TIME_ORIGINAL)
    if not stamp or not offset:
        return None
    try:
        return datetime.datetime.strptime(f"{stamp} {offset.replace(':', '')}", "%Y:%m:%d %H:%M:%S %z")
    except ValueError:
        return None


def exposure_of(image):
    """Return (exposure time in seconds, analogue gain) that an open Pillow image's EXIF records, or None
    when either is missing or not positive (a USB camera writes neither; SPEC §16, §19)."""
    tags = image.getexif().get_ifd(EXIF_IFD)
    exposure, iso = tags.get(EXPOSURE_TIME), tags.get(ISO_SPEED_RATINGS)
    if isinstance(iso, tuple):  # some writers store ISOSpeedRatings as a list
        iso = iso[0] if iso else None
    try:
        seconds, gain = float(exposure), float(iso) / 100
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return (seconds, gain) if seconds > 0 and gain > 0 else None
