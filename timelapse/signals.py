"""Signal handling shared by the long-running processes (the capture daemon, the alerts watcher)."""

import signal


class StopAndReload:
    """Mixin: SIGTERM/SIGINT set ``stop_requested``, SIGHUP sets ``reload_requested``; both set ``self.wake``.

    The class using it provides ``wake`` (a threading.Event its loop waits on). Handlers only set
    flags, as unattended-upgrades does: the loop acts on them at a safe point.
    """

    def install_signal_handlers(self):
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGHUP, self._request_reload)

    def _request_stop(self, *_):
        self.stop_requested = True
        self.wake.set()

    def _request_reload(self, *_):
        self.reload_requested = True
        self.wake.set()
