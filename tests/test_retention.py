"""Retention deletes whole old day directories of images and nothing else, ever."""

import datetime
import os
from pathlib import Path

import pytest

from timelapse.retention import apply_retention, day_dirs_older_than

from conftest import run_cli

TODAY = datetime.date(2026, 11, 21)


def plant(root, relative, files=("120000.jpg", "120100.jpg")):
    day = root / relative
    day.mkdir(parents=True, exist_ok=True)
    for name in files:
        (day / name).write_bytes(b"\xff\xd8" + b"x" * 100)
    return day


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "images"
    outside = tmp_path / "outside"
    plant(outside, "2020/01/01")
    plant(outside, "precious", files=("keep.jpg",))
    plant(root, "2026/11/21")                         # today
    plant(root, "2026/10/22")                         # exactly 30 days old: kept
    plant(root, "2026/10/21")                         # 31 days: goes
    plant(root, "2026/09/30", files=("000000.jpg", ".000001.jpg.99.tmp"))  # with a crash leftover: goes
    plant(root, "2025/01/15")                         # a whole old year: goes, with its month and year
    plant(root, "2026/08/01", files=("120000.jpg", "notes.txt"))  # holds a non-image: kept
    plant(root, "2026/02/30")                         # not a date: kept
    plant(root, "2026/13/01")                         # not a date: kept
    plant(root, "2026/07/misc")                       # not a day: kept
    (root / "2026/07/stray.jpg").write_bytes(b"x")      # stray file in a month: kept
    (root / "2026/06").mkdir(parents=True)
    (root / "2026/06/03").symlink_to(outside / "2020/01/01")  # symlinked day: left alone
    (root / "2019").symlink_to(outside / "2020")              # symlinked year: left alone
    (root / "lost+found").mkdir()
    return root, outside


def snapshot(path):
    return sorted(str(p.relative_to(path)) for p in Path(path).rglob("*"))


def test_only_old_real_day_directories_of_images_are_deleted(tree, synced_clock):
    root, outside = tree
    before_outside = snapshot(outside)
    outcomes = apply_retention(root, 30, today=TODAY)
    assert {o.day.date: (o.deleted, o.reason is None) for o in outcomes} == {
        datetime.date(2025, 1, 15): (True, True), datetime.date(2026, 8, 1): (False, False),
        datetime.date(2026, 9, 30): (True, True), datetime.date(2026, 10, 21): (True, True)}
    assert [o.day.date for o in outcomes] == sorted(o.day.date for o in outcomes)  # oldest first
    assert not (root / "2025").exists()  # empty month and year removed
    for kept in ("2026/11/21", "2026/10/22", "2026/08/01/notes.txt", "2026/02/30", "2026/13/01",
                 "2026/07/misc", "2026/07/stray.jpg", "lost+found"):
        assert (root / kept).exists(), kept
    assert (root / "2026/06/03").is_symlink() and (root / "2019").is_symlink()
    assert snapshot(outside) == before_outside


def test_dry_run_lists_counts_and_bytes_and_deletes_nothing(tree):
    root, _ = tree
    before = snapshot(root)
    outcomes = apply_retention(root, 30, today=TODAY, dry_run=True)
    assert snapshot(root) == before
    old = [o for o in outcomes if o.day.date == datetime.date(2026, 10, 21)][0]
    assert (old.files, old.bytes, old.deleted) == (2, 204, False)


def test_today_is_never_deleted_even_with_one_day_retention(tree, synced_clock):
    root, _ = tree
    apply_retention(root, 1, today=TODAY)
    assert (root / "2026/11/21/120000.jpg").exists()


def test_candidate_search_lists_only_directory_levels(tree, monkeypatch):
    root, _ = tree
    listed = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listed.append(str(path)) or real_scandir(path))
    day_dirs_older_than(root, TODAY - datetime.timedelta(days=30))
    assert not any(Path(p).relative_to(root).parts.__len__() > 2 for p in listed)


def test_cleanup_command_dry_run_and_disabled_retention(tree, write_config):
    root, _ = tree
    cfg = write_config(f"storage: {{output_dir: {root}, retention_days: 30}}\n")
    result = run_cli("--config", cfg, "cleanup")
    assert result.returncode == 0
    assert "retention is off" in result.stdout and (root / "2026/10/21").exists()
    cfg = write_config(f"storage: {{output_dir: {root}, retention_days: 30, cleanup_enabled: true}}\n")
    result = run_cli("--config", cfg, "cleanup", "--dry-run")
    assert f"would delete {root}/2026/10/21 (2 files" in result.stdout
    assert (root / "2026/10/21").exists()


def test_a_day_with_a_repeated_hour_is_a_day_of_images_like_any_other(tmp_path, synced_clock):
    root = tmp_path / "images"
    day = plant(root, "2025/10/26", files=("020000.jpg", "020000_2.jpg", ".020000_2.jpg.99.tmp"))
    odd = plant(root, "2025/10/27", files=("020000_3.jpg",))  # not a name this package writes
    outcomes = apply_retention(root, 30, today=TODAY)
    assert [(o.day.path, o.deleted) for o in outcomes] == [(day, True), (odd, False)]
    assert "020000_3.jpg" in outcomes[1].reason and odd.exists()


def test_nothing_is_deleted_on_a_clock_not_known_good(tree, monkeypatch, tmp_path):
    from conftest import kernel_clock
    from timelapse.errors import ClockUntrusted

    root, _ = tree
    monkeypatch.setenv("TIMELAPSE_TEST_CLOCK_SYNCED_FILE", kernel_clock(tmp_path, synced=False)[
        "TIMELAPSE_TEST_CLOCK_SYNCED_FILE"])
    before = snapshot(root)
    with pytest.raises(ClockUntrusted, match="storage.trust_clock: true"):
        apply_retention(root, 30, today=TODAY + datetime.timedelta(days=365))
    assert snapshot(root) == before
    assert apply_retention(root, 30, today=TODAY, dry_run=True)  # listing is harmless
    assert snapshot(root) == before
    apply_retention(root, 30, today=TODAY, trust_clock=True)
    assert not (root / "2026/10/21").exists()
