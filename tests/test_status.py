"""`timelapse status` tells the truth: running, stale, stopped, or no status at all."""

import datetime
import json
import os
import subprocess
import sys

import pytest

from timelapse.status import format_status, is_stale, write_status

from conftest import run_cli


@pytest.fixture
def daemon_pid():
    """A live process whose command line says timelapse, as the real daemon's does."""
    process = subprocess.Popen([sys.executable, "-c", "import time; print(flush=True); time.sleep(60)",
                                "timelapse", "run"], stdout=subprocess.PIPE)
    process.stdout.readline()  # up and running: /proc/PID/cmdline is empty for an instant after exec
    yield process.pid
    process.kill()
    process.wait()


def sample(**changes):
    now = datetime.datetime.now().astimezone()
    status = {"version": "0.1.0", "pid": os.getpid(), "state": "capturing", "camera": "synthetic test pattern",
              "interval": 60, "last_capture": now.isoformat(timespec="seconds"),
              "last_image": "/var/lib/timelapse/2026/11/21/120000.jpg", "last_capture_success": True,
              "last_error": None, "consecutive_failures": 0, "captures_today": 12, "skipped_today": 1,
              "next_capture": (now + datetime.timedelta(seconds=60)).isoformat(timespec="seconds"),
              "disk_usage_percent": 42.0, "disk_free_bytes": 3_000_000_000, "clock_synced": True,
              "started": now.isoformat(timespec="seconds"), "config_loaded": now.isoformat(timespec="seconds"),
              "updated": now.isoformat(timespec="seconds")}
    status.update(changes)
    return status


def test_an_unrelated_process_with_a_reused_pid_is_not_the_daemon():
    other = subprocess.Popen(["sleep", "60"])
    try:
        assert format_status(sample(pid=other.pid), "/x").startswith("timelapse is not running")
    finally:
        other.kill()
        other.wait()


def test_no_status_file_says_not_running_and_how_to_start():
    text = format_status(None, "/run/timelapse/status.json")
    assert text.startswith("timelapse is not running") and "systemctl start timelapse" in text


def test_dead_pid_is_reported_as_not_running_with_its_last_state():
    text = format_status(sample(pid=2**22 + 12345), "/x")
    assert text.startswith("timelapse is not running (last state: capturing")


def test_running_daemon_shows_every_essential(daemon_pid):
    text = format_status(sample(pid=daemon_pid), "/x")
    assert text.splitlines()[0] == f"timelapse is running (pid {daemon_pid}), state: capturing"
    for fragment in ("/var/lib/timelapse/2026/11/21/120000.jpg", "12 (1 skipped)", "42.0% used, 3.0 GB free",
                     "next capture", "synchronized"):
        assert fragment in text


def test_an_old_update_is_called_stale(daemon_pid):
    old = (datetime.datetime.now().astimezone() - datetime.timedelta(minutes=10)).isoformat(timespec="seconds")
    status = sample(pid=daemon_pid, updated=old, next_capture=old)
    assert is_stale(status)
    assert "status is stale" in format_status(status, "/x")


def test_a_long_wait_for_the_next_slot_is_not_stale():
    now = datetime.datetime.now().astimezone()
    status = sample(updated=(now - datetime.timedelta(hours=2)).isoformat(),
                    next_capture=(now + datetime.timedelta(hours=1)).isoformat())
    assert not is_stale(status, now)


def test_status_json_and_a_broken_config_still_shows_status(tmp_path, write_config):
    status_file = tmp_path / "status.json"
    write_status(str(status_file), sample())
    assert oct(status_file.stat().st_mode & 0o777) == "0o644"
    cfg = write_config(f"daemon: {{status_file: {status_file}}}\n")
    result = run_cli("--config", cfg, "status", "--json")
    assert json.loads(result.stdout)["captures_today"] == 12
    broken = write_config("capture: {interval: -5}\n", "broken.yml")
    result = run_cli("--config", broken, "status")
    assert result.returncode == 3  # the default status file is not there: not running
    assert "configuration has 1 error(s)" in result.stderr


@pytest.mark.parametrize("what, code", [("running", 0), ("stopped", 3), ("dead", 3), ("no file", 3)])
def test_status_exits_3_when_the_daemon_is_not_running_like_systemctl_status(tmp_path, write_config, daemon_pid,
                                                                            what, code):
    status_file = tmp_path / "status.json"
    if what != "no file":
        write_status(str(status_file), sample(pid=2**22 + 12345 if what == "dead" else daemon_pid,
                                              state="stopped" if what == "stopped" else "capturing"))
    cfg = write_config(f"daemon: {{status_file: {status_file}}}\n")
    for args in ((), ("--json",)):
        assert run_cli("--config", cfg, "status", *args).returncode == code
