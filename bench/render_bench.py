"""`make bench`, rendering: `timelapse render` against the bare ffmpeg command it runs, on the same
frames; ffmpeg's peak RSS at 720 and 1080; frame checks and keogram cost per frame; and a 720p
render on a simulated 512 MB Pi (the lean settings) against the default settings, from 1080p and
12 MP frames."""

import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timelapse import config  # noqa: E402
from timelapse.camera.synthetic import SyntheticCamera  # noqa: E402
from timelapse.render import ffmpeg  # noqa: E402
from timelapse.render.frames import output_size, reference_size, select  # noqa: E402
from timelapse.render.keogram import keogram  # noqa: E402

FRAME_CACHE = Path("/var/tmp/timelapse-bench-frames")
DAY = datetime.date(2026, 6, 21)


def frames(count, size):
    """Return output_dir holding ``count`` synthetic frames of ``size`` for DAY (cached between runs)."""
    root = FRAME_CACHE / f"{count}-{size[0]}x{size[1]}"
    folder = root / f"{DAY:%Y/%m/%d}"
    if len(list(folder.glob("*.jpg"))) != count:
        shutil.rmtree(root, ignore_errors=True)
        folder.mkdir(parents=True)
        settings = config.defaults().camera.__class__(**{**config.defaults().camera.__dict__, "source": "synthetic",
                                                         "resolution": size, "warmup": 0})
        start = datetime.datetime.combine(DAY, datetime.time(6))
        for index in range(count):
            when = start + datetime.timedelta(seconds=30 * index)
            camera = SyntheticCamera(settings, 85, clock=lambda when=when: when)
            camera.open()
            (folder / f"{when:%H%M%S}.jpg").write_bytes(camera.capture())
            camera.close()
    return root


def _wait(command, env=None, pids=lambda process: [process.pid]):
    """Run ``command``; return (seconds, peak RSS in MB of the processes ``pids(process)`` names (by
    default the command itself), sampled from /proc every 20 ms).

    (Not wait4's ru_maxrss: a child starts with its parent's high-water mark from before the exec.)
    """
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0
    while process.poll() is None:
        for pid in pids(process):
            try:
                with open(f"/proc/{pid}/status") as stream:
                    peak = max(peak, int(stream.read().split("VmRSS:")[1].split()[0]))
            except (OSError, IndexError, ValueError):
                pass
        time.sleep(0.02)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {process.stderr.read().decode()[-500:]}")
    return seconds, peak / 1024


def bare_ffmpeg(root, height, work):
    """Time the ffmpeg command `timelapse render` builds, run directly on the same frames."""
    selection = select(root, [DAY])
    reference = reference_size(selection.frames)
    listing = Path(work, "frames.ffconcat")
    listing.write_text(ffmpeg.concat_list(selection.frames, reference, work))
    line = ffmpeg.command(ffmpeg.ffmpeg_binary(), listing, Path(work, f"bare-{height}.mp4"),
                          output_size(reference, height), 25, 23, True)
    line = [part for part in line if part not in ("-progress", "pipe:1")]
    return _wait(line)


def render_runs(work, count, size):
    root = frames(count, size)
    work = Path(tempfile.mkdtemp(dir=work))
    cfg = work / "timelapse.yml"
    cfg.write_text(f"storage: {{output_dir: {root}}}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "timelapse", "--config", str(cfg), "render", DAY.isoformat(), "--height",
                    str(size[1]), "-o", str(work / "render.mp4"), "--force"], check=True, env=env,
                   capture_output=True)
    ours = time.monotonic() - started
    bare, rss_full = bare_ffmpeg(root, size[1], work)
    _, rss_720 = bare_ffmpeg(root, min(720, size[1]), work)
    started = time.perf_counter()
    selection = select(root, [DAY])
    checks = (time.perf_counter() - started) * 1000 / count
    started = time.perf_counter()
    keogram([frame.path for frame in selection.frames])  # (JPEG, columns)
    keo = (time.perf_counter() - started) * 1000 / count
    shutil.rmtree(work, ignore_errors=True)
    return {"frames": count, "size": list(size), "render_s": round(ours, 2), "bare_ffmpeg_s": round(bare, 2),
            "ratio": round(ours / bare, 3), "fps": round(count / ours, 1), "rss_mb_full": round(rss_full),
            "rss_mb_720": round(rss_720), "checks_ms_per_frame": round(checks, 3),
            "keogram_ms_per_frame": round(keo, 2)}


PI_ZERO_2_W = "MemTotal:         427000 kB\n"  # what a 512 MB Pi Zero 2 W reports (the GPU takes the rest)


def _descendants(pid):
    found = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for child in map(int, children):
        found += [child] + _descendants(child)
    return found


def small_machine_runs(work, count, sizes=((1920, 1080), (4056, 3040))):
    """720p renders of ``count`` frames of each size: default settings, and on a simulated Pi Zero 2 W
    (TIMELAPSE_MEMINFO: the detection `timelapse render` itself uses)."""
    work = Path(tempfile.mkdtemp(dir=work))
    meminfo = work / "meminfo"
    meminfo.write_text(PI_ZERO_2_W)
    results = []
    try:
        for size in sizes:
            root = frames(count, size)
            cfg = work / "timelapse.yml"
            cfg.write_text(f"storage: {{output_dir: {root}}}\n")
            row = {"frames": count, "size": list(size)}
            for name, extra in (("default", {}), ("small", {"TIMELAPSE_MEMINFO": str(meminfo)})):
                env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
                # The peak of the render's children: its ffmpeg.
                seconds, peak = _wait([sys.executable, "-m", "timelapse", "--config", str(cfg), "render",
                                       DAY.isoformat(), "--height", "720", "-o", str(work / f"{name}.mp4"), "--force"],
                                      env, lambda process: _descendants(process.pid))
                row[name] = {"seconds": round(seconds, 2), "ffmpeg_peak_rss_mb": round(peak),
                             "video_mb": round(os.path.getsize(work / f"{name}.mp4") / 1e6, 2)}
            row["slowdown"] = round(row["small"]["seconds"] / row["default"]["seconds"], 2)
            results.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


if __name__ == "__main__":
    import json

    print(json.dumps(small_machine_runs(tempfile.mkdtemp(prefix="timelapse-bench-"),
                                        int(sys.argv[1]) if len(sys.argv) > 1 else 300), indent=1))
