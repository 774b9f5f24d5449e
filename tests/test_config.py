"""The configuration file as user interface: defaults, good shapes, and every bad input explained."""

import os
import re
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timelapse import cli, config
from timelapse.config.schema import OPTIONS, SECTIONS
from timelapse.errors import ConfigError

from conftest import ROOT, cli_env, run_cli


def problems_of(text, write_config):
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        config.load(str(path))
    return path, caught.value.problems


def test_empty_file_means_all_defaults(write_config):
    assert config.load(str(write_config(""))) == config.validate({}, str(write_config("")))
    assert config.load(str(write_config("# only comments\n"))).capture.interval == 60


def test_shipped_config_equals_schema_defaults():
    shipped = config.load(str(ROOT / "etc/timelapse/timelapse.yml"))
    defaults = config.defaults()
    for section in SECTIONS:
        assert getattr(shipped, section) == getattr(defaults, section)


def section_text(text, start, ends):
    """Return the part of ``text`` from the line matching ``start`` up to the next line matching ``ends``."""
    begin = re.search(start, text, re.M)
    assert begin, start
    rest = text[begin.end():]
    end = re.search(ends, rest, re.M)
    return rest[:end.start()] if end else rest


def test_shipped_config_names_every_key_once():
    text = (ROOT / "etc/timelapse/timelapse.yml").read_text()
    for option in OPTIONS:
        section = section_text(text, rf"^{option.section}:", r"^\S")
        assert len(re.findall(rf"^  {option.key}:", section, re.M)) == 1, (option.section, option.key)


def test_man_page_documents_every_key_and_default():
    man = (ROOT / "man/timelapse.yml.5").read_text()
    for option in OPTIONS:
        section = section_text(man, rf"^\.SH {option.section.upper()}$", r"^\.SH ")
        entry = re.search(rf"^\.BR {option.key} \" \(.*$", section, re.M)
        assert entry, f"{option.key} is not documented"
        shown = yaml.safe_dump(option.default, default_flow_style=True).replace("\n...", "").strip()
        plain = re.sub(r" +", " ", entry.group(0).replace('"', "").replace("\\-", "-"))
        assert f"default {shown} )" in plain, (entry.group(0), shown)


@pytest.mark.parametrize("text, check", [
    ("capture: {interval: 90}", lambda c: c.capture.interval == 90),
    ("capture: {interval: '30s'}", lambda c: c.capture.interval == 30),
    ("capture: {interval: 5m}", lambda c: c.capture.interval == 300),
    ("capture: {interval: 1h30m}", lambda c: c.capture.interval == 5400),
    ("capture: {interval: 1.5}", lambda c: c.capture.interval == 1.5),
    ("capture: {active_hours: '20:00-06:00'}", lambda c: c.capture.active_hours == (
        ("clock", 1200, 0), ("clock", 360, 0))),
    ("capture: {active_hours: {from: 'sunrise - 30m', until: 'sunset + 1h15m'}, location: {latitude: 59.91, "
     "longitude: 10.75}}", lambda c: c.capture.active_hours == (("sunrise", None, -1800), ("sunset", None, 4500))
     and c.capture.location == (59.91, 10.75)),
    ("capture: {active_hours: {from: dusk, until: dawn}, location: {latitude: -33.9, longitude: 151}}",
     lambda c: c.capture.active_hours == (("dusk", None, 0), ("dawn", None, 0))),
    ("capture: {active_hours: {from: 06:30, until: '18:00 + 30m'}}",  # YAML reads an unquoted 06:30 as 390
     lambda c: c.capture.active_hours == (("clock", 390, 0), ("clock", 1080, 1800))),
    ("render: {periods: [week, project], period_length: 2m, daily_frame: {at: 12:00}, project_start: 2026-03-01}",
     lambda c: c.render.periods == ("week", "project") and c.render.period_length == 120
     and c.render.daily_frame == ("clock", 720, 0) and c.render.project_start == __import__("datetime").date(2026, 3, 1)),
    ("render: {daily_frame: {at: 'sunrise + 2h'}, overlay: {text: \"It's 100% {time:%H:%M} \\\\ é\"}}\n"
     "capture: {location: {latitude: 78.2, longitude: 15.6}}",
     lambda c: c.render.daily_frame == ("sunrise", None, 7200) and c.render.overlay == {
         "text": "It's 100% {time:%H:%M} \\ é", "position": "bottom-left", "size": 4}),
    ("camera: {device: /dev/v4l/by-id/usb-cam-video-index0}", lambda c: c.camera.device.startswith("/dev/v4l")),
    ("camera: {device: 'rtsp://cam.local:554/s1'}", lambda c: c.camera.device.startswith("rtsp://")),
    ("camera: {device: '2'}", lambda c: c.camera.device == 2),
    ("camera: {source: Synthetic}", lambda c: c.camera.source == "synthetic"),
    ("camera: {controls: {AfMode: 0, LensPosition: 1.0, ScalerCrop: [0, 0, 100, 100]}}",
     lambda c: c.camera.controls["ScalerCrop"] == (0, 0, 100, 100)),
    ("camera:\n", lambda c: c.camera == config.defaults().camera),
    ("storage: {warn_threshold: 50, stop_threshold: 51, output_dir: /media/usb/tl/}",
     lambda c: c.storage.output_dir == "/media/usb/tl"),
    ("daemon: {gap_log: /var/log/timelapse-gaps.log, clock_sync_timeout: 0}",
     lambda c: c.daemon.clock_sync_timeout == 0),
])
def test_good_configs_of_each_shape_load(text, check, write_config):
    assert check(config.load(str(write_config(text))))


# (YAML text, key path expected in the message, line expected, a fragment of the message)
BAD = [
    ("capture:\n  interval: 0\n", "capture.interval", 2, "at least 1 second"),
    ("capture:\n  interval: -5\n", "capture.interval", 2, "got '-5'"),
    ("capture:\n  interval: abc\n", "capture.interval", 2, "got 'abc'"),
    ("capture:\n  interval: 5 parsecs\n", "capture.interval", 2, "'5 parsecs'"),
    ("capture:\n  interval: 0.5\n", "capture.interval", 2, "at least 1 second"),
    ("capture:\n  interval: true\n", "capture.interval", 2, "got true"),
    ("capture:\n  interval:\n", "capture.interval", 2, "got an empty value"),
    ("capture:\n  interval: [1, 2]\n", "capture.interval", 2, "duration"),
    ("capture:\n  interval: .nan\n", "capture.interval", 2, "duration"),
    ("storage:\n  warn_threshold: 95\n  stop_threshold: 90\n", "storage.warn_threshold", 2, "below stop_threshold"),
    ("storage:\n  warn_threshold: 90\n", "storage.warn_threshold", 2, "below stop_threshold"),
    ("storage:\n  stop_threshold: 101\n", "storage.stop_threshold", 2, "from 1 to 100"),
    ("storage:\n  warn_threshold: 0\n", "storage.warn_threshold", 2, "from 1 to 100"),
    ("storage:\n  stop_threshold: 85.5\n", "storage.stop_threshold", 2, "whole number"),
    ("storage:\n  retention_days: 0\n", "storage.retention_days", 2, "at least 1"),
    ("storage:\n  cleanup_enabled: yes please\n", "storage.cleanup_enabled", 2, "true or false"),
    ("storage:\n  output_dir: images\n", "storage.output_dir", 2, "absolute path"),
    ("camera:\n  resolution: [0, 1080]\n", "camera.resolution", 2, "got [0, 1080]"),
    ("camera:\n  resolution: 1080p\n", "camera.resolution", 2, "got '1080p'"),
    ("camera:\n  resolution: [1920]\n", "camera.resolution", 2, "[width, height]"),
    ("camera:\n  resolution: [1920.5, 1080]\n", "camera.resolution", 2, "whole numbers"),
    ("capture:\n  jpeg_quality: 0\n", "capture.jpeg_quality", 2, "from 1 to 100"),
    ("capture:\n  jpeg_quality: 101\n", "capture.jpeg_quality", 2, "got '101'"),
    ("capture:\n  jpeg_quality: high\n", "capture.jpeg_quality", 2, "got 'high'"),
    ("capture:\n  timeout: 0\n", "capture.timeout", 2, "greater than 0"),
    ("capture:\n  active_hours: '25:00-06:00'\n", "capture.active_hours", 2, "HH:MM-HH:MM"),
    ("capture:\n  active_hours: '06:00-06:00'\n", "capture.active_hours", 2, "start != end"),
    ("capture:\n  active_hours: 'mornings'\n", "capture.active_hours", 2, "'mornings'"),
    ("capture:\n  active_hours: '6-20'\n", "capture.active_hours", 2, "HH:MM-HH:MM"),
    ("capture:\n  active_hours: {from: sunrise, until: sunset}\n", "capture.active_hours", 2,
     "expected capture.location {latitude, longitude} for the sun events in active_hours (sunrise, sunset)"),
    ("capture:\n  location:\n    latitude: 91\n    longitude: 10\n", "capture.location.latitude", 3,
     "expected a number from -90 to 90 (degrees, north and east positive), got '91'"),
    ("capture:\n  location: {latitude: 59, longitude: -181}\n", "capture.location.longitude", 2,
     "from -180 to 180"),
    ("capture:\n  location: {latitude: 59}\n", "capture.location", 2, "longitude is missing"),
    ("capture:\n  active_hours:\n    from: sunrise + banana\n    until: sunset\n  location: {latitude: 1, "
     "longitude: 2}\n", "capture.active_hours.from", 3, "got 'sunrise + banana'"),
    ("capture:\n  active_hours: {from: dusk, until: dusk}\n  location: {latitude: 1, longitude: 2}\n",
     "capture.active_hours", 2, "expected from and until to differ"),
    ("capture:\n  active_hours: {from: '25:00', until: dusk}\n  location: {latitude: 1, longitude: 2}\n",
     "capture.active_hours.from", 2, "sunrise, sunset, dawn, dusk, noon or HH:MM"),
    ("capture:\n  active_hours: {from: sunrise}\n  location: {latitude: 1, longitude: 2}\n",
     "capture.active_hours", 2, "until is missing"),
    ("camera:\n  source: webcam\n", "camera.source", 2, "one of auto, picamera, usb, synthetic"),
    ("camera:\n  source: usbb\n", "camera.source", 2, "did you mean 'usb'"),
    ("camera:\n  device: -1\n", "camera.device", 2, "camera index"),
    ("camera:\n  device: ''\n", "camera.device", 2, "camera index"),
    ("camera:\n  warmup: -1\n", "camera.warmup", 2, "at least 0"),
    ("camera:\n  controls: [AfMode]\n", "camera.controls", 2, "mapping of libcamera control"),
    ("camera:\n  controls: {AfMode: auto}\n", "camera.controls.AfMode", 2, "control AfMode"),
    ("camera:\n  release_between_captures: 1\n", "camera.release_between_captures", 2, "true or false"),
    ("camera:\n  devise: 1\n", "camera.devise", 2, "did you mean 'device'"),
    ("capture:\n  intervall: 10\n", "capture.intervall", 2, "did you mean 'interval'"),
    ("interval: 10\n", "interval", 1, "belongs under 'capture:'"),
    ("captur:\n  interval: 10\n", "captur", 1, "did you mean 'capture'"),
    ("storage:\n  interval: 10\n", "storage.interval", 2, "belongs under 'capture:'"),
    ("camera: usb\n", "camera", 1, "expected a mapping of camera settings"),
    ("daemon:\n  log_level: verbose\n", "daemon.log_level", 2, "debug, info, warning, error"),
    ("daemon:\n  clock_sync_timeout: -1\n", "daemon.clock_sync_timeout", 2, "duration"),
    ("daemon:\n  gap_log: gaps.txt\n", "daemon.gap_log", 2, "absolute path"),
    ("daemon:\n  lock_file: 17\n", "daemon.lock_file", 2, "absolute path"),
    ("capture:\n  interval: 10\n  interval: 20\n", "capture.interval", 3, "duplicate key (first set on line 2)"),
    ("camera:\n  capture:\n    interval: 10\n", "camera.capture", 2, "unknown key 'capture'"),
    # Period videos (SPEC §18).
    ("render:\n  periods: [week, wek]\n", "render.periods.1", 2, "did you mean 'week'"),
    ("render:\n  periods: [month, month]\n", "render.periods.1", 2, "month is listed twice"),
    ("render:\n  periods: week\n", "render.periods", 2, "expected a list of week, month, project"),
    ("render:\n  period_length: 0\n", "render.period_length", 2, "at least 1 second"),
    ("render:\n  daily_frame: noon\n", "render.daily_frame", 2, "expected daily_frame as a mapping"),
    ("render:\n  daily_frame:\n    at: lunch\n", "render.daily_frame.at", 3, "got 'lunch'"),
    ("render:\n  daily_frame: {}\n", "render.daily_frame", 2, "at is missing"),
    ("render:\n  daily_frame: {at: noon}\n", "render.daily_frame.at", 2,
     "expected capture.location {latitude, longitude} for the sun's noon in daily_frame"),
    ("render:\n  project_start: 2026-13-01\n", "render.project_start", 2, "got '2026-13-01'"),
    ("render:\n  project_start: March\n", "render.project_start", 2, "YYYY-MM-DD"),
    ("render:\n  overlay: {text: '{camera} {foo}'}\n", "render.overlay.text", 2, "found {foo}"),
    ("render:\n  overlay: {position: top-left}\n", "render.overlay", 2, "text is missing"),
    ("render:\n  overlay:\n    text: x\n    position: centre\n", "render.overlay.position", 4,
     "top-left, top-right, bottom-left, bottom-right"),
    ("render:\n  overlay: {text: x, size: 0}\n", "render.overlay.size", 2, "from 1 to 20"),
]


@pytest.mark.parametrize("text, key, line, fragment", BAD, ids=[b[1] + ":" + b[3][:20] for b in BAD])
def test_bad_config_names_file_line_key_and_what_was_expected(text, key, line, fragment, write_config):
    path, problems = problems_of(text, write_config)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: {key}:") or problems[0].startswith(f"{path}:{line}: unknown section"), problems
    assert fragment in problems[0]


@pytest.mark.parametrize("content, fragment", [
    ("camera:\n\tsource: usb\n", ":2:1: YAML syntax error"),
    ("camera: [unclosed\n", "YAML syntax error"),
    ("- a\n- b\n", ":1: expected a mapping of sections"),
    ("just words\n", "expected a mapping of sections"),
    (b"\xff\xfe\x00junk\x89PNG", "not UTF-8"),
    (b"camera: {}\n\x00\x00", "NUL bytes"),
    ("camera:\n  source: usb\n" + "# padding\n" * 120000, "larger than 1024 KiB"),
    ("? [a, b]\n: 1\n", "YAML syntax error"),
    ("camera: &a {source: usb}\ncapture: *a\n", "unknown key 'source' in section 'capture'"),
    ("!!python/object:os.system {}\n", "YAML syntax error"),
])
def test_unparseable_files_are_explained(content, fragment, write_config):
    _, problems = problems_of(content, write_config)
    assert fragment in "\n".join(problems)


def test_every_problem_is_reported_at_once_in_line_order(write_config):
    _, problems = problems_of(
        "camera:\n  source: usbb\n  resolution: [0, 1]\ncapture:\n  interval: -5\n  jpeg_quality: 0\n"
        "storage:\n  warn_threshold: 95\n", write_config)
    assert [int(p.split(":")[1]) for p in problems] == [2, 3, 5, 6, 8]


def test_inverted_thresholds_are_reported_even_beside_another_storage_error(write_config):
    _, problems = problems_of("storage:\n  warn_threshold: 95\n  stop_threshold: 90\n  output_dir: images\n",
                              write_config)
    assert [p.split(": ")[1] for p in problems] == ["storage.warn_threshold", "storage.output_dir"]


def test_check_config_exits_78_with_every_error_and_no_traceback(write_config):
    path = write_config("capture:\n  interval: -5\n  jpeg_quality: 0\n")
    result = run_cli("check-config", path)
    assert result.returncode == 78
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == [f"timelapse: error: {path}:2: capture.interval: expected a duration of at least 1 second "
                     f"(\"30s\", \"5m\", or a number of seconds), got '-5'",
                     f"timelapse: error: {path}:3: capture.jpeg_quality: expected a whole number from 1 to 100, "
                     "got '0'"]


def test_check_config_ok_prints_the_effective_essentials(write_config):
    path = write_config("camera: {source: synthetic}\ncapture: {interval: 5m}\n")
    result = run_cli("check-config", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"OK: {path}", "  output_dir: /var/lib/timelapse",
                                          "  camera: synthetic, 1920x1080", "  interval: 5m"]


def test_check_config_into_a_closed_pipe_exits_quietly_like_cat(write_config):
    """`timelapse check-config | head -1`: the reader is gone before the command writes."""
    path = write_config("camera: {source: synthetic}\n")
    reader, writer = os.pipe()
    os.close(reader)  # a real pipe whose reader has gone, as head's after its one line
    try:
        result = subprocess.run([sys.executable, "-m", "timelapse", "check-config", str(path)], stdout=writer,
                                stderr=subprocess.PIPE, text=True, env=cli_env(), timeout=60)
    finally:
        os.close(writer)
    assert result.stderr == ""
    assert result.returncode == 141  # as a shell reports `cat` killed by SIGPIPE


def test_lookup_prefers_option_then_environment(write_config, tmp_path):
    explicit = write_config("capture: {interval: 7}", "a.yml")
    from_env = write_config("capture: {interval: 8}", "b.yml")
    environ = {"TIMELAPSE_CONFIG": str(from_env)}
    assert config.load(str(explicit), environ).capture.interval == 7
    assert config.load(None, environ).capture.interval == 8
    with pytest.raises(ConfigError, match="no such file"):
        config.load(str(tmp_path / "missing.yml"), environ)


def test_global_config_option_works_after_the_command(write_config, capsys):
    path = write_config("capture: {interval: 9}")
    assert cli.main(["check-config", "--config", str(path)]) == 0
    assert "interval: 9s" in capsys.readouterr().out


def test_reload_returns_new_settings_or_every_problem(write_config):
    path = write_config("capture: {interval: 10}")
    current = config.load(str(path))
    path.write_text("capture: {interval: 20}")
    new, problems = config.reload(current)
    assert new.capture.interval == 20 and problems == []
    path.write_text("capture: {interval: -1, jpeg_quality: 0}")
    new, problems = config.reload(current)
    assert new is None and len(problems) == 2


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                     st.text(max_size=12))
_yaml_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(
        ["camera", "capture", "storage", "daemon", "interval", "source", "resolution", "device",
         "warn_threshold", "stop_threshold", "active_hours", "controls"]), st.text(max_size=8)), inner, max_size=5)),
    max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_yaml_values)
def test_random_yaml_never_produces_a_traceback(document, write_config):
    path = write_config(yaml.safe_dump(document))
    try:
        config.load(str(path))
    except ConfigError as exc:
        assert all(line.startswith(str(path)) for line in exc.problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_random_text_never_produces_a_traceback(text, write_config):
    path = write_config(text.encode("utf-8", "surrogatepass"))
    try:
        config.load(str(path))
    except ConfigError as exc:
        assert exc.problems
