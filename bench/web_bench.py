"""`make bench`, web: the web server's RSS idle and with 3 live viewers, frames per viewer, capture
lateness with and without viewers, a 1,440-image day's listing, thumbnails made and cached, and
the memory a day's zip costs while it streams."""

import base64
import datetime
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from procstat import rss_mb

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 1"


def _port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port, path, timeout=60, keep=True):
    """Return (status, body or its length, seconds); ``keep=False`` reads the body in chunks and keeps none."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    auth = base64.b64encode(f"me:{PASSWORD}".encode()).decode()
    started = time.perf_counter()
    connection.request("GET", path, headers={"Authorization": f"Basic {auth}"})
    response = connection.getresponse()
    if keep:
        body = response.read()
    else:
        body = 0
        while chunk := response.read(1 << 20):
            body += len(chunk)
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, body, elapsed


def _lateness(log, since):
    return [float(m.group(1)) for line in log.read_text().splitlines() if line[:23] >= since
            for m in [re.search(r"started ([-\d.]+) ms after its slot", line)] if m]


def _plant_day(root, date, count, source):
    folder = root / f"{date:%Y/%m/%d}"
    folder.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    for index in range(count):
        (folder / f"{index // 60:02d}{index % 60:02d}00.jpg").write_bytes(data)
    return folder


def _start_web(config, env, port):
    """Set the bench password, start `timelapse web` and wait until it listens; return the process."""
    subprocess.run([sys.executable, "-m", "timelapse", "--config", str(config), "web-password", "--stdin"],
                   input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
    web = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(config), "web"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return web


def web_figures(work, seconds=10, day_images=1440, zip_mb=1000):
    work = Path(work) / "web"
    output, run = work / "images", Path("/dev/shm") / f"timelapse-bench-web-{os.getpid()}"
    output.mkdir(parents=True)
    run.mkdir()
    port = _port()
    config = work / "timelapse.yml"
    config.write_text(f"camera: {{source: synthetic, warmup: 0, resolution: [1920, 1080]}}\ncapture: {{interval: 1}}\n"
                      f"storage: {{output_dir: {output}, warn_threshold: 99, stop_threshold: 100}}\n"
                      f"daemon: {{status_file: {run}/status.json, lock_file: {run}/camera.lock, clock_sync_timeout: 0}}\n"
                      f"web: {{address: 127.0.0.1, port: {port}, live_fps: 5}}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(work / "cache"))
    daemon_log = work / "daemon.log"
    daemon = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(config), "--debug", "run"],
                              stdout=open(daemon_log, "w"), stderr=subprocess.STDOUT, env=env)
    web = _start_web(config, env, port)
    results = {}
    try:
        time.sleep(2)
        _get(port, "/api/status")
        since = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:23]
        time.sleep(seconds)
        quiet = _lateness(daemon_log, since)
        results["rss_idle_mb"] = round(rss_mb(web.pid), 1)
        counts, stop = [0, 0, 0], time.monotonic() + seconds
        since = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S,%f")[:23]

        def watch(index):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            auth = base64.b64encode(f"me:{PASSWORD}".encode()).decode()
            connection.request("GET", "/live.mjpg", headers={"Authorization": f"Basic {auth}"})
            stream = connection.getresponse()
            while time.monotonic() < stop:
                if stream.fp.readline().startswith(b"Content-Length:"):
                    counts[index] += 1
            connection.close()
        threads = [threading.Thread(target=watch, args=(n,)) for n in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(seconds / 2)
        results["rss_viewers_mb"] = round(rss_mb(web.pid), 1)
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        watched = _lateness(daemon_log, since)
        gaps = sum("missed" in line for line in daemon_log.read_text().splitlines() if line[:23] >= since)
        results["frames_per_viewer_per_s"] = [round(c / elapsed, 2) for c in counts]
        results["lateness_idle_ms"] = {"p99": round(sorted(quiet)[int(0.99 * (len(quiet) - 1))], 2),
                                       "max": round(max(quiet), 2), "n": len(quiet)}
        results["lateness_viewers_ms"] = {"p99": round(sorted(watched)[int(0.99 * (len(watched) - 1))], 2),
                                          "max": round(max(watched), 2), "n": len(watched), "missed": gaps}
        sample = sorted(output.rglob("*.jpg"))[0]
        day = datetime.date(2026, 6, 21)
        _plant_day(output, day, day_images, sample)
        _get(port, f"/api/days/{day}")
        listing = [_get(port, f"/api/days/{day}")[2] * 1000 for _ in range(20)]
        results["day_listing_ms_p50"] = round(statistics.median(listing), 2)
        made = [_get(port, f"/thumbs/{day:%Y/%m/%d}/{n // 60:02d}{n % 60:02d}00.jpg")[2] * 1000 for n in range(40)]
        cached = [_get(port, f"/thumbs/{day:%Y/%m/%d}/{n // 60:02d}{n % 60:02d}00.jpg")[2] * 1000 for n in range(40)]
        results["thumb_made_ms_p50"] = round(statistics.median(made), 2)
        results["thumb_cached_ms_p50"] = round(statistics.median(cached), 2)
        big = datetime.date(2026, 6, 22)
        folder = big.strftime("%Y/%m/%d")
        (output / folder).mkdir(parents=True)
        payload = os.urandom(1_000_000)
        for index in range(zip_mb):
            (output / folder / f"{index // 3600:02d}{index % 3600 // 60:02d}{index % 60:02d}.jpg").write_bytes(payload)
        before = rss_mb(web.pid)
        peak = [before]
        done = threading.Event()

        def sample_rss():
            while not done.is_set():
                peak.append(rss_mb(web.pid))
                time.sleep(0.05)
        sampler = threading.Thread(target=sample_rss)
        sampler.start()
        status, length, zip_seconds = _get(port, f"/download/{big}.zip", timeout=600, keep=False)
        done.set()
        sampler.join()
        results["zip"] = {"mb": round(length / 1e6), "seconds": round(zip_seconds, 1),
                          "rss_growth_mb": round(max(peak) - before, 1)}
    finally:
        for process in (web, daemon):
            process.terminate()
            process.wait(10)
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return results


def _basic_from(port, password, source, path="/api/status"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    auth = base64.b64encode(f"me:{password}".encode()).decode()
    connection.request("GET", path, headers={"Authorization": f"Basic {auth}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def sign_in_and_no_daemon_figures(work, rounds=20):
    """The web server alone (no capture daemon, so no live.sock): RSS idle, then after ``rounds``
    failed and ``rounds`` good sign-ins (HTTP Basic, from several loopback addresses so the per-address
    limit does not stop the failures before their check); and how fast /live.jpg says 503."""
    work = Path(work) / "web-alone"
    run = Path("/dev/shm") / f"timelapse-bench-web-alone-{os.getpid()}"
    work.mkdir(parents=True)
    run.mkdir()
    port = _port()
    config = work / "timelapse.yml"
    config.write_text(f"storage: {{output_dir: {work / 'images'}}}\n"
                      f"daemon: {{status_file: {run}/status.json, lock_file: {run}/camera.lock}}\n"
                      f"web: {{address: 127.0.0.1, port: {port}}}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(work / "cache"))
    web = _start_web(config, env, port)
    results = {}
    try:
        _get(port, "/api/status")
        time.sleep(1)
        results["rss_idle_mb"] = round(rss_mb(web.pid), 1)
        started = time.perf_counter()
        failed = [_basic_from(port, f"wrong {n}", f"127.0.2.{n // 4 + 1}") for n in range(rounds)]
        good = [_basic_from(port, PASSWORD, f"127.0.3.{n + 1}") for n in range(rounds)]
        results["sign_ins_s"] = round(time.perf_counter() - started, 2)
        results["codes"] = {"failed": sorted(set(failed)), "good": sorted(set(good))}
        time.sleep(0.5)
        results["rss_after_sign_ins_mb"] = round(rss_mb(web.pid), 1)
        waits = [_get(port, "/live.jpg")[2] * 1000 for _ in range(20)]
        results["live_jpg_no_daemon_ms"] = {"p50": round(statistics.median(waits), 1), "max": round(max(waits), 1),
                                            "status": _get(port, "/live.jpg")[0]}
    finally:
        web.terminate()
        web.wait(10)
        shutil.rmtree(run, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    import json
    import tempfile

    print(json.dumps(sign_in_and_no_daemon_figures(tempfile.mkdtemp(prefix="timelapse-bench-")), indent=1))
