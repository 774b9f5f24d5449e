"""The real daemon applies the web layer by itself (SPEC §17): within seconds, from the next slot, none missed."""

import datetime
import time

import pytest

from timelapse.settings import change

from daemon_harness import DaemonProcess


@pytest.fixture
def daemon(tmp_path):
    (tmp_path / "web").mkdir()
    process = DaemonProcess(tmp_path)
    process.layer = tmp_path / "web/settings.yml"
    process.config.write_text(process.config.read_text() + f"web:\n  settings: {process.layer}\n")
    yield process
    process.kill()


def settings_of(daemon):
    return daemon.status().get("settings") or {}


def test_a_saved_layer_applies_from_the_next_slot_with_no_slot_missed(daemon):
    daemon.start()
    daemon.wait_for_images(2)
    change.save(daemon.config, {"capture.interval": 2, "render.fps": 30}, "192.0.2.9")
    daemon.wait_for(lambda: settings_of(daemon).get("version") == 1, timeout=10, what="version 1 applied")
    assert settings_of(daemon)["error"] is None and settings_of(daemon)["applied"]
    daemon.wait_for(lambda: daemon.status().get("interval") == 2, timeout=5, what="interval 2")
    count = len(daemon.images())
    daemon.wait_for_images(count + 2, timeout=10)
    assert not [line for line in daemon.gaps() if "missed" in line], daemon.gaps()
    assert "web settings version 1 applied" in daemon.logs() and "camera reopens" not in daemon.logs()


def test_a_bad_layer_keeps_capture_going_on_the_file_and_says_why_once(daemon):
    daemon.start()
    daemon.wait_for_images(1)
    daemon.layer.write_text("capture:\n  interval: 5\nstorage:\n  output_dir: /tmp/elsewhere\n")
    daemon.wait_for(lambda: settings_of(daemon).get("error"), timeout=10, what="the layer refused")
    assert "storage.output_dir" in settings_of(daemon)["error"] and settings_of(daemon)["version"] is None
    count = len(daemon.images())
    daemon.wait_for_images(count + 2, timeout=10)
    assert daemon.status()["interval"] == 1
    daemon.layer.write_text("capture: [\n")  # garbage next; then the same garbage again
    daemon.wait_for(lambda: "YAML" in (settings_of(daemon).get("error") or ""), timeout=10, what="garbage refused")
    daemon.layer.write_text("capture: [\n")
    time.sleep(1.5)
    assert daemon.logs().count("YAML syntax error") == 1, daemon.logs()
    daemon.wait_for_images(len(daemon.images()) + 1, timeout=10)


def test_a_window_opened_in_the_web_takes_effect_within_seconds_while_idle(daemon):
    later = datetime.datetime.now() + datetime.timedelta(hours=3)
    window = f"{later:%H:00}-{(later + datetime.timedelta(hours=1)):%H:00}"
    daemon.write_config(capture=f"interval: 1, active_hours: '{window}'")
    daemon.config.write_text(daemon.config.read_text() + f"web:\n  settings: {daemon.layer}\n")
    daemon.start()
    daemon.wait_for_state("idle")
    now = datetime.datetime.now()
    opened = f"{now - datetime.timedelta(hours=1):%H:%M}-{now + datetime.timedelta(hours=2):%H:%M}"
    change.save(daemon.config, {"capture.active_hours": opened}, "x")
    daemon.wait_for(lambda: daemon.images(), timeout=10, what="capture after the window opened")
    assert settings_of(daemon)["version"] == 1


def test_status_and_check_config_name_the_refused_layer(daemon):
    from conftest import run_cli

    daemon.layer.write_text("daemon:\n  gap_log: /tmp/x\n")
    daemon.start()
    daemon.wait_for_images(1)
    shown = run_cli("--config", daemon.config, "status")
    assert "web settings" in shown.stdout and "IGNORED" in shown.stdout and "daemon" in shown.stdout
    assert run_cli("--config", daemon.config, "check-config").returncode == 78
