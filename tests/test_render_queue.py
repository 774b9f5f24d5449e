"""Videos asked for on the web (SPEC §18), the renderer's side: `timelapse render --queue` renders a queued
request with the real ffmpeg into its range video and sidecar, writes its progress, sets a bad request aside
with its error, and never follows what the queue plants."""

import datetime
import json
import os

import pytest

from timelapse.errors import BadRequest
from timelapse.render import queue

from conftest import cli_env, run_cli
from test_periods import every, frame_count, hashes, plant

DAY = datetime.date(2026, 11, 20)


@pytest.fixture
def site(tmp_path):
    output = tmp_path / "images"
    output.mkdir()
    conf = tmp_path / "timelapse.yml"
    conf.write_text(f"storage: {{output_dir: {output}}}\nrender: {{fps: 5, height: 180}}\n")
    state = tmp_path / "web-state"
    return type("Site", (), {"output": output, "config": conf, "queue": state / queue.QUEUE,
                             "env": cli_env(TIMELAPSE_WEB_STATE=str(state))})


def enqueue(site, document, request_id="20261207T030000-0000abcd"):
    site.queue.mkdir(parents=True, exist_ok=True)
    (site.queue / f"{request_id}.json").write_text(json.dumps(document))
    return request_id


def run_queue(site):
    result = run_cli("--config", site.config, "render", "--queue", env=site.env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def progress(site, request_id):
    return json.loads((site.output / "videos" / "requests" / f"{request_id}.json").read_text())


def test_a_queued_request_becomes_a_range_video_with_its_sidecar_and_its_progress_says_done(site):
    for offset in range(3):
        plant(site.output, DAY + datetime.timedelta(days=offset), every(60, count=24))
    before = hashes(site.output)
    request_id = enqueue(site, {"first": "2026-11-20", "last": "2026-11-22", "between": "06:00-18:00",
                                "every": 2, "overlay": "{date} {time:%H:%M}"})
    run_queue(site)
    video = site.output / "videos/2026/2026-11-20_2026-11-22.mp4"
    assert frame_count(video) == 18  # 12 frames a day from 06:00 to 17:00, every second one, 3 days
    said = json.loads(video.with_suffix(".json").read_text())
    assert said["kind"] == "range" and said["frames"] == 18 and said["request"] == request_id
    assert said["texts"][0] == "2026-11-20 06:00"
    assert progress(site, request_id) | {"updated": None} == {
        "id": request_id, "state": "done", "done": 18, "total": 18, "error": None,
        "video": "videos/2026/2026-11-20_2026-11-22.mp4", "updated": None}
    assert hashes(site.output) == before
    again = run_queue(site)  # done once: not rendered again
    assert "no requested videos waiting" in again.stdout


def test_a_daily_frame_request_takes_one_frame_a_day(site):
    for offset in range(4):
        plant(site.output, DAY + datetime.timedelta(days=offset), every(30, "100000", 8))
    request_id = enqueue(site, {"first": "2026-11-20", "last": "2026-11-23", "daily_frame": "12:00"})
    run_queue(site)
    video = site.output / "videos/2026/2026-11-20_2026-11-23.mp4"
    assert frame_count(video) == 4
    said = json.loads(video.with_suffix(".json").read_text())
    assert [os.path.basename(path) for path in said["paths"]] == ["120000.jpg"] * 4
    assert progress(site, request_id)["state"] == "done"


@pytest.mark.parametrize("document, error", [
    ("not json at all", "not JSON"),
    ({"first": "2026-11-20", "last": "../../etc/passwd"}, "last: expected a day as YYYY-MM-DD"),
    ({"first": "2026-11-20", "last": "2026-11-21", "every": "9; rm -rf /"}, "every: expected a whole number"),
    ({"first": "2020-01-01", "last": "2026-11-21"}, "at most 366 days"),
    ({"first": "2026-11-20", "last": "2026-11-21", "path": "/etc"}, "unknown key 'path'"),
    ({"first": "2026-11-01", "last": "2026-11-02"}, "no images to render"),
])
def test_a_bad_request_is_set_aside_with_its_error_and_the_next_one_is_rendered(site, document, error):
    plant(site.output, DAY, every(60, count=4))
    plant(site.output, DAY + datetime.timedelta(days=1), every(60, count=4))
    site.queue.mkdir(parents=True)
    bad = "20261207T030000-0000000a"
    (site.queue / f"{bad}.json").write_text(document if isinstance(document, str) else json.dumps(document))
    good = enqueue(site, {"first": "2026-11-20", "last": "2026-11-21"}, "20261207T030001-0000000b")
    result = run_queue(site)
    assert progress(site, bad)["state"] == "failed" and error in progress(site, bad)["error"], result.stdout
    assert progress(site, good)["state"] == "done"
    assert (site.queue / f"{bad}.json").exists()  # the queue is the web's: the renderer writes nothing there


def test_a_symlink_or_a_huge_file_in_the_queue_is_not_read(site, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"first": "2026-11-20", "last": "2026-11-21"}))
    site.queue.mkdir(parents=True)
    (site.queue / "20261207T030000-0000000a.json").symlink_to(secret)
    (site.queue / "20261207T030000-0000000b.json").write_text(" " * 10000)
    (site.queue / "not-an-id.json").write_text("{}")
    run_queue(site)
    assert "symbolic links" in progress(site, "20261207T030000-0000000a")["error"] or \
        "Too many levels" in progress(site, "20261207T030000-0000000a")["error"]
    assert "more than the 4096" in progress(site, "20261207T030000-0000000b")["error"]
    assert not (site.output / "videos" / "requests" / "not-an-id.json").exists()


def test_parse_request_says_what_is_wrong_and_how_to_fix_it():
    with pytest.raises(BadRequest, match="single day's video is the nightly one"):
        queue.parse_request({"first": "2026-11-20", "last": "2026-11-20"})
    with pytest.raises(BadRequest, match='between: expected "HH:MM-HH:MM"'):
        queue.parse_request({"first": "2026-11-20", "last": "2026-11-21", "between": "25:00-26:00"})
    with pytest.raises(BadRequest, match="goes without between and every"):
        queue.parse_request({"first": "2026-11-20", "last": "2026-11-21", "daily_frame": "12:00", "every": 3})
    with pytest.raises(BadRequest, match="needs capture.location"):
        queue.parse_request({"first": "2026-11-20", "last": "2026-11-21", "daily_frame": "noon"})
    with pytest.raises(BadRequest, match="overlay: expected only the placeholders"):
        queue.parse_request({"first": "2026-11-20", "last": "2026-11-21", "overlay": "{secret}"})
    with pytest.raises(BadRequest, match="expected a JSON object"):
        queue.parse_request([1, 2])
    request = queue.parse_request({"first": "2026-11-20", "last": "2026-11-21", "between": "06:00-18:00",
                                   "every": 3, "overlay": "50% 'done' \\ ø"})
    assert request.between == (360, 1080) and request.every == 3 and request.overlay == "50% 'done' \\ ø"


def test_progress_of_a_request_the_web_cleared_is_forgotten_and_nothing_else(site):
    plant(site.output, DAY, every(60, count=2))
    plant(site.output, DAY + datetime.timedelta(days=1), every(60, count=2))
    kept = enqueue(site, {"first": "2026-11-20", "last": "2026-11-21"}, "20261207T030000-0000000a")
    cleared = enqueue(site, {"first": "2026-11-20", "last": "2026-11-21"}, "20261207T030001-0000000b")
    run_queue(site)
    (site.queue / f"{cleared}.json").unlink()  # the web clears finished requests past the newest 20
    requests = site.output / "videos" / "requests"
    (requests / "notes.json").write_text("{}")
    run_queue(site)
    assert sorted(path.name for path in requests.iterdir()) == [".lock", f"{kept}.json", "notes.json"]
