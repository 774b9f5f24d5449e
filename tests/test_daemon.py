"""The real daemon process with the synthetic camera: slots, signals, reload, recovery, status, notify."""

import datetime
import signal
import socket
import time
from pathlib import Path

import pytest
from PIL import Image

from conftest import run_cli
from daemon_harness import DaemonProcess
from timelapse.camera.lock import CameraLock


def slot_seconds(images):
    return [int(p.stem[-2:]) + 60 * int(p.stem[2:4]) + 3600 * int(p.stem[:2]) for p in images]


def plant_old_day(daemon):
    """Put one image in a day directory from 2020, long past any retention period."""
    old = daemon.output / "2020/05/06/120000.jpg"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")


def test_captures_land_on_consecutive_wall_clock_slots(tmp_path):
    with DaemonProcess(tmp_path, capture="interval: 1") as daemon:
        # The status is written just after each image: wait for it, not for the files.
        daemon.wait_for(lambda: daemon.status().get("captures_today", 0) >= 5, what="5 captures in the status")
        status = daemon.status()
    images = daemon.images()
    seconds = slot_seconds(images)
    assert seconds == list(range(seconds[0], seconds[0] + len(seconds)))  # no gaps, no repeats
    today = datetime.date.today()
    assert images[0].parent == daemon.output / f"{today:%Y/%m/%d}"
    for image in images:
        with Image.open(image) as picture:
            assert picture.size == (320, 240)
            picture.load()
    assert status["state"] == "capturing" and status["last_capture_success"] is True
    assert status["captures_today"] >= 5 and Path(status["last_image"]).exists()


def test_slots_are_multiples_of_the_interval(tmp_path):
    with DaemonProcess(tmp_path, capture="interval: 3") as daemon:
        daemon.wait_for_images(2, timeout=12)
    assert all(second % 3 == 0 for second in slot_seconds(daemon.images()))


def test_sigterm_exits_0_within_2_seconds_with_camera_released_and_final_status(tmp_path):
    with DaemonProcess(tmp_path) as daemon:
        daemon.wait_for_images(1)
        code, took = daemon.stop()
    assert code == 0 and took < 2
    assert daemon.status()["state"] == "stopped"
    lock = CameraLock(str(daemon.lock_file))
    lock.acquire()
    lock.release()


def test_sigterm_during_a_hung_capture_still_exits_within_2_seconds(tmp_path):
    with DaemonProcess(tmp_path, capture="interval: 1, timeout: 30") as daemon:
        daemon.wait_for_images(1)
        daemon.fault("hang")
        time.sleep(1.5)
        code, took = daemon.stop()
    assert code == 0 and took < 2


def test_sighup_applies_a_valid_file_from_the_next_slot(tmp_path):
    with DaemonProcess(tmp_path, capture="interval: 1") as daemon:
        daemon.wait_for_images(2)
        daemon.write_config(capture="interval: 2")
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda: "reloaded" in daemon.logs(), what="reload")
        reloaded_at = len(daemon.images())
        daemon.wait_for_images(reloaded_at + 3, timeout=10)
        assert daemon.status()["interval"] == 2
    after = slot_seconds(daemon.images())[reloaded_at + 1:]
    assert all(second % 2 == 0 for second in after)


def test_an_existing_image_is_skipped_counted_and_not_overwritten(tmp_path):
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    now = time.time()
    planted = []
    for ahead in range(2, 6):
        when = datetime.datetime.fromtimestamp(int(now) + ahead)
        path = daemon.output / f"{when:%Y/%m/%d/%H%M%S}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"planted")
        planted.append(path)
    with daemon.start():
        daemon.wait_for(lambda: daemon.status().get("skipped_today", 0) >= 1, what="a skip")
    assert all(p.read_bytes() == b"planted" for p in planted)
    assert any("exists" in line for line in daemon.gaps())


def test_stale_temporaries_from_a_crash_are_removed_at_start(tmp_path):
    daemon = DaemonProcess(tmp_path)
    stale = daemon.output / "2026/01/02/.120000.jpg.99999.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a jpeg")
    with daemon.start():
        daemon.wait_for(lambda: not stale.exists(), what="temp removal")
    assert "removed 1 unfinished image" in daemon.logs()


def test_outside_active_hours_it_idles_until_the_window_opens(tmp_path):
    now = datetime.datetime.now()
    start = (now + datetime.timedelta(hours=2)).strftime("%H:%M")
    end = (now + datetime.timedelta(hours=3)).strftime("%H:%M")
    with DaemonProcess(tmp_path, capture=f"interval: 1, active_hours: '{start}-{end}'") as daemon:
        daemon.wait_for_state("idle")
        time.sleep(1.5)
        status = daemon.status()
    assert daemon.images() == []
    assert status["next_capture"].startswith((now + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))


def test_retention_runs_after_a_capture_without_touching_today(tmp_path):
    daemon = DaemonProcess(tmp_path, storage="cleanup_enabled: true, retention_days: 3")
    plant_old_day(daemon)
    with daemon.start():
        daemon.wait_for(lambda: not (daemon.output / "2020").exists(), what="retention")
        daemon.wait_for_images(2)


def test_gap_log_gets_a_line_per_failed_slot(tmp_path):
    with DaemonProcess(tmp_path) as daemon:
        daemon.wait_for_images(1)
        daemon.fault("fail")
        daemon.wait_for(lambda: len(daemon.gaps()) >= 3, what="gap lines")
    for line in daemon.gaps()[:3]:
        stamp, reason = line.split(" ", 1)
        datetime.datetime.fromisoformat(stamp)
        assert reason.startswith("failed:")


def test_systemd_notifications_ready_status_and_watchdog(tmp_path):
    address = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(10)
    daemon = DaemonProcess(tmp_path, env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "2000000"})
    with daemon.start():
        messages = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and not (
                any("WATCHDOG=1" in m for m in messages) and any(m.startswith("STATUS=capturing") for m in messages)):
            messages.append(sock.recv(4096).decode())
        code, _ = daemon.stop()
    sock.close()
    assert any(m.startswith("READY=1") for m in messages)
    assert any("WATCHDOG=1" in m for m in messages)
    assert any(m.startswith("STATUS=capturing") for m in messages)
    assert code == 0


def test_cleanup_command_works_while_the_daemon_runs(tmp_path):
    daemon = DaemonProcess(tmp_path, storage="cleanup_enabled: false, retention_days: 3")
    plant_old_day(daemon)
    with daemon.start():
        daemon.wait_for_images(2)
        daemon.write_config(storage="cleanup_enabled: true, retention_days: 3")
        result = run_cli("--config", daemon.config, "cleanup", env=daemon.env)  # the kernel: synchronized
        count = len(daemon.images())
        daemon.wait_for_images(count + 1)
    assert result.returncode == 0, result.stderr
    assert "deleted 1 day(s), 1 files" in result.stdout
    assert not (daemon.output / "2020").exists()


def test_a_sun_window_idles_until_sunrise_then_captures_and_idles_again_after_sunset(tmp_path, monkeypatch):
    """The real daemon with an injected wall clock set just before sunrise, then just before sunset, in Oslo."""
    from test_faults import run_stepped
    from timelapse.window import ActiveHours, Location, Moment, day_window

    env = {"TZ": "Europe/Oslo"}
    monkeypatch.setenv("TZ", "Europe/Oslo")
    time.tzset()
    day = datetime.date(2026, 11, 21)
    hours = ActiveHours(Moment("sunrise", None, 0), Moment("sunset", None, 0))
    window = day_window(hours, Location(59.91, 10.75), day)
    tomorrow = day_window(hours, Location(59.91, 10.75), day + datetime.timedelta(days=1))
    monkeypatch.undo()
    time.tzset()
    for edge, expect_after in ((window.opens, "capturing"), (window.closes, "idle")):
        first = "idle" if expect_after == "capturing" else "capturing"
        # The daemon's clock starts a few seconds before the edge. A machine too busy to start the
        # daemon within them (it comes up past the edge already) is a setup to do again with a
        # wider margin, not a failure of the daemon.
        for margin in (3, 10, 30):
            run_dir = tmp_path / f"{int(edge)}-{margin}"
            run_dir.mkdir()
            daemon = DaemonProcess(run_dir, env=env, capture="interval: 1, active_hours: {from: sunrise, "
                                                             "until: sunset}, location: {latitude: 59.91, "
                                                             "longitude: 10.75}")
            offset = run_dir / "offset"
            offset.write_text(str(edge - time.time() - margin))  # the daemon's clock: margin s before the edge
            with run_stepped(daemon, offset):
                daemon.wait_for(lambda: daemon.status().get("state") in ("idle", "capturing"), timeout=30,
                                what="the daemon's first state")
                if daemon.status()["state"] != first:
                    continue  # it came up past the edge
                if first == "idle":
                    opening = datetime.datetime.fromisoformat(daemon.status()["next_capture"]).timestamp()
                    assert opening == pytest.approx(window.opens, abs=1)  # next capture: the window's opening
                daemon.wait_for_state(expect_after, timeout=margin + 10)
                if expect_after == "idle":
                    assert datetime.datetime.fromisoformat(daemon.status()["next_capture"]).timestamp() == \
                        pytest.approx(tomorrow.opens, abs=1)
                    count = len(daemon.images())
                    time.sleep(2)
                    assert len(daemon.images()) == count  # nothing after sunset
            break
        else:
            raise AssertionError(f"the daemon never came up before the edge, even {margin} s ahead of it")
        names = [datetime.datetime.strptime("".join(p.relative_to(daemon.output).with_suffix("").parts),
                                            "%Y%m%d%H%M%S") for p in daemon.images()]
        local = [datetime.datetime.fromtimestamp(t, datetime.timezone.utc) for t in (window.opens, window.closes)]
        assert names, "no image was captured inside the window"
        oslo = datetime.timezone(datetime.timedelta(hours=1))  # 21 November: CET
        for name in names:
            assert local[0] <= name.replace(tzinfo=oslo) + datetime.timedelta(seconds=1) and \
                name.replace(tzinfo=oslo) < local[1]
        assert "outside active_hours: idle until" in daemon.logs()


def test_release_between_captures_says_camera_connected_once_not_at_every_capture(tmp_path):
    with DaemonProcess(tmp_path, camera="release_between_captures: true", capture="interval: 1") as daemon:
        daemon.wait_for_images(3)
    assert daemon.logs().count("camera connected") == 1


@pytest.mark.parametrize("interval", [5, 60])
def test_a_window_opening_under_the_daemon_has_its_first_image_at_the_announced_slot(tmp_path, interval):
    """The camera (warmup 2 s) opens ahead of the window so that the slot `next_capture` announced is
    the first image; the daemon's wall clock (injected) stands a few seconds before the opening."""
    from test_faults import run_stepped

    opening = (datetime.datetime.now() + datetime.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    closing = opening + datetime.timedelta(hours=1)
    daemon = DaemonProcess(tmp_path, camera="warmup: 2",
                           capture=f"interval: {interval}, active_hours: '{opening:%H:%M}-{closing:%H:%M}'")
    offset = tmp_path / "offset"
    offset.write_text(str(opening.timestamp() - time.time() - 6))  # the daemon's clock: 6 s before the opening
    with run_stepped(daemon, offset):
        daemon.wait_for_state("idle", timeout=4)
        assert daemon.status()["next_capture"] == opening.astimezone().isoformat(timespec="seconds")
        daemon.wait_for_images(1, timeout=10)  # not one interval later
        first = daemon.images()[0]
        if interval == 5:
            daemon.wait_for_images(2, timeout=10)
    assert first.relative_to(daemon.output).as_posix() == f"{opening:%Y/%m/%d/%H%M%S}.jpg"
    assert daemon.status()["skipped_today"] == 0 and daemon.gaps() == []


def test_a_first_slot_missed_anyway_is_counted_as_skipped_and_named_in_the_gap_log(tmp_path):
    """The machine stalls (here: its clock steps 12 s) while the camera opens ahead of the window."""
    from test_faults import run_stepped

    opening = (datetime.datetime.now() + datetime.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    closing = opening + datetime.timedelta(hours=1)
    daemon = DaemonProcess(tmp_path, camera="warmup: 2",
                           capture=f"interval: 5, active_hours: '{opening:%H:%M}-{closing:%H:%M}'")
    offset = tmp_path / "offset"
    start = opening.timestamp() - time.time() - 5
    offset.write_text(str(start))
    with run_stepped(daemon, offset):
        daemon.wait_for(lambda: "camera connected" in daemon.logs(), 10, "the camera opened ahead")
        offset.write_text(str(start + 12))
        daemon.wait_for(lambda: daemon.status().get("skipped_today") == 1, 10, "the first slot skipped")
        daemon.wait_for_images(1, timeout=10)  # and capturing goes on
    iso = opening.astimezone().isoformat(timespec="seconds")
    named = [line for line in daemon.gaps() if line.startswith(iso)]
    assert len(named) == 1 and named[0].startswith(f"{iso} skipped: the window's first slot; the camera was ready")
