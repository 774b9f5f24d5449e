"""The systemd state of the other units, read without root: `systemctl show` (over D-Bus).

Where systemd is not running (a container, a test machine, a daemon started by hand) or a unit
is not installed, the answer is None and the callers fall back to the status file.
"""

import subprocess

PROPERTIES = ("LoadState", "ActiveState", "SubState", "Result", "NRestarts", "ExecMainStatus")


def unit_state(unit, timeout=10):
    """Return {property: value} of ``unit`` (e.g. "timelapse.service"), or None if systemd cannot say.

    Values are strings as systemctl prints them; NRestarts is an int. None also when the unit is
    not installed (LoadState not-found), so that a daemon run by hand is judged by its status file.
    """
    try:
        result = subprocess.run(["systemctl", "show", unit, "-p", ",".join(PROPERTIES)],
                                capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None  # "System has not been booted with systemd", no D-Bus
    state = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    if state.get("LoadState") != "loaded":
        return None
    try:
        state["NRestarts"] = int(state.get("NRestarts") or 0)
    except ValueError:
        state["NRestarts"] = 0
    return state


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
