"""Who may look: the web password (a salted scrypt hash beside the configuration file), the
signed session cookie, HTTP Basic for scripts, and a brake on guessing.

There is no default password. Until `timelapse web-password` has written one, the server
serves only a page saying how (``web.auth: none`` opts out of all of this).
"""

import asyncio
import base64
import getpass
import grp
import hashlib
import hmac
import os
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from timelapse import config
from timelapse.errors import Busy, TimelapseError

SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}  # about 50 ms on a Pi 4: slow for a guesser, fine for a person
FAILURES_ALLOWED = 5  # failed sign-ins per client address ...
FAILURE_WINDOW = 300.0  # ... within this many seconds, before it must wait
REMEMBER = 3600.0  # seconds a verified password stays verified in memory (Basic clients ask every time)
# A check needs 16 MB (128 * r * n bytes) and ~50 ms of CPU: it runs in worker threads, never on the
# event loop, at most CHECKS_AT_ONCE together, with at most CHECKS_WAITING more queued; beyond that
# the server answers "busy" at once, whatever the number of guessing addresses. (The 16 MB is
# returned to the system after each check: memory.keep_memory_flat, called by `timelapse web`.)
CHECKS_AT_ONCE = 2
CHECKS_WAITING = 8


def password_file(settings):
    """Return web-password beside the configuration file in use (/etc/timelapse/web-password by default)."""
    base = Path(settings.path).parent if settings.path else Path("/etc/timelapse")
    return base / "web-password"


def hash_password(password, salt=None):
    """Return the stored form: scrypt$N$r$p$salt$hash (base64)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT, dklen=32)
    encode = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${encode(salt)}${encode(digest)}"


def verify_password(stored, password):
    """Return True if ``password`` matches the stored form."""
    try:
        kind, n, r, p, salt, digest = stored.strip().split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


class Guard:
    """The password in force (re-read when its file changes), verified passwords, failed attempts."""

    def __init__(self, path, clock=time.monotonic):
        self.path = Path(path)
        self.clock = clock
        self._stamp = None
        self.stored = None
        self._verified = {}  # sha256(password) -> when verified
        self._failures = {}  # client address -> [times]
        self._in_flight = {}  # client address -> checks running or queued (they count against its allowance)
        self._workers = ThreadPoolExecutor(CHECKS_AT_ONCE, thread_name_prefix="password")

    def current(self):
        """Return the stored hash, or None when no password is set (re-read if the file changed)."""
        try:
            status = os.stat(self.path)
            stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        except OSError:
            self._stamp, self.stored = None, None
            return None
        if stamp != self._stamp:
            try:
                text = self.path.read_text().strip()
            except OSError:
                text = ""
            self._stamp, self.stored, self._verified = stamp, text or None, {}
        return self.stored

    def cookie_secret(self):
        """Return the key that signs session cookies: changing the password signs everyone out."""
        return hashlib.sha256(b"timelapse-web session\0" + (self.current() or "").encode()).hexdigest()

    def blocked(self, address):
        """Return seconds ``address`` must wait before trying again (0: it may try).

        Checks still running for the address count as failures, so that many requests at once
        cannot slip past the allowance while their checks are queued.
        """
        now = self.clock()
        recent = [t for t in self._failures.get(address, []) if now - t < FAILURE_WINDOW]
        self._failures[address] = recent
        if len(recent) + self._in_flight.get(address, 0) < FAILURES_ALLOWED:
            return 0
        return max(1, int(FAILURE_WINDOW - (now - recent[0]))) if recent else 1

    def _remembered(self, password):
        seen = self._verified.get(hashlib.sha256(password.encode()).hexdigest())
        return seen is not None and self.clock() - seen < REMEMBER

    async def check(self, address, password):
        """Return True if ``password`` is right; count a failure for ``address`` if not.

        The scrypt check runs in a worker thread (the event loop goes on serving others); raise
        Busy if CHECKS_AT_ONCE + CHECKS_WAITING checks are already under way.
        """
        stored = self.current()
        if stored is None or password is None:
            return False
        if self._remembered(password):
            return True
        if sum(self._in_flight.values()) >= CHECKS_AT_ONCE + CHECKS_WAITING:
            raise Busy("too many sign-ins at once; try again in a few seconds")
        self._in_flight[address] = self._in_flight.get(address, 0) + 1
        try:
            right = await asyncio.get_running_loop().run_in_executor(self._workers, verify_password, stored,
                                                                       password)
        finally:
            self._in_flight[address] -= 1
            if not self._in_flight[address]:
                del self._in_flight[address]
        if not right:
            self._failures.setdefault(address, []).append(self.clock())
            return False
        if stored != self.current():  # the password was changed while this one was checked
            return False
        self._verified[hashlib.sha256(password.encode()).hexdigest()] = self.clock()
        return True


def web_password_command(args):
    """`timelapse web-password [--stdin]`: set the web password (prompted twice, or one line on stdin)."""
    settings = config.load(args.config)
    path = password_file(settings)
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("New web password: ")
        if getpass.getpass("Again: ") != password:
            raise TimelapseError("the two passwords differ; nothing was changed")
    if len(password) < 8:
        raise TimelapseError("the password must have at least 8 characters; nothing was changed")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as stream:
            stream.write(hash_password(password) + "\n")
        if os.geteuid() == 0:
            try:  # readable by the web server's group only
                os.chown(temp, 0, grp.getgrnam("timelapse-web").gr_gid)
            except KeyError:
                pass
        os.replace(temp, path)
    except PermissionError:
        raise TimelapseError(f"cannot write {path}: run it as root (sudo timelapse web-password)") from None
    print(f"web password set in {path}; the web server uses it at once (everyone signed in must sign in again)")
    return 0
