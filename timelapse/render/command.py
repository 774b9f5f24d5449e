"""`timelapse render` and `timelapse keogram` (the nightly run of timelapse-render.service: render/nightly.py)."""

import datetime
import os
import sys
from pathlib import Path

import voluptuous as vol

from timelapse import config
from timelapse.archive import Period, keogram_path, video_path
from timelapse.config.schedule_keys import active_hours
from timelapse.errors import NothingToRender, UsageError
from timelapse.render import ffmpeg
from timelapse.render.encode import encode
from timelapse.render.frames import select
from timelapse.render.keogram import keogram
from timelapse.storage import write_atomically



def parse_days(text, today=None):
    """Return (first, last) dates from "YYYY-MM-DD", "FROM..TO", "yesterday" or "today"."""
    today = today or datetime.date.today()
    named = {"today": today, "yesterday": today - datetime.timedelta(days=1)}

    def one(word):
        if word in named:
            return named[word]
        try:
            return datetime.date.fromisoformat(word)
        except ValueError:
            raise UsageError(f"expected a day as YYYY-MM-DD, yesterday or today, or FROM..TO, got {text!r}") from None

    first, _, last = text.partition("..")
    first, last = one(first), one(last) if last else one(first)
    if last < first:
        raise UsageError(f"expected FROM..TO with FROM not after TO, got {text!r}")
    return first, last


def parse_between(text):
    """Return (start, end) minutes of a "HH:MM-HH:MM" part of each day, or None."""
    if text is None:
        return None
    try:
        window = active_hours(text)
    except vol.Invalid:
        raise UsageError(f'--between: expected "HH:MM-HH:MM" with start != end, such as "06:00-18:00", '
                         f"got {text!r}") from None
    return window.start.minute, window.end.minute


def dates_of(first, last):
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def up_to_date(output, frames):
    """Return True if ``output`` is newer than every frame (a late image makes it stale)."""
    try:
        made = os.stat(output).st_mtime
    except OSError:
        return False
    try:
        return all(os.stat(frame.path).st_mtime < made for frame in frames)
    except OSError:  # a frame went away meanwhile (retention): render again rather than fail
        return False


def _warn_skipped(skipped):
    for path, why in skipped:
        print(f"timelapse: warning: skipped {path}: {why}", file=sys.stderr)


def render_video(settings, first, last, between=None, every=1, fps=None, height=None, quality=None,
                 deflicker=None, output=None, force=False, say=print):
    """Render the days' frames to a video; return its path, or None when it was up to date."""
    root = settings.storage.output_dir
    ffmpeg.ffmpeg_binary()
    selection = select(root, dates_of(first, last), between, every)
    _warn_skipped(selection.skipped)
    frames = selection.frames
    span = str(first) if first == last else f"{first}..{last}"
    if not frames:
        raise NothingToRender(f"no images to render for {span} in {root}")
    output = Path(output) if output else video_path(root, Period.days(first, last))
    if not force and up_to_date(output, frames):
        say(f"{output} is up to date ({len(frames)} frames; --force renders it again)")
        return None
    encode(settings, frames, output, span, fps=fps, height=height, quality=quality, deflicker=deflicker, say=say,
           warn=_warn_skipped)
    return output


def write_keogram(settings, day, say=print):
    """Write the day's keogram beside its video; return its path."""
    root = settings.storage.output_dir
    selection = select(root, [day])
    _warn_skipped(selection.skipped)
    if not selection.frames:
        raise NothingToRender(f"no images for a keogram of {day} in {root}")
    path = keogram_path(root, Period.day(day))
    damaged = []
    data, columns = keogram([frame.path for frame in selection.frames], skipped=damaged)
    _warn_skipped(damaged)
    if not columns:
        raise NothingToRender(f"no readable images for a keogram of {day} in {root}")
    write_atomically(path, data, replace=True)
    say(f"wrote {path} ({columns} columns)")
    return path


def render_command(args):
    settings = config.load(args.config)
    if args.nightly:
        from timelapse.render.nightly import nightly  # (it uses this module)

        return nightly(settings)
    if getattr(args, "night", False):
        from timelapse.night.command import render_night_command
        return render_night_command(args)
    if getattr(args, "queue", False):  # SPEC §18: the videos asked for on the web
        from timelapse.render.queued import process_queue
        return process_queue(settings)
    if args.period or args.list or args.daily_frame is not None or args.overlay is not None or args.no_overlay:
        if not args.period:
            raise UsageError("--daily-frame, --overlay, --no-overlay and --list go with --period week|month|project")
        from timelapse.render.periods import period_command
        return period_command(settings, args)
    first, last = parse_days(args.day or "yesterday")
    if args.every < 1:
        raise UsageError(f"--every: expected a whole number of at least 1, got {args.every}")
    height = args.height
    if height is not None and (height < 16 or height % 2):
        raise UsageError(f"--height: expected an even number of pixels of at least 16, got {height}")
    render_video(settings, first, last, between=parse_between(args.between), every=args.every, fps=args.fps,
                 height=height, quality=args.quality, deflicker=args.deflicker, output=args.output,
                 force=args.force)
    return 0


def keogram_command(args):
    settings = config.load(args.config)
    first, last = parse_days(args.day or "yesterday")
    for day in dates_of(first, last):
        write_keogram(settings, day)
    return 0
