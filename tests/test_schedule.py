"""The schedule: wall-clock-aligned slots, skipping, clock steps, DST, active hours. No sleeping."""


import pytest

from timelapse.schedule import clock_stepped, missed_between, next_slot

UTC = lambda wall: 0  # noqa: E731
BASE = 1_795_000_000  # 2026-11-18T09:06:40Z; a multiple of 20 s, not of 60 s


@pytest.mark.parametrize("interval, now, expected", [
    (60, BASE + 0.3, BASE + 20), (60, BASE + 20, BASE + 20), (300, BASE + 1, BASE + 200),
    (1, BASE + 0.0001, BASE + 1), (3600, BASE, BASE + 3200), (1.5, 3.1, 4.5),
])
def test_slots_fall_on_wall_clock_multiples(interval, now, expected):
    assert next_slot(now, interval, offset=UTC) == expected


def test_consecutive_slots_have_no_cumulative_drift():
    slot, late = None, 0.004
    slots = []
    for _ in range(1000):
        now = slot + late if slot is not None else BASE
        slot = next_slot(now, 60, after=slot, offset=UTC)
        slots.append(slot)
    assert all(b - a == 60 for a, b in zip(slots, slots[1:]))
    assert slots[-1] % 60 == 0


def test_a_missed_slot_is_skipped_never_made_up():
    previous = BASE + 20
    now = previous + 150  # the capture overran two slots
    slot = next_slot(now, 60, after=previous, offset=UTC)
    assert slot == previous + 180
    assert missed_between(previous, slot, 60) == 2


def test_after_a_suspend_the_missed_slots_are_counted_not_made_up():
    previous = BASE + 20
    resumed = previous + 600.4  # ten minutes suspended
    slot = next_slot(resumed, 60, after=previous, offset=UTC)
    assert slot == previous + 660
    assert missed_between(previous, slot, 60) == 10


def test_slots_follow_local_time_across_a_utc_offset():
    india = lambda wall: 5 * 3600 + 1800  # noqa: E731
    slot = next_slot(BASE, 3600, offset=india)
    assert (slot + india(slot)) % 3600 == 0


def test_daylight_saving_change_keeps_hourly_slots_on_the_local_hour():
    before, after = lambda wall: 7200, lambda wall: 3600  # CEST -> CET
    assert (next_slot(BASE, 3600, offset=before) + 7200) % 3600 == 0
    assert (next_slot(BASE, 3600, offset=after) + 3600) % 3600 == 0


def test_a_slot_is_at_least_a_second_after_the_last_capture():
    assert next_slot(BASE + 40.2, 60, after=BASE + 40, offset=UTC) == BASE + 80
    assert next_slot(BASE + 5.5, 1, after=BASE + 5, offset=UTC) == BASE + 6


@pytest.mark.parametrize("offset, wall, boot, stepped", [
    (1000.0, 1060.0, 60.0, False), (1000.0, 1060.9, 60.0, False),
    (1000.0, 4660.0, 60.0, True), (1000.0, -2540.0, 60.0, True),
])
def test_clock_steps_are_told_from_slewing(offset, wall, boot, stepped):
    assert clock_stepped(offset, wall, boot) is stepped
