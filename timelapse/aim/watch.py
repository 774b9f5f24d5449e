"""The alerts process's aim check: hourly, in daylight; two checks in a row past alerts.moved are "moved"
(SPEC §20).

``judge`` is called at every alerts check (every 15 s) and costs one small file read between
checks. When a check is due (EVERY seconds since the last, or the reference changed) and it is
daylight, it measures the newest image against the reference and keeps the result, and the run of
checks past ``moved``, in ``.aim/last.json``:

- a check past ``moved`` adds one to the run; two in a row make the camera "moved";
- once moved, it stays moved until a check finds it within half of ``moved`` (or a new reference
  is set: the run starts over against it);
- a check without a verdict (too dark, too featureless, a weak match) changes nothing.

Without a reference, the first daylight image becomes it. Daylight is the sun above the horizon at
capture.location when that is set, else a short exposure in the image's EXIF (DAYLIGHT_EXPOSURE; a
camera's auto exposure makes a night image bright too), else an image bright enough.
"""

import datetime
import logging
import os

from timelapse.aim import check as aim_check
from timelapse.aim.check import in_words
from timelapse.aim.reference import image_time, read_last, read_reference, set_reference, write_last
from timelapse.errors import TimelapseError

log = logging.getLogger(__name__)

EVERY = 3600.0  # seconds between checks
EVERY_VARIABLE = "TIMELAPSE_AIM_EVERY"  # tests check more often
DAYLIGHT_BRIGHTNESS = 0.2  # mean grey (0..1) of a daylight image, without a location or EXIF
DAYLIGHT_EXPOSURE = 0.02  # seconds × gain: longer is dusk or night (an overcast noon is about 1/250 s)
RUN = 2  # checks in a row past alerts.moved before "moved"


def check_every(environ=os.environ):
    """Return the seconds between aim checks (EVERY, or $TIMELAPSE_AIM_EVERY for tests)."""
    try:
        return max(0.0, float(environ.get(EVERY_VARIABLE, EVERY)))
    except ValueError:
        return EVERY


def exposure(path):
    """Return the exposure time × analogue gain (seconds) an image's EXIF records (SPEC §16), or None."""
    from PIL import Image

    from timelapse.exif import EXIF_IFD, EXPOSURE_TIME, ISO_SPEED_RATINGS

    try:
        with Image.open(path) as image:
            tags = image.getexif().get_ifd(EXIF_IFD)
        seconds, iso = tags.get(EXPOSURE_TIME), tags.get(ISO_SPEED_RATINGS)
        return float(seconds) * (float(iso) / 100 if iso else 1.0) if seconds else None
    except Exception:  # no EXIF, a damaged block: judge by brightness
        return None


def is_daylight(settings, image, reduced):
    """Return True if ``image`` (a path; ``reduced`` its aim.shift.Reduced) was taken in daylight: the sun
    above the horizon at capture.location; else a short exposure in its EXIF; else a bright image."""
    location = settings.capture.location
    if location is None:
        if reduced.readable is not None:
            return False
        taken = exposure(image)
        return taken <= DAYLIGHT_EXPOSURE if taken is not None else reduced.brightness >= DAYLIGHT_BRIGHTNESS
    from timelapse.sun import elevation

    taken = image_time(settings.storage.output_dir, image)
    when = datetime.datetime.fromisoformat(taken).astimezone() if taken else datetime.datetime.now().astimezone()
    return elevation(when, location.latitude, location.longitude) > 0 and reduced.readable is None


def step(last, shift, moved):
    """Return the next record of the run from ``last`` after a check's aim.shift.Shift (pure)."""
    record = dict(last, dx=shift.dx, dy=shift.dy, confidence=shift.confidence, verdict=shift.verdict,
                  why=aim_check.as_json(shift, {"time": None})["why"])
    if not shift.verdict:
        return record
    run, was_moved = last.get("run", 0), last.get("moved", False)
    if shift.length > moved:
        run += 1
    elif shift.length <= moved / 2 or not was_moved:
        run = 0
    return dict(record, run=run, moved=run >= RUN or (was_moved and shift.length > moved / 2))


def judge(settings, now, image, every=None):
    """Return what the camera_moved rule sees: a finding in words if the camera has moved, False if not,
    None if it cannot be judged (alerts.moved off counts as not moved; no reference yet: None).

    ``image`` is the newest image's path (or None); ``now`` epoch seconds.
    """
    moved = settings.alerts.moved
    if moved is None:
        return False
    root, every = settings.storage.output_dir, check_every() if every is None else every
    reference, last = read_reference(root), read_last(root) or {}
    if reference is None:
        if image and now - last.get("looked", 0) >= every:  # a night's images are not all decoded
            _first_reference(settings, image, now)
            _save(root, {"looked": now})
        return None
    if last.get("reference_set") != reference["set"]:  # a new reference: start over (an incident resolves)
        last = {"reference_set": reference["set"], "reference": reference["time"], "run": 0, "moved": False}
        _save(root, last)
    elif now - last.get("checked", 0) < every:
        return _finding(last, moved)
    if image and image != last.get("image"):
        last = _check(settings, now, image, last, moved)
    return _finding(last, moved)


def _check(settings, now, image, last, moved):
    root = settings.storage.output_dir
    try:
        reduced = aim_check.readable(image)
        if not is_daylight(settings, image, reduced):
            record = dict(last, checked=now)  # night: look again in an hour
            _save(root, record)
            return record
        shift, _ = aim_check.measure(root, image)
    except TimelapseError as exc:
        log.warning("aim: cannot check %s: %s", image, exc)
        return last
    record = dict(step(last, shift, moved), checked=now, image=image, time=image_time(root, image))
    log.info("aim: %s is %s from the reference (confidence %.2f)%s", image, aim_check.in_words(shift.dx, shift.dy),
             shift.confidence, "" if shift.verdict else f": no verdict ({record['why']})")
    _save(root, record)
    return record


def _first_reference(settings, image, now):
    if not image:
        return
    try:
        reduced = aim_check.readable(image)
        if is_daylight(settings, image, reduced):
            record = set_reference(settings.storage.output_dir, image, now)
            log.info("aim: %s is the aim reference (taken %s)", image, record["time"])
    except (TimelapseError, OSError) as exc:
        log.warning("aim: cannot make %s the reference: %s", image, exc)


def _save(root, record):
    try:
        write_last(root, record)
    except OSError as exc:
        log.warning("aim: cannot write %s/.aim/last.json: %s", root, exc)


def _finding(last, moved):
    if not last.get("moved"):
        return False
    dx, dy = last.get("dx", 0), last.get("dy", 0)
    return (f"the picture is {aim_check.in_words(dx, dy)} from the aim reference of {last.get('reference')} "
            f"({(dx * dx + dy * dy) ** 0.5:.0f} px; alerts.moved: {moved} px)")


def summary(root):
    """Return the last shift for the status, /api/status and /metrics: {"dx", "dy", "length", "confidence",
    "verdict", "moved", "checked", "image", "reference"}, or None without a reference."""
    reference = read_reference(root)
    if reference is None:
        return None
    last = read_last(root) or {}
    fresh = last.get("reference_set") == reference["set"] and "dx" in last
    dx, dy = (last["dx"], last["dy"]) if fresh else (None, None)
    return {"reference": reference["time"], "dx": dx, "dy": dy,
            "length": round((dx * dx + dy * dy) ** 0.5, 1) if fresh else None,
            "confidence": last.get("confidence") if fresh else None, "verdict": last.get("verdict") if fresh else None,
            "moved": bool(last.get("moved")) if fresh else False, "image": last.get("image") if fresh else None,
            "checked": last.get("time") if fresh else None}


def summary_text(aim):
    """Return a summary() in words: "2 px left, 14 px down from the reference of ... (checked ...)"."""
    if aim["length"] is None:
        return f"reference of {aim['reference']}, not checked yet"
    said = in_words(aim["dx"], aim["dy"]) + (" (no verdict)" if not aim["verdict"] else "")
    return f"{said} from the reference of {aim['reference']}{', MOVED' if aim['moved'] else ''} " \
           f"(checked {aim['checked']})"


def summary_line(aim):
    """Return `timelapse status`'s line for a summary()."""
    return f"  {'aim:':<19}{summary_text(aim)}"
