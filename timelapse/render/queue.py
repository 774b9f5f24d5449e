"""Videos asked for on the web (SPEC §18): the request, where it waits, and what both sides may trust.

The web (user timelapse-web) writes each request as a small JSON file in its own state directory
(``queue_dir``); the renderer (user timelapse, ``timelapse render --queue``) only reads that
directory and writes each request's progress to ``videos/requests/ID.json`` under output_dir
(archive.request_status_path), which the web reads. Neither side trusts the other: both parse a
request with ``parse_request`` into dates, minutes and whole numbers (never a path), a file is read
only when it is a regular file (no symlink followed) of at most MAX_BYTES, and its name must be an
id (REQUEST_ID). A request, as the web takes it and as it is kept::

    {"first": "2026-11-01", "last": "2026-11-21",   # days, first before last, at most MAX_DAYS
     "between": "06:00-18:00" | null,               # only that part of each day
     "every": 10 | null,                            # every Nth frame (1..MAX_EVERY)
     "daily_frame": "12:00" | "noon" | null,        # or one frame a day (not with between or every)
     "overlay": "{time:%Y-%m-%d}" | null}           # text drawn on the video

A progress document is ``{"id", "state": queued|rendering|done|failed, "done", "total", "error",
"video": "videos/YYYY/FROM_TO.mp4" | null, "updated"}``.
"""

import datetime
import json
import os
import re
import stat
from collections import namedtuple
from pathlib import Path

import voluptuous as vol

from timelapse import archive
from timelapse.errors import BadRequest
from timelapse.storage import write_atomically

# TODO(lead): once the settings branch (SPEC §17) is merged, web.settings names the web layer in the
# web unit's StateDirectory and queue_dir uses its folder; until then (and for web.settings: null)
# the queue is in this constant's folder. $TIMELAPSE_WEB_STATE, when set, comes first (the tests set
# it for the web and the renderer alike, whatever web.settings' default is).
WEB_STATE_DIR = "/var/lib/timelapse-web"
QUEUE = "render-queue"
REQUEST_ID = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}")
MAX_BYTES = 4096  # a request file or a progress file larger than this is refused
MAX_DAYS = 366
MAX_EVERY = 10000
MAX_PENDING = 5  # requests not yet done or failed; the web refuses more
MAX_KEPT = 20  # requests listed (and kept in the queue) once done or failed
KEYS = ("first", "last", "between", "every", "daily_frame", "overlay")
FINISHED = ("done", "failed")

# first, last: datetime.date; between: (start, end) minutes or None; every: int >= 1;
# daily_frame: window.Moment or None; overlay: the text or None; document: the normalised JSON.
Request = namedtuple("Request", "first last between every daily_frame overlay document")


def queue_dir(settings):
    """Return the folder where requested videos wait: ``render-queue/`` in $TIMELAPSE_WEB_STATE when set,
    else beside the web layer of settings (web.settings, SPEC §17), else in the web unit's state
    directory (/var/lib/timelapse-web)."""
    layer = getattr(settings.web, "settings", None)
    base = os.environ.get("TIMELAPSE_WEB_STATE") or (os.path.dirname(str(layer)) if layer else WEB_STATE_DIR)
    return Path(base, QUEUE)


def _text(document, key, limit):
    value = document.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(f"{key}: expected a text of at most {limit} characters, got {str(value)[:40]!r}")
    return value.strip()


def _day(document, key):
    text = _text(document, key, 40)
    if text is None:
        raise BadRequest(f"{key}: a day is needed, as YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{key}: expected a day as YYYY-MM-DD, got {text!r}") from None


def parse_request(document, location=None):
    """Return the Request that ``document`` (parsed JSON) asks for; raise BadRequest naming what is wrong
    and how to fix it. A daily frame at a sun event needs ``location`` (capture.location)."""
    from timelapse.config.period_keys import overlay_text
    from timelapse.config.schedule_keys import active_hours, moment

    if not isinstance(document, dict):
        raise BadRequest('expected a JSON object such as {"first": "2026-11-01", "last": "2026-11-21"}')
    unknown = sorted(str(key)[:40] for key in document if key not in KEYS)
    if unknown:
        raise BadRequest(f"unknown key {unknown[0]!r}: expected only {', '.join(KEYS)}")
    first, last = _day(document, "first"), _day(document, "last")
    if last <= first:
        raise BadRequest(f"last ({last}) must come after first ({first}): a single day's video is the nightly one")
    if (last - first).days >= MAX_DAYS:
        raise BadRequest(f"at most {MAX_DAYS} days at once, got {(last - first).days + 1} ({first} to {last}); "
                         f"ask for fewer days, or use a frame a day over a shorter span")
    between, every, at, text = _text(document, "between", 11), document.get("every"), None, None
    window = None
    if between:
        try:
            window = active_hours(between)
        except vol.Invalid:
            raise BadRequest(f'between: expected "HH:MM-HH:MM" with start != end, such as "06:00-18:00", '
                             f"got {between!r}") from None
    if every in (None, ""):
        every = 1
    if isinstance(every, bool) or not isinstance(every, int) or not 1 <= every <= MAX_EVERY:
        raise BadRequest(f"every: expected a whole number from 1 to {MAX_EVERY}, got {str(every)[:20]!r}")
    daily = _text(document, "daily_frame", 20)
    if daily:
        try:
            at = moment(daily)
        except vol.Invalid as exc:
            raise BadRequest(f"daily_frame: {exc.msg}, got {daily!r}") from None
        if window or every != 1:
            raise BadRequest("daily_frame: one frame a day goes without between and every; leave those empty")
        if at.event != "clock" and location is None:
            raise BadRequest(f"daily_frame: {daily!r} needs capture.location in the configuration; "
                             f'give a clock time such as "12:00"')
    overlay = _text(document, "overlay", 200)
    if overlay:
        try:
            text = overlay_text(overlay)
        except vol.Invalid as exc:
            raise BadRequest(f"overlay: {exc.msg}") from None
    normal = {"first": str(first), "last": str(last), "between": between or None, "every": every,
              "daily_frame": daily or None, "overlay": text}
    return Request(first, last, (window.start.minute, window.end.minute) if window else None, every, at, text,
                   normal)


def read_bounded(path):
    """Return the bytes of the regular file at ``path`` (no symlink followed), at most MAX_BYTES; raise
    BadRequest if it is anything else or larger, OSError if it cannot be read."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BadRequest("not a regular file")
        if info.st_size > MAX_BYTES:
            raise BadRequest(f"{info.st_size} bytes, more than the {MAX_BYTES} a request may have")
        return os.read(fd, MAX_BYTES + 1)[:MAX_BYTES]
    finally:
        os.close(fd)


def load_request(path, location=None):
    """Return the Request in the queued file ``path``; raise BadRequest (or OSError) if it is not one."""
    try:
        document = json.loads(read_bounded(path).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, BadRequest):
            raise
        raise BadRequest(f"not JSON: {str(exc)[:80]}") from None
    if isinstance(document, dict):
        document.pop("requested", None)  # when the web took it (write_request): no part of the request
    return parse_request(document, location)


def queued_ids(folder):
    """Return the ids of the requests in ``folder``, oldest first (names that are no id are ignored)."""
    try:
        with os.scandir(folder) as entries:
            names = [entry.name[:-5] for entry in entries if entry.name.endswith(".json")]
    except OSError:
        return []
    return sorted(name for name in names if REQUEST_ID.fullmatch(name))


def new_id(now, random_hex):
    """Return a request id: the UTC time it was asked and 8 hex digits (``random_hex``), sortable by time."""
    return f"{now:%Y%m%dT%H%M%S}-{random_hex}"


def write_request(folder, request, request_id):
    """Write ``request`` (a Request) as ``folder/ID.json``: a temporary file created exclusively, never
    through a symlink, fsynced, renamed, the folder fsynced. Raise OSError if the disk refuses."""
    folder = Path(folder)
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        raise NotADirectoryError(f"{folder} is not a directory (a symlink is not followed)")
    temp = folder / f".{request_id}.tmp"
    data = json.dumps(dict(request.document, requested=request_id[:15]), ensure_ascii=False).encode()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temp, folder / f"{request_id}.json")
    directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_status(root, request_id):
    """Return the progress document of ``request_id`` under ``root`` (output_dir), or None when there is
    none yet or it is not a small JSON object (read forgivingly: the web shows "queued")."""
    try:
        document = json.loads(read_bounded(archive.request_status_path(root, request_id)).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def write_status(root, request_id, state, done=0, total=0, error=None, video=None):
    """Write the progress document of ``request_id`` (atomically: temporary, fsync, rename)."""
    document = {"id": request_id, "state": state, "done": done, "total": total, "error": error, "video": video,
                "updated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    write_atomically(archive.request_status_path(root, request_id), json.dumps(document).encode(), replace=True)
