"""Storage that goes away: is output_dir's own filesystem (a USB drive, a NAS share) mounted? (SPEC §6)

A filesystem is output_dir's own when it is mounted at or above output_dir, below `/`, and either
`/etc/fstab` names that mount point or the daemon once wrote there while it was mounted (then
`MountWatch` remembers it in a small JSON file outside output_dir, so that a restart or a reboot
while the drive is away still knows). While that mount point is not mounted, nothing may be
written under output_dir: what is there is the directory left underneath, on the SD card.
"""

import json
import logging
import os
import re
import select

log = logging.getLogger("timelapse")

MOUNTINFO = "/proc/self/mountinfo"
FSTAB = os.environ.get("TIMELAPSE_FSTAB", "/etc/fstab")  # a test seam, as the harness sets it
MEMORY_NAME = "storage-mount.json"
_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field):
    """Decode the kernel's and fstab's octal escapes (``\\040`` is a space)."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def mount_table(mountinfo=MOUNTINFO):
    """Return {mount point: True if it is a mount of its own} for what is mounted now.

    From /proc/self/mountinfo; the last mount on a point wins (it hides those under it). A mount
    is *not* its own when it is a directory bound onto itself (what systemd's ReadWritePaths= and
    StateDirectory= do in a service's namespace): the same device as the mount it sits on, showing
    exactly the directory that was there. A drive, a share, a tmpfs or a bind of another directory is.
    """
    mounts = {}  # mount id: (parent id, device, root, point)
    try:
        with open(mountinfo) as stream:
            for line in stream:
                fields = line.split()
                if len(fields) > 4:
                    mounts[fields[0]] = (fields[1], fields[2], _unescape(fields[3]), _unescape(fields[4]))
    except OSError:
        return {}
    table = {}
    for parent_id, device, root, point in mounts.values():
        parent = mounts.get(parent_id)
        self_bind = (parent is not None and parent[1] == device and point != "/"
                     and os.path.normpath(os.path.join(parent[2], os.path.relpath(point, parent[3]))) == root)
        table[point] = not self_bind
    return table


def mounted_points(mountinfo=MOUNTINFO):
    """Return the set of paths a mount of its own (see `mount_table`) is on now."""
    return {point for point, own in mount_table(mountinfo).items() if own}


def own_filesystem(table, path):
    """Return the mount point of ``path``'s own filesystem (a drive, a share; not `/`) from a
    `mount_table`, or None; a directory bound onto itself is looked through."""
    return deepest({point for point, own in table.items() if own}, path)


def fstab_points(fstab=FSTAB):
    """Return the mount points /etc/fstab names (absolute paths other than `/`; swap excluded)."""
    points = set()
    try:
        with open(fstab) as stream:
            lines = stream.read().splitlines()
    except OSError:
        return points
    for line in lines:
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#"):
            continue
        point = os.path.normpath(_unescape(fields[1]))
        if point.startswith("/") and point != "/":
            points.add(point)
    return points


def _contains(point, path):
    """True if ``path`` is ``point`` or lies under it (both normalized absolute paths)."""
    return path == point or path.startswith(point.rstrip("/") + "/")


def deepest(points, path):
    """Return the longest of ``points`` at or above ``path`` other than `/`, or None."""
    above = [p for p in points if p != "/" and _contains(p, path)]
    return max(above, key=len) if above else None


class MountTable:
    """The `mount_table` of ``mountinfo``, read again only when it may have changed.

    The kernel marks an open /proc/*/mountinfo with POLLPRI once after every mount and unmount in
    the namespace (proc(5)), so each slot costs one poll() instead of reading and parsing the table
    (about 0.2 ms a time on the dev VM, twice per capture). Any other file (a test's) is read every time.
    """

    def __init__(self, mountinfo=MOUNTINFO):
        self.mountinfo = str(mountinfo)
        self.table, self.poller, self.stream = None, None, None
        if self.mountinfo.startswith("/proc/"):
            try:
                self.stream = open(self.mountinfo)
                self.poller = select.poll()
                self.poller.register(self.stream, select.POLLPRI | select.POLLERR)
            except OSError:
                self.poller = None

    def now(self):
        """Return {mount point: own} for what is mounted now (see `mount_table`)."""
        if self.poller is None or self.table is None or self.poller.poll(0):
            self.table = mount_table(self.mountinfo)
        return self.table


class MountWatch:
    """Say before each slot whether output_dir's own filesystem is there.

    ``output_dir``: the configured directory; ``memory_paths``: files (outside output_dir) where the
    mount point is remembered once the daemon has written on it, e.g. beside the status file and in
    systemd's StateDirectory; ``mountinfo``/``fstab``: the tables read (test seams).
    `missing()` returns the mount point that should hold output_dir and does not, or None.
    """

    def __init__(self, output_dir, memory_paths=(), mountinfo=MOUNTINFO, fstab=FSTAB):
        self.output_dir = os.path.normpath(os.path.abspath(output_dir))
        self.memory_paths = [str(p) for p in memory_paths]
        self.mountinfo, self.fstab = mountinfo, fstab
        self.mounts = MountTable(mountinfo)
        self.remembered = self._recall()

    def expected(self):
        """The mount point output_dir should be on (fstab or remembered), or None (the root's own)."""
        points = fstab_points(self.fstab)
        if self.remembered:
            points.add(self.remembered)
        return deepest(points, self.output_dir)

    def missing(self):
        """Return the mount point that is expected above output_dir and not mounted, else None."""
        expected = self.expected()
        if expected is not None and not self.mounts.now().get(expected):
            return expected
        return None

    def wrote(self):
        """An image was written: remember output_dir's mount point (if not `/`) for later starts."""
        point = own_filesystem(self.mounts.now(), self.output_dir)
        if point is None or point == self.remembered:
            return
        self.remembered = point
        record = json.dumps({"output_dir": self.output_dir, "mount_point": point}) + "\n"
        for path in self.memory_paths:
            if _contains(point, os.path.abspath(path)):
                continue  # on the drive itself: unreadable exactly when it is needed
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                temp = f"{path}.{os.getpid()}.tmp"
                with open(temp, "w") as stream:
                    stream.write(record)
                os.replace(temp, path)
            except OSError as exc:
                log.debug("cannot remember the mount point in %s: %s", path, exc)

    def _recall(self):
        """The mount point a memory file holds for this output_dir, or None."""
        for path in self.memory_paths:
            try:
                with open(path) as stream:
                    record = json.load(stream)
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and record.get("output_dir") == self.output_dir:
                point = record.get("mount_point")
                if isinstance(point, str) and _contains(point, self.output_dir):
                    return point
        return None


def memory_paths(status_file):
    """Where the daemon remembers the mount point: beside the status file, and in systemd's
    StateDirectory when it runs as the service (survives a reboot)."""
    paths = [os.path.join(os.path.dirname(os.path.abspath(status_file)), MEMORY_NAME)]
    state = os.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if state:
        paths.append(os.path.join(state, "." + MEMORY_NAME))
    return paths


def watch_for(settings):
    """The `MountWatch` for ``settings`` (storage.output_dir; memory beside daemon.status_file)."""
    return MountWatch(settings.storage.output_dir, memory_paths(settings.daemon.status_file))
