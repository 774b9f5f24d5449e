"""`timelapse settings [--history | --rollback N | --reset] [--json]` (SPEC §4, §17)."""

import json

from timelapse import config
from timelapse.errors import ConfigError
from timelapse.settings import change, history
from timelapse.settings.origins import describe, when

CLIENT = "command-line"


def _shown(value):
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def settings_command(args):
    """Print the effective settings with origins, the history, or roll back / reset the web layer."""
    settings = config.load(args.config)
    layer = settings.layer
    if args.rollback is not None or args.reset:
        return _change(args, settings)
    if args.history:
        entries = history.entries(layer.path) if layer.path else []
        if args.json:
            print(json.dumps(entries, indent=1))
            return 0
        if not entries:
            print(f"no history yet ({history.directory(layer.path)})" if layer.path else
                  "web.settings is null: there is no web layer")
        for entry in entries:
            changes = ", ".join(f"{c['key']}: {_shown(c['from'])} -> {_shown(c['to'])}" for c in entry["diff"])
            note = f" ({entry['note']})" if entry.get("note") else ""
            print(f"version {entry['version']:<4} {when(entry.get('time'))}  from {entry.get('client')}{note}: "
                  f"{changes or 'no change'}")
        return 0
    table = describe(settings)
    if args.json:
        print(json.dumps({"settings": table, "layer": dict(layer.summary(), path=layer.path,
                                                             problems=layer.error)}, indent=1))
        return 0
    if layer.error:
        print(f"the web layer {layer.path} is IGNORED (the file alone applies):")
        print("\n".join(f"  {problem}" for problem in layer.error))
    width = max(len(key) for key in table)
    for key, row in table.items():
        print(f"{key:<{width}}  {_shown(row['value']):<24}  {row['origin']}")
    return 0


def _change(args, settings):
    layer = settings.layer
    if layer.path is None:
        raise ConfigError("web.settings is null in the configuration: there is no web layer to change")
    try:
        if args.reset:
            removed = change.reset(settings.path, CLIENT)
            print(f"removed {layer.path}: the file alone applies" if removed else f"no web layer at {layer.path}")
            return 0
        entry = history.find(layer.path, args.rollback)
        if entry is None:
            kept = ", ".join(str(e["version"]) for e in history.entries(layer.path)) or "none"
            raise ConfigError(f"version {args.rollback} is not in {history.directory(layer.path)} (kept: {kept})")
        version = change.replace(settings.path, entry["layer"], CLIENT, note=f"rollback to {args.rollback}")
    except change.Invalid as exc:
        raise ConfigError([f"version {args.rollback} no longer fits the file; nothing changed:"] + exc.problems) from None
    except ConfigError as exc:
        if "Permission denied" in str(exc):
            raise ConfigError(f"{exc} (run it as root: sudo timelapse settings ...)") from None
        raise
    print(f"web layer version {version} is version {args.rollback} again; the daemon applies it by itself")
    return 0
