"""Delete rendered videos and keograms older than render.retention_days, and nothing else.

Only names this package writes are considered (timelapse.archive: videos/YYYY/YYYY-MM-DD.mp4, its
-keogram.jpg, and FROM_TO.mp4 ranges, dated by their last day); images are never touched, and image
retention never touches videos/.
"""

import datetime

from timelapse.archive import products
from timelapse.clock import retention_paused
from timelapse.errors import ClockUntrusted

KEPT_BY_AGE = {("day", "video"), ("day", "keogram"), ("range", "video"), ("range", "keogram")}  # (kind, what)


def videos_older_than(root, days, today=None):
    """Return the paths of day and range videos and keograms under root/videos whose last day is more than
    ``days`` days before today, oldest year first."""
    today = today or datetime.date.today()
    cutoff = today - datetime.timedelta(days=days)
    return [path for product, path in products(root)
            if (product.period.kind, product.what) in KEPT_BY_AGE and product.period.last < cutoff]


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
