"""Defaults, then the file, then the web layer: the one merge every reader of the configuration uses.

Mappings merge key by key (deep); lists and scalars from the layer replace the file's. The
layer is checked against the table of keys the web may set (`allowed`) and the merged whole is
validated by the schema `check-config` uses; a layer that fails either is ignored as a whole and
the file alone applies, with the reasons kept in ``Config.layer.error``.
"""

import dataclasses
from dataclasses import dataclass

from timelapse.config.loader import LineDict
from timelapse.errors import ConfigError
from timelapse.settings import layer as layer_file
from timelapse.settings.allowed import forbidden


@dataclass(frozen=True)
class LayerState:
    """The web layer as the loader found it.

    ``path`` None: no web layer (web.settings null). ``version``/``saved``/``client`` come from its
    header (None for none or a hand-written one). ``error`` is None or the list of problems for
    which it was ignored. ``data`` is the layer in force ({} when none or ignored). ``overlap`` lists
    (dotted key, file line) set both in the file and in the layer: the web's value is in force.
    """

    path: object = None
    version: object = None
    saved: object = None
    client: object = None
    error: object = None
    data: dict = dataclasses.field(default_factory=dict)
    overlap: tuple = ()

    def summary(self):
        """Return the status file's ``settings`` fields: {"version", "error"} (error one line or None)."""
        return {"version": self.version if not self.error else None,
                "error": "; ".join(self.error) if self.error else None}


def merged(file_data, layer_data, layer_path):
    """Return a LineDict of ``layer_data`` over ``file_data``; keys from the layer name ``layer_path``
    in the mapping's ``sources`` (so that errors point at the layer's line)."""
    result = LineDict(getattr(file_data, "line", None))
    result.sources = dict(getattr(file_data, "sources", {}))
    for key, value in (file_data or {}).items():
        result[key] = value
        result.lines[key] = getattr(file_data, "lines", {}).get(key)
    for key, value in layer_data.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value, layer_path)  # the mapping's own line stays the file's
        else:
            result[key] = value
            result.lines[key] = getattr(layer_data, "lines", {}).get(key)
            result.sources[key] = layer_path
    return result


def overlap(file_data, layer_data, prefix=""):
    """Return (dotted key, file line) for each key set in both: the layer's value is in force."""
    found = []
    if not isinstance(file_data, dict):
        return found
    for key, value in layer_data.items():
        if key not in file_data:
            continue
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(file_data[key], dict) and prefix.count(".") < 1:
            found += overlap(file_data[key], value, dotted + ".")
        else:
            found.append((dotted, getattr(file_data, "lines", {}).get(key)))
    return found


def over_file(settings, file_data, filename):
    """Return ``settings`` (the file's Config) with the web layer merged over it, or ignored with its reasons."""
    from timelapse.config import validate

    path = settings.web.settings
    if path is None:
        return dataclasses.replace(settings, layer=LayerState())
    try:
        found = layer_file.read(path)
    except ConfigError as exc:
        return _ignored(settings, LayerState(path), exc.problems)
    if found is None:
        return dataclasses.replace(settings, layer=LayerState(path))
    state = LayerState(path, found.version, found.saved, found.client, data=found.data)
    bad = forbidden(found.data)
    if bad:
        return _ignored(settings, state, [
            f"{path}:{line}: {key}: the web may not set this key (only those of the Settings page, "
            "see man timelapse.yml, WEB LAYER); remove it with sudo timelapse settings --reset"
            if line else f"{path}: {key}: the web may not set this key" for key, line in bad])
    try:
        new = validate(merged(file_data if isinstance(file_data, dict) else {}, found.data, path), filename)
    except ConfigError as exc:
        return _ignored(settings, state, exc.problems)
    state = dataclasses.replace(state, overlap=tuple(overlap(file_data, found.data)))
    return dataclasses.replace(new, path=settings.path, layer=state)


def _ignored(settings, state, problems):
    return dataclasses.replace(settings, layer=dataclasses.replace(state, error=list(problems), data={}))
