"""The Settings page in a real headless Chromium at phone and desktop size (SPEC §17), against the real
daemon and web server: an error beside its field, a change saved and "applied" once the daemon says so.

Screenshots go to $TIMELAPSE_SCREENSHOTS (default dist/screenshots/), as for the other pages.
"""

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import test_web_browser
from test_web_browser import SHOTS, console_errors, no_horizontal_scroll, open_page, size
from web_harness import WebServer

browser = test_web_browser.browser  # the same headless Chromium fixture


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = WebServer(tmp_path_factory.mktemp("settings-browser"), camera="resolution: [640, 360]")
    yield server
    server.stop()


def field(driver, key):
    return driver.find_element(By.CSS_SELECTOR, f'.field[data-key="{key}"]')


def save(driver, key, text):
    box = field(driver, key)
    entry = box.find_element(By.CSS_SELECTOR, "input")
    entry.clear()
    entry.send_keys(text)
    box.find_element(By.CSS_SELECTOR, "button.save").click()
    return box


def test_change_the_interval_and_exposure_see_an_error_then_applied_at_phone_size(site, browser):
    size(browser, "phone")
    open_page(browser, site, "/settings")
    box = save(browser, "capture.interval", "0")
    error = box.find_element(By.CSS_SELECTOR, ".field-error")
    WebDriverWait(browser, 10).until(lambda d: error.is_displayed())
    assert error.text.startswith("expected a duration of at least 1 second") and "got '0'" in error.text
    browser.execute_script("arguments[0].scrollIntoView()", box)
    browser.save_screenshot(str(SHOTS / "phone-settings-error.png"))
    save(browser, "capture.interval", "2s")
    applied = browser.find_element(By.ID, "applied")
    WebDriverWait(browser, 15).until(lambda d: "applied" in applied.text and "Version" in applied.text)
    assert site.daemon.status()["interval"] == 2
    save(browser, "camera.exposure", '{"mode": "smooth"}')
    WebDriverWait(browser, 15).until(lambda d: "Version 2 applied" in applied.text)
    assert "web " in field(browser, "camera.exposure").find_element(By.CSS_SELECTOR, '[data-field="origin"]').text
    browser.get(f"{site.base}/settings")
    time.sleep(0.5)
    browser.save_screenshot(str(SHOTS / "phone-settings.png"))
    assert no_horizontal_scroll(browser)
    size(browser, "desktop")
    browser.save_screenshot(str(SHOTS / "desktop-settings.png"))
    assert no_horizontal_scroll(browser)
    script_errors = [e for e in console_errors(browser) if e["source"] != "network"]  # the 400 above is meant
    assert not script_errors, script_errors


def test_use_the_files_value_removes_the_web_value(site, browser):
    size(browser, "phone")
    open_page(browser, site, "/settings")
    save(browser, "render.fps", "30")
    WebDriverWait(browser, 10).until(lambda d: "render" in site.layer.read_text())
    browser.get(f"{site.base}/settings")
    field(browser, "render.fps").find_element(By.CSS_SELECTOR, "button.use-file").click()
    WebDriverWait(browser, 10).until(lambda d: "fps" not in site.layer.read_text())
    origin = field(browser, "render.fps").find_element(By.CSS_SELECTOR, '[data-field="origin"]')
    WebDriverWait(browser, 10).until(lambda d: origin.text == "default")


def test_after_a_window_change_the_coming_days_windows_show(site, browser):
    open_page(browser, site, "/settings")
    save(browser, "capture.active_hours", "00:00-23:59")
    windows = browser.find_element(By.ID, "windows")
    WebDriverWait(browser, 10).until(lambda d: windows.is_displayed())
    assert len(windows.find_elements(By.CSS_SELECTOR, "li")) == 7 and "00:00 to 23:59" in windows.text
    browser.execute_script("arguments[0].scrollIntoView()", windows)
    browser.save_screenshot(str(SHOTS / "phone-settings-windows.png"))
