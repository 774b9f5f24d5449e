"""The alerts process's aim check: hourly, in daylight; two checks in a row past alerts.moved are "moved"
(SPEC §20).

``judge`` is called at every alerts check (every 15 s) and costs two small file reads between
checks. When a check is due (EVERY seconds since the last, or the reference changed), a child
process (aim.probe: numpy and Pillow stay out of the alerts process) looks at the newest image; the
result, and the run of checks past ``moved``, are kept in ``.aim/last.json``:

- a check past ``moved`` adds one to the run; two in a row make the camera "moved";
- once moved, it stays moved until a check finds it within half of ``moved`` (or a new reference
  is set: the run starts over against it);
- a check without a verdict (too dark, too featureless, a weak match) changes nothing, and an
  image out of daylight is not checked at all.

Without a reference, the first daylight image becomes it.
"""

import logging
import math
import os

from timelapse.aim.probe import run_probe
from timelapse.aim.reference import image_time, read_last, read_reference, write_last
from timelapse.aim.words import in_words

log = logging.getLogger(__name__)

EVERY = 3600.0  # seconds between checks
EVERY_VARIABLE = "TIMELAPSE_AIM_EVERY"  # tests check more often
RUN = 2  # checks in a row past alerts.moved before "moved"


def check_every(environ=os.environ):
    """Return the seconds between aim checks (EVERY, or $TIMELAPSE_AIM_EVERY for tests)."""
    try:
        return max(0.0, float(environ.get(EVERY_VARIABLE, EVERY)))
    except ValueError:
        return EVERY


def step(last, shift, moved):
    """Return the next record of the run from ``last`` after a check's ``shift`` {"dx", "dy", "confidence",
    "verdict", "why"} (pure)."""
    record = dict(last, **shift)
    if not shift["verdict"]:
        return record
    length = math.hypot(shift["dx"], shift["dy"])
    run, was_moved = last.get("run", 0), last.get("moved", False)
    if length > moved:
        run += 1
    elif length <= moved / 2 or not was_moved:
        run = 0
    return dict(record, run=run, moved=run >= RUN or (was_moved and length > moved / 2))


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
        if image and now - last.get("looked", 0) >= every:  # a night's images are not all looked at
            answer = run_probe(root, image, _location(settings), adopt=True)
            if answer.get("error"):
                log.warning("aim: cannot make %s the reference: %s", image, answer["error"])
            elif answer.get("reference"):
                log.info("aim: %s is the aim reference (taken %s)", image, answer["reference"]["time"])
            _save(root, {"looked": now})
        return None
    if last.get("reference_set") != reference["set"]:
        # A new reference: start over (an incident resolves). It was the view a moment ago: the first
        # check against it is due a period from now.
        _save(root, {"reference_set": reference["set"], "reference": reference["time"], "run": 0, "moved": False,
                     "checked": now})
        return False
    if now - last.get("checked", 0) < every:
        return _finding(last, moved)
    if image and image != last.get("image"):
        last = _check(settings, now, image, last, moved)
    return _finding(last, moved)


def _location(settings):
    location = settings.capture.location
    return None if location is None else (location.latitude, location.longitude)


def _check(settings, now, image, last, moved):
    root = settings.storage.output_dir
    answer = run_probe(root, image, _location(settings))
    if answer.get("error"):
        log.warning("aim: cannot check %s: %s", image, answer["error"])
        return last
    if not answer.get("daylight") or not answer.get("shift"):
        record = dict(last, checked=now)  # night: look again in an hour
        _save(root, record)
        return record
    shift = answer["shift"]
    record = dict(step(last, shift, moved), checked=now, image=image, time=image_time(root, image))
    log.info("aim: %s is %s from the reference (confidence %.2f)%s", image, in_words(shift["dx"], shift["dy"]),
             shift["confidence"], "" if shift["verdict"] else f": no verdict ({shift['why']})")
    _save(root, record)
    return record


def _save(root, record):
    try:
        write_last(root, record)
    except OSError as exc:
        log.warning("aim: cannot write %s/.aim/last.json: %s", root, exc)


def _finding(last, moved):
    if not last.get("moved"):
        return False
    dx, dy = last.get("dx", 0), last.get("dy", 0)
    return (f"the picture is {in_words(dx, dy)} from the aim reference of {last.get('reference')} "
            f"({math.hypot(dx, dy):.0f} px; alerts.moved: {moved} px)")


def summary(root):
    """Return the last shift for the status, /api/status and /metrics: {"dx", "dy", "length", "confidence",
    "verdict", "moved", "checked", "image", "reference"}, or None without a reference."""
    reference = read_reference(root)
    if reference is None:
        return None
    last = read_last(root) or {}
    fresh = last.get("reference_set") == reference["set"] and "dx" in last and "dy" in last
    dx, dy = (last["dx"], last["dy"]) if fresh else (None, None)
    return {"reference": reference["time"], "dx": dx, "dy": dy,
            "length": round(math.hypot(dx, dy), 1) if fresh else None,
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
