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
    camera = settings.camera
    device = f" (device {camera.device})" if camera.source in ("usb", "auto") else ""
    print(f"OK: {settings.path or 'built-in defaults (no configuration file)'}")
    print(f"  output_dir: {settings.storage.output_dir}")
    print(f"  camera: {camera.source}{device}, {camera.resolution[0]}x{camera.resolution[1]}")
    print(f"  interval: {_interval_text(settings.capture.interval)}")
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
    """Show the daemon's status file for people (or as JSON)."""
    import json

    from timelapse.errors import EXIT_NOT_RUNNING
    from timelapse.status import daemon_running, format_status, read_status

    import sys

    from timelapse.errors import ConfigError

    try:
        settings = config.load(args.config)
    except ConfigError as exc:
        # A broken file must not hide the status: the daemon keeps running on its old settings.
        settings = config.defaults()
        print(f"timelapse: warning: the configuration has {len(exc.problems)} error(s) "
              f"(see `timelapse check-config`); the daemon keeps its previous settings", file=sys.stderr)
    path = settings.daemon.status_file
    current = read_status(path)
    sync = None
    if settings.sync.remote:
        from timelapse.sync.state import summary

        sync = dict(summary(settings.storage.output_dir), remote=settings.sync.remote)
    from timelapse.alerts.channels import configured
    from timelapse.alerts.store import channel_health, format_health

    channels = configured(settings)
    health = channel_health(settings.storage.output_dir) if channels else None
    if args.json:
        shown = dict(current or {}, sync=sync) if sync else current
        print(json.dumps(dict(shown or {}, alerts=health) if channels else shown, indent=1, sort_keys=True))
    else:
        print("\n".join([format_status(current, path, sync=sync)] + (format_health(health, channels) if channels else [])))
    # Like `systemctl status`: 3 when the daemon is not running, so scripts can test it.
    return 0 if daemon_running(current) else EXIT_NOT_RUNNING


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
