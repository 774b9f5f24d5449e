"""Notice a new web layer at once, with no wakeups while nothing changes: inotify on the layer's directory.

The web replaces the layer by a rename (IN_MOVED_TO); a hand edit closes it after writing
(IN_CLOSE_WRITE); `--reset` deletes it (IN_DELETE). A thread blocks in poll() on the inotify fd
and calls ``on_change`` (which sets a flag and wakes the loop, as SIGHUP's handler does); it
makes no system call at all until the kernel has an event for that directory. ctypes and libc
are enough: no package needed.
"""

import ctypes
import logging
import os
import select
import struct
import threading

log = logging.getLogger("timelapse")

IN_MODIFY_MASK = 0x8 | 0x80 | 0x200 | 0x40  # IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM
IN_CLOEXEC, IN_NONBLOCK = 0o2000000, 0o4000
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of NUL-padded name


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.inotify_init1.argtypes = [ctypes.c_int]
    libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    return libc


def names_in(data):
    """Return the file names of the inotify events packed in ``data`` (bytes read from the fd)."""
    names, offset = [], 0
    while offset + _EVENT.size <= len(data):
        _, _, _, length = _EVENT.unpack_from(data, offset)
        offset += _EVENT.size
        names.append(data[offset:offset + length].rstrip(b"\0").decode("utf-8", "replace"))
        offset += length
    return names


class LayerWatch:
    """Call ``on_change()`` from a thread whenever the file at ``path`` is replaced, written or removed."""

    def __init__(self, path, on_change):
        self.path = os.path.abspath(path)
        self.on_change = on_change
        self._fd = None
        self._stop_r = self._stop_w = None

    def start(self):
        """Start watching; return False (and log why) when the directory is missing or inotify fails."""
        directory, self._name = os.path.split(self.path)
        libc = _libc()
        fd = libc.inotify_init1(IN_CLOEXEC | IN_NONBLOCK)
        if fd < 0:
            log.warning("cannot watch the web layer (inotify: %s); a save applies at the next reload",
                        os.strerror(ctypes.get_errno()))
            return False
        if libc.inotify_add_watch(fd, os.fsencode(directory), IN_MODIFY_MASK) < 0:
            log.warning("cannot watch %s for web settings (%s); a save applies at the next reload "
                        "(systemctl reload timelapse)", directory, os.strerror(ctypes.get_errno()))
            os.close(fd)
            return False
        self._fd = fd
        self._stop_r, self._stop_w = os.pipe()
        threading.Thread(target=self._run, name="layer-watch", daemon=True).start()
        return True

    def _run(self):
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        poller.register(self._stop_r, select.POLLIN)
        while True:
            ready = [fd for fd, _ in poller.poll()]  # blocks: no timeout, no wakeup without an event
            if self._stop_r in ready:
                break
            try:
                data = os.read(self._fd, 64 * 1024)
            except BlockingIOError:
                continue
            if self._name in names_in(data):
                self.on_change()
        os.close(self._fd)
        os.close(self._stop_r)

    def stop(self):
        """Stop the thread (it closes the inotify fd)."""
        if self._stop_w is not None:
            os.write(self._stop_w, b"x")
            os.close(self._stop_w)
            self._stop_w = None
