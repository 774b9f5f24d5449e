"""The night sky (SPEC §19) on a planted night: JPEGs with EXIF written straight into a day tree by
tests/night_sky.py (no camera), run through the real commands."""

import datetime
import hashlib
import json
import shutil
import tracemalloc
import types

import numpy as np
import pytest
from PIL import Image

from timelapse import archive
from timelapse.night.frames import night_frames, night_span
from timelapse.night.startrails import startrails
from timelapse.night.stars import sky_of
from timelapse.window import ActiveHours, Location, Moment

from conftest import run_cli
from night_sky import SKY, plant_night

EVENING = datetime.date(2026, 11, 21)
NIGHT = archive.Period.night(EVENING)


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """One planted night (17:00 to 07:00 every 5 minutes, 640 x 360) and a config naming it."""
    base = tmp_path_factory.mktemp("night")
    output = base / "images"
    planted = plant_night(output, EVENING)
    config = base / "timelapse.yml"
    config.write_text(f"storage: {{output_dir: {output}}}\nrender: {{height: 180}}\n")
    return types.SimpleNamespace(output=output, config=config, planted=planted, digest=tree_digest(output))


@pytest.fixture(scope="module")
def trails(night):
    """`timelapse startrails EVENING` run once on the planted night."""
    return run_cli("--config", night.config, "startrails", str(EVENING))


def tree_digest(root):
    """Return {relative path: sha256} of every file under the day folders of ``root``."""
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for day in archive.day_dirs(root) for path in sorted(day.path.iterdir())}


def capture(**keys):
    return types.SimpleNamespace(**{"active_hours": None, "location": None, **keys})


def test_a_night_runs_from_the_evening_to_the_morning_across_midnight_in_the_order_taken(night):
    frames = night_frames(night.output, night_span(capture(), EVENING))
    assert frames[0].when == datetime.datetime(2026, 11, 21, 18, 0)
    assert frames[-1].when == datetime.datetime(2026, 11, 22, 5, 55)
    assert [f.instant for f in frames] == sorted(f.instant for f in frames)
    assert len(frames) == 12 * 12


def test_a_night_capture_window_is_the_night_and_a_location_gives_dusk_to_dawn():
    window = ActiveHours(Moment("clock", 20 * 60, 0), Moment("clock", 5 * 60, 0))
    span = night_span(capture(active_hours=window), EVENING)
    assert span.source == "capture window"
    assert datetime.datetime.fromtimestamp(span.opens).time() == datetime.time(20)
    assert datetime.datetime.fromtimestamp(span.closes) == datetime.datetime(2026, 11, 22, 5)
    day_window = ActiveHours(Moment("clock", 8 * 60, 0), Moment("clock", 16 * 60, 0))
    oslo = night_span(capture(active_hours=day_window, location=Location(59.91, 10.75)), EVENING)
    assert oslo.source == "dusk to dawn"
    assert datetime.datetime.fromtimestamp(oslo.opens).date() == EVENING
    assert datetime.datetime.fromtimestamp(oslo.closes).date() == EVENING + datetime.timedelta(days=1)
    assert night_span(capture(), EVENING).source == "18:00 to 06:00"


def test_startrails_leave_out_dusk_dawn_and_the_lit_frames_with_their_reasons(night, trails):
    result = trails
    assert result.returncode == 0, result.stderr
    assert "left out: 8 dawn, 9 dusk, 3 lit" in result.stdout
    path = archive.product_path(night.output, archive.Product(NIGHT, "startrails"))
    trails = np.asarray(Image.open(path).convert("L"), dtype=float)
    lit = np.asarray(Image.open(night.planted.frames[night.planted.lit[0]]).convert("L").reduce(2), dtype=float)
    bottom = slice(trails.shape[0] * 3 // 4, None)
    assert lit[bottom].mean() > 150  # the headlights' glow ...
    assert np.median(trails[bottom]) < SKY + 25  # ... is not in the startrails
    assert np.count_nonzero(trails > 100) > 0.03 * trails.size  # the trails are
    assert tree_digest(night.output) == night.digest


def test_star_counts_say_clear_through_the_night_and_cloudy_in_the_cloud_hour(night, trails):
    assert trails.returncode == 0, trails.stderr
    document = json.loads(archive.sidecar_path(night.output, NIGHT).read_text())
    by_time = {entry["time"][11:16]: entry for entry in document["stars"]}
    assert document["sky"] == "clear"
    assert {by_time[t]["sky"] for t in ("03:00", "03:20", "03:55")} == {"cloudy"}
    assert {by_time[t]["sky"] for t in ("22:00", "00:00", "04:30")} == {"clear"}
    assert by_time["18:00"]["sky"] == "unknown"  # dusk says nothing about clouds
    assert sky_of(None) == "unknown"


def test_meteors_finds_nine_of_ten_planted_and_no_satellite_aircraft_or_headlight(night):
    before = tree_digest(night.output)
    result = run_cli("--config", night.config, "meteors", str(EVENING))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["left_out"] == {"dusk": 9, "dawn": 8, "lit": 3, "unreadable": 0}
    planted = {night.planted.frames[i].relative_to(night.output).as_posix(): line
               for i, line in night.planted.meteors}
    found = false = 0
    for candidate in document["candidates"]:
        assert set(candidate) >= {"time", "image", "line", "length_px", "brightness"}
        line = planted.get(candidate["image"])
        x1, y1, x2, y2 = candidate["line"]
        if line and abs((x1 + x2) / 2 - (line[0] + line[2]) / 2) < 10 and abs((y1 + y2) / 2 - (line[1] + line[3]) / 2) < 10:
            found += 1
        else:
            false += 1
        crop = night.output / candidate["crop"]
        assert Image.open(crop).format == "JPEG"
    assert found >= 0.9 * len(planted)
    assert false <= 1
    assert document["rejected"]["moving on"] >= len(night.planted.satellites)
    assert json.loads(archive.product_path(night.output, archive.Product(NIGHT, "meteors")).read_text()) == document
    assert tree_digest(night.output) == before


def test_render_night_makes_one_video_from_dusk_to_dawn_across_the_date_change(night):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is not installed (make deps)")
    before = tree_digest(night.output)
    result = run_cli("--config", night.config, "render", "--night", str(EVENING), timeout=300)
    assert result.returncode == 0, result.stderr
    video = archive.video_path(night.output, NIGHT)
    assert video.name == "2026-11-21-night.mp4"
    keogram = Image.open(archive.keogram_path(night.output, NIGHT))
    assert keogram.width == 144  # a column per frame, 18:00 to 05:55
    import subprocess
    probe = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                            "stream=nb_read_frames", "-of", "csv=p=0", str(video)], capture_output=True, text=True)
    assert probe.stdout.strip() == "144"
    assert tree_digest(night.output) == before


def test_a_range_or_a_bad_day_is_a_usage_error(night):
    result = run_cli("--config", night.config, "meteors", "2026-11-20..2026-11-21")
    assert result.returncode == 2
    assert "one night" in result.stderr
    result = run_cli("--config", night.config, "startrails", "2026-13-01")
    assert result.returncode == 2


def test_a_night_without_images_exits_66_naming_the_night(night):
    result = run_cli("--config", night.config, "startrails", "2026-01-01")
    assert result.returncode == 66
    assert "no images for the night of 2026-01-01" in result.stderr


def test_frames_without_exposure_exif_are_judged_by_brightness_said_once(tmp_path):
    output = tmp_path / "images"
    for minute in range(0, 60, 10):
        when = datetime.datetime.combine(EVENING, datetime.time(22, minute))
        path = archive.image_path(output, when)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 48), (20, 20, 30)).save(path, "JPEG")
    config = tmp_path / "timelapse.yml"
    config.write_text(f"storage: {{output_dir: {output}}}\n")
    result = run_cli("--config", config, "startrails", str(EVENING))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("6 of 6 frames have no exposure EXIF") == 1


def test_startrails_memory_is_one_accumulator_however_long_the_night(tmp_path):
    paths = []
    for index in range(60):
        path = tmp_path / f"{index:03d}.jpg"
        pixels = np.random.default_rng(index).integers(0, 60, (360, 640, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(path, "JPEG", quality=80)
        paths.append(path)

    def peak(count):
        tracemalloc.start()
        image, used = startrails(iter(paths[:count]))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert used == count
        return top

    frame = 320 * 180 * 3  # one half-size decode
    assert peak(60) - peak(6) < frame


def test_the_shipped_config_says_render_night_false():
    from timelapse.config.schema import OPTIONS
    assert [o.default for o in OPTIONS if (o.section, o.key) == ("render", "night")] == [False]


def test_the_newest_image_says_clear_cloudy_or_unknown_and_mqtt_state_carries_it(night):
    from timelapse.alerts.channels.mqtt import state_document
    from timelapse.alerts.snapshot import Snapshot
    from timelapse.night.sky_now import sky_now

    def at(hour, minute, day=EVENING + datetime.timedelta(days=1)):
        return str(archive.image_path(night.output, datetime.datetime.combine(day, datetime.time(hour, minute))))

    assert sky_now(night.output, at(3, 30))["sky"] == "cloudy"
    assert sky_now(night.output, at(17, 0, EVENING)) == {"stars": None, "sky": "unknown"}  # dusk: says nothing
    assert sky_now(night.output, "/etc/passwd") == {"stars": None, "sky": "unknown"}
    assert sky_now(night.output, None)["sky"] == "unknown"
    settings = types.SimpleNamespace(storage=types.SimpleNamespace(output_dir=night.output))
    # The MQTT state: darkness from the status' exposure figures of that image, stars from a child process.
    from PIL import Image, ImageStat

    from timelapse.exif import exposure_of

    with Image.open(at(1, 0)) as image:
        seconds, gain = exposure_of(image)
        brightness = ImageStat.Stat(image.convert("L")).mean[0] / 255
    dark = {"exposure_time_us": seconds * 1e6, "analogue_gain": gain, "brightness": brightness}
    document = state_document(Snapshot(now=0, settings=settings, status={"exposure": dark}, running=True,
                                       last_image=at(1, 0)), ())
    assert document["sky"] == "clear" and document["stars"] >= 10
    daylight = {"exposure_time_us": 1000, "analogue_gain": 1.0, "brightness": 0.4}
    for status in ({"exposure": daylight}, {}):  # a daytime exposure, or none known (USB): no decode, unknown
        document = state_document(Snapshot(now=0, settings=settings, status=status, running=True,
                                           last_image=at(3, 30)), ())
        assert (document["sky"], document["stars"]) == ("unknown", None)


def test_timelapse_status_says_the_night_sky_of_a_dark_newest_image(night, tmp_path):
    status_file = tmp_path / "status.json"
    newest = archive.image_path(night.output, datetime.datetime(2026, 11, 22, 1, 0))
    status_file.write_text(json.dumps({"state": "capturing", "pid": 999999, "last_image": str(newest)}))
    config = tmp_path / "timelapse.yml"
    config.write_text(f"storage: {{output_dir: {night.output}}}\ndaemon: {{status_file: {status_file}}}\n")
    result = run_cli("--config", config, "status")
    assert "  night sky:         clear (" in result.stdout, result.stdout


def test_the_nightly_run_takes_the_last_night_that_has_ended():
    from timelapse.night.products import last_ended

    def at(day, hour):
        return datetime.datetime.combine(day, datetime.time(hour)).timestamp()

    morning = EVENING + datetime.timedelta(days=1)
    assert last_ended(capture(), at(morning, 0)) == EVENING - datetime.timedelta(days=1)  # still the night
    assert last_ended(capture(), at(morning, 7)) == EVENING


def test_render_night_makes_every_product_of_the_night(tmp_path):
    from timelapse import config
    from timelapse.night import render_night

    output = tmp_path / "images"
    plant_night(output, EVENING, step_minutes=20, meteors=2)
    path = tmp_path / "timelapse.yml"
    path.write_text(f"storage: {{output_dir: {output}}}\nrender: {{night: true, height: 180}}\n")
    said = []
    failed = render_night(config.load(path), EVENING, say=said.append)
    assert failed == (0 if shutil.which("ffmpeg") else 1), said
    for what in ("startrails", "meteors", "sidecar", "keogram") + (("video",) if shutil.which("ffmpeg") else ()):
        assert archive.product_path(output, archive.Product(NIGHT, what)).exists(), what


def test_a_satellite_beside_a_lit_frame_is_still_seen_moving_on(tmp_path):
    from timelapse.night.frames import NightFrame
    from timelapse.night.meteors import search

    rng = np.random.default_rng(3)
    frames = []
    for index in range(6):
        sky = rng.normal(40, 2, (180, 320))
        if index in (2, 3):  # one satellite: a segment, then the next along the same line
            for x in range(60 + 50 * (index - 2), 105 + 50 * (index - 2)):
                sky[60 + (x - 60) // 5, x] = 200
        if index == 4:
            sky += 150  # headlights
        path = tmp_path / f"{index}.jpg"
        Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8)).convert("RGB").save(path, quality=92)
        frames.append(NightFrame(path, None, float(index * 60)))
    assert len(search(frames)[0]) == 1  # frame 3 compared with the lit frame shows nothing: 2 looks alone
    candidates, rejected = search(frames, lit=[frames[4].path])
    assert candidates == [] and rejected["moving on"] == 2
