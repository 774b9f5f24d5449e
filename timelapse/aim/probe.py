"""One look at an image for the alerts process, in a child process (SPEC §20).

The alerts process lives for months in about 20 MB; numpy and Pillow would double that for a check
made once an hour. So the check runs here, in a short-lived child:

    python3 -m timelapse.aim.probe OUTPUT_DIR IMAGE [--location LAT LON] [--adopt]

prints one JSON line: {"daylight": bool, "shift": {"dx", "dy", "confidence", "verdict", "why"} or
null, "reference": the reference's record or null, "error": text or null}. ``--adopt``: without a
reference, a daylight image becomes it.

Daylight is the sun above the horizon at the location when one is given; else a short exposure in
the image's EXIF (a camera's auto exposure makes a night image bright too); else a bright image.
"""

import argparse
import datetime
import json
import subprocess
import sys

DAYLIGHT_BRIGHTNESS = 0.2  # mean grey (0..1) of a daylight image, without a location or EXIF
DAYLIGHT_EXPOSURE = 0.02  # seconds × gain: longer is dusk or night (an overcast noon is about 1/250 s)
TIMEOUT = 60  # seconds a probe may take (a Pi Zero under load)


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


def is_daylight(root, image, reduced, location=None):
    """Return True if ``image`` (a path under ``root``; ``reduced`` its aim.shift.Reduced) was taken in daylight.

    ``location``: (latitude, longitude) or None.
    """
    if reduced.readable is not None:
        return False
    if location is not None:
        from timelapse.aim.reference import image_time
        from timelapse.sun import elevation

        taken = image_time(root, image)
        when = datetime.datetime.fromisoformat(taken).astimezone() if taken else datetime.datetime.now().astimezone()
        return elevation(when, *location) > 0
    taken = exposure(image)
    return taken <= DAYLIGHT_EXPOSURE if taken is not None else reduced.brightness >= DAYLIGHT_BRIGHTNESS


def probe(root, image, location=None, adopt=False):
    """Return the probe's answer (see the module's docstring) for ``image`` under ``root``."""
    from timelapse.aim import check
    from timelapse.aim.reference import read_reference, set_reference
    from timelapse.errors import TimelapseError

    answer = {"daylight": False, "shift": None, "reference": read_reference(root), "error": None}
    try:
        reduced = check.readable(image)
        answer["daylight"] = is_daylight(root, image, reduced, location)
        if not answer["daylight"]:
            return answer
        if answer["reference"] is None:
            if adopt:
                answer["reference"] = set_reference(root, image)
            return answer
        shift, _ = check.measure(root, image)
        answer["shift"] = {"dx": shift.dx, "dy": shift.dy, "confidence": shift.confidence, "verdict": shift.verdict,
                           "why": check.as_json(shift, answer["reference"])["why"]}
    except (TimelapseError, OSError) as exc:
        answer["error"] = str(exc)
    return answer


def run_probe(root, image, location=None, adopt=False, timeout=TIMEOUT):
    """Return probe() as answered by a child process; {"error": ...} if it fails or takes too long."""
    command = [sys.executable, "-m", "timelapse.aim.probe", str(root), str(image)]
    if location is not None:
        command += ["--location", str(location[0]), str(location[1])]
    if adopt:
        command.append("--adopt")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"the aim check took more than {timeout} s"}
    except OSError as exc:
        return {"error": f"the aim check cannot start: {exc}"}
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        return answer if isinstance(answer, dict) else {"error": "the aim check gave no answer"}
    except (ValueError, IndexError):
        return {"error": f"the aim check failed: {done.stderr.strip()[-300:] or 'no answer'}"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m timelapse.aim.probe", description=__doc__.split("\n")[0])
    parser.add_argument("root")
    parser.add_argument("image")
    parser.add_argument("--location", nargs=2, type=float, metavar=("LATITUDE", "LONGITUDE"))
    parser.add_argument("--adopt", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(probe(args.root, args.image, tuple(args.location) if args.location else None, args.adopt)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
