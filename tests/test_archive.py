"""The layout of output_dir (timelapse.archive): days read in real-instant order, the newest image, and
every rendered file's name, made and read back one way only."""

import datetime
import os

import pytest

from timelapse import archive
from timelapse.archive import Period, Product

AUTUMN = datetime.date(2026, 10, 25)  # Europe's clocks go back: 02:00-02:59 twice


def plant(root, relative, names):
    folder = root / relative
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"\xff\xd8" + name.encode() + b"\xff\xd9")
    return folder


def test_a_day_is_listed_in_real_instant_order_with_only_its_images(tmp_path):
    folder = plant(tmp_path, "2026/10/25", ["030000.jpg", "021500_2.jpg", "015900.jpg", "024500.jpg", "020000_2.jpg",
                                            ".024500_2.jpg.77.tmp", "notes.txt", "120000_3.jpg"])
    (folder / "050000.jpg").mkdir()  # an image's name, but not a file
    (folder / "060000.jpg").symlink_to(folder / "030000.jpg")  # nor a link
    images = archive.day_images(tmp_path, AUTUMN, sizes=True)
    assert [archive.image_file_name(*image.name) for image in images] == [
        "015900.jpg", "024500.jpg", "020000_2.jpg", "021500_2.jpg", "030000.jpg"]
    assert images[2].path == folder / "020000_2.jpg" and images[2].size == len(b"\xff\xd8020000_2.jpg\xff\xd9")
    assert archive.day_images(tmp_path, AUTUMN)[0].size is None  # sizes only when asked for


def test_every_name_in_a_day_is_told_apart(tmp_path):
    plant(tmp_path, "2026/10/25", ["021500_2.jpg", ".024500_2.jpg.77.tmp", "notes.txt"])
    entries = {entry.name: entry for entry in archive.day_entries(tmp_path / "2026/10/25")}
    assert entries["021500_2.jpg"].image == archive.ImageName(datetime.time(2, 15), True)
    assert entries[".024500_2.jpg.77.tmp"].pid == 77 and entries[".024500_2.jpg.77.tmp"].image is None
    assert entries["notes.txt"].image is None and entries["notes.txt"].pid is None
    assert all(entry.regular for entry in entries.values())


def test_a_day_that_leads_outside_output_dir_or_does_not_exist_is_empty(tmp_path):
    plant(tmp_path, "outside", ["120000.jpg"])
    (tmp_path / "root/2026/10").mkdir(parents=True)
    (tmp_path / "root/2026/10/25").symlink_to(tmp_path / "outside")
    assert archive.day_images(tmp_path / "root", AUTUMN) == []
    assert archive.day_images(tmp_path / "root", datetime.date(2026, 10, 26)) == []
    assert archive.newest_image(tmp_path / "root") is None


def test_the_newest_image_is_the_last_taken_even_in_the_repeated_hour(tmp_path):
    plant(tmp_path, "2026/10/24", ["235959.jpg"])
    plant(tmp_path, "2026/10/25", ["015900.jpg", "020000.jpg", "024500.jpg", "020000_2.jpg", "021500_2.jpg"])
    plant(tmp_path, "2026/10/26", [".000000.jpg.12.tmp"])  # a day begun, nothing written yet
    date, image = archive.newest_image(tmp_path)
    assert (date, image.path) == (AUTUMN, tmp_path / "2026/10/25/021500_2.jpg")


def test_an_image_path_is_located_back_to_its_day_and_name(tmp_path):
    path = archive.image_path(tmp_path, datetime.datetime(2026, 10, 25, 2, 15), second_pass=True)
    assert path == tmp_path / "2026/10/25/021500_2.jpg"
    assert archive.locate_image(tmp_path, str(path)) == (AUTUMN, archive.ImageName(datetime.time(2, 15), True))
    for elsewhere in (tmp_path / "videos/2026/2026-10-25-keogram.jpg", tmp_path.parent / "2026/10/25/021500.jpg",
                      tmp_path / "2026/10/25/../../10/25/021500.jpg/..", "", None):
        assert archive.locate_image(tmp_path, elsewhere and str(elsewhere)) is None, elsewhere


@pytest.mark.parametrize("text", ["2026/10/25/021500.jpg/x", "2026/10/32/021500.jpg", "../../etc/passwd",
                                  "2026/1/25/021500.jpg", "2026/10/25/0215.jpg", ""])
def test_a_relative_image_path_that_is_not_one_is_refused_with_what_was_expected(text):
    with pytest.raises(ValueError, match="expected|no such"):
        archive.parse_image_relpath(text)


def test_day_directories_are_listed_oldest_first_without_symlinks_or_impossible_dates(tmp_path):
    for relative in ("2026/10/25", "2025/01/01", "2026/02/30", "2026/13/01", "2026/10/misc"):
        (tmp_path / relative).mkdir(parents=True)
    (tmp_path / "2024").symlink_to(tmp_path / "2025")
    assert [day.date for day in archive.day_dirs(tmp_path)] == [datetime.date(2025, 1, 1), AUTUMN]


NOV = datetime.date(2026, 11, 21)
NAMES = [
    (Product(Period.day(NOV), "video"), "videos/2026/2026-11-21.mp4"),
    (Product(Period.day(NOV), "keogram"), "videos/2026/2026-11-21-keogram.jpg"),
    (Product(Period.days(datetime.date(2026, 11, 1), NOV), "video"), "videos/2026/2026-11-01_2026-11-21.mp4"),
    (Product(Period.week(NOV), "video"), "videos/2026/2026-W47.mp4"),
    (Product(Period.week(NOV), "video", daily=True), "videos/2026/2026-W47-daily.mp4"),
    (Product(Period.week(NOV), "sidecar", daily=True), "videos/2026/2026-W47-daily.json"),
    (Product(Period.week(datetime.date(2027, 1, 1)), "video"), "videos/2026/2026-W53.mp4"),  # the ISO year
    (Product(Period.month(NOV), "video"), "videos/2026/2026-11.mp4"),
    (Product(Period.month(NOV), "sidecar"), "videos/2026/2026-11.json"),
    (Product(Period.project(), "video"), "videos/project.mp4"),
    (Product(Period.project(), "video", daily=True), "videos/project-daily.mp4"),
    (Product(Period.project(), "sidecar"), "videos/project.json"),
    (Product(Period.night(NOV), "video"), "videos/2026/2026-11-21-night.mp4"),
    (Product(Period.night(NOV), "keogram"), "videos/2026/2026-11-21-night-keogram.jpg"),
    (Product(Period.night(NOV), "startrails"), "videos/2026/2026-11-21-startrails.jpg"),
    (Product(Period.night(NOV), "meteors"), "videos/2026/2026-11-21-meteors.json"),
    (Product(Period.night(NOV), "meteor", number=3), "videos/2026/2026-11-21-meteors/3.jpg"),
]


@pytest.mark.parametrize("product, relpath", NAMES, ids=[relpath for _, relpath in NAMES])
def test_every_rendered_file_has_one_name_and_is_read_back_from_it(product, relpath):
    assert archive.product_relpath(product) == relpath
    assert archive.parse_product(relpath[len("videos/"):]) == product


@pytest.mark.parametrize("relpath", ["2025/2026-11-21.mp4", "2026/2026-13-01.mp4", "2026/project.mp4",
                                     "2026-11-21.mp4", "2026/.2026-11-21.mp4.123.tmp", "2026/2026-11-21.mp4.bak",
                                     "2026/2026-11-21_2026-11-21.mp4", "2026/2026-11-21_2026-11-01.mp4",
                                     "2026/2026-W54.mp4", "2026/2026-11-21-daily.mp4", "2026/2026-11-meteors.json",
                                     "2026/2026-11-21-meteors/0.jpg", "2026/2026-11-21-meteors/../../x.jpg",
                                     "2026/2026-W47-keogram.jpg", "project-keogram.jpg", "2026/2026-11-startrails.jpg",
                                     "2026/2026-11-21-night-startrails.jpg", "2026/2026-11-21-night-daily.mp4",
                                     "../2026/2026-11-21.mp4", "", None])
def test_names_rendering_never_writes_are_not_products(relpath):
    assert archive.parse_product(relpath) is None


def test_the_helpers_name_the_days_video_keogram_and_sidecar(tmp_path):
    assert archive.video_path(tmp_path, Period.days(NOV, NOV)) == tmp_path / "videos/2026/2026-11-21.mp4"
    assert archive.keogram_path(tmp_path, Period.day(NOV)) == tmp_path / "videos/2026/2026-11-21-keogram.jpg"
    assert archive.sidecar_path(tmp_path, Period.month(NOV), daily=True) == tmp_path / "videos/2026/2026-11-daily.json"


def test_products_lists_every_rendered_file_and_nothing_else(tmp_path):
    for _, relpath in NAMES:
        (tmp_path / relpath).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relpath).write_bytes(b"x")
    for junk in ("videos/2026/.2026-11-20.mp4.1.tmp", "videos/2026/notes.txt", "videos/misc/2026-11-21.mp4",
                 "videos/2025/2026-11-21.mp4"):
        (tmp_path / junk).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / junk).write_bytes(b"x")
    (tmp_path / "videos/2026/2026-11-22.mp4").symlink_to(tmp_path / "videos/2026/notes.txt")
    found = archive.products(tmp_path)
    assert sorted(str(path.relative_to(tmp_path)) for _, path in found) == sorted(relpath for _, relpath in NAMES)
    assert all(archive.product_path(tmp_path, product) == path for product, path in found)
    assert archive.products(tmp_path / "nowhere") == []


def test_the_hidden_state_has_its_places(tmp_path):
    assert archive.sync_dir(tmp_path) == tmp_path / ".sync"
    assert archive.alerts_dir(tmp_path) == tmp_path / ".alerts"
    assert archive.exposure_file(tmp_path) == tmp_path / ".exposure.json"
    assert archive.aim_reference(tmp_path) == tmp_path / ".aim/reference.jpg"
    assert os.path.dirname(archive.aim_reference(tmp_path)) == str(archive.aim_dir(tmp_path))
