"""`timelapse schedule`: when capture runs, day by day, in local time."""

import datetime
import json
import time

from timelapse import config
from timelapse.window import day_window


def describe_moment(moment):
    """Return a Moment as the user wrote it ("sunrise - 30m", "06:00")."""
    base = f"{moment.minute // 60:02d}:{moment.minute % 60:02d}" if moment.event == "clock" else moment.event
    if not moment.offset:
        return base
    minutes = round(abs(moment.offset) / 60)
    amount = f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return f"{base} {'-' if moment.offset < 0 else '+'} {amount}"


def day_entries(capture, first, days):
    """Return one dict per day: {"date", "from", "until", "hours", "note"} (ISO 8601 with offset, or null)."""
    entries = []
    for index in range(days):
        date = first + datetime.timedelta(days=index)
        if capture.active_hours is None:
            opens = datetime.datetime.combine(date, datetime.time()).timestamp()
            closes = datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time()).timestamp()
            note = "around the clock"
        else:
            _, opens, closes, note = day_window(capture.active_hours, capture.location, date)
        entries.append({
            "date": date.isoformat(),
            "from": _iso(opens), "until": _iso(closes),
            "hours": round((closes - opens) / 3600, 2) if opens is not None else 0.0,
            "note": note})
    return entries


def _iso(epoch):
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="minutes")


def _offset(moment):
    text = moment.isoformat()[-6:]
    return "UTC" + (text if text[0] in "+-" else "+00:00")


def _length(hours):
    minutes = round(hours * 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def format_entry(entry):
    """Return one line of the text report."""
    date = datetime.date.fromisoformat(entry["date"])
    head = f"{entry['date']} {date:%a}  "
    note = entry["note"]
    if entry["from"] is None:
        return head + "no capture" + (f" ({note})" if note else " (the sun does not reach that event this day)")
    opens = datetime.datetime.fromisoformat(entry["from"])
    closes = datetime.datetime.fromisoformat(entry["until"])
    if note == "around the clock":
        return head + f"around the clock ({_length(entry['hours'])}, {_offset(opens)})"
    if opens.time() == datetime.time() and closes.time() == datetime.time() and closes.date() > opens.date():
        return head + f"all day ({note or 'the sun stays on one side of that event'}; {_length(entry['hours'])})"
    if opens.time() == datetime.time() and opens.date() == date and closes.date() > date:
        # Open since before the day began (the event did not happen: the sun stayed up) and closing
        # after midnight, as when the midnight sun ends: the whole day, then into the night.
        return (head + f"all day and until {closes:%H:%M} next day  ({_offset(closes)}"
                + (f"; {note}" if note else "") + f")  {_length(entry['hours'])}")
    until_day = "" if closes.date() == date else (" next day" if closes.date() == date + datetime.timedelta(days=1)
                                                   else f" {closes.date()}")
    return (head + f"{opens:%H:%M} to {closes:%H:%M}{until_day}  ({_offset(opens)}"
            + (f", {_offset(closes)} at the end" if closes.utcoffset() != opens.utcoffset() else "")
            + f")  {_length(entry['hours'])}" + (f"  ({note})" if note else ""))


def schedule_command(args):
    """Print each day's capture window over ``--days`` days from today or ``--from``."""
    settings = config.load(args.config)
    capture = settings.capture
    first = args.start or datetime.date.today()
    entries = day_entries(capture, first, args.days)
    if args.json:
        print(json.dumps(entries, indent=1))
        return 0
    hours = capture.active_hours
    if hours is None:
        print("capture.active_hours is not set: capture runs around the clock")
    else:
        place = (f" at {capture.location.latitude:g}, {capture.location.longitude:g}"
                 if capture.location is not None else "")
        print(f"capture window: from {describe_moment(hours.start)} until {describe_moment(hours.end)}{place}, "
              f"local time ({'/'.join(dict.fromkeys(time.tzname))})")
    for entry in entries:
        print(format_entry(entry))
    return 0
