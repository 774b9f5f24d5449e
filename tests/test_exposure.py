"""The day-to-night controller (timelapse/exposure): the pure function replayed against light
sequences, and the daemon's side of it (clamps, the state file, white balance)."""

import json
import logging
import math
from dataclasses import replace
from types import SimpleNamespace

import pytest

from timelapse import config
from timelapse.exposure.controller import (FREE_CAPTURES, FREE_STEP, HYSTERESIS, Limits, Measurement, State,
                                          controls, next_state, night_fraction, white_balance)
from timelapse.exposure.ramp import ExposureRamp, START_EXPOSURE_US
from timelapse.exposure.scene import daylight, frame_mean, light_at
from timelapse.exposure.settings import ExposureSettings

LIMITS = Limits(target=0.4, max_exposure_us=20e6, max_gain=8.0, max_step=0.33)


def replay(luxes, state=None, limits=LIMITS, noise=()):
    """Take one frame per light level with the controller's settings; return [(exposure, gain, brightness)]."""
    state = state or State(20000.0, 1.0)
    shots = []
    for index, lux in enumerate(luxes):
        brightness = min(1.0, frame_mean(lux, state.exposure_us, state.gain))
        if noise:
            brightness *= 2 ** noise[index % len(noise)]
        shots.append((state.exposure_us, state.gain, brightness))
        state = next_state(state, Measurement(brightness, state.exposure_us, state.gain), limits)
    return shots


def sunset(frames, start=100000, end=0.01):
    return [light_at(((0, start), (frames - 1, end)), i) for i in range(frames)]


def ev_steps(shots):
    return [abs(math.log2((b[0] * b[1]) / (a[0] * a[1]))) for a, b in zip(shots, shots[1:])]


def test_into_the_night_the_shutter_goes_first_then_the_gain():
    shots = replay(sunset(200))  # 23 EV in 200 frames: slower than max_step
    gained = [i for i, (exposure, gain, _) in enumerate(shots) if gain > 1.0]
    assert gained, "the gain never rose"
    assert all(exposure == LIMITS.max_exposure_us for exposure, _, _ in shots[gained[0]:])
    assert all(gain == 1.0 for _, gain, _ in shots[:gained[0]])
    assert shots[-1][:2] == (20e6, 8.0)  # at 0.01 lux: both at their limits


def test_in_the_morning_the_gain_comes_down_first():
    night = replay(sunset(200))[-1]
    shots = replay(list(reversed(sunset(200))), State(night[0], night[1], free=0))
    shortened = [i for i, (exposure, _, _) in enumerate(shots) if exposure < LIMITS.max_exposure_us]
    assert shortened and all(gain == 1.0 for _, gain, _ in shots[shortened[0]:])
    assert shots[shortened[0] - 1][1] <= 1.0 + 1e-9 or shots[shortened[0]][1] == 1.0
    assert any(gain > 1 for _, gain, _ in shots[:shortened[0]])


def test_steps_are_at_most_max_step_after_the_first_free_captures_and_it_tracks_the_target():
    shots = replay(sunset(120, 100000, 1.0))  # 16.6 EV in 120 frames
    assert max(ev_steps(shots[FREE_CAPTURES:])) <= LIMITS.max_step + 1e-9
    assert max(ev_steps(shots[:FREE_CAPTURES + 1])) > LIMITS.max_step  # metering freely at the start
    within = [abs(math.log2(b / LIMITS.target)) <= 1 for _, _, b in shots[FREE_CAPTURES:]]
    assert all(within)


def test_the_clamps_hold():
    limits = Limits(target=0.4, max_exposure_us=500_000, max_gain=4.0, max_step=0.33, min_exposure_us=60)
    shots = replay(sunset(150, 100000, 0.001) + sunset(150, 0.001, 1e6), limits=limits)
    assert max(e for e, _, _ in shots) == 500_000 and max(g for _, g, _ in shots) == 4.0
    assert min(e for e, _, _ in shots) == 60 and min(g for _, g, _ in shots) == 1.0


def test_inside_the_hysteresis_band_nothing_changes_however_the_brightness_wobbles():
    state = State(1000.0, 1.0, free=0)  # 20,000 lux: exactly the target
    wobble = [0.15, -0.1, 0.05, -0.18, 0.12, 0.0, -0.05]  # EV of sensor noise, all inside the band
    assert max(abs(w) for w in wobble) < HYSTERESIS
    shots = replay([20000] * 50, state, noise=wobble)
    assert {(e, g) for e, g, _ in shots} == {(1000.0, 1.0)}
    # Just outside it, it corrects, to the target itself (not to the band's edge).
    moved = next_state(state, Measurement(0.4 * 2 ** (HYSTERESIS + 0.05), 1000, 1.0), LIMITS)
    assert moved.exposure_us == pytest.approx(1000 / 2 ** (HYSTERESIS + 0.05))


def test_an_all_clipped_or_all_black_frame_moves_as_far_as_allowed():
    state = State(1000.0, 1.0, free=0)
    down = next_state(state, Measurement(1.0, 1000, 1.0), LIMITS)
    up = next_state(state, Measurement(0.0, 1000, 1.0), LIMITS)
    assert down.exposure_us == pytest.approx(1000 / 2 ** LIMITS.max_step)
    assert up.exposure_us == pytest.approx(1000 * 2 ** LIMITS.max_step)
    # Metering freely (a start) a black frame jumps far, and a clipped frame several stops down.
    free = replace(state, free=FREE_CAPTURES)
    assert next_state(free, Measurement(0.0, 1000, 1.0), LIMITS).exposure_us == pytest.approx(1000 * 2 ** FREE_STEP)
    assert next_state(free, Measurement(1.0, 1000, 1.0), LIMITS).exposure_us == pytest.approx(1000 / 8)
    # A start in full sun from libcamera's default exposure is at the target by the fourth frame.
    shots = replay([100000] * 6, State(START_EXPOSURE_US, 1.0))
    assert abs(math.log2(shots[FREE_CAPTURES][2] / 0.4)) <= 1


def test_a_window_opening_at_dusk_meters_freely_from_the_days_state():
    day = State(200.0, 1.0, free=FREE_CAPTURES)  # the state the window closed with at noon
    shots = replay([5.0] * 6, day)  # it opens at dusk: 14 EV darker
    assert abs(math.log2(shots[FREE_CAPTURES][2] / 0.4)) <= 1
    # Without the free captures it would have crawled up max_step at a time.
    crawl = replay([5.0] * 6, replace(day, free=0))
    assert crawl[FREE_CAPTURES][2] < 0.01


def test_controls_turn_ae_off_widen_the_frame_duration_and_lock_white_balance():
    wanted = controls(State(2_000_000.0, 2.0), (2.1, 1.5), (33333, 120_000_000))
    assert wanted == {"AeEnable": False, "ExposureTime": 2_000_000, "AnalogueGain": 2.0,
                      "FrameDurationLimits": (33333, 2_001_000), "AwbEnable": False, "ColourGains": (2.1, 1.5)}
    assert "AwbEnable" not in controls(State(1000.0, 1.0), None, None)


def test_white_balance_fades_from_day_to_night_gains_and_auto_locks_at_the_first_daylight_frame():
    fixed = ((2.0, 1.5), (1.5, 2.0))
    _, day = white_balance(State(500.0, 1.0), fixed, None, LIMITS)
    _, night = white_balance(State(20e6, 8.0), fixed, None, LIMITS)
    _, dusk = white_balance(State(20e6 ** 0.5 * 100, 1.0), fixed, None, LIMITS)
    assert day == (2.0, 1.5) and night == (1.5, 2.0)
    assert 1.5 < dusk[0] < 2.0 and 1.5 < dusk[1] < 2.0
    assert 0 < night_fraction(20e6 ** 0.5 * 100, LIMITS) < 1
    # auto: the camera's AWB until a daylight frame, then that frame's gains for good.
    state = State(500_000.0, 1.0)
    state, gains = white_balance(state, "auto", Measurement(0.4, 500_000, 1.0, (1.7, 2.2)), LIMITS)
    assert gains is None  # night: still the camera's AWB
    state, gains = white_balance(replace(state, exposure_us=500), "auto", Measurement(0.4, 500, 1.0, (2.1, 1.4)),
                                 LIMITS)
    assert gains == (2.1, 1.4)
    state, gains = white_balance(state, "auto", Measurement(0.4, 400, 1.0, (2.5, 1.1)), LIMITS)
    assert gains == (2.1, 1.4)


def test_the_daylight_model_runs_from_high_sun_to_starlight_smoothly():
    assert daylight(60) == pytest.approx(100000)
    assert daylight(-30) == pytest.approx(0.001)
    levels = [daylight(e / 2) for e in range(-40, 181)]
    assert all(b >= a for a, b in zip(levels, levels[1:]))
    assert max(abs(math.log2(b / a)) for a, b in zip(levels, levels[1:])) < 1  # no jump of a stop in half a degree


# -- the daemon's side ----------------------------------------------------------------------

class Session:
    """What ExposureRamp uses of CameraSession: the camera, its last metadata, apply_controls."""

    def __init__(self, available, name="picamera", supports=True):
        self.camera = SimpleNamespace(name=name, supports_exposure=supports, control_limits=lambda: available)
        self.metadata, self.applied, self.is_open = {}, [], True

    def apply_controls(self, wanted):
        self.applied.append(wanted)


SENSOR = {"ExposureTime": (60, 2_000_000, 20000), "AnalogueGain": (1.0, 6.0, 1.0),
          "FrameDurationLimits": (33333, 2_100_000, 33333)}


def settings(tmp_path, interval=60, **exposure):
    base = config.defaults()
    return replace(base, camera=replace(base.camera, exposure=ExposureSettings(mode="smooth", **exposure)),
                   capture=replace(base.capture, interval=interval),
                   storage=replace(base.storage, output_dir=str(tmp_path)))


def test_max_exposure_is_clamped_by_the_interval_and_the_sensor_each_said_once(tmp_path, caplog):
    caplog.set_level(logging.INFO, "timelapse")
    ramp = ExposureRamp(settings(tmp_path, interval=5, max_exposure=20.0, max_gain=8.0))
    ramp.opened(Session(dict(SENSOR, ExposureTime=(60, 120_000_000, 20000), AnalogueGain=(1.0, 16.0, 1.0))))
    assert ramp.limits.max_exposure_us == 4_500_000  # the interval minus 0.5 s
    ramp = ExposureRamp(settings(tmp_path, interval=60, max_exposure=20.0, max_gain=8.0))
    session = Session(SENSOR)
    ramp.opened(session)
    assert ramp.limits.max_exposure_us == 2_000_000 and ramp.limits.max_gain == 6.0  # the sensor's own limits
    for _ in range(5):
        session.metadata = {"ExposureTime": 20000, "AnalogueGain": 1.0, "MeasuredMean": 0.01}
        ramp.captured(session, 0.1)
    clamps = [r.message for r in caplog.records if "clamped" in r.message]
    assert len(clamps) == 3, clamps  # interval (first ramp), sensor shutter, sensor gain: once each
    assert session.applied[-1]["AeEnable"] is False


def test_max_exposure_is_clamped_so_that_a_frame_arrives_within_capture_timeout(tmp_path, caplog):
    caplog.set_level(logging.INFO, "timelapse")
    base = settings(tmp_path, interval=60, max_exposure=20.0)
    ramp = ExposureRamp(replace(base, capture=replace(base.capture, timeout=10)))
    ramp.opened(Session(dict(SENSOR, ExposureTime=(60, 120_000_000, 20000))))
    assert ramp.limits.max_exposure_us == pytest.approx(8_000_000)  # 10 s x 0.9 - 1 s
    assert "within capture.timeout" in caplog.text


def test_a_restart_at_night_starts_from_the_saved_state_and_an_old_one_is_ignored(tmp_path):
    now = 1_800_000_000.0
    night = {"exposure_us": 2_000_000, "gain": 4.0, "wb_lock": [2.0, 1.5], "saved": now - 600}
    (tmp_path / ".exposure.json").write_text(json.dumps(night))
    session = Session(SENSOR)
    ramp = ExposureRamp(settings(tmp_path), clock=lambda: now)
    ramp.opened(session)
    assert session.applied[0]["ExposureTime"] == 2_000_000 and session.applied[0]["AnalogueGain"] == 4.0
    assert session.applied[0]["ColourGains"] == (2.0, 1.5)
    (tmp_path / ".exposure.json").write_text(json.dumps(dict(night, saved=now - 3700)))
    session = Session(SENSOR)
    ExposureRamp(settings(tmp_path), clock=lambda: now).opened(session)
    assert session.applied[0]["ExposureTime"] == START_EXPOSURE_US  # over an hour old: meter afresh
    # The state is written atomically, and read back.
    ramp.save()
    saved = json.loads((tmp_path / ".exposure.json").read_text())
    assert saved["exposure_us"] == 2_000_000 and saved["saved"] == now


def test_a_usb_camera_chosen_by_auto_runs_as_camera_and_says_so_once(tmp_path, caplog):
    caplog.set_level(logging.INFO, "timelapse")
    ramp = ExposureRamp(settings(tmp_path))
    session = Session({}, name="usb", supports=False)
    for _ in range(3):
        ramp.opened(session)
    assert not ramp.active and not session.applied
    assert len([r for r in caplog.records if "USB camera" in r.message]) == 1
    # It still records what a camera reports, in either mode.
    session.metadata = {"ExposureTime": 1000, "AnalogueGain": 2.0, "MeasuredMean": 0.3}
    assert ramp.captured(session, 0.1) == {"exposure_time_us": 1000, "analogue_gain": 2.0, "brightness": 0.3}


# -- configuration ---------------------------------------------------------------------------

EXPOSURE_BAD = [
    ("camera:\n  exposure:\n    mode: smoth\n", "camera.exposure.mode", 3, "did you mean 'smooth'"),
    ("camera:\n  exposure:\n    target: 1.5\n", "camera.exposure.target", 3, "between 0 and 1"),
    ("camera:\n  exposure:\n    max_exposure: 0\n", "camera.exposure.max_exposure", 3, "greater than 0"),
    ("camera:\n  exposure:\n    max_gain: 0.5\n", "camera.exposure.max_gain", 3, "at least 1"),
    ("camera:\n  exposure:\n    max_step: 3\n", "camera.exposure.max_step", 3, "at most 2"),
    ("camera:\n  exposure:\n    max_stpe: 0.5\n", "camera.exposure.max_stpe", 3, "did you mean 'max_step'"),
    ("camera:\n  exposure:\n    white_balance: {day: [2, 1.5]}\n", "camera.exposure.white_balance", 3,
     "night is missing"),
    ("camera:\n  exposure:\n    white_balance: {day: [2, 1.5], night: [2]}\n",
     "camera.exposure.white_balance.night", 3, "[red_gain, blue_gain]"),
    ("camera:\n  source: usb\n  exposure:\n    mode: smooth\n", "camera.exposure.mode", 4, "driver specific"),
    ("camera:\n  source: picamera\n  scene: {light: [[0, 100]]}\n", "camera.scene", 3, "synthetic"),
    ("camera:\n  source: synthetic\n  scene: {light: [[0, 100], [0, 5]]}\n", "camera.scene.light.1", 3,
     "time order"),
    ("camera:\n  source: synthetic\n  scene: {light: [[0, 0]]}\n", "camera.scene.light.0", 3, "LUX > 0"),
    ("camera:\n  source: synthetic\n  scene: {latitude: 95, longitude: 0}\n", "camera.scene.latitude", 3, "-90"),
    ("camera:\n  source: synthetic\n  scene: {latitude: 5, longitude: 0, speed: 0}\n", "camera.scene.speed", 3,
     "greater than 0"),
]


@pytest.mark.parametrize("text, key, line, fragment", EXPOSURE_BAD, ids=[b[1] for b in EXPOSURE_BAD])
def test_bad_exposure_and_scene_settings_name_file_line_key_and_why(text, key, line, fragment, tmp_path):
    from timelapse.errors import ConfigError

    path = tmp_path / "timelapse.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        config.load(str(path))
    problems = caught.value.problems
    assert len(problems) == 1 and problems[0].startswith(f"{path}:{line}: {key}:"), problems
    assert fragment in problems[0]


def test_good_exposure_and_scene_settings_load(tmp_path):
    path = tmp_path / "timelapse.yml"
    path.write_text("camera:\n  source: synthetic\n  exposure: {mode: smooth, max_exposure: 2m, white_balance: "
                    "{day: [2, 1.5], night: [1.6, 2.2]}}\n  scene: {latitude: 59.9, longitude: 10.7}\n")
    camera = config.load(str(path)).camera
    assert camera.exposure == ExposureSettings(mode="smooth", max_exposure=120.0,
                                               white_balance=((2.0, 1.5), (1.6, 2.2)))
    assert camera.scene.speed == 600 and camera.scene.latitude == 59.9


# -- the synthetic camera's physics ---------------------------------------------------------

def synthetic(scene, resolution=(160, 120)):
    from timelapse.camera.synthetic import SyntheticCamera
    from timelapse.exposure.settings import LightScene

    settings = replace(config.defaults().camera, source="synthetic", resolution=resolution, warmup=0,
                       scene=LightScene(tuple(map(tuple, scene))))
    camera = SyntheticCamera(settings, 85)
    camera.open()
    return camera


def test_a_frames_mean_is_lux_times_seconds_times_gain_over_50_and_controls_apply_from_the_next_capture():
    import time

    camera = synthetic([[0, 20000]])
    camera.capture()
    camera.apply_controls({"AeEnable": False, "ExposureTime": 1000, "AnalogueGain": 1.0})
    assert camera.metadata["ExposureTime"] != 1000  # capture N was taken before the controls came
    camera.capture()
    assert camera.metadata["ExposureTime"] == 1000 and camera.metadata["Lux"] == pytest.approx(20000)
    assert camera.metadata["MeasuredMean"] == pytest.approx(0.4, abs=0.03)  # 20,000 lux, 1/1000 s, gain 1
    camera.apply_controls({"AnalogueGain": 0.5 * 2})
    camera.apply_controls({"ExposureTime": 300_000, "FrameDurationLimits": (33333, 200_000)})
    started = time.monotonic()
    camera.capture()
    assert camera.metadata["ExposureTime"] == 200_000  # cut to FrameDurationLimits
    assert time.monotonic() - started >= 0.2  # and it took that long
    assert camera.metadata["MeasuredMean"] > 0.97  # 80 x the target: clipped at full scale
    camera.close()


def test_in_mode_camera_it_imitates_libcameras_ae_and_runs_out_at_66_ms_and_gain_8():
    camera = synthetic([[0, 20000]])
    for _ in range(5):
        camera.capture()
    assert camera.metadata["MeasuredMean"] == pytest.approx(0.16, abs=0.03)  # the Pi tuning's target
    camera.close()
    camera = synthetic([[0, 1.0]])  # a dark dusk
    for _ in range(5):
        camera.capture()
    assert camera.metadata["ExposureTime"] == 66_666 and camera.metadata["AnalogueGain"] == 8.0
    assert camera.metadata["MeasuredMean"] < 0.02  # 1 lux x 66 ms x 8 / 50: dark
    camera.close()


def test_the_scene_clock_counts_from_the_process_start_and_a_reopen_does_not_restart_it():
    from timelapse.exposure.scene import process_age

    light = [[0, 1.0], [3600, 1e6]]  # 6 EV an hour: measurable from one capture to the next
    first = synthetic(light)
    first.capture()
    before = first.metadata["Lux"]
    first.close()
    again = synthetic(light)  # a reopen, as after a reload
    again.capture()
    assert again.metadata["Lux"] >= before > 1.0
    assert again.metadata["Lux"] == pytest.approx(light_at(light, process_age()), rel=0.01)
    again.close()


def test_the_sun_scene_is_bright_at_noon_and_dark_at_midnight():
    import datetime

    from timelapse.sun import elevation

    oslo = (59.91, 10.75)
    noon = elevation(datetime.datetime(2026, 6, 21, 11, 20, tzinfo=datetime.timezone.utc), *oslo)
    midnight = elevation(datetime.datetime(2026, 12, 21, 23, 20, tzinfo=datetime.timezone.utc), *oslo)
    assert 52 < noon < 55 and midnight < -40
    assert daylight(noon) > 80000 and daylight(midnight) == pytest.approx(0.001)


def test_a_camera_that_refuses_the_controls_does_not_stop_the_captures(tmp_path, caplog):
    from timelapse.errors import ConfigError

    session = Session(SENSOR)

    def refuse(wanted):
        raise ConfigError(["camera.controls.ColourGains: expected a float"])
    session.apply_controls = refuse
    ramp = ExposureRamp(settings(tmp_path))
    ramp.opened(session)
    assert not ramp.active and "refused the exposure controls" in caplog.text
    session.metadata = {"ExposureTime": 1000, "AnalogueGain": 1.0, "MeasuredMean": 0.3}
    assert ramp.captured(session, 0.1)["exposure_time_us"] == 1000
