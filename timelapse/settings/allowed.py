"""The keys the web may set (SPEC §17's table), and the check the loader makes of every web layer.

They say how and when pictures are taken and what is made of them; none names a file, a program,
a host, an address or a secret. A key of the table that the schema does not have yet (a feature
still to come) is simply not offered.
"""

from timelapse.config.schema import OPTIONS

# section -> keys; "a.b" is one key inside a mapping (camera.controls.LensPosition), a bare key the whole value.
ALLOWED = {
    "camera": ("resolution", "warmup", "exposure", "controls.LensPosition", "controls.AfMode"),
    "capture": ("interval", "jpeg_quality", "active_hours", "location"),
    "storage": ("warn_threshold", "stop_threshold", "cleanup_enabled", "retention_days"),
    "render": ("daily", "fps", "height", "quality", "deflicker", "keogram", "retention_days", "periods",
               "period_length", "daily_frame", "project_start", "overlay", "night"),
    "alerts": ("after", "daily_report", "name", "moved"),
    "web": ("live_fps",),
}

_SCHEMA_KEYS = {(option.section, option.key) for option in OPTIONS}


def web_keys():
    """Return the dotted keys the web may set that this version's schema has, in table order."""
    return [f"{section}.{key}" for section, keys in ALLOWED.items() for key in keys
            if (section, key.split(".")[0]) in _SCHEMA_KEYS]


def may_set(dotted):
    """Return True if the web may set the dotted key (or a key inside it: camera.exposure.mode)."""
    parts = dotted.split(".")
    for key in web_keys():
        allowed = key.split(".")
        if parts[:len(allowed)] == allowed:
            return True
    return False


def forbidden(layer):
    """Return the dotted keys of the parsed ``layer`` (a mapping) that the web may not set, with their lines.

    A list of (dotted key, line or None); empty when every key is allowed. A mapping that holds
    allowed keys only partly (camera.controls with LensPosition and ExposureTime) names the others.
    """
    found = []
    if not isinstance(layer, dict):
        return found
    for section, keys in layer.items():
        if section not in ALLOWED:
            found.append((str(section), _line(layer, section)))
            continue
        if not isinstance(keys, dict):
            continue  # the schema says what a section must be
        for key, value in keys.items():
            dotted = f"{section}.{key}"
            if dotted in web_keys():
                continue
            inner = [k[len(dotted) + 1:] for k in web_keys() if k.startswith(dotted + ".")]
            if inner and isinstance(value, dict):
                found += [(f"{dotted}.{sub}", _line(value, sub)) for sub in value if sub not in inner]
            else:
                found.append((dotted, _line(keys, key)))
    return found


def _line(mapping, key):
    return getattr(mapping, "lines", {}).get(key)
