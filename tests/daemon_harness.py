"""Run the real daemon (`python3 -m timelapse run`) with the synthetic camera in a temp dir."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from conftest import cli_env, kernel_clock, set_kernel_clock


class DaemonProcess:
    def __init__(self, tmp_path, camera="", capture="interval: 1", storage="", daemon="", env=None, output=None,
                 clock_synced=True):
        self.dir = Path(tmp_path)
        self.output = Path(output) if output else self.dir / "images"
        self.output.mkdir(exist_ok=True)
        self.status_file = self.dir / "run/status.json"
        self.lock_file = self.dir / "run/camera.lock"
        self.gap_log = self.dir / "gaps.log"
        self.fault_file = self.dir / "fault"
        self.log_file = self.dir / "daemon.log"
        self.config = self.dir / "timelapse.yml"
        self.write_config(camera=camera, capture=capture, storage=storage, daemon=daemon)
        # The kernel's clock state, as the daemon sees it (timelapse.clock's test seam); see set_clock_synced.
        self.env = cli_env(TIMELAPSE_SYNTHETIC_FAULT_FILE=str(self.fault_file),
                           **dict(kernel_clock(self.dir, clock_synced), **(env or {})))
        self.process = None

    def write_config(self, camera="", capture="interval: 1", storage="", daemon="", raw=None):
        """Write the test config; each argument is "key: value, ..." overriding the harness defaults."""
        if raw is None:
            sections = {
                "camera": {"source": "synthetic", "warmup": 0, "resolution": [320, 240]},
                "capture": {"timeout": 2},
                "storage": {"output_dir": str(self.output)},
                "daemon": {"status_file": str(self.status_file), "lock_file": str(self.lock_file),
                           "gap_log": str(self.gap_log), "clock_sync_timeout": 0},
            }
            for name, overrides in (("camera", camera), ("capture", capture), ("storage", storage),
                                    ("daemon", daemon)):
                sections[name].update(yaml.safe_load("{" + overrides + "}") or {})
            raw = yaml.safe_dump(sections, default_flow_style=False)
        self.config.write_text(raw)

    def start(self, *extra_args):
        self.log = open(self.log_file, "a")
        self.process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(self.config),
                                         *extra_args, "run"], stdout=self.log, stderr=subprocess.STDOUT,
                                        env=self.env, cwd=self.dir)
        return self

    def __enter__(self):
        return self.start() if self.process is None else self

    def __exit__(self, *exc):
        self.kill()

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process:
            self.log.close()

    def signal(self, signum):
        self.process.send_signal(signum)

    def stop(self, timeout=5):
        """Send SIGTERM; return (exit code, seconds it took)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def set_clock_synced(self, synced):
        """Make the kernel report a synchronized clock (True) or not (False) to the running daemon."""
        set_kernel_clock(self.env["TIMELAPSE_TEST_CLOCK_SYNCED_FILE"], synced)

    def status(self):
        try:
            return json.loads(self.status_file.read_text())
        except (OSError, ValueError):
            return {}

    def logs(self):
        return self.log_file.read_text()

    def gaps(self):
        return self.gap_log.read_text().splitlines() if self.gap_log.exists() else []

    def images(self):
        return sorted(self.output.rglob("*.jpg"))

    def fault(self, word):
        if word:
            self.fault_file.write_text(word)
        elif self.fault_file.exists():
            self.fault_file.unlink()

    def wait_for(self, predicate, timeout=15, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process and self.process.poll() is not None:
                raise AssertionError(f"daemon exited ({self.process.returncode}) waiting for {what}:\n{self.logs()}")
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; status {self.status()}\n{self.logs()}")

    def wait_for_state(self, state, timeout=15):
        self.wait_for(lambda: self.status().get("state") == state, timeout, f"state {state}")

    def wait_for_images(self, count, timeout=15):
        self.wait_for(lambda: len(self.images()) >= count, timeout, f"{count} images")
