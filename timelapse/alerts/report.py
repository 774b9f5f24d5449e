"""The daily report (alerts.daily_report "HH:MM"): one summary message a day, in local time."""

import datetime

from timelapse import archive
from timelapse.alerts.messages import iso, local


def due(daily_report, now, last_sent):
    """Return True if the report of the local day of ``now`` (epoch) is due and not yet sent.

    ``last_sent`` is the ISO date of the last report (None: never).
    """
    if not daily_report:
        return False
    today = datetime.date.fromtimestamp(now)
    hours, minutes = map(int, daily_report.split(":"))
    at = datetime.datetime.combine(today, datetime.time(hours, minutes)).timestamp()
    return now >= at and last_sent != today.isoformat()


def count_images(root, date):
    """Return how many images ``date``'s day directory holds (the archive's one reader of a day: only
    regular files with an image's name; 0 for a missing or unreadable day)."""
    return len(archive.day_images(root, date))


def compose(snap, camera, firing):
    """Return the daily report message of a Snapshot."""
    settings, status = snap.settings, snap.status
    today = datetime.date.fromtimestamp(snap.now)
    yesterday = today - datetime.timedelta(days=1)
    parts = [f"{camera}: daily report, {local(snap.now, snap.now)}.",
             f"Yesterday {count_images(settings.storage.output_dir, yesterday)} images;",
             f"today so far {status.get('captures_today', 0)} captured, {status.get('skipped_today', 0)} skipped."]
    parts.append("Capture is running" + (f" ({status.get('state')})." if status.get("state") else ".")
                 if snap.running else f"Capture is NOT running: {snap.why_down}.")
    if snap.disk:
        parts.append(f"Disk {snap.disk.percent:.0f}% used, {snap.disk.free_bytes / 1e9:.1f} GB free.")
    if settings.sync.remote:
        parts.append(f"Last offsite copy: {snap.sync.get('last_success') or 'never'}.")
    parts.append(f"Last image: {snap.last_image or 'none yet'}.")
    parts.append(f"Open incidents: {', '.join(firing)}." if firing else "No open incidents.")
    return {"event": "daily_report", "state": "report", "camera": camera, "since": iso(snap.now),
            "message": " ".join(parts), "last_image": snap.last_image, "title": f"{camera}: daily report"}
