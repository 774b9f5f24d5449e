"""The systemd state of the units, read without root: `systemctl show` (over D-Bus).

Where systemd is not running (a container, a test machine, a daemon started by hand) or a unit
is not installed, the answer is None and the callers fall back to the status file.

Test seam (tests only, never set on a real machine): ``TIMELAPSE_TEST_SYSTEMCTL_SHOW_FILE`` names
a file holding what `systemctl show` would print; it is read instead, as if systemd were the init
system (a unit in a restart loop, without a booted systemd).
"""

import os
import subprocess

PROPERTIES = ("LoadState", "ActiveState", "SubState", "Result", "NRestarts", "ExecMainStatus")
TEST_SEAM = "TIMELAPSE_TEST_SYSTEMCTL_SHOW_FILE"


def systemd_running():
    """Return True if systemd is the init system (sd_booted(3): /run/systemd/system exists)."""
    return os.path.isdir("/run/systemd/system")


def unit_states(names, timeout=10):
    """Return {unit: {property: value} or None} for ``names`` (e.g. "timelapse.service"), in one call.

    Values are strings as systemctl prints them; NRestarts is an int. A unit is None when systemd
    cannot say (not the init system, no D-Bus) or the unit is not installed (LoadState not-found),
    so that a daemon run by hand is judged by its status file.
    """
    unknown = {name: None for name in names}
    seam = os.environ.get(TEST_SEAM)
    if seam:
        try:
            with open(seam) as stream:
                return parse_show(stream.read(), names)
        except OSError:
            return unknown
    if not systemd_running():
        return unknown  # no process spawned on each check where it cannot help
    try:
        result = subprocess.run(["systemctl", "show", *names, "-p", ",".join(("Id",) + PROPERTIES)],
                                capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return unknown
    if result.returncode != 0:
        return unknown
    return parse_show(result.stdout, names)


def parse_show(text, names):
    """Return {unit: state or None} from `systemctl show UNIT... -p Id,...` output (blocks per unit)."""
    unknown = {name: None for name in names}
    for block in text.split("\n\n"):
        state = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if state.get("Id") in unknown and state.get("LoadState") == "loaded":
            try:
                state["NRestarts"] = int(state.get("NRestarts") or 0)
            except ValueError:
                state["NRestarts"] = 0
            unknown[state["Id"]] = state
    return unknown


def is_running(state):
    """Return True if a unit state (from unit_state) is up: active, or reloading."""
    return state.get("ActiveState") in ("active", "reloading")


def describe(unit, state):
    """Return the unit's state in words: "timelapse.service failed (exit-code)"."""
    words = f"{unit} {state.get('ActiveState', 'unknown')}"
    if state.get("SubState") == "auto-restart":
        words += ", restarting"
    result = state.get("Result")
    if result and result != "success":
        words += f" ({result})"
    return words
