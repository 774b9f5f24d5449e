"""One change of the web layer, validated as a whole before anything is written (STYLE item 14).

The same path serves the web's POST /api/settings and /api/settings/rollback and `timelapse
settings --rollback/--reset`: read the file and the layer, apply the change, refuse keys the web
may not set (`Forbidden`, 403), merge with the file and validate with the schema `check-config`
uses (`Invalid`, 400, with check-config's words per key), then write the layer atomically and
keep the version in the history. On a refusal nothing is written: same bytes, same mtime.
"""

import copy
import datetime
import logging

import voluptuous as vol

from timelapse import config
from timelapse.config.loader import read_yaml
from timelapse.config.render import explain
from timelapse.config.schema import SCHEMA
from timelapse.errors import ConfigError
from timelapse.settings import history, layer as layer_file
from timelapse.settings.allowed import forbidden, may_set
from timelapse.settings.merge import merged

MAX_KEYS = 100
log = logging.getLogger("timelapse")


class Forbidden(ConfigError):
    """Keys the web may not set (``keys``); nothing was written."""


class Invalid(ConfigError):
    """The change makes the settings invalid; ``errors`` maps dotted keys to check-config's words."""

    def __init__(self, errors):
        self.errors = dict(errors)
        super().__init__([f"{key}: {text}" if key else text for key, text in self.errors.items()])


class Disabled(ConfigError):
    """web.settings is null: the web layer is off."""


def _file(config_path):
    data = read_yaml(config_path) if config_path else {}
    settings = config.validate(data, str(config_path) if config_path else "<defaults>")
    if settings.web.settings is None:
        raise Disabled("web.settings is null in the configuration: changing settings from the web is off")
    return (data if isinstance(data, dict) else {}), settings.web.settings


def _current(path):
    """Return (the layer's data as plain dicts, its version); a layer that does not parse counts as empty."""
    try:
        found = layer_file.read(path)
    except ConfigError:
        if _is_link(path):
            raise
        return {}, None
    return (layer_file.plain(found.data), found.version) if found else ({}, None)


def _is_link(path):
    import os

    return os.path.islink(path)


def set_dotted(data, dotted, value):
    """Set (or with None remove) the dotted key in the nested mapping ``data``; prune emptied mappings."""
    parts = dotted.split(".")
    if value is None:
        trail, node = [], data
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                return
            trail.append((node, part))
            node = node[part]
        node.pop(parts[-1], None)
        for parent, part in reversed(trail):
            if not parent[part]:
                del parent[part]
        return
    node = data
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


def check(file_data, new, path):
    """Return {dotted key: error} for the layer ``new`` merged over ``file_data`` ({} when valid)."""
    bad = forbidden(new)
    if bad:
        return {key: "the web may not set this key" for key, _ in bad}
    document = merged(file_data, _line_dicts(new), path)
    try:
        SCHEMA(document)
    except vol.MultipleInvalid as exc:
        errors = {}
        for error in exc.errors:
            key = ".".join(map(str, error.path))
            _, text, _ = explain(error, document)
            errors.setdefault(key, text[len(key) + 2:] if key and text.startswith(key + ": ") else text)
        return errors
    return {}


def _line_dicts(data):
    from timelapse.config.loader import LineDict

    if not isinstance(data, dict):
        return data
    result = LineDict()
    for key, value in data.items():
        result[key] = _line_dicts(value)
    return result


def save(config_path, changes, client, now=None):
    """Apply ``changes`` ({dotted key: value or None}) to the web layer; return the new version.

    Raise Forbidden, Invalid or Disabled (nothing written), or ConfigError if the file itself is
    invalid or the layer cannot be written.
    """
    if not isinstance(changes, dict) or not changes:
        raise Invalid({"": "expected a JSON object of dotted keys, such as {\"capture.interval\": \"30s\"}"})
    if len(changes) > MAX_KEYS:
        raise Invalid({"": f"expected at most {MAX_KEYS} keys in one change"})
    refused = sorted(str(key) for key in changes if not isinstance(key, str) or len(key) > 100 or not may_set(key))
    if refused:
        raise Forbidden([f"{key}: the web may not set this key" for key in refused])
    file_data, path = _file(config_path)
    old, version = _current(path)
    new = copy.deepcopy(old)
    for key, value in changes.items():
        set_dotted(new, key, value)
    return _commit(file_data, path, old, new, client, now)


def replace(config_path, data, client, note=None, now=None):
    """Make ``data`` (a whole layer) the web layer through the same checks (rollback); return the version."""
    file_data, path = _file(config_path)
    old, _ = _current(path)
    return _commit(file_data, path, old, copy.deepcopy(data), client, now, note)


def _commit(file_data, path, old, new, client, now, note=None):
    errors = check(file_data, new, path)
    if errors:
        raise Invalid(errors)
    version = max(_current(path)[1] or 0, history.newest_version(path)) + 1
    now = now or datetime.datetime.now().astimezone()
    saved = layer_file.write(path, new, version, client, now)
    try:
        history.record(path, version, saved, client, old, new, note)
    except ConfigError as exc:  # the layer is saved and in force; only its history entry is missing
        log.warning("web settings version %s saved, but not kept in the history: %s", version, exc)
    return version


def reset(config_path, client, now=None):
    """Remove the web layer (the file alone applies); keep the removal in the history. Return True if removed."""
    _, path = _file(config_path)
    old, version = _current(path)
    if not layer_file.remove(path):
        return False
    when = (now or datetime.datetime.now().astimezone()).isoformat(timespec="seconds")
    history.record(path, max(version or 0, history.newest_version(path)) + 1, when, client, old, {}, "reset")
    return True
