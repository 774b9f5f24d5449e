"""Videos of a week, a month, the project (SPEC §18), with the real ffmpeg: the frames chosen (spread
evenly, one a day of a steady brightness), what --list says, the overlay's text from each frame's own
instant, the sidecar, skipping what is up to date, and images that never change."""

import datetime
import hashlib
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from timelapse import config
from timelapse.archive import Period
from timelapse.exif import with_exif
from timelapse.render import periods
from timelapse.render.daily_frame import target
from timelapse.render.periods import render_due_periods, spread
from timelapse.window import Location, Moment

from conftest import cli_env, run_cli

TODAY = datetime.date(2026, 12, 7)  # a Monday: yesterday ends ISO week 49


def jpeg(level, exposure_us=None, taken=None, size=(320, 180)):
    """A flat grey JPEG of ``level`` (0..255), with EXIF for ``taken`` (aware) and an exposure when given."""
    out = io.BytesIO()
    Image.new("RGB", size, (level, level, level)).save(out, "JPEG", quality=90)
    data = out.getvalue()
    return with_exif(data, taken, exposure_us, 1.0) if taken else data


def plant(root, day, times, level=120, exif=True, exposure_us=10_000, second_pass=False, offset=None):
    """Write one image per "HHMMSS" of ``times`` on ``day``; return their paths."""
    folder = Path(root, f"{day:%Y/%m/%d}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for text in times:
        when = datetime.datetime.combine(day, datetime.time(int(text[:2]), int(text[2:4]), int(text[4:6])))
        taken = when.replace(tzinfo=offset or datetime.timezone.utc) if exif else None
        path = folder / f"{text}{'_2' if second_pass else ''}.jpg"
        path.write_bytes(jpeg(level, exposure_us, taken))
        paths.append(path)
    return paths


def every(minutes, start="000000", count=24):
    first = int(start[:2]) * 60 + int(start[2:4])
    return [f"{(first + n * minutes) // 60:02d}{(first + n * minutes) % 60:02d}00" for n in range(count)]


@pytest.fixture
def project(tmp_path):
    output = tmp_path / "images"
    output.mkdir()
    conf = tmp_path / "timelapse.yml"

    def settings(render="", extra=""):
        conf.write_text(f"storage: {{output_dir: {output}}}\nrender: {{fps: 5, period_length: 2s{render}}}\n{extra}")
        return config.load(str(conf))

    settings()
    return type("Project", (), {"output": output, "config": conf, "settings": staticmethod(settings)})


def run(project, *args, env=None):
    return run_cli("--config", project.config, "render", *args, env=env, timeout=120)


def listed(project, *args, env=None):
    result = run(project, *args, "--list", env=env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def frame_count(video):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=nb_read_frames", "-of", "csv=p=0", str(video)], capture_output=True, text=True,
                         check=True).stdout
    return int(out.strip())


def hashes(root):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(root).rglob("*.jpg"))
            if "videos" not in p.parts}


def test_spread_takes_the_first_and_the_last_and_is_even():
    assert spread(5, 10) == [0, 1, 2, 3, 4]
    assert spread(100, 5) == [0, 25, 50, 74, 99]
    assert spread(7, 1) == [0]
    chosen = spread(1441, 300)
    assert chosen[0] == 0 and chosen[-1] == 1440 and len(set(chosen)) == 300
    steps = {b - a for a, b in zip(chosen, chosen[1:])}
    assert steps <= {4, 5}


def test_a_week_video_holds_period_length_times_fps_frames_from_monday_to_sunday_only(project):
    for offset in range(-1, 8):  # Sunday before the week to the Monday after it
        plant(project.output, datetime.date(2026, 11, 23) + datetime.timedelta(days=offset), every(60))
    frames = listed(project, "--period", "week", "2026-11-25")
    assert len(frames) == 10  # 2 s at 5 fps, of 7 x 24 images
    days = sorted({f["path"].split("/images/")[1][:10] for f in frames})
    assert days[0] == "2026/11/23" and days[-1] == "2026/11/29"
    assert frames[0]["path"].endswith("2026/11/23/000000.jpg") and frames[-1]["path"].endswith("2026/11/29/230000.jpg")
    assert [f["instant"] for f in frames] == sorted(f["instant"] for f in frames)
    before = hashes(project.output)
    result = run(project, "--period", "week", "2026-11-25")
    assert result.returncode == 0, result.stderr
    video = project.output / "videos/2026/2026-W48.mp4"
    assert frame_count(video) == 10
    sidecar = json.loads((project.output / "videos/2026/2026-W48.json").read_text())
    assert (sidecar["kind"], sidecar["period"], sidecar["frames"], sidecar["daily"]) == ("week", "2026-W48", 10, False)
    assert sidecar["days"] == ["2026-11-23", "2026-11-29"]
    assert [str(project.output / p) for p in sidecar["paths"]] == [f["path"] for f in frames]
    assert (sidecar["first"], sidecar["last"]) == (frames[0]["instant"], frames[-1]["instant"])
    assert hashes(project.output) == before
    again = run(project, "--period", "week", "2026-11-25")
    assert "is up to date" in again.stdout
    plant(project.output, datetime.date(2026, 11, 26), ["233000"])  # a late image
    assert "rendering" in run(project, "--period", "week", "2026-11-25").stdout


def test_a_month_video_holds_every_image_when_there_are_fewer_and_skips_damaged_ones(project):
    plant(project.output, datetime.date(2026, 10, 31), ["120000"])
    good = plant(project.output, datetime.date(2026, 11, 1), ["120000", "130000"])
    good += plant(project.output, datetime.date(2026, 11, 30), ["120000"])
    broken = good[0].parent / "140000.jpg"
    broken.write_bytes(jpeg(100)[:-200])
    result = run(project, "--period", "month", "2026-11-15")
    assert result.returncode == 0, result.stderr
    assert f"skipped {broken}: truncated" in result.stderr
    assert frame_count(project.output / "videos/2026/2026-11.mp4") == 3
    sidecar = json.loads((project.output / "videos/2026/2026-11.json").read_text())
    assert sidecar["paths"] == ["2026/11/01/120000.jpg", "2026/11/01/130000.jpg", "2026/11/30/120000.jpg"]


def test_the_daily_frame_is_the_nearest_steady_one_and_a_day_without_one_is_left_out(project):
    day = datetime.date(2026, 11, 10)
    plant(project.output, day, every(5, "113000", 13))  # 11:30 .. 12:30, all alike
    (project.output / "2026/11/10/120000.jpg").write_bytes(  # a car's lights: 3 EV too bright
        jpeg(250, 1_250, datetime.datetime(2026, 11, 10, 12, tzinfo=datetime.timezone.utc)))
    (project.output / "2026/11/10/120500.jpg").write_bytes(  # the same pixels at 8x the exposure: a cloud
        jpeg(120, 80_000, datetime.datetime(2026, 11, 10, 12, 5, tzinfo=datetime.timezone.utc)))
    plant(project.output, day + datetime.timedelta(days=1), ["090000", "150000"])  # nothing near noon
    frames = listed(project, "--period", "month", "2026-11-01", "--daily-frame", "12:02")
    assert [f["path"].split("/images/")[1] for f in frames] == ["2026/11/10/115500.jpg"]
    result = run(project, "--period", "month", "2026-11-01", "--daily-frame", "12:02")
    assert result.returncode == 0, result.stderr
    assert "2026-11-11: no daily frame" in result.stderr
    sidecar = json.loads((project.output / "videos/2026/2026-11-daily.json").read_text())
    assert sidecar["daily"] and sidecar["left_out"] == ["2026-11-11"] and sidecar["frames"] == 1
    assert frame_count(project.output / "videos/2026/2026-11-daily.mp4") == 1


def test_a_sun_event_that_does_not_happen_falls_back_to_noon_and_the_sidecar_says_so(project):
    svalbard = Location(78.22, 15.65)
    polar = target(Moment("sunrise", None, 7200), datetime.date(2026, 12, 20), svalbard)
    assert polar.when == datetime.datetime(2026, 12, 20, 12, 0) and "no sunrise" in polar.fallback
    day = datetime.date(2026, 12, 1)
    plant(project.output, day, every(10, "110000", 13))
    settings = project.settings(", daily_frame: {at: 'sunrise + 2h'}",
                                "capture: {location: {latitude: 78.22, longitude: 15.65}}\n")
    periods.render_period(settings, "month", day, TODAY, settings.render.daily_frame, say=lambda _: None,
                          warn=lambda _: None)
    sidecar = json.loads((project.output / "videos/2026/2026-12-daily.json").read_text())
    assert sidecar["fallback"] == [{"day": "2026-12-01", "why": "no sunrise on 2026-12-01: 12:00 local"}]
    assert sidecar["paths"] == ["2026/12/01/120000.jpg"]


def test_overlay_text_is_each_frames_own_instant_through_the_repeated_dst_hour(project):
    night = datetime.date(2026, 10, 25)  # Europe/Oslo: 03:00 CEST becomes 02:00 CET
    cest, cet = (datetime.timezone(datetime.timedelta(hours=h)) for h in (2, 1))
    plant(project.output, night, ["023000"], offset=cest)
    plant(project.output, night, ["023000"], offset=cet, second_pass=True)
    plant(project.output, night, ["024500"], exif=False, second_pass=True)  # no EXIF: the name, fold 1
    text = "{camera}: {time:%H:%M %z} 'q' \"dq\" 100% \\ é {date}"
    env = cli_env(TZ="Europe/Oslo")
    frames = listed(project, "--period", "week", str(night), "--overlay", text, env=env)
    assert [f["instant"] for f in frames] == ["2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00",
                                              "2026-10-25T02:45:00+01:00"]
    camera = os.uname().nodename
    assert [f["text"] for f in frames] == [f"{camera}: 02:30 +0200 'q' \"dq\" 100% \\ é 2026-10-25",
                                           f"{camera}: 02:30 +0100 'q' \"dq\" 100% \\ é 2026-10-25",
                                           f"{camera}: 02:45 +0100 'q' \"dq\" 100% \\ é 2026-10-25"]
    before = hashes(project.output)
    result = run(project, "--period", "week", str(night), "--overlay", text, env=env)
    assert result.returncode == 0, result.stderr
    video = project.output / "videos/2026/2026-W43.mp4"
    assert frame_count(video) == 3
    assert hashes(project.output) == before
    plain = run(project, "--period", "week", str(night), "--no-overlay", "--force")
    assert plain.returncode == 0, plain.stderr
    assert json.loads((project.output / "videos/2026/2026-W43.json").read_text())["texts"] is None


def test_the_overlay_is_drawn_on_the_video_only(project):
    plant(project.output, datetime.date(2026, 11, 2), ["120000"], level=30)
    result = run(project, "--period", "week", "2026-11-02", "--overlay", "WWWWWWWW")
    assert result.returncode == 0, result.stderr
    png = subprocess.run(["ffmpeg", "-v", "error", "-i", str(project.output / "videos/2026/2026-W45.mp4"),
                          "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"], capture_output=True,
                         check=True).stdout
    image = Image.open(io.BytesIO(png)).convert("L")
    corner = image.crop((0, image.height * 3 // 4, image.width // 2, image.height))
    top = image.crop((image.width // 2, 0, image.width, image.height // 4))
    assert corner.getextrema()[1] > 200 and top.getextrema()[1] < 60  # white text bottom-left, nothing else


def test_usage_errors_name_the_fix(project):
    assert "go with --period" in run(project, "--list").stderr
    bad = run(project, "--period", "week", "--daily-frame", "lunch")
    assert bad.returncode == 2 and "--daily-frame: expected sunrise" in bad.stderr
    noon = run(project, "--period", "week", "--daily-frame", "noon")
    assert noon.returncode == 2 and "needs capture.location" in noon.stderr
    assert "found {foo}" in run(project, "--period", "week", "--overlay", "{foo}").stderr
    assert "--every is for a day or FROM..TO" in run(project, "--period", "month", "--every", "3").stderr


def test_the_nightly_periods_are_rendered_once_and_not_again(project):
    for offset in range(1, 4):
        plant(project.output, TODAY - datetime.timedelta(days=offset), every(120, count=12))
    settings = project.settings(", periods: [week, project]")
    said = []
    made = render_due_periods(settings, TODAY, say=said.append)
    week, whole = Period.week(TODAY - datetime.timedelta(days=1)), Period.project()
    assert [p.name for p in made] == [f"{week.name}.mp4", "project.mp4"]
    assert json.loads((project.output / "videos/project.json").read_text())["days"] == [
        str(TODAY - datetime.timedelta(days=3)), str(TODAY - datetime.timedelta(days=1))]
    assert render_due_periods(settings, TODAY, say=said.append) == []
    assert whole.kind == "project" and sum("is up to date" in line for line in said) == 2


def test_the_nightly_service_command_makes_the_configured_periods_and_does_not_repeat_work(project):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    plant(project.output, yesterday, every(60))
    project.settings(", periods: [month]")
    first = run_cli("--config", project.config, "render", "--nightly", timeout=120)
    assert first.returncode == 0, first.stderr
    month = project.output / f"videos/{yesterday:%Y}/{yesterday:%Y-%m}.mp4"
    assert frame_count(month) == 10 and (project.output / f"videos/{yesterday:%Y}/{yesterday}.mp4").exists()
    made = month.stat().st_mtime_ns
    second = run_cli("--config", project.config, "render", "--nightly", timeout=120)
    assert "is up to date" in second.stdout and month.stat().st_mtime_ns == made
