"""The alert engine and its rules, judged on snapshots (no sleeping), and the alerts: configuration."""

import datetime

import pytest

from timelapse import config
from timelapse.alerts import report
from timelapse.alerts.engine import Engine
from timelapse.alerts.messages import compose
from timelapse.alerts.rules import BY_NAME, not_capturing
from timelapse.alerts.snapshot import Collector, Snapshot
from timelapse.alerts.store import Store
from timelapse.storage import DiskUsage

from conftest import run_cli


def settings_with(text, write_config):
    return config.load(str(write_config(text)))


def snap(settings, now, **fields):
    base = dict(now=now, settings=settings, status={"state": "capturing", "started": None}, running=True,
                disk=DiskUsage(20.0, 10 ** 9))
    base.update(fields)
    return Snapshot(**base)


def at(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def test_an_incident_fires_once_after_its_hold_and_resolves_once(tmp_path):
    settings = config.defaults()
    engine = Engine(Store(tmp_path))
    down = dict(running=False, why_down="the daemon (pid 7) is gone")
    assert engine.evaluate(snap(settings, 1000.0, **down)) == []  # pending: systemd may restart it
    assert engine.evaluate(snap(settings, 1059.0, **down)) == []
    fired = engine.evaluate(snap(settings, 1060.0, **down))
    assert [(t.rule.name, t.state, t.since) for t in fired] == [("not_capturing", "firing", 1000.0)]
    assert engine.evaluate(snap(settings, 2000.0, **down)) == []  # never a repeat while it lasts
    resolved = engine.evaluate(snap(settings, 2100.0, last_good=2090.0))
    assert [(t.rule.name, t.state, t.since, t.until) for t in resolved] == [("not_capturing", "resolved", 1000.0, 2100.0)]
    assert engine.evaluate(snap(settings, 2200.0, last_good=2190.0)) == []


def test_a_daemon_back_within_its_hold_is_no_incident(tmp_path):
    engine = Engine(Store(tmp_path))
    settings = config.defaults()
    engine.evaluate(snap(settings, 1000.0, running=False))
    assert engine.evaluate(snap(settings, 1010.0, last_good=1005.0)) == []
    assert engine.incidents == {}


def test_a_new_engine_on_the_same_state_neither_repeats_nor_forgets(tmp_path):
    settings = config.defaults()
    Engine(Store(tmp_path)).evaluate(snap(settings, 1000.0, running=False))
    assert [t.state for t in Engine(Store(tmp_path)).evaluate(snap(settings, 1100.0, running=False))] == ["firing"]
    assert Engine(Store(tmp_path)).evaluate(snap(settings, 1200.0, running=False)) == []  # restarted: silent
    assert [t.state for t in Engine(Store(tmp_path)).evaluate(snap(settings, 1300.0, last_good=1299.0))] == ["resolved"]


def test_no_images_for_after_slots_inside_the_window_fires_and_not_before(write_config):
    settings = settings_with("capture: {interval: 60, timeout: 30}\nalerts: {after: 3}", write_config)
    now = at("2026-06-01T12:00:00")
    assert not_capturing(snap(settings, now, last_good=now - 200)) is False  # 2 slots
    assert "no image for 3 slots" in not_capturing(snap(settings, now, last_good=now - 211))


def test_outside_the_window_and_in_a_polar_night_nothing_is_judged(write_config):
    fixed = settings_with("capture: {interval: 60, active_hours: '08:00-16:00'}", write_config)
    evening = at("2026-06-01T20:00:00")
    assert not_capturing(snap(fixed, evening, last_good=evening - 3 * 3600)) is None
    morning = at("2026-06-01T08:10:00")  # the window opened 10 minutes ago: slots count from then
    assert "no image for" in not_capturing(snap(fixed, morning, last_good=morning - 16 * 3600))
    assert not_capturing(snap(fixed, at("2026-06-01T08:02:00"), last_good=morning - 16 * 3600)) is False
    polar = settings_with("capture: {interval: 60, active_hours: {from: sunrise, until: sunset}, "
                          "location: {latitude: 78.2, longitude: 15.6}}", write_config)  # Longyearbyen
    noon = at("2026-12-21T12:00:00")
    assert not_capturing(snap(polar, noon, last_good=noon - 30 * 86400)) is None
    idle = snap(fixed, morning, status={"state": "idle"}, last_good=morning - 16 * 3600)
    assert not_capturing(idle) is None


def test_camera_and_disk_states_have_their_own_rules_and_no_not_capturing(write_config):
    settings = settings_with("storage: {warn_threshold: 80, stop_threshold: 90}", write_config)
    now = 10 ** 6
    lost = snap(settings, now, status={"state": "waiting_for_camera", "last_error": "unplugged"}, last_good=now - 999)
    assert BY_NAME["camera_lost"].test(lost) == "the camera fails: unplugged"
    assert not_capturing(lost) is False
    assert BY_NAME["disk_warn"].test(snap(settings, now, disk=DiskUsage(85.0, 1))) == \
        "the disk is 85% used (warn_threshold 80%)"
    full = snap(settings, now, disk=DiskUsage(93.0, 1))
    assert "93% used" in BY_NAME["disk_full"].test(full) and BY_NAME["disk_warn"].test(full) is False
    assert BY_NAME["disk_full"].test(snap(settings, now, disk=None, status={})) is None


def test_a_missing_drive_has_its_own_event_and_no_disk_figures_of_the_card_underneath(write_config):
    settings = settings_with("storage: {warn_threshold: 80, stop_threshold: 90}", write_config)
    now = 10 ** 6
    why = "/media/usb/images: its drive is not mounted at /media/usb; not writing images underneath"
    away = snap(settings, now, disk=DiskUsage(95.0, 1), last_good=now - 999,
                status={"state": "storage_missing", "missing_mount": "/media/usb", "last_error": why})
    assert BY_NAME["storage_missing"].test(away) == why
    assert not_capturing(away) is False
    assert BY_NAME["disk_full"].test(away) is None and BY_NAME["disk_warn"].test(away) is None  # the SD card's
    assert BY_NAME["storage_missing"].test(snap(settings, now)) is False


def test_sync_failing_after_four_times_sync_every(write_config):
    settings = settings_with("sync: {remote: 'nas:cam', every: 15m}", write_config)
    now = at("2026-06-01T12:00:00")
    ok = {"last_success": "2026-06-01T11:01:00+00:00"}
    recent = datetime.datetime.fromtimestamp(now - 3000).astimezone().isoformat()
    assert BY_NAME["sync_failing"].test(snap(settings, now, sync={"last_success": recent})) is False
    old = datetime.datetime.fromtimestamp(now - 3700).astimezone().isoformat()
    found = BY_NAME["sync_failing"].test(snap(settings, now, sync={"last_success": old, "last": {
        "ok": False, "error": "connection refused"}}))
    assert "no successful copy to nas:cam" in found and "connection refused" in found
    assert BY_NAME["sync_failing"].test(snap(config.defaults(), now, sync=ok)) is False  # no remote


def test_clock_unsynchronized_waits_an_hour_and_render_needs_systemd(tmp_path):
    settings = config.defaults()
    engine = Engine(Store(tmp_path))
    unsynced = {"state": "capturing", "clock_synced": False}
    assert engine.evaluate(snap(settings, 0.0, status=unsynced, last_good=0.0)) == []
    assert engine.evaluate(snap(settings, 3599.0, status=unsynced, last_good=3599.0)) == []
    assert [t.rule.name for t in engine.evaluate(snap(settings, 3600.0, status=unsynced, last_good=3600.0))] == \
        ["clock_unsynchronized"]
    assert BY_NAME["render_failed"].test(snap(settings, 0.0, render=None)) is None
    assert BY_NAME["render_failed"].test(snap(settings, 0.0, render={"Result": "exit-code"})) == \
        "timelapse-render.service failed (exit-code)"


def test_a_unit_in_a_restart_loop_is_not_running_though_active_now(tmp_path):
    settings = config.defaults()
    counts = iter([0, 1, 2, 3])
    collector = Collector(settings)
    seen = [collector._daemon({}, float(when), {"ActiveState": "active", "SubState": "running",
                                                "NRestarts": next(counts)}) for when in (0, 30, 60, 90)]
    assert [running for running, _ in seen] == [True, True, True, False]
    assert "restarting in a loop (3 restarts" in seen[-1][1]
    # and without systemd, the status file's pid decides
    assert collector._daemon({"pid": 2 ** 22 + 1, "state": "capturing"}, 100.0, None) == \
        (False, f"the daemon (pid {2 ** 22 + 1}) is gone")


def test_messages_are_short_local_and_name_the_camera_and_the_next_command(tmp_path):
    settings = config.defaults()
    engine = Engine(Store(tmp_path))
    start = at("2026-06-01T14:03:00")
    engine.evaluate(snap(settings, start, running=False, why_down="timelapse.service failed (exit-code)"))
    fired = engine.evaluate(snap(settings, start + 60, running=False, why_down="timelapse.service failed (exit-code)",
                                 last_image="/var/lib/timelapse/2026/06/01/140200.jpg", last_good=start - 60))
    message = compose(fired[0], snap(settings, start + 60, last_image="/var/lib/timelapse/2026/06/01/140200.jpg",
                                     last_good=start - 60), "balcony")
    assert message["message"] == ("balcony: not capturing since 14:03: timelapse.service failed (exit-code). "
                                  "Last good image: /var/lib/timelapse/2026/06/01/140200.jpg (14:02). "
                                  "Next: sudo systemctl status timelapse; journalctl -u timelapse -e")
    assert message["title"] == "balcony: not capturing" and message["since"].startswith("2026-06-01T14:03:00")


def test_the_daily_report_is_due_once_a_day_after_its_time():
    assert not report.due("08:00", at("2026-06-01T07:59:00"), None)
    assert report.due("08:00", at("2026-06-01T08:00:00"), "2026-05-31")
    assert not report.due("08:00", at("2026-06-01T20:00:00"), "2026-06-01")
    assert not report.due(None, at("2026-06-01T20:00:00"), None)



def test_the_daily_report_counts_only_the_days_images(write_config, tmp_path):
    """The report's "Yesterday N images" is the archive's reading of the day: a half-written image, a
    stray file and a folder with an image's name are not images."""
    settings = settings_with(f"storage: {{output_dir: {tmp_path / 'images'}}}\n", write_config)
    day = tmp_path / "images/2026/05/31"
    day.mkdir(parents=True)
    for name in ("080000.jpg", "080100.jpg", "020000_2.jpg", ".080200.jpg.123.tmp", "notes.jpg"):
        (day / name).write_bytes(b"\xff\xd8 jpeg")
    (day / "120000.jpg").mkdir()
    assert report.count_images(settings.storage.output_dir, datetime.date(2026, 5, 31)) == 3
    assert report.count_images(settings.storage.output_dir, datetime.date(2026, 5, 30)) == 0
    message = report.compose(snap(settings, at("2026-06-01T08:00:00")), "balcony", [])
    assert "Yesterday 3 images;" in message["message"]

@pytest.mark.parametrize("text, line, fragment", [
    ("alerts:\n  after: 0\n", 2, "alerts.after: expected a whole number of at least 1"),
    ("alerts:\n  email:\n    to: me@example.org\n    host: smtp.example.org\n", 2,
     "alerts.email: expected from in alerts.email"),
    ("alerts:\n  email:\n    to: nobody\n", 3, "alerts.email.to: expected one or more e-mail addresses"),
    ("alerts:\n  mqtt:\n    host: broker\n    prot: 1883\n", 4, "alerts.mqtt.prot: unknown key 'prot' (did you mean 'port'?)"),
    ("alerts:\n  webhook: {url: 'ftp://x', format: ntfy}\n", 2, "alerts.webhook.url: expected an http:// or https:// URL"),
    ("alerts:\n  webhook:\n    url: https://ntfy.sh/x\n    format: slack\n", 4,
     "alerts.webhook.format: expected one of json, ntfy"),
    ("alerts:\n  daily_report: '25:00'\n", 2, 'alerts.daily_report: expected a local time "HH:MM"'),
    ("alerts:\n  mqtt: {host: b, topic: 'cams/#'}\n", 2, "alerts.mqtt.topic: expected an MQTT topic prefix"),
])
def test_bad_alerts_settings_name_file_line_and_what_was_expected(text, line, fragment, write_config):
    path = write_config(text)
    result = run_cli("check-config", path)
    assert result.returncode == 78
    assert f"{path}:{line}: {fragment}" in result.stderr, result.stderr


def test_every_alerts_error_is_reported_at_once(write_config):
    path = write_config("alerts:\n  after: 0\n  email: {to: x}\n  daily_report: 7pm\n")
    errors = run_cli("check-config", path).stderr.splitlines()
    assert len(errors) >= 5 and all(f"{path}:" in line for line in errors), errors


def test_good_alerts_settings_load_normalized(write_config):
    alerts = settings_with("alerts:\n  webhook: https://example.org/hook\n  daily_report: 08:00\n"
                           "  mqtt: {host: broker}\n  email: {to: me@example.org, from: c@example.org, host: h}\n",
                           write_config).alerts
    assert alerts.webhook == {"url": "https://example.org/hook", "format": "json"}
    assert alerts.daily_report == "08:00"  # YAML read the unquoted 08:00 as 480
    assert alerts.mqtt == {"host": "broker", "port": 1883, "tls": False, "user": None, "topic": None,
                           "homeassistant": True}
    assert alerts.email["to"] == ["me@example.org"] and alerts.email["starttls"] is True


def test_check_config_warns_when_a_channel_needs_the_password_file(write_config, tmp_path):
    path = write_config("alerts:\n  email: {to: me@example.org, from: c@example.org, host: h, user: cam}\n")
    result = run_cli("check-config", path)
    assert result.returncode == 0 and "  alerts: email" in result.stdout
    assert f"timelapse: warning: alerts.email.user is set but {tmp_path}/alerts-password does not exist" in \
        result.stderr
    (tmp_path / "alerts-password").write_text("secret\n")
    assert "warning" not in run_cli("check-config", path).stderr


def test_alerts_without_a_channel_is_idle_and_silent(tmp_path, write_config):
    import signal
    import subprocess
    import sys
    import time

    from conftest import cli_env

    path = write_config(f"storage: {{output_dir: {tmp_path}}}\ndaemon: {{status_file: {tmp_path}/status.json}}\n")
    process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(path), "alerts"],
                               stderr=subprocess.PIPE, text=True, env=cli_env(TIMELAPSE_ALERTS_PERIOD="0.1"))
    time.sleep(2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "no channel configured" in err and "not capturing" not in err
    assert not (tmp_path / ".alerts/incidents.json").exists()


def test_alerts_test_without_a_channel_says_how_to_set_one(write_config):
    result = run_cli("--config", write_config(""), "alerts", "--test")
    assert result.returncode == 1 and "no alert channel is configured" in result.stderr


def test_systemctl_show_output_of_two_units_is_read_per_unit():
    from timelapse.units import describe, is_running, parse_show

    text = ("Id=timelapse.service\nLoadState=loaded\nActiveState=activating\nSubState=auto-restart\n"
            "Result=exit-code\nNRestarts=4\nExecMainStatus=1\n\n"
            "Id=timelapse-render.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n"
            "Result=success\nNRestarts=0\nExecMainStatus=0\n")
    states = parse_show(text, ("timelapse.service", "timelapse-render.service"))
    assert states["timelapse-render.service"] is None  # not installed: the status file decides
    daemon = states["timelapse.service"]
    assert daemon["NRestarts"] == 4 and not is_running(daemon)
    assert describe("timelapse.service", daemon) == "timelapse.service activating, restarting (exit-code)"


def test_channel_health_reaches_the_web_status_and_timelapse_status(tmp_path, write_config):
    from types import SimpleNamespace

    from timelapse.web.handlers.status import current_status

    path = write_config(f"storage: {{output_dir: {tmp_path}}}\ndaemon: {{status_file: {tmp_path}/status.json}}\n"
                        "alerts: {webhook: http://127.0.0.1:9/x, email: {to: a@example.org, from: b@example.org, "
                        "host: 127.0.0.1}}\n")
    settings = config.load(str(path))
    Store(tmp_path).write("channels", {"webhook": {"ok": False, "error": "connection refused by 127.0.0.1:9",
                                                   "since": "2026-06-01T10:00:00+00:00", "pending": 2,
                                                   "next_retry": "2026-06-01T10:05:00+00:00"}})
    shown = current_status(SimpleNamespace(settings=settings))["alerts"]
    assert shown == {"email": None, "webhook": {"ok": False, "error": "connection refused by 127.0.0.1:9",
                                                "since": "2026-06-01T10:00:00+00:00", "pending": 2,
                                                "next_retry": "2026-06-01T10:05:00+00:00"}}
    text = run_cli("--config", path, "status").stdout
    assert "  alerts:            email not started (is timelapse-alerts.service running?" in text
    assert "webhook FAILING since 2026-06-01T10:00:00+00:00, 2 message(s) waiting" in text


def test_without_a_status_the_newest_image_on_disk_is_the_last_good_one(tmp_path):
    from timelapse.alerts.snapshot import newest_image

    assert newest_image(tmp_path) == (None, None)
    for day, names in (("2026/05/31", ["235959.jpg"]), ("2026/06/01", ["080000.jpg", "120000.jpg", ".x.tmp"]),
                       ("2026/06/02", [])):
        (tmp_path / day).mkdir(parents=True)
        for name in names:
            (tmp_path / day / name).write_bytes(b"\xff\xd8")
    assert newest_image(tmp_path)[0] == str(tmp_path / "2026/06/01/120000.jpg")


def test_the_newest_image_in_the_repeated_autumn_hour_is_the_second_pass(tmp_path):
    # 02:45_2 (+01:00) was taken an hour after 02:45 (+02:00) and after every plain name of that hour.
    from timelapse.alerts.snapshot import newest_image

    folder = tmp_path / "2026/10/25"
    folder.mkdir(parents=True)
    for name in ("015900.jpg", "020000.jpg", "024500.jpg", "020000_2.jpg", "021500_2.jpg"):
        (folder / name).write_bytes(b"\xff\xd8")
    assert newest_image(tmp_path)[0] == str(folder / "021500_2.jpg")
