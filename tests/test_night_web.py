"""The Night page (SPEC §19) and its JSON twin over real HTTP, and in a real headless Chromium: a planted
night (tests/night_sky.py: JPEGs with EXIF) through `timelapse startrails` and `timelapse meteors`."""

import datetime
import json
import time

import pytest
from selenium.webdriver.common.by import By

from timelapse import archive

from conftest import run_cli
from night_sky import plant_night
import test_web_browser
from test_web_browser import SHOTS, console_errors, no_horizontal_scroll, open_page, size
from web_harness import WebServer

browser = test_web_browser.browser  # the same headless Chromium fixture
EVENING = datetime.date(2026, 11, 21)
NIGHT = archive.Period.night(EVENING)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = WebServer(tmp_path_factory.mktemp("nightweb"), daemon=False)
    plant_night(server.output, EVENING, step_minutes=10, meteors=4)
    for command in ("startrails", "meteors"):
        result = run_cli("--config", server.config, command, str(EVENING))
        assert result.returncode == 0, result.stderr
    yield server
    server.stop()


def test_the_night_json_has_startrails_meteors_with_their_frames_and_the_stars_through_the_night(site):
    night = site.json(f"/api/nights/{EVENING}")
    assert night["night"] == "2026-11-21" and night["sky"] == "clear"
    assert night["startrails"] == "/videos/2026/2026-11-21-startrails.jpg"
    assert night["left_out"]["lit"] == 3
    assert len(night["stars"]) == 72 and night["stars"][0]["time"].startswith("2026-11-21T18:00")
    assert night["meteors"], night
    for meteor in night["meteors"]:
        for url in (meteor["crop"], meteor["frame"]):
            status, response, body = site.get(url)
            assert status == 200 and body[:2] == b"\xff\xd8", url
    status, _, page = site.get(f"/nights/{EVENING}")
    assert status == 200 and b"2026-11-21-startrails.jpg" in page and b"<polyline" in page


def test_a_night_is_listed_from_its_evening_s_day(site):
    days = {day["date"]: day for day in site.json("/api/days")}
    assert days["2026-11-21"]["night"] == f"/nights/{EVENING}"
    assert days["2026-11-22"]["night"] is None


def test_a_malformed_night_is_400_one_with_nothing_made_404(site):
    assert site.get("/nights/2026-13-01")[0] == 400
    assert site.get("/api/nights/..%2f..%2fetc")[0] == 400
    assert site.get("/nights/2020-01-01")[0] == 404


def test_a_hostile_meteors_file_links_no_frame_outside_the_days(site):
    path = archive.product_path(site.output, archive.Product(NIGHT, "meteors"))
    saved = path.read_bytes()
    try:
        path.write_text(json.dumps({"candidates": [{"image": "../../../etc/passwd", "time": 5},
                                                   "not a candidate", {"image": "/etc/shadow"}]}))
        night = site.json(f"/api/nights/{EVENING}")
        assert [meteor["frame"] for meteor in night["meteors"]] == [None, None]
        path.write_bytes(b"\xff" * 100)
        assert site.json(f"/api/nights/{EVENING}")["meteors"] == []
    finally:
        path.write_bytes(saved)


def test_the_night_page_in_a_browser(site, browser):
    for name in ("desktop", "phone"):
        size(browser, name)
        open_page(browser, site, f"/nights/{EVENING}")
        time.sleep(1)
        browser.save_screenshot(str(SHOTS / f"{name}-night.png"))
        assert no_horizontal_scroll(browser), f"the night page scrolls sideways at {name} size"
    startrails = browser.find_element(By.CSS_SELECTOR, "img.startrails")
    assert browser.execute_script("return arguments[0].naturalWidth", startrails) > 0
    crops = browser.find_elements(By.CSS_SELECTOR, ".meteors img")
    assert crops and all(browser.execute_script("return arguments[0].naturalWidth", c) > 0 for c in crops)
    assert not console_errors(browser)
    crops[0].click()  # a crop opens its frame
    assert "/images/2026/11/" in browser.current_url


def test_the_clear_sky_figure_of_the_newest_image_is_in_the_status_and_metrics(site):
    status_file = site.daemon.status_file
    status_file.parent.mkdir(parents=True, exist_ok=True)
    night_frame = archive.image_path(site.output, datetime.datetime(2026, 11, 21, 22, 0))
    try:
        status_file.write_text(json.dumps({"state": "capturing", "last_image": str(night_frame)}))
        figure = site.json("/api/status")["night_sky"]
        assert figure["sky"] == "clear" and figure["stars"] >= 10
        metrics = site.get("/metrics")[2].decode()
        assert 'timelapse_sky{sky="clear"} 1.0' in metrics
        assert f"timelapse_stars {float(figure['stars'])}" in metrics
        status_file.write_text(json.dumps({"state": "capturing", "last_image": "/etc/passwd"}))
        assert site.json("/api/status")["night_sky"] == {"stars": None, "sky": "unknown"}
    finally:
        status_file.unlink(missing_ok=True)
