"""Capture windows by the clock and by the sun (timelapse/window.py, timelapse/sun.py).

Sun times are checked against published tables; DST days in a European and a southern
zone; polar night and midnight sun in Tromsø; a window over midnight. Each test sets the
time zone it speaks of (TZ + tzset), as the machine's own zone would be.
"""

import datetime
import json
import os
import subprocess
import sys
import time

import pytest

from timelapse.sun import sun_day
from timelapse.window import ActiveHours, Location, Moment, day_window, next_opening, window_state

from conftest import cli_env, run_cli

OSLO = Location(59.91, 10.75)
TROMSO = Location(69.65, 18.96)
SYDNEY = Location(-33.87, 151.21)
DAYLIGHT = ActiveHours(Moment("sunrise", None, -1800), Moment("sunset", None, 1800))
NIGHT = ActiveHours(Moment("dusk", None, 0), Moment("dawn", None, 0))


@pytest.fixture
def zone(monkeypatch):
    def set_zone(name):
        monkeypatch.setenv("TZ", name)
        time.tzset()
    yield set_zone
    monkeypatch.undo()
    time.tzset()


def local(epoch):
    return datetime.datetime.fromtimestamp(epoch)


# Published rise/set times, local clock time: (place, date, UTC offset in hours, {event: "HH:MM"}, source).
PUBLISHED = [
    (Location(-33.87, 151.21), datetime.date(2026, 1, 1), 11, {"sunrise": "05:48", "sunset": "20:10"},
     "whattime.city, Sydney"),
    (Location(-33.87, 151.21), datetime.date(2026, 4, 1), 11, {"sunrise": "07:07", "sunset": "18:52"},
     "whattime.city, Sydney"),
    (Location(-33.87, 151.21), datetime.date(2026, 6, 1), 10, {"sunrise": "06:52", "sunset": "16:55"},
     "whattime.city, Sydney"),
    (Location(-33.87, 151.21), datetime.date(2026, 12, 1), 11, {"sunrise": "05:38", "sunset": "19:51"},
     "whattime.city, Sydney"),
    (Location(43.3033, -91.7857), datetime.date(2025, 9, 1), -5,
     {"dawn": "06:02", "sunrise": "06:32", "sunset": "19:41", "dusk": "20:11"}, "USNO, Decorah, Iowa"),
    (Location(43.3033, -91.7857), datetime.date(2025, 9, 25), -5,
     {"dawn": "06:30", "sunrise": "06:58", "sunset": "18:58", "dusk": "19:27"}, "USNO, Decorah, Iowa"),
    (Location(69.65, 18.96), datetime.date(2014, 4, 1), 1,
     {"dawn": "03:46", "sunrise": "04:50", "sunset": "18:49", "dusk": "19:53"}, "USNO, Tromsø"),
]


def test_sun_times_agree_with_published_tables_within_five_minutes():
    worst = []
    for place, date, offset, published, source in PUBLISHED:
        day = sun_day(date, place.latitude, place.longitude)
        zone = datetime.timezone(datetime.timedelta(hours=offset))
        for event, text in published.items():
            ours = day.times[event].astimezone(zone)
            theirs = datetime.datetime.combine(date, datetime.time.fromisoformat(text), zone)
            error = abs((ours - theirs).total_seconds()) / 60
            worst.append((error, f"{source} {date} {event}: {ours:%H:%M:%S} vs {text}"))
    worst.sort(reverse=True)
    print("largest differences (minutes): " + "; ".join(f"{e:.1f} {what}" for e, what in worst[:4]))
    assert worst[0][0] <= 5, worst[0]


def test_at_the_equinox_day_and_night_are_nearly_equal(zone):
    zone("Europe/London")
    window = day_window(ActiveHours(Moment("sunrise", None, 0), Moment("sunset", None, 0)),
                        Location(51.48, 0.0), datetime.date(2026, 3, 20))
    hours = (window.closes - window.opens) / 3600
    assert 12.0 < hours < 12.3  # a few minutes over 12 h: refraction and the sun's radius
    assert local(window.opens).strftime("%H") == "06" and local(window.closes).strftime("%H") == "18"


@pytest.mark.parametrize("name, place, before, after, shift", [
    ("Europe/Oslo", OSLO, datetime.date(2026, 3, 28), datetime.date(2026, 3, 29), 1),  # clocks forward
    ("Europe/Oslo", OSLO, datetime.date(2026, 10, 24), datetime.date(2026, 10, 25), -1),  # clocks back
    ("Australia/Sydney", SYDNEY, datetime.date(2026, 4, 4), datetime.date(2026, 4, 5), -1),  # back (autumn)
    ("Australia/Sydney", SYDNEY, datetime.date(2026, 10, 3), datetime.date(2026, 10, 4), 1),  # forward (spring)
])
def test_on_dst_days_sun_windows_move_an_hour_on_the_clock_but_not_in_time(zone, name, place, before, after, shift):
    zone(name)
    first, second = (day_window(DAYLIGHT, place, day) for day in (before, after))
    elapsed = (second.opens - first.opens) / 3600
    assert abs(elapsed - 24) < 0.1  # the sun keeps its pace...
    clock = (local(second.opens) - local(first.opens).replace(day=local(second.opens).day)).total_seconds() / 3600
    assert abs(clock - shift) < 0.1  # ...the clock jumps


@pytest.mark.parametrize("name, day, hours", [
    ("Europe/Oslo", datetime.date(2026, 3, 28), 9), ("Europe/Oslo", datetime.date(2026, 10, 24), 11),
    ("Australia/Sydney", datetime.date(2026, 4, 4), 11), ("Australia/Sydney", datetime.date(2026, 10, 3), 9),
])
def test_a_fixed_window_over_a_dst_night_keeps_its_clock_times(zone, name, day, hours):
    zone(name)
    window = day_window(ActiveHours(Moment("clock", 20 * 60, 0), Moment("clock", 6 * 60, 0)), None, day)
    assert (local(window.opens).hour, local(window.closes).hour) == (20, 6)
    assert (window.closes - window.opens) / 3600 == hours


def test_tromso_in_december_has_no_daylight_window_and_a_night_window_all_day_long_enough(zone):
    zone("Europe/Oslo")
    dark = day_window(DAYLIGHT, TROMSO, datetime.date(2026, 12, 15))
    assert (dark.opens, dark.closes, dark.note) == (None, None, "polar night")
    night = day_window(NIGHT, TROMSO, datetime.date(2026, 12, 15))  # civil twilight still comes at noon
    assert night.note == "polar night" and local(night.opens).hour == 13 and local(night.closes).hour == 9
    # The daemon asleep on 15 December wakes when the sun comes back, about 15 January in the tables
    # (the first and last days of a polar night are where a grazing sun makes the computation uncertain).
    inside, opens, closes = window_state(DAYLIGHT, TROMSO, datetime.datetime(2026, 12, 15, 12).timestamp())
    assert not inside and abs((local(opens).date() - datetime.date(2027, 1, 15)).days) <= 2
    assert 10 <= local(opens).hour <= 12


def test_tromso_in_june_captures_all_day_under_the_midnight_sun_and_never_at_night(zone):
    zone("Europe/Oslo")
    day = day_window(DAYLIGHT, TROMSO, datetime.date(2026, 6, 15))
    assert day.note == "midnight sun" and (local(day.opens), local(day.closes)) == (
        datetime.datetime(2026, 6, 15), datetime.datetime(2026, 6, 16))
    night = day_window(NIGHT, TROMSO, datetime.date(2026, 6, 15))
    assert (night.opens, night.note) == (None, "midnight sun")
    # One stretch until the sun first sets: on the night of 25-26 July in the tables (below).
    sun_up = ActiveHours(Moment("sunrise", None, 0), Moment("sunset", None, 0))
    inside, _, closes = window_state(sun_up, TROMSO, datetime.datetime(2026, 6, 15, 23, 59).timestamp())
    print(f"the midnight sun's window closes {local(closes)}")
    assert inside and MIDNIGHT_SUN_ENDS - ONE_DAY <= local(closes) <= MIDNIGHT_SUN_ENDS + ONE_DAY


# Tromsø's midnight sun in the published tables: "from about the 18th of May to the 25th of July"
# (nordnorge.com, Northern Norway's tourist board), "from about 18 May to 26 July" (Wikipedia,
# Tromsø), both for sunrise and sunset as here: the sun's upper limb on the horizon, refraction
# counted. The sun first dips below on the night of 25-26 July, and last on the night of 17-18 May.
# (The "20 May to 22 July" also quoted is for the whole disc staying above the horizon.)
# astral 1.6 gives 19 May to 25 July (first sunset 00:35 on 27 July, a sunrise at 01:06 on 26 July);
# astral 3.2 gives 18 May to 25 July (first sunset 00:10 on 27 July): both within a day.
MIDNIGHT_SUN = (datetime.date(2026, 5, 18), datetime.date(2026, 7, 25))
MIDNIGHT_SUN_ENDS = datetime.datetime(2026, 7, 26, 0, 50)  # the sun's lowest, on the night of 25-26 July
ONE_DAY = datetime.timedelta(days=1)


def test_tromso_midnight_sun_begins_and_ends_as_the_published_tables_say_within_a_day(zone):
    zone("Europe/Oslo")
    days = [datetime.date(2026, 5, 1) + datetime.timedelta(days=n) for n in range(100)]
    whole = [day for day in days if day_window(DAYLIGHT, TROMSO, day).note == "midnight sun"]
    print(f"midnight sun (no sunrise, no sunset) from {whole[0]} to {whole[-1]}")
    assert whole == [whole[0] + datetime.timedelta(days=n) for n in range(len(whole))]  # one stretch
    assert abs((whole[0] - MIDNIGHT_SUN[0]).days) <= 1 and abs((whole[-1] - MIDNIGHT_SUN[1]).days) <= 1


def test_where_the_midnight_sun_ends_no_day_claims_more_than_it_can(zone, tmp_path, write_config):
    """Each day's window opens on that day, and one longer than the day is the midnight sun ending."""
    zone("Europe/Oslo")
    sun_up = ActiveHours(Moment("sunrise", None, 0), Moment("sunset", None, 0))
    for day in (datetime.date(2026, 7, 20) + datetime.timedelta(days=n) for n in range(10)):
        window = day_window(sun_up, TROMSO, day)
        assert local(window.opens).date() == day and window.closes - window.opens <= 86400 + 3600, window
        if window.closes - window.opens > 86400:  # all day, and into the night when the sun first sets
            assert local(window.opens).time() == datetime.time() and window.note == "midnight sun ends", window
    cfg = write_config("capture:\n  active_hours: {from: sunrise, until: sunset}\n"
                       "  location: {latitude: 69.65, longitude: 18.96}\n")
    out = run_cli("--config", cfg, "schedule", "--from", "2026-07-24", "--days", "5",
                  env=cli_env(TZ="Europe/Oslo")).stdout.splitlines()
    print("\n".join(out))
    assert out[1:3] == ["2026-07-24 Fri  all day (midnight sun; 24 h 00 min)",
                        "2026-07-25 Sat  all day (midnight sun; 24 h 00 min)"]
    for line in out[3:]:  # astral 3.2: "all day and until 00:10 next day  (UTC+02:00; midnight sun ends)"
        hours, minutes = map(int, line.rsplit("  ", 1)[1].replace(" h ", " ").replace(" min", "").split())
        assert hours < 24 or ("all day and until 00:" in line and "midnight sun ends" in line), line


def test_a_night_window_wraps_midnight_and_is_inside_after_it(zone):
    zone("Europe/Oslo")
    window = day_window(NIGHT, OSLO, datetime.date(2026, 11, 21))
    assert local(window.opens).date() == datetime.date(2026, 11, 21)
    assert local(window.closes).date() == datetime.date(2026, 11, 22)
    for moment, expected in ((datetime.datetime(2026, 11, 22, 3, 0), True),
                             (datetime.datetime(2026, 11, 22, 12, 0), False),
                             (datetime.datetime(2026, 11, 21, 23, 0), True)):
        inside, opens, closes = window_state(NIGHT, OSLO, moment.timestamp())
        assert inside is expected
        assert (closes if inside else opens) is not None


def test_no_window_means_always_inside():
    assert window_state(None, None, time.time()) == (True, None, None)


def test_the_opening_is_searched_beyond_today(zone):
    zone("Europe/Oslo")
    fixed = ActiveHours(Moment("clock", 6 * 60, 0), Moment("clock", 20 * 60, 0))
    after = datetime.datetime(2026, 11, 21, 21, 0).timestamp()
    assert local(next_opening(fixed, None, after)) == datetime.datetime(2026, 11, 22, 6, 0)
    assert window_state(fixed, None, after)[:2] == (False, next_opening(fixed, None, after))


def test_schedule_json_lists_each_day_with_offsets(tmp_path, write_config):
    cfg = write_config('capture:\n  active_hours: {from: "sunrise - 30m", until: "sunset + 30m"}\n'
                       "  location: {latitude: 69.65, longitude: 18.96}\n")
    result = run_cli("--config", cfg, "schedule", "--from", "2026-12-14", "--days", "3", "--json",
                     env=cli_env(TZ="Europe/Oslo"))
    entries = json.loads(result.stdout)
    assert [e["date"] for e in entries] == ["2026-12-14", "2026-12-15", "2026-12-16"]
    assert entries[1] == {"date": "2026-12-15", "from": None, "until": None, "hours": 0.0, "note": "polar night"}
    text = run_cli("--config", cfg, "schedule", "--from", "2026-06-15", "--days", "1",
                   env=cli_env(TZ="Europe/Oslo")).stdout
    assert "2026-06-15 Mon  all day (midnight sun; 24 h 00 min)" in text


def test_schedule_text_gives_local_times_offsets_and_lengths(tmp_path, write_config):
    cfg = write_config("capture:\n  active_hours: {from: dusk, until: dawn}\n"
                       "  location: {latitude: 59.91, longitude: 10.75}\n")
    out = run_cli("--config", cfg, "schedule", "--from", "2026-03-28", "--days", "2",
                  env=cli_env(TZ="Europe/Oslo")).stdout.splitlines()
    assert out[0] == "capture window: from dusk until dawn at 59.91, 10.75, local time (CET/CEST)"
    assert out[1].startswith("2026-03-28 Sat  19:") and "next day  (UTC+01:00, UTC+02:00 at the end)" in out[1]
    assert out[2].startswith("2026-03-29 Sun  20:") and "(UTC+02:00)" in out[2]
    plain = run_cli("--config", write_config(""), "schedule", "--days", "1", "--json").stdout
    assert json.loads(plain)[0]["note"] == "around the clock"
    bad = run_cli("schedule", "--from", "2026-02-30")
    assert bad.returncode == 2 and "expected a date as YYYY-MM-DD" in bad.stderr


def test_the_astral_2_and_3_api_gives_the_same_days(tmp_path):  # the name debian/rules leaves out (offline)
    """Debian 12 ships astral 1.6, Debian 13 astral 3.2: the half of sun_day not installed, against the real
    library (astral 3.2 under 1.6, 1.6.1 under 3.x)."""
    import astral

    other = "3.2" if astral.__version__.startswith("1.") else "1.6.1"
    wanted = [f"astral=={other}"] + (["pytz"] if other == "1.6.1" else [])  # 1.6 needs pytz; Debian 13 has none
    download = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-q",
                               "-d", str(tmp_path), *wanted], capture_output=True, text=True)
    assert download.returncode == 0, download.stderr
    wheel = os.pathsep.join(str(path) for path in sorted(tmp_path.glob("*.whl")))
    # PyPI's astral 1.6.1 imports requests for its Google geocoder, which Debian's package drops.
    stub = "import sys, types; sys.modules.setdefault('requests', types.ModuleType('requests'))\n"
    code = ((stub if other == "1.6.1" else "") +
            "import datetime, json, astral; from timelapse.sun import sun_day, EVENTS\n"
            f"assert astral.__version__ == {other!r}, astral.__version__\n"
            "out = {}\n"
            "for lat, lon, day in ((59.91, 10.75, '2026-11-21'), (69.65, 18.96, '2026-12-15'),"
            " (69.65, 18.96, '2026-06-15'), (-33.87, 151.21, '2026-01-01')):\n"
            "    d = sun_day(datetime.date.fromisoformat(day), lat, lon)\n"
            "    out[f'{lat} {day}'] = {e: d.times[e] and d.times[e].timestamp() for e in EVENTS}\n"
            "print(json.dumps(out))")
    env = cli_env()
    env["PYTHONPATH"] = f"{wheel}{os.pathsep}{env['PYTHONPATH']}"
    newer = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                      check=True).stdout)
    for key, events in newer.items():
        lat, day = key.split()
        lon = {"59.91": 10.75, "69.65": 18.96, "-33.87": 151.21}[lat]
        ours = sun_day(datetime.date.fromisoformat(day), float(lat), lon)
        for event, epoch in events.items():
            mine = ours.times[event]
            assert (epoch is None) == (mine is None), (key, event)
            if epoch is not None:
                assert abs(epoch - mine.timestamp()) < 5 * 60, (key, event)
