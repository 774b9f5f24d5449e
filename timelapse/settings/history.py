"""The web layer's last versions (settings-history/ beside it): time, client address, the change, the layer.

One JSON file per version, ``000007.json``:
``{"version", "time", "client", "diff": [{"key", "from", "to"}], "layer": {...}, "note"}``, written
atomically like the layer; the newest ``KEEP`` stay. Reading is forgiving: a damaged entry is skipped.
"""

import json
import os
import re
import stat

from timelapse.errors import ConfigError
from timelapse.settings.layer import plain, write_file

KEEP = 10
_NAME = re.compile(r"^(\d{6})\.json$")


def directory(layer_path):
    """Return the history directory of the layer at ``layer_path``."""
    return os.path.join(os.path.dirname(os.path.abspath(layer_path)), "settings-history")


def flatten(data, prefix=""):
    """Return {dotted key: value} of every leaf of a nested mapping (a mapping's values, not the mapping)."""
    leaves = {}
    for key, value in (data or {}).items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            leaves.update(flatten(value, dotted + "."))
        else:
            leaves[dotted] = plain(value)
    return leaves


def diff(old, new):
    """Return [{"key", "from", "to"}] for each leaf that differs between two layers (absent: None)."""
    before, after = flatten(old), flatten(new)
    return [{"key": key, "from": before.get(key), "to": after.get(key)}
            for key in sorted(set(before) | set(after)) if before.get(key, ...) != after.get(key, ...)]


def record(layer_path, version, time, client, old, new, note=None):
    """Keep version ``version`` (its layer ``new``, changed from ``old``); drop all but the newest KEEP."""
    where = directory(layer_path)
    try:
        os.mkdir(where, 0o750)
        if os.geteuid() == 0:  # made by `sudo timelapse settings`: the web must still write it
            owner = os.stat(os.path.dirname(where))
            os.chown(where, owner.st_uid, owner.st_gid)
    except FileExistsError:
        if not stat.S_ISDIR(os.lstat(where).st_mode):
            raise ConfigError(f"{where}: is not a directory (a symlink?); the history is not written through it")
    except OSError as exc:
        raise ConfigError(f"{where}: cannot create the settings history: {exc.strerror}") from None
    entry = {"version": version, "time": time, "client": client, "diff": diff(old, new), "layer": plain(new),
             "note": note}
    write_file(os.path.join(where, f"{version:06d}.json"), json.dumps(entry, indent=1).encode() + b"\n")
    for old_entry in _names(where)[:-KEEP]:
        try:
            os.unlink(os.path.join(where, old_entry))
        except OSError:
            pass


def _names(where):
    try:
        return sorted(name for name in os.listdir(where) if _NAME.match(name))
    except OSError:
        return []


def entries(layer_path):
    """Return the kept versions, newest first (each the dict above); damaged ones are left out."""
    where, found = directory(layer_path), []
    for name in reversed(_names(where)):
        try:
            fd = os.open(os.path.join(where, name), os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd) as stream:
                entry = json.load(stream)
        except (OSError, ValueError):
            continue
        if isinstance(entry, dict) and isinstance(entry.get("version"), int) and isinstance(entry.get("layer"), dict):
            found.append(entry)
    return found


def find(layer_path, version):
    """Return the kept entry of ``version``, or None."""
    return next((entry for entry in entries(layer_path) if entry["version"] == version), None)


def newest_version(layer_path):
    """Return the highest version number in the history (0 when there is none)."""
    names = _names(directory(layer_path))
    return int(names[-1][:6]) if names else 0
