"""The camera lock: fcntl.flock on daemon.lock_file, holding the holder's PID.

flock locks die with their process, so a crashed holder never leaves a stale lock.
"""

import errno
import fcntl
import os
import time

from timelapse.errors import CameraBusy


class CameraLock:
    """The flock on ``path``; ``holder`` (e.g. "timelapse run") is written beside the PID so that a
    process refused the camera can say who has it."""

    def __init__(self, path, holder="timelapse"):
        self.path, self.holder = path, holder
        self._fd = None

    @property
    def held(self):
        return self._fd is not None

    def acquire(self, wait=0.0):
        """Take the lock, trying for up to ``wait`` seconds; raise CameraBusy naming the holder."""
        if self._fd is not None:
            return
        fd = self._open()
        if fd is None:
            return
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    holder = read_holder(self.path)
                    os.close(fd)
                    pid = holder[0] if holder else None
                    who = f"pid {holder[0]} ({holder[1]})" if holder else "another process"
                    raise CameraBusy(f"camera busy: held by {who}", holder_pid=pid) from None
                time.sleep(0.05)
        self._fd = fd
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n{self.holder}\n".encode(), 0)
        except OSError:
            pass  # opened read-only: the lock holds all the same

    def _open(self):
        """Return a descriptor on the lock file, or None when no lock can exist there."""
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, exist_ok=True)
        except PermissionError:
            # /run/timelapse is missing only when the service is not running (systemd
            # makes it); a user who cannot create it shares the camera with nobody.
            return None
        for flags in (os.O_RDWR | os.O_CREAT, os.O_RDONLY):
            try:
                return os.open(self.path, flags | os.O_CLOEXEC, 0o644)
            except PermissionError:
                continue
        raise CameraBusy(f"camera lock {self.path} is not readable; run as root or as the timelapse user")

    def release(self):
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
            os.close(fd)  # closing drops the flock

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def read_holder(path):
    """Return (pid, command) written by the holder, or None."""
    try:
        with open(path) as stream:
            lines = stream.read().split("\n")
        return int(lines[0]), (lines[1] if len(lines) > 1 and lines[1] else "unknown")
    except (OSError, ValueError, IndexError):
        return None
