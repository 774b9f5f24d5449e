"""The aim check (SPEC §20): shifts measured within a pixel, the day's light is no move, the night no verdict,
and `timelapse aim` with its errors."""

import io
import json
import re

import pytest
from PIL import Image

from aim_scenes import DAY, NIGHT, SHIFTS, scene, window, write_window
from conftest import requires_root, run_cli
from timelapse import cli
from timelapse.aim import shift as shifts
from timelapse.aim.words import in_words


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    return scene(tmp_path_factory.mktemp("scene"))


def reduced(data):
    return shifts.reduce_image(Image.open(io.BytesIO(data)))


@pytest.fixture(scope="module")
def reference(big):
    return reduced(window(big, 0, 0))


def test_shifts_up_to_a_tenth_of_the_width_are_measured_within_a_pixel_both_ways(big, reference):
    for dx, dy in SHIFTS:
        found = shifts.compare(reduced(window(big, dx, dy)), reference)
        assert found.verdict, (dx, dy, found)
        assert abs(found.dx - dx) <= 1 and abs(found.dy - dy) <= 1, ((dx, dy), found)


def test_the_same_scene_through_a_days_light_is_never_moved(big, reference):
    for relight in DAY:
        found = shifts.compare(reduced(window(big, 0, 0, relight)), reference)
        assert not found.verdict or found.length <= 1, found


def test_a_night_image_gives_no_verdict(big, reference):
    found = shifts.compare(reduced(window(big, 60, 0, NIGHT)), reference)
    assert not found.verdict and "too dark" in found.why


def test_a_featureless_image_gives_no_verdict(reference):
    out = io.BytesIO()
    Image.new("RGB", (1920, 1080), (120, 130, 140)).save(out, "JPEG")
    found = shifts.compare(reduced(out.getvalue()), reference)
    assert not found.verdict and "featureless" in found.why
    import numpy as np

    noise = np.random.default_rng(0).normal(128, 3, (1080, 1920, 3))  # fog, a lens cap in daylight: only noise
    out = io.BytesIO()
    Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8)).save(out, "JPEG")
    assert not shifts.compare(reduced(out.getvalue()), reference).verdict


def test_images_of_another_shape_cannot_be_compared(reference):
    out = io.BytesIO()
    Image.new("RGB", (1000, 1000), (120, 130, 140)).save(out, "JPEG")
    with pytest.raises(ValueError, match="differ in shape"):
        shifts.compare(reduced(out.getvalue()), reference)


def test_a_shift_is_said_in_words():
    assert in_words(-2.2, 13.6) == "2 px left, 14 px down"
    assert in_words(3, -1) == "3 px right, 1 px up"
    assert in_words(0.3, -0.2) == "in place"


@pytest.fixture
def site(tmp_path, write_config, big):
    """A config whose output_dir holds two images: the reference-to-be and one moved 40 px right, 25 px up."""
    images = tmp_path / "images"
    write_window(images / "2026/06/01/120000.jpg", big, 0, 0)
    write_window(images / "2026/06/01/130000.jpg", big, 40, -25)
    return write_config(f"storage: {{output_dir: {images}}}\n"), images


def test_aim_without_a_reference_says_how_to_set_one(site, capsys):
    config, _ = site
    assert cli.main(["--config", str(config), "aim"]) == 1
    err = capsys.readouterr().err
    assert "no aim reference yet" in err and "timelapse aim --set" in err


def test_aim_set_then_aim_prints_the_shift_of_the_latest_image(site, capsys):
    config, images = site
    assert cli.main(["--config", str(config), "aim", "--set", str(images / "2026/06/01/120000.jpg")]) == 0
    assert json.loads(capsys.readouterr().out)["reference"] == "2026-06-01T12:00:00"
    assert (images / ".aim/reference.jpg").is_file()
    result = run_cli("--config", config, "aim")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert abs(printed["dx"] - 40) <= 1 and abs(printed["dy"] + 25) <= 1
    assert printed["confidence"] > 0.5 and printed["reference"] == "2026-06-01T12:00:00"
    assert printed["image"].endswith("2026/06/01/130000.jpg")


def test_aim_of_a_damaged_image_names_it(site, tmp_path, capsys):
    config, images = site
    cli.main(["--config", str(config), "aim", "--set"])
    capsys.readouterr()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really")
    assert cli.main(["--config", str(config), "aim", str(broken)]) == 1
    err = capsys.readouterr().err
    assert str(broken) in err and "choose another image" in err
    assert cli.main(["--config", str(config), "aim", str(tmp_path / "none.jpg")]) == 1
    assert "no such image" in capsys.readouterr().err


def test_a_dark_image_cannot_be_the_reference(site, big, tmp_path, capsys):
    config, _ = site
    dark = write_window(tmp_path / "dark.jpg", big, 0, 0, NIGHT)
    assert cli.main(["--config", str(config), "aim", "--set", str(dark)]) == 1
    assert "too dark" in capsys.readouterr().err


def shift(dx, dy=0, verdict=True, why=None):
    return {"dx": dx, "dy": dy, "confidence": 0.9, "verdict": verdict, "why": why}


def test_two_checks_past_moved_are_moved_and_it_takes_half_of_it_to_be_back():
    from timelapse.aim.watch import step

    def after(*lengths):
        record = {}
        for length in lengths:
            record = step(record, shift(length), 20)
        return record["moved"]

    assert not after(25) and after(25, 30) and not after(25, 5, 30)
    assert after(25, 30, 15) and not after(25, 30, 10) and not after(25, 15, 30)


def test_a_check_without_a_verdict_changes_nothing():
    from timelapse.aim.watch import step

    record = step(step({}, shift(40), 20), shift(40), 20)
    dark = step(record, shift(0, verdict=False, why="too dark"), 20)
    assert dark["moved"] and dark["run"] == 2 and not dark["verdict"]


def test_daylight_is_the_sun_up_at_the_location_else_a_short_exposure_else_a_bright_image(big, tmp_path):
    import datetime

    from timelapse.aim.probe import is_daylight
    from timelapse.exif import with_exif

    taken = datetime.datetime(2026, 6, 1, 23, 30).astimezone()
    bright = window(big, 0, 0)
    night_exposure = tmp_path / "night.jpg"
    night_exposure.write_bytes(with_exif(bright, taken, exposure_time_us=2_000_000, analogue_gain=8.0))
    day_exposure = tmp_path / "day.jpg"
    day_exposure.write_bytes(with_exif(bright, taken, exposure_time_us=2_000, analogue_gain=1.0))
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(bright)
    assert not is_daylight(tmp_path, str(night_exposure), reduced(bright))  # bright only by auto exposure
    assert is_daylight(tmp_path, str(day_exposure), reduced(bright))
    assert is_daylight(tmp_path, str(plain), reduced(bright))
    assert not is_daylight(tmp_path, str(plain), reduced(window(big, 0, 0, NIGHT)))
    root = tmp_path / "images"
    midnight, noon = root / "2026/06/01/233000.jpg", root / "2026/06/01/110000.jpg"
    midnight.parent.mkdir(parents=True)
    midnight.write_bytes(bright)
    noon.write_bytes(bright)
    oslo = (59.91, 10.75)
    assert not is_daylight(root, str(midnight), reduced(bright), oslo)  # the sun is down, however bright the image
    assert is_daylight(root, str(noon), reduced(bright), oslo)


@requires_root
def test_a_reference_set_by_root_belongs_to_the_owner_of_output_dir(site, capsys):
    import os

    config, images = site
    os.chown(images, 65534, 65534)
    assert cli.main(["--config", str(config), "aim", "--set"]) == 0
    for path in (images / ".aim", images / ".aim/reference.jpg", images / ".aim/reference.json"):
        assert os.stat(path).st_uid == 65534, path


def test_status_shows_where_the_picture_lies_from_the_reference(site):
    import time

    from timelapse import config as config_module
    from timelapse.aim.watch import judge

    config, images = site
    assert cli.main(["--config", str(config), "aim", "--set", str(images / "2026/06/01/120000.jpg")]) == 0
    settings = config_module.load(str(config))
    for _ in range(2):  # the first call sees the new reference; the second checks against it
        assert judge(settings, time.time(), str(images / "2026/06/01/130000.jpg"), every=0) is False  # no alert yet
    result = run_cli("--config", config, "status")
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("aim:"))
    assert re.search(r"aim: +(39|40|41) px right, 2[456] px up from the reference of 2026-06-01T12:00:00", line), line
    printed = json.loads(run_cli("--config", config, "status", "--json").stdout)
    assert abs(printed["aim"]["dx"] - 40) <= 1 and printed["aim"]["moved"] is False


def test_a_live_frame_scaled_down_and_rounded_is_compared_in_full_image_pixels(big, reference):
    frame = Image.open(io.BytesIO(window(big, -30, 20))).resize((641, 359))  # the camera's rounding, off by one
    found = shifts.compare(shifts.reduce_image(frame, like=reference), reference)
    assert found.verdict and abs(found.dx + 30) <= 4 and abs(found.dy - 20) <= 4, found  # 1 live px = 3 full px


def test_a_hostile_last_check_file_reads_as_no_check(site):
    from timelapse.aim.watch import summary

    config, images = site
    assert cli.main(["--config", str(config), "aim", "--set"]) == 0
    record = json.loads((images / ".aim/reference.json").read_text())
    (images / ".aim/last.json").write_text(json.dumps({"reference_set": record["set"], "dx": "1e9", "dy": None,
                                                       "checked": "soon", "run": [1], "moved": True}))
    aim = summary(str(images))
    assert aim["length"] is None and aim["moved"] is False
