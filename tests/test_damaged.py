"""Damaged images (SPEC §9): empty, truncated, random bytes, a decompression bomb, a broken body,
planted with real tools (tests/damaged_images.py) and read by every reader: the real web server over
HTTP (thumbnails, full images, the day listing and scrubber, the zip, the status page's latest
image, the live view's fallback), and `timelapse render` and `timelapse keogram` with the real
ffmpeg. Each reader skips the file or shows a placeholder, names it once, never answers 500 and
never logs a traceback. (Sync: tests/test_sync.py.)"""

import datetime
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from timelapse import imagefile

from conftest import run_cli
from damaged_images import KINDS, plant
from test_render import ffprobe, frame
from test_render import plant as plant_good
from web_harness import WebServer

DAY = datetime.date(2026, 11, 20)
UNDECODABLE = set(KINDS)  # every planted kind fails a decode


@pytest.fixture(scope="module")
def good_jpeg(tmp_path_factory):
    path = tmp_path_factory.mktemp("good") / "good.jpg"
    path.write_bytes(frame((1920, 1080), 3))
    return path


def test_each_kind_is_named_for_what_it_is(tmp_path, good_jpeg):
    paths = plant(tmp_path, good_jpeg)
    assert imagefile.quick_check(paths["empty"]) == "empty file"
    assert imagefile.quick_check(paths["truncated"]) == "truncated (no JPEG end marker)"
    with pytest.raises(imagefile.DamagedImage, match="too large"):
        imagefile.header_size(paths["bomb"])
    with pytest.raises(imagefile.DamagedImage, match="not an image"):
        imagefile.header_size(paths["noise"])
    for kind in ("truncated", "body", "empty", "noise", "bomb"):
        with pytest.raises(imagefile.DamagedImage):
            imagefile.decode_reduced(paths[kind], (320, 180))
    assert imagefile.decode_reduced(good_jpeg, (320, 180)).size == (480, 270)  # 1/4: the smallest scale >= 320x180


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_under_pillows_hard_limit_is_still_refused_before_decoding(tmp_path, good_jpeg, monkeypatch):
    # Between MAX_IMAGE_PIXELS and twice that, Pillow itself only warns: that is an error here too,
    # even where the warning is ignored (as here) rather than raised.
    imagefile.pillow()  # imagefile sets Pillow's bounds on first use (the web's idle RSS); lowered after it
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1920 * 1080 - 1)
    with pytest.raises(imagefile.DamagedImage, match="too large"):
        imagefile.decode_reduced(good_jpeg, (320, 180))


@pytest.fixture(scope="module")
def web(tmp_path_factory, good_jpeg):
    server = WebServer(tmp_path_factory.mktemp("web"))
    server.damaged = plant(server.output / f"{DAY:%Y/%m/%d}", good_jpeg)
    yield server
    server.stop()


def url(kind, prefix):
    return f"/{prefix}/{DAY:%Y/%m/%d}/{KINDS[kind]}.jpg"


def is_jpeg(body):
    with Image.open(io.BytesIO(body)) as image:
        image.load()
        return image.format == "JPEG"


@pytest.mark.parametrize("prefix", ["images", "thumbs"])  # images first: see the body case
def test_every_damaged_image_is_a_placeholder_not_a_500(web, prefix):
    for kind in KINDS:
        for _ in range(3):  # the day grid and scrubber ask again on every visit
            status, response, body = web.request("GET", url(kind, prefix))
            if prefix == "images" and kind == "body":
                # Only a decode finds a broken body; the full image is the file itself until a
                # thumbnail's decode has found it (the next test), then the placeholder.
                assert status == 200 and body == web.damaged[kind].read_bytes()
                continue
            assert status == 200, (kind, status, body[:200])
            assert response.getheader("X-Timelapse-Damaged"), kind
            assert response.getheader("Cache-Control") == "no-store"
            assert is_jpeg(body)


def test_once_a_thumbnail_found_a_broken_body_the_full_image_is_a_placeholder_too(web):
    assert web.request("GET", url("body", "thumbs"))[0] == 200
    status, response, body = web.request("GET", url("body", "images"))
    assert status == 200 and response.getheader("X-Timelapse-Damaged") and is_jpeg(body)


def test_the_day_listing_page_and_zip_work_and_the_zip_skips_only_the_empty_file(web):
    status, _, body = web.request("GET", f"/api/days/{DAY}")
    assert status == 200
    listed = {image["time"] for image in json.loads(body)["images"]}
    assert {f"{n[:2]}:{n[2:4]}:{n[4:]}" for n in KINDS.values()} <= listed
    assert web.request("GET", f"/days/{DAY}")[0] == 200
    assert web.request("GET", "/api/days")[0] == 200
    status, _, body = web.request("GET", f"/download/{DAY}.zip")
    assert status == 200
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        for kind, path in web.damaged.items():
            member = f"{DAY}/{path.name}"
            if kind == "empty":
                assert member not in names
            else:  # copied as it is: a truncated JPEG still holds most of its picture
                assert archive.read(member) == path.read_bytes()


def test_the_latest_image_damaged_gives_a_placeholder_on_the_status_and_live_pages(tmp_path, good_jpeg):
    server = WebServer(tmp_path)
    try:
        server.daemon.kill()
        latest = Path(server.daemon.status()["last_image"])
        subprocess.run(["truncate", "-s", "0", latest], check=True)
        relative = latest.relative_to(server.output).as_posix()
        assert server.request("GET", "/")[0] == 200
        assert server.request("GET", "/live")[0] == 200
        status, _, body = server.request("GET", "/live.jpg")
        assert status == 503 and json.loads(body)["last_image"] == str(latest)
        for prefix in ("thumbs", "images"):  # the status page shows the thumbnail, the live page the image
            status, response, body = server.request("GET", f"/{prefix}/{relative}")
            assert status == 200 and response.getheader("X-Timelapse-Damaged") == "empty file" and is_jpeg(body)
    finally:
        server.stop()
    log = server.log_file.read_text()
    assert log.count(f"damaged image {latest}: empty file") == 1, log
    assert "Traceback" not in log


def test_the_web_server_names_each_damaged_file_once_and_logs_no_traceback(web):
    for prefix in ("thumbs", "images", "thumbs"):
        for kind in KINDS:
            assert web.request("GET", url(kind, prefix))[0] == 200
    web.request("GET", f"/download/{DAY}.zip")
    log = web.log_file.read_text()
    for kind, path in web.damaged.items():
        assert log.count(f"damaged image {path}:") == 1, (kind, log)
    assert "Traceback" not in log and " 500 " not in log


def test_render_and_keogram_skip_every_damaged_frame_naming_each_once(camera, good_jpeg):  # noqa: F811
    good = plant_good(camera.output, DAY, 6, size=(640, 360))  # the damaged ones are 1920x1080: letterboxed
    paths = plant(camera.output / f"{DAY:%Y/%m/%d}", good_jpeg)
    result = run_cli("--config", camera.config, "render", str(DAY), timeout=300)
    assert result.returncode == 0, result.stderr
    for path in paths.values():
        assert result.stderr.count(f"skipped {path}:") == 1, (path, result.stderr)
    assert "Traceback" not in result.stderr
    video = camera.output / f"videos/{DAY:%Y}/{DAY}.mp4"
    info = ffprobe(video)
    assert int(info["nb_read_frames"]) == len(good) and (info["width"], info["height"]) == (640, 360)

    result = run_cli("--config", camera.config, "keogram", str(DAY))
    assert result.returncode == 0, result.stderr
    for path in paths.values():
        assert result.stderr.count(f"skipped {path}:") == 1, (path, result.stderr)
    with Image.open(camera.output / f"videos/{DAY:%Y}/{DAY}-keogram.jpg") as keogram:
        assert keogram.width == len(good)


def test_a_day_of_only_damaged_frames_is_nothing_to_render_not_a_crash(camera, good_jpeg):  # noqa: F811
    plant(camera.output / f"{DAY:%Y/%m/%d}", good_jpeg)
    for command in ("render", "keogram"):
        result = run_cli("--config", camera.config, command, str(DAY), timeout=120)
        assert result.returncode == 66, (command, result.stderr)
        assert "Traceback" not in result.stderr and "no " in result.stderr


def test_a_broken_body_among_same_sized_frames_is_dropped_by_ffmpeg_and_counted(camera, good_jpeg):  # noqa: F811
    # Nothing but a decode finds a broken body; frames of the video's own size go to ffmpeg as they
    # are, and its decoder drops the broken one (-err_detect explode) instead of encoding it half grey.
    good = plant_good(camera.output, DAY, 6, size=(1920, 1080))
    body = plant(camera.output / f"{DAY:%Y/%m/%d}", good_jpeg)["body"]
    for path in body.parent.glob("12000[1-4].jpg"):
        path.unlink()  # only the broken body stays among the good frames
    result = run_cli("--config", camera.config, "render", str(DAY), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "ffmpeg left out 1 frame(s) it could not decode" in result.stderr
    info = ffprobe(camera.output / f"videos/{DAY:%Y}/{DAY}.mp4")
    assert int(info["nb_read_frames"]) == len(good)
