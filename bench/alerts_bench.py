"""`make bench`, alerts: from the daemon's death to the message, and how light the alerts process is.

The real daemon (synthetic camera, 2 s interval) and `timelapse alerts` with its default check
period (15 s) sending to a webhook on loopback; then its RSS and its threads' voluntary context
switches per minute while nothing happens (with a webhook only, and with MQTT to a mosquitto
on loopback, whose network thread, alerts/channels/mqtt_loop, wakes for traffic or a ping).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from procstat import rss_mb, voluntary_switches

ROOT = Path(__file__).resolve().parent.parent
INTERVAL = 2


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Hook:
    def __init__(self):
        self.events = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.events.append((time.monotonic(), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, event, state, count, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [when for when, body in self.events if body["event"] == event and body["state"] == state]
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.05)
        raise SystemExit(f"alerts bench: no {event} {state} within {timeout} s")


def _spawn(config, command, log, env=None):
    return subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(config), command],
                            stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})))


def _config(directory, alerts):
    path = directory / "timelapse.yml"
    path.write_text(json.dumps({
        "camera": {"source": "synthetic", "warmup": 0, "resolution": [640, 360]},
        "capture": {"interval": INTERVAL}, "storage": {"output_dir": str(directory / "images")},
        "daemon": {"status_file": str(directory / "run/status.json"), "lock_file": str(directory / "run/camera.lock"),
                   "clock_sync_timeout": 0}, "alerts": dict(alerts, name="bench")}))
    return path


def _wait_for(path, timeout):
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


def _idle(pid, seconds):
    before = voluntary_switches(pid)
    time.sleep(seconds)
    return (voluntary_switches(pid) - before) * 60 / seconds


def alerts_runs(work, kills, idle_seconds):
    """Return {"death_to_message_s": [...], "resolved_s": [...], "rss_mb", "wakeups_per_minute", ...}."""
    directory = Path(work, "alerts")
    directory.mkdir()
    hook = _Hook()
    config = _config(directory, {"webhook": hook.url})
    log = open(directory / "log", "w")
    daemon = _spawn(config, "run", log)
    alerts = _spawn(config, "alerts", log)
    deaths, returns = [], []
    try:
        time.sleep(3 * INTERVAL)
        _wait_for(directory / "images/.aim/last.json", 60)  # start-up done: the first aim look (a child) is not idle
        rss = rss_mb(alerts.pid)
        wakeups = _idle(alerts.pid, idle_seconds)
        for kill in range(1, kills + 1):
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            died = time.monotonic()
            deaths.append(hook.wait("not_capturing", "firing", kill, 2 * INTERVAL + 60 + 30) - died)
            daemon = _spawn(config, "run", log)
            back = time.monotonic()
            returns.append(hook.wait("not_capturing", "resolved", kill, 60) - back)
        rss_after = rss_mb(alerts.pid)
        exactly_once = [body["state"] for _, body in hook.events].count("firing") == kills
    finally:
        for process in (daemon, alerts):
            process.terminate()
            process.wait()
        hook.server.shutdown()
        log.close()
    result = {"interval_s": INTERVAL, "check_period_s": 15, "death_to_message_s": deaths, "resolved_s": returns,
              "exactly_once": exactly_once, "rss_mb": rss, "rss_mb_after_kills": rss_after,
              "wakeups_per_minute": wakeups}
    result.update(_mqtt_idle(directory, idle_seconds))
    return result


def _mqtt_idle(directory, idle_seconds):
    if not shutil.which("mosquitto") and not Path("/usr/sbin/mosquitto").exists():
        return {"mqtt_rss_mb": None, "mqtt_wakeups_per_minute": None}
    port = _free_port()
    conf = directory / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nuser {os.environ.get('USER') or 'root'}\n")
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    config = _config(directory, {"mqtt": {"host": "127.0.0.1", "port": port}})
    log = open(directory / "mqtt.log", "w")
    daemon, alerts = _spawn(config, "run", log), None
    try:
        time.sleep(1)
        alerts = _spawn(config, "alerts", log)
        time.sleep(3 * INTERVAL)
        return {"mqtt_rss_mb": rss_mb(alerts.pid), "mqtt_wakeups_per_minute": _idle(alerts.pid, idle_seconds)}
    finally:
        for process in filter(None, (alerts, daemon, broker)):
            process.terminate()
            process.wait()
        log.close()
