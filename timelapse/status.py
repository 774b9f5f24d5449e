"""The status file (/run/timelapse/status.json): written atomically, read by `timelapse status`."""

import datetime
import os

from timelapse.jsonstate import read_json, write_json

STATES = ("starting", "waiting_for_clock", "waiting_for_camera", "capturing", "idle", "disk_full", "storage_missing",
          "stopped")


def iso(epoch):
    """Return epoch seconds as ISO 8601 local time with its offset, or None."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def write_status(path, status):
    """Replace ``path`` with ``status`` as JSON, atomically, readable by every local user.

    Not fsynced: /run is a tmpfs, and the file is rewritten at every capture. Raise OSError.
    """
    write_json(path, status, mode=0o644, durable=False)


def read_status(path):
    """Return the status dict, or None if there is no (readable, valid) status file."""
    return read_json(path, {}) or None


def process_alive(pid):
    """Return True if ``pid`` is a running timelapse process."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            return b"timelapse" in stream.read()
    except OSError:
        return True


def daemon_running(status):
    """Return True if ``status`` (None: no status file) belongs to a daemon that is running now."""
    return bool(status) and status.get("state") != "stopped" and process_alive(status.get("pid"))


def is_stale(status, now=None):
    """Return True if a running daemon has not updated its status for much longer than expected."""
    updated = status.get("updated")
    if not updated:
        return True
    now = now or datetime.datetime.now().astimezone()
    age = (now - datetime.datetime.fromisoformat(updated)).total_seconds()
    expected = status.get("next_capture")
    if expected:  # a long wait (active_hours, a 1 h interval) is not staleness
        age = min(age, (now - datetime.datetime.fromisoformat(expected)).total_seconds())
    return age > 120


def _size(count):
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000


def format_sync(sync):
    """Return the offsite-copy lines of `timelapse status` from sync.state.summary() (plus "remote")."""
    last = sync.get("last") or {}
    if not last:
        outcome = "no copy yet (timelapse-sync.timer runs every sync.every; `sudo timelapse sync` now)"
    elif last.get("ok"):
        outcome = f"{last['finished']} ok, {last['files']} file(s), {_size(last['bytes'])}"
    else:
        outcome = f"{last['finished']} FAILED: {last.get('error')}"
    rows = [("sync", f"to {sync['remote']}"), ("  last run", outcome),
            ("  last success", sync.get("last_success") or "never")]
    waiting = sync.get("days_waiting") or 0
    if waiting:
        rows.append(("  days waiting", f"{waiting} (retention keeps them until they are copied)"))
    return [f"  {label + ':':<19}{value}" for label, value in rows]


def format_status(status, path, now=None, sync=None, running=None, unit=None, alerts=None):
    """Return the human-readable report of ``status`` (None: no status file).

    ``running``: as observe decided (None: the status's pid decides); ``unit``: the systemd unit's
    state in words, shown when set; ``sync`` and ``alerts`` as in an observe.Observation.
    """
    extra = (format_sync(sync) if sync else []) + (format_alerts(alerts) if alerts else [])
    unit_row = [f"  {'systemd:':<19}{unit}"] if unit else []
    if status is None:
        first = (f"timelapse is running, but has written no status yet in {path}." if running else
                 f"timelapse is not running (no status in {path}).")
        return "\n".join([first] + unit_row +
                         ["Start it with: sudo systemctl start timelapse; see: journalctl -u timelapse"] + extra)
    if running is None:
        running = process_alive(status.get("pid"))
    state = status.get("state", "unknown")
    lines = []
    if not running:
        lines.append(f"timelapse is not running (last state: {state}, last update {status.get('updated')}).")
    elif is_stale(status, now):
        lines.append(f"timelapse (pid {status['pid']}) is running, but its status is stale "
                     f"(last update {status.get('updated')}): it may be hung; see journalctl -u timelapse")
    else:
        lines.append(f"timelapse is running (pid {status['pid']}), state: {state}")
    rows = [
        ("camera", status.get("camera")),
        ("interval", f"{status.get('interval'):g} s" if status.get("interval") else None),
        ("last capture", _last_capture(status)),
        ("next capture", status.get("next_capture") if running else None),
        ("captures today", f"{status.get('captures_today', 0)} ({status.get('skipped_today', 0)} skipped)"),
        ("disk", _disk(status)),
        ("exposure", describe_exposure(status.get("exposure"))),
        ("clock", None if status.get("clock_synced") is None else
         ("synchronized" if status.get("clock_synced") else "NOT synchronized (image times may be wrong)")),
        ("retention", f"PAUSED: {status['retention_paused']}" if status.get("retention_paused") else None),
        ("last error", status.get("last_error")),
        ("web settings", describe_settings(status.get("settings"))),
        ("failures in a row", status.get("consecutive_failures") or None),
        ("config loaded", status.get("config_loaded")),
        ("started", status.get("started")),
    ]
    lines += unit_row + [f"  {label + ':':<19}{value}" for label, value in rows if value not in (None, "")]
    return "\n".join(lines + extra)


def format_alerts(health):
    """Return `timelapse status` lines for the alert channels, {channel: health or None} (observe)."""
    rows = []
    for name, record in health.items():
        if record is None:
            text = "not started (is timelapse-alerts.service running? systemctl status timelapse-alerts)"
        elif record.get("ok"):
            text = "ok" + (f", last sent {record['last_sent']}" if record.get("last_sent") else "")
        else:
            text = (f"FAILING since {record.get('since')}, {record.get('pending', 0)} message(s) waiting, "
                    f"next try {record.get('next_retry')}: {record.get('error')}")
        rows.append(f"  {'alerts:' if not rows else '':<19}{name} {text}")
    return rows


def describe_settings(settings):
    """Return the status' web layer fields ({"version", "applied", "error"}) as text, or None without a layer."""
    if not isinstance(settings, dict):
        return None
    if settings.get("error"):
        return f"IGNORED, running on the file alone: {settings['error']}"
    if settings.get("version") is not None or settings.get("applied"):
        return f"version {settings.get('version')}, applied {settings.get('applied')}"
    return None


def _last_capture(status):
    if not status.get("last_capture"):
        return "none yet"
    outcome = "" if status.get("last_capture_success", True) else " (FAILED)"
    image = f" -> {status['last_image']}" if status.get("last_image") else ""
    return f"{status['last_capture']}{outcome}{image}"


def _disk(status):
    if status.get("missing_mount"):
        return f"NOT MOUNTED at {status['missing_mount']} (nothing is written to the card underneath)"
    if status.get("disk_usage_percent") is None:
        return None
    free = status.get("disk_free_bytes")
    return f"{status['disk_usage_percent']:.1f}% used" + (f", {_size(free)} free" if free is not None else "")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def describe_exposure(exposure):
    """Return the last capture's exposure as text ("1/250 s, gain 2.00 (ISO 200), brightness 0.40"), or None.

    ``exposure`` is the status's {exposure_time_us, analogue_gain, brightness}; missing or non-numeric
    parts are left out (the status file is read as untrusted).
    """
    if not isinstance(exposure, dict):
        return None
    parts = []
    micros, gain, brightness = (exposure.get(k) for k in ("exposure_time_us", "analogue_gain", "brightness"))
    if _number(micros) and micros > 0:
        parts.append(f"1/{1e6 / micros:.0f} s" if micros < 500_000 else f"{micros / 1e6:.1f} s")
    if _number(gain):
        parts.append(f"gain {gain:.2f} (ISO {gain * 100:.0f})")
    if _number(brightness):
        parts.append(f"brightness {brightness:.2f}")
    return ", ".join(parts) or None
