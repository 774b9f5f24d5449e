"""Every command README.md tells a user to type, and what typing it must do (the project rule: the
README's commands are part of the product, each run as written by a test).

``commands()`` reads README.md's fenced blocks: in a ```sh/```bash/```shell block every line is a
command; in any block (```console, a bare fence) the lines starting with "$ " are (the prompt is
dropped, the output lines after it are not commands). A line ending in a backslash goes on with the
next one. Each command keeps its lines byte-for-byte (``script``: what is run); its ``key`` is those
lines joined as the shell joins them, a trailing comment cut only where the shell would see one.

``EXPECTED`` is the one table saying, for each key, what running it in a booted root with the
installed package must do. tests/test_readme.py checks in seconds that it covers the README exactly;
tests/package/test_package.py runs them (readme_run.py) and holds each to its row.
"""

import re
from collections import namedtuple
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SHELL_BLOCKS = ("sh", "bash", "shell")

Command = namedtuple("Command", "heading key script")


class Expect(namedtuple("Expect", "rc says stdin reason config")):
    """What a command must do: exit code ``rc``, every string of ``says`` in its output (stdout and
    stderr), typed input ``stdin``; ``reason`` says why a row expects less than success; ``config``: a
    README heading whose ```yaml blocks the user has put in /etc/timelapse/timelapse.yml first."""


def ok(*says, stdin="", config=""):
    """The command works here as on a user's machine: exit 0, and its output holds ``says``."""
    return Expect(0, says, stdin, "", config)


def fails(rc, *says, reason, stdin="", config=""):
    """The command cannot do its job in the test machine (``reason``): it runs and fails as documented."""
    return Expect(rc, says, stdin, reason, config)


def elsewhere(reason):
    """The command is run as written by another test (``reason`` names it), not in the booted root."""
    return Expect(None, (), "", reason, "")


WEB_PASSWORD = "my-long-secret"  # what the user types; the README's curl lines sign in with it

# Commands of README.md -> what they do in a booted bookworm/trixie root (readme_run.py: the camera is
# the synthetic one, images planted on the README's dates, "camera" resolves to 127.0.0.1, no network).
EXPECTED = {
    # Install
    "apt-get update && apt-get install -y make && make install":
        elsewhere("the Install block: run as written on fresh default roots by tests/package/test_readme_install.py"),
    # Configuration
    "timelapse check-config": ok("OK: /etc/timelapse/timelapse.yml"),
    "sudo systemctl reload timelapse": ok(),
    "timelapse schedule --days 2": ok("around the clock"),  # the shipped file: no active_hours
    # Cameras
    "timelapse cameras": ok("no cameras found"),  # no camera hardware in the test machine: it says so
    "sudo systemctl stop timelapse": ok(),
    "timelapse snapshot -o /tmp/t.jpg": ok("/tmp/t.jpg", "synthetic"),
    "sudo systemctl start timelapse && timelapse status": ok("timelapse is running"),
    # Copy images off the camera
    "sudo apt install rclone": ok(stdin="Y\n"),
    "sudo rclone config create nas sftp host 192.168.1.10 user camera pass 'the password'     "
    "--config /etc/timelapse/rclone.conf": ok("[nas]"),  # writes the file; connects to nothing
    "sudo rclone config create s3 s3 provider AWS access_key_id AKIA... secret_access_key ...     "
    "region eu-north-1 --config /etc/timelapse/rclone.conf": ok("[s3]"),
    # Alerts
    "sudo apt install python3-paho-mqtt": ok(stdin="Y\n"),  # from apt's cache: the booted root has no network
    "sudo sh -c 'umask 027; cat > /etc/timelapse/alerts-password'": ok(stdin="the mqtt password\n"),
    "sudo chown root:timelapse /etc/timelapse/alerts-password": ok(),
    "sudo systemctl restart timelapse-alerts && sudo timelapse alerts --test":
        fails(1, "webhook: FAILED", "mqtt: FAILED", "email: FAILED", config="Alerts",
              reason="the README's channels (ntfy.sh, homeassistant.local, smtp.example.org) cannot be reached "
                     "from the test machine (no network): each channel says why it failed"),
    # A camera that moved
    "timelapse aim": ok('"dx"', '"reference"'),
    "sudo -u timelapse timelapse aim --set": ok('"reference"'),
    # Web interface
    "sudo timelapse web-password": ok("web password set", stdin=f"{WEB_PASSWORD}\n{WEB_PASSWORD}\n"),
    f"curl -u me:{WEB_PASSWORD} http://camera:8080/api/status": ok('"running": true'),
    f"curl -u me:{WEB_PASSWORD} http://camera:8080/api/days": ok('"2026-11-21"'),
    f"curl -u me:{WEB_PASSWORD} http://camera:8080/api/days/2026-11-21": ok('"images"', "/images/2026/11/21/"),
    f"curl -u me:{WEB_PASSWORD} http://camera:8080/api/videos": ok('"kind": "day"'),  # the nightly render has run
    f"curl -u me:{WEB_PASSWORD} -O http://camera:8080/download/2026-11-21.zip": ok(),
    # Settings from the phone (three saves were made from the phone before)
    "timelapse settings": ok("capture.interval", "web"),
    "timelapse settings --history": ok("version 3", "capture.interval"),
    "sudo timelapse settings --rollback 3": ok(),
    "sudo timelapse settings --reset": ok(),
    # Videos and keograms
    "timelapse render": ok("/var/lib/timelapse/videos/"),  # rendered last night already: "up to date"
    "timelapse render 2026-11-21 --between 06:00-18:00 -o day.mp4": ok("day.mp4"),
    "timelapse render 2026-11-01..2026-11-30 --every 10": ok("wrote"),
    "timelapse keogram 2026-11-21": ok("keogram"),
    "timelapse render --period week": ok("wrote"),
    "timelapse render --period month 2026-11-01 --daily-frame 12:00": ok("wrote"),
    'timelapse render --period project --overlay "{date}" --list': ok('"2026-11-21'),
    # The night sky
    "timelapse startrails 2026-11-21": ok("startrails"),
    "timelapse meteors 2026-11-21": ok(),
    "timelapse render --night 2026-11-21": ok("wrote"),
}


def _comment_start(line):
    """Return where a shell comment starts in ``line`` (len(line) if none): a "#" beginning a word,
    outside quotes."""
    quote = None
    escaped = False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t;&|()"):
            return i
    return len(line)


def _logical_lines(lines):
    """Yield lists of physical lines making one command (backslash-newline continues it)."""
    group = []
    for line in lines:
        group.append(line)
        code = line[:_comment_start(line)]
        if not code.endswith("\\"):
            yield group
            group = []
    if group:
        yield group


def _key(group):
    """The command as the shell reads it: continuations joined, a trailing comment and blanks cut."""
    text = ""
    for line in group:
        code = line[:_comment_start(line)]
        text += code[:-1] if code.endswith("\\") else code
    return text.rstrip()


def blocks(text):
    """Yield (heading, language, lines) for each fenced block of markdown ``text``."""
    heading, fence, language, body = "", None, "", []
    for line in text.splitlines():
        if fence is None:
            opening = re.match(r"^(```+|~~~+)\s*([\w-]*)", line)
            if opening:
                fence, language, body = opening.group(1), opening.group(2).lower(), []
            elif line.startswith("#"):
                heading = line.lstrip("#").strip()
        elif line.startswith(fence):
            yield heading, language, body
            fence = None
        else:
            body.append(line)


def commands(text=None):
    """Return the list of Command in README.md (or markdown ``text``), in order."""
    text = README.read_text() if text is None else text
    found = []
    for heading, language, body in blocks(text):
        if any(line.startswith("$ ") for line in body):
            lines, taking = [], False
            for line in body:
                if line.startswith("$ "):
                    lines.append(line[2:])
                    taking = line[:_comment_start(line)].endswith("\\")
                elif taking:
                    lines.append(line)
                    taking = line[:_comment_start(line)].endswith("\\")
        elif language in SHELL_BLOCKS:
            lines = body
        else:
            continue
        for group in _logical_lines(line for line in lines if line.strip()):
            key = _key(group)
            if key:
                found.append(Command(heading, key, "\n".join(group)))
    return found


def yaml_blocks(heading, text=None):
    """Return the ```yaml blocks under ``heading`` in README.md (or markdown ``text``), as text."""
    text = README.read_text() if text is None else text
    return ["\n".join(body) + "\n" for where, language, body in blocks(text) if where == heading and language == "yaml"]


def unclassified(found=None):
    """Return (keys in the README with no row, rows naming no README command)."""
    keys = [c.key for c in (commands() if found is None else found)]
    return [k for k in keys if k not in EXPECTED], [k for k in EXPECTED if k not in keys]
