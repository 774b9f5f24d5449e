"""Image names and a day's order: the repeated hour of a DST change is written as HHMMSS_2.jpg and
every reader orders a day by the real instant (SPEC §6 Naming)."""

import datetime
import io
import random

import pytest
from PIL import Image

from timelapse.exif import taken_at, with_exif
from timelapse.archive import ImageName, image_path, in_real_order, parse_image_name
from timelapse.names import SlotNamer

BERLIN_SUMMER = datetime.timezone(datetime.timedelta(hours=2))
BERLIN_WINTER = datetime.timezone(datetime.timedelta(hours=1))


def jpeg(when=None, colour=(90, 90, 90)):
    """Return a small JPEG, with EXIF DateTimeOriginal + OffsetTimeOriginal for aware ``when``."""
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, "JPEG")
    return with_exif(out.getvalue(), when) if when else out.getvalue()


def plant_autumn_night(output):
    """Plant 2026-10-25 in Berlin: 01:59, the first pass of 02:00-02:59 (+02:00), its second pass (_2, +01:00), 03:00."""
    summer, winter = (datetime.timezone(datetime.timedelta(hours=h)) for h in (2, 1))
    taken = ([("015900.jpg", datetime.datetime(2026, 10, 25, 1, 59, tzinfo=summer))]
             + [(f"02{m:02d}00.jpg", datetime.datetime(2026, 10, 25, 2, m, tzinfo=summer)) for m in range(0, 60, 15)]
             + [(f"02{m:02d}00_2.jpg", datetime.datetime(2026, 10, 25, 2, m, tzinfo=winter)) for m in range(0, 60, 15)]
             + [("030000.jpg", datetime.datetime(2026, 10, 25, 3, 0, tzinfo=winter))])
    folder = output / "2026/10/25"
    folder.mkdir(parents=True, exist_ok=True)
    for index, (name, when) in enumerate(taken):
        (folder / name).write_bytes(jpeg(when, colour=(index * 20, 0, 0)))
    return folder, [name for name, _ in taken]


def names(*texts):
    return [parse_image_name(text) for text in texts]


def minutes(hour, second_pass=False, step=1):
    return [f"{hour:02d}{minute:02d}00{'_2' if second_pass else ''}.jpg" for minute in range(0, 60, step)]


@pytest.mark.parametrize("name", ["120000_2.jpg", "000000.jpg", "235959_2.jpg"])
def test_plain_and_second_pass_names_are_images(name):
    image = parse_image_name(name)
    assert image is not None and image.second_pass == name.endswith("_2.jpg")


@pytest.mark.parametrize("name", ["120000_3.jpg", "120000_2_2.jpg", "120000_2.jpeg", "120000_.jpg", "1200002.jpg",
                                  "246000.jpg", "126000_2.jpg", ".120000_2.jpg.12.tmp", "../120000.jpg",
                                  "120000.jpg/", "120000_2.jpg\n", "120000_2.JPG", "", None])
def test_anything_else_is_not_an_image_name(name):
    assert parse_image_name(name) is None


def test_the_autumn_night_plays_the_repeated_hour_once_then_again_never_interleaved():
    day = ["015900.jpg"] + minutes(2) + minutes(2, second_pass=True) + ["030000.jpg", "030100.jpg"]
    shuffled = random.Random(4).sample(day, len(day))
    assert [n for n in in_real_order(shuffled, parse_image_name)] == day


def test_while_the_second_pass_is_still_running_the_first_pass_comes_first():
    # 02:10 in the second pass: the first pass 02:00-02:59 is all there, the second has begun.
    day = minutes(1)[-3:] + minutes(2) + minutes(2, second_pass=True)[:11]
    assert in_real_order(sorted(day), parse_image_name) == day


def test_a_half_hour_shift_repeats_half_an_hour_in_order():
    # Australia/Lord_Howe: 02:00 +11:00 becomes 01:30 +10:30.
    day = minutes(1, step=5) + [f"01{m:02d}00_2.jpg" for m in range(30, 60, 5)] + ["020000.jpg"]
    assert in_real_order(sorted(day), parse_image_name) == day


def test_a_day_without_a_repeat_is_in_time_order():
    day = ["000000.jpg", "000001.jpg", "120000.jpg", "235959.jpg"]
    assert in_real_order(reversed(day), parse_image_name) == day


def test_items_of_any_shape_are_ordered_by_their_name():
    items = [(ImageName(datetime.time(2, 0), True), 10), (ImageName(datetime.time(2, 30), False), 20)]
    assert in_real_order(items, lambda item: item[0]) == items[::-1]


def test_the_second_pass_of_a_dst_repeat_is_named_2_even_when_no_first_pass_exists(tmp_path):
    namer = SlotNamer(tmp_path)
    first = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN_SUMMER)
    second = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN_WINTER, fold=1)
    assert namer.choose(first) == (tmp_path / "2026/10/25/023000.jpg", True)
    assert namer.choose(second) == (tmp_path / "2026/10/25/023000_2.jpg", True)


def test_a_name_taken_at_the_same_offset_is_a_clock_step_back_and_not_free(tmp_path):
    when = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN_WINTER)
    path = image_path(tmp_path, when)
    path.parent.mkdir(parents=True)
    path.write_bytes(jpeg(when))
    assert SlotNamer(tmp_path).choose(when) == (path, False)
    path.write_bytes(b"not a jpeg")  # no offset recorded: never guessed to be another pass
    assert SlotNamer(tmp_path).choose(when) == (path, False)


def test_a_name_taken_at_another_offset_is_the_repeat_after_a_restart(tmp_path):
    first = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN_SUMMER)
    path = image_path(tmp_path, first)
    path.parent.mkdir(parents=True)
    path.write_bytes(jpeg(first))
    again = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN_WINTER)  # fold unknown: a zone changed
    assert SlotNamer(tmp_path).choose(again) == (tmp_path / "2026/10/25/023000_2.jpg", True)
    (tmp_path / "2026/10/25/023000_2.jpg").write_bytes(jpeg(again))
    assert SlotNamer(tmp_path).choose(again) == (tmp_path / "2026/10/25/023000_2.jpg", False)


def test_after_the_zone_moves_west_slots_are_second_pass_until_local_time_passes_the_first():
    namer = SlotNamer("/nonexistent")
    utc, east = datetime.timezone.utc, datetime.timezone(datetime.timedelta(hours=3))
    assert namer.choose(datetime.datetime(2026, 6, 1, 14, 23, tzinfo=east))[0].name == "142300.jpg"
    # The zone is set to UTC: 11:24 local, three hours of names repeat.
    assert namer.choose(datetime.datetime(2026, 6, 1, 11, 24, tzinfo=utc))[0].name == "112400_2.jpg"
    assert namer.choose(datetime.datetime(2026, 6, 1, 14, 23, tzinfo=utc))[0].name == "142300_2.jpg"
    assert namer.choose(datetime.datetime(2026, 6, 1, 14, 24, tzinfo=utc))[0].name == "142400.jpg"


def test_exif_carries_the_offset_of_each_pass():
    first = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN_SUMMER)
    second = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN_WINTER)
    for when in (first, second):
        with Image.open(io.BytesIO(jpeg(when))) as image:
            assert taken_at(image) == when and taken_at(image).utcoffset() == when.utcoffset()
