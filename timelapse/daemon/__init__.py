"""The capture daemon (`timelapse run`): the loop and the collaborators it wires.

- `loop`: `Daemon`, the capture loop (slots, window, clock steps, signals) and `run_command`;
- `session`: `CameraSession`, the camera with its lock, timeouts and reconnect backoff;
- `storage_keeper`: `StorageKeeper`, the disk guard, write failures and retention off the capture path;
- `reporter`: `StatusReporter`, the status file, systemd's STATUS= line and the gap log;
- `reload`: `apply_reload`, SIGHUP: a new configuration swapped in whole or refused;
- `preview`: `PreviewService`, live-view frames on a unix socket beside the status file;
- `notify`: `Notifier`, sd_notify without libsystemd.

Nothing is imported here: the web server imports `preview.socket_path` alone and must not pull in
the loop and the camera.
"""
