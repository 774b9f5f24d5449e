"""The one exception hierarchy; every class maps to one exit code (SPEC section 4)."""

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3  # `status`: the daemon is not running (as `systemctl status`)
EXIT_NO_INPUT = 66  # EX_NOINPUT: nothing to render
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE: a tool (ffmpeg, rclone) is not installed
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: camera busy or temporarily unavailable
EXIT_CONFIG = 78  # EX_CONFIG: the unit's RestartPreventExitStatus


class TimelapseError(Exception):
    """Root of every error the user may see; ``exit_code`` is what the CLI returns."""

    exit_code = EXIT_FAILURE


class ConfigError(TimelapseError, ValueError):
    """The configuration is invalid; ``problems`` holds one rendered line per error."""

    exit_code = EXIT_CONFIG

    def __init__(self, problems):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class CameraError(TimelapseError, OSError):
    """The camera could not be opened or a capture failed."""


class CameraUnavailable(CameraError):
    """No camera is there right now; trying again later may work."""

    exit_code = EXIT_TEMPFAIL


class CameraBusy(CameraUnavailable, BlockingIOError):
    """Another process holds the camera lock."""

    def __init__(self, message, holder_pid=None):
        super().__init__(message)
        self.holder_pid = holder_pid


class CaptureTimeout(CameraError, TimeoutError):
    """A capture overran ``capture.timeout``; ``released`` says if the backend let go."""

    def __init__(self, message, released=True):
        super().__init__(message)
        self.released = released


class StorageError(TimelapseError, OSError):
    """The output directory cannot take the image (missing, read-only, full)."""


class ClockUntrusted(TimelapseError):
    """Deleting by date was refused: the clock is not known good (SPEC §6 "Clock truth")."""


class ToolMissing(TimelapseError, FileNotFoundError):
    """A program we drive (ffmpeg, rclone) is not installed; the message names the package."""

    exit_code = EXIT_UNAVAILABLE


def require_program(name, purpose):
    """Return the path of program ``name`` (its Debian package has the same name); raise ToolMissing if absent."""
    import shutil

    path = shutil.which(name)
    if not path:
        raise ToolMissing(f"{name} is not installed; {purpose}: sudo apt install {name}")
    return path


class NothingToRender(TimelapseError, LookupError):
    """No usable images for the days asked for."""

    exit_code = EXIT_NO_INPUT


class UsageError(TimelapseError):
    """A command line that asks for something impossible (a bad day, an empty range): exit 2."""
    exit_code = EXIT_USAGE


class CameraStuck(Exception):
    """A camera call overran and the backend could not be released: only a new process recovers.

    Not a TimelapseError: the daemon lets it end the process so that systemd restarts it."""


class BadRequest(ValueError):
    """A URL part that is not a date or a time at all (the web answers 400)."""


class DamagedImage(ValueError):
    """An image that cannot be used; ``path`` and ``why`` (a short phrase) say which and how."""

    def __init__(self, path, why):
        super().__init__(f"{path}: {why}")
        self.path, self.why = str(path), why


class Busy(TimelapseError):
    """Too many password checks are running or queued; the web client should try again shortly."""


class ChannelError(Exception):
    """An alert could not be delivered; the text says why, for people."""
