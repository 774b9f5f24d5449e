"""Storage: the date layout, atomic writes that never overwrite, the disk guard, real disk-full."""

import errno
import os
import subprocess
import datetime
from pathlib import Path

import pytest

from timelapse.errors import StorageError
from timelapse.archive import image_path
from timelapse.storage import (DiskGuard, DiskUsage, check_output_dir, describe_os_error, remove_stale_temporaries,
                               write_atomically)

from conftest import requires_root


def test_images_are_filed_by_local_date_and_time():
    when = datetime.datetime(2026, 3, 7, 9, 5, 3)
    assert image_path("/var/lib/timelapse", when) == Path("/var/lib/timelapse/2026/03/07/090503.jpg")


def test_write_creates_directories_and_a_complete_readable_file(tmp_path):
    path = tmp_path / "2026/11/21/120000.jpg"
    assert write_atomically(path, b"\xff\xd8jpeg\xff\xd9")
    assert path.read_bytes() == b"\xff\xd8jpeg\xff\xd9"
    assert path.stat().st_mode & 0o777 == 0o644
    assert os.listdir(path.parent) == ["120000.jpg"]


def test_an_existing_image_is_never_overwritten(tmp_path):
    path = tmp_path / "120000.jpg"
    path.write_bytes(b"first")
    assert write_atomically(path, b"second") is False
    assert path.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["120000.jpg"]


def test_a_file_the_user_named_is_replaced_atomically(tmp_path):
    path = tmp_path / "snapshot.jpg"
    path.write_bytes(b"old")
    assert write_atomically(path, b"new", replace=True)
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["snapshot.jpg"]


def test_stale_temporaries_are_removed_but_not_our_own_or_other_files(tmp_path):
    day = tmp_path / "2026/11/21"
    day.mkdir(parents=True)
    for name in (".120000.jpg.4242.tmp", f".120001.jpg.{os.getpid()}.tmp", "120002.jpg", ".hidden-note"):
        (day / name).write_text("x")
    assert remove_stale_temporaries(tmp_path, keep_pid=os.getpid()) == 1
    assert sorted(os.listdir(day)) == [f".120001.jpg.{os.getpid()}.tmp", ".hidden-note", "120002.jpg"]


def test_disk_guard_reports_each_crossing_once():
    readings = iter([50, 86, 87, 91, 95, 89, 80, 92])
    guard = DiskGuard("/x", 85, 90, usage=lambda root: DiskUsage(next(readings), 0))
    events = [guard.check()[1] for _ in range(8)]
    assert events == [[], ["warn"], [], ["full"], [], ["resumed"], ["below_warn"], ["full"]]
    assert guard.full


@pytest.mark.parametrize("code, path, fragment", [
    (errno.ENOSPC, "/var/lib/timelapse/2026", "disk is full"),
    (errno.EROFS, "/media/usb/tl", "ReadWritePaths=/media/usb/tl"),
    (errno.EROFS, "/var/lib/timelapse", "mounted read-only"),
    (errno.EACCES, "/srv/tl", "sudo chown -R timelapse: /srv/tl"),
])
def test_os_errors_name_the_path_and_the_fix(code, path, fragment):
    message = describe_os_error(OSError(code, os.strerror(code)), path)
    assert message.startswith(path) and fragment in message


def test_output_dir_missing_or_not_a_directory_is_explained(tmp_path):
    with pytest.raises(StorageError, match="does not exist; create it"):
        check_output_dir(tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(StorageError, match="is not a directory"):
        check_output_dir(tmp_path / "file")
    check_output_dir(tmp_path)


@requires_root
def test_read_only_output_dir_names_the_path_and_the_fix(small_tmpfs):
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    with pytest.raises(StorageError, match=f"{small_tmpfs}: read-only file system.*ReadWritePaths"):
        check_output_dir(small_tmpfs)
    with pytest.raises(StorageError, match="read-only"):
        write_atomically(small_tmpfs / "2026/01/01/000000.jpg", b"x")


@requires_root
def test_disk_full_mid_write_leaves_no_partial_file_and_writing_resumes(small_tmpfs):
    filler = small_tmpfs / "filler"
    filler.write_bytes(b"\0" * (small_tmpfs_free(small_tmpfs) - 100_000))
    path = small_tmpfs / "2026/11/21/120000.jpg"
    with pytest.raises(StorageError, match="disk is full") as caught:
        write_atomically(path, os.urandom(400_000))
    assert caught.value.errno == errno.ENOSPC
    assert not path.exists() and os.listdir(path.parent) == []
    filler.unlink()
    assert write_atomically(path, b"\xff\xd8" + os.urandom(400_000))
    assert path.stat().st_size == 400_002


def small_tmpfs_free(root):
    stats = os.statvfs(root)
    return stats.f_bavail * stats.f_frsize
