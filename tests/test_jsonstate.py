"""The JSON state helper every state file goes through (status, sync, alerts, exposure)."""

import os
import stat

import pytest

from timelapse.errors import StorageError
from timelapse.jsonstate import read_json, write_json


def test_a_missing_file_reads_as_the_default(tmp_path):
    assert read_json(tmp_path / "none.json", {"a": 1}) == {"a": 1}


@pytest.mark.parametrize("text", ["", "{not json", "[1, 2]", "\x00\xff"])
def test_a_damaged_or_mistyped_file_reads_as_the_default_with_a_warning_when_asked(tmp_path, caplog, text):
    path = tmp_path / "state.json"
    path.write_bytes(text.encode("latin-1"))
    assert read_json(path, {}, warn=True) == {}
    assert str(path) in caplog.text and "ignoring it" in caplog.text


def test_a_write_replaces_the_file_whole_with_the_mode_asked_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "new/dir/state.json"  # the directory is made on the first write
    old = os.umask(0o077)
    try:
        write_json(path, {"b": 2, "a": [1]}, mode=0o640)
        write_json(path, {"c": 3}, mode=0o640)
    finally:
        os.umask(old)
    assert read_json(path, {}) == {"c": 3}
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(path.parent) == ["state.json"]


def test_a_refused_write_raises_a_storage_error_naming_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "state.json"
    path.mkdir()  # the rename is refused (root ignores permission bits; this it cannot)
    with pytest.raises(StorageError, match="state.json"):
        write_json(path, {"new": True})
    assert os.listdir(tmp_path) == ["state.json"] and path.is_dir()
