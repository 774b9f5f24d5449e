"""A night's products, each made from the night's frames: startrails, meteor candidates, the star
count through the night, and (with ffmpeg) its video and keogram (SPEC §19). Paths: timelapse.archive."""

import datetime
import json
import shutil
import time

from timelapse import archive
from timelapse.errors import NothingToRender
from timelapse.night.frames import night_frames, night_span
from timelapse.night.meteors import as_json, crop, search
from timelapse.night.startrails import jpeg, startrails
from timelapse.night.stars import sky_of
from timelapse.night.survey import stars_of, survey
from timelapse.night.video import warn_skipped
from timelapse.storage import write_atomically

REASONS = ("dusk", "dawn", "lit", "unreadable")


def _iso(epoch):
    return datetime.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def last_ended(capture, now=None):
    """Return the evening of the last night whose span has closed by ``now`` (epoch; default the clock):
    run shortly after midnight, the night before last; run after dawn, last night."""
    now = time.time() if now is None else now
    evening = datetime.date.fromtimestamp(now) - datetime.timedelta(days=1)
    while night_span(capture, evening).closes > now:
        evening -= datetime.timedelta(days=1)
    return evening


def the_night(settings, evening):
    """Return (Period, NightSpan, [NightFrame]) of the night that begins on ``evening``; raise
    NothingToRender when it has no images."""
    root = settings.storage.output_dir
    span = night_span(settings.capture, evening)
    frames = night_frames(root, span)
    if not frames:
        raise NothingToRender(f"no images for the night of {evening} ({span.source}, {_iso(span.opens)} to "
                              f"{_iso(span.closes)}) in {root}")
    return archive.Period.night(evening), span, frames


def header(period, span, frames, surveyed):
    """Return the JSON header every night file starts with: the night, its span, frames, those left out."""
    return {"night": period.name, "from": _iso(span.opens), "until": _iso(span.closes), "span": span.source,
            "frames": len(frames), "dark_frames": sum(1 for item in surveyed.frames if item.reason is None),
            "left_out": {reason: surveyed.left_out.get(reason, 0) for reason in REASONS},
            "note": surveyed.note}


def _write_json(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, (json.dumps(document, indent=1) + "\n").encode(), replace=True)


def write_stars(settings, period, span, frames, surveyed, counts):
    """Write the night's sidecar (``…-night.json``): its header and each frame's star count (``counts``:
    path -> stars, the dark frames') and sky (``unknown`` for the frames left out)."""
    root = settings.storage.output_dir
    stars = [{"time": _iso(item.frame.instant), "stars": counts.get(item.frame.path),
              "sky": sky_of(counts.get(item.frame.path), item.reason is None)} for item in surveyed.frames]
    dark = [count for count in counts.values() if count is not None]
    document = header(period, span, frames, surveyed)
    document.update(sky=sky_of(sorted(dark)[len(dark) // 2] if dark else None), stars=stars)
    path = archive.sidecar_path(root, period)
    _write_json(path, document)
    return path


def make_startrails(settings, evening, full=False, say=print):
    """Write the startrails of the night that begins on ``evening`` and its star counts; return the
    startrails' path. Raise NothingToRender when the night has no images or no dark frame."""
    period, span, frames = the_night(settings, evening)
    surveyed = survey(frames)
    if surveyed.note:
        say(f"startrails: {surveyed.note}")
    dark = [item.frame.path for item in surveyed.frames if item.reason is None]
    left = ", ".join(f"{count} {reason}" for reason, count in sorted(surveyed.left_out.items())) or "none"
    say(f"startrails of the night of {period.name}: {len(dark)} dark frames of {len(frames)}; left out: {left}")
    skipped, counts = [], {}
    image, used = startrails(dark, full=full, skipped=skipped,
                             each=lambda path, frame: counts.__setitem__(path, stars_of(frame)))
    warn_skipped(skipped)
    write_stars(settings, period, span, frames, surveyed, counts)
    if image is None:
        raise NothingToRender(f"no readable dark frame for the startrails of the night of {period.name}")
    path = archive.product_path(settings.storage.output_dir, archive.Product(period, "startrails"))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, jpeg(image), replace=True)
    say(f"wrote {path} ({used} frames, {image.width}x{image.height})")
    return path


def find_meteors(settings, evening, say=print):
    """Search the night that begins on ``evening`` for meteor candidates; write ``…-meteors.json`` and a
    crop per candidate (``…-meteors/N.jpg``); return the JSON document."""
    root = settings.storage.output_dir
    period, span, frames = the_night(settings, evening)
    surveyed = survey(frames)
    skipped = []
    candidates, rejected = search(frames, skipped, lit=[item.frame.path for item in surveyed.frames
                                                       if item.reason == "lit"])
    warn_skipped(skipped)
    folder = archive.product_path(root, archive.Product(period, "meteor", number=1)).parent
    shutil.rmtree(folder, ignore_errors=True)  # the crops of an earlier search
    listed = []
    for number, candidate in enumerate(candidates, 1):
        entry = as_json(candidate, root)
        path = archive.product_path(root, archive.Product(period, "meteor", number=number))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, jpeg(crop(candidate)), replace=True)
        entry["crop"] = path.relative_to(root).as_posix()
        listed.append(entry)
    document = header(period, span, frames, surveyed)
    document.update(rejected=dict(sorted(rejected.items())), candidates=listed)
    _write_json(archive.product_path(root, archive.Product(period, "meteors")), document)
    say(f"meteors of the night of {period.name}: {len(listed)} candidate(s) in {len(frames)} frames; "
        f"{rejected.get('moving on', 0)} streak(s) moving on (satellites, aircraft) rejected")
    return document
