"""Real servers on loopback for the alert tests: an HTTP webhook, an SMTP sink (aiosmtpd),
a mosquitto broker and a paho subscriber that records every message (retained ones too),
and the `timelapse alerts` process itself."""

import getpass
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import cli_env
from web_harness import free_port  # noqa: F401 (the alert tests import it from here)


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class WebhookServer:
    """http.server on 127.0.0.1 recording each POST as (headers, body); ``status`` is what it answers."""

    def __init__(self, port=None):
        self.posts, self.status = [], 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.posts.append((dict(self.headers), body, self.path))
                self.send_response(server.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self):
        """Return the JSON bodies posted."""
        return [json.loads(body) for headers, body, _ in self.posts
                if headers.get("Content-Type") == "application/json"]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class SmtpSink:
    """aiosmtpd on 127.0.0.1 keeping every message; with ``password`` it requires AUTH LOGIN/PLAIN."""

    def __init__(self, port=None, user=None, password=None):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages, self.port = [], port or free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope.content.decode(errors="replace"))
                return "250 OK"

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False)  # False: the server answers 535 itself

        extra = dict(authenticator=authenticate, auth_require_tls=False, auth_required=True) if password else {}
        with warnings.catch_warnings():  # AUTH without TLS: on loopback, for the test
            warnings.simplefilter("ignore", UserWarning)
            self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **extra)
            self.controller.start()

    def close(self):
        self.controller.stop()


class Mosquitto:
    """A real mosquitto broker on a free loopback port, with a temporary configuration."""

    def __init__(self, directory, port=None):
        self.dir, self.port = Path(directory), port or free_port()
        self.config = self.dir / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        # As root, mosquitto would drop to user mosquitto, who cannot read a pytest directory.
        self.user = f"user {getpass.getuser()}\n"
        self.process = None

    def start(self):
        if self.user not in self.config.read_text():
            self.config.write_text(self.config.read_text() + self.user)
        self.process = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._listening, 10, "mosquitto to listen")
        return self

    def _listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class MqttRecorder:
    """A paho subscriber (either API version) recording (topic, payload, retain) of every message."""

    count = 0

    def __init__(self, port, topics=("#",)):
        import paho.mqtt.client as paho

        from timelapse.alerts.channels.mqtt import make_client

        self.messages, self.lock = [], threading.Lock()
        MqttRecorder.count += 1  # a client id of its own: the broker drops a client whose id is taken
        self.client = make_client(paho, f"recorder-{os.getpid()}-{MqttRecorder.count}")
        self.client.on_connect = lambda client, *args: [client.subscribe(topic, qos=1) for topic in topics]
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

    def on(self, suffix):
        with self.lock:
            return [(payload, retain) for topic, payload, retain in self.messages if topic.endswith(suffix)]

    def events(self):
        return [json.loads(payload) for payload, _ in self.on("/event")]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


class AlertsProcess:
    """`python3 -m timelapse --config CONFIG alerts` with a short check period."""

    def __init__(self, config, directory, period=0.5):
        self.config, self.dir = config, Path(directory)
        self.log_file = self.dir / "alerts.log"
        self.env = cli_env(TIMELAPSE_ALERTS_PERIOD=str(period))
        self.process = None

    def start(self):
        self.log = open(self.log_file, "a")
        self.process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(self.config), "alerts"],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()

    def logs(self):
        return self.log_file.read_text() if self.log_file.exists() else ""

    def __enter__(self):
        return self.start() if self.process is None else self

    def __exit__(self, *exc):
        self.stop()


def add_alerts(daemon, **alerts):
    """Append an alerts: section to a DaemonProcess's configuration file."""
    import yaml

    data = yaml.safe_load(daemon.config.read_text())
    data["alerts"] = alerts
    daemon.config.write_text(yaml.safe_dump(data, default_flow_style=False))
