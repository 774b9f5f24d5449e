"""The aim reference and the last shift, under ``output_dir/.aim/`` (SPEC §20).

    .aim/reference.jpg    the image the camera should keep seeing (a copy, so retention cannot take it)
    .aim/reference.json   {"time": when that image was taken, "source": its path, "set": when it was set}
    .aim/last.json        the last check: {"dx", "dy", "confidence", "verdict", "image", "time", ...}

Each file is replaced atomically; a missing or damaged record reads as none.
"""

import datetime
import json
import math
import os
import shutil

from timelapse.archive import aim_dir, aim_reference, locate_image
from timelapse.storage import write_atomically

RECORD = "reference.json"
LAST = "last.json"
NUMBERS = ("dx", "dy", "confidence", "checked", "looked", "run")  # in last.json


def _read(path):
    try:
        with open(path) as stream:
            value = json.load(stream)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _write(path, value):
    write_atomically(path, (json.dumps(value, indent=1, sort_keys=True) + "\n").encode(), fsync=False, replace=True)


def image_time(root, path):
    """Return when the image at ``path`` was taken, as an ISO 8601 local time: from its place under
    ``root`` (YYYY/MM/DD/HHMMSS.jpg), else its modification time; None if it is gone."""
    located = locate_image(root, path)
    if located:
        date, image = located
        return datetime.datetime.combine(date, image.time).isoformat(timespec="seconds")
    try:
        return datetime.datetime.fromtimestamp(os.stat(path).st_mtime).isoformat(timespec="seconds")
    except OSError:
        return None


def read_reference(root):
    """Return {"path", "time", "source", "set"} of the aim reference, or None if none is set."""
    path = aim_reference(root)
    if not path.is_file():
        return None
    record = _read(aim_dir(root) / RECORD) or {}
    return {"path": str(path), "time": record.get("time"), "source": record.get("source"), "set": record.get("set")}


def set_reference(root, image, now=None):
    """Make a copy of the JPEG ``image`` the aim reference; return read_reference(). The caller has
    checked that it is readable. Raise StorageError (OSError) if ``output_dir/.aim`` cannot be written."""
    folder = aim_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".reference.jpg.{os.getpid()}.tmp"
    shutil.copyfile(image, temp)
    os.replace(temp, aim_reference(root))
    now = now or datetime.datetime.now().timestamp()
    _write(folder / RECORD, {"time": image_time(root, image), "source": str(image),
                             "set": datetime.datetime.fromtimestamp(now).isoformat(timespec="seconds")})
    _give_to_owner(root, (folder, aim_reference(root), folder / RECORD))
    return read_reference(root)


def _give_to_owner(root, paths):
    """Run as root (`sudo timelapse aim --set`), hand what was written to output_dir's owner, so that the
    alerts process (user timelapse) can go on writing there."""
    if os.geteuid() != 0:
        return
    owner = os.stat(root)
    for path in paths:
        try:
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
        except OSError:
            pass


def read_last(root):
    """Return the last check's record (see the module's docstring), or None. A file under output_dir may
    hold anything: a number that is not one is left out, as if never written."""
    record = _read(aim_dir(root) / LAST)
    if record is None:
        return None
    return {key: value for key, value in record.items() if key not in NUMBERS or _is_number(value)}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def write_last(root, record):
    """Replace the last check's record; raise OSError if ``output_dir/.aim`` cannot be written."""
    aim_dir(root).mkdir(parents=True, exist_ok=True)
    _write(aim_dir(root) / LAST, record)
