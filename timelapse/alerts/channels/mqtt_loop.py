"""paho's network loop, driven from one thread of ours that sleeps until there is work.

paho's ``loop_start`` thread wakes every second (its select has a one-second timeout): 60
wakeups a minute for an appliance that publishes once a minute. Here paho's documented
external-loop interface (``on_socket_open``/``close``, ``on_socket_register_write``/
``unregister_write``, ``loop_read``/``loop_write``/``loop_misc``; paho-mqtt 1.6 and 2.x alike)
is driven by one select that waits for the broker, for a packet to send (a publish from any
thread wakes it through a pipe), or at most a quarter of the keepalive, so that ``loop_misc``
sends the ping the broker expects well before its 1.5 keepalives run out. Only this thread reads and writes the socket, as in loop_start.

Connection and reconnection are ours too: the first connect and every reconnect wait 1 s,
doubling to 30 s between attempts, like paho's ``reconnect_delay_set(1, 30)``.
"""

import logging
import os
import select
import threading

log = logging.getLogger(__name__)

RECONNECT = (1.0, 30.0)  # seconds between connection attempts: first, at most


class NetworkLoop:
    """Run ``client``'s network traffic in a thread of ours: ``start()`` after ``connect_async``."""

    def __init__(self, client, keepalive, name="alerts-mqtt-network"):
        self.client, self.keepalive, self.name = client, keepalive, name
        self._sock = None
        self._want_write = False
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        client.on_socket_open = self._opened
        client.on_socket_close = self._closed
        client.on_socket_register_write = self._register_write
        client.on_socket_unregister_write = self._unregister_write
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        """Connect (again and again while it fails) and serve the connection until ``stop``."""
        self._thread.start()

    def stop(self, timeout=5):
        """End the thread (after a ``disconnect()``, its DISCONNECT is sent first); close the pipe."""
        self._stop.set()
        self._wake()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)

    # paho's external-loop callbacks (called from whichever thread queues a packet)

    def _opened(self, client, userdata, sock):
        self._sock = sock

    def _closed(self, client, userdata, sock):
        self._sock = None

    def _register_write(self, client, userdata, sock):
        self._want_write = True
        self._wake()

    def _unregister_write(self, client, userdata, sock):
        self._want_write = False

    def _wake(self):
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # full (a wakeup is pending anyway) or closed (stopping)

    # the thread

    def _run(self):
        delay = RECONNECT[0]
        while not self._stop.is_set() or (self._sock is not None and self._want_write):  # a DISCONNECT goes out
            if self._sock is None:
                try:
                    self.client.reconnect()  # the first connect too (connect_async stored where)
                    delay = RECONNECT[0]
                except Exception as exc:  # refused, unreachable, DNS, TLS: tried again later
                    log.debug("alerts: MQTT connection to the broker failed: %s", exc)
                    self._stop.wait(delay)
                    delay = min(delay * 2, RECONNECT[1])
                    continue
            if not self._serve():
                self._stop.wait(delay)
                delay = min(delay * 2, RECONNECT[1])

    def _serve(self):
        """Wait once for traffic and handle it; return False if the connection is gone."""
        sock = self._sock
        if sock is None:
            return False
        try:
            readable, writable, _ = select.select([sock, self._wake_r], [sock] if self._want_write else [], [],
                                                  self.keepalive / 4)
        except (OSError, ValueError):  # closed meanwhile (a disconnect from another thread)
            return self._sock is not None
        if self._wake_r in readable:
            try:
                os.read(self._wake_r, 512)
            except BlockingIOError:
                pass
        success = 0  # paho's MQTT_ERR_SUCCESS, in 1.6 and 2.x
        if sock in readable and self.client.loop_read() != success:
            return False
        if sock in writable and self._sock is not None and self.client.loop_write() != success:
            return False
        return self.client.loop_misc() == success and self._sock is not None
