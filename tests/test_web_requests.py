"""Videos asked for on the web (SPEC §18), over real HTTP: a signed-in user queues a request (XSRF-checked),
hostile input is refused with a clear error and nothing written, at most five wait, the renderer's command
renders it, and the list shows its progress and the video, which the Videos list holds too."""

import datetime
import json
import re

import pytest

from conftest import cli_env, run_cli
from test_periods import every, plant
from web_harness import WebServer

REQUESTS = "/api/videos/requests"
DAY = datetime.date(2026, 11, 20)
ASK = {"first": "2026-11-20", "last": "2026-11-21", "between": "06:00-12:00", "every": 2,
       "overlay": "{date} {time:%H:%M}"}


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    server = WebServer(tmp_path_factory.mktemp("web"), daemon=False)
    yield server
    server.stop()


def xsrf(web):
    """Return (token, cookie header) as the Videos page hands them to its script."""
    status, response, body = web.get("/videos")
    assert status == 200
    token = re.search(rb'name="_xsrf" value="([^"]+)"', body).group(1).decode()
    cookie = [c for c in response.headers.get_all("Set-Cookie") if c.startswith("_xsrf=")][0].split(";")[0]
    return token, cookie


def ask(web, document, token=True, **kwargs):
    headers = {"Content-Type": "application/json"}
    if token:
        value, cookie = xsrf(web)
        headers.update({"X-XSRFToken": value, "Cookie": cookie})
    body = document if isinstance(document, (str, bytes)) else json.dumps(document)
    status, _, data = web.request("POST", REQUESTS, headers=headers, body=body, **kwargs)
    return status, json.loads(data) if data.startswith(b"{") else data


def queued(web):
    return sorted(path.name for path in (web.web_state / "render-queue").glob("*.json"))


def clear(web):
    for path in (web.web_state / "render-queue").glob("*.json"):
        path.unlink()


def test_the_videos_page_has_the_form_with_its_xsrf_token(web):
    status, _, body = web.get("/videos")
    assert status == 200 and b'id="ask-form"' in body and b'name="first"' in body and b"videos.js" in body
    assert web.get("/static/videos.js", auth=False)[0] == 200


def test_a_request_without_the_xsrf_token_or_a_password_is_refused_and_nothing_is_queued(web):
    clear(web)
    assert ask(web, ASK, token=False)[0] == 403
    assert ask(web, ASK, auth=False)[0] in (401, 403)
    assert queued(web) == []


@pytest.mark.parametrize("document, error", [
    ("garbage {", "expected a JSON object"),
    (b"\xff\xfe", "expected a JSON object"),
    ([1, 2], "expected a JSON object"),
    ({"first": "2026-02-30", "last": "2026-03-02"}, "first: expected a day as YYYY-MM-DD"),
    ({"first": "2026-11-21", "last": "2026-11-20"}, "must come after first"),
    ({"first": "1990-01-01", "last": "2026-11-20"}, "at most 366 days"),
    ({"first": "2026-11-20", "last": "2026-11-21", "every": 0}, "every: expected a whole number from 1"),
    ({"first": "2026-11-20", "last": "2026-11-21", "every": 1e300}, "every: expected a whole number"),
    ({"first": "2026-11-20", "last": "2026-11-21", "between": "6-18"}, 'between: expected "HH:MM-HH:MM"'),
    ({"first": "2026-11-20", "last": "2026-11-21", "daily_frame": "sunrise"}, "needs capture.location"),
    ({"first": "2026-11-20", "last": "2026-11-21", "overlay": "x" * 500}, "at most 200 characters"),
    ({"first": "2026-11-20", "last": "2026-11-21", "output": "/etc/passwd"}, "unknown key 'output'"),
    ({"first": "2026-11-20", "last": "2026-11-21", "overlay": "x" * 5000}, "at most 4096 bytes"),
])
def test_hostile_requests_are_refused_with_what_is_wrong_and_nothing_is_queued(web, document, error):
    clear(web)
    status, answer = ask(web, document)
    assert status == 400 and error in answer["error"], answer
    assert queued(web) == []


def test_at_most_five_requests_wait_and_the_sixth_is_told_to_wait(web):
    clear(web)
    for _ in range(5):
        assert ask(web, ASK)[0] == 201
    status, answer = ask(web, ASK)
    assert status == 429 and "at most 5" in answer["error"]
    assert len(queued(web)) == 5
    listed = web.json(REQUESTS)["requests"]
    assert [item["state"] for item in listed] == ["queued"] * 5
    clear(web)


def test_a_queued_request_is_rendered_by_the_render_command_and_listed_with_its_video(web):
    clear(web)
    for offset in range(2):
        plant(web.output, DAY + datetime.timedelta(days=offset), every(60, count=24))
    status, answer = ask(web, ASK)
    assert status == 201 and answer["state"] == "queued" and answer["every"] == 2
    [name] = queued(web)
    assert name == f"{answer['id']}.json"
    result = run_cli("--config", web.config, "render", "--queue", timeout=120,
                     env=cli_env(TIMELAPSE_WEB_STATE=str(web.web_state)))
    assert result.returncode == 0, result.stderr
    [listed] = web.json(REQUESTS)["requests"]
    assert listed["state"] == "done" and listed["done"] == listed["total"] == 6
    assert listed["url"] == "/videos/2026/2026-11-20_2026-11-21.mp4"
    assert web.get(listed["url"])[0] == 200
    [video] = [item for item in web.json("/api/videos") if item["kind"] == "range"]
    assert video["period"] == "2026-11-20_2026-11-21" and video["frames"] == 6


def test_with_auth_none_the_list_is_readable_and_asking_is_refused(tmp_path):
    server = WebServer(tmp_path, auth="none", with_password=False, daemon=False)
    try:
        status, answer = ask(server, ASK, auth=False)
        assert status == 403 and "needs web.auth: password" in answer["error"]
        assert server.json(REQUESTS, auth=False)["can_ask"] is False
        assert b'id="ask-form" hidden' in server.get("/videos", auth=False)[2]
    finally:
        server.stop()


def test_a_script_signed_in_with_basic_takes_the_xsrf_token_from_the_list_and_asks(web):
    clear(web)
    status, response, body = web.get(REQUESTS)
    token = json.loads(body)["xsrf_token"]
    cookie = [c for c in response.headers.get_all("Set-Cookie") if c.startswith("_xsrf=")][0].split(";")[0]
    status, _, data = web.request("POST", REQUESTS, body=json.dumps(ASK),
                                  headers={"X-XSRFToken": token, "Cookie": cookie})
    assert status == 201, data
    clear(web)
