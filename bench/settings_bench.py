"""`make bench`, settings (SPEC §10, §17): from a save of the web layer to the daemon's status saying
"applied", slots missed and capture lateness with saves during the run, and the daemon's wakeups
while idle with a web layer configured (its inotify thread blocks in poll) against none.
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procstat import voluntary_switches  # noqa: E402
from timelapse.settings import change  # noqa: E402

LOG_LINE = re.compile(r"started ([\d.-]+) ms after its slot")


class Daemon:
    """The real daemon (synthetic 640x480) with its status on tmpfs and, if ``layer``, a web layer."""

    def __init__(self, work, name, capture, layer=True):
        self.dir = Path(work) / name
        self.run_dir = Path(tempfile.mkdtemp(prefix="timelapse-bench-", dir="/dev/shm"))
        (self.dir / "images").mkdir(parents=True)
        (self.dir / "web").mkdir()
        self.layer = self.dir / "web/settings.yml"
        self.config = self.dir / "timelapse.yml"
        self.config.write_text(
            "camera: {source: synthetic, resolution: [640, 480], warmup: 0}\n"
            f"capture: {{{capture}}}\nstorage: {{output_dir: {self.dir / 'images'}}}\n"
            f"daemon: {{status_file: {self.run_dir}/status.json, lock_file: {self.run_dir}/camera.lock, "
            f"gap_log: {self.dir}/gaps.log, clock_sync_timeout: 0, log_level: debug}}\n"
            f"web: {{settings: {self.layer if layer else 'null'}}}\n")
        self.log = self.dir / "daemon.log"
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
        env["PYTHONPATH"] = str(ROOT)
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(self.config),
                                             "--debug", "run"], stdout=log, stderr=subprocess.STDOUT, env=env)

    def status(self):
        try:
            return json.loads((self.run_dir / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def wait(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"settings bench: no {what}:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.005)

    def switches(self):
        return voluntary_switches(self.process.pid)

    def lateness(self):
        return [float(m.group(1)) for m in LOG_LINE.finditer(self.log.read_text())]

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))] if ordered else None


def save_to_applied(work, saves, between):
    """Save ``saves`` changes ``between`` seconds apart into a 1 s daemon; seconds to "applied", missed, lateness."""
    daemon = Daemon(work, "settings-apply", "interval: 1")
    try:
        daemon.wait(lambda: daemon.status().get("last_capture"), 30, "first capture")
        time.sleep(between)
        quiet = daemon.lateness()
        delays = []
        for number in range(saves):
            started = time.monotonic()
            version = change.save(daemon.config, {"render.fps": 20 + number % 10}, "bench")
            daemon.wait(lambda: (daemon.status().get("settings") or {}).get("version") == version, 30,
                        f"version {version} applied")
            delays.append(time.monotonic() - started)
            time.sleep(between)
        late = daemon.lateness()[len(quiet):]
        gaps = (daemon.dir / "gaps.log").read_text().splitlines() if (daemon.dir / "gaps.log").exists() else []
        reopened = daemon.log.read_text().count("camera reopens")
    finally:
        daemon.stop()
    return {"saves": saves, "save_to_applied_s": delays, "missed_slots": len([g for g in gaps if "missed" in g]),
            "lateness_ms_p99_before": _p99(quiet), "lateness_ms_p99_with_saves": _p99(late),
            "camera_reopened": reopened}


def idle_switches(work, seconds):
    """Voluntary context switches per minute of an idle daemon (window closed), with and without a web layer."""
    later = datetime.datetime.now() + datetime.timedelta(hours=3)
    window = f"'{later:%H:00}-{later + datetime.timedelta(hours=1):%H:00}'"
    result = {}
    for layer in (False, True):
        daemon = Daemon(work, f"settings-idle-{layer}", f"interval: 60, active_hours: {window}", layer=layer)
        try:
            daemon.wait(lambda: daemon.status().get("state") == "idle", 30, "idle")
            time.sleep(1)
            start = daemon.switches()
            time.sleep(seconds)
            result["with_layer" if layer else "without_layer"] = (daemon.switches() - start) * 60 / seconds
        finally:
            daemon.stop()
    return result


def settings_runs(work, smoke):
    """Return the settings figures for `make bench`."""
    figures = save_to_applied(work, 3 if smoke else 10, 2.0 if smoke else 3.0)
    figures["idle_switches_per_minute"] = idle_switches(work, 5 if smoke else 60)
    return figures


def settings_rows(figures):
    """Return the table rows (measure, measured, target, ok) of `settings_runs`' figures."""
    delays = figures["save_to_applied_s"]
    idle = figures["idle_switches_per_minute"]
    return [
        (f"settings: save -> applied, max of {len(delays)} (1 s interval)", f"{max(delays):.2f} s", "<= 2 s",
         max(delays) <= 2),
        ("settings: slots missed with saves; camera reopened", f"{figures['missed_slots']}; "
         f"{figures['camera_reopened']} reopens (render.fps saved)", "0", figures["missed_slots"] == 0),
        ("settings: lateness p99 before / with saves", f"{figures['lateness_ms_p99_before']:.2f} / "
         f"{figures['lateness_ms_p99_with_saves']:.2f} ms", "< 5 ms", figures["lateness_ms_p99_with_saves"] < 5),
        ("settings: idle wakeups / min, no layer vs layer", f"{idle['without_layer']:.1f} vs {idle['with_layer']:.1f}",
         "0 extra", idle["with_layer"] <= idle["without_layer"] + 0.5),
    ]


if __name__ == "__main__":
    work = Path(tempfile.mkdtemp(prefix="timelapse-bench-", dir="/var/tmp"))
    try:
        found = settings_runs(work, "--smoke" in sys.argv)
        print(json.dumps(found, indent=1))
        for row in settings_rows(found):
            print(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
