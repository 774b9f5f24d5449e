"""When the wall clock lies (SPEC §6 "Clock truth" and Naming, §9): nothing is deleted on a clock not
known good, no slot of a repeated hour is lost, and the status follows the kernel's clock state.

The kernel's answer is the test seam of timelapse.clock (TIMELAPSE_TEST_CLOCK_SYNCED_FILE, set by
the harness); the wall clock a daemon reads is stepped by tests/fakes/stepped_clock_daemon.py, and
a CLI's by faketime. Everything else is the real daemon and the real commands.
"""

import datetime
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from timelapse.clock import ClockWatch, clock_synchronized, local_time, retention_paused
from timelapse.exif import taken_at
from timelapse.render.frames import day_frames
from timelapse.web.catalog import Catalog

from conftest import cli_env, kernel_clock, requires_root, run_cli, set_kernel_clock
from daemon_harness import DaemonProcess
from test_faults import run_stepped
from test_names import jpeg

YEAR = 365 * 86400
TODAY = datetime.date.today()


# -- the clock module ----------------------------------------------------------------------

def test_retention_runs_only_on_a_synchronized_clock_or_with_trust_clock(tmp_path, monkeypatch):
    seam = Path(kernel_clock(tmp_path, synced=False)["TIMELAPSE_TEST_CLOCK_SYNCED_FILE"])
    monkeypatch.setenv("TIMELAPSE_TEST_CLOCK_SYNCED_FILE", str(seam))
    assert clock_synchronized() is False
    assert "not synchronized" in retention_paused(False) and "storage.trust_clock: true" in retention_paused(False)
    assert retention_paused(True) is None
    assert "cannot be asked" in retention_paused(False, synchronized=None)
    set_kernel_clock(seam, True)
    assert clock_synchronized() is True and retention_paused(False) is None


def test_the_clock_watch_says_each_pause_and_resume_once(tmp_path, monkeypatch):
    seam = Path(kernel_clock(tmp_path, synced=False)["TIMELAPSE_TEST_CLOCK_SYNCED_FILE"])
    monkeypatch.setenv("TIMELAPSE_TEST_CLOCK_SYNCED_FILE", str(seam))
    watch = ClockWatch()
    assert watch.check(False, True)[1:] == (retention_paused(False, False), "paused")
    assert watch.check(False, True)[2] is None
    assert watch.check(False, False) == (False, None, "resumed")  # nothing set to delete: nothing paused
    set_kernel_clock(seam, True)
    assert watch.check(False, True) == (True, None, None)


def test_local_time_follows_a_new_zone_without_a_restart(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    instant = 1_800_000_000
    assert local_time(instant).utcoffset() == datetime.timedelta(0)
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    assert local_time(instant).utcoffset() == datetime.timedelta(hours=5, minutes=30)
    monkeypatch.setenv("TZ", "Europe/Berlin")
    autumn = datetime.datetime(2026, 10, 25, 0, 30, tzinfo=datetime.timezone.utc).timestamp()
    first, second = local_time(autumn), local_time(autumn + 3600)
    assert (first.hour, first.fold, second.hour, second.fold) == (2, 0, 2, 1)
    monkeypatch.delenv("TZ")
    time.tzset()


# -- nothing deleted on a clock not known good ------------------------------------------------

def plant_days(root, ages, count=5):
    """Real days ``ages`` days old (by the real clock), ``count`` images each; return their directories."""
    days = []
    for age in ages:
        day = Path(root, f"{TODAY - datetime.timedelta(days=age):%Y/%m/%d}")
        day.mkdir(parents=True, exist_ok=True)
        for index in range(count):
            (day / f"0{index}0000.jpg").write_bytes(jpeg())
        days.append(day)
    return days


def test_a_clock_a_year_ahead_deletes_nothing_until_the_kernel_says_it_is_synchronized(tmp_path):
    daemon = DaemonProcess(tmp_path, capture="interval: 1", storage="cleanup_enabled: true, retention_days: 30",
                           clock_synced=False)
    old, *recent = plant_days(daemon.output, (40, 2, 1, 0))
    offset = tmp_path / "offset"
    offset.write_text(str(YEAR))  # a bad RTC
    with run_stepped(daemon, offset):
        daemon.wait_for(lambda: daemon.status().get("captures_today", 0) >= 4, what="captures a year ahead")
        status = daemon.status()
        assert status["clock_synced"] is False and "not synchronized" in status["retention_paused"]
        assert daemon.logs().count("retention paused") == 1
        assert "PAUSED: the system clock is not synchronized" in run_cli("--config", daemon.config, "status").stdout
        assert old.exists() and all(day.exists() for day in recent)
        assert all(len(list(day.iterdir())) == 5 for day in [old, *recent])
        # NTP sets the clock right: retention resumes, by the true date, without a restart.
        offset.write_text("0")
        daemon.set_clock_synced(True)
        daemon.wait_for(lambda: not old.exists(), what="retention on the synchronized clock")
        daemon.wait_for(lambda: daemon.status().get("retention_paused", "x") is None, what="the pause lifted")
        assert daemon.status()["clock_synced"] is True
        # retention logs after its last deletion: a daemon stopped sooner (a loaded machine) loses the line
        daemon.wait_for(lambda: "deleted 1 day(s)" in daemon.logs(), what="retention's report")
    assert all(len(list(day.iterdir())) >= 5 for day in recent)
    assert "retention resumes" in daemon.logs() and "deleted 1 day(s)" in daemon.logs()


def test_trust_clock_lets_retention_run_on_a_clock_that_never_synchronizes(tmp_path):
    daemon = DaemonProcess(tmp_path, storage="cleanup_enabled: true, retention_days: 30, trust_clock: true",
                           clock_synced=False)
    old, recent = plant_days(daemon.output, (40, 1))
    with daemon:
        daemon.wait_for(lambda: not old.exists(), what="retention with trust_clock")
        assert daemon.status()["retention_paused"] is None and daemon.status()["clock_synced"] is False
    assert recent.exists() and "retention paused" not in daemon.logs()


def forward_env(tmp_path, synced, ahead="+365d"):
    if ahead and not shutil.which("faketime"):  # `make test` installs it (make deps): never a quiet skip
        pytest.fail("faketime is not installed: run `make deps` (or apt-get install faketime)")
    env = cli_env(FAKETIME_DONT_FAKE_MONOTONIC="1", **kernel_clock(tmp_path, synced))
    return env, ["faketime", "-f", ahead] if ahead else []


def run_forward(tmp_path, synced, *args, ahead="+365d"):
    env, prefix = forward_env(tmp_path, synced, ahead)
    return subprocess.run([*prefix, sys.executable, "-m", "timelapse", *map(str, args)], capture_output=True,
                          text=True, timeout=60, env=env)


def test_cleanup_on_a_clock_a_year_ahead_deletes_nothing_and_says_why(tmp_path, write_config):
    root = tmp_path / "images"
    old, recent = plant_days(root, (40, 0))
    cfg = write_config(f"storage: {{output_dir: {root}, cleanup_enabled: true, retention_days: 30}}\n")
    refused = run_forward(tmp_path, False, "--config", cfg, "cleanup")
    assert refused.returncode == 1, refused
    assert "timelapse: error: nothing deleted: the system clock is not synchronized" in refused.stderr
    assert f"would delete {recent}" in refused.stdout and old.exists() and recent.exists()
    listed = run_forward(tmp_path, False, "--config", cfg, "cleanup", "--dry-run")
    assert listed.returncode == 0 and "(retention is paused now: the system clock is not synchronized" in listed.stdout
    synced = run_forward(tmp_path, True, "--config", cfg, "cleanup", ahead=None)
    assert synced.returncode == 0 and f"deleted {old}" in synced.stdout
    assert not old.exists() and recent.exists()


def test_video_retention_on_a_clock_a_year_ahead_deletes_nothing(tmp_path, write_config):
    root = tmp_path / "images"
    old_day, new_day = TODAY - datetime.timedelta(days=40), TODAY
    videos = []
    for day in (old_day, new_day):
        path = root / f"videos/{day:%Y}/{day}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"video")
        videos.append(path)
    cfg = write_config(f"storage: {{output_dir: {root}}}\nrender: {{retention_days: 30}}\n")
    paused = run_forward(tmp_path, False, "--config", cfg, "render", "--nightly")
    assert paused.returncode == 0 and "video retention paused: the system clock is not synchronized" in paused.stdout
    assert all(path.exists() for path in videos)
    synced = run_forward(tmp_path, True, "--config", cfg, "render", "--nightly", ahead=None)
    assert synced.returncode == 0 and "deleted 1 video(s)" in synced.stdout
    assert not videos[0].exists() and videos[1].exists()


# -- the status follows the kernel ----------------------------------------------------------------

def test_clock_synced_in_the_status_follows_the_kernel_at_every_slot(tmp_path):
    with DaemonProcess(tmp_path, clock_synced=False) as daemon:
        daemon.wait_for_images(1)
        assert daemon.status()["clock_synced"] is False
        daemon.set_clock_synced(True)
        daemon.wait_for(lambda: daemon.status().get("clock_synced") is True, timeout=5, what="clock_synced true")
        assert "synchronized" in run_cli("--config", daemon.config, "status").stdout
        daemon.set_clock_synced(False)
        daemon.wait_for(lambda: daemon.status().get("clock_synced") is False, timeout=5, what="clock_synced false")
        pid = daemon.process.pid
        assert daemon.status()["pid"] == pid  # the same process: no restart


# -- the local time changes under a running daemon ------------------------------------------------

def utc(*fields):
    return datetime.datetime(*fields, tzinfo=datetime.timezone.utc).timestamp()


def exif_instant(path):
    with Image.open(path) as image:
        return taken_at(image)


def run_across(tmp_path, instant, until, before=6, planted=()):
    """Run the real daemon (TZ=Europe/Berlin, 1 s slots) from ``before`` s before ``instant`` to ``until``
    s after it; plant ``planted`` [(aware time)] first. Return the daemon and the day directory."""
    daemon = DaemonProcess(tmp_path, capture="interval: 1", env={"TZ": "Europe/Berlin"})
    for when in planted:
        path = daemon.output / f"{when:%Y/%m/%d/%H%M%S}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg(when))
    offset = tmp_path / "offset"
    offset.write_text(str(instant - before - time.time()))
    def past_the_change():
        last = daemon.status().get("last_capture")
        return last is not None and datetime.datetime.fromisoformat(last).timestamp() >= instant + until

    with run_stepped(daemon, offset):
        daemon.wait_for(past_the_change, timeout=before + until + 15, what="slots across the change")
    return daemon


def assert_every_slot_once_in_real_order(daemon, date, planted=0):
    frames = day_frames(daemon.output, date)
    instants = [exif_instant(path).timestamp() for path, _ in frames]
    assert instants == sorted(instants), [p.name for p, _ in frames]  # the readers' order is the real one
    catalog = [image.name for image in Catalog(daemon.output).day_images(date)]
    assert [(i.time, i.second_pass) for i in catalog] == [
        (when.time(), path.name.endswith("_2.jpg")) for path, when in frames]
    written = instants[planted:]
    steps = [later - earlier for earlier, later in zip(written, written[1:])]
    assert set(steps) <= {1.0} or "missed" in "".join(daemon.gaps()), steps  # no slot lost, none twice
    assert daemon.status()["skipped_today"] == 0 and "exists already" not in daemon.logs()
    return frames


def test_the_autumn_repeat_writes_the_second_pass_as_2_and_plays_it_after_the_first(tmp_path):
    change = utc(2026, 10, 25, 1, 0, 0)  # 03:00 CEST becomes 02:00 CET
    summer = datetime.timezone(datetime.timedelta(hours=2))
    first_pass = [datetime.datetime(2026, 10, 25, 2, 0, s, tzinfo=summer) for s in range(8)]
    daemon = run_across(tmp_path, change, until=10, planted=first_pass)
    frames = assert_every_slot_once_in_real_order(daemon, datetime.date(2026, 10, 25), planted=len(first_pass))
    names = [path.name for path, _ in frames]
    assert names[:8] == [f"0200{s:02d}.jpg" for s in range(8)]  # the planted first pass, untouched
    assert "025959.jpg" in names and names.index("025959.jpg") < names.index("020000_2.jpg")
    assert [n for n in names if n.endswith("_2.jpg")][:11] == [f"0200{s:02d}_2.jpg" for s in range(11)]
    day = daemon.output / "2026/10/25"
    assert exif_instant(day / "025959.jpg").utcoffset() == datetime.timedelta(hours=2)
    assert exif_instant(day / "020000_2.jpg").utcoffset() == datetime.timedelta(hours=1)
    assert exif_instant(day / "020000.jpg").utcoffset() != exif_instant(day / "020000_2.jpg").utcoffset()
    assert all(path.read_bytes() == jpeg(when) for path, when in zip((day / n for n in names[:8]), first_pass))


def test_the_spring_gap_loses_no_slot(tmp_path):
    change = utc(2027, 3, 28, 1, 0, 0)  # 02:00 CET becomes 03:00 CEST
    daemon = run_across(tmp_path, change, until=5)
    frames = assert_every_slot_once_in_real_order(daemon, datetime.date(2027, 3, 28))
    names = [path.name for path, _ in frames]
    assert "015959.jpg" in names and names[names.index("015959.jpg") + 1] == "030000.jpg"
    assert not any(name.endswith("_2.jpg") for name in names)
    day = daemon.output / "2027/03/28"
    assert exif_instant(day / "015959.jpg").utcoffset() == datetime.timedelta(hours=1)
    assert exif_instant(day / "030000.jpg").utcoffset() == datetime.timedelta(hours=2)


def fixed_zone(hours):
    """Return the tzdata file of a fixed offset of ``hours`` east of UTC (Etc/GMT signs are inverted)."""
    return Path("/usr/share/zoneinfo/Etc", "UTC" if hours == 0 else f"GMT{'-' if hours > 0 else '+'}{abs(hours)}")


@requires_root
def test_a_new_time_zone_applies_from_the_next_slot_without_a_restart(tmp_path):
    """/etc/localtime changes (timedatectl set-timezone) under the real daemon, in its own mount namespace:
    east, names jump ahead; west again, the repeated local hours are a second pass (_2)."""
    base = (10 - datetime.datetime.now(datetime.timezone.utc).hour + 12) % 24 - 12  # local ~10:00, east ~12:00
    zone = tmp_path / "localtime"
    shutil.copyfile(fixed_zone(base), zone)
    daemon = DaemonProcess(tmp_path, capture="interval: 1")
    env = {k: v for k, v in daemon.env.items() if k != "TZ"}
    daemon.log = open(daemon.log_file, "a")
    daemon.process = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         'mount --bind "$1" /etc/localtime && exec "$2" -m timelapse --config "$3" run', "sh", str(zone),
         sys.executable, str(daemon.config)], stdout=daemon.log, stderr=subprocess.STDOUT, env=env)

    def offsets():
        return {path: exif_instant(path).utcoffset() for path in daemon.images()}

    east, west = datetime.timedelta(hours=base + 2), datetime.timedelta(hours=base)
    with daemon:
        daemon.wait_for_images(2)
        assert set(offsets().values()) == {west}
        time.sleep(1.1)  # glibc sees a changed zone file by its mtime (seconds)
        shutil.copyfile(fixed_zone(base + 2), zone)  # in place: the bind mount keeps the inode
        daemon.wait_for(lambda: east in offsets().values(), what="an image in the zone to the east")
        time.sleep(1.1)
        shutil.copyfile(fixed_zone(base), zone)  # west again: two hours of local time repeat
        daemon.wait_for(lambda: any(p.name.endswith("_2.jpg") for p in daemon.images()), what="a second pass")
        assert daemon.status()["pid"] == daemon.process.pid  # no restart
    for path, offset in offsets().items():
        when = exif_instant(path)
        second = path.name.endswith("_2.jpg")
        assert path.name == f"{when:%H%M%S}{'_2' if second else ''}.jpg" and path.parent.name == f"{when:%d}"
        assert offset == (west if second else offset)
    assert "exists already" not in daemon.logs()
