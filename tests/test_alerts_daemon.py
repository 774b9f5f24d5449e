"""Alerts against the real daemon process (synthetic camera) and real servers on loopback.

SPEC §15: one message when an incident starts, one when it ends, whatever restarts between.
"""

import datetime
import json
import os
import time

from conftest import requires_root, run_cli
from daemon_harness import DaemonProcess
from alerts_harness import AlertsProcess, Mosquitto, MqttRecorder, SmtpSink, WebhookServer, add_alerts, \
    free_port, wait_until


def fired(hook, event, state):
    return [e for e in hook.events() if e["event"] == event and e["state"] == state]


def kill_9(daemon):
    daemon.process.kill()
    daemon.process.wait()
    daemon.log.close()


def test_a_killed_daemon_is_reported_once_within_two_intervals_and_a_minute_and_its_return_once(tmp_path):
    hook = WebhookServer()
    daemon = DaemonProcess(tmp_path, capture="interval: 2")
    add_alerts(daemon, webhook=hook.url, name="balcony")
    with daemon.start(), AlertsProcess(daemon.config, tmp_path) as alerts:
        daemon.wait_for_images(2)
        time.sleep(2)
        assert hook.posts == []  # a healthy camera is silent
        kill_9(daemon)
        died = time.monotonic()
        wait_until(lambda: fired(hook, "not_capturing", "firing"), 2 * 2 + 60, "the not_capturing alert")
        took = time.monotonic() - died
        event = fired(hook, "not_capturing", "firing")[0]
        assert set(event) == {"event", "state", "camera", "since", "message", "last_image"}
        assert event["camera"] == "balcony" and event["last_image"].endswith(".jpg")
        assert "not capturing since" in event["message"] and "systemctl status timelapse" in event["message"]
        datetime.datetime.fromisoformat(event["since"])
        time.sleep(3)  # many checks later: still exactly one
        assert len(fired(hook, "not_capturing", "firing")) == 1
        daemon.start()
        wait_until(lambda: fired(hook, "not_capturing", "resolved"), 30, "the recovery")
        time.sleep(3)
    print(f"not_capturing reported {took:.1f} s after kill -9 (interval 2 s, check period 0.5 s)")
    assert len(fired(hook, "not_capturing", "firing")) == 1
    assert len(fired(hook, "not_capturing", "resolved")) == 1
    assert "capturing again" in fired(hook, "not_capturing", "resolved")[0]["message"]
    assert [e["event"] for e in hook.events()] == ["not_capturing", "not_capturing"], alerts.logs()


def test_restarting_the_alerts_process_mid_incident_sends_nothing_again(tmp_path):
    hook = WebhookServer()
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    add_alerts(daemon, webhook=hook.url)
    alerts = AlertsProcess(daemon.config, tmp_path)
    with daemon.start(), alerts.start():
        daemon.wait_for_images(1)
        kill_9(daemon)
        wait_until(lambda: fired(hook, "not_capturing", "firing"), 62, "the not_capturing alert")
        alerts.stop()
        alerts.start()
        time.sleep(4)  # eight checks of the new process
        assert len(fired(hook, "not_capturing", "firing")) == 1
        daemon.start()
        wait_until(lambda: fired(hook, "not_capturing", "resolved"), 30, "the recovery")
        alerts.stop()
        alerts.start()
        time.sleep(3)
    assert len(fired(hook, "not_capturing", "firing")) == 1
    assert len(fired(hook, "not_capturing", "resolved")) == 1


def test_a_failing_camera_is_one_camera_lost_and_one_recovery_and_no_not_capturing(tmp_path):
    hook = WebhookServer()
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    add_alerts(daemon, webhook=hook.url)
    with daemon.start(), AlertsProcess(daemon.config, tmp_path):
        daemon.wait_for_images(1)
        daemon.fault("fail")
        wait_until(lambda: fired(hook, "camera_lost", "firing"), 40, "camera_lost")
        assert "told to fail" in fired(hook, "camera_lost", "firing")[0]["message"]
        daemon.fault(None)
        daemon.wait_for_state("capturing", timeout=20)
        wait_until(lambda: fired(hook, "camera_lost", "resolved"), 20, "the camera's recovery")
        time.sleep(2)
    assert [(e["event"], e["state"]) for e in hook.events()] == [("camera_lost", "firing"), ("camera_lost", "resolved")]


@requires_root
def test_a_full_disk_is_reported_and_its_recovery(tmp_path, small_tmpfs):
    hook = WebhookServer()
    daemon = DaemonProcess(tmp_path, storage="warn_threshold: 40, stop_threshold: 50", output=small_tmpfs)
    add_alerts(daemon, webhook=hook.url)
    filler = small_tmpfs / "filler"
    with daemon.start(), AlertsProcess(daemon.config, tmp_path):
        daemon.wait_for_images(1)
        stats = os.statvfs(small_tmpfs)
        filler.write_bytes(b"\0" * int(stats.f_blocks * stats.f_frsize * 0.6))
        wait_until(lambda: fired(hook, "disk_full", "firing"), 20, "disk_full")
        filler.unlink()
        wait_until(lambda: fired(hook, "disk_full", "resolved"), 20, "disk_full resolved")
        time.sleep(2)
    assert len(fired(hook, "disk_full", "firing")) == 1 and len(fired(hook, "disk_full", "resolved")) == 1
    assert "free space" in fired(hook, "disk_full", "firing")[0]["message"]
    assert not fired(hook, "not_capturing", "firing")  # disk_full says why; no second alert for it


def test_smtp_down_is_retried_shown_in_status_and_the_webhook_is_not_held_up(tmp_path):
    hook, smtp_port = WebhookServer(), free_port()
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    add_alerts(daemon, webhook=hook.url,
               email={"to": ["me@example.org"], "from": "cam@example.org", "host": "127.0.0.1", "port": smtp_port,
                      "starttls": False})
    with daemon.start(), AlertsProcess(daemon.config, tmp_path):
        daemon.wait_for_images(1)
        kill_9(daemon)
        wait_until(lambda: fired(hook, "not_capturing", "firing"), 62, "the webhook alert")
        health = daemon.output / ".alerts/channels.json"
        wait_until(lambda: health.exists() and not json.loads(health.read_text())["email"]["ok"], 10,
                   "the email failure recorded")
        shown = run_cli("--config", daemon.config, "status").stdout
        assert "alerts:" in shown and "email" in shown and "connection refused" in shown, shown
        sink = SmtpSink(port=smtp_port)
        try:
            wait_until(lambda: sink.messages, 30, "the email, retried")
            time.sleep(1)
        finally:
            sink.close()
    assert len(sink.messages) == 1 and "not capturing since" in sink.messages[0]
    assert len(fired(hook, "not_capturing", "firing")) == 1


def test_no_alert_while_the_capture_window_is_closed(tmp_path):
    hook = WebhookServer()
    now = datetime.datetime.now()
    start, end = now + datetime.timedelta(hours=2), now + datetime.timedelta(hours=3)
    daemon = DaemonProcess(tmp_path, capture=f"interval: 1, active_hours: '{start:%H:%M}-{end:%H:%M}'")
    add_alerts(daemon, webhook=hook.url, after=1)
    with daemon.start(), AlertsProcess(daemon.config, tmp_path) as alerts:
        daemon.wait_for_state("idle")
        time.sleep(20)  # well past alerts.after slots and every hold
        assert "watching" in alerts.logs()
    assert hook.posts == []


def test_a_broker_that_goes_away_gets_everything_again_and_no_event_is_lost_or_doubled(tmp_path):
    broker = Mosquitto(tmp_path).start()
    recorder = MqttRecorder(broker.port)
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    add_alerts(daemon, mqtt={"host": "127.0.0.1", "port": broker.port, "topic": "timelapse/cam1"}, name="cam1")
    try:
        with daemon.start(), AlertsProcess(daemon.config, tmp_path) as alerts:
            daemon.wait_for_images(1)
            wait_until(lambda: recorder.on("/state") and recorder.on("/image"), 20, "state and image")
            assert (b"online", True) in recorder.on("timelapse/cam1/availability") or \
                recorder.on("timelapse/cam1/availability")[-1][0] == b"online"
            broker.stop()
            kill_9(daemon)
            time.sleep(20)  # the incident starts while the broker is away
            broker.start()
            wait_until(lambda: [e for e in recorder.events() if e["state"] == "firing"], 60, "the queued event")
            late = MqttRecorder(broker.port)  # a newcomer after the broker lost everything retained
            try:
                wait_until(lambda: late.on("/state") and late.on("/image") and late.on("/availability")
                           and len(late.on("/config")) == 9, 20, "everything retained again")
                state = json.loads(late.on("/state")[-1][0])
                assert all(retain for _, retain in late.on("/state") + late.on("/config") + late.on("/image"))
                assert late.on("/availability")[-1] == (b"online", True)
                assert state["state"] == "not_running" and state["incidents"] == ["not_capturing"]
                assert late.on("/image")[-1][0][:2] == b"\xff\xd8"  # a JPEG
            finally:
                late.close()
            daemon.start()
            wait_until(lambda: [e for e in recorder.events() if e["state"] == "resolved"], 30, "the recovery")
            time.sleep(2)
    finally:
        recorder.close()
        broker.stop()
    events = [(e["event"], e["state"]) for e in recorder.events()]
    assert events == [("not_capturing", "firing"), ("not_capturing", "resolved")], alerts.logs()


def test_the_broker_says_offline_when_the_alerts_process_is_killed_and_when_it_stops(tmp_path):
    # The last will (SIGKILL: the broker publishes it) and the goodbye (SIGTERM), with paho's network
    # loop driven by the channel's own thread (no loop_start); online again after each start.
    broker = Mosquitto(tmp_path).start()
    recorder = MqttRecorder(broker.port)
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    add_alerts(daemon, mqtt={"host": "127.0.0.1", "port": broker.port, "topic": "timelapse/cam1"}, name="cam1")
    availability = "timelapse/cam1/availability"
    try:
        with daemon.start():
            for ending in ("kill", "stop"):
                alerts = AlertsProcess(daemon.config, tmp_path).start()
                try:
                    wait_until(lambda: recorder.on(availability) and recorder.on(availability)[-1][0] == b"online",
                               20, "online")
                    wait_until(lambda: recorder.on("/state"), 20, "the state")
                finally:
                    if ending == "kill":
                        alerts.process.kill()
                        alerts.process.wait()
                        alerts.log.close()
                    else:
                        alerts.stop()
                        assert alerts.process.returncode == 0, alerts.logs()
                wait_until(lambda: recorder.on(availability)[-1][0] == b"offline", 20, f"offline after {ending}")
    finally:
        recorder.close()
        broker.stop()
