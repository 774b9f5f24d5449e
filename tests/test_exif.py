"""EXIF written into saved images: the instant with its offset, and the exposure (SPEC §6, §16)."""

import datetime
import io

import pytest
from PIL import Image

from timelapse.camera.base import encode_rgb
from timelapse.exif import EXIF_IFD, EXPOSURE_TIME, ISO_SPEED_RATINGS, taken_at, with_exif


def jpeg(size=(64, 48)):
    return encode_rgb(Image.new("RGB", size, (90, 120, 150)), size, 85)


def test_the_instant_and_its_offset_survive_in_the_file():
    taken = datetime.datetime(2026, 10, 25, 2, 30, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    image = Image.open(io.BytesIO(with_exif(jpeg(), taken)))
    image.load()
    assert taken_at(image) == taken
    assert image.getexif().get_ifd(EXIF_IFD)[0x9011] == "+01:00"


def test_a_negative_offset_with_minutes_is_written_as_such():
    taken = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone(-datetime.timedelta(hours=3, minutes=30)))
    image = Image.open(io.BytesIO(with_exif(jpeg(), taken)))
    assert taken_at(image) == taken


def test_exposure_time_and_gain_are_recorded_as_exif_exposure_and_iso():
    taken = datetime.datetime.now().astimezone()
    image = Image.open(io.BytesIO(with_exif(jpeg(), taken, exposure_time_us=20000, analogue_gain=4.0)))
    tags = image.getexif().get_ifd(EXIF_IFD)
    assert float(tags[EXPOSURE_TIME]) == pytest.approx(0.02)
    assert tags[ISO_SPEED_RATINGS] == 400


def test_the_image_data_is_untouched_and_still_decodes():
    original = jpeg((320, 240))
    tagged = with_exif(original, datetime.datetime.now().astimezone())
    assert tagged.endswith(original[-1000:])
    assert Image.open(io.BytesIO(tagged)).convert("RGB").tobytes() == Image.open(io.BytesIO(original)).convert("RGB").tobytes()


def test_a_naive_time_or_a_non_jpeg_is_refused():
    with pytest.raises(ValueError):
        with_exif(jpeg(), datetime.datetime.now())
    with pytest.raises(ValueError, match="not a JPEG"):
        with_exif(b"GIF89a", datetime.datetime.now().astimezone())
