"""The Settings page's groups and what each field means (SPEC §17), in one place.

Each meaning is the shipped /etc/timelapse/timelapse.yml's comment for the key, shortened to a
line; a test keeps every key of the allow-list in exactly one group. Keys this version's schema
does not have yet (a later feature's) are left out by `groups`.
"""

from timelapse.settings.allowed import web_keys

GROUPS = (
    ("Capture", (
        ("capture.interval", 'Time between captures: seconds, or "30s", "5m", "1h30m"; at least 1 second.'),
        ("capture.jpeg_quality", "JPEG quality of each image, 1..100."),
        ("web.live_fps", "Live view frames per second, 1..15 (the capture always comes first)."),
    )),
    ("Schedule and place", (
        ("capture.active_hours", 'Daily capture window: "HH:MM-HH:MM" (may wrap midnight), or by the sun: '
                                 '{"from": "sunrise - 30m", "until": "sunset + 30m"}; null: around the clock.'),
        ("capture.location", 'Where the camera is, for sun-relative windows: {"latitude": 59.91, "longitude": 10.75}.'),
    )),
    ("Picture and exposure", (
        ("camera.resolution", "Largest image saved, [width, height]; larger frames are downscaled, aspect kept."),
        ("camera.warmup", "Seconds to let exposure and white balance settle after the camera opens."),
        ("camera.exposure", 'Exposure: {"mode": "camera"} (the camera\'s own) or {"mode": "smooth"} '
                            "(the day-to-night ramp; target, max_exposure, max_gain, max_step, white_balance)."),
        ("camera.controls.LensPosition", "Focus of a Camera Module 3 in dioptres (0 = infinity); set AfMode 0 to hold it."),
        ("camera.controls.AfMode", "Autofocus mode: 0 manual, 1 auto, 2 continuous."),
    )),
    ("Storage", (
        ("storage.warn_threshold", "Percent of the disk used at which a warning is logged (below stop_threshold)."),
        ("storage.stop_threshold", "Percent of the disk used at which new captures are refused."),
        ("storage.cleanup_enabled", "Delete whole days older than retention_days."),
        ("storage.retention_days", "Days of images kept when cleanup is on."),
    )),
    ("Videos", (
        ("render.daily", "Render yesterday's video (and keogram) every night, when ffmpeg is installed."),
        ("render.fps", "Frames per second of the video."),
        ("render.height", "Video height in pixels (even); images are never enlarged."),
        ("render.quality", "x264 CRF, 0..51: lower is better and bigger."),
        ("render.deflicker", "Smooth frame-to-frame brightness jumps."),
        ("render.keogram", "Also write the day's keogram (one column per frame)."),
        ("render.retention_days", "Delete videos and keograms older than this; null keeps them."),
        ("render.periods", "Period videos rendered nightly: week, month, project."),
        ("render.period_length", "A period video's length."),
        ("render.daily_frame", 'One frame a day for period videos: {"at": "noon"}, "HH:MM" or "sunrise + 2h".'),
        ("render.project_start", "First day of the project video."),
        ("render.overlay", "Text on the videos: {text, position, size}."),
    )),
    ("Night sky", (
        ("render.night", "A night as one unit: video, keogram, startrails, meteors."),
    )),
    ("Alerts", (
        ("alerts.after", "Slots in a row without an image, inside the window, before \"not capturing\"."),
        ("alerts.daily_report", 'One summary a day at "HH:MM"; null: none.'),
        ("alerts.name", "The camera's name in messages; null: the host name."),
        ("alerts.moved", "Pixels of shift from the aim reference that count as \"moved\"; null: off."),
    )),
)

WINDOW_KEYS = ("capture.active_hours", "capture.location")  # a change shows the coming days' windows


def groups():
    """Return [(group title, [(dotted key, meaning)])] for the keys this version has, empty groups left out."""
    present = set(web_keys())
    shown = [(title, [(key, text) for key, text in fields if key in present]) for title, fields in GROUPS]
    return [(title, fields) for title, fields in shown if fields]
