"""The picamera2 backend against the strict stand-in (tests/fakes/picamera2), which blocks and
fails where the real library does: webcams in the camera list, controls on the next request
only, a dying event loop on a float for an integer control, captures that never return, a busy
camera whose reason hides in __cause__."""

import importlib
import io
import os
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from timelapse.camera import make_camera
from timelapse.camera.controls import checked_controls
from timelapse.camera.runner import call_with_timeout
from timelapse.errors import CameraError, CameraUnavailable, ConfigError
from timelapse.daemon.session import CameraSession, CameraStuck

from conftest import cli_env, run_cli
from test_camera import camera_settings, jpeg_size

FAKES = Path(__file__).parent / "fakes"
PI_CAMERA = {"Model": "imx708_wide", "Location": 2, "Rotation": 180,
             "Id": "/base/axi/pcie@120000/rp1/i2c@88000/imx708@1a", "Num": 0}
WEBCAM = {"Model": "HD Webcam C270", "Location": 2,
          "Id": "/base/axi/pcie@120000/rp1/usb@200000-1:1.0-046d:0825", "Num": 1}


@pytest.fixture
def picamera2(monkeypatch):
    monkeypatch.syspath_prepend(str(FAKES))
    for name in ("picamera2", "timelapse.camera.picamera"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import picamera2
    picamera2.Picamera2.instances.clear()
    monkeypatch.setattr(picamera2.Picamera2, "cameras", [PI_CAMERA])
    yield picamera2.Picamera2
    for picam2 in picamera2.Picamera2.instances:  # no event loop thread outlives its test
        picam2.started = False


def stall(picamera2, monkeypatch):
    """Stop frames arriving ("Camera frontend has timed out!") once the frame picamera2 keeps is handed out."""
    monkeypatch.setattr(picamera2, "frames_arrive", False)
    time.sleep(3 * picamera2.frame_interval)
    picam2 = picamera2.instances[-1]
    with picam2._lock:
        picam2._completed.clear()  # what a capture_array() that returned at once would have taken


def opened(controls=None, timeout=5, **changes):
    camera = make_camera(camera_settings(source="picamera", controls=controls or {}, **changes), 85, timeout=timeout)
    camera.open()
    return camera


# -- what the backend always did ----------------------------------------------------------

def test_picamera_configures_stills_at_resolution_keeps_open_and_encodes_quality(picamera2):
    camera = opened(resolution=(1280, 720))
    first, second = camera.capture(), camera.capture()
    picam2 = picamera2.instances[-1]
    assert ("create_still_configuration", {"size": (1280, 720), "format": "BGR888"}) in picam2.calls
    assert [c[0] for c in picam2.calls].count("start") == 1  # open once, capture twice
    assert jpeg_size(first) == (1280, 720)
    image = Image.open(io.BytesIO(second)).convert("RGB")
    top_right = image.getpixel((1270, 10))
    assert top_right[0] > 200 and top_right[2] > 200  # colour order preserved (R and B where drawn)
    camera.close()
    assert picam2.closed and not picam2.started


def test_picamera_quality_changes_the_file(picamera2):
    sizes = []
    for quality in (10, 95):
        with make_camera(camera_settings(source="picamera", resolution=(640, 480)), quality) as camera:
            sizes.append(len(camera.capture()))
    assert sizes[0] < sizes[1]


def test_picamera_downscales_a_larger_frame_keeping_aspect(picamera2):
    camera = opened(resolution=(1920, 1080))
    picamera2.instances[-1].camera_config["main"]["size"] = (4608, 2592)  # sensor's nearest mode
    assert jpeg_size(camera.capture()) == (1920, 1080)
    camera.close()


def test_picamera_unknown_control_is_named_with_what_the_camera_has(picamera2):
    with pytest.raises(ConfigError, match="unknown libcamera control Focus; this camera has: AeEnable"):
        opened({"Focus": 1})
    assert picamera2.instances[-1].closed


def test_picamera_without_a_camera_is_unavailable(picamera2, monkeypatch):
    monkeypatch.setattr(picamera2, "cameras", [])
    with pytest.raises(CameraUnavailable, match="no Raspberry Pi camera"):
        opened()


def test_auto_prefers_a_pi_camera(picamera2):
    assert make_camera(camera_settings(source="auto"), 85).name == "picamera"


# -- 1. UVC webcams in picamera2's list are not Pi cameras ----------------------------------

def test_a_usb_webcam_listed_by_picamera2_is_not_taken_for_a_pi_camera(picamera2, monkeypatch):
    from timelapse.camera.detect import pi_cameras

    monkeypatch.setattr(picamera2, "cameras", [WEBCAM])
    monkeypatch.setattr("timelapse.camera.detect.v4l2_capture_devices", lambda: [])
    assert pi_cameras() == ([], "picamera2 lists only USB webcams, which the usb backend drives")
    with pytest.raises(CameraUnavailable, match="no camera found"):
        make_camera(camera_settings(source="auto"), 85)
    with pytest.raises(CameraUnavailable, match="lists only USB webcams: use camera.source: usb"):
        opened()
    assert picamera2.instances == []  # the webcam was never opened through libcamera


def test_with_a_pi_camera_and_a_webcam_the_pi_camera_is_opened_and_listed_once(picamera2, monkeypatch, capsys):
    from timelapse import commands

    monkeypatch.setattr(picamera2, "cameras", [WEBCAM, PI_CAMERA])
    camera = opened()
    assert picamera2.instances[-1].camera_idx == 0 and camera.describe() == "picamera 0 (imx708_wide)"
    camera.close()
    monkeypatch.setattr("timelapse.camera.detect.v4l2_capture_devices", lambda: [])
    commands.cameras(None)
    out = capsys.readouterr().out
    assert out.count("picamera ") == 1 and "imx708_wide" in out and "C270" not in out


# -- 2. controls apply from the first frame -------------------------------------------------

def test_controls_are_on_the_very_first_frame_after_the_camera_opens(picamera2):
    camera = opened({"AfMode": 0, "LensPosition": 1.0})
    camera.capture()
    assert picamera2.instances[-1].delivered[0] == {"AfMode": 0, "LensPosition": 1.0}
    camera.close()


def test_with_release_between_captures_every_image_has_the_controls(picamera2):
    for _ in range(3):
        camera = opened({"ExposureTime": 10000}, release_between_captures=True)
        camera.capture()
        camera.close()
    assert [p.delivered[0].get("ExposureTime") for p in picamera2.instances] == [10000] * 3


# -- 3. numbers are given the control's own type ---------------------------------------------

def test_a_whole_float_for_an_integer_control_is_converted_and_the_camera_keeps_working(picamera2):
    camera = opened({"ExposureTime": 20000.0, "AnalogueGain": 2, "AeEnable": 0, "FrameRate": 2.5})
    for _ in range(3):
        jpeg_size(call_with_timeout(camera.capture, 2, camera))
    picam2 = picamera2.instances[-1]
    assert picam2.loop_error is None
    first = picam2.delivered[0]
    assert first["ExposureTime"] == 20000 and type(first["ExposureTime"]) is int
    assert type(first["AnalogueGain"]) is float and first["AeEnable"] is False and first["FrameRate"] == 2.5
    camera.close()


@pytest.mark.parametrize("controls, message", [
    ({"ExposureTime": 20000.5}, r"camera.controls.ExposureTime: expected a whole number, got 20000.5 "
                                r"\(ExposureTime is an int control on this camera\)"),
    ({"AeEnable": 2}, r"camera.controls.AeEnable: expected true or false, got 2"),
    ({"AfMode": [0.5, 1]}, r"camera.controls.AfMode: expected a whole number, got 0.5"),
])
def test_a_value_that_does_not_fit_its_control_is_a_configuration_error_naming_it(picamera2, controls, message):
    with pytest.raises(ConfigError, match=message):
        opened(controls)
    assert picamera2.instances[-1].closed and picamera2.instances[-1].loop_error is None


def test_checked_controls_converts_by_the_type_camera_controls_reports():
    available = {"ExposureTime": (1, 66666, 20000), "LensPosition": (0.0, 32.0, 1.0), "AeEnable": (False, True, True),
                 "ColourGains": (0.0, 32.0, None), "ScalerCrop": ((0, 0, 0, 0), (9, 9, 9, 9), (0, 0, 8, 8))}
    assert checked_controls({"ExposureTime": 1e4, "LensPosition": 2, "AeEnable": 1, "ColourGains": (2, 1.5),
                             "ScalerCrop": (0.0, 0, 100, 100.0), "FrameRate": (1, 30)}, available) == {
        "ExposureTime": 10000, "LensPosition": 2.0, "AeEnable": True, "ColourGains": (2.0, 1.5),
        "ScalerCrop": (0, 0, 100, 100), "FrameRate": (1, 30)}


# -- 4. a hung capture is freed inside the process -------------------------------------------

def session_for(tmp_path, timeout, settings=None):
    return CameraSession(settings or camera_settings(source="picamera"), 85, timeout, str(tmp_path / "camera.lock"))


def test_a_capture_that_gets_no_frame_times_out_and_the_camera_is_freed_in_process(picamera2, tmp_path,
                                                                                   monkeypatch):
    session = session_for(tmp_path, timeout=0.5)
    session.open()
    picam2 = picamera2.instances[-1]
    stall(picamera2, monkeypatch)
    started = time.monotonic()
    with pytest.raises(CameraError, match="no frame within 0.45 s") as caught:
        session.capture()  # CameraStuck here would mean: exit and restart the whole service
    assert not isinstance(caught.value, CameraStuck)
    session.failed(caught.value, time.monotonic())
    assert time.monotonic() - started < 2.0
    assert picam2.closed and "cancel_all_and_flush" in [c[0] for c in picam2.calls]
    monkeypatch.setattr(picamera2, "frames_arrive", True)  # the cable is reseated
    session.open()
    jpeg_size(session.capture())
    session.close()


def test_a_camera_abandoned_at_the_deadline_is_freed_too(picamera2, tmp_path, monkeypatch):
    """The caller's own deadline (or SIGTERM) closes the camera: close() cancels the stuck job first."""
    camera = opened()
    stall(picamera2, monkeypatch)
    with pytest.raises(CameraError) as caught:
        call_with_timeout(lambda: camera._picam2.capture_array("main"), 0.3, camera)  # no wait=: blocks
    assert caught.value.released is True and picamera2.instances[-1].closed


def test_without_wait_and_cancel_all_and_flush_a_hung_capture_still_ends_in_a_restart(picamera2, tmp_path,
                                                                                       monkeypatch):
    """picamera2 before 0.3.17 / 0.3.20: no way to free the camera in-process; exit for a restart remains."""
    monkeypatch.delattr(picamera2, "cancel_all_and_flush")
    monkeypatch.setattr(picamera2, "capture_array", lambda self, name="main": self._dispatch(
        [lambda: self._capture_array_(name)], None))
    monkeypatch.setattr(picamera2, "capture_arrays", lambda self, names=["main"]: self._dispatch(
        [lambda: self._capture_arrays_(names)], None))
    session = session_for(tmp_path, timeout=0.3)
    session.open()
    stall(picamera2, monkeypatch)
    with pytest.raises(CameraStuck, match="the camera driver did not let go"):
        session.capture()
    session.abandon()


# -- 5. an open that fails says why ------------------------------------------------------------

def test_a_busy_camera_names_the_real_reason(picamera2, monkeypatch):
    monkeypatch.setattr(picamera2, "busy", True)
    with pytest.raises(CameraUnavailable) as caught:
        opened()
    assert str(caught.value) == ("picamera: cannot open picamera 0 (imx708_wide): Camera __init__ sequence did "
                                 "not complete: Failed to acquire camera: Device or resource busy")



def test_the_stand_in_with_no_camera_raises_what_picamera2_raises(picamera2, monkeypatch):
    monkeypatch.setattr(picamera2, "cameras", [])
    with pytest.raises(RuntimeError) as caught:
        picamera2()
    assert str(caught.value) == ('No camera number 0 found - use "rpicam-hello --list-cameras" to check '
                                 'connected cameras')  # picamera2 0.3.38, picamera2.py


@pytest.mark.parametrize("raised, why", [
    (None, 'No camera number 0 found - use "rpicam-hello --list-cameras" to check connected cameras'),
    (IndexError("list index out of range"), "no camera number 0 found (unplugged?)"),  # picamera2 <= 0.3.36
])
def test_a_camera_gone_between_listing_and_opening_is_unavailable_saying_so(picamera2, monkeypatch, raised, why):
    camera = make_camera(camera_settings(source="picamera"), 85)
    listed = picamera2.global_camera_info()
    monkeypatch.setattr(picamera2, "cameras", [])  # unplugged after the list was read
    monkeypatch.setattr(picamera2, "global_camera_info", staticmethod(lambda: listed))
    camera._find_pi_camera()
    monkeypatch.setattr(picamera2, "global_camera_info", staticmethod(lambda: []))
    if raised:
        def older(*args, **kwargs):
            raise raised
        monkeypatch.setattr(picamera2, "__init__", older)
    monkeypatch.setattr(camera, "_find_pi_camera", lambda: None)
    with pytest.raises(CameraUnavailable) as caught:
        camera.open()
    assert str(caught.value) == f"picamera: cannot open picamera 0 (imx708_wide): {why}"


# -- picamera2 installed, one of its own imports missing ---------------------------------------

@pytest.fixture
def picamera2_without_pykms(tmp_path, monkeypatch):
    """A picamera2 that fails as the real one does without python3-kms++: its preview module imports pykms."""
    package = tmp_path / "broken" / "picamera2"
    (package / "previews").mkdir(parents=True)
    (package / "__init__.py").write_text("from .previews.drm_preview import DrmPreview\n")
    (package / "previews" / "__init__.py").write_text("")
    (package / "previews" / "drm_preview.py").write_text(
        "try:\n    import kms\nexcept ImportError:\n    import pykms\n")
    for name in ("picamera2", "timelapse.camera.picamera"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(package.parent))
    with pytest.raises(ImportError) as caught:
        importlib.import_module("picamera2")
    assert caught.value.name == "pykms"  # no pykms nor kms here, as on the Pi in the report
    return package.parent


def test_without_pykms_cameras_and_auto_name_the_module_really_missing(picamera2_without_pykms, monkeypatch,
                                                                        capsys):
    from timelapse import commands
    from timelapse.camera.detect import pi_cameras

    why = "picamera2 cannot be imported: No module named 'pykms' (sudo apt install python3-kms++)"
    assert pi_cameras() == ([], why)
    monkeypatch.setattr("timelapse.camera.detect.v4l2_capture_devices", lambda: [])
    commands.cameras(None)
    out = capsys.readouterr().out
    assert f"Pi cameras: none ({why})" in out and "not installed" not in out
    with pytest.raises(CameraUnavailable) as caught:  # source: auto gives the reason too
        make_camera(camera_settings(source="auto"), 85, report=lambda *args: None)
    assert why in str(caught.value) and str(caught.value).startswith("no camera found")
    with pytest.raises(CameraUnavailable) as caught:
        make_camera(camera_settings(source="picamera"), 85)
    assert str(caught.value) == f"picamera 0: {why}"


def test_without_pykms_the_commands_say_so_too(picamera2_without_pykms, tmp_path):
    env = cli_env()
    env["PYTHONPATH"] = f"{picamera2_without_pykms}{os.pathsep}{env['PYTHONPATH']}"
    config = tmp_path / "timelapse.yml"
    config.write_text(f"camera: {{source: picamera}}\ndaemon: {{lock_file: {tmp_path / 'camera.lock'}}}\n")
    listed = run_cli("cameras", env=env)
    assert "picamera2 cannot be imported: No module named 'pykms'" in listed.stdout, listed
    snap = run_cli("--config", config, "snapshot", "-o", tmp_path / "snap.jpg", env=env)
    assert snap.returncode != 0 and "picamera2 cannot be imported: No module named 'pykms'" in snap.stderr, snap
    assert "not installed" not in listed.stdout + snap.stderr

# -- 6. describe() names the camera --------------------------------------------------------------

def test_describe_gives_the_camera_number_and_model(picamera2):
    camera = opened()
    assert camera.describe() == "picamera 0 (imx708_wide)"
    camera.close()


# -- the live view's frames ---------------------------------------------------------------------

def test_live_view_frames_come_from_the_lores_stream_and_focus_from_the_full_frame(picamera2):
    camera = opened(resolution=(1920, 1080))
    config = picamera2.instances[-1].camera_config
    assert config["lores"]["size"] == (640, 360) and config["lores"]["format"] == "YUV420"
    assert jpeg_size(camera.preview()) == (640, 360)
    assert jpeg_size(camera.preview(focus=True)) == (640, 480)  # a 1:1 crop of the centre of 1920x1080
    calls = [c[1] for c in picamera2.instances[-1].calls if c[0] == "capture_array"]
    assert calls == ["lores", "main"]
    camera.close()


# -- exposure (SPEC §16) --------------------------------------------------------------------------

def test_each_capture_reports_what_the_frame_was_taken_with_and_its_metered_brightness(picamera2):
    camera = opened(resolution=(640, 480))
    jpeg_size(camera.capture())
    assert camera.metadata["ExposureTime"] == 20000 and camera.metadata["AnalogueGain"] == 1.0
    assert 0 < camera.metadata["MeasuredMean"] < 1
    assert ("capture_arrays", ("main", "lores")) in picamera2.instances[-1].calls
    camera.close()


def test_controls_set_after_a_capture_are_on_the_next_saved_frame_and_cut_to_the_frame_duration(picamera2):
    camera = opened(resolution=(640, 480))
    camera.capture()
    camera.apply_controls({"AeEnable": False, "ExposureTime": 50000.0, "AnalogueGain": 2, "FrameDurationLimits":
                           (33333, 40000)})
    camera.capture()
    assert camera.metadata["ExposureTime"] == 40000  # cut to FrameDurationLimits' maximum
    assert camera.metadata["AnalogueGain"] == 2.0
    assert picamera2.instances[-1].delivered[-1]["ExposureTime"] == 50000  # converted to libcamera's int
    camera.close()


def test_a_long_exposure_takes_its_time(picamera2):
    camera = opened(resolution=(640, 480))
    camera.capture()
    camera.apply_controls({"AeEnable": False, "ExposureTime": 300_000, "AnalogueGain": 1.0,
                           "FrameDurationLimits": (33333, 301_000)})
    picamera2.controls_available = dict(picamera2.controls_available, ExposureTime=(1, 1_000_000, 20000),
                                        FrameDurationLimits=(33333, 1_000_000, 33333))
    camera.capture()
    camera.capture()
    assert camera.metadata["ExposureTime"] == 300_000
    began = camera.metadata["SensorTimestamp"]
    camera.capture()
    # the sensor's clock, not ours: a busy machine delays the delivery, never the exposure
    assert camera.metadata["SensorTimestamp"] - began >= 300_000_000  # the frame needed its exposure time
    camera.close()


def test_the_controller_through_picamera2_brings_a_dark_scene_to_the_target(picamera2, tmp_path, monkeypatch):
    """The ramp and the backend together, against the stand-in's light: 20 lux needs ~0.5 s at gain 2."""
    from dataclasses import replace

    from timelapse import config
    from timelapse.exposure.ramp import ExposureRamp
    from timelapse.exposure.settings import ExposureSettings

    monkeypatch.setattr(picamera2, "lux", 20.0)
    monkeypatch.setattr(picamera2, "frame_interval", 0.01)
    monkeypatch.setattr(picamera2, "controls_available", dict(
        picamera2.controls_available, ExposureTime=(10, 200_000, 20000), AnalogueGain=(1.0, 16.0, 1.0),
        FrameDurationLimits=(10000, 200_000, 33333), AwbEnable=(False, True, True), ColourGains=(0.0, 32.0, None)))
    base = config.defaults()
    settings = replace(base, camera=replace(base.camera, source="picamera", resolution=(320, 240), warmup=0,
                                            exposure=ExposureSettings(mode="smooth", max_step=1.0)),
                       storage=replace(base.storage, output_dir=str(tmp_path)))
    session = session_for(tmp_path, timeout=5, settings=settings.camera)
    session.open()
    ramp = ExposureRamp(settings)
    ramp.opened(session)
    shots = []
    for _ in range(12):
        session.capture()
        shots.append(ramp.captured(session, 0.05))
    session.close()
    last = shots[-1]
    assert last["exposure_time_us"] == 200_000  # the sensor's longest shutter (clamped), then gain
    assert last["analogue_gain"] > 1.5
    assert abs(last["brightness"] / 0.4 - 1) < 0.3
    assert all(s["exposure_time_us"] <= 200_000 for s in shots)


def test_a_libcamera_without_aeenable_still_takes_the_exposure(picamera2, monkeypatch):
    """libcamera 0.5+ dropped AeEnable (picamera2 sets ExposureTimeMode to manual): it must not be sent."""
    monkeypatch.setattr(picamera2, "controls_available",
                        {k: v for k, v in picamera2.controls_available.items() if k != "AeEnable"})
    camera = opened(resolution=(640, 480))
    camera.capture()
    camera.apply_controls({"AeEnable": False, "ExposureTime": 30000, "AnalogueGain": 1.5})
    camera.capture()
    assert camera.metadata["ExposureTime"] == 30000 and camera.metadata["AnalogueGain"] == 1.5
    assert "AeEnable" not in picamera2.instances[-1].delivered[-1]
    camera.close()
