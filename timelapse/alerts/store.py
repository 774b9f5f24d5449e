"""The files under ``output_dir/.alerts/``: small JSON documents, each replaced atomically.

``incidents.json``: what is pending or firing (the engine); ``outbox-NAME.json``: the messages a
channel has still to deliver; ``channels.json``: each channel's health, for `timelapse status`
and the web status page.
"""

import threading
from pathlib import Path

from timelapse.jsonstate import read_json, write_json

STATE_DIR = ".alerts"


class Store:
    """JSON documents in ``root/.alerts`` (``root`` is storage.output_dir)."""

    def __init__(self, root):
        self.dir = Path(root, STATE_DIR)
        self._lock = threading.Lock()

    def read(self, name, default):
        """Return the document ``name`` (e.g. "incidents"), or ``default`` if missing or damaged."""
        return read_json(self.dir / f"{name}.json", default)

    def write(self, name, value):
        """Replace the document ``name`` atomically; raise OSError if the directory is not writable."""
        with self._lock:  # the channels' threads and the engine share the directory
            write_json(self.dir / f"{name}.json", value, durable=False)


def channel_health(root):
    """Return {channel: {"ok", "error", "since", "pending", "last_sent"}} as the alerts process last wrote it
    (read through observe.alert_channels by `timelapse status` and the web)."""
    return Store(root).read("channels", {})

