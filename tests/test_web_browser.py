"""Every page in a real headless Chromium (Debian's chromium and chromium-driver, driven by
python3-selenium), at phone and desktop size, against the real daemon and web server.

Screenshots go to $TIMELAPSE_SCREENSHOTS (default dist/screenshots/, kept by make check) to be looked at.
"""

import datetime
import os
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from web_harness import PASSWORD, WebServer

SIZES = {"phone": (390, 844), "desktop": (1280, 860)}
SHOTS = Path(os.environ.get("TIMELAPSE_SCREENSHOTS", Path(__file__).resolve().parent.parent / "dist/screenshots"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    # An alert channel is configured (and never started: no timelapse-alerts here), as on many cameras:
    # the pages show its health, and the Live page once broke on that field.
    server = WebServer(tmp_path_factory.mktemp("browser"), camera="resolution: [1280, 720]",
                       extra="alerts: {webhook: 'http://127.0.0.1:9/hook'}\n")
    server.daemon.wait_for_images(4)
    # A rendered video and its keogram for yesterday, so the Videos page and the keogram timeline show.
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    folder = server.output / f"{yesterday:%Y/%m/%d}"
    folder.mkdir(parents=True)
    for index, image in enumerate(sorted(server.output.rglob("*.jpg"))[:4]):
        (folder / f"12{index:02d}00.jpg").write_bytes(image.read_bytes())
    from conftest import run_cli
    assert run_cli("--config", server.config, "render", yesterday.isoformat(), "--fps", "2").returncode == 0
    assert run_cli("--config", server.config, "keogram", yesterday.isoformat()).returncode == 0
    # The videos of yesterday's week (with the time on it), month (a frame a day) and the project (SPEC §18).
    for extra in (("week", "--overlay", "{camera} {time:%H:%M}"), ("month", "--daily-frame", "12:00"),
                  ("project",)):
        made = run_cli("--config", server.config, "render", "--period", *extra, "--fps", "2")
        assert made.returncode == 0, made.stderr
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def size(driver, name):
    width, height = SIZES[name]
    driver.set_window_size(width, height)


def no_horizontal_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(driver, site):
    driver.get(f"{site.base}/")
    WebDriverWait(driver, 10).until(lambda d: "/login" in d.current_url)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "status"))


def open_page(driver, site, url):
    """Go to ``url``, signing in first if the session is not there yet."""
    driver.get(f"{site.base}{url}")
    if "/login" in driver.current_url:
        sign_in(driver, site)
        driver.get(f"{site.base}{url}")


def test_sign_in_then_every_page_at_phone_and_desktop_size(site, browser):
    browser.get(f"{site.base}/days")
    assert "/login" in browser.current_url
    size(browser, "phone")
    browser.save_screenshot(str(SHOTS / "phone-login.png"))
    sign_in(browser, site)
    today = datetime.date.today()
    pages = {"status": "/", "live": "/live", "days": "/days", "day": f"/days/{today}", "videos": "/videos"}
    for name in SIZES:
        size(browser, name)
        for page, url in pages.items():
            browser.get(f"{site.base}{url}")
            time.sleep(1.5)  # the status refresh, the live stream and the day's grid have come in
            browser.save_screenshot(str(SHOTS / f"{name}-{page}.png"))
            assert no_horizontal_scroll(browser), f"{page} scrolls sideways at {name} size"
    errors = console_errors(browser)
    assert not errors, errors


def test_status_shows_the_daemons_state(site, browser):
    open_page(browser, site, "/")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-field="state"]').text)
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="state"]').text == "capturing"
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="running_text"]').text == "running"
    assert browser.find_element(By.CSS_SELECTOR, '[data-field="alerts"]').text == "webhook: not started"
    WebDriverWait(browser, 10).until(lambda d: d.find_element(
        By.CSS_SELECTOR, '[data-field="last_thumb"]').get_attribute("naturalWidth") not in (None, "0"))


def test_the_live_image_changes(site, browser):
    open_page(browser, site, "/live")
    live = browser.find_element(By.ID, "live")
    WebDriverWait(browser, 10).until(lambda d: live.get_attribute("naturalWidth") not in (None, "0"))
    first = live.screenshot_as_png
    time.sleep(1.5)
    assert live.screenshot_as_png != first  # the synthetic camera draws the time: frames differ
    browser.find_element(By.ID, "focus-toggle").click()
    assert "focus=1" in live.get_attribute("src")


def test_the_scrubber_changes_the_frame_and_the_keogram_jumps(site, browser):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    size(browser, "desktop")
    open_page(browser, site, f"/days/{yesterday}")
    WebDriverWait(browser, 10).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#grid img")) == 4)
    frame = browser.find_element(By.ID, "frame")
    before = frame.get_attribute("src")
    browser.execute_script("const s = document.getElementById('scrub'); s.value = 3;"
                           "s.dispatchEvent(new Event('input'));")
    assert frame.get_attribute("src") != before and browser.find_element(By.ID, "frame-time").text == "12:03:00"
    browser.find_element(By.ID, "keogram").click()  # the middle of the day
    assert browser.find_element(By.ID, "frame-time").text in ("12:01:00", "12:02:00")
    browser.save_screenshot(str(SHOTS / "desktop-day-keogram.png"))
    assert not console_errors(browser)


def test_compare_with_reference_on_a_phone_shows_the_reference_and_the_shift_of_each_frame(site, browser, tmp_path):
    from PIL import Image, ImageChops

    from conftest import run_cli

    # The reference: the newest image as if the camera had since turned (its picture 24 px left, 12 px down).
    newest = sorted(site.output.rglob("2*/*/*/*.jpg"))[-1]
    moved = tmp_path / "before.jpg"
    ImageChops.offset(Image.open(newest), 24, -12).save(moved, quality=90)
    assert run_cli("--config", site.config, "aim", "--set", moved).returncode == 0
    size(browser, "phone")
    open_page(browser, site, "/live")
    browser.find_element(By.ID, "compare-toggle").click()
    said = browser.find_element(By.ID, "aim-shift")
    WebDriverWait(browser, 15).until(lambda d: said.get_attribute("data-frame"))
    first = int(said.get_attribute("data-frame"))
    WebDriverWait(browser, 15).until(lambda d: int(said.get_attribute("data-frame")) > first + 2)  # frame by frame
    overlay = browser.find_element(By.ID, "aim-overlay")
    WebDriverWait(browser, 10).until(lambda d: overlay.get_attribute("naturalWidth") not in (None, "0"))
    assert overlay.is_displayed() and overlay.value_of_css_property("opacity") == "0.5"
    assert "24 px left, 12 px down" in said.text or said.text.startswith("No verdict"), said.text
    browser.save_screenshot(str(SHOTS / "phone-live-compare.png"))
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "compare-mode")).select_by_value("difference")
    assert "difference" in overlay.get_attribute("class")
    browser.save_screenshot(str(SHOTS / "phone-live-compare-difference.png"))
    assert no_horizontal_scroll(browser)
    assert not console_errors(browser)


def test_the_live_page_says_why_when_the_daemon_is_stopped(site, browser):
    site.daemon.stop()
    size(browser, "phone")
    open_page(browser, site, "/live")
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "live-why").is_displayed())
    assert "not running" in browser.find_element(By.ID, "live-why").text
    # ... and shows the latest image instead, with no script error on the way.
    WebDriverWait(browser, 15).until(lambda d: d.find_element(By.ID, "live-latest").get_attribute("naturalWidth")
                                     not in (None, "0"))
    assert browser.find_element(By.ID, "live-latest").is_displayed()
    scripts = [e for e in console_errors(browser) if "/live.mjpg" not in e["message"]]  # its 503 is the point
    assert not scripts, scripts
    browser.save_screenshot(str(SHOTS / "phone-live-daemon-stopped.png"))


def test_the_videos_page_on_a_phone_groups_every_kind_with_its_poster(site, browser):
    size(browser, "phone")
    open_page(browser, site, "/videos")
    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "main > h2")]
    assert headings == ["Days", "Weeks", "Months", "Project"]
    posters = [v.get_attribute("poster") for v in browser.find_elements(By.TAG_NAME, "video")]
    assert len(posters) == 4 and all(posters[1:]), posters  # a day's keogram is shown beside its video
    assert "frames" in browser.find_elements(By.CSS_SELECTOR, "section.video h3 small")[1].text
    time.sleep(1)
    browser.save_screenshot(str(SHOTS / "phone-videos-periods.png"))
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    browser.save_screenshot(str(SHOTS / "phone-videos-periods-end.png"))
    assert no_horizontal_scroll(browser)
    assert not console_errors(browser)


def test_a_video_asked_for_on_a_phone_shows_its_progress_and_then_its_link(site, browser):
    from conftest import cli_env, run_cli
    from timelapse.render import queue

    size(browser, "phone")
    open_page(browser, site, "/videos")
    form = browser.find_element(By.ID, "ask-form")
    browser.save_screenshot(str(SHOTS / "phone-videos-ask-top.png"))
    form.find_element(By.NAME, "every").clear()
    form.find_element(By.NAME, "every").send_keys("2")
    form.find_element(By.NAME, "overlay").send_keys("{date} {time:%H:%M}")
    browser.save_screenshot(str(SHOTS / "phone-videos-ask.png"))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "waiting for the renderer" in d.find_element(By.ID, "requests").text)
    [request_id] = queue.queued_ids(site.web_state / queue.QUEUE)
    queue.write_status(site.output, request_id, "rendering", 1, 2)  # as the renderer writes it mid-way
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#requests progress"))
    assert "rendering: 1 of 2 frames" in browser.find_element(By.ID, "requests").text
    browser.execute_script("document.getElementById('requests').scrollIntoView()")
    browser.save_screenshot(str(SHOTS / "phone-videos-ask-progress.png"))
    made = run_cli("--config", site.config, "render", "--queue", env=cli_env(TIMELAPSE_WEB_STATE=str(site.web_state)))
    assert made.returncode == 0, made.stderr
    browser.refresh()  # the list refreshes itself within 30 s; a reload also lists the video with the others
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.LINK_TEXT, "Watch"))
    assert "done, 2 frames" in browser.find_element(By.ID, "requests").text
    assert any("_" in h.text for h in browser.find_elements(By.CSS_SELECTOR, "section.video h3"))  # the range
    browser.execute_script("document.getElementById('requests').scrollIntoView()")
    browser.save_screenshot(str(SHOTS / "phone-videos-ask-done.png"))
    assert no_horizontal_scroll(browser)
    assert not console_errors(browser)
