"""The web layer as the loader sees it (SPEC §17): merged over the file, its keys checked, a bad one ignored whole."""

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml

from timelapse import config
from timelapse.errors import ConfigError
from timelapse.settings import layer as layer_file
from timelapse.settings.allowed import forbidden, may_set, web_keys

from conftest import cli_env, run_cli


@pytest.fixture
def files(tmp_path):
    """A config file naming a web layer in tmp_path/web/settings.yml; write(file=..., layer=...)."""
    web = tmp_path / "web"
    web.mkdir()
    config_path, layer_path = tmp_path / "timelapse.yml", web / "settings.yml"

    def write(file="", layer=None):
        config_path.write_text(file + f"\nweb:\n  settings: {layer_path}\n" if "web:" not in file else file)
        if layer is not None:
            layer_path.write_text(layer) if isinstance(layer, str) else layer_path.write_bytes(layer)
        return config_path

    write.config, write.layer = config_path, layer_path
    return write


def test_layer_values_apply_over_the_file_mappings_deep_and_scalars_replaced(files):
    path = files("capture:\n  interval: 60\n  jpeg_quality: 90\ncamera:\n  exposure: {mode: smooth, target: 0.3}\n",
                 "capture:\n  interval: 30s\ncamera:\n  exposure: {max_gain: 4}\n  resolution: [640, 480]\n")
    settings = config.load(str(path))
    assert settings.capture.interval == 30 and settings.capture.jpeg_quality == 90
    assert settings.camera.exposure.mode == "smooth" and settings.camera.exposure.target == 0.3
    assert settings.camera.exposure.max_gain == 4 and settings.camera.resolution == (640, 480)
    assert settings.layer.error is None and settings.path == str(path)


def test_no_layer_file_means_the_file_alone(files):
    settings = config.load(str(files("capture:\n  interval: 20\n")))
    assert settings.capture.interval == 20 and settings.layer.error is None and settings.layer.data == {}


def test_web_settings_null_turns_the_layer_off(files):
    path = files("web:\n  settings: null\n", "capture:\n  interval: 5\n")
    settings = config.load(str(path))
    assert settings.capture.interval == 60 and settings.layer.path is None


@pytest.mark.parametrize("key, text", [
    ("storage.output_dir", "storage:\n  output_dir: /tmp/elsewhere\n"),
    ("web.settings", "web:\n  settings: /tmp/other.yml\n"),
    ("alerts.webhook", "alerts:\n  webhook: http://evil.example/\n"),
    ("daemon", "daemon:\n  gap_log: /etc/passwd\n"),
    ("camera.controls.ExposureTime", "camera:\n  controls: {LensPosition: 1.5, ExposureTime: 100}\n"),
    ("sync", "sync: null\n"),
])
def test_a_layer_with_a_key_the_web_may_not_set_is_refused_whole_naming_it(files, key, text):
    path = files("capture:\n  interval: 60\n", "capture:\n  interval: 10\n" + text)
    settings = config.load(str(path))
    assert settings.capture.interval == 60, "the whole layer is ignored, its allowed keys too"
    assert any(key in problem and str(files.layer) in problem for problem in settings.layer.error)


def test_the_allow_list_is_the_spec_table_limited_to_keys_the_schema_has():
    keys = web_keys()
    assert "capture.interval" in keys and "camera.controls.LensPosition" in keys and "web.live_fps" in keys
    assert not any(k.startswith(("daemon.", "sync.")) or k in ("storage.output_dir", "web.settings", "web.auth")
                   for k in keys)
    assert may_set("camera.exposure.mode") and not may_set("camera.controls.ExposureTime")
    assert forbidden({"capture": {"interval": 5}}) == []


@pytest.mark.parametrize("layer", [b"capture: [\n", b"\xff\xfe garbage", b"- a list\n", b"capture:\n  interval: 0\n",
                                   b"capture:\n  intervall: 5\n"])
def test_a_bad_layer_is_ignored_whole_and_check_config_exits_78_naming_its_path(files, layer):
    path = files("capture:\n  interval: 42\n", layer)
    settings = config.load(str(path))
    assert settings.capture.interval == 42 and settings.layer.error
    result = run_cli("check-config", path)
    assert result.returncode == 78
    assert str(files.layer) in result.stderr and "ignored" in result.stderr


def test_a_layer_value_invalid_only_with_the_file_is_ignored_with_the_layer_line(files):
    path = files("storage:\n  warn_threshold: 80\n", "# a note\nstorage:\n  stop_threshold: 70\n")
    settings = config.load(str(path))
    assert settings.storage.stop_threshold == 90 and settings.layer.error
    result = run_cli("check-config", path)
    assert result.returncode == 78 and "warn_threshold below stop_threshold (70)" in result.stderr


def test_an_invalid_value_in_the_layer_is_reported_at_the_layers_line(files):
    path = files("capture:\n  interval: 60\n", "# header\ncapture:\n  jpeg_quality: 500\n")
    result = run_cli("check-config", path)
    assert result.returncode == 78 and f"{files.layer}:3: capture.jpeg_quality" in result.stderr


def test_check_config_says_when_the_web_value_stays_in_force_over_the_file(files):
    path = files("capture:\n  interval: 60\n", "capture:\n  interval: 30\n")
    result = run_cli("check-config", path)
    assert result.returncode == 0, result.stderr
    assert f"capture.interval: set in {path}:2 and in the web layer: the web's value stays in force" in result.stdout


def test_a_symlink_at_the_layer_path_is_not_followed(files, tmp_path):
    target = tmp_path / "elsewhere.yml"
    target.write_text("capture:\n  interval: 5\n")
    path = files("")
    files.layer.symlink_to(target)
    settings = config.load(str(path))
    assert settings.capture.interval == 60 and "symlink" in settings.layer.error[0]
    with pytest.raises(ConfigError, match="symlink"):
        layer_file.write(files.layer, {"capture": {"interval": 7}}, 1, "127.0.0.1")
    assert target.read_text() == "capture:\n  interval: 5\n" and files.layer.is_symlink()


def test_a_written_layer_has_its_version_header_and_no_temporary_left(files):
    layer_file.write(files.layer, {"capture": {"interval": "30s"}}, 3, "192.0.2.7")
    found = layer_file.read(files.layer)
    assert (found.version, found.client, found.data) == (3, "192.0.2.7", {"capture": {"interval": "30s"}})
    assert os.listdir(files.layer.parent) == ["settings.yml"]


WRITER = """
import sys
from timelapse.settings import layer
n = 0
while True:
    n += 1
    layer.write(sys.argv[1], {"capture": {"interval": n % 50 + 1, "jpeg_quality": 80}, "render": {"fps": 25}}, n, "x")
"""


def test_kill_9_during_writes_leaves_the_old_or_the_new_layer_whole(files):
    layer_file.write(files.layer, {"capture": {"interval": 1, "jpeg_quality": 80}, "render": {"fps": 25}}, 0, "x")
    for attempt in range(5):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(files.layer)], env=cli_env())
        time.sleep(0.3 + attempt * 0.07)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        found = layer_file.read(files.layer)
        assert found.data["render"] == {"fps": 25} and found.data["capture"]["jpeg_quality"] == 80
        assert yaml.safe_load(files.layer.read_text())["capture"]["interval"] >= 1
    assert found.version and found.version > 0, "the writer did write"


def test_every_key_the_web_may_set_is_on_the_settings_page_once():
    from timelapse.settings.fields import GROUPS, groups

    listed = [key for _, fields in GROUPS for key, _ in fields]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(f"{s}.{k}" for s, keys in __import__(
        "timelapse.settings.allowed", fromlist=["ALLOWED"]).ALLOWED.items() for k in keys)
    shown = [key for _, fields in groups() for key, _ in fields]
    assert sorted(shown) == sorted(web_keys())
