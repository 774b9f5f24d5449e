"""The camera_moved rule's test and what its message carries (SPEC §20): the aim check lives in timelapse.aim.watch."""

from timelapse.aim.reference import read_last, read_reference
from timelapse.aim.watch import judge


def camera_moved(snap):
    """The picture lies more than alerts.moved pixels from the aim reference, two hourly checks in a row."""
    return judge(snap.settings, snap.now, snap.last_image)


def extras(snap):
    """Return {"shift": {"dx", "dy", "confidence"}, "images": [reference, image]} for the message (before/after)."""
    root = snap.settings.storage.output_dir
    last, reference = read_last(root) or {}, read_reference(root)
    images = [path for path in ((reference or {}).get("path"), last.get("image")) if path]
    return {"shift": {key: last.get(key) for key in ("dx", "dy", "confidence")}, "images": images}
