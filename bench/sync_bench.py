"""`make bench`, offsite copy: the first and second `timelapse sync` of a planted year of small images
to a real SFTP server on loopback (`rclone serve sftp`)."""

import datetime
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _plant(output, days, per_day, size):
    today = datetime.date.today()
    payload = os.urandom(size)
    for back in range(days, 0, -1):
        day = output / f"{today - datetime.timedelta(days=back):%Y/%m/%d}"
        day.mkdir(parents=True)
        for index in range(per_day):
            minute = index * (1440 // per_day)
            (day / f"{minute // 60:02d}{minute % 60:02d}00.jpg").write_bytes(payload + index.to_bytes(4, "big"))


def _sync(config):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "timelapse", "--config", str(config), "sync"],
                            capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"timelapse sync failed: {result.stderr}")
    copied = result.stdout.split("copied ")[1].split(" file(s), ")
    return {"files": int(copied[0]), "mb": float(copied[1].split(" MB")[0]), "seconds": round(seconds, 2)}


def sync_runs(work, days, per_day, size=2000):
    """Return the first and second run's files, MB and seconds for ``days`` x ``per_day`` images."""
    work = Path(work) / "sync"
    output, nas = work / "images", work / "nas"
    output.mkdir(parents=True)
    nas.mkdir()
    _plant(output, days, per_day, size)
    port = _free_port()
    server = subprocess.Popen(["rclone", "serve", "sftp", str(nas), "--addr", f"127.0.0.1:{port}", "--user", "cam",
                               "--pass", "secret", "--config", "/dev/null"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=dict(os.environ, RCLONE_CACHE_DIR=str(work / "cache")))
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        obscured = subprocess.run(["rclone", "obscure", "secret"], capture_output=True, text=True,
                                  check=True).stdout.strip()
        (work / "rclone.conf").write_text(f"[nas]\ntype = sftp\nhost = 127.0.0.1\nport = {port}\nuser = cam\n"
                                          f"pass = {obscured}\n")
        config = work / "timelapse.yml"
        config.write_text(f"storage: {{output_dir: {output}}}\nsync: {{remote: 'nas:cam'}}\n")
        first = _sync(config)
        today = output / f"{datetime.date.today():%Y/%m/%d}"
        today.mkdir(parents=True)
        (today / "120000.jpg").write_bytes(os.urandom(size))
        second = _sync(config)
    finally:
        server.kill()
        server.wait()
    return {"days": days, "per_day": per_day, "first": first, "second": second}
