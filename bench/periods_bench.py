"""`make bench`, period videos (SPEC §18): what the overlay costs ffmpeg per 1080p frame, and a
365-day daily-frame project video on a simulated 512 MB Pi: its time and the peak RSS of
`timelapse render` (which streams the days) and of its ffmpeg."""

import datetime
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

from render_bench import PI_ZERO_2_W, _descendants, frames  # noqa: E402
from timelapse.render.overlay import drawtext  # noqa: E402

CACHE = Path("/var/tmp/timelapse-bench-daily")
OVERLAY = {"text": "x", "position": "bottom-left", "size": 4}


def _ffmpeg_cpu_seconds(chain, count):
    """Return the CPU seconds (user + system, ffmpeg's -benchmark) of ``count`` frames through ``chain``."""
    result = subprocess.run(["ffmpeg", "-benchmark", "-nostats", "-nostdin", "-threads", "1", "-filter_threads", "1",
                             "-f", "lavfi", "-i", chain, "-frames:v", str(count), "-f", "null", "-"],
                            capture_output=True, text=True, check=True)
    found = re.search(r"utime=([\d.]+)s stime=([\d.]+)s", result.stderr)
    return float(found.group(1)) + float(found.group(2))


def overlay_cost(count):
    """Return the CPU ms per 1080p frame that drawtext (a per-frame metadata text, as rendered) adds, best of 3."""
    source = ("color=c=gray:s=1920x1080:r=25,format=yuv420p,"
              "metadata=mode=add:key=tl_text:value=garden-cam 2026-11-21 12.00")
    plain = min(_ffmpeg_cpu_seconds(source, count) for _ in range(3))
    drawn = min(_ffmpeg_cpu_seconds(f"{source},{drawtext(OVERLAY, 1080)}", count) for _ in range(3))
    return {"frames": count, "ms_per_frame": round((drawn - plain) * 1000 / count, 3)}


def _days(count):
    """Return output_dir with ``count`` days ending the day before yesterday, 5 1080p frames around noon each."""
    last = datetime.date.today() - datetime.timedelta(days=2)
    root = CACHE / f"{count}-{last}"
    if not root.exists():
        shutil.rmtree(CACHE, ignore_errors=True)
        one = next((frames(1, (1920, 1080))).rglob("*.jpg")).read_bytes()
        for offset in range(count):
            day = last - datetime.timedelta(days=offset)
            folder = root / f"{day:%Y/%m/%d}"
            folder.mkdir(parents=True)
            for minute in (50, 55, 0, 5, 10):
                (folder / f"{11 if minute > 30 else 12}{minute:02d}00.jpg").write_bytes(one)
    return root, last


def daily_frame_run(work, days):
    """Render a ``days``-day daily-frame project video as a 512 MB Pi would; return its figures."""
    root, last = _days(days)
    work = Path(tempfile.mkdtemp(dir=work))
    meminfo = work / "meminfo"
    meminfo.write_text(PI_ZERO_2_W)
    cfg = work / "timelapse.yml"
    cfg.write_text(f"storage: {{output_dir: {work / 'out'}}}\nrender: {{project_start: '{last - datetime.timedelta(days=days - 1)}'}}\n")
    (work / "out").symlink_to(root)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TIMELAPSE_MEMINFO=str(meminfo))
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(cfg), "render", "--period",
                                "project", str(last), "--daily-frame", "12:00", "--force",
                                "--overlay", "{time:%Y-%m-%d}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env=env)
    python_peak = ffmpeg_peak = 0
    while process.poll() is None:
        for pid in [process.pid] + _descendants(process.pid):
            try:
                with open(f"/proc/{pid}/status") as stream:
                    rss = int(stream.read().split("VmRSS:")[1].split()[0])
            except (OSError, IndexError, ValueError):
                continue
            if pid == process.pid:
                python_peak = max(python_peak, rss)
            else:
                ffmpeg_peak = max(ffmpeg_peak, rss)
        time.sleep(0.02)
    seconds = time.monotonic() - started
    if process.returncode:
        raise SystemExit(f"daily-frame render failed: {process.stderr.read().decode()[-500:]}")
    shutil.rmtree(work, ignore_errors=True)
    return {"days": days, "seconds": round(seconds, 2), "python_peak_rss_mb": round(python_peak / 1024),
            "ffmpeg_peak_rss_mb": round(ffmpeg_peak / 1024)}


def periods_figures(work, smoke):
    """Return the overlay's cost and the daily-frame run (20 days on a smoke run, else 365)."""
    return {"overlay": overlay_cost(50 if smoke else 500), "daily_365": daily_frame_run(work, 20 if smoke else 365)}


def periods_rows(figures):
    """Return bench.table's rows for the period videos."""
    overlay, daily = figures["overlay"], figures["daily_365"]
    return [("overlay (drawtext, a text per frame), CPU per 1080p frame", f"{overlay['ms_per_frame']:.2f} ms",
             "< 1 ms", overlay["ms_per_frame"] < 1),
            (f"{daily['days']}-day daily-frame project video, 512 MB Pi: time",
             f"{daily['seconds']:.1f} s", "(reported)", None),
            ("  ... peak RSS of timelapse render / its ffmpeg",
             f"{daily['python_peak_rss_mb']} / {daily['ffmpeg_peak_rss_mb']} MB", "< 60 / < 150 MB",
             daily["python_peak_rss_mb"] < 60 and daily["ffmpeg_peak_rss_mb"] < 150)]


if __name__ == "__main__":
    import json

    print(json.dumps(periods_figures(tempfile.mkdtemp(prefix="timelapse-bench-"), "--smoke" in sys.argv), indent=1))
