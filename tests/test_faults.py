"""The fault suite: real processes, real files, real tmpfs. Each test names what it proves.

SPEC section 9: a clear error, nothing lost.
"""

import datetime
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from timelapse.archive import image_path

from conftest import requires_root, run_cli
from daemon_harness import DaemonProcess
from test_camera import hold_lock

FAKES = Path(__file__).parent / "fakes"


def assert_every_jpeg_is_complete(root):
    images = sorted(Path(root).rglob("*.jpg"))
    for image in images:
        with Image.open(image) as picture:
            picture.verify()
        with Image.open(image) as picture:
            picture.load()  # a truncated file raises here
    return images


def temporaries(root):
    return sorted(Path(root).rglob(".*.tmp"))


def capture_duration(daemon):
    """Return seconds from a slot to its image being complete, measured on this machine (--debug log)."""
    with daemon.start("--debug"):
        daemon.wait_for(lambda: daemon.logs().count("captured ") >= 3, what="three captures")
    times = [re.search(r"started ([\d.]+) ms after its slot, grab\+encode ([\d.]+) ms, overhead ([\d.]+) ms", line)
             for line in daemon.logs().splitlines() if "captured " in line]
    shutil.rmtree(daemon.output)
    daemon.output.mkdir()
    return max(sum(float(part) for part in match.groups()) for match in times if match) / 1000


def test_kill_9_at_50_random_moments_during_captures_leaves_only_complete_jpegs(tmp_path):
    daemon = DaemonProcess(tmp_path, camera="resolution: [1920, 1080]", capture="interval: 1")
    # Kills are spread over twice the time a capture takes here, so that about half land inside
    # grab, encode or write and half after the image is complete, however fast the machine is.
    window = 2 * capture_duration(daemon)
    rng = random.Random(20261121)
    inside = 0
    for _ in range(50):
        daemon.start()
        daemon.wait_for(lambda: daemon.status().get("pid") == daemon.process.pid and
                        daemon.status().get("next_capture"), what="a scheduled slot")
        slot = datetime.datetime.fromisoformat(daemon.status()["next_capture"])
        time.sleep(max(0.0, slot.timestamp() - time.time()) + rng.uniform(0, window))
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait()
        daemon.log.close()
        inside += not image_path(daemon.output, slot.replace(tzinfo=None)).exists()
    images = assert_every_jpeg_is_complete(daemon.output)
    with daemon.start():
        daemon.wait_for(lambda: not temporaries(daemon.output), what="temporaries removed")
    removed = sum(int(line.split("removed ")[1].split()[0]) for line in daemon.logs().splitlines()
                  if "unfinished image" in line)
    print(f"kills spread over {window * 1000:.0f} ms after the slot; {inside} of 50 landed before the image was "
          f"complete; {len(images)} images survived; {removed} unfinished temporaries were cleaned up at restart")
    assert inside >= 1  # kills really landed inside captures
    assert images  # and the images that were finished are all whole
    assert_every_jpeg_is_complete(daemon.output)


@requires_root
def test_disk_full_mid_write_leaves_no_partial_file_and_resumes_when_space_returns(tmp_path, small_tmpfs):
    daemon = DaemonProcess(tmp_path, camera="resolution: [1280, 720]", storage="warn_threshold: 99, stop_threshold: 100",
                           output=small_tmpfs)
    stats = os.statvfs(small_tmpfs)
    filler = small_tmpfs / "filler"
    filler.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - 8192))  # less room than one image
    with daemon.start():
        daemon.wait_for(lambda: "disk is full" in (daemon.status().get("last_error") or ""), what="ENOSPC")
        assert daemon.status()["state"] == "disk_full"
        assert list(small_tmpfs.rglob("*.jpg")) == [] and temporaries(small_tmpfs) == []
        filler.unlink()
        daemon.wait_for(lambda: len(list(small_tmpfs.rglob("*.jpg"))) >= 2, what="writing again")
        assert daemon.status()["state"] == "capturing"
    assert_every_jpeg_is_complete(small_tmpfs)
    assert daemon.logs().count("cannot write images") == 1  # once per episode, not per slot


@requires_root
def test_stop_threshold_holds_writes_and_releases_them_when_space_is_freed(tmp_path, small_tmpfs):
    daemon = DaemonProcess(tmp_path, storage="warn_threshold: 30, stop_threshold: 50", output=small_tmpfs)
    filler = small_tmpfs / "filler"
    filler.write_bytes(b"\0" * int(os.statvfs(small_tmpfs).f_blocks * os.statvfs(small_tmpfs).f_frsize * 0.6))
    with daemon.start():
        daemon.wait_for_state("disk_full")
        time.sleep(2.5)
        assert list(small_tmpfs.rglob("*.jpg")) == []
        assert daemon.status()["skipped_today"] >= 2
        filler.unlink()
        daemon.wait_for(lambda: list(small_tmpfs.rglob("*.jpg")), what="writing again")
    logs = daemon.logs()
    assert logs.count("at or above stop_threshold 50%") == 1
    assert "below stop_threshold: writing images again" in logs


@requires_root
def test_read_only_output_dir_is_named_with_the_fix_and_writing_resumes_after_remount(tmp_path, small_tmpfs):
    daemon = DaemonProcess(tmp_path, output=small_tmpfs)
    with daemon.start():
        daemon.wait_for(lambda: list(small_tmpfs.rglob("*.jpg")), what="a first image")
        subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
        daemon.wait_for(lambda: "read-only file system" in (daemon.status().get("last_error") or ""),
                        what="the read-only error")
        assert "ReadWritePaths=" in daemon.status()["last_error"]
        subprocess.run(["mount", "-o", "remount,rw", str(small_tmpfs)], check=True)
        count = len(list(small_tmpfs.rglob("*.jpg")))
        daemon.wait_for(lambda: len(list(small_tmpfs.rglob("*.jpg"))) > count, what="writing again")
    assert "writing images again" in daemon.logs()


def run_stepped(daemon, offset_file):
    daemon.log = open(daemon.log_file, "a")
    daemon.process = subprocess.Popen(
        [sys.executable, str(FAKES / "stepped_clock_daemon.py"), str(daemon.config), str(offset_file)],
        stdout=daemon.log, stderr=subprocess.STDOUT, env=daemon.env)
    return daemon


def capture_times(daemon):
    return sorted(p.stat().st_mtime for p in daemon.images())


@pytest.mark.parametrize("step", [-3600, 3600])
def test_wall_clock_step_overwrites_nothing_and_neither_bursts_nor_leaves_a_gap(tmp_path, step):
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    offset_file = tmp_path / "offset"
    offset_file.write_text("0")
    planted = []
    for ahead in range(0, 40):  # images already there for the minute the clock steps into
        when = datetime.datetime.fromtimestamp(int(time.time()) + step + ahead)
        path = daemon.output / f"{when:%Y/%m/%d/%H%M%S}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"planted")
        os.utime(path, (0, 0))
        planted.append(path)
    with run_stepped(daemon, offset_file):
        daemon.wait_for(lambda: daemon.status().get("captures_today", 0) >= 3, what="captures before the step")
        offset_file.write_text(str(step))
        daemon.wait_for(lambda: "wall clock stepped" in daemon.logs(), what="the step")
        daemon.wait_for(lambda: daemon.status().get("skipped_today", 0) >= 3, what="skips after the step")
        offset_file.write_text("0")
        time.sleep(2.5)
    assert all(p.read_bytes() == b"planted" for p in planted)
    times = [t for t in capture_times(daemon) if t > 0]
    # Never a burst: no more captures than 1 s slots went by. (Not a minimum gap between two
    # images: on a busy machine one capture can run late and the next on time.)
    assert len(times) <= times[-1] - times[0] + 2, times
    attempts = [line for line in daemon.logs().splitlines() if "captured " in line] + daemon.gaps()
    assert len(attempts) >= 6
    assert daemon.logs().count("exists already (the clock went back?)") == 1  # said at info once per episode
    said = next(line for line in daemon.logs().splitlines() if "exists already" in line)
    assert " INFO " in said or said.startswith("<6>")


def test_snapshot_while_the_daemon_holds_the_camera_exits_75_naming_it(tmp_path):
    with DaemonProcess(tmp_path) as daemon:
        daemon.wait_for_images(1)
        result = run_cli("--config", daemon.config, "snapshot", "-o", tmp_path / "snap.jpg")
        assert daemon.process.poll() is None
    assert result.returncode == 75
    assert f"camera busy: held by pid {daemon.process.pid} (timelapse run)" in result.stderr
    assert "the latest capture is " + str(daemon.output) in result.stderr


def test_daemon_waits_and_retries_while_another_process_holds_the_camera(tmp_path):
    daemon = DaemonProcess(tmp_path, camera="release_between_captures: true")
    holder = hold_lock(daemon.lock_file)
    try:
        with daemon.start():
            daemon.wait_for(lambda: f"held by pid {holder.pid}" in (daemon.status().get("last_error") or ""),
                            what="camera busy")
            assert daemon.images() == []
            holder.kill()
            holder.wait()
            daemon.wait_for_images(1, timeout=12)
            assert daemon.process.poll() is None
    finally:
        holder.kill()
        holder.wait()
def test_sighup_with_an_invalid_file_keeps_the_old_settings_and_logs_every_error(tmp_path):
    with DaemonProcess(tmp_path, capture="interval: 1") as daemon:
        daemon.wait_for_images(1)
        daemon.config.write_text("capture:\n  interval: -5\n  jpeg_quality: 0\n")
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda: "reload rejected" in daemon.logs(), what="rejection")
        count = len(daemon.images())
        daemon.wait_for_images(count + 2)
        assert daemon.process.poll() is None
        assert "reload rejected" in daemon.status()["last_error"]
    logs = daemon.logs()
    assert "timelapse.yml:2: capture.interval: expected a duration" in logs
    assert "timelapse.yml:3: capture.jpeg_quality: expected a whole number from 1 to 100" in logs


def test_a_failing_camera_is_reported_retried_with_backoff_and_recovers(tmp_path):
    with DaemonProcess(tmp_path) as daemon:
        daemon.wait_for_images(1)
        daemon.fault("fail")
        daemon.wait_for_state("waiting_for_camera")
        time.sleep(2.5)  # slots pass while the backoff (5 s) runs: no retry storm
        status = daemon.status()
        assert status["consecutive_failures"] >= 1 and "told to fail" in status["last_error"]
        daemon.fault(None)
        daemon.wait_for_state("capturing", timeout=10)
    logs = daemon.logs()
    assert logs.count("camera disconnected or failing") == 1
    assert "camera reconnected" in logs
    assert any("failed: synthetic camera: told to fail" in line for line in daemon.gaps())


def test_backoff_is_honoured_slots_without_a_camera_make_no_attempt(tmp_path):
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    with daemon.start("--debug"):
        daemon.wait_for_images(1)
        daemon.fault("fail")
        daemon.wait_for(lambda: "camera disconnected" in daemon.logs(), what="the first failure")
        time.sleep(8)
    attempts = daemon.logs().count("camera disconnected") + daemon.logs().count("camera still failing")
    skipped = [line for line in daemon.gaps() if "camera unavailable, next attempt in" in line]
    assert attempts <= 2  # first failure, then one retry after 5-6 s; not one per slot
    assert len(skipped) >= 5
    assert all(line.count("camera unavailable") == 1 for line in skipped)


def test_a_hung_capture_is_abandoned_after_the_timeout_and_the_camera_reopened(tmp_path):
    with DaemonProcess(tmp_path, capture="interval: 1, timeout: 1") as daemon:
        daemon.wait_for_images(1)
        daemon.fault("hang")
        daemon.wait_for(lambda: "took longer than 1 s" in (daemon.status().get("last_error") or ""), timeout=6,
                        what="timeout")
        daemon.fault(None)
        count = len(daemon.images())
        daemon.wait_for_images(count + 1, timeout=12)


def test_a_driver_that_cannot_be_released_makes_the_daemon_exit_nonzero(tmp_path):
    with DaemonProcess(tmp_path, capture="interval: 1, timeout: 1") as daemon:
        daemon.wait_for_images(1)
        daemon.fault("stuck")
        assert daemon.process.wait(10) == 1
    assert "camera stuck" in daemon.logs()


def test_no_camera_at_start_waits_then_picks_it_up(tmp_path):
    daemon = DaemonProcess(tmp_path)
    daemon.fault("absent")
    with daemon.start():
        daemon.wait_for_state("waiting_for_camera")
        assert daemon.images() == []
        daemon.fault(None)
        daemon.wait_for_images(1, timeout=10)


def test_invalid_config_at_start_exits_78_listing_every_error(tmp_path):
    daemon = DaemonProcess(tmp_path)
    daemon.config.write_text("capture:\n  interval: 0\ncamera:\n  sorce: usb\n")
    with daemon.start():
        assert daemon.process.wait(10) == 78
    logs = daemon.logs()
    assert "timelapse.yml:2: capture.interval" in logs and "did you mean 'source'" in logs
    assert "Traceback" not in logs


def test_unwritable_output_dir_is_named_with_the_fix_and_the_daemon_keeps_running(tmp_path):
    daemon = DaemonProcess(tmp_path)
    daemon.output.rmdir()
    with daemon.start():
        daemon.wait_for(lambda: "does not exist; create it" in daemon.logs(), what="the error")
        time.sleep(1.5)
        assert daemon.process.poll() is None
        daemon.output.mkdir()
        daemon.wait_for_images(1)
    assert "writing images again" in daemon.logs()
