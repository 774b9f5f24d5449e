"""Where images go and how they get there: date paths, atomic writes, the disk guard."""

import errno
import os
from collections import namedtuple
from pathlib import Path

from timelapse.archive import day_dirs, day_entries
from timelapse.errors import StorageError

DiskUsage = namedtuple("DiskUsage", "percent free_bytes")
SYSTEMD_HINT = ("the service may write only to /var/lib/timelapse; allow this path with "
                "`systemctl edit timelapse` and the lines [Service] / ReadWritePaths={path}")


def write_atomically(path, data, fsync=True, replace=False):
    """Write ``data`` to ``path`` so that it appears complete or not at all.

    Return False (nothing written) if ``path`` exists already: images are never
    overwritten, unless ``replace`` (a file the user named, as `snapshot -o`).
    Raise StorageError if the disk refuses, leaving no partial file.
    fsync=True flushes the data before the name appears, so that a power cut
    cannot leave an empty or truncated JPEG under its final name (ext4 delays
    allocation; the journal can commit the name before the data).
    """
    path = Path(path)
    if path.exists() and not replace:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, path.parent) from None
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if fsync:
                os.fdatasync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(temp, path)
            return True
        return _publish(temp, path)
    except OSError as exc:
        _remove_quietly(temp)
        raise storage_error(exc, path) from None


def _publish(temp, path):
    """Give ``temp`` its final name unless that name exists; return whether it did."""
    try:
        os.link(temp, path)  # fails with EEXIST instead of replacing an image
    except FileExistsError:
        _remove_quietly(temp)
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # vfat/exFAT USB drives have no hard links; we are the only writer here.
        if path.exists():
            _remove_quietly(temp)
            return False
        os.rename(temp, path)
        return True
    os.unlink(temp)
    return True


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def remove_stale_temporaries(root, keep_pid=None):
    """Delete temporaries left by a crash in every day directory under ``root``; return how many."""
    removed = 0
    for day in day_dirs(root):
        try:
            entries = day_entries(day.path)
        except OSError:
            continue
        for entry in entries:
            if entry.pid is not None and entry.pid != keep_pid and entry.regular:
                _remove_quietly(entry.path)
                removed += 1
    return removed


def disk_usage(path):
    """Return DiskUsage of the filesystem holding ``path``, as df counts it (statvfs)."""
    stats = os.statvfs(path)
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    available = stats.f_bavail * stats.f_frsize
    percent = 100.0 * used / (used + available) if used + available else 100.0
    return DiskUsage(percent, available)


class DiskGuard:
    """Say before each capture whether writing is allowed, and when to log a change.

    ``check()`` returns (usage, events) where events is a list of "warn", "full",
    "resumed", "below_warn": each reported once per crossing, not once per capture.
    """

    def __init__(self, root, warn_threshold, stop_threshold, usage=disk_usage):
        self.root, self.warn, self.stop, self._usage = root, warn_threshold, stop_threshold, usage
        self.full = False
        self.warned = False

    def check(self):
        usage = self._usage(self.root)
        events = []
        full = usage.percent >= self.stop
        if full != self.full:
            events.append("full" if full else "resumed")
            self.full = full
        warned = usage.percent >= self.warn
        if warned != self.warned:
            if warned and not full:
                events.append("warn")
            elif not warned:
                events.append("below_warn")
            self.warned = warned
        return usage, events


def storage_error(exc, path):
    """Return a StorageError for OSError ``exc`` at ``path``, keeping its errno."""
    error = StorageError(describe_os_error(exc, path))
    error.errno = exc.errno
    return error


def describe_os_error(exc, path):
    """Return a message naming ``path``, what went wrong and the likely fix."""
    path = str(path)
    code = exc.errno
    if code == errno.ENOSPC:
        return f"{path}: the disk is full; free space or enable storage.cleanup_enabled"
    if code == errno.EROFS:
        hint = (SYSTEMD_HINT.format(path=path) if not path.startswith("/var/lib/timelapse")
                else "the filesystem is mounted read-only; check the SD card or USB drive (dmesg)")
        return f"{path}: read-only file system: {hint}"
    if code in (errno.EACCES, errno.EPERM):
        return (f"{path}: permission denied: make it writable by the timelapse user "
                f"(sudo chown -R timelapse: {path})")
    if code == errno.ENOTDIR:
        return f"{path}: a part of this path is a file, not a directory; set storage.output_dir to a directory"
    return f"{path}: {exc.strerror or exc}"


def check_output_dir(path):
    """Raise StorageError naming the path and the fix unless images can be written there."""
    target = Path(path)
    if not target.exists():
        raise StorageError(f"{path}: does not exist; create it (sudo install -d -o timelapse -g timelapse "
                           f"{path}) or fix storage.output_dir")
    if not target.is_dir():
        raise StorageError(f"{path}: is not a directory; fix storage.output_dir")
    probe = target / f".write-test.{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise storage_error(exc, path) from None
