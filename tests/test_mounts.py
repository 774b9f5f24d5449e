"""Storage that goes away (SPEC §6): a drive unmounted under the daemon gets nothing written underneath."""

import json
import os
import subprocess

import pytest

from conftest import requires_root, run_cli
from daemon_harness import DaemonProcess
from timelapse.mounts import MountTable, MountWatch, deepest, fstab_points, mount_table, mounted_points, own_filesystem


def files_under(path):
    """Every file (not directory) under ``path``, as relative strings."""
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if not p.is_dir())


def mount_tmpfs(point):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(point)], check=True)


def umount(point):
    subprocess.run(["umount", "-l", str(point)], check=True)


def test_the_kernel_and_fstab_tables_are_read_with_their_escapes(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n"
                         "40 22 8:17 / /media/my\\040drive rw - vfat /dev/sdb1 rw\n")
    fstab = tmp_path / "fstab"
    fstab.write_text("# comment\nUUID=1 / ext4 defaults 0 1\n/dev/sdb1 /media/my\\040drive vfat nofail 0 0\n"
                     "/swapfile none swap sw 0 0\nnas:/pics /mnt/nas/ nfs noauto 0 0\n")
    assert mounted_points(mountinfo) == {"/", "/media/my drive"}
    assert fstab_points(fstab) == {"/media/my drive", "/mnt/nas"}
    assert deepest({"/", "/mnt", "/mnt/nas"}, "/mnt/nas/images") == "/mnt/nas"
    assert deepest({"/", "/mnt/nas"}, "/mnt/nasty/images") is None


def test_only_another_filesystem_than_the_one_above_counts_as_output_dirs_own(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n"
                         "30 22 8:2 /var/lib/timelapse /var/lib/timelapse rw - ext4 /dev/sda2 rw\n"
                         "40 22 8:17 / /media/usb rw - vfat /dev/sdb1 rw\n"
                         "41 40 8:17 /images /media/usb/images rw - vfat /dev/sdb1 rw\n"
                         "50 22 8:2 /srv/usb /srv/drive rw - ext4 /dev/sda2 rw\n"
                         "60 22 8:2 /mnt/nas /mnt/nas rw - ext4 /dev/sda2 rw\n")
    table = mount_table(mountinfo)
    assert own_filesystem(table, "/var/lib/timelapse") is None  # systemd's bind of StateDirectory
    assert own_filesystem(table, "/media/usb/images") == "/media/usb"  # through ReadWritePaths' bind
    assert own_filesystem(table, "/srv/drive/images") == "/srv/drive"  # a bind of another directory
    assert own_filesystem(table, "/srv/images") is None
    assert "/mnt/nas" not in mounted_points(mountinfo)  # ReadWritePaths= over an unmounted share


def test_an_fstab_mount_point_above_output_dir_that_is_not_mounted_is_missing(tmp_path):
    mountinfo, fstab = tmp_path / "mountinfo", tmp_path / "fstab"
    mountinfo.write_text("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n")
    fstab.write_text("nas:/pics /mnt/nas nfs noauto 0 0\n")
    watch = MountWatch("/mnt/nas/images", mountinfo=mountinfo, fstab=fstab)
    assert watch.missing() == "/mnt/nas"
    mountinfo.write_text("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n40 22 0:50 / /mnt/nas rw - nfs nas:/pics rw\n")
    assert watch.missing() is None
    assert MountWatch("/var/lib/timelapse", mountinfo=mountinfo, fstab=fstab).missing() is None


def test_a_mount_point_written_on_is_remembered_across_restarts(tmp_path):
    mountinfo, memory = tmp_path / "mountinfo", tmp_path / "run/storage-mount.json"
    mountinfo.write_text("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n40 22 8:17 / /media/usb rw - vfat /dev/sdb1 rw\n")
    watch = MountWatch("/media/usb/images", [memory], mountinfo=mountinfo, fstab=tmp_path / "none")
    watch.wrote()
    assert json.loads(memory.read_text()) == {"output_dir": "/media/usb/images", "mount_point": "/media/usb"}
    mountinfo.write_text("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n")
    again = MountWatch("/media/usb/images", [memory], mountinfo=mountinfo, fstab=tmp_path / "none")
    assert again.missing() == "/media/usb"
    other = MountWatch("/srv/images", [memory], mountinfo=mountinfo, fstab=tmp_path / "none")
    assert other.missing() is None  # the memory is for another output_dir


@requires_root
def test_the_mount_table_is_read_again_when_the_kernel_says_it_changed(tmp_path):
    """Each slot asks the kernel (a poll on /proc/self/mountinfo) instead of parsing the table; every
    mount and unmount is seen at the next ask, and several asks between changes read it once."""
    point = tmp_path / "drive"
    point.mkdir()
    table = MountTable()
    assert str(point) not in table.now()
    first = table.now()
    assert table.now() is first  # nothing changed: the same table, not read again
    mount_tmpfs(point)
    try:
        assert table.now().get(str(point)) is True
        umount(point)
        assert str(point) not in table.now()
        mount_tmpfs(point)
        assert table.now().get(str(point)) is True
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False, stderr=subprocess.DEVNULL)
    assert str(point) not in table.now()


@requires_root
@pytest.mark.parametrize("left_underneath", [True, False], ids=["directory-left-underneath", "nothing-underneath"])
def test_a_drive_unmounted_under_the_daemon_gets_nothing_written_underneath_and_capture_resumes(
        tmp_path, left_underneath):
    drive = tmp_path / "drive"
    drive.mkdir()
    mount_tmpfs(drive)
    try:
        (drive / "images").mkdir()
        daemon = DaemonProcess(tmp_path, output=drive / "images")
        with daemon:
            daemon.wait_for_images(2)
            umount(drive)
            if left_underneath:
                (drive / "images").mkdir()
            daemon.wait_for_state("storage_missing", timeout=5)
            status = daemon.status()
            assert status["missing_mount"] == str(drive)
            assert status["disk_usage_percent"] is None and status["disk_free_bytes"] is None
            assert str(drive) in status["last_error"]
            shown = run_cli("--config", daemon.config, "status").stdout
            assert "state: storage_missing" in shown and f"NOT MOUNTED at {drive}" in shown
            skipped = status["skipped_today"]
            daemon.wait_for(lambda: daemon.status()["skipped_today"] >= skipped + 2, 5, "two slots skipped")
            daemon.stop()
        daemon.start()  # a restart while it is away: the daemon still knows the drive
        try:
            daemon.wait_for_state("storage_missing", timeout=5)
            daemon.wait_for(lambda: daemon.status()["skipped_today"] >= 2, 5, "two slots skipped after restart")
            assert files_under(drive) == []
            assert (drive / "images").exists() == left_underneath
            assert daemon.logs().count("its drive is not mounted at") == 2  # once per run, not per slot
            assert any("storage missing" in line for line in daemon.gaps())
            spare = tmp_path / "spare"  # the drive back, with its images directory, mounted at once
            spare.mkdir()
            mount_tmpfs(spare)
            (spare / "images").mkdir()
            subprocess.run(["mount", "--bind", str(spare), str(drive)], check=True)
            daemon.wait_for_state("capturing", timeout=5)
            daemon.wait_for(lambda: files_under(drive), 5, "an image on the drive again")
            assert daemon.status()["missing_mount"] is None
            assert daemon.status()["disk_usage_percent"] is not None
            assert "mounted again" in daemon.logs()
        finally:
            daemon.kill()
    finally:
        for point in (drive, drive, tmp_path / "spare"):
            subprocess.run(["umount", "-l", str(point)], check=False, stderr=subprocess.DEVNULL)


@requires_root
def test_a_drive_away_since_before_the_daemon_started_is_known_from_fstab(tmp_path, monkeypatch):
    """A reboot while the drive is away: nothing was remembered at run time, /etc/fstab names it."""
    drive = tmp_path / "drive"
    (drive / "images").mkdir(parents=True)
    fstab = tmp_path / "fstab"
    fstab.write_text(f"/dev/disk/by-label/PHOTOS {drive} vfat noauto,nofail 0 0\n")
    daemon = DaemonProcess(tmp_path, output=drive / "images", env={"TIMELAPSE_FSTAB": str(fstab)})
    with daemon:
        daemon.wait_for_state("storage_missing", timeout=5)
        daemon.wait_for(lambda: daemon.status()["skipped_today"] >= 2, 5, "two slots skipped")
    assert files_under(drive) == []
    assert os.listdir(drive / "images") == []
