"""Every option in one place: its section, key, default and validator, and the schema built from them.

The shipped /etc/timelapse/timelapse.yml and man/timelapse.yml.5 describe exactly these
options; tests keep them in step.
"""

from collections import namedtuple

import voluptuous as vol

from timelapse.config import alerts_keys, camera_keys, network_keys, period_keys, schedule_keys
from timelapse.config import vocabulary as v

Option = namedtuple("Option", "section key default validator")

OPTIONS = (
    Option("camera", "source", "auto", v.one_of("auto", "picamera", "usb", "synthetic")),
    Option("camera", "device", 0, camera_keys.device),
    Option("camera", "resolution", [1920, 1080], v.resolution),
    Option("camera", "warmup", 2, v.number(0)),
    Option("camera", "release_between_captures", False, v.boolean),
    Option("camera", "controls", {}, camera_keys.controls),
    Option("camera", "exposure", {"mode": "camera", "target": 0.4, "max_exposure": "20s", "max_gain": 8.0,
                                  "max_step": 0.33, "white_balance": "auto"}, camera_keys.exposure),
    Option("camera", "scene", None, camera_keys.scene),
    Option("capture", "interval", 60, v.duration(1)),
    Option("capture", "jpeg_quality", 85, v.number(1, 100, integer=True)),
    Option("capture", "timeout", 30, v.number(0, exclusive_minimum=True)),
    Option("capture", "active_hours", None, schedule_keys.active_hours),
    Option("capture", "location", None, schedule_keys.location),
    Option("storage", "output_dir", "/var/lib/timelapse", v.absolute_path()),
    Option("storage", "warn_threshold", 85, v.percent),
    Option("storage", "stop_threshold", 90, v.percent),
    Option("storage", "cleanup_enabled", False, v.boolean),
    Option("storage", "retention_days", 30, v.number(1, integer=True)),
    Option("storage", "trust_clock", False, v.boolean),
    Option("daemon", "status_file", "/run/timelapse/status.json", v.absolute_path()),
    Option("daemon", "lock_file", "/run/timelapse/camera.lock", v.absolute_path()),
    Option("daemon", "gap_log", None, v.absolute_path(optional=True)),
    Option("daemon", "clock_sync_timeout", 120, v.duration(0, allow_zero=True)),
    Option("daemon", "log_level", "info", v.one_of("debug", "info", "warning", "error")),
    Option("web", "address", None, network_keys.listen_address),
    Option("web", "port", 8080, v.number(1, 65535, integer=True)),
    Option("web", "auth", "password", v.one_of("password", "none")),
    Option("web", "live_fps", 5, v.number(1, 15, integer=True)),
    Option("web", "settings", "/var/lib/timelapse-web/settings.yml", v.absolute_path(optional=True)),
    Option("sync", "remote", None, network_keys.remote),
    Option("sync", "every", "15m", v.duration(300)),
    Option("sync", "bwlimit", None, network_keys.bwlimit),
    Option("render", "daily", True, v.boolean),
    Option("render", "fps", 25, v.number(1, 120)),
    Option("render", "height", 1080, v.even_height),
    Option("render", "quality", 23, v.number(0, 51, integer=True)),
    Option("render", "deflicker", True, v.boolean),
    Option("render", "keogram", True, v.boolean),
    Option("render", "retention_days", None, v.optional(v.number(1, integer=True), "keep videos forever")),
    # Period videos (SPEC §18).
    Option("render", "periods", [], period_keys.periods),
    Option("render", "period_length", "60s", v.duration(1)),
    Option("render", "daily_frame", None, period_keys.daily_frame),
    Option("render", "project_start", None, period_keys.project_start),
    Option("render", "overlay", None, period_keys.overlay),
    Option("render", "night", False, v.boolean),  # SPEC §19: the night just ended as one unit
    Option("alerts", "after", 3, v.number(1, integer=True)),
    Option("alerts", "email", None, alerts_keys.email_channel),
    Option("alerts", "webhook", None, alerts_keys.webhook_channel),
    Option("alerts", "mqtt", None, alerts_keys.mqtt_channel),
    Option("alerts", "daily_report", None, alerts_keys.clock_time),
    Option("alerts", "name", None, alerts_keys.camera_name),
    Option("alerts", "moved", 20, alerts_keys.moved_pixels),
)

SECTIONS = tuple(dict.fromkeys(option.section for option in OPTIONS))


def keys_of(section):
    """Return the key names of one section, in documented order."""
    return [option.key for option in OPTIONS if option.section == section]


def _thresholds_ordered(storage):
    if storage["warn_threshold"] >= storage["stop_threshold"]:
        raise vol.Invalid(
            f"expected warn_threshold below stop_threshold ({storage['stop_threshold']})",
            path=["warn_threshold"])
    return storage


def _sun_needs_location(capture):
    from timelapse.window import uses_sun

    events = uses_sun(capture["active_hours"])
    if events and capture["location"] is None:
        raise vol.Invalid(f"expected capture.location {{latitude, longitude}} for the sun events in "
                          f"active_hours ({', '.join(dict.fromkeys(events))}), such as "
                          f"location: {{latitude: 59.91, longitude: 10.75}}", path=["active_hours"])
    return capture


def _smooth_needs_a_pi_camera(camera):
    if camera["exposure"].mode == "smooth" and camera["source"] == "usb":
        raise vol.Invalid("expected mode camera with source usb: exposure ranges and controls of USB and IP "
                          "cameras are driver specific, so the smooth ramp (mode smooth) is for picamera and "
                          "synthetic only", path=["exposure", "mode"])
    return camera


def _scene_needs_synthetic(camera):
    if camera["scene"] is not None and camera["source"] != "synthetic":
        raise vol.Invalid(f"expected null with source {camera['source']}: a scene is the synthetic camera's "
                          "simulated light (set source: synthetic, or remove scene)", path=["scene"])
    return camera


# section -> [(keys the check needs, check)]; a check runs whenever those keys are valid,
# even if another key of the section is not, so that every problem is reported at once.
_CROSS_CHECKS = {"storage": [(("warn_threshold", "stop_threshold"), _thresholds_ordered)],
                 "capture": [(("active_hours", "location"), _sun_needs_location)],
                 "camera": [(("source", "exposure"), _smooth_needs_a_pi_camera),
                            (("source", "scene"), _scene_needs_synthetic)]}


def _section(name):
    options = {o.key: o for o in OPTIONS if o.section == name}
    fields = vol.Schema({vol.Optional(key, default=_copy(o.default)): o.validator for key, o in options.items()},
                        extra=vol.PREVENT_EXTRA)
    checks = _CROSS_CHECKS.get(name, [])

    def validate(value):
        if value is None:  # a section whose keys are all commented out
            value = {}
        if not isinstance(value, dict):
            raise vol.Invalid(f"expected a mapping of {name} settings ({', '.join(keys_of(name))})")
        errors, result = [], None
        try:
            result = fields(value)
        except vol.MultipleInvalid as exc:
            errors.extend(exc.errors)
        for keys, check in checks:
            try:
                check(result if result is not None else _valid_subset(options, value, keys))
            except vol.Invalid as exc:
                errors.append(exc)
            except KeyError:
                pass  # one of its keys is itself invalid, and reported already
        if errors:
            raise vol.MultipleInvalid(errors)
        return result

    return validate


def _valid_subset(options, value, keys):
    """Return the validated values of ``keys``; raise KeyError if one of them is invalid."""
    subset = {}
    for key in keys:
        default = options[key].default
        try:
            subset[key] = options[key].validator(value.get(key, default))
        except vol.Invalid:
            raise KeyError(key) from None
    return subset


def _copy(default):
    return (lambda: list(default)) if isinstance(default, list) else (
        (lambda: dict(default)) if isinstance(default, dict) else default)


def _noon_needs_location(config):
    """The sun's events in render.daily_frame need capture.location (another section: checked on the whole)."""
    at = config["render"]["daily_frame"]
    if at is not None and at.event != "clock" and config["capture"]["location"] is None:
        raise vol.Invalid(f"expected capture.location {{latitude, longitude}} for the sun's {at.event} in "
                          f'daily_frame, such as location: {{latitude: 59.91, longitude: 10.75}} (or a clock '
                          f'time: {{at: "12:00"}})', path=["render", "daily_frame", "at"])
    return config


SCHEMA = vol.Schema(vol.All(vol.Schema({vol.Optional(name, default=dict): _section(name) for name in SECTIONS},
                                       extra=vol.PREVENT_EXTRA), _noon_needs_location))
