"""Load, validate and hand out the configuration as typed, frozen settings."""

import os
from dataclasses import dataclass, field

import voluptuous as vol

from timelapse.config.loader import read_yaml
from timelapse.config.render import duplicate_key_errors, render_errors
from timelapse.config.schema import SCHEMA, SECTIONS
from timelapse.errors import ConfigError

DEFAULT_PATH = "/etc/timelapse/timelapse.yml"
ENV_VAR = "TIMELAPSE_CONFIG"


@dataclass(frozen=True)
class CameraSettings:
    source: str
    device: object
    resolution: tuple
    warmup: float
    release_between_captures: bool
    controls: dict
    exposure: object = None  # exposure.settings.ExposureSettings
    scene: object = None  # None, exposure.settings.LightScene or SunScene


@dataclass(frozen=True)
class CaptureSettings:
    interval: float
    jpeg_quality: int
    timeout: float
    active_hours: object  # None or window.ActiveHours
    location: object  # None or window.Location


@dataclass(frozen=True)
class StorageSettings:
    output_dir: str
    warn_threshold: int
    stop_threshold: int
    cleanup_enabled: bool
    retention_days: int
    trust_clock: bool


@dataclass(frozen=True)
class DaemonSettings:
    status_file: str
    lock_file: str
    gap_log: object
    clock_sync_timeout: float
    log_level: str


@dataclass(frozen=True)
class WebSettings:
    address: object  # None: every interface
    port: int
    auth: str  # "password" or "none"
    live_fps: int
    settings: object = None  # the web layer's path (SPEC §17); None: no web layer


@dataclass(frozen=True)
class SyncSettings:
    remote: object  # None, "name:path" or an absolute path
    every: float
    bwlimit: object


@dataclass(frozen=True)
class RenderSettings:
    daily: bool
    fps: float
    height: int
    quality: int
    deflicker: bool
    keogram: bool
    retention_days: object  # None keeps videos
    # Period videos (SPEC §18).
    periods: tuple = ()  # of "week", "month", "project"
    period_length: float = 60.0  # seconds of video
    daily_frame: object = None  # None or window.Moment: one frame a day at that moment
    project_start: object = None  # None or datetime.date
    overlay: object = None  # None or {"text", "position", "size" (percent of the height)}
    night: bool = False  # SPEC §19


@dataclass(frozen=True)
class AlertsSettings:
    after: int
    email: object  # None or {"to": [...], "from", "host", "port", "starttls", "user"}
    webhook: object  # None or {"url", "format": "json" | "ntfy"}
    mqtt: object  # None or {"host", "port", "tls", "user", "topic", "homeassistant"}
    daily_report: object  # None or "HH:MM"
    name: object  # None: the host name
    moved: object  # pixels of shift from the aim reference that are "moved"; None: off (SPEC §20)


@dataclass(frozen=True)
class Config:
    camera: CameraSettings
    capture: CaptureSettings
    storage: StorageSettings
    daemon: DaemonSettings
    web: WebSettings
    sync: SyncSettings
    render: RenderSettings
    alerts: AlertsSettings
    path: object = None  # the file it came from, None for built-in defaults
    layer: object = field(default=None, compare=False)  # settings.merge.LayerState: the web layer merged over the file (SPEC §17)


_SETTINGS = {"camera": CameraSettings, "capture": CaptureSettings,
             "storage": StorageSettings, "daemon": DaemonSettings, "web": WebSettings, "sync": SyncSettings,
             "render": RenderSettings, "alerts": AlertsSettings}


def validate(data, filename="<config>"):
    """Return a Config from a parsed document; raise ConfigError listing every problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"'{data}'"
        raise ConfigError(f"{filename}:1: expected a mapping of sections "
                          f"({', '.join(SECTIONS)}) at the top level, got {kind}")
    problems = duplicate_key_errors(data, filename)
    try:
        valid = SCHEMA(data)
    except vol.MultipleInvalid as exc:
        problems += render_errors(exc.errors, data, filename)
    if problems:
        raise ConfigError([text for _, text in sorted(problems, key=lambda item: item[0])])
    return Config(path=None if filename == "<defaults>" else filename,
                  **{name: _SETTINGS[name](**valid[name]) for name in SECTIONS})


def defaults():
    """Return the built-in defaults."""
    return validate({}, "<defaults>")


def find_path(explicit=None, environ=os.environ):
    """Return the config file to read (None: built-in defaults), by SPEC's lookup order."""
    if explicit:
        return explicit
    if environ.get(ENV_VAR):
        return environ[ENV_VAR]
    return DEFAULT_PATH if os.path.exists(DEFAULT_PATH) else None


def load(explicit=None, environ=os.environ, layer=True):
    """Return the effective Config: defaults, then the file, then the web layer (``layer``: merge it).

    Raise ConfigError with every problem if the file is invalid. A web layer that is invalid is
    ignored as a whole (the file alone applies) and its problems are in ``Config.layer.error``.
    """
    return _load_path(find_path(explicit, environ), layer)


def _load_path(path, layer=True):
    data = read_yaml(path) if path is not None else {}
    filename = str(path) if path is not None else "<defaults>"
    settings = validate(data, filename)
    if not layer:
        return settings
    from timelapse.settings.merge import over_file

    return over_file(settings, data, filename)


def reload(current):
    """Return (new Config, []) from the same file (and web layer) as ``current``, or (None, problems)."""
    try:
        return _load_path(current.path), []
    except ConfigError as exc:
        return None, exc.problems
