"""Small JSON state files: read forgivingly, replaced atomically.

Every state file of the appliance (the status in /run, sync's and the alerts' records and the
exposure state under output_dir) is a small JSON document that one process writes and others
read at any moment. ``read_json`` never raises: a missing or damaged file is the ``default``
(the reader carries on, as after a first start). ``write_json`` makes the new version appear
complete or not at all (storage.write_atomically: a temporary file in the same directory,
written, optionally fsynced, renamed over the old one), and the directory fsynced so that the
rename survives a power cut.
"""

import json
import logging
import os
from pathlib import Path

from timelapse.storage import write_atomically

log = logging.getLogger(__name__)


def read_json(path, default, warn=False):
    """Return the document at ``path`` if it is valid JSON of ``default``'s type, else ``default``.

    A missing file is ``default`` silently; an unreadable or damaged one too, logged as a warning
    when ``warn`` (a file the user should hear about), at debug level otherwise.
    """
    try:
        with open(path) as stream:
            value = json.load(stream)
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        (log.warning if warn else log.debug)("%s: unreadable or damaged (%s): ignoring it", path, exc)
        return default
    if not isinstance(value, type(default)):
        (log.warning if warn else log.debug)("%s: a %s, not a %s: ignoring it", path, type(value).__name__,
                                             type(default).__name__)
        return default
    return value


def write_json(path, value, mode=0o644, durable=True, indent=1):
    """Replace ``path`` with ``value`` as JSON (sorted keys, ``indent``), atomically, with ``mode``.

    Make the directory if it is missing. ``durable``: fsync the data before the rename and the
    directory after it (a power cut leaves the old or the new version, never an empty file);
    False for files on tmpfs or rewritten often and cheap to lose. Raise StorageError (an
    OSError) naming the path and the fix if the disk refuses; no temporary file is left behind.
    """
    path = Path(path)
    data = (json.dumps(value, indent=indent, sort_keys=True) + "\n").encode()
    write_atomically(path, data, fsync=durable, replace=True, mode=mode)
    if durable:
        _fsync_directory(path.parent)


def _fsync_directory(directory):
    """Flush a directory's entries (the rename); a filesystem that cannot is not an error."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
