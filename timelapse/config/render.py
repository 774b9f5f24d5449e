"""Turn voluptuous errors into one line each: FILE:LINE: key.path: expected ..., got ..."""

import difflib

from timelapse.config.loader import LineDict
from timelapse.config.schema import OPTIONS, SECTIONS, keys_of

_MISSING = object()


def _locate(data, path, filename=None):
    """Return (line, value, file) for ``path`` in the loaded document, as deep as it goes.

    A merged document (settings/merge.py) names the file a key came from in its ``sources``.
    """
    line, node = getattr(data, "line", None), data
    for part in path:
        if isinstance(node, LineDict) and part in node:
            filename = getattr(node, "sources", {}).get(part, filename)
            line, node = node.lines.get(part), node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return line, _MISSING, filename
    return line, node, filename


def describe(value):
    """Return how a found value is shown to the user."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        text = "[" + ", ".join(describe(item).strip("'") for item in value) + "]"
        return text if len(text) <= 60 else "a list of %d items" % len(value)
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _unknown_key(path):
    key = path[-1]
    if len(path) == 1:
        owner = [o.section for o in OPTIONS if o.key == key]
        if owner:
            return f"unknown section '{key}': '{key}' belongs under '{owner[0]}:'"
        near = difflib.get_close_matches(str(key), SECTIONS, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else f" (valid sections: {', '.join(SECTIONS)})"
        return f"unknown section '{key}'{hint}"
    section = path[0]
    near = difflib.get_close_matches(str(key), keys_of(section), n=1, cutoff=0.6)
    if near:
        hint = f" (did you mean '{near[0]}'?)"
    else:
        elsewhere = [o.section for o in OPTIONS if o.key == key]
        hint = (f" ('{key}' belongs under '{elsewhere[0]}:')" if elsewhere
                else f" (valid keys: {', '.join(keys_of(section))})")
    return f"{'.'.join(map(str, path))}: unknown key '{key}' in section '{section}'{hint}"


def explain(error, data):
    """Return (line, text, file) of one voluptuous error: "key.path: expected ..., got ..." and where.

    ``file`` is None unless the key came from another file than the document's (a merged web layer).
    """
    path = list(error.path)
    line, value, source = _locate(data, path)
    if error.error_message == "extra keys not allowed":
        return line, _unknown_key(path), source
    text = error.error_message
    if value is not _MISSING:
        text += f", got {describe(value)}"
    if path:
        text = f"{'.'.join(map(str, path))}: {text}"
    return line, text, source


def render_errors(errors, data, filename):
    """Return (line, message) for each voluptuous error."""
    lines = []
    for error in errors:
        line, text, source = explain(error, data)
        where = source or filename
        lines.append((line or 0, f"{where}:{line}: {text}" if line else f"{where}: {text}"))
    return lines


def duplicate_key_errors(data, filename, path=()):
    """Return (line, message) for every key set twice in one mapping (YAML keeps only the last)."""
    found = []
    if isinstance(data, LineDict):
        for key, line, first in data.duplicates:
            found.append((line, f"{filename}:{line}: {'.'.join(map(str, path + (key,)))}: "
                                f"duplicate key (first set on line {first}); keep only one"))
        for key, value in data.items():
            found.extend(duplicate_key_errors(value, filename, path + (key,)))
    return found
