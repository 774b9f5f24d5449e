"""Compare with reference on the web (SPEC §20): the reference as a JPEG, /api/aim for each live frame, the
last shift in /api/status and /metrics."""

import json
import time

import pytest

from conftest import run_cli
from web_harness import WebServer


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    server = WebServer(tmp_path_factory.mktemp("web-aim"))
    yield server
    server.stop()


def test_without_a_reference_the_compare_view_says_how_to_set_one(web):
    for url in ("/api/aim", "/aim/reference.jpg"):
        status, _, body = web.get(url)
        assert status == 404 and "timelapse aim --set" in json.loads(body)["error"], (url, body)
    assert web.json("/api/status")["aim"] is None


def test_a_bad_frame_number_is_a_clear_400(web):
    status, _, body = web.get("/api/aim?after=../../etc")
    assert status == 400 and "whole number" in json.loads(body)["error"]


def test_the_shift_of_each_live_frame_from_the_reference(web):
    result = run_cli("--config", web.config, "aim", "--set")
    assert result.returncode == 0, result.stderr
    reference = web.output / ".aim/reference.jpg"
    status, response, body = web.get("/aim/reference.jpg")
    assert status == 200 and body == reference.read_bytes()
    assert response.getheader("Content-Type") == "image/jpeg" and response.getheader("Cache-Control") == "no-store"
    first = web.json("/api/aim")
    assert first["source"] == "live" and first["frame"] >= 1
    assert set(first) >= {"dx", "dy", "confidence", "reference", "verdict", "words"}
    later = web.json(f"/api/aim?after={first['frame']}")
    assert later["frame"] > first["frame"]  # the next frame, not the same one again


def test_the_last_check_is_in_the_status_and_the_metrics(web):
    from timelapse import config
    from timelapse.aim.watch import judge

    if not (web.output / ".aim/reference.jpg").exists():
        assert run_cli("--config", web.config, "aim", "--set").returncode == 0
    settings = config.load(str(web.config))
    newest = sorted(web.output.rglob("2*/*/*/*.jpg"))[-1]
    for _ in range(2):  # the first call sees the new reference; the second checks against it
        judge(settings, time.time(), str(newest), every=0)
    aim = web.json("/api/status")["aim"]
    assert aim["checked"] and "from the reference of" in aim["text"]
    _, _, metrics = web.get("/metrics")
    assert b"timelapse_aim_shift_pixels" in metrics and b"timelapse_aim_confidence" in metrics
