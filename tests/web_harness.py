"""Run the real capture daemon and the real `timelapse web` from this tree, on loopback, for the web tests."""

import base64
import http.client
import json
import socket
import subprocess
import sys
import time

from conftest import cli_env, run_cli
from daemon_harness import DaemonProcess

PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebServer:
    """A daemon (synthetic camera, 1 s) and the web server reading its status and images."""

    def __init__(self, tmp_path, auth="password", with_password=True, daemon=True, camera="resolution: [1280, 720]",
                 capture="interval: 1", extra="", env=None):
        self.daemon = DaemonProcess(tmp_path, camera=camera, capture=capture)
        self.port = free_port()
        self.config = self.daemon.config
        self.layer = tmp_path / "web-state/settings.yml"  # the web layer (SPEC §17), never the machine's
        self.layer.parent.mkdir(exist_ok=True)
        text = self.config.read_text() + (f"web: {{address: 127.0.0.1, port: {self.port}, auth: {auth}, "
                                          f"settings: {self.layer}}}\n") + extra
        self.config.write_text(text)
        self.output = self.daemon.output
        self.cache = tmp_path / "cache"
        self.web_state = tmp_path / "web-state"  # render.queue.queue_dir's folder (TIMELAPSE_WEB_STATE)
        self.log_file = tmp_path / "web.log"
        if with_password:
            result = run_cli("--config", self.config, "web-password", "--stdin", input=PASSWORD + "\n")
            assert result.returncode == 0, result.stderr
        if daemon:
            self.daemon.start("--debug")
            self.daemon.wait_for_images(1)
        self.log = open(self.log_file, "w")
        self.process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(self.config), "web"],
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        env=cli_env(XDG_CACHE_HOME=str(self.cache),
                                                    TIMELAPSE_WEB_STATE=str(self.web_state), **(env or {})))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.stop()  # and the daemon with it: a failed start leaves no process behind
            raise AssertionError(f"the web server did not start:\n{self.log_file.read_text()}")
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()
        self.daemon.kill()

    def request(self, method, path, headers=None, body=None, auth=True, password=PASSWORD):
        """Send ``path`` exactly as given (no normalising); return (status, headers, body bytes)."""
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"me:{password}".encode()).decode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body.encode() if isinstance(body, str) else body)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, response, data

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def json(self, path, **kwargs):
        status, _, data = self.get(path, **kwargs)
        assert status == 200, (path, status, data[:300])
        return json.loads(data)
