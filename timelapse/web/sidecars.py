"""A period video's JSON sidecar (SPEC §18) as the web reads it: bounded, forgiving, cached by mtime.

Every file under output_dir is hostile: a sidecar too large, not JSON, or of the wrong shape gives
None (the video is still listed, without its figures). Read once per change (mtime, size).
"""

import functools
import json
import os

MAX_BYTES = 4 * 1024 * 1024  # a project of 1,500 frames with texts is about 150 kB


def read_sidecar(path):
    """Return the sidecar at ``path`` as a dict, or None if it is missing, too large or not a JSON object."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if info.st_size > MAX_BYTES:
        return None
    return _read(str(path), info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=256)
def _read(path, mtime_ns, size):
    try:
        with open(path, "rb") as stream:
            document = json.loads(stream.read(MAX_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def figures(document):
    """Return (frames, seconds, first path) a sidecar says, each None where it says nothing usable."""
    if not document:
        return None, None, None
    frames, seconds, paths = document.get("frames"), document.get("seconds"), document.get("paths")
    frames = frames if isinstance(frames, int) and not isinstance(frames, bool) and frames >= 0 else None
    seconds = float(seconds) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) \
        and 0 <= seconds < 1e7 else None
    first = paths[0] if isinstance(paths, list) and paths and isinstance(paths[0], str) else None
    return frames, seconds, first
