"""Videos of a week, a month, the whole project (SPEC §18): the frames chosen, the video, its sidecar.

A period's frames are chosen in two streamed passes over its days (names only, one day at a
time): the first counts the images, the second keeps ``period_length × fps`` of them spread
evenly across the period in real-instant order. With a daily frame, each day gives at most one
(daily_frame.choose). Only the chosen frames are ever held (a few thousand paths), never an
image, so a project of years renders within a small machine's memory. Names and paths come from
timelapse.archive; the images are only read.
"""

import dataclasses
import datetime
import json
import os
import sys
from collections import namedtuple

from timelapse import archive
from timelapse.archive import Period
from timelapse.errors import NothingToRender, UsageError
from timelapse.render import daily_frame, overlay as overlays
from timelapse.render.encode import encode
from timelapse.render.frames import Frame, checked_frame
from timelapse.storage import write_atomically

# period: archive.Period; first, last: the days it covers here; frames: [frames.Frame] in order;
# left_out: days without a daily frame; fallbacks: [(day, why)] where 12:00 stood in for a sun event;
# skipped: [(path, why)] damaged frames.
Plan = namedtuple("Plan", "period daily first last frames left_out fallbacks skipped")


def period_of(kind, day):
    """Return the archive.Period of ``kind`` (week, month, project) holding ``day``."""
    return {"week": Period.week, "month": Period.month}[kind](day) if kind != "project" else Period.project()


def days_of(settings, kind, day, today):
    """Return (Period, first, last): the period of ``kind`` holding ``day`` (default yesterday), up to
    yesterday at most (the project: from render.project_start or its first day with images, up to
    ``day``). Raise NothingToRender if there is no image at all for the project."""
    yesterday = today - datetime.timedelta(days=1)
    day = min(day or yesterday, yesterday)
    period = period_of(kind, day)
    if kind == "project":
        first = settings.render.project_start or next(
            (found.date for found in archive.day_dirs(settings.storage.output_dir)), None)
        if first is None:
            raise NothingToRender(f"no images in {settings.storage.output_dir} for the project video")
        return period, first, day
    return period, period.first, min(period.last, yesterday)


def _dates(first, last):
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def spread(total, wanted):
    """Return ``wanted`` indices of ``total`` items spread evenly from the first to the last (all of them
    when there are not more), ascending and distinct."""
    if wanted >= total:
        return list(range(total))
    if wanted == 1:
        return [0]
    return [round(index * (total - 1) / (wanted - 1)) for index in range(wanted)]


def _when(date, image):
    """Return the naive local time an archive.Image was taken (fold 1 for the second pass of a repeated hour)."""
    return datetime.datetime.combine(date, image.name.time).replace(fold=int(image.name.second_pass))


def plan(settings, period, first, last, at=None):
    """Return the Plan of ``period``'s frames from ``first`` to ``last``: with ``at`` (a window.Moment) one
    per day (daily_frame), else render.period_length × render.fps spread evenly; damaged ones skipped."""
    days = _dates(first, last)
    if at is not None:
        return _daily_frames(settings, period, days, at)
    frames, skipped = [], []
    for found, bad in _spread_frames(settings, days):
        if found:
            frames.append(found)
        else:
            skipped.append(bad)
    return Plan(period, False, first, last, frames, [], [], skipped)


def _spread_frames(settings, days):
    """Yield (Frame, None) or (None, (path, why)) for the images spread evenly over ``days``: a first pass
    counts each day's images, a second lists only the days that hold a chosen one."""
    root, render = settings.storage.output_dir, settings.render
    counts = [len(archive.day_images(root, date)) for date in days]
    wanted = spread(sum(counts), max(1, round(render.period_length * render.fps)))
    start, pick = 0, 0
    for date, count in zip(days, counts):
        mine = []
        while pick < len(wanted) and wanted[pick] < start + count:
            mine.append(wanted[pick] - start)
            pick += 1
        images = archive.day_images(root, date) if mine else []
        for index in mine:
            if index < len(images):  # the day lost images between the passes (retention)
                yield checked_frame(images[index].path, _when(date, images[index]))
        start += count


def _daily_frames(settings, period, days, at):
    """Return the Plan of one frame a day at ``at`` (daily_frame.choose), naming the days left out."""
    root = settings.storage.output_dir
    frames, skipped, left_out, fallbacks = [], [], [], []
    for date in days:
        images = archive.day_images(root, date)
        if not images:
            continue
        goal = daily_frame.target(at, date, settings.capture.location)
        if goal.fallback:
            fallbacks.append((date, goal.fallback))
        candidates = [Frame(image.path, _when(date, image), None) for image in images]
        chosen = daily_frame.choose(candidates, goal.when, settings.capture.interval)
        found, bad = checked_frame(chosen.path, chosen.when) if chosen else (None, None)
        if bad:
            skipped.append(bad)
        if found:
            frames.append(found)
        else:
            left_out.append(date)
    return Plan(period, True, days[0], days[-1], frames, left_out, fallbacks, skipped)


def _settings_used(settings, at, overlay):
    render = settings.render
    return {"fps": render.fps, "period_length": render.period_length, "height": render.height,
            "quality": render.quality, "deflicker": render.deflicker,
            "daily_frame": None if at is None else list(at), "overlay": overlay}


def _newest_day_change(root, first, last):
    """Return the newest mtime of the period's day directories (a new or removed image changes it), or 0."""
    newest = 0.0
    for date in _dates(first, last):
        try:
            newest = max(newest, os.stat(archive.day_dir(root, date)).st_mtime)
        except OSError:
            continue
    return newest


def up_to_date(root, period, daily, first, last, used):
    """Return True if the period's video is newer than every day directory of its images and its sidecar
    says it was made of the same days with the same settings."""
    video, sidecar = archive.video_path(root, period, daily), archive.sidecar_path(root, period, daily)
    try:
        made = os.stat(video).st_mtime
        with open(sidecar, encoding="utf-8") as stream:
            said = json.load(stream)
    except (OSError, ValueError):
        return False
    same = isinstance(said, dict) and said.get("days") == [str(first), str(last)] and said.get("settings") == used
    return same and made > _newest_day_change(root, first, last)


def sidecar(plan_, root, instants, texts, used):
    """Return the sidecar's document: what the video is made of (SPEC §18)."""
    return {"kind": plan_.period.kind, "period": plan_.period.name, "daily": plan_.daily,
            "days": [str(plan_.first), str(plan_.last)], "frames": len(plan_.frames),
            "seconds": round(len(plan_.frames) / used["fps"], 3),
            "first": instants[0].isoformat() if instants else None,
            "last": instants[-1].isoformat() if instants else None,
            "paths": [os.path.relpath(frame.path, root) for frame in plan_.frames],
            "texts": texts if any(texts) else None, "overlay": used["overlay"], "settings": used,
            "left_out": [str(day) for day in plan_.left_out],
            "fallback": [{"day": str(day), "why": why} for day, why in plan_.fallbacks]}


def listing(settings, plan_, overlay):
    """Yield the JSON line of each chosen frame: {"path", "instant", "text"} (text null without overlay)."""
    for frame, instant, text in overlays.texts(settings, overlay, plan_.frames):
        yield json.dumps({"path": str(frame.path), "instant": instant.isoformat(), "text": text},
                         ensure_ascii=False)


def _warn(plan_, say_warning):
    for path, why in plan_.skipped:
        say_warning(f"skipped {path}: {why}")
    for day in plan_.left_out:
        say_warning(f"{day}: no daily frame (no steady frame near the chosen time): left out")
    for day, why in plan_.fallbacks:
        say_warning(f"{day}: {why}")


def _stderr(text):
    print(f"timelapse: warning: {text}", file=sys.stderr)


def render_period(settings, kind, day=None, today=None, at=None, overlay=None, force=False, say=print,
                  warn=_stderr):
    """Render the period video of ``kind`` holding ``day`` (default: the current one up to yesterday) and
    its sidecar; return the video's path, or None when it was up to date.

    ``at``: a window.Moment for one frame a day (a "-daily" video), None for period_length × fps spread
    evenly; ``overlay``: {"text", "position", "size"} or None. Raise NothingToRender if no frame is left.
    """
    root = settings.storage.output_dir
    period, first, last = days_of(settings, kind, day, today or datetime.date.today())
    _need_location(settings, at)
    daily = at is not None
    used = _settings_used(settings, at, overlay)
    video = archive.video_path(root, period, daily)
    if not force and up_to_date(root, period, daily, first, last, used):
        say(f"{video} is up to date (--force renders it again)")
        return None
    chosen = plan(settings, period, first, last, at)
    _warn(chosen, warn)
    if not chosen.frames:
        raise NothingToRender(f"no images to render for {period.name} ({first}..{last}) in {root}")
    described = list(overlays.texts(settings, overlay, chosen.frames))
    instants, texts = [item[1] for item in described], [item[2] for item in described]
    encode(settings, chosen.frames, video, f"{period.name} ({first}..{last})", texts=texts,
           drawtext=(lambda height: overlays.drawtext(overlay, height)) if overlay else None, say=say,
           warn=lambda damaged: [warn(f"skipped {path}: {why}") for path, why in damaged])
    document = sidecar(chosen, root, instants, texts, used)
    write_atomically(archive.sidecar_path(root, period, daily),
                     (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode(), replace=True)
    return video


def _need_location(settings, at):
    if at is not None and at.event != "clock" and settings.capture.location is None:
        raise UsageError(f"a daily frame at the sun's {at.event} needs capture.location {{latitude, longitude}}; "
                         f'or give a clock time, such as --daily-frame 12:00')


def render_due_periods(settings, today=None, say=print):
    """What the nightly run does after the day's video: each of render.periods holding yesterday, skipped when
    up to date; return the videos written. A period with nothing to render is said and passed over."""
    render, made = settings.render, []
    for kind in render.periods:
        try:
            video = render_period(settings, kind, today=today, at=render.daily_frame, overlay=render.overlay,
                                  say=say, warn=lambda text: say(f"warning: {text}"))
        except NothingToRender as exc:
            say(f"no {kind} video: {exc}")
            continue
        if video:
            made.append(video)
    return made


def period_command(settings, args, today=None, out=print):
    """`timelapse render --period KIND [DAY]` with --daily-frame [AT], --overlay TEXT / --no-overlay, --list;
    --fps, --height, --quality and --deflicker stand in for their render: settings (and the sidecar says so)."""
    import voluptuous as vol

    from timelapse.config.period_keys import overlay_text
    from timelapse.config.schedule_keys import moment
    from timelapse.render.command import parse_days

    for option, value, default in (("--output", args.output, None), ("--between", args.between, None),
                                   ("--every", args.every, 1)):
        if value != default:
            raise UsageError(f"{option} is for a day or FROM..TO; a --period video has its own name and chooses "
                             f"its frames by render.period_length or --daily-frame")
    today = today or datetime.date.today()
    day = parse_days(args.day, today)[0] if args.day else None
    given = {key: value for key in ("fps", "height", "quality", "deflicker")
             if (value := getattr(args, key, None)) is not None}
    if given.get("height") is not None and (given["height"] < 16 or given["height"] % 2):
        raise UsageError(f"--height: expected an even number of pixels of at least 16, got {given['height']}")
    settings = dataclasses.replace(settings, render=dataclasses.replace(settings.render, **given))
    at = settings.render.daily_frame
    if args.daily_frame == "":
        at = at or moment("noon" if settings.capture.location else "12:00")
    elif args.daily_frame is not None:
        text = args.daily_frame
        try:
            at = moment(text)
        except vol.Invalid as exc:
            raise UsageError(f"--daily-frame: {exc.msg}, got {text!r}") from None
    overlay = None if args.no_overlay else settings.render.overlay
    if args.overlay is not None:
        try:
            overlay = dict(overlay or {"position": "bottom-left", "size": 4}, text=overlay_text(args.overlay))
        except vol.Invalid as exc:
            raise UsageError(f"--overlay: {exc.msg}") from None
    if args.list:
        _need_location(settings, at)
        period, first, last = days_of(settings, args.period, day, today)
        chosen = plan(settings, period, first, last, at)
        _warn(chosen, _stderr)
        for line in listing(settings, chosen, overlay):
            out(line)
        return 0
    render_period(settings, args.period, day, today, at, overlay, force=args.force)
    return 0
