"""Each alert channel against a real server on loopback: aiosmtpd, http.server, mosquitto.

No mock of smtplib, urllib or paho: what goes over the wire is what the servers received.
"""

import json
import subprocess


from conftest import run_cli
from alerts_harness import Mosquitto, MqttRecorder, SmtpSink, WebhookServer, free_port, wait_until


def write(tmp_path, alerts, password=None):
    path = tmp_path / "timelapse.yml"
    path.write_text(f"storage: {{output_dir: {tmp_path}}}\ndaemon: {{status_file: {tmp_path}/status.json}}\n"
                    f"alerts:\n  name: site-north\n{alerts}")
    if password is not None:
        (tmp_path / "alerts-password").write_text(password + "\n")
    return path


def email(port, user=None, starttls=False):
    login = f", user: {user}" if user else ""
    return (f"  email: {{to: [me@example.org, you@example.org], from: cam@example.org, host: 127.0.0.1, "
            f"port: {port}, starttls: {str(starttls).lower()}{login}}}\n")


def test_email_logs_in_and_arrives_with_the_camera_in_the_subject(tmp_path):
    sink = SmtpSink(user="cam", password="right one")
    try:
        result = run_cli("--config", write(tmp_path, email(sink.port, user="cam"), password="right one"),
                         "alerts", "--test")
    finally:
        sink.close()
    assert result.returncode == 0 and f"email: sent (127.0.0.1:{sink.port})" in result.stdout, result.stdout
    assert len(sink.messages) == 1
    mail = sink.messages[0]
    assert "Subject: site-north: test message" in mail and "To: me@example.org, you@example.org" in mail
    assert "site-north: a test message from timelapse alerts" in mail


def test_a_wrong_password_is_said_in_words(tmp_path):
    sink = SmtpSink(user="cam", password="right one")
    try:
        result = run_cli("--config", write(tmp_path, email(sink.port, user="cam"), password="wrong"),
                         "alerts", "--test")
    finally:
        sink.close()
    assert result.returncode == 1
    assert f"email: FAILED: wrong user or password for cam at 127.0.0.1:{sink.port} (the server said 535" in \
        result.stdout, result.stdout
    assert sink.messages == []


def test_a_server_without_starttls_and_a_closed_port_are_said_in_words(tmp_path):
    sink = SmtpSink()
    try:
        no_tls = run_cli("--config", write(tmp_path, email(sink.port, starttls=True)), "alerts", "--test")
    finally:
        sink.close()
    assert "does not offer STARTTLS" in no_tls.stdout and sink.messages == []
    closed = run_cli("--config", write(tmp_path, email(free_port())), "alerts", "--test")
    assert "email: FAILED: connection refused by 127.0.0.1:" in closed.stdout
    unknown = run_cli("--config", write(tmp_path, "  webhook: http://no-such-host.invalid/x\n"), "alerts", "--test")
    assert "webhook: FAILED: unknown host no-such-host.invalid (check the name" in unknown.stdout, unknown.stdout


def test_the_webhook_posts_the_documented_json(tmp_path):
    hook = WebhookServer()
    try:
        result = run_cli("--config", write(tmp_path, f"  webhook: {hook.url}\n"), "alerts", "--test")
    finally:
        hook.close()
    assert result.returncode == 0, result.stdout
    (event,) = hook.events()
    assert set(event) == {"event", "state", "camera", "since", "message", "last_image"}
    assert event["camera"] == "site-north" and event["event"] == "test"


def test_ntfy_gets_the_message_as_body_and_title_and_tags_as_headers(tmp_path):
    hook = WebhookServer()
    try:
        run_cli("--config", write(tmp_path, f"  webhook: {{url: '{hook.url}', format: ntfy}}\n"), "alerts", "--test")
    finally:
        hook.close()
    (headers, body, path), = hook.posts
    assert headers["Title"] == "site-north: test message" and headers["Tags"] == "camera"
    assert body.decode().startswith("site-north: a test message") and path == "/hook"


def test_a_webhook_that_refuses_says_the_http_status(tmp_path):
    hook = WebhookServer()
    hook.status = 403
    try:
        result = run_cli("--config", write(tmp_path, f"  webhook: {hook.url}\n"), "alerts", "--test")
    finally:
        hook.close()
    assert "answered HTTP 403 Forbidden (wrong or missing access token?)" in result.stdout


def test_mqtt_test_message_reaches_a_real_broker(tmp_path):
    broker = Mosquitto(tmp_path).start()
    recorder = MqttRecorder(broker.port)
    try:
        wait_until(lambda: recorder.client.is_connected(), 10, "the recorder")
        result = run_cli("--config", write(tmp_path, f"  mqtt: {{host: 127.0.0.1, port: {broker.port}}}\n"),
                         "alerts", "--test")
        wait_until(recorder.events, 10, "the test event")
    finally:
        recorder.close()
        broker.stop()
    assert result.returncode == 0 and "mqtt: sent" in result.stdout, result.stdout
    assert recorder.events()[0]["camera"] == "site-north"
    assert recorder.messages[0][0] == "timelapse/site-north/event"


def test_mqtt_wrong_password_and_no_broker_are_said_in_words(tmp_path):
    broker = Mosquitto(tmp_path)
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(tmp_path / "passwd"), "cam", "right one"], check=True)
    broker.config.write_text(f"listener {broker.port} 127.0.0.1\nallow_anonymous false\n"
                             f"password_file {tmp_path / 'passwd'}\n")
    broker.start()
    try:
        config = write(tmp_path, f"  mqtt: {{host: 127.0.0.1, port: {broker.port}, user: cam}}\n", password="nope")
        wrong = run_cli("--config", config, "alerts", "--test")
        (tmp_path / "alerts-password").write_text("right one\n")
        right = run_cli("--config", config, "alerts", "--test")
    finally:
        broker.stop()
    assert "mqtt: FAILED:" in wrong.stdout and ("wrong user or password" in wrong.stdout
                                                 or "not authorised" in wrong.stdout), wrong.stdout
    assert "mqtt: sent" in right.stdout, right.stdout
    gone = run_cli("--config", config, "alerts", "--test")
    assert "mqtt: FAILED: connection refused by 127.0.0.1:" in gone.stdout, gone.stdout


def test_home_assistant_discovery_documents_follow_its_schema():
    from timelapse.alerts.channels.mqtt import discovery

    documents = dict(discovery("timelapse/balcony", "balcony cam"))
    assert set(documents) == {
        "homeassistant/image/balcony_cam/latest_image/config", "homeassistant/sensor/balcony_cam/state/config",
        "homeassistant/sensor/balcony_cam/last_capture/config",
        "homeassistant/sensor/balcony_cam/captures_today/config",
        "homeassistant/sensor/balcony_cam/disk_usage/config",
        "homeassistant/sensor/balcony_cam/last_offsite_copy/config", "homeassistant/sensor/balcony_cam/night_sky/config",
        "homeassistant/binary_sensor/balcony_cam/problem/config",
        "homeassistant/binary_sensor/balcony_cam/camera_moved/config"}
    for topic, document in documents.items():
        assert document["availability_topic"] == "timelapse/balcony/availability"
        assert document["device"]["identifiers"] == ["timelapse_balcony_cam"] and document["unique_id"]
        if "/sensor/" in topic or "/binary_sensor/" in topic:
            assert document["state_topic"] == "timelapse/balcony/state"
            assert document["value_template"].startswith("{{")
    assert documents["homeassistant/image/balcony_cam/latest_image/config"]["image_topic"] == "timelapse/balcony/image"
    assert documents["homeassistant/sensor/balcony_cam/last_capture/config"]["device_class"] == "timestamp"
    json.dumps(documents)


def test_mqtt_without_paho_names_the_package(tmp_path):
    from timelapse.alerts.channels.base import ChannelError
    from timelapse.alerts.channels import mqtt

    blocker = tmp_path / "paho"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    import subprocess
    import sys

    from conftest import cli_env

    env = cli_env()
    env["PYTHONPATH"] = f"{tmp_path}:{env['PYTHONPATH']}"
    config = write(tmp_path, "  mqtt: {host: 127.0.0.1}\n")
    result = subprocess.run([sys.executable, "-m", "timelapse", "check-config", str(config)], capture_output=True,
                            text=True, env=env)
    assert result.returncode == 0
    assert "alerts.mqtt needs python3-paho-mqtt: sudo apt install python3-paho-mqtt" in result.stderr
    assert issubclass(ChannelError, Exception) and mqtt.INSTALL == "sudo apt install python3-paho-mqtt"


def test_a_user_and_token_in_the_webhook_url_become_basic_auth(tmp_path):
    import base64

    hook = WebhookServer()
    try:
        url = hook.url.replace("http://", "http://me:tk_secret@")
        result = run_cli("--config", write(tmp_path, f"  webhook: {{url: '{url}', format: ntfy}}\n"), "alerts", "--test")
    finally:
        hook.close()
    assert result.returncode == 0, result.stdout
    (headers, _, _), = hook.posts
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"me:tk_secret").decode()
    assert "tk_secret" not in result.stdout  # never in logs or the status
