"""Live-view frames from the capture daemon, on a unix socket beside its status file (live.sock).

The daemon stays the only process that holds the camera. While at least one client is
connected, a producer thread takes small preview frames (or, for "focus" clients, a 1:1
crop of the centre of the full frame) at up to ``web.live_fps`` and sends them to every
client of that kind; with no client it takes none. A scheduled capture always comes first:
no preview frame is started when it could still be running at the next slot.

Protocol: the client sends one line, ``live`` or ``focus``; the daemon then sends frames,
each as a 4-byte big-endian length and the JPEG bytes, until either side closes.
"""

import logging
import os
import socket
import struct
import threading
import time

from timelapse.schedule import next_slot

log = logging.getLogger(__name__)

FOCUS_FPS = 1.0  # the focus view's full-frame crops cost more; one a second is enough to turn a lens
SLOT_MARGIN = 0.05  # seconds kept clear before a slot, beyond twice the preview's own measured duration
COST_DECAY = 0.7  # the cost estimate's fall for each slot a preview gave way to (see _forget_slowly)


class PreviewService:
    """Serve live-view frames while clients are connected; see the module docstring."""

    def __init__(self, path, session, settings, last_slot, keep_open):
        self.path = path
        self.session = session
        self._settings = settings  # callable: the daemon's current settings (they change on reload)
        self.last_slot = last_slot  # callable: the daemon's last captured slot (epoch) or None
        self.keep_open = keep_open  # callable: True while the daemon itself keeps the camera open
        self.clients = {"live": [], "focus": []}
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.stopping = False
        self.cost = 0.05  # seconds a preview frame takes, measured (the most recent slow one)
        self.last_cost = 0.0  # seconds the last preview frame took
        self.opened_for_viewers = False

    # -- the socket ---------------------------------------------------------------------

    def start(self):
        """Listen on the socket and start the accepting and producing threads; False if it cannot."""
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)  # systemd makes /run/timelapse; a test does not
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("live view unavailable: cannot remove the old %s: %s", self.path, exc.strerror)
            return False
        try:
            self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.server.bind(self.path)
            os.chmod(self.path, 0o660)  # the web server's user is in the daemon's group
            self.server.listen(8)
        except OSError as exc:
            log.warning("live view unavailable: cannot listen on %s: %s", self.path, exc.strerror)
            return False
        threading.Thread(target=self._accept, name="preview-accept", daemon=True).start()
        threading.Thread(target=self._produce, name="preview", daemon=True).start()
        return True

    def stop(self):
        self.stopping = True
        self.wake.set()
        try:
            self.server.close()
            os.unlink(self.path)
        except (AttributeError, OSError):
            pass

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._greet, args=(client,), name="preview-client", daemon=True).start()

    def _greet(self, client):
        client.settimeout(5)
        try:
            kind = client.makefile("rb").readline(16).decode(errors="replace").strip()
        except OSError:
            kind = ""
        if kind not in self.clients:
            client.close()
            return
        client.settimeout(2)  # a reader that stalls for longer is dropped, not waited for
        with self.lock:
            self.clients[kind].append(client)
            self.session.viewers = self.viewer_count()
        log.debug("live view: a %s viewer connected (%d now)", kind, self.viewer_count())
        self.wake.set()

    @property
    def settings(self):
        return self._settings()

    def viewer_count(self):
        return sum(len(clients) for clients in self.clients.values())

    def _send(self, kind, frame):
        header = struct.pack(">I", len(frame))
        with self.lock:
            clients = list(self.clients[kind])
        for client in clients:
            try:
                client.sendall(header + frame)
            except OSError as exc:
                log.debug("live view: sending failed: %s", exc)
                self._drop(kind, client)

    def _drop(self, kind, client):
        with self.lock:
            if client in self.clients[kind]:
                self.clients[kind].remove(client)
            self.session.viewers = self.viewer_count()
        client.close()
        log.debug("live view: a %s viewer left (%d now)", kind, self.viewer_count())

    # -- the frames ---------------------------------------------------------------------

    def clear_for(self, now):
        """Return seconds to wait before a preview may start without touching the next slot (0: go)."""
        capture = self.settings.capture
        last = self.last_slot()
        upcoming = next_slot(now, capture.interval, after=last if last is not None and last <= now + 1 else None)
        needed = self.cost * 2 + SLOT_MARGIN
        if upcoming - now > needed:
            return 0.0
        return upcoming - now + self.cost + 0.05  # after the slot's capture has had its turn

    def _produce(self):
        due = {"live": 0.0, "focus": 0.0}
        held = False  # the last turn gave way to a slot's capture
        while not self.stopping:
            if not self.viewer_count():
                self._release_if_opened()
                self.wake.wait()
                self.wake.clear()
                continue
            now = time.monotonic()
            kinds = [kind for kind in due if self.clients[kind] and due[kind] <= now]
            if not kinds:
                self.wake.wait(max(0.005, min(due[k] for k in due if self.clients[k]) - now))
                self.wake.clear()
                continue
            wait = self.clear_for(time.time())
            if wait and not held:
                self._forget_slowly()
                time.sleep(wait)
                held = True
                continue
            # Having given way to a slot's capture, go: now is as far from the next slot as it gets. A
            # preview that stays slower than the interval allows (a loaded machine, a slow Pi) would
            # otherwise wait for ever, as the estimate never falls below half its measured cost.
            held = False
            kind = kinds[0]
            rate = FOCUS_FPS if kind == "focus" else self.settings.web.live_fps
            due[kind] = max(due[kind] + 1.0 / rate, now)  # a frame held back for a slot: the next comes sooner
            frame = self._grab(kind == "focus")
            if frame:
                self._send(kind, frame)

    def _grab(self, focus):
        """Return one preview JPEG, opening the camera for viewers if the daemon has it closed; None if not."""
        if not self.session.is_open:
            if time.monotonic() < self.session.retry_at:
                time.sleep(0.5)
                return None
            try:
                self.session.open()
                self.opened_for_viewers = True
            except Exception as exc:  # the daemon's loop reports camera trouble itself
                log.debug("live view: cannot open the camera: %s", exc)
                time.sleep(1.0)
                return None
        started = time.monotonic()
        try:
            frame = self.session.preview(focus)
        except Exception as exc:
            log.debug("live view: no frame: %s", exc)
            time.sleep(0.5)
            return None
        took = time.monotonic() - started
        self.cost = max(took, self.cost * 0.9)  # a slow frame counts at once; a fast one slowly
        self.last_cost = took
        return frame

    def _forget_slowly(self):
        """Lower the cost estimate for a slot given up: one slow frame (a busy machine's hiccup) must
        not keep previews out for good, as no frame would ever be taken to measure it again. It never
        falls below half the last frame's cost, so 2 x cost still fits that frame before the slot."""
        self.cost = max(self.cost * COST_DECAY, self.last_cost / 2)

    def _release_if_opened(self):
        """Close a camera opened only for viewers once they are gone, if the daemon would have it closed."""
        if self.opened_for_viewers and not self.keep_open():
            self.session.close()
        self.opened_for_viewers = False


def socket_path(status_file):
    """Return the live-view socket's path: live.sock beside the status file."""
    return os.path.join(os.path.dirname(status_file), "live.sock")
