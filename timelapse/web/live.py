"""One live stream from the capture daemon (live.sock), fanned out to every viewer.

The hub connects to the daemon only while someone watches, keeps the newest frame, and
reconnects by itself when the daemon comes back (restart, upgrade).
"""

import asyncio
import datetime
import socket
import struct
import time

import tornado.ioloop
import tornado.iostream
import tornado.locks

RECONNECT = 1.0  # seconds between attempts while the daemon is away


class LiveHub:
    """The daemon's live streams ("live", "focus"), read while someone watches; the newest frame kept."""

    def __init__(self, socket_path):
        self.path = socket_path
        self.viewers = {"live": 0, "focus": 0}
        self.latest = {"live": (0, None), "focus": (0, None)}  # (sequence number, JPEG)
        self.arrived = {kind: tornado.locks.Condition() for kind in self.viewers}
        self.retry = {kind: tornado.locks.Condition() for kind in self.viewers}  # a pump's wait between attempts
        self.pumps = {}
        self.connected = {kind: False for kind in self.viewers}
        # The last connect failed at once (no socket: ENOENT; nobody listening: ECONNREFUSED): the
        # daemon is not there, so a first frame is not waited for. Only until the next viewer joins:
        # the daemon may be back since, so a join makes the pump try again at once.
        self.unreachable = {kind: False for kind in self.viewers}
        self.closing = False

    async def close(self, grace=2.0):
        """End every live stream and stop reading the daemon's frames.

        Each viewer's request ends its response (the streams leave the hub); waits for that up to
        ``grace`` seconds, so that none is cancelled mid-write when the event loop ends.
        """
        self.closing = True
        for condition in self.arrived.values():
            condition.notify_all()
        for pump in self.pumps.values():
            pump.cancel()
        deadline = time.monotonic() + grace
        while any(self.viewers.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def join(self, kind):
        """Count a viewer of ``kind`` ("live" or "focus"); connect to the daemon (again) if not connected."""
        self.viewers[kind] += 1
        if self.connected[kind]:
            return
        self.unreachable[kind] = False  # an old failure says nothing of now: the daemon may be back
        if kind not in self.pumps or self.pumps[kind].done():
            self.pumps[kind] = asyncio.ensure_future(self._pump(kind))
        else:
            self.retry[kind].notify_all()  # the pump waits between attempts: try now

    def leave(self, kind):
        """Uncount a viewer of ``kind``; the pump stops reading once none is left."""
        self.viewers[kind] = max(0, self.viewers[kind] - 1)

    async def next_frame(self, kind, after, timeout, first=False):
        """Return (sequence, JPEG) newer than ``after``; None after ``timeout`` seconds or once closing.

        ``first``: return None as soon as the daemon's socket is known to be absent or refusing
        (a viewer that has no stream yet is told at once; a running stream rides out a restart).
        """
        deadline = tornado.ioloop.IOLoop.current().time() + timeout  # Tornado's clock, not asyncio's
        while self.latest[kind][0] <= after and not self.closing:
            if first and self.unreachable[kind]:
                return None
            if not await self.arrived[kind].wait(timeout=deadline):
                return None
        return None if self.closing else self.latest[kind]

    async def _pump(self, kind):
        while self.viewers[kind] > 0:
            stream = None
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                stream = tornado.iostream.IOStream(sock)
                try:
                    await stream.connect(self.path)
                except (tornado.iostream.StreamClosedError, OSError):
                    self.unreachable[kind] = True
                    self.arrived[kind].notify_all()  # a first-frame wait ends now, not after its timeout
                    raise
                self.unreachable[kind] = False
                await stream.write(kind.encode() + b"\n")
                self.connected[kind] = True
                while self.viewers[kind] > 0:
                    length = struct.unpack(">I", await stream.read_bytes(4))[0]
                    frame = await stream.read_bytes(length)
                    self.latest[kind] = (self.latest[kind][0] + 1, frame)
                    self.arrived[kind].notify_all()
            except (tornado.iostream.StreamClosedError, OSError):
                pass
            finally:
                self.connected[kind] = False
                if stream is not None:
                    stream.close()
            if self.viewers[kind] > 0:
                await self.retry[kind].wait(timeout=datetime.timedelta(seconds=RECONNECT))
