"""Read the YAML file safely, remembering the line of every key and any duplicate keys."""

import yaml

from timelapse.errors import ConfigError

MAX_BYTES = 1024 * 1024  # a real config is a few kB; refuse to parse a stray video or log


class LineDict(dict):
    """A mapping that knows where it and each of its keys stood in the file."""

    def __init__(self, line=None):
        super().__init__()
        self.line = line
        self.lines = {}
        self.duplicates = []  # (key, line, first_line)


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    mapping = LineDict(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found a key that is a list or mapping", key_node.start_mark) from None
        if key in mapping:
            mapping.duplicates.append((key, line, mapping.lines[key]))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = line
    return mapping


def _construct_timestamp(loader, node):
    """An unquoted date that is no real day (2026-13-01) stays text: its key's validator says what is wrong."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def read_yaml(path):
    """Return the parsed document of ``path`` (None when empty); raise ConfigError if unreadable."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; create it or point --config at an existing file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, expected a YAML file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_yaml(raw, path)


def parse_yaml(raw, path):
    """Return the parsed document of the bytes ``raw`` read from ``path``; raise ConfigError if not YAML."""
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{path}: file is larger than {MAX_BYTES // 1024} KiB; is it really the configuration?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                          "is it really the configuration?") from None
    if "\0" in text:
        raise ConfigError(f"{path}: contains NUL bytes; is it really the configuration?")
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(_syntax_error(path, exc)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML syntax error: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a configuration") from None


def _syntax_error(path, exc):
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = " ".join(part for part in (exc.context, exc.problem) if part)
    hint = ""
    if "\\t" in problem or "\t" in problem:
        hint = " (indent with spaces, not tabs)"
    return f"{where}: YAML syntax error: {problem}{hint}"
