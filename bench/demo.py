#!/usr/bin/python3
"""`make demo`: the daemon from this tree, synthetic camera, 2 s interval, into ./demo/.

Prints the status every few seconds; Ctrl-C stops it.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"


def main():
    (DEMO / "images").mkdir(parents=True, exist_ok=True)
    config = DEMO / "timelapse.yml"
    config.write_text(
        "camera: {source: synthetic, warmup: 0, resolution: [1280, 720]}\n"
        "capture: {interval: 2}\n"
        f"storage: {{output_dir: {DEMO / 'images'}}}\n"
        f"daemon: {{status_file: {DEMO / 'status.json'}, lock_file: {DEMO / 'camera.lock'}, "
        f"gap_log: {DEMO / 'gaps.log'}, clock_sync_timeout: 0}}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "timelapse", "--config", str(config)]
    print(f"timelapse demo: images go to {DEMO / 'images'}; Ctrl-C stops it.\n", flush=True)
    daemon = subprocess.Popen(command + ["run"], env=env)
    try:
        while daemon.poll() is None:
            time.sleep(6)
            subprocess.run(command + ["status"], env=env)
            print(flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(10)
    subprocess.run(command + ["status"], env=env)
    return daemon.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
