"""Delete rendered videos and keograms older than render.retention_days, and nothing else.

Only names this package writes are considered (videos/YYYY/YYYY-MM-DD.mp4, its -keogram.jpg,
and FROM_TO.mp4 ranges, dated by their last day); images are never touched, and image
retention never touches videos/.
"""

import datetime
import os
import re
from pathlib import Path

from timelapse.clock import retention_paused
from timelapse.errors import ClockUntrusted

_NAME = re.compile(r"^(?:\d{4}-\d{2}-\d{2}_)?(\d{4}-\d{2}-\d{2})(?:\.mp4|-keogram\.jpg)$")


def videos_older_than(root, days, today=None):
    """Return the rendered files under root/videos dated more than ``days`` days before today."""
    today = today or datetime.date.today()
    cutoff = today - datetime.timedelta(days=days)
    found = []
    videos = Path(root, "videos")
    try:
        years = sorted(entry for entry in os.scandir(videos) if entry.name.isdigit() and entry.is_dir(
            follow_symlinks=False))
    except OSError:
        return []
    for year in years:
        for entry in sorted(os.scandir(year.path), key=lambda e: e.name):
            match = _NAME.match(entry.name)
            if match and entry.is_file(follow_symlinks=False):
                try:
                    dated = datetime.date.fromisoformat(match.group(1))
                except ValueError:
                    continue
                if dated < cutoff:
                    found.append(Path(entry.path))
    return found


def apply_video_retention(root, days, today=None, dry_run=False, trust_clock=False):
    """Delete (or list) rendered files older than ``days`` days; return their paths.

    Raise ClockUntrusted (nothing deleted) unless the clock is known good: synchronized, or
    ``trust_clock`` (storage.trust_clock).
    """
    if not dry_run:
        paused = retention_paused(trust_clock)
        if paused:
            raise ClockUntrusted(f"video retention paused: {paused}")
    going = videos_older_than(root, days, today)
    if not dry_run:
        for path in going:
            path.unlink(missing_ok=True)
    return going
