"""The fleet rules in examples/prometheus-alerts.yml: valid for promtool, and they fire on the
metric names /metrics really serves (SPEC §15)."""

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "examples/prometheus-alerts.yml"

UNIT_TESTS = """
rule_files: [{rules}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'timelapse_up{{instance="cam1", job="timelapse"}}'
        values: '1 1 0 0 0 0 0'
      - series: 'timelapse_state{{instance="cam2", job="timelapse", state="waiting_for_camera"}}'
        values: '1x10'
      - series: 'timelapse_state{{instance="cam3", job="timelapse", state="disk_full"}}'
        values: '1x3'
      - series: 'timelapse_clock_synced{{instance="cam4", job="timelapse"}}'
        values: '0x70'
      - series: 'timelapse_aim_moved{{instance="cam5", job="timelapse"}}'
        values: '0 0 1 1'
    alert_rule_test:
      - eval_time: 6m
        alertname: TimelapseNotCapturing
        exp_alerts:
          - exp_labels: {{severity: critical, instance: cam1, job: timelapse}}
            exp_annotations:
              summary: "cam1: not capturing (the daemon is not running)"
              description: "Run on the camera: sudo systemctl status timelapse; journalctl -u timelapse -e"
      - eval_time: 1m
        alertname: TimelapseNotCapturing
        exp_alerts: []
      - eval_time: 6m
        alertname: TimelapseCameraLost
        exp_alerts:
          - exp_labels: {{severity: critical, instance: cam2, job: timelapse, state: waiting_for_camera}}
            exp_annotations:
              summary: "cam2: camera lost"
              description: "Check the camera's cable; on the camera: timelapse cameras; journalctl -u timelapse -e"
      - eval_time: 1m
        alertname: TimelapseDiskFull
        exp_alerts:
          - exp_labels: {{severity: critical, instance: cam3, job: timelapse, state: disk_full}}
            exp_annotations:
              summary: "cam3: disk full, no new images"
              description: "Free space: timelapse cleanup --dry-run; storage.retention_days"
      - eval_time: 30m
        alertname: TimelapseClockUnsynchronized
        exp_alerts: []
      - eval_time: 1m
        alertname: TimelapseCameraMoved
        exp_alerts: []
      - eval_time: 3m
        alertname: TimelapseCameraMoved
        exp_alerts:
          - exp_labels: {{severity: warning, instance: cam5, job: timelapse}}
            exp_annotations:
              summary: "cam5: camera moved from its aim reference (timelapse_aim_shift_pixels says how far)"
              description: "Put it back with the web's Live page, compare with reference; or keep the new view: sudo -u timelapse timelapse aim --set"
"""


def promtool():
    path = shutil.which("promtool")
    assert path, "promtool is missing: sudo apt install prometheus (make deps)"
    return path


def test_the_example_rules_pass_promtool_check_rules():
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 10 rules found" in result.stdout


def test_the_example_rules_fire_on_the_series_the_camera_serves(tmp_path):
    tests = tmp_path / "tests.yml"
    tests.write_text(UNIT_TESTS.format(rules=RULES))
    result = subprocess.run([promtool(), "test", "rules", str(tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_timelapse_metric_the_rules_use_is_one_metrics_serves():
    served = set(re.findall(r'"(timelapse_[a-z_]+)"', (ROOT / "timelapse/web/handlers/status.py").read_text()))
    used = set(re.findall(r"\b(timelapse_[a-z_]+)\b", RULES.read_text()))
    assert used and used <= served, used - served
