"""What every channel shares: its own worker thread, a persisted outbox, retries with backoff.

A channel subclass must override ``deliver(message)`` (send one message, or raise ChannelError
whose text says what went wrong in words); it may override ``start``/``stop`` (a connection kept
open, as MQTT's) and ``update(snap)`` (state published on every check, as MQTT's).
One channel failing never holds up another: each has its thread and its queue.
"""

import logging
import socket
import ssl
import threading
import time
import urllib.parse

from timelapse.alerts.messages import iso
from timelapse.errors import ChannelError

log = logging.getLogger(__name__)

BACKOFF = (5.0, 300.0)  # first retry after 5 s, doubling, at most 5 minutes apart


def in_words(exc, where):
    """Return a network error as a person reads it: wrong password, TLS, unreachable host."""
    if isinstance(exc, ChannelError):
        return str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: the certificate of {where} is not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed ({exc.reason or exc})"
    if isinstance(exc, socket.gaierror):
        host = urllib.parse.urlsplit(where).hostname if "://" in where else where.rsplit(":", 1)[0]
        return f"unknown host {host} (check the name, and the DNS of this machine)"
    if isinstance(exc, ConnectionRefusedError):
        return f"connection refused by {where} (is the server running, and the port right?)"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer from {where} (host unreachable or a firewall in the way)"
    if isinstance(exc, OSError) and exc.errno in (101, 113):  # ENETUNREACH, EHOSTUNREACH
        return f"host unreachable: {where} ({exc.strerror})"
    return f"{where}: {exc}"


class Channel:
    """A channel ``name`` with a worker thread delivering its outbox in order."""

    name = "channel"

    def __init__(self, settings, store, backoff=BACKOFF):
        self.settings, self.store, self.backoff = settings, store, backoff
        self.outbox = store.read(f"outbox-{self.name}", []) if store else []
        self.health = {"ok": True, "error": None, "since": None, "pending": len(self.outbox), "last_sent": None}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self.on_health = None  # called (no arguments) when health changes

    def deliver(self, message):
        raise NotImplementedError

    def describe(self):
        """Return where the channel sends to, for people ("email to a@b via smtp.example.org:587")."""
        return self.name

    def update(self, snap, firing=()):
        """Called on every check with the Snapshot and the firing rules' names (MQTT publishes its state)."""

    def submit(self, message):
        """Queue ``message`` for delivery (kept on disk until delivered)."""
        with self._lock:
            self.outbox.append(message)
            self._save()
        self._wake.set()

    def start(self):
        self._thread = threading.Thread(target=self._run, name=f"alerts-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout=5):
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def _save(self):
        self.health["pending"] = len(self.outbox)
        if self.store:
            try:
                self.store.write(f"outbox-{self.name}", self.outbox)
            except OSError as exc:
                log.warning("cannot save the %s outbox: %s", self.name, exc)

    def _run(self):
        delay = self.backoff[0]
        while not self._stop.is_set():
            with self._lock:
                message = self.outbox[0] if self.outbox else None
            if message is None:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                self.deliver(message)
            except Exception as exc:  # every failure is retried; the words say why
                error = in_words(exc, self.describe())
                if self.health["ok"] or self.health["error"] != error:
                    log.warning("alerts: %s failed, retrying in %.0f s: %s", self.name, delay, error)
                self._set_health(ok=False, error=error, since=self.health["since"] if not self.health["ok"]
                                 else iso(time.time()), next_retry=iso(time.time() + delay))
                # A new message or a connection back (MQTT) ends the wait early.
                self._wake.wait(delay)
                self._wake.clear()
                delay = min(delay * 2, self.backoff[1])
                continue
            delay = self.backoff[0]
            with self._lock:
                self.outbox.pop(0)
                self._save()
            if not self.health["ok"]:
                log.info("alerts: %s works again", self.name)
            log.info("alerts: %s sent %s %s", self.name, message.get("event"), message.get("state"))
            self._set_health(ok=True, error=None, since=None, next_retry=None, last_sent=iso(time.time()))

    def _set_health(self, **fields):
        self.health.update(fields, pending=len(self.outbox))
        if self.on_health:
            self.on_health()
