"""Settings from the web against the real `timelapse web` on loopback (SPEC §17): the API, XSRF, hostile input."""

import json
import re

import pytest

from web_harness import WebServer


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    server = WebServer(tmp_path_factory.mktemp("web"), daemon=False)
    yield server
    server.stop()


def token(web):
    """Return (cookie header, X-XSRFToken) as a script gets them from GET /api/settings."""
    status, response, data = web.get("/api/settings")
    assert status == 200, data
    cookie = re.search(r"_xsrf=([^;]+)", response.getheader("Set-Cookie")).group(1)
    return {"Cookie": f"_xsrf={cookie}", "X-XSRFToken": json.loads(data)["xsrf"]}


def post(web, path, body, xsrf=True):
    headers = dict(token(web) if xsrf else {}, **{"Content-Type": "application/json"})
    status, _, data = web.request("POST", path, headers=headers, body=body if isinstance(body, (str, bytes))
                                  else json.dumps(body))
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data


def layer_state(web):
    return (web.layer.read_bytes(), web.layer.stat().st_mtime_ns) if web.layer.exists() else None


def test_get_gives_every_key_with_value_file_web_default_and_whether_the_web_may_set_it(web):
    document = web.json("/api/settings")
    row = document["settings"]["capture.interval"]
    assert set(row) >= {"value", "file", "web", "default", "origin", "web_may_set"} and row["web_may_set"]
    assert document["settings"]["storage.output_dir"]["web_may_set"] is False
    assert document["read_only"] is None and document["xsrf"]


def test_a_post_without_the_xsrf_token_is_refused_and_writes_nothing(web):
    before = layer_state(web)
    status, _ = post(web, "/api/settings", {"capture.jpeg_quality": 70}, xsrf=False)
    assert status == 403 and layer_state(web) == before


def test_a_valid_change_is_saved_in_the_layer_never_in_the_file(web):
    conffile = web.config.read_bytes()
    status, body = post(web, "/api/settings", {"capture.interval": "30s", "camera.exposure.mode": "smooth"})
    assert status == 200, body
    assert body["settings"]["capture.interval"]["value"] == "30s" and body["version"] >= 1
    assert "from 127.0.0.1" in body["settings"]["capture.interval"]["origin"]
    assert "interval: 30s" in web.layer.read_text() and web.config.read_bytes() == conffile


@pytest.mark.parametrize("body, code, key", [
    ({"capture.interval": "0"}, 400, "capture.interval"),
    ({"storage.warn_threshold": 95}, 400, "storage.warn_threshold"),
    ({"storage.output_dir": "/etc"}, 403, "storage.output_dir"),
    ({"daemon.gap_log": "/tmp/x"}, 403, "daemon.gap_log"),
    ({"camera.controls.ExposureTime": 5}, 403, "camera.controls.ExposureTime"),
    ({"capture.intervall": 5}, 403, "capture.intervall"),
])
def test_invalid_values_and_forbidden_keys_leave_the_layer_byte_identical(web, body, code, key):
    post(web, "/api/settings", {"capture.jpeg_quality": 80})
    before = layer_state(web)
    status, answer = post(web, "/api/settings", body)
    assert status == code and key in answer["errors"], answer
    if code == 400:
        assert answer["errors"][key].startswith("expected"), answer
    assert layer_state(web) == before


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "{", b"\xff\xfe"])
def test_bodies_that_are_not_a_json_object_are_a_400(web, body):
    before = layer_state(web)
    status, answer = post(web, "/api/settings", body)
    assert status == 400 and "expected a JSON object" in answer["errors"][""]
    assert layer_state(web) == before


def test_an_oversized_body_is_refused_and_writes_nothing(web):
    before = layer_state(web)
    try:
        status, _ = post(web, "/api/settings", json.dumps({"alerts.name": "x" * 200_000}))
    except ConnectionError:
        status = None  # the server may close the connection instead of answering
    assert status in (None, 400, 413) and layer_state(web) == before


def test_history_lists_versions_and_rollback_restores_one(web):
    _, first = post(web, "/api/settings", {"render.fps": 30})
    post(web, "/api/settings", {"render.fps": 24})
    entries = web.json("/api/settings/history")["history"]
    assert entries[0]["diff"] == [{"key": "render.fps", "from": 30, "to": 24}] and entries[0]["client"] == "127.0.0.1"
    status, body = post(web, "/api/settings/rollback", {"version": first["version"]})
    assert status == 200 and body["settings"]["render.fps"]["value"] == 30
    assert post(web, "/api/settings/rollback", {"version": 99999})[0] == 400


def test_a_symlink_planted_at_the_layer_path_is_not_written_through(web, tmp_path):
    target = tmp_path / "target.yml"
    target.write_text("precious\n")
    saved = web.layer.read_bytes()
    web.layer.unlink()
    web.layer.symlink_to(target)
    try:
        status, answer = post(web, "/api/settings", {"capture.jpeg_quality": 60})
        assert status == 409 and "symlink" in answer["error"]
        assert target.read_text() == "precious\n" and web.layer.is_symlink()
    finally:
        web.layer.unlink()
        web.layer.write_bytes(saved)


def test_the_settings_page_shows_groups_meanings_and_origins(web):
    status, _, page = web.get("/settings", headers={})
    assert status == 200
    text = page.decode()
    for group in ("Capture", "Schedule and place", "Picture and exposure", "Storage", "Videos", "Alerts"):
        assert f"<h2>{group}</h2>" in text
    assert "Time between captures" in text and "From: " in text and 'data-xsrf="' in text


def test_with_auth_none_the_settings_are_read_only(tmp_path):
    web = WebServer(tmp_path, auth="none", with_password=False, daemon=False)
    try:
        status, answer = post(web, "/api/settings", {"capture.jpeg_quality": 70})
        assert status == 403 and "needs a password" in answer["error"] and not web.layer.exists()
        assert web.json("/api/settings")["read_only"]
        assert "Saving needs a password" in web.get("/settings")[2].decode()
    finally:
        web.stop()


def test_the_live_page_offers_a_lens_slider_for_a_pi_camera_only(tmp_path):
    web = WebServer(tmp_path, daemon=False, camera="source: picamera")
    try:
        page = web.get("/live")[2].decode()
        assert 'id="lens-position"' in page and 'data-xsrf="' in page
        status, body = post(web, "/api/settings", {"camera.controls.LensPosition": 2.5, "camera.controls.AfMode": 0})
        assert status == 200 and body["settings"]["camera.controls.LensPosition"]["value"] == 2.5
    finally:
        web.stop()


def test_the_live_page_has_no_lens_slider_for_the_synthetic_camera(web):
    assert 'id="lens-position"' not in web.get("/live")[2].decode()


def test_metrics_say_the_layer_version_and_a_refused_layer():
    from timelapse.web.handlers.status import settings_gauges

    assert dict((n, v) for n, _, v in settings_gauges({"version": 4, "applied": "x", "error": None})) == {
        "timelapse_settings_layer_error": 0, "timelapse_settings_version": 4}
    assert dict((n, v) for n, _, v in settings_gauges({"version": None, "error": "bad"})) == {
        "timelapse_settings_layer_error": 1}
    assert settings_gauges(None) == [] and settings_gauges("garbage") == []
