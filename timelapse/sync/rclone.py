"""Drive Debian's rclone: the command line, its filter file, and what its log says happened.

rclone does every transfer, retry and resume; this module only says what to copy and
reads the outcome. ``copy``, never ``sync``: nothing is ever deleted on either side.
"""

import configparser
import json
import os
import subprocess
import time
from pathlib import Path

from timelapse.archive import VIDEOS, day_relpath
from timelapse.errors import ConfigError, require_program

# A vanished remote must not keep a run alive for ten minutes (rclone 1.60's defaults): one
# retry of the whole copy, two of each operation, bounded connects and stalls. rclone still
# tries every remaining file in turn, so a run that has seen only errors for GIVE_UP seconds
# is ended: the next timer run is the retry.
BOUNDS = ["--contimeout", "20s", "--timeout", "60s", "--retries", "1", "--low-level-retries", "2"]
GIVE_UP = 60.0


def rclone_binary():
    """Return the path of rclone; raise ToolMissing naming the package if it is not installed."""
    return require_program("rclone", "offsite copies need it")


def config_path(settings):
    """Return rclone.conf beside the configuration file in use (/etc/timelapse/rclone.conf by default)."""
    base = Path(settings.path).parent if settings.path else Path("/etc/timelapse")
    return base / "rclone.conf"


def remote_name(remote):
    """Return the rclone remote's name in "name:path", or None for a local path."""
    if remote.startswith("/"):
        return None
    return remote.split(":", 1)[0]


def check_remote(remote, conf):
    """Raise ConfigError if ``remote`` names a remote that ``conf`` (rclone.conf) does not define."""
    name = remote_name(remote)
    if name is None:
        return
    create = f"create it with: sudo rclone config --config {conf}"
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(conf) as stream:
            parser.read_file(stream)
    except FileNotFoundError:
        raise ConfigError(f"sync.remote: {remote!r} needs the remote '{name}', but {conf} does not exist; "
                          f"{create}") from None
    except PermissionError:
        raise ConfigError(f"sync.remote: cannot read {conf} to check the remote '{name}' "
                          f"(run as root or as a member of group timelapse)") from None
    except (OSError, configparser.Error) as exc:
        raise ConfigError(f"sync.remote: cannot read {conf}: {exc}") from None
    if name not in parser.sections():
        known = ", ".join(parser.sections()) or "none"
        raise ConfigError(f"sync.remote: no remote named '{name}' in {conf} (it has: {known}); {create}")


def filter_rules(days):
    """Return rclone filter rules that copy ``days`` (storage.Day) and the videos, nothing else.

    Hidden names (the daemon's and the renderer's temporaries, .sync/) are never copied, and
    rclone never even lists a day that is not named here.
    """
    rules = ["- .*", "- .*/**"]
    rules += [f"+ /{day_relpath(day.date)}/*.jpg" for day in days]
    rules += [f"+ /{VIDEOS}/**", "- *"]
    return "\n".join(rules) + "\n"


def copy_command(binary, root, remote, conf, filter_file, bwlimit=None, dry_run=False):
    """Return the rclone copy command line (a list: no shell)."""
    command = [binary, "copy", str(root), remote, "--config", str(conf), "--filter-from", str(filter_file),
               "--use-json-log", "--verbose", "--stats", "0", *BOUNDS]
    if bwlimit:
        command += ["--bwlimit", bwlimit]
    if dry_run:
        command.append("--dry-run")
    return command


def _parse(line):
    """Return (level, message, object) of one line of rclone's log (JSON, or plain for early errors)."""
    try:
        entry = json.loads(line)
    except ValueError:
        text = line.split(" ", 2)[-1] if line[:4].isdigit() else line
        return ("error" if "error" in text.lower() or "failed" in text.lower() else "info"), text.strip(), None
    if not isinstance(entry, dict):
        return "info", "", None
    return entry.get("level", "info"), str(entry.get("msg", "")).strip(), entry.get("object")


def run_copy(command, root, clock=time.monotonic):
    """Run rclone; return (ok, copied object paths, last error line).

    rclone is stopped when, after an error, GIVE_UP seconds pass without a file getting through.
    """
    env = dict(os.environ, RCLONE_CONFIG=command[command.index("--config") + 1])
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    copied, error, failing_since, gave_up = [], None, None, False
    for line in process.stderr:
        level, message, name = _parse(line)
        if level in ("error", "critical", "fatal") and message:
            error = f"{name}: {message}" if name else message
            failing_since = failing_since or clock()
            if clock() - failing_since > GIVE_UP and not gave_up:
                gave_up = True
                process.terminate()
        elif message.startswith("Copied") or message.startswith("Skipped copy as --dry-run is set"):
            copied.append(name)
            failing_since = None
    code = process.wait()
    if gave_up:
        error = f"gave up after {GIVE_UP:g} s of errors without a file getting through; last: {error}"
    elif code != 0 and not error:
        error = f"rclone exited with status {code}"
    return code == 0 and not gave_up, [path for path in copied if path], error
