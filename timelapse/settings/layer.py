"""The web layer file: read it (never through a symlink), write it atomically, and its version header.

The file is YAML with a first comment line the loader ignores and the history relies on:

    # timelapse web layer: version 7, saved 2026-12-07T14:03:00+01:00 from 192.168.1.23

A write is a small, careful database's: a temporary file in the same directory (O_EXCL,
O_NOFOLLOW), fsync, rename over the layer, fsync of the directory, so that a `kill -9` or a power
cut at any moment leaves the old layer or the new one. A symlink planted at the layer's path is
refused, never followed, on reading and writing.
"""

import datetime
import errno
import os
import re
from dataclasses import dataclass, field

import yaml

from timelapse.config.loader import MAX_BYTES, parse_yaml
from timelapse.errors import ConfigError

_HEADER = re.compile(r"^# timelapse web layer: version (\d+), saved (\S+) from (\S+)")
# Readable by every local user: the daemon (user timelapse) and the alerts process read it, and it
# holds no secret (the web may set none). The web unit's seccomp filter forbids chown, so a group
# of its own choosing is not an option there.
LAYER_MODE = 0o644


@dataclass
class Layer:
    """One web layer as read: ``data`` the mapping (LineDicts), and the header's version, time and client."""

    path: str
    data: dict = field(default_factory=dict)
    version: object = None  # int, or None for a layer without a header (written by hand)
    saved: object = None  # ISO 8601 text
    client: object = None  # the address that saved it


def read(path):
    """Return the `Layer` at ``path``, or None when there is none; raise ConfigError if it cannot be used.

    A symlink, a directory, unreadable bytes, YAML that does not parse or a top level that is not
    a mapping are each an error naming the path (and line).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"{path}: is a symlink; the web layer is never read through one "
                              "(remove it: sudo rm " + str(path) + ")") from None
        raise ConfigError(f"{path}: cannot read the web layer: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as stream:
        if not _regular(stream.fileno()):
            raise ConfigError(f"{path}: is not a regular file; the web layer must be one")
        raw = stream.read(MAX_BYTES + 1)
    data = parse_yaml(raw, path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of sections at the top level of the web layer")
    layer = Layer(str(path), data)
    match = _HEADER.match(raw.decode("utf-8", "replace"))
    if match:
        layer.version, layer.saved, layer.client = int(match.group(1)), match.group(2), match.group(3)
    return layer


def _regular(fd):
    import stat

    return stat.S_ISREG(os.fstat(fd).st_mode)


def text_of(data, version, saved, client):
    """Return the layer file's text: the header line, then ``data`` as block YAML."""
    body = yaml.safe_dump(plain(data), default_flow_style=False, sort_keys=False, allow_unicode=True) if data else ""
    return (f"# timelapse web layer: version {version}, saved {saved} from {client}\n"
            "# Written by the Settings page (/settings) and `timelapse settings`; merged over\n"
            "# /etc/timelapse/timelapse.yml. See man timelapse.yml, WEB LAYER.\n" + body)


def plain(value):
    """Return ``value`` with LineDicts as dicts and dates as text (what YAML and JSON write)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def write(path, data, version, client, now=None):
    """Replace the layer at ``path`` with ``data`` atomically; return the saved time (ISO 8601).

    Raise ConfigError if the path is a symlink (or anything but a regular file) or the
    directory cannot be written.
    """
    saved = (now or datetime.datetime.now().astimezone()).isoformat(timespec="seconds")
    write_file(path, text_of(data, version, saved, client).encode(), mode=LAYER_MODE)
    return saved


def write_file(path, content, mode=0o640):
    """Write bytes ``content`` to ``path`` atomically (temp, fsync, rename, fsync dir), never through a symlink."""
    directory, name = os.path.split(os.path.abspath(path))
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise ConfigError(f"{directory}: cannot open the web layer's directory: {exc.strerror}") from None
    temp = f".{name}.{os.getpid()}.tmp"
    try:
        try:
            if not _regular_or_missing(name, dir_fd):
                raise ConfigError(f"{path}: is a symlink or not a regular file; not writing through it "
                                  f"(remove it: sudo rm {path})")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
            try:
                os.fchmod(fd, mode)  # whatever the umask (the web unit's is 0077)
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            os.fsync(dir_fd)
        except OSError as exc:
            try:
                os.unlink(temp, dir_fd=dir_fd)
            except OSError:
                pass
            raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None
    finally:
        os.close(dir_fd)


def remove(path):
    """Remove the layer at ``path`` (the file alone applies again); fsync its directory. True if it was there."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ConfigError(f"{path}: cannot remove: {exc.strerror}") from None
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def _regular_or_missing(name, dir_fd):
    import stat

    try:
        status = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return True
    return stat.S_ISREG(status.st_mode)
