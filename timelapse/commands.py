"""The short commands: check-config, status, snapshot, cameras, cleanup."""

from timelapse import config


def _interval_text(seconds):
    seconds = float(seconds)
    if seconds.is_integer() and seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return f"{seconds:g}s"


def check_config(args):
    """Validate the configuration; print OK and the effective essentials."""
    settings = config.load(args.file or args.config)
    layer_refused(settings)
    camera = settings.camera
    device = f" (device {camera.device})" if camera.source in ("usb", "auto") else ""
    print(f"OK: {settings.path or 'built-in defaults (no configuration file)'}")
    print(f"  output_dir: {settings.storage.output_dir}")
    print(f"  camera: {camera.source}{device}, {camera.resolution[0]}x{camera.resolution[1]}")
    print(f"  interval: {_interval_text(settings.capture.interval)}")
    _check_layer(settings)
    if settings.sync.remote:
        import sys

        from timelapse.errors import ConfigError
        from timelapse.sync.rclone import check_remote, config_path

        # A warning, not a failure: capture (and `systemctl reload timelapse`) does not need it.
        try:
            check_remote(settings.sync.remote, config_path(settings))
            print(f"  sync: to {settings.sync.remote} every {_interval_text(settings.sync.every)}")
        except ConfigError as exc:
            print(f"timelapse: warning: {exc}", file=sys.stderr)
    _check_alerts(settings)
    return 0


def layer_refused(settings):
    """Raise ConfigError (exit 78) naming the web layer and its problems if the loader ignored it."""
    from timelapse.errors import ConfigError

    layer = settings.layer
    if layer is not None and layer.error:
        raise ConfigError([f"the web layer {layer.path} is ignored (capture runs on the file alone):"]
                          + layer.error)


def _check_layer(settings):
    """Print the web layer in force and the keys where it overrides the file."""
    layer = settings.layer
    if layer is None or layer.path is None:
        return
    if layer.data:
        version = f"version {layer.version}" if layer.version is not None else "no version (written by hand?)"
        print(f"  web layer: {layer.path} ({version})")
    for key, line in layer.overlap:
        where = f"{settings.path}:{line}" if line else settings.path
        print(f"  {key}: set in {where} and in the web layer: the web's value stays in force "
              "(timelapse settings; \"use the file's value\" on the Settings page)")


def _check_alerts(settings):
    """Print the alert channels; warn (capture does not need them) of a missing password file or paho."""
    import sys

    from timelapse.alerts.channels import configured, read_password
    from timelapse.errors import ConfigError

    names = configured(settings)
    if not names:
        return
    print(f"  alerts: {', '.join(names)}" + (f", daily report at {settings.alerts.daily_report}"
                                              if settings.alerts.daily_report else ""))
    try:
        read_password(settings)
    except ConfigError as exc:
        print(f"timelapse: warning: {exc}", file=sys.stderr)
    if "mqtt" in names:
        from timelapse.alerts.channels.base import ChannelError
        from timelapse.alerts.channels.mqtt import load_paho

        try:
            load_paho()
        except ChannelError as exc:
            print(f"timelapse: warning: {exc}", file=sys.stderr)


def status(args):
    """Show the camera's health (observe.Observation) for people, or the status file as JSON."""
    import json
    import sys

    from timelapse.errors import EXIT_NOT_RUNNING, ConfigError
    from timelapse.observe import DAEMON_UNIT, Observer
    from timelapse.status import format_status
    from timelapse.units import describe

    try:
        settings = config.load(args.config)
    except ConfigError as exc:
        # A broken file must not hide the status: the daemon keeps running on its old settings.
        settings = config.defaults()
        print(f"timelapse: warning: the configuration has {len(exc.problems)} error(s) "
              f"(see `timelapse check-config`); the daemon keeps its previous settings", file=sys.stderr)
    seen = Observer().look(settings)
    current = seen.status or None
    if args.json:
        shown = dict(current or {}, sync=seen.sync) if seen.sync else current
        shown = dict(shown or {}, aim=seen.aim) if seen.aim else shown
        print(json.dumps(dict(shown or {}, alerts=seen.alerts) if seen.alerts else shown, indent=1, sort_keys=True))
    else:
        from timelapse.night.sky_now import sky_now  # SPEC §19: the clear-sky figure, when the newest image is dark

        unit = seen.units.get(DAEMON_UNIT)
        lines = [format_status(current, seen.status_path, sync=seen.sync, running=seen.running, alerts=seen.alerts,
                               unit=None if unit is None else describe(DAEMON_UNIT, unit))]
        sky = sky_now(settings.storage.output_dir, (current or {}).get("last_image"))
        if sky["stars"] is not None:
            lines.append(f"  {'night sky:':<19}{sky['sky']} ({sky['stars']} stars)")
        if seen.aim:
            from timelapse.aim.watch import summary_line

            lines.append(summary_line(seen.aim))
        print("\n".join(lines))
    # Like `systemctl status`: 3 when the daemon is not running, so scripts can test it.
    return 0 if seen.running else EXIT_NOT_RUNNING


def snapshot(args):
    """Capture one image now with the configured camera, honouring the camera lock."""
    import itertools
    import time

    from timelapse.camera import make_camera
    from timelapse.camera.lock import CameraLock
    from timelapse.camera.runner import call_with_timeout
    from timelapse.clock import local_time
    from timelapse.errors import CameraBusy
    from timelapse.exif import with_exif
    from timelapse.status import read_status
    from timelapse.storage import write_atomically

    settings = config.load(args.config)
    lock = CameraLock(settings.daemon.lock_file, holder="timelapse snapshot")
    try:
        lock.acquire(wait=2.0)
    except CameraBusy as exc:
        latest = (read_status(settings.daemon.status_file) or {}).get("last_image")
        hint = f"; the latest capture is {latest}" if latest else ""
        raise CameraBusy(f"{exc}{hint}; set camera.release_between_captures: true to share the camera",
                         exc.holder_pid) from None
    try:
        timeout = settings.capture.timeout
        camera = make_camera(settings.camera, settings.capture.jpeg_quality, timeout=timeout)
        call_with_timeout(camera.open, timeout + settings.camera.warmup, camera, "open")
        try:
            taken = local_time(time.time())
            data = with_exif(call_with_timeout(camera.capture, timeout, camera, "capture"), taken)
        finally:
            camera.close()
    finally:
        lock.release()
    if args.output:  # a name the user chose: replaced, as `cp` would
        output = args.output
        write_atomically(output, data, replace=True)
    else:  # never overwrite an earlier snapshot, even of the same second
        stem = taken.strftime("snapshot-%Y%m%d-%H%M%S")
        output = next(name for name in (f"{stem}{f'-{n}' if n > 1 else ''}.jpg" for n in itertools.count(1))
                      if write_atomically(name, data))
    print(f"{output} ({len(data)} bytes, {camera.describe()})")
    return 0


def cameras(args):
    """List Pi cameras (picamera2) and USB/V4L2 capture devices with their stable names."""
    from timelapse.camera.detect import pi_cameras, usb_without_opencv, v4l2_capture_devices

    found = 0
    pis, reason = pi_cameras()
    for number, info in enumerate(pis):  # Picamera2(number) opens it: Pi cameras come first
        found += 1
        print(f"picamera {number}: {info.get('Model', 'unknown')} ({info.get('Id', '')})")
    if not pis:
        print(f"Pi cameras: none ({reason})")
    devices = v4l2_capture_devices()
    for device in devices:
        found += 1
        print(f"usb {device.path}: {device.name}")
        if device.stable_path:
            print(f"    device: {device.stable_path}")
    note = usb_without_opencv(devices)
    if note:
        print(note)
    if not found:
        print("no cameras found. Check that:\n"
              "  - the camera is connected (Pi camera: ribbon cable seated, contacts the right way round;\n"
              "    USB: `lsusb` lists it, `ls /dev/video*` shows a device)\n"
              "  - you are in group video (`id`; add with: sudo adduser $USER video, then log in again)\n"
              "  - to try timelapse without a camera, set camera.source: synthetic")
    return 0


def cleanup(args):
    """Apply retention now, or with --dry-run list what it would delete.

    On a clock that is not known good (clock.retention_paused) it lists, deletes nothing and
    raises ClockUntrusted (exit 1).
    """
    from timelapse.clock import retention_paused
    from timelapse.errors import ClockUntrusted
    from timelapse.retention import apply_retention

    settings = config.load(args.config)
    storage = settings.storage
    dry_run = args.dry_run
    paused = None
    if not storage.cleanup_enabled and not dry_run:
        print("retention is off (storage.cleanup_enabled: false), so nothing is deleted; "
              f"these day directories are older than retention_days ({storage.retention_days}):")
        dry_run = True
    elif dry_run:
        note = retention_paused(storage.trust_clock)
        if note:
            print(f"(retention is paused now: {note})")
    else:
        paused = retention_paused(storage.trust_clock)
        if paused:
            print(f"retention paused: {paused}; these day directories look older than retention_days "
                  f"({storage.retention_days}) by this clock:")
            dry_run = True
    hold = None
    if settings.sync.remote:
        from timelapse.sync.state import SyncState

        hold = SyncState(storage.output_dir).hold
    outcomes = apply_retention(storage.output_dir, storage.retention_days, dry_run=dry_run, hold=hold,
                               trust_clock=storage.trust_clock)
    for outcome in outcomes:
        verb = "kept" if outcome.reason else ("would delete" if dry_run else "deleted")
        why = f": {outcome.reason}" if outcome.reason else ""
        print(f"{verb} {outcome.day.path} ({outcome.files} files, {outcome.bytes / 1e6:.1f} MB){why}")
    waiting = [o for o in outcomes if o.held]
    if waiting:
        print(f"{len(waiting)} day(s) wait for their copy to {settings.sync.remote} before they can go "
              f"(timelapse status shows the last copy)")
    going = [o for o in outcomes if not o.reason]
    total = f"{len(going)} day(s), {sum(o.files for o in going)} files, {sum(o.bytes for o in going) / 1e6:.1f} MB"
    print(f"{'would delete' if dry_run else 'deleted'} {total}" if outcomes else
          f"nothing older than {storage.retention_days} days in {storage.output_dir}")
    if paused:
        raise ClockUntrusted(f"nothing deleted: {paused}")
    return 0
