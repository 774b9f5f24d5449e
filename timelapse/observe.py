"""One look at the camera's health, read by everything that shows or judges it.

`timelapse status [--json]`, the web's /api/status, status page and /metrics, the live view's
503, and the alerts (their rules and the MQTT state) all start from an Observation made here,
so "running" means the same everywhere:

- where systemd runs the daemon (timelapse.service installed, systemd the init system), its
  unit state decides: a unit in auto-restart is not running, whatever pid the last status holds;
- elsewhere (a daemon started by hand, a container, the tests) the status file decides: a state
  other than "stopped" and its pid alive.

The systemd state is asked with one `systemctl show` (units.unit_states); an Observer may reuse
it for a second or two, so that a page polling /api/status does not spawn systemctl each time.
"""

import datetime
import time
from dataclasses import dataclass, field

from timelapse import status as status_file
from timelapse import units

DAEMON_UNIT = "timelapse.service"
RENDER_UNIT = "timelapse-render.service"
UNITS = (DAEMON_UNIT, RENDER_UNIT)


@dataclass
class Observation:
    """What is known of the camera at ``now`` (epoch seconds).

    ``status``: the daemon's status file ({} if none or damaged). ``running``: the daemon is up
    (see the module's docstring); ``why_down``: if not, why, in words. ``stale``: running, but its
    status stopped updating (hung). ``units``: {unit: systemd state dict, or None without systemd
    or when not installed}. ``sync``: the offsite copy's summary (last, last_success,
    days_waiting, remote), None without sync.remote. ``alerts``: {channel: health record or None
    (the alerts process has not reported it)} for each configured channel, None without any.
    ``aim``: the last check against the aim reference (timelapse.aim.watch.summary), None without one.
    """

    now: float
    status_path: str
    status: dict
    running: bool
    why_down: str = None
    stale: bool = False
    units: dict = field(default_factory=dict)
    sync: dict = None
    alerts: dict = None
    aim: dict = None


def daemon_state(status, unit, status_path):
    """Return (running, why_down) of the daemon from its unit state (None: no systemd) and ``status``."""
    if unit is not None:
        if units.is_running(unit):
            return True, None
        return False, units.describe(DAEMON_UNIT, unit)
    if not status:
        return False, f"no status in {status_path}"
    if status_file.daemon_running(status):
        return True, None
    if status.get("state") == "stopped":
        return False, "the daemon was stopped"
    return False, f"the daemon (pid {status.get('pid')}) is gone"


class Observer:
    """Make Observations. ``unit_states`` is units.unit_states or a stand-in with its signature;
    ``clock`` returns epoch seconds; a unit state is reused for ``units_max_age`` seconds."""

    def __init__(self, unit_states=units.unit_states, clock=time.time, units_max_age=0.0):
        self.unit_states = unit_states
        self.clock = clock
        self.units_max_age = units_max_age
        self._units = (None, None)  # (monotonic time asked, states)

    def look(self, settings, sync=True, alerts=True):
        """Return an Observation of now under ``settings``; ``sync``/``alerts``: read those records too."""
        now = self.clock()
        path = settings.daemon.status_file
        status = status_file.read_status(path) or {}
        unit_states = self._unit_states()
        running, why = daemon_state(status, unit_states[DAEMON_UNIT], path)
        seen = Observation(now=now, status_path=path, status=status, running=running, why_down=why,
                           units=unit_states)
        seen.stale = running and bool(status) and status_file.is_stale(
            status, datetime.datetime.fromtimestamp(now).astimezone())
        if sync and settings.sync.remote:
            from timelapse.sync.state import summary

            seen.sync = dict(summary(settings.storage.output_dir), remote=settings.sync.remote)
        if alerts:
            seen.alerts = alert_channels(settings)
        from timelapse.aim.watch import summary as aim_summary

        seen.aim = aim_summary(settings.storage.output_dir)
        return seen

    def _unit_states(self):
        asked, states = self._units
        if states is None or time.monotonic() - asked > self.units_max_age:
            states = self.unit_states(UNITS)
            self._units = (time.monotonic(), states)
        return states


def alert_channels(settings):
    """Return {channel: health or None} for the configured alert channels (as timelapse-alerts.service
    last wrote them), or None if no channel is configured."""
    from timelapse.alerts.channels import configured

    names = configured(settings)
    if not names:
        return None
    from timelapse.alerts.store import channel_health

    health = channel_health(settings.storage.output_dir)
    return {name: health.get(name) for name in names}
