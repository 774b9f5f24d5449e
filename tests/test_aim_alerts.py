"""camera_moved against the real alerts process and real servers on loopback (SPEC §20): a planted shift is
one alert after two checks, a new reference its recovery, and the night says nothing."""

import datetime
import json
import os
import time

import pytest

from aim_scenes import NIGHT, scene, write_window
from alerts_harness import AlertsProcess, Mosquitto, MqttRecorder, WebhookServer, wait_until
from conftest import run_cli
from timelapse.alerts.channels.email import Email
from timelapse.aim.reference import read_last
from timelapse.status import write_status


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    return scene(tmp_path_factory.mktemp("scene"))


def moved(hook, state):
    return [e for e in hook.events() if e["event"] == "camera_moved" and e["state"] == state]


class Site:
    """An output_dir the test fills with images, and a status file naming the newest (a daemon's view)."""

    def __init__(self, directory, big):
        self.dir, self.big, self.count = directory, big, 0
        self.images = directory / "images"
        self.status = directory / "run/status.json"

    def capture(self, dx=0, dy=0, relight=None):
        self.count += 1
        path = write_window(self.images / f"2026/06/01/{10 + self.count:02d}0000.jpg", self.big, dx, dy, relight)
        now = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        write_status(str(self.status), {"state": "capturing", "pid": os.getpid(), "updated": now,
                                        "last_capture": now, "last_capture_success": True,
                                        "last_image": str(path), "captures_today": self.count})
        return path

    def config(self, alerts):
        path = self.dir / "timelapse.yml"
        path.write_text(f"storage: {{output_dir: {self.images}}}\n"
                        f"daemon: {{status_file: {self.status}, lock_file: {self.dir}/run/camera.lock}}\n"
                        f"alerts: {json.dumps(alerts)}\n")
        return path

    def checked(self, path):
        return (read_last(str(self.images)) or {}).get("image") == str(path)


def test_a_planted_shift_is_one_alert_after_two_checks_and_a_new_reference_its_recovery(tmp_path, big):
    hook, broker = WebhookServer(), Mosquitto(tmp_path).start()
    recorder = MqttRecorder(broker.port)
    site = Site(tmp_path, big)
    config = site.config({"webhook": hook.url, "moved": 20, "name": "site",
                          "mqtt": {"host": "127.0.0.1", "port": broker.port, "topic": "tl/site"}})
    alerts = AlertsProcess(config, tmp_path, period=0.3)
    alerts.env["TIMELAPSE_AIM_EVERY"] = "0.5"
    try:
        with alerts:
            first = site.capture()
            wait_until(lambda: (site.images / ".aim/reference.jpg").is_file(), 20, "the first daylight reference")
            one = site.capture(60, 30)
            wait_until(lambda: site.checked(one), 20, "the first check of the moved camera")
            time.sleep(1)  # checks go on (the same image is not checked again): one is no alert
            assert read_last(str(site.images))["run"] == 1 and moved(hook, "firing") == []
            two = site.capture(61, 29)
            wait_until(lambda: moved(hook, "firing"), 20, "the camera_moved alert")
            wait_until(lambda: recorder.on("/moved/image"), 10, "the after image on MQTT")
            site.capture(60, 31)
            wait_until(lambda: site.checked(site.images / "2026/06/01/140000.jpg"), 20, "a third check")
            event = moved(hook, "firing")[0]
            assert len(moved(hook, "firing")) == 1
            assert abs(event["shift"]["dx"] - 60) <= 1 and abs(event["shift"]["dy"] - 30) <= 2
            assert event["images"] == [str(site.images / ".aim/reference.jpg"), str(two)]
            assert "px right" in event["message"] and "timelapse aim --set" in event["message"]
            assert recorder.on("/moved/reference")[0][0] == (site.images / ".aim/reference.jpg").read_bytes()
            assert recorder.on("/moved/image")[0][0] == two.read_bytes()
            sensor = json.loads(recorder.on("homeassistant/binary_sensor/site/camera_moved/config")[0][0])
            assert sensor["device_class"] == "problem" and "camera_moved" in sensor["value_template"]
            assert first.exists()

            result = run_cli("--config", config, "aim", "--set")  # the new view is right: the reference
            assert result.returncode == 0, result.stderr
            wait_until(lambda: moved(hook, "resolved"), 20, "the recovery")
            assert "camera back in place" in moved(hook, "resolved")[0]["message"]

            for dx in (-80, -90):  # the night: moved again, but too dark to say
                looked = read_last(str(site.images)).get("checked")
                site.capture(dx, 0, NIGHT)
                wait_until(lambda: read_last(str(site.images)).get("checked") != looked, 20, "a look at the night")
            time.sleep(1)
            maps = open(f"/proc/{alerts.process.pid}/maps").read()
            assert "numpy" not in maps and "_imaging" not in maps  # the checks ran in a child: the process stays small
    finally:
        recorder.close()
        broker.stop()
        hook.close()
    assert len(moved(hook, "firing")) == 1 and len(moved(hook, "resolved")) == 1, alerts.logs()
    assert read_last(str(site.images))["run"] == 0


def test_an_email_about_a_moved_camera_carries_the_before_and_after_images(tmp_path, big):
    before, after = write_window(tmp_path / "ref.jpg", big), write_window(tmp_path / "now.jpg", big, 40)
    channel = Email({"to": ["a@example.org"], "from": "cam@example.org", "host": "localhost", "port": 25,
                     "starttls": False, "user": None}, None)
    mail = channel.compose({"title": "site: camera moved", "message": "moved", "images": [str(before), str(after)]})
    attached = [(part.get_filename(), part.get_content()) for part in mail.iter_attachments()]
    assert attached == [("ref.jpg", before.read_bytes()), ("now.jpg", after.read_bytes())]
