"""`timelapse alerts` (what timelapse-alerts.service runs) and `timelapse alerts --test`.

The loop wakes every check period (15 s; no polling in between: it sleeps on an Event that a
signal sets), collects a Snapshot, lets the Engine judge it, and hands each transition to every
channel's queue. With no channel configured it logs that once and sleeps until told to stop or
reload.
"""

import logging
import os
import sys
import threading

from timelapse import config
from timelapse.alerts import channels as channel_table
from timelapse.alerts import messages, report
from timelapse.alerts.channels.base import ChannelError, in_words
from timelapse.alerts.engine import Engine
from timelapse.alerts.snapshot import Collector
from timelapse.alerts.store import Store
from timelapse.errors import EXIT_FAILURE, TimelapseError
from timelapse.logsetup import setup_logging
from timelapse.signals import StopAndReload

log = logging.getLogger(__name__)

PERIOD = 15.0  # seconds between checks
PERIOD_VARIABLE = "TIMELAPSE_ALERTS_PERIOD"  # tests check more often


def check_period(environ=os.environ):
    try:
        return max(0.1, float(environ.get(PERIOD_VARIABLE, PERIOD)))
    except ValueError:
        return PERIOD


class Watcher(StopAndReload):
    """The alerts process: watch, judge, dispatch, until ``stop`` is set."""

    def __init__(self, settings, period=None):
        self.settings = settings
        self.period = period or check_period()
        self.wake = threading.Event()
        self.stop_requested = self.reload_requested = False
        self.channels = []

    def _start_channels(self):
        settings = self.settings
        self.camera = messages.camera_name(settings)
        self.store = Store(settings.storage.output_dir)
        names = channel_table.configured(settings)
        password = channel_table.read_password(settings) if names else None
        self.channels = []
        for name in names:
            try:
                self.channels += channel_table.build(settings, self.store, self.camera, password, names=[name])
            except ChannelError as exc:  # MQTT without paho: the other channels still work
                log.error("alerts: %s is off: %s", name, exc)
        for channel in self.channels:
            channel.on_health = self._write_health
            channel.start()
        if names:
            self._write_health()
        return names

    def _write_health(self):
        health = {channel.name: dict(channel.health) for channel in self.channels}
        try:
            self.store.write("channels", health)
        except OSError as exc:
            log.debug("cannot write channel health: %s", exc)

    def _stop_channels(self):
        for channel in self.channels:
            channel.stop()
        self.channels = []

    def watch_layer(self):
        """A save of the web layer wakes this process for a reload, as SIGHUP does (SPEC §17)."""
        from timelapse.settings.watch import LayerWatch

        if getattr(self, "layer_watch", None):
            self.layer_watch.stop()
        self.layer_watch = None
        if self.settings.web.settings:
            watch = LayerWatch(self.settings.web.settings, self._request_reload)
            self.layer_watch = watch if watch.start() else None

    def run(self):
        self.watch_layer()
        while not self.stop_requested:
            self.reload_requested = False
            names = self._start_channels()
            if not names:
                log.info("alerts: no channel configured (alerts.email, alerts.webhook, alerts.mqtt): idle")
                while not (self.stop_requested or self.reload_requested):
                    self.wake.wait()
                    self.wake.clear()
            else:
                log.info("alerts: watching %s; sending to %s", self.camera,
                         ", ".join(channel.describe() if channel.name == "webhook" else channel.name
                                   for channel in self.channels) or "no working channel")
                self._watch()
            self._stop_channels()
            if self.reload_requested and not self.stop_requested:
                self._reload()
        return 0

    def _reload(self):
        new, problems = config.reload(self.settings)
        if new is None:
            for problem in problems:
                log.error("%s", problem)
            log.error("alerts: reload rejected; keeping the previous settings")
        else:
            from timelapse.settings.applied import tell

            old, self.settings = self.settings, new
            log.info("alerts: reloaded %s", new.path or "built-in defaults")
            tell(new.layer, old.layer.summary() if old.layer else None, who="alerts")
            if new.web.settings != old.web.settings:
                self.watch_layer()

    def _watch(self):
        engine = Engine(self.store)
        collector = Collector(self.settings)
        while not (self.stop_requested or self.reload_requested):
            self.check(engine, collector)
            self.wake.wait(self.period)
            self.wake.clear()

    def check(self, engine, collector):
        """One check: collect, judge, dispatch; publish MQTT state; the daily report when due."""
        snap = collector.collect(watching_since=engine.watching_since(collector.clock()))
        for transition in engine.evaluate(snap):
            message = messages.compose(transition, snap, self.camera)
            log.log(logging.WARNING if transition.state == "firing" else logging.INFO, "alerts: %s", message["message"])
            self.dispatch(message)
        firing = engine.firing()
        for channel in self.channels:
            channel.update(snap, firing)
        daily = self.settings.alerts.daily_report
        if report.due(daily, snap.now, engine.state.get("last_report")):
            if engine.state.get("last_report") is not None or snap.now - _today_at(daily, snap.now) < 2 * self.period:
                self.dispatch(report.compose(snap, self.camera, firing))
            engine.note("last_report", _date(snap.now))
            engine.save()

    def dispatch(self, message):
        for channel in self.channels:
            channel.submit(message)


def _date(epoch):
    import datetime

    return datetime.date.fromtimestamp(epoch).isoformat()


def _today_at(daily, epoch):
    import datetime

    hours, minutes = map(int, daily.split(":"))
    return datetime.datetime.combine(datetime.date.fromtimestamp(epoch), datetime.time(hours, minutes)).timestamp()


def send_tests(settings, say=print):
    """`timelapse alerts --test`: one test message through every channel; return the exit code."""
    import time

    names = channel_table.configured(settings)
    if not names:
        raise TimelapseError("no alert channel is configured: set alerts.email, alerts.webhook or alerts.mqtt "
                             f"in {settings.path or '/etc/timelapse/timelapse.yml'} (see man timelapse.yml)")
    camera = messages.camera_name(settings)
    password = channel_table.read_password(settings)
    message = messages.test_message(camera, time.time())
    failed = 0
    for name in names:
        where = name
        try:
            channel = channel_table.build(settings, None, camera, password, names=[name])[0]
            where = channel.describe()
            channel.test(message) if name == "mqtt" else channel.deliver(message)
        except Exception as exc:  # every failure in words, per channel
            failed += 1
            say(f"{name}: FAILED: {in_words(exc, where)}")
            continue
        say(f"{name}: sent ({where})")
    return EXIT_FAILURE if failed else 0


def alerts_command(args):
    """`timelapse alerts [--test]`."""
    settings = config.load(args.config)
    if args.test:
        return send_tests(settings)
    setup_logging("debug" if args.debug else settings.daemon.log_level)
    watcher = Watcher(settings)
    watcher.install_signal_handlers()
    try:
        return watcher.run()
    finally:
        sys.stderr.flush()
