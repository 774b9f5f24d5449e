"""Camera backends: USB through real OpenCV on a real video file (picamera2: test_picamera.py),
synthetic for real; the capture deadline and the inter-process lock with real processes."""

import io
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from timelapse import config
from timelapse.camera import make_camera
from timelapse.camera.base import fit_within
from timelapse.camera.lock import CameraLock
from timelapse.camera.runner import call_with_timeout
from timelapse.camera.synthetic import SyntheticCamera
from timelapse.errors import CameraBusy, CameraError, CameraUnavailable, CaptureTimeout

from conftest import cli_env, run_cli

FAKES = Path(__file__).parent / "fakes"


def camera_settings(**changes):
    return replace(config.defaults().camera, warmup=0, **changes)


def jpeg_size(data):
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    image.load()
    return image.size


@pytest.fixture(scope="module")
def video_file(tmp_path_factory):
    """A real MJPG .avi of 12 numbered 2592x1944 frames, written by cv2.VideoWriter."""
    path = tmp_path_factory.mktemp("video") / "camera.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 5, (2592, 1944))
    assert writer.isOpened()
    rng = np.random.default_rng(1)
    for index in range(12):
        frame = rng.integers(0, 255, (1944, 2592, 3), dtype=np.uint8)  # noise: quality shows in size
        cv2.putText(frame, str(index), (100, 400), cv2.FONT_HERSHEY_SIMPLEX, 10, (255, 255, 255), 20)
        writer.write(frame)
    writer.release()
    return path


# -- USB / OpenCV -----------------------------------------------------------------------

def test_usb_reads_a_real_video_file_and_downscales_keeping_aspect(video_file):
    camera = make_camera(camera_settings(source="usb", device=str(video_file), resolution=(1920, 1080)), 85)
    with camera:
        assert jpeg_size(camera.capture()) == (1440, 1080)


def test_usb_saves_smaller_frames_as_they_are(video_file):
    camera = make_camera(camera_settings(source="usb", device=str(video_file), resolution=(4000, 3000)), 85)
    with camera:
        assert jpeg_size(camera.capture()) == (2592, 1944)


def test_usb_jpeg_quality_is_really_applied(video_file):
    sizes = []
    for quality in (20, 60, 95):
        with make_camera(camera_settings(source="usb", device=str(video_file)), quality) as camera:
            sizes.append(len(camera.capture()))
    assert sizes[0] < sizes[1] < sizes[2]


def test_usb_discards_the_first_frames_after_opening(video_file):
    from timelapse.camera.usb import DISCARD_AFTER_OPEN
    with make_camera(camera_settings(source="usb", device=str(video_file)), 85) as camera:
        camera.capture()
        assert int(camera._capture.get(cv2.CAP_PROP_POS_FRAMES)) == DISCARD_AFTER_OPEN + 1


def test_usb_missing_file_is_unavailable(tmp_path):
    camera = make_camera(camera_settings(source="usb", device=str(tmp_path / "gone.avi")), 85)
    with pytest.raises(CameraUnavailable, match="cannot open"):
        camera.open()


def test_usb_exhausted_source_is_a_failure_not_an_empty_file(video_file):
    with make_camera(camera_settings(source="usb", device=str(video_file)), 85) as camera:
        for _ in range(12 - 4):
            camera.capture()
        with pytest.raises(CameraError, match="no frame"):
            camera.capture()


def test_usb_device_index_with_no_device_is_unavailable():
    camera = make_camera(camera_settings(source="usb", device=63), 85)
    with pytest.raises(CameraUnavailable):
        camera.open()


def test_auto_without_any_camera_is_unavailable_and_never_synthetic(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails as on Debian
    monkeypatch.setattr("timelapse.camera.detect.v4l2_capture_devices", lambda: [])
    with pytest.raises(CameraUnavailable, match="no camera found"):
        make_camera(camera_settings(source="auto"), 85)


def test_v4l2_detection_keeps_usb_capture_nodes_with_stable_names(tmp_path):
    from timelapse.camera.detect import v4l2_capture_devices
    sys_root, dev_root = tmp_path / "sys", tmp_path / "dev"
    for name, index, parent in (("video0", 0, "usb1/1-1"), ("video1", 1, "usb1/1-1"), ("video10", 0, "platform/codec")):
        node = sys_root / "class/video4linux" / name
        node.mkdir(parents=True)
        (node / "index").write_text(f"{index}\n")
        (node / "name").write_text("HD Webcam C270\n" if parent.startswith("usb") else "bcm2835-codec\n")
        target = sys_root / "devices" / parent
        target.mkdir(parents=True, exist_ok=True)
        (node / "device").symlink_to(target)
        (dev_root).mkdir(exist_ok=True)
        (dev_root / name).touch()
    (dev_root / "v4l/by-id").mkdir(parents=True)
    (dev_root / "v4l/by-id/usb-046d_C270-video-index0").symlink_to(dev_root / "video0")
    devices = v4l2_capture_devices(str(sys_root), str(dev_root))
    assert [(d.path, d.name, d.stable_path) for d in devices] == [
        (str(dev_root / "video0"), "HD Webcam C270", str(dev_root / "v4l/by-id/usb-046d_C270-video-index0"))]


def test_cameras_command_explains_what_to_check_when_none_found():
    result = run_cli("cameras")
    assert result.returncode == 0
    assert "group video" in result.stdout and "source: synthetic" in result.stdout


def test_backends_do_not_load_cv2_or_picamera2_unless_chosen():
    code = ("import sys; from timelapse import cli, commands, config; import timelapse.daemon.loop; "
            "from timelapse.camera import make_camera; "
            "c = make_camera(config.defaults().camera.__class__(**{**config.defaults().camera.__dict__, "
            "'source': 'synthetic'}), 85); print('cv2' in sys.modules, 'picamera2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), check=True)
    assert out.stdout.split() == ["False", "False"]


# -- synthetic ------------------------------------------------------------------------------

def test_synthetic_frames_have_the_configured_size_and_change_over_time():
    import datetime
    moments = iter([datetime.datetime(2026, 11, 21, 12, 0, 0), datetime.datetime(2026, 11, 21, 12, 0, 7)])
    camera = SyntheticCamera(camera_settings(source="synthetic", resolution=(640, 360)), 85, clock=lambda: next(moments))
    with camera:
        first, second = camera.capture(), camera.capture()
    assert jpeg_size(first) == (640, 360)
    difference = np.abs(np.asarray(Image.open(io.BytesIO(first)), dtype=int)
                        - np.asarray(Image.open(io.BytesIO(second)), dtype=int)).mean()
    assert difference > 10
    assert (camera.opens, camera.captures, camera.closes) == (1, 2, 1)


@pytest.mark.parametrize("fault, error", [("absent", CameraUnavailable), ("fail", CameraError)])
def test_synthetic_camera_can_be_told_to_fail(fault, error, tmp_path, monkeypatch):
    fault_file = tmp_path / "fault"
    monkeypatch.setenv("TIMELAPSE_SYNTHETIC_FAULT_FILE", str(fault_file))
    camera = SyntheticCamera(camera_settings(source="synthetic", resolution=(64, 48)), 85)
    fault_file.write_text(fault)
    with pytest.raises(error):
        camera.open()
        camera.capture()


# -- capture deadline -----------------------------------------------------------------------

@pytest.mark.parametrize("fault, released, limit", [("hang", True, 1.0), ("stuck", False, 2.5)])
def test_an_overrunning_capture_is_abandoned_in_time_saying_if_the_driver_let_go(fault, released, limit, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("TIMELAPSE_SYNTHETIC_FAULT_FILE", str(tmp_path / "fault"))
    camera = SyntheticCamera(camera_settings(source="synthetic", resolution=(64, 48)), 85)
    camera.open()
    (tmp_path / "fault").write_text(fault)
    started = time.monotonic()
    with pytest.raises(CaptureTimeout) as caught:
        call_with_timeout(camera.capture, 0.5, camera)
    assert time.monotonic() - started < 0.5 + limit  # within the timeout plus the release grace
    assert caught.value.released is released


def test_fit_within_keeps_aspect_and_never_enlarges():
    assert fit_within((4000, 3000), (1920, 1080)) == (1440, 1080)
    assert fit_within((3840, 2160), (1920, 1080)) == (1920, 1080)
    assert fit_within((640, 480), (1920, 1080)) is None


# -- the lock, across real processes -----------------------------------------------------------

HOLD = ("import sys, time; from timelapse.camera.lock import CameraLock; "
        "lock = CameraLock(sys.stdin.readline().strip(), holder='timelapse run'); lock.acquire(); print('held', flush=True); time.sleep(60)")


def hold_lock(path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=cli_env())
    holder.stdin.write(f"{path}\n")
    holder.stdin.flush()
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_second_process_gets_camera_busy_naming_the_holder_and_kill_9_frees_it(tmp_path):
    path = tmp_path / "camera.lock"
    holder = hold_lock(path)
    try:
        started = time.monotonic()
        with pytest.raises(CameraBusy) as caught:
            CameraLock(str(path)).acquire(wait=0.3)
        assert time.monotonic() - started < 2
        assert caught.value.holder_pid == holder.pid
        assert str(caught.value) == f"camera busy: held by pid {holder.pid} (timelapse run)"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    lock = CameraLock(str(path))
    lock.acquire()  # the dead holder left no stale lock
    assert Path(path).read_text().split("\n")[0] == str(os.getpid())
    lock.release()


def test_snapshot_exits_75_while_the_daemon_holds_the_camera(tmp_path, write_config):
    lock_path = tmp_path / "camera.lock"
    status = tmp_path / "status.json"
    status.write_text('{"last_image": "/var/lib/timelapse/2026/11/21/120000.jpg"}')
    cfg = write_config(f"camera: {{source: synthetic, warmup: 0}}\n"
                       f"daemon: {{lock_file: {lock_path}, status_file: {status}}}\n")
    holder = hold_lock(lock_path)
    try:
        result = run_cli("--config", cfg, "snapshot", "-o", tmp_path / "snap.jpg")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 75
    assert f"camera busy: held by pid {holder.pid} (timelapse run)" in result.stderr
    assert "/var/lib/timelapse/2026/11/21/120000.jpg" in result.stderr
    assert not (tmp_path / "snap.jpg").exists()


def test_snapshot_writes_a_jpeg_with_the_configured_camera(tmp_path, write_config, video_file):
    cfg = write_config(f"camera: {{source: usb, device: {video_file}, warmup: 0, resolution: [800, 600]}}\n"
                       f"daemon: {{lock_file: {tmp_path}/camera.lock}}\n")
    result = run_cli("--config", cfg, "snapshot", "-o", tmp_path / "snap.jpg")
    assert result.returncode == 0, result.stderr
    assert jpeg_size((tmp_path / "snap.jpg").read_bytes()) == (800, 600)
    assert not list(tmp_path.glob("*.tmp"))


def test_snapshot_twice_in_the_same_second_keeps_both_images(tmp_path, write_config):
    cfg = write_config(f"camera: {{source: synthetic, warmup: 0, resolution: [64, 48]}}\n"
                       f"daemon: {{lock_file: {tmp_path}/camera.lock}}\n")
    frozen = ["faketime", "-f", "2026-05-01 12:00:00",  # -f without @: the clock stands still
              sys.executable, "-m", "timelapse", "--config", str(cfg), "snapshot"]
    env = cli_env(FAKETIME_DONT_FAKE_MONOTONIC="1")
    runs = [subprocess.run(frozen, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
            for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    names = [r.stdout.split()[0] for r in runs]
    assert names[0] == "snapshot-20260501-120000.jpg" and names[1] != names[0]
    assert sorted(p.name for p in tmp_path.glob("snapshot-*.jpg")) == sorted(names)


# -- OpenCV not installed (a Pi with picamera2 does not pull it in) ---------------------------

def test_a_usb_camera_without_opencv_says_which_package_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # `import cv2` fails as where python3-opencv is absent
    monkeypatch.delitem(sys.modules, "timelapse.camera.usb", raising=False)
    with pytest.raises(CameraUnavailable, match="cv2 is not installed; USB cameras need OpenCV: "
                                                r"sudo apt install python3-opencv"):
        make_camera(camera_settings(source="usb", device="/dev/video0"), 85)


def test_the_opencv_note_speaks_only_when_a_usb_camera_is_there_without_opencv(monkeypatch):
    from timelapse.camera import detect

    webcam = detect.V4l2Device("/dev/video0", "HD Webcam C270", "/dev/v4l/by-id/usb-046d_C270-video-index0")
    monkeypatch.setattr(detect, "opencv_installed", lambda: False)
    assert detect.usb_without_opencv([webcam]) == ("USB cameras need OpenCV: sudo apt install python3-opencv "
                                                   "(found: /dev/v4l/by-id/usb-046d_C270-video-index0)")
    assert detect.usb_without_opencv([]) is None
    monkeypatch.setattr(detect, "opencv_installed", lambda: True)
    assert detect.usb_without_opencv([webcam]) is None
