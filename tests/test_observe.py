"""The camera's health is one observation: `timelapse status`, /api/status and /metrics say the same, systemd's word first where systemd runs the daemon (issue 24)."""

import json
import re

from conftest import cli_env, run_cli
from web_harness import WebServer

LOOPING = ("Id=timelapse.service\nLoadState=loaded\nActiveState=activating\nSubState=auto-restart\n"
           "Result=exit-code\nNRestarts=5\nExecMainStatus=1\n")
ACTIVE = ("Id=timelapse.service\nLoadState=loaded\nActiveState=active\nSubState=running\n"
          "Result=success\nNRestarts=0\nExecMainStatus=0\n")


def test_cli_and_web_agree_the_daemon_is_down_during_a_restart_loop_though_its_pid_is_alive(tmp_path):
    # The daemon process runs (its pid in the status is alive: the old rule said "running"), but
    # systemd has the unit in auto-restart: everyone says not running, and why.
    show = tmp_path / "systemctl-show"
    seam = {"TIMELAPSE_TEST_SYSTEMCTL_SHOW_FILE": str(show)}
    show.write_text(LOOPING)
    server = WebServer(tmp_path, env=seam)
    try:
        cli = run_cli("--config", server.config, "status", env=cli_env(**seam))
        assert cli.returncode == 3 and cli.stdout.startswith("timelapse is not running"), cli.stdout
        assert re.search(r"systemd: +timelapse.service activating, restarting \(exit-code\)", cli.stdout)
        status, _, body = server.request("GET", "/api/status")
        assert status == 200 and json.loads(body)["running"] is False
        _, _, metrics = server.request("GET", "/metrics")
        assert b"timelapse_up 0.0" in metrics

        show.write_text(ACTIVE)  # the unit came up: everyone says running
        server.daemon.wait_for(lambda: json.loads(server.request("GET", "/api/status")[2])["running"],
                               what="/api/status running")  # the web reuses a unit state for a second or two
        cli = run_cli("--config", server.config, "status", env=cli_env(**seam))
        assert cli.returncode == 0 and cli.stdout.startswith("timelapse is running"), cli.stdout
        _, _, metrics = server.request("GET", "/metrics")
        assert b"timelapse_up 1.0" in metrics
    finally:
        server.stop()


def test_without_systemd_the_status_pid_decides_for_cli_and_web_alike(tmp_path):
    server = WebServer(tmp_path)
    try:
        assert run_cli("--config", server.config, "status").returncode == 0
        assert json.loads(server.request("GET", "/api/status")[2])["running"] is True
        server.daemon.kill()  # SIGKILL: the status still says capturing, its pid is gone
        cli = run_cli("--config", server.config, "status")
        assert cli.returncode == 3 and "systemd:" not in cli.stdout
        assert json.loads(server.request("GET", "/api/status")[2])["running"] is False
    finally:
        server.stop()
