"""The aim check (SPEC §20): ms per check of a 1080p JPEG against the reference, and the worst error on the
shifted set (1920x1080 windows of one larger scene, ffmpeg's testsrc2, up to 10 % of the width both ways)."""

import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))  # aim_scenes: the tests' shifted set
sys.path.insert(0, str(ROOT))


def aim_figures(work, repeats):
    """Return {"check_ms_p50", "check_ms_max", "max_error_px", "shifts", "day_moved"} (a check: decode + compare)."""
    from aim_scenes import DAY, SHIFTS, scene, write_window
    from timelapse.aim import shift as shifts

    directory = Path(work, "aim")
    directory.mkdir()
    big = scene(directory)
    reference = shifts.reduce_file(write_window(directory / "reference.jpg", big))
    files = [(dx, dy, write_window(directory / f"{dx}_{dy}.jpg", big, dx, dy)) for dx, dy in SHIFTS]
    errors, times = [], []
    for _ in range(repeats):
        for dx, dy, path in files:
            started = time.perf_counter()
            found = shifts.compare(shifts.reduce_file(path), reference)
            times.append((time.perf_counter() - started) * 1000)
            errors.append(max(abs(found.dx - dx), abs(found.dy - dy)))
    day = [shifts.compare(shifts.reduce_file(write_window(directory / f"day{i}.jpg", big, 0, 0, light)), reference)
           for i, light in enumerate(DAY)]
    return {"check_ms_p50": statistics.median(times), "check_ms_max": max(times), "max_error_px": max(errors),
            "shifts": len(SHIFTS), "day_moved": sum(1 for found in day if found.verdict and found.length > 1)}


def aim_rows(aim):
    """Return the bench table's rows for aim_figures()."""
    return [("aim check of a 1080p JPEG (decode + compare), p50 / max", f"{aim['check_ms_p50']:.1f} / "
             f"{aim['check_ms_max']:.1f} ms", "< 50 ms", aim["check_ms_p50"] < 50),
            (f"aim: worst error on {aim['shifts']} shifts up to 10 % of the width", f"{aim['max_error_px']:.2f} px",
             "<= 1 px", aim["max_error_px"] <= 1),
            ("aim: the same scene through a day's light, checks said moved", str(aim["day_moved"]), "0",
             aim["day_moved"] == 0)]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        figures = aim_figures(work, 5)
    for row in aim_rows(figures):
        print(row)
