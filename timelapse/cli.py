"""The ``timelapse`` command: parse arguments, run one command, map errors to exit codes."""

import argparse
import datetime
import importlib
import os
import sys

from timelapse import __version__
from timelapse.errors import EXIT_FAILURE, TimelapseError

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `cat` whose reader went away

# command -> (module, function, help); modules load only when their command runs,
# so `timelapse status` never pays for numpy or OpenCV.
COMMANDS = {
    "run": ("timelapse.daemon.loop", "run_command", "run the capture daemon (what the systemd unit starts)"),
    "check-config": ("timelapse.commands", "check_config", "validate the configuration and print OK or every error"),
    "status": ("timelapse.commands", "status", "show what the daemon is doing"),
    "snapshot": ("timelapse.commands", "snapshot", "capture one image now"),
    "cameras": ("timelapse.commands", "cameras", "list the cameras this machine has"),
    "cleanup": ("timelapse.commands", "cleanup", "delete day directories older than retention_days now"),
    "render": ("timelapse.render.command", "render_command", "render a day (or days) into a timelapse video"),
    "keogram": ("timelapse.render.command", "keogram_command", "write a day's keogram (a day at a glance)"),
    "web": ("timelapse.web.app", "web_command", "run the web interface (what timelapse-web.service starts)"),
    "web-password": ("timelapse.web.auth", "web_password_command", "set the web interface's password (root)"),
    "sync": ("timelapse.sync.run", "sync_command", "copy new images and videos to sync.remote now (rclone)"),
    "alerts": ("timelapse.alerts.service", "alerts_command",
               "watch capture and send alerts by email, webhook or MQTT (what timelapse-alerts.service starts)"),
    "schedule": ("timelapse.schedule_report", "schedule_command",
                 "show when capture runs each day (capture.active_hours, fixed or by the sun)"),
    "startrails": ("timelapse.night.command", "startrails_command",
                   "write a night's startrails image from its dark frames (dusk to dawn)"),
    "meteors": ("timelapse.night.command", "meteors_command",
                "find a night's meteor candidates; print them as JSON"),
    "settings": ("timelapse.settings.command", "settings_command",
                 "show the effective settings and where each comes from; the web layer's history"),
    "aim": ("timelapse.aim.command", "aim_command",
            "the shift of an image from the aim reference (has the camera moved?), or set the reference"),
}


def _date(text):
    try:
        return datetime.date.today() if text == "today" else datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD (or today), got {text!r}") from None


def _days(text):
    if not text.isdigit() or not 1 <= int(text) <= 3660:
        raise argparse.ArgumentTypeError(f"expected a whole number of days from 1 to 3660, got {text!r}")
    return int(text)


def _global_options(parser, suppress):
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default,
                        help="configuration file (default: $TIMELAPSE_CONFIG, else /etc/timelapse/timelapse.yml)")
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="show tracebacks and debug logging")


def build_parser():
    """Return the argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="timelapse",
        description="Capture a JPEG every interval from a Pi or USB/IP camera, filed by date.",
        epilog="See timelapse(1) and timelapse.yml(5).")
    parser.add_argument("--version", action="version", version=f"timelapse {__version__}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, _, summary) in COMMANDS.items():
        command = sub.add_parser(name, help=summary, description=summary[0].upper() + summary[1:] + ".")
        _global_options(command, suppress=True)
        if name == "check-config":
            command.add_argument("file", nargs="?", metavar="FILE", help="file to check instead of the configured one")
        elif name == "status":
            command.add_argument("--json", action="store_true", help="print the raw status as JSON")
        elif name == "snapshot":
            command.add_argument("-o", "--output", metavar="FILE",
                                 help="where to write the JPEG (default: snapshot-YYYYMMDD-HHMMSS.jpg here)")
        elif name == "schedule":
            command.add_argument("--days", type=_days, default=7, metavar="N", help="how many days (default 7)")
            command.add_argument("--from", dest="start", type=_date, metavar="DATE",
                                 help="first day, YYYY-MM-DD (default: today)")
            command.add_argument("--json", action="store_true",
                                 help='print [{"date", "from", "until", "hours", "note"}] as JSON')
        elif name == "render":
            command.add_argument("day", nargs="?", metavar="DAY | FROM..TO",
                                 help="YYYY-MM-DD, yesterday (default), today, or FROM..TO")
            command.add_argument("--between", metavar="HH:MM-HH:MM", help="only this part of each day")
            command.add_argument("--every", type=int, default=1, metavar="N", help="every Nth frame (default 1)")
            command.add_argument("--fps", type=float, help="frames per second (default render.fps)")
            command.add_argument("--height", type=int, help="video height in pixels, even (default render.height)")
            command.add_argument("--quality", type=int, choices=range(0, 52), metavar="CRF",
                                 help="x264 CRF 0..51, lower is better (default render.quality)")
            command.add_argument("--deflicker", action=argparse.BooleanOptionalAction, default=None,
                                 help="smooth brightness jumps (default render.deflicker)")
            command.add_argument("-o", "--output", metavar="FILE",
                                 help="where to write the MP4 (default output_dir/videos/YYYY/YYYY-MM-DD.mp4)")
            command.add_argument("--force", action="store_true", help="render even if the video is up to date")
            command.add_argument("--night", action="store_true",
                                 help="DAY is an evening: render its night, dusk to dawn, and the night's keogram")
            command.add_argument("--nightly", action="store_true",
                                 help="what timelapse-render.service runs: yesterday, if render.daily and ffmpeg")
            command.add_argument("--queue", action="store_true",
                                 help="what timelapse-render-queue.service runs: the videos asked for on the web, "
                                      "one at a time")
            # Period videos (SPEC §18).
            command.add_argument("--period", choices=("week", "month", "project"),
                                 help="the video of the week, month or project holding DAY (default: the current "
                                      "one up to yesterday)")
            command.add_argument("--daily-frame", nargs="?", const="", metavar="AT",
                                 help='one frame a day nearest AT: noon, "12:00", "sunrise + 2h" (default '
                                      "render.daily_frame, else noon with capture.location, else 12:00)")
            command.add_argument("--overlay", metavar="TEXT",
                                 help="text drawn on the video: {camera}, {date}, {time:%%H:%%M} (default render.overlay)")
            command.add_argument("--no-overlay", action="store_true", help="no text, whatever render.overlay says")
            command.add_argument("--list", action="store_true",
                                 help='print the chosen frames as JSON lines {"path", "instant", "text"}; render nothing')
        elif name == "keogram":
            command.add_argument("day", nargs="?", metavar="DAY", help="YYYY-MM-DD, yesterday (default) or today")
        elif name in ("startrails", "meteors"):
            command.add_argument("day", nargs="?", metavar="DAY",
                                 help="the night's evening: YYYY-MM-DD, yesterday (default) or today")
            if name == "startrails":
                command.add_argument("--full", action="store_true", help="full-size decodes (default: half size)")
        elif name == "web-password":
            command.add_argument("--stdin", action="store_true", help="read the password from one line of stdin")
        elif name == "sync":
            command.add_argument("--dry-run", action="store_true", help="list what would be copied, copy nothing")
            command.add_argument("--when-due", action="store_true",
                                 help="do nothing unless sync.every has passed since the last run (the timer's way)")
        elif name == "alerts":
            command.add_argument("--test", action="store_true",
                                 help="send one test message through every configured channel and say how each went")
        elif name == "settings":
            which = command.add_mutually_exclusive_group()
            which.add_argument("--history", action="store_true", help="the web layer's last 10 versions")
            which.add_argument("--rollback", type=int, metavar="N", help="make version N the web layer again")
            which.add_argument("--reset", action="store_true", help="remove the web layer: the file alone applies")
            command.add_argument("--json", action="store_true", help="print it as JSON")
        elif name == "aim":
            command.add_argument("image", nargs="?", metavar="IMAGE", help="a JPEG (default: the latest image)")
            command.add_argument("--set", action="store_true", help="make IMAGE (default: the latest) the aim reference")
        elif name == "cleanup":
            command.add_argument("--dry-run", action="store_true", help="list what would be deleted, delete nothing")
    return parser


def error(message):
    """Print ``timelapse: error: message`` (one per line) to stderr."""
    for line in str(message).splitlines() or [""]:
        print(f"timelapse: error: {line}", file=sys.stderr)


def main(argv=None):
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    module, function, _ = COMMANDS[args.command]
    try:
        handler = getattr(importlib.import_module(module), function)
        code = handler(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, inside this one exit path
        return code
    except BrokenPipeError:  # `timelapse check-config | head -1`: the reader has gone; quiet, as `cat`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush must not fail again
        return EXIT_BROKEN_PIPE
    except TimelapseError as exc:
        if args.debug:
            raise
        error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so plainly, traceback only with --debug
        if args.debug:
            raise
        error(f"unexpected {type(exc).__name__}: {exc} (run again with --debug for the traceback)")
        return EXIT_FAILURE
