"""systemd notifications (sd_notify): READY, STATUS, WATCHDOG, STOPPING, RELOADING."""

import os
import socket


class Notifier:
    """Send to $NOTIFY_SOCKET; a no-op when not run by systemd."""

    def __init__(self, environ=os.environ):
        address = environ.get("NOTIFY_SOCKET")
        if address and address.startswith("@"):
            address = "\0" + address[1:]
        self.address = address
        usec = environ.get("WATCHDOG_USEC")
        pid = environ.get("WATCHDOG_PID")
        enabled = usec and usec.isdigit() and (not pid or pid == str(os.getpid()))
        # Ping at half the watchdog period, as sd_watchdog_enabled(3) advises.
        self.watchdog_period = int(usec) / 2e6 if enabled else None

    def send(self, **fields):
        if not self.address:
            return
        message = "\n".join(f"{key.upper()}={value}" for key, value in fields.items()).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message, self.address)
        except OSError:
            pass  # systemd gone (shutdown); nothing useful to do

    def ready(self, status):
        self.send(ready=1, status=status)

    def status(self, text):
        self.send(status=text)

    def watchdog(self):
        if self.watchdog_period:
            self.send(watchdog=1)
