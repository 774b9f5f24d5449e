"""The nightly run of timelapse-render.service (`timelapse render --nightly`, SPEC §12): a list of steps.

Each step is ``step(night)`` and does one kind of product for the days it is due, saying what it did
or why it did nothing; a step's failure is recorded on the `Night` and does not stop the steps
after it. The run catches up: a day of the last `CATCH_UP_DAYS` with images and no up-to-date
product (a failed night, a machine that was off) is done again, oldest first; older days are
never touched. Add a kind of product (periods, nights) as one more function in `STEPS`.
"""

import datetime

from timelapse.archive import Period, day_images, keogram_path, video_path
from timelapse.errors import ClockUntrusted, NothingToRender, TimelapseError, ToolMissing
from timelapse.mounts import watch_for
from timelapse.render import ffmpeg
from timelapse.render.command import render_video, up_to_date, write_keogram
from timelapse.render.retention import apply_video_retention

CATCH_UP_DAYS = 7


class Night:
    """One nightly run: ``settings``, ``today`` (a date: the days before it are due), ``say`` (one
    line of the journal), and ``failed``: what went wrong (the run exits 1 if anything did)."""

    def __init__(self, settings, today, say):
        self.settings, self.today, self.say = settings, today, say
        self.root = settings.storage.output_dir
        self.failed = []

    def recent_days(self):
        """[(date, [Image])] of the last CATCH_UP_DAYS days before today that have images, oldest first."""
        dates = (self.today - datetime.timedelta(days=n) for n in range(CATCH_UP_DAYS, 0, -1))
        return [(date, images) for date, images in ((d, day_images(self.root, d)) for d in dates) if images]

    def fail(self, what, exc):
        self.say(f"{what} failed: {exc}")
        self.failed.append(what)


def day_videos(night):
    """Each due day's video (yesterday, and any day of the last week whose video is missing or stale)."""
    if not night.settings.render.daily:
        night.say("render.daily is false: no nightly video")
        return
    try:
        ffmpeg.ffmpeg_binary()
    except ToolMissing as exc:
        night.say(f"no nightly video: {exc}")
        return
    days = night.recent_days()
    if not days:
        night.say(f"no nightly video: no images to render in the last {CATCH_UP_DAYS} days in {night.root}")
        return
    due = [date for date, images in days if not up_to_date(video_path(night.root, Period.day(date)), images)]
    if not due:
        night.say(f"every video of the last {CATCH_UP_DAYS} days is up to date")
    for date in due:
        try:
            render_video(night.settings, date, date, say=night.say)
        except NothingToRender as exc:
            night.say(f"no video for {date}: {exc}")
        except TimelapseError as exc:
            night.fail(f"the video of {date}", exc)


def day_keograms(night):
    """Each due day's keogram (made without ffmpeg, so also where it is missing or failed)."""
    render = night.settings.render
    if not (render.daily and render.keogram):
        return
    for date, images in night.recent_days():
        if up_to_date(keogram_path(night.root, Period.day(date)), images):
            continue
        try:
            write_keogram(night.settings, date, say=night.say)
        except NothingToRender as exc:
            night.say(f"no keogram for {date}: {exc}")
        except (TimelapseError, OSError) as exc:
            night.fail(f"the keogram of {date}", exc)


def video_retention(night):
    """render.retention_days: delete videos and keograms older than that (never on an untrusted clock)."""
    settings = night.settings
    days = settings.render.retention_days
    if not days:
        return
    try:
        gone = apply_video_retention(night.root, days, trust_clock=settings.storage.trust_clock)
    except ClockUntrusted as exc:
        night.say(f"render.retention_days: {exc}")
        return
    if gone:
        night.say(f"render.retention_days: deleted {len(gone)} video(s)/keogram(s) older than {days} days")


def period_videos(night):
    """render.periods (SPEC §18): the periods in progress up to yesterday, after the day's videos."""
    if not night.settings.render.periods:
        return
    from timelapse.render.periods import render_due_periods

    try:
        render_due_periods(night.settings, night.today, say=night.say)
    except ToolMissing as exc:
        night.say(f"no period videos: {exc}")
    except (TimelapseError, OSError) as exc:
        night.fail("the period videos", exc)


def night_products(night):
    """render.night (SPEC §19): the night just ended as one unit (its keogram and startrails need no ffmpeg)."""
    if not night.settings.render.night:
        return
    from timelapse.night import render_night

    try:
        failed = render_night(night.settings, say=night.say)
    except (TimelapseError, OSError) as exc:
        night.fail("the night's products", exc)
        return
    if failed:
        night.failed.append(f"{failed} of the night's products")


STEPS = (day_videos, day_keograms, period_videos, night_products, video_retention)


def nightly(settings, say=print, today=None):
    """Run every step of `STEPS` for the night before ``today`` (default: the local date); return the
    exit code: 0, or 1 when a render failed (the others are done anyway and tried again tomorrow)."""
    away = watch_for(settings).missing()
    if away:  # what is there is the directory left underneath, on the SD card (SPEC §6)
        say(f"no nightly render: the drive of {settings.storage.output_dir} is not mounted at {away}")
        return 0
    night = Night(settings, today or datetime.date.today(), say)
    for step in STEPS:
        step(night)
    if night.failed:
        say(f"nightly render: {len(night.failed)} failed ({'; '.join(night.failed)}); tried again tomorrow")
        return 1
    return 0
