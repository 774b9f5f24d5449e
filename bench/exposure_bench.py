"""Exposure from day to night (SPEC §10, §16): the controller's cost, and a simulated day in both modes.

Two real daemons (`python3 -m timelapse run`) at once, synthetic camera with a light list through a
night, a dawn, a day, a dusk and a night (camera.scene), 1 s interval; one in mode camera (the
synthetic camera imitating libcamera's AE), one in mode smooth, otherwise the defaults. The figures
come from the saved images (mean luma, EXIF); each mode's keogram is saved as bench/keogram-MODE.jpg
(the README shows them).
"""

import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def light_list(length):
    """Night, dawn, day, dusk, night over ``length`` seconds: 0.01 lux to 100,000 and back, [[SECONDS, LUX], ...]."""
    # A long twilight (15 to 0.3 lux): where libcamera's AE (66 ms x 8) falls short and smooth still holds.
    shape = [(0, 0.01), (0.05, 0.01), (0.1, 0.3), (0.22, 15), (0.35, 100000), (0.65, 100000), (0.78, 15),
             (0.9, 0.3), (0.95, 0.01), (1.0, 0.01)]
    return [[round(f * length, 1), lux] for f, lux in shape]


def controller_cost(repeats=20000):
    """Return µs per capture: the pure step, the daemon's side (ExposureRamp.captured), and the metering."""
    import numpy as np

    from timelapse import config
    from timelapse.exposure.controller import Limits, Measurement, State, controls, next_state, white_balance
    from timelapse.exposure.measure import mean_luma, mean_rgb
    from timelapse.exposure.ramp import ExposureRamp
    from timelapse.exposure.settings import ExposureSettings
    from dataclasses import replace
    from types import SimpleNamespace

    limits = Limits(0.4, 20e6, 8.0, 0.33)
    state, measured = State(1000.0, 1.0, free=0), Measurement(0.3, 1000.0, 1.0, (2.0, 1.5))
    started = time.perf_counter()
    for _ in range(repeats):
        new = next_state(state, measured, limits)
        new, gains = white_balance(new, "auto", measured, limits)
        controls(new, gains, (33333, 120_000_000))
    pure = (time.perf_counter() - started) / repeats * 1e6

    base = config.defaults()
    settings = replace(base, camera=replace(base.camera, exposure=ExposureSettings(mode="smooth")),
                       storage=replace(base.storage, output_dir="/nonexistent"))
    ramp = ExposureRamp(settings, clock=lambda: 0.0)  # a fixed clock: the state file is not written here
    session = SimpleNamespace(camera=SimpleNamespace(name="synthetic", supports_exposure=True,
                                                     control_limits=lambda: {}),
                              metadata={"ExposureTime": 1000, "AnalogueGain": 1.0, "MeasuredMean": 0.3,
                                        "ColourGains": (2.0, 1.5)}, apply_controls=lambda c: None, is_open=True)
    ramp.opened(session)
    ramp._saved_at = float("inf")
    started = time.perf_counter()
    for _ in range(repeats):
        ramp.captured(session, 0.05)
    daemon_side = (time.perf_counter() - started) / repeats * 1e6

    lores = np.random.default_rng(1).integers(0, 255, (360 * 3 // 2, 640), dtype=np.uint8)
    frame = np.random.default_rng(2).integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    timings = {}
    for name, call in (("lores_us", lambda: mean_luma(lores[:360])), ("rgb_1080p_us", lambda: mean_rgb(frame))):
        started = time.perf_counter()
        for _ in range(200):
            call()
        timings[name] = (time.perf_counter() - started) / 200 * 1e6
    return {"controller_us": pure, "ramp_captured_us": daemon_side, "metering": timings}


def day_runs(work, length, make_run, keogram_dir=HERE):
    """Run both modes through a simulated day of ``length`` seconds; return {mode: figures}."""
    from timelapse.exposure.figures import day_figures, read_shot
    from timelapse.render.keogram import keogram

    light = light_list(length)
    runs = {}
    for mode in ("camera", "smooth"):
        camera = (f"source: synthetic, resolution: [320, 240], exposure: {{mode: {mode}}}, "
                  f"scene: {{light: {light}}}")
        runs[mode] = make_run(work, f"exposure-{mode}", 1, camera)
    try:
        deadline = time.monotonic() + length + 30
        while min(len(run.images()) for run in runs.values()) < length - 3:
            if time.monotonic() > deadline or any(run.process.poll() is not None for run in runs.values()):
                raise RuntimeError("exposure day: a daemon stopped or fell behind")
            time.sleep(0.5)
    finally:
        for run in runs.values():
            run.stop()
    results = {}
    for mode, run in runs.items():
        paths = run.images()
        shots = [read_shot(path) for path in paths]
        results[mode] = dict(day_figures(shots, 0.4, 8.0), brightness_median=statistics.median(s[0] for s in shots))
        data, _columns = keogram(paths, height=120, quality=80)
        (keogram_dir / f"keogram-{mode}.jpg").write_bytes(data)
    return results


def exposure_figures(work, smoke, make_run):
    """Return the exposure figures; ``make_run(work, name, interval, camera)`` starts a daemon (bench.Run)."""
    return {"cost": controller_cost(2000 if smoke else 20000),
            "day": day_runs(work, 40 if smoke else 300, make_run, keogram_dir=work if smoke else HERE),
            "seconds": 40 if smoke else 300}


def exposure_rows(exposure):
    """Return the bench table's rows (name, measured, target, ok) for exposure_figures' result."""
    cost, smooth, camera = exposure["cost"], exposure["day"]["smooth"], exposure["day"]["camera"]
    return [
        ("exposure controller per capture (step / daemon side)",
         f"{cost['controller_us']:.1f} / {cost['ramp_captured_us']:.1f} µs", "< 1 ms",
         cost["ramp_captured_us"] < 1000),
        ("metering: 640x360 lores Y / 1080p RGB (strided)",
         f"{cost['metering']['lores_us']:.0f} / {cost['metering']['rgb_1080p_us']:.0f} µs", "(reported)", None),
        (f"smooth, simulated day ({exposure['seconds']} s): within ±1 EV of target",
         f"{smooth['within_1ev'] * 100:.1f} % of {smooth['judged']} ({smooth['at_limits']} at the limits)",
         ">= 95 %", smooth["within_1ev"] >= 0.95),
        ("smooth: frame-to-frame change p99 / max", f"{smooth['change_p99_ev']:.2f} / {smooth['change_max_ev']:.2f} EV",
         "<= max_step + 0.1 = 0.43", smooth["change_p99_ev"] <= 0.43),
        ("camera mode, same day: within ±1 EV of 0.4; change p99",
         f"{camera['within_1ev'] * 100:.1f} % of {camera['judged']}; {camera['change_p99_ev']:.2f} EV", "(reported)",
         None),
        ("frames 4 EV or more under target: camera / smooth", f"{camera['dark']} / {smooth['dark']}", "(reported)",
         None),
    ]


if __name__ == "__main__":  # the controller's cost alone; `make bench` runs the rest
    sys.path.insert(0, str(ROOT))
    print(controller_cost())
