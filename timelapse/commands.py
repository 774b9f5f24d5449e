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
    return 0
