"""The night sky (SPEC §10, §19): startrails and meteor search per 1080p frame, found and false meteors on
the planted synthetic night (tests/night_sky.py: JPEGs with EXIF), and peak RSS of `timelapse startrails`
and `timelapse meteors` on a long night against a short one (flat memory). A real run writes the 1080p
night's startrails and its first meteor crop to docs/ (the README shows them)."""

import datetime
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

EVENING = datetime.date(2026, 11, 21)
# VmHWM, not ru_maxrss: a forked child's ru_maxrss starts at its parent's (this bench holds planted frames).
RSS = ("import re, sys; from timelapse.cli import main; code = main(sys.argv[1:]); "
       "print('maxrss', re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr); "
       "sys.exit(code)")


def found_and_false(planted, candidates, root, near=10):
    """Return (found, false) of ``candidates`` (meteors.Candidate) against the planted meteors."""
    lines = {planted.frames[i]: line for i, line in planted.meteors}
    found = false = 0
    for candidate in candidates:
        line = lines.get(candidate.frame.path)
        x1, y1, x2, y2 = candidate.line
        if line and abs((x1 + x2 - line[0] - line[2]) / 2) < near and abs((y1 + y2 - line[1] - line[3]) / 2) < near:
            found += 1
        else:
            false += 1
    return found, false


def docs_images(root):
    """Write docs/night-startrails.jpg and docs/night-meteor.jpg from a 1280x720 planted night (the README's)."""
    from night_sky import plant_night
    from timelapse.night.frames import night_frames, night_span
    from timelapse.night.meteors import crop, search
    from timelapse.night.startrails import startrails
    from timelapse.night.survey import survey

    plant_night(root, EVENING, size=(1280, 720), step_minutes=5, turn_degrees=0.4, stars=900)
    frames = night_frames(root, night_span(types.SimpleNamespace(active_hours=None, location=None), EVENING))
    image, _ = startrails([item.frame.path for item in survey(frames).frames if item.reason is None])
    (ROOT / "docs").mkdir(exist_ok=True)
    image.save(ROOT / "docs/night-startrails.jpg", quality=88)
    candidates, _ = search(frames)  # the first candidate's crop only
    if candidates:
        crop(candidates[0]).save(ROOT / "docs/night-meteor.jpg", quality=92)


def timed_night(root, size, step, turn):
    """Plant a night at ``size``; return its figures (ms per frame, found/false)."""
    from night_sky import plant_night
    from timelapse.night.frames import night_frames, night_span
    from timelapse.night.meteors import search
    from timelapse.night.startrails import startrails
    from timelapse.night.survey import stars_of, survey

    planted = plant_night(root, EVENING, size=size, step_minutes=step, turn_degrees=turn)
    frames = night_frames(root, night_span(types.SimpleNamespace(active_hours=None, location=None), EVENING))
    start = time.perf_counter()
    surveyed = survey(frames)
    dark = [item.frame.path for item in surveyed.frames if item.reason is None]
    image, used = startrails(dark, each=lambda path, frame: stars_of(frame))  # as `timelapse startrails`
    trails_s = time.perf_counter() - start
    start = time.perf_counter()
    candidates, rejected = search(frames, lit=[item.frame.path for item in surveyed.frames if item.reason == "lit"])
    meteors_s = time.perf_counter() - start
    found, false = found_and_false(planted, candidates, root)
    return {"size": list(size), "frames": len(frames), "dark": used, "left_out": dict(surveyed.left_out),
            "startrails_ms": trails_s * 1000 / len(frames), "meteors_ms": meteors_s * 1000 / len(frames),
            "planted": len(planted.meteors), "found": found, "false": false,
            "moving_on": rejected.get("moving on", 0)}


def peak_rss(root, command):
    """Return `timelapse COMMAND EVENING`'s peak RSS in MB (a fresh process)."""
    config = Path(root, "timelapse.yml")
    config.write_text(f"storage: {{output_dir: {root}}}\n")
    result = subprocess.run([sys.executable, "-c", RSS, "--config", str(config), command, str(EVENING)],
                            capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    line = [text for text in result.stderr.splitlines() if text.startswith("maxrss")]
    if result.returncode or not line:
        raise RuntimeError(f"timelapse {command} failed: {result.stderr[-500:]}")
    return int(line[0].split()[1]) / 1024


def night_figures(work, smoke):
    """Return the night's figures: a 1080p night (speed, found/false), the 640x360 test night, and RSS of a
    long and a short night."""
    from night_sky import plant_night

    results = {}
    hd = Path(work, "night-1080p")
    results["hd"] = timed_night(hd, (1920, 1080) if not smoke else (960, 540), 15 if smoke else 10, 0.15)
    shutil.rmtree(hd, ignore_errors=True)
    if not smoke:
        docs_images(Path(work, "night-docs"))
        shutil.rmtree(Path(work, "night-docs"), ignore_errors=True)
    small = Path(work, "night-small")
    results["small"] = timed_night(small, (640, 360), 10 if smoke else 5, 0.5)
    shutil.rmtree(small, ignore_errors=True)
    for name, step in (("short", 30 if smoke else 15), ("long", 10 if smoke else 1)):
        root = Path(work, f"night-{name}")
        planted = plant_night(root, EVENING, step_minutes=step)
        results[f"rss_{name}"] = {"frames": len(planted.frames),
                                  "startrails_mb": peak_rss(root, "startrails"), "meteors_mb": peak_rss(root, "meteors")}
        shutil.rmtree(root, ignore_errors=True)
    return results


def night_rows(night):
    """Return the bench table's rows (name, measured, target, ok) for night_figures' result."""
    hd, small, short, long = night["hd"], night["small"], night["rss_short"], night["rss_long"]
    size = "x".join(map(str, hd["size"]))
    return [
        (f"startrails per {size} frame (survey, max, star count; {hd['frames']} frames)", f"{hd['startrails_ms']:.1f} ms",
         "< 30 ms", hd["startrails_ms"] < 30),
        (f"meteor search per {size} frame", f"{hd['meteors_ms']:.1f} ms", "< 150 ms", hd["meteors_ms"] < 150),
        (f"meteors found / false, {size} night", f"{hd['found']} of {hd['planted']} / {hd['false']}",
         ">= 90 %, <= 1 false", hd["found"] >= 0.9 * hd["planted"] and hd["false"] <= 1),
        ("meteors found / false, 640x360 night (the tests')", f"{small['found']} of {small['planted']} / "
         f"{small['false']}", ">= 90 %, <= 1 false", small["found"] >= 0.9 * small["planted"] and small["false"] <= 1),
        (f"startrails / meteors peak RSS: {long['frames']} vs {short['frames']} frames",
         f"{long['startrails_mb']:.0f}/{long['meteors_mb']:.0f} vs {short['startrails_mb']:.0f}/"
         f"{short['meteors_mb']:.0f} MB", "flat (+ < 10 MB)",
         max(long["startrails_mb"] - short["startrails_mb"], long["meteors_mb"] - short["meteors_mb"]) < 10),
    ]
