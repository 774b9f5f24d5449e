"""`timelapse settings` and the one change path behind the web's saves (SPEC §4, §17)."""

import json

import pytest

from timelapse.settings import change, history

from conftest import run_cli


@pytest.fixture
def setup(tmp_path):
    (tmp_path / "web").mkdir()
    path = tmp_path / "timelapse.yml"
    layer = tmp_path / "web/settings.yml"
    path.write_text(f"capture:\n  interval: 60\nstorage:\n  warn_threshold: 80\nweb:\n  settings: {layer}\n")
    return path, layer


def settings_json(path):
    result = run_cli("--config", path, "settings", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_each_value_says_where_it_comes_from(setup):
    path, _ = setup
    change.save(path, {"capture.interval": "30s"}, "192.168.1.23")
    table = settings_json(path)["settings"]
    assert table["capture.interval"]["value"] == "30s" and table["capture.interval"]["file"] == 60
    assert table["capture.interval"]["origin"].startswith("web 20") and "from 192.168.1.23" in \
        table["capture.interval"]["origin"]
    assert table["storage.warn_threshold"]["origin"] == f"{path}:4"
    assert table["capture.jpeg_quality"]["origin"] == "default" and table["capture.jpeg_quality"]["value"] == 85
    assert table["capture.interval"]["web_may_set"] and not table["storage.output_dir"]["web_may_set"]
    text = run_cli("--config", path, "settings").stdout
    assert "capture.interval" in text and "from 192.168.1.23" in text and f"{path}:4" in text


def test_a_refused_change_leaves_the_layer_byte_identical_with_its_mtime(setup):
    path, layer = setup
    change.save(path, {"capture.interval": "30s"}, "a")
    before = (layer.read_bytes(), layer.stat().st_mtime_ns)
    with pytest.raises(change.Invalid) as caught:
        change.save(path, {"capture.interval": "0", "storage.stop_threshold": 70}, "a")
    assert caught.value.errors["capture.interval"].startswith("expected a duration of at least 1 second")
    assert "warn_threshold below stop_threshold (70)" in caught.value.errors["storage.warn_threshold"]
    with pytest.raises(change.Forbidden):
        change.save(path, {"storage.output_dir": "/tmp"}, "a")
    assert (layer.read_bytes(), layer.stat().st_mtime_ns) == before


def test_null_removes_a_key_so_the_files_value_applies_again(setup):
    path, layer = setup
    change.save(path, {"capture.interval": "30s", "capture.jpeg_quality": 70}, "a")
    change.save(path, {"capture.interval": None}, "a")
    table = settings_json(path)["settings"]
    assert table["capture.interval"]["value"] == 60 and table["capture.jpeg_quality"]["value"] == 70


def test_history_keeps_ten_versions_and_rollback_restores_one(setup):
    path, layer = setup
    for seconds in range(1, 13):
        change.save(path, {"capture.interval": seconds}, f"10.0.0.{seconds}")
    kept = history.entries(layer)
    assert [e["version"] for e in kept] == list(range(12, 2, -1))
    assert kept[0]["diff"] == [{"key": "capture.interval", "from": 11, "to": 12}] and kept[0]["client"] == "10.0.0.12"
    shown = run_cli("--config", path, "settings", "--history").stdout
    assert "version 12" in shown and "capture.interval: 11 -> 12" in shown and "version 2 " not in shown
    result = run_cli("--config", path, "settings", "--rollback", "5")
    assert result.returncode == 0, result.stderr
    assert settings_json(path)["settings"]["capture.interval"]["value"] == 5
    assert history.entries(layer)[0]["version"] == 13
    missing = run_cli("--config", path, "settings", "--rollback", "1")
    assert missing.returncode == 78 and "version 1 is not in" in missing.stderr


def test_reset_removes_the_layer_and_can_be_rolled_back(setup):
    path, layer = setup
    change.save(path, {"capture.interval": 30}, "a")
    result = run_cli("--config", path, "settings", "--reset")
    assert result.returncode == 0 and not layer.exists()
    assert settings_json(path)["settings"]["capture.interval"]["value"] == 60
    assert run_cli("--config", path, "settings", "--rollback", "1").returncode == 0
    assert settings_json(path)["settings"]["capture.interval"]["value"] == 30


def test_an_ignored_layer_is_said_first(setup):
    path, layer = setup
    layer.write_text("daemon:\n  gap_log: /tmp/x\n")
    result = run_cli("--config", path, "settings")
    assert result.returncode == 0 and "IGNORED" in result.stdout and "daemon" in result.stdout
    assert settings_json(path)["layer"]["error"]
