"""`timelapse sync`: copy the days not yet safely off the camera (and the videos) to sync.remote.

Each run lists only the days not yet completely copied (one stat per day directory, no
file is opened for the others), hands them to rclone, and records what was copied and
the run's outcome under output_dir/.sync/. A run that fails or is killed loses nothing:
the next one lists the same days again and rclone copies what is missing.
"""

import datetime
import logging
import os
import sys
import tempfile
import time

from timelapse import config
from timelapse.sync.rclone import check_remote, config_path, copy_command, filter_rules, rclone_binary, run_copy
from timelapse.sync.state import SyncState, dir_mtime

log = logging.getLogger(__name__)


def _iso(epoch):
    return datetime.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def due(state, every, now):
    """Return True if the last run started at least ``every`` seconds before ``now`` (or never ran)."""
    last = (state.last_run.get("last") or {}).get("started_epoch")
    return last is None or now - last >= every - 30  # the timer's own jitter must not skip a turn


def sync(settings, dry_run=False, say=print):
    """Run one copy; return the outcome dict (also recorded unless ``dry_run``)."""
    remote, root = settings.sync.remote, settings.storage.output_dir
    conf = config_path(settings)
    binary = rclone_binary()
    check_remote(remote, conf)
    state = SyncState(root)
    started = time.time()
    listed = [(day, dir_mtime(day.path)) for day in state.pending_days()]
    days = [day for day, _ in listed]
    say(f"copying {len(days)} day(s) not yet complete on {remote}"
        + (f" ({days[0].date} .. {days[-1].date})" if days else "") + " and the videos"
        + (" (dry run: nothing is copied)" if dry_run else ""))
    with tempfile.NamedTemporaryFile("w", prefix="timelapse-sync-", suffix=".filter") as rules:
        rules.write(filter_rules(days))
        rules.flush()
        command = copy_command(binary, root, remote, conf, rules.name, settings.sync.bwlimit, dry_run)
        ok, copied, error = run_copy(command, root)
    size = sum(_size(os.path.join(root, path)) for path in copied)
    finished = time.time()
    outcome = {"started": _iso(started), "started_epoch": started, "finished": _iso(finished), "ok": ok,
               "files": len(copied), "bytes": size, "error": error, "remote": remote,
               "seconds": round(finished - started, 1)}
    if not dry_run:
        if ok:
            state.mark_copied(listed, started)
        outcome["days_waiting"] = state.days_waiting()
        state.save_run(outcome)
    return outcome


def _size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def sync_command(args):
    """`timelapse sync [--dry-run] [--when-due]`: copy new images and videos to sync.remote now."""
    settings = config.load(args.config)
    remote = settings.sync.remote
    if not remote:
        print("sync.remote is not set: nothing to copy (see man timelapse.yml, SYNC)")
        return 0
    if args.when_due and not due(SyncState(settings.storage.output_dir), settings.sync.every, time.time()):
        return 0
    outcome = sync(settings, dry_run=args.dry_run)
    verb = "would copy" if args.dry_run else "copied"
    line = (f"{verb} {outcome['files']} file(s), {outcome['bytes'] / 1e6:.1f} MB to {remote} "
            f"in {outcome['seconds']:g} s")
    if outcome["ok"]:
        print(line + (f"; {outcome['days_waiting']} day(s) still waiting" if outcome.get("days_waiting") else ""))
        return 0
    print(f"timelapse: error: sync to {remote} failed: {outcome['error']} ({line}; the next run carries on)",
          file=sys.stderr)
    return 1
