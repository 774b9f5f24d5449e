"""Where each effective value comes from: the default, a line of the file, or the web (when, from where).

`describe` feeds `timelapse settings` and GET /api/settings: per dotted key, the effective value,
the file's, the web layer's, the default, its origin and whether the web may set it.
"""

from timelapse.config.loader import read_yaml
from timelapse.config.schema import OPTIONS
from timelapse.settings import history
from timelapse.settings.allowed import may_set, web_keys
from timelapse.settings.layer import plain

_ABSENT = object()


def _get(data, dotted):
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _ABSENT, None
        line = getattr(node, "lines", {}).get(part)
        node = node[part]
    return node, line


def _over(base, top):
    if isinstance(base, dict) and isinstance(top, dict):
        result = dict(base)
        for key, value in top.items():
            result[key] = _over(base.get(key), value)
        return result
    return top


def when(saved):
    """Return an ISO time as "2026-12-07 14:03" (its first 16 characters, T as a space)."""
    return saved[:16].replace("T", " ") if isinstance(saved, str) else "?"


def keys():
    """Return (dotted key, default) for every option, and the web's keys inside a mapping (controls)."""
    rows = [(f"{o.section}.{o.key}", o.default) for o in OPTIONS]
    known = {key for key, _ in rows}
    return rows + [(key, None) for key in web_keys() if key not in known]


def web_origins(layer_state):
    """Return {dotted key: "web 2026-12-07 14:03 from 192.168.1.23"} for the layer's keys in force."""
    leaves = history.flatten(layer_state.data)
    told = {}
    for entry in reversed(history.entries(layer_state.path)) if layer_state.path else []:
        for change in entry.get("diff", []):
            told[change.get("key")] = f"web {when(entry.get('time'))} from {entry.get('client')}"
    fallback = (f"web {when(layer_state.saved)} from {layer_state.client}" if layer_state.saved
                else f"web ({layer_state.path})")
    return {key: told.get(key, fallback) for key in leaves}


def describe(settings):
    """Return {dotted key: {"value", "file", "web", "default", "origin", "web_may_set"}} for ``settings``.

    ``settings`` is a loaded Config (its file is read again for the raw values and lines); the web
    values are the layer in force (none when it was ignored: ``settings.layer.error`` says why).
    """
    file_data = read_yaml(settings.path) if settings.path else {}
    file_data = file_data if isinstance(file_data, dict) else {}
    layer = settings.layer
    layer_data = layer.data if layer is not None else {}
    told = web_origins(layer) if layer is not None and layer.data else {}
    result = {}
    for dotted, default in keys():
        in_file, line = _get(file_data, dotted)
        in_web, _ = _get(layer_data, dotted)
        value = default
        for found in (in_file, in_web):
            if found is not _ABSENT:
                value = _over(value, plain(found))
        if in_web is not _ABSENT:
            origin = next((told[k] for k in told if k == dotted or k.startswith(dotted + ".")), "web")
        elif in_file is not _ABSENT:
            origin = f"{settings.path}:{line}" if line else str(settings.path)
        else:
            origin = "default"
        result[dotted] = {"value": plain(value), "file": None if in_file is _ABSENT else plain(in_file),
                          "web": None if in_web is _ABSENT else plain(in_web), "default": plain(default),
                          "origin": origin, "web_may_set": may_set(dotted)}
    return result
