"""Offsite copy with the real rclone to a real SFTP server on 127.0.0.1 (`rclone serve sftp`).

Each test names what it proves: a complete, byte-identical first copy without temporaries;
later runs that copy only what is new and never open old days; runs killed (and servers
killed) mid-transfer that the next run completes; a failure said in one line; retention
that keeps what is not yet copied.
"""

import datetime
import filecmp
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import cli_env, run_cli

RCLONE = shutil.which("rclone") or "/usr/bin/rclone"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SftpServer:
    """`rclone serve sftp` on loopback, storing into ``root``."""

    def __init__(self, root, cache):
        self.root, self.cache, self.port, self.process = Path(root), Path(cache), free_port(), None
        self.root.mkdir(parents=True, exist_ok=True)

    def start(self):
        self.process = subprocess.Popen(
            [RCLONE, "serve", "sftp", str(self.root), "--addr", f"127.0.0.1:{self.port}", "--user", "cam",
             "--pass", "secret", "--config", "/dev/null"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, RCLONE_CACHE_DIR=str(self.cache), XDG_CACHE_HOME=str(self.cache)))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("rclone serve sftp did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def camera(tmp_path):
    """A config whose sync.remote is an SFTP server on loopback, and its output_dir."""
    server = SftpServer(tmp_path / "nas", tmp_path / "cache").start()
    output = tmp_path / "images"
    output.mkdir()
    obscured = subprocess.run([RCLONE, "obscure", "secret"], capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "rclone.conf").write_text(f"[nas]\ntype = sftp\nhost = 127.0.0.1\nport = {server.port}\n"
                                          f"user = cam\npass = {obscured}\n")
    config = tmp_path / "timelapse.yml"

    def configure(**sync):
        settings = {"remote": "nas:cam", **sync}
        config.write_text(f"storage: {{output_dir: {output}, cleanup_enabled: true, retention_days: 3}}\n"
                          f"daemon: {{status_file: {tmp_path}/status.json}}\n"
                          f"sync: {json.dumps(settings)}\n")
    configure()
    yield type("Camera", (), {"config": config, "output": output, "server": server, "remote": server.root / "cam",
                              "configure": staticmethod(configure), "dir": tmp_path})
    server.stop()


def plant_day(root, date, count=4, size=2000, seed=0):
    day = Path(root, f"{date:%Y/%m/%d}")
    day.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        (day / f"{index // 60:02d}{index % 60:02d}00.jpg").write_bytes(os.urandom(size) + bytes([seed]))
    return day


def sync(camera, *args, env=None, timeout=300):
    return run_cli("--config", camera.config, "sync", *args, env=env, timeout=timeout)


def remote_files(camera):
    return sorted(p.relative_to(camera.remote).as_posix() for p in camera.remote.rglob("*") if p.is_file())


def assert_identical(camera, relative_paths):
    for path in relative_paths:
        assert filecmp.cmp(camera.output / path, camera.remote / path, shallow=False), path


TODAY = datetime.date.today()


def test_first_copy_is_complete_and_byte_identical_without_temporaries(camera):
    for back in range(3, 0, -1):
        plant_day(camera.output, TODAY - datetime.timedelta(days=back))
    today = plant_day(camera.output, TODAY)
    (today / ".120100.jpg.4242.tmp").write_bytes(b"half an image")  # the daemon mid-write
    video = camera.output / "videos" / f"{TODAY:%Y}" / f"{TODAY - datetime.timedelta(days=1)}.mp4"
    video.parent.mkdir(parents=True)
    video.write_bytes(os.urandom(5000))
    (video.parent / f".{video.name}.tmp").write_bytes(b"a render in progress")
    result = sync(camera)
    assert result.returncode == 0, result.stderr
    expected = sorted(p.relative_to(camera.output).as_posix() for p in camera.output.rglob("*")
                      if p.is_file() and not p.name.startswith(".") and ".sync" not in p.parts)
    assert remote_files(camera) == expected and len(expected) == 17
    assert_identical(camera, expected)
    assert "copied 17 file(s)" in result.stdout
    last = json.loads((camera.output / ".sync/last-run.json").read_text())["last"]
    assert last["ok"] and last["files"] == 17 and last["bytes"] == sum((camera.output / p).stat().st_size
                                                                     for p in expected)


def test_the_second_pass_of_a_repeated_hour_is_copied_like_any_image(camera):
    from test_names import plant_autumn_night

    folder, names = plant_autumn_night(camera.output)
    (folder / ".020000_2.jpg.4242.tmp").write_bytes(b"half an image")  # the daemon mid-write
    assert sync(camera).returncode == 0
    assert remote_files(camera) == sorted(f"2026/10/25/{name}" for name in names)
    assert_identical(camera, [f"2026/10/25/{name}" for name in names])


def test_a_second_run_copies_only_what_is_new_and_never_opens_old_days(camera):
    old = [plant_day(camera.output, TODAY - datetime.timedelta(days=back)) for back in (5, 4, 3)]
    plant_day(camera.output, TODAY)
    assert sync(camera).returncode == 0
    (camera.output / f"{TODAY:%Y/%m/%d}" / "235900.jpg").write_bytes(os.urandom(3000))
    trace = camera.dir / "trace"
    result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open", "-o", str(trace),
                             *run_cli_args(camera, "sync")], capture_output=True, text=True, env=cli_env(),
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "copied 1 file(s)" in result.stdout
    opened = trace.read_text()
    assert f"{TODAY:%Y/%m/%d}" in opened  # today was looked at...
    for day in old:
        assert str(day) not in opened  # ...old days were not even listed


def run_cli_args(camera, *args):
    import sys
    return [sys.executable, "-m", "timelapse", "--config", str(camera.config), *args]


def start_sync(camera):
    return subprocess.Popen(run_cli_args(camera, "sync"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env(), start_new_session=True)


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def partial_files(camera):
    return [path for path in remote_files(camera) if (camera.remote / path).stat().st_size !=
            (camera.output / path).stat().st_size]


@pytest.mark.parametrize("what_dies", ["the sync run", "the server"])
def test_a_copy_cut_off_mid_transfer_is_completed_by_the_next_run(camera, what_dies):
    for back in (2, 1):
        plant_day(camera.output, TODAY - datetime.timedelta(days=back), count=12, size=150_000)
    camera.configure(bwlimit="400k")  # slow enough to be caught mid-file
    run = start_sync(camera)
    wait_until(lambda: len(remote_files(camera)) >= 3, what="the copy under way")
    if what_dies == "the sync run":
        os.killpg(run.pid, signal.SIGKILL)  # the sync and its rclone, as systemd's stop would
        run.wait()
    else:
        camera.server.stop()
        started = time.monotonic()
        out, err = run.communicate(timeout=240)
        print(f"the run ended {time.monotonic() - started:.0f} s after the server vanished: {err.strip()}")
        assert run.returncode == 1 and time.monotonic() - started < 200  # bounded, not rclone's 10 minutes
        assert len(err.strip().splitlines()) == 1 and "failed" in err and "the next run carries on" in err
        camera.server.start()
    cut_off = partial_files(camera)
    print(f"{what_dies} killed: {len(remote_files(camera))} of 24 files on the remote, "
          f"{len(cut_off)} of them partial until the next run")
    camera.configure()
    result = sync(camera)
    assert result.returncode == 0, result.stderr
    expected = sorted(p.relative_to(camera.output).as_posix() for p in camera.output.rglob("*.jpg"))
    assert remote_files(camera) == expected and partial_files(camera) == []
    assert_identical(camera, expected)


def test_with_the_server_down_the_run_fails_in_one_line_and_the_status_says_so(camera):
    plant_day(camera.output, TODAY - datetime.timedelta(days=1))
    camera.server.stop()
    started = time.monotonic()
    result = sync(camera)
    assert result.returncode == 1 and time.monotonic() - started < 120
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("timelapse: error: sync to nas:cam failed: ") and "connect" in result.stderr
    status = run_cli("--config", camera.config, "status").stdout
    assert re.search(r"last run: +\S+ FAILED: .*connect", status) and re.search(r"last success: +never", status)
    assert re.search(r"days waiting: +1 ", status)
    as_json = json.loads(run_cli("--config", camera.config, "status", "--json").stdout)
    assert as_json["sync"]["last"]["ok"] is False and as_json["sync"]["days_waiting"] == 1


def test_retention_keeps_what_is_not_copied_and_deletes_it_once_copied_completely(camera, synced_clock):
    old, older = (plant_day(camera.output, TODAY - datetime.timedelta(days=back)) for back in (5, 6))
    kept = run_cli("--config", camera.config, "cleanup")
    print(kept.stdout)
    assert old.exists() and older.exists()
    assert kept.stdout.count("not yet copied completely to sync.remote") == 2
    assert "2 day(s) wait for their copy to nas:cam" in kept.stdout
    assert sync(camera).returncode == 0
    late = older / "235959.jpg"  # an image that arrives after its day's copy (clock set back, a restore)
    late.write_bytes(os.urandom(1000))
    cleaned = run_cli("--config", camera.config, "cleanup")
    print(cleaned.stdout)
    assert not old.exists()  # copied completely by a run that started after the day ended
    assert older.exists() and "it changed after its last copy" in cleaned.stdout
    assert sync(camera).returncode == 0
    run_cli("--config", camera.config, "cleanup")
    assert not older.exists() and (camera.remote / f"{late.relative_to(camera.output)}").exists()


def test_dry_run_lists_and_copies_nothing(camera):
    plant_day(camera.output, TODAY - datetime.timedelta(days=1))
    result = sync(camera, "--dry-run")
    assert result.returncode == 0 and "would copy 4 file(s)" in result.stdout
    assert remote_files(camera) == [] and not (camera.output / ".sync/last-run.json").exists()


def test_when_due_waits_for_sync_every_and_no_remote_is_a_quiet_no_op(camera, write_config):
    plant_day(camera.output, TODAY)
    assert "copied 4 file(s)" in sync(camera, "--when-due").stdout
    again = sync(camera, "--when-due")
    assert again.returncode == 0 and again.stdout == ""  # 15 minutes have not passed
    off = run_cli("--config", write_config("sync: {remote: null}\n"), "sync")
    assert off.returncode == 0 and "sync.remote is not set" in off.stdout


def test_check_config_names_a_missing_remote_and_how_to_create_it(camera):
    camera.configure(remote="backup:cam")
    result = run_cli("--config", camera.config, "check-config")
    assert result.returncode == 0 and result.stdout.startswith("OK")
    assert (f"no remote named 'backup' in {camera.dir}/rclone.conf (it has: nas); create it with: "
            f"sudo rclone config --config {camera.dir}/rclone.conf") in result.stderr
    failed = sync(camera)
    assert failed.returncode == 78 and "no remote named 'backup'" in failed.stderr


def test_without_rclone_sync_exits_69_naming_the_package(camera):
    result = sync(camera, env=cli_env(PATH="/nonexistent"))
    assert result.returncode == 69
    assert "rclone is not installed; offsite copies need it: sudo apt install rclone" in result.stderr


def test_damaged_images_are_copied_as_they_are_and_the_run_succeeds(camera, tmp_path):
    # sync never decodes: a damaged image (tests/damaged_images.py) is a file like any other, copied
    # byte for byte (a truncated JPEG still holds most of its picture); nothing is lost or stalls.
    from damaged_images import plant

    from test_render import frame

    good = tmp_path / "good.jpg"
    good.write_bytes(frame((1280, 720), 1))
    paths = plant(camera.output / f"{TODAY:%Y/%m/%d}", good)
    result = sync(camera)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    expected = sorted(p.relative_to(camera.output).as_posix() for p in paths.values())
    assert remote_files(camera) == expected
    assert_identical(camera, expected)
