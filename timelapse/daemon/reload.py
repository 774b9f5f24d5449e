"""SIGHUP for the capture daemon: re-read the configuration and swap it in whole, or keep the old one.

A reload is all or nothing: a file with any error (or a new output_dir that cannot take images)
is rejected with every problem logged and put in the status' last_error, and the daemon keeps
running on its current settings. An accepted one reaches every collaborator that keeps settings
(log level, disk guard and retention, slot names, camera session, exposure ramp).
"""

import logging

from timelapse import config
from timelapse.errors import StorageError
from timelapse.logsetup import set_level
from timelapse.names import SlotNamer
from timelapse.settings.applied import status_of, tell
from timelapse.status import iso
from timelapse.storage import check_output_dir

log = logging.getLogger("timelapse")


def apply_reload(daemon):
    """Reload ``daemon``'s (a `timelapse.daemon.loop.Daemon`) configuration file; clear its reload request."""
    daemon.reload_requested = daemon.layer_changed = False
    new, problems = config.reload(daemon.settings)
    if not problems and new.storage.output_dir != daemon.settings.storage.output_dir:
        try:
            check_output_dir(new.storage.output_dir)
        except StorageError as exc:
            problems = [str(exc)]
    if problems:
        log.error("reload rejected, keeping the current settings:")
        for problem in problems:
            log.error("  %s", problem)
        daemon.reporter.update(last_error="reload rejected: " + "; ".join(problems))
        return
    old, daemon.settings = daemon.settings, new
    set_level(new.daemon.log_level)
    if new.storage.output_dir != old.storage.output_dir:
        daemon.namer = SlotNamer(new.storage.output_dir)  # it remembers the last slot of its own root only
    # Every collaborator that keeps settings is told the same way: reconfigure(new, old).
    daemon.storage.reconfigure(new, old)
    reopened = daemon.session.reconfigure(new, old)
    daemon.exposure.reconfigure(new, old)
    if daemon.session.is_open:
        daemon.exposure.opened(daemon.session)
    log.info("reloaded %s%s", new.path or "built-in defaults", "; camera reopens" if reopened else "")
    previous = daemon.status.get("settings")
    tell(new.layer, previous)
    if new.web.settings != old.web.settings:
        watch_layer(daemon)
    daemon.reporter.update(interval=new.capture.interval, config_loaded=iso(daemon.clock.wall()),
                           camera=new.camera.source,
                           settings=status_of(new.layer, previous, iso(daemon.clock.wall())))


def watch_layer(daemon):
    """Watch ``daemon``'s web layer (SPEC §17): a save there wakes the loop for a reload, as SIGHUP does."""
    from timelapse.settings.watch import LayerWatch

    if getattr(daemon, "layer_watch", None):
        daemon.layer_watch.stop()
    daemon.layer_watch = None
    path = daemon.settings.web.settings
    if path:
        watch = LayerWatch(path, daemon.note_layer_change)
        daemon.layer_watch = watch if watch.start() else None
