"""Noticing a new web layer (SPEC §17): inotify on its directory wakes the alerts process and the daemon."""

import threading
import time

from timelapse import config
from timelapse.alerts.service import Watcher
from timelapse.settings import change, layer as layer_file
from timelapse.settings.watch import LayerWatch


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_the_watch_fires_for_the_layer_only_and_never_without_a_change(tmp_path):
    seen = []
    watch = LayerWatch(tmp_path / "settings.yml", lambda: seen.append(time.monotonic()))
    assert watch.start()
    try:
        (tmp_path / "other.yml").write_text("x")
        (tmp_path / "settings-history").mkdir()
        time.sleep(0.3)
        assert seen == []
        layer_file.write(tmp_path / "settings.yml", {"capture": {"interval": 5}}, 1, "x")
        assert wait_for(lambda: len(seen) >= 1)
        count = len(seen)
        time.sleep(0.5)
        assert len(seen) == count, "one save, one wakeup; nothing while nothing changes"
        (tmp_path / "settings.yml").unlink()
        assert wait_for(lambda: len(seen) > count)
    finally:
        watch.stop()


def test_a_missing_directory_is_said_and_not_fatal(tmp_path, caplog):
    assert LayerWatch(tmp_path / "missing/settings.yml", lambda: None).start() is False
    assert "cannot watch" in caplog.text


def test_the_alerts_process_applies_a_saved_layer_by_itself(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "images").mkdir()
    path = tmp_path / "timelapse.yml"
    path.write_text(f"storage: {{output_dir: {tmp_path / 'images'}}}\nweb: {{settings: {tmp_path / 'web/settings.yml'}}}\n")
    watcher = Watcher(config.load(str(path)), period=60)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: getattr(watcher, "layer_watch", None) is not None)
        change.save(path, {"alerts.after": 7}, "192.0.2.1")
        assert wait_for(lambda: watcher.settings.alerts.after == 7), "applied without a signal"
    finally:
        watcher.stop_requested = True
        watcher.wake.set()
        thread.join(5)


class StepClock:
    """Boot time advances only when the daemon waits (its Event.wait is replaced): no sleeping."""

    def __init__(self):
        self.now = 1000.0

    def wall(self):
        return 1.8e9 + self.now

    def boot(self):
        return self.now


def test_a_layer_change_waits_for_an_imminent_slot_but_interrupts_a_long_wait(tmp_path):
    from timelapse.daemon.loop import LAYER_GUARD, Daemon

    path = tmp_path / "timelapse.yml"
    path.write_text(f"storage: {{output_dir: {tmp_path}}}\ndaemon: {{status_file: {tmp_path}/status.json}}\n")
    clock = StepClock()
    daemon = Daemon(config.load(str(path)), clock=clock)

    def wait(seconds=None):
        clock.now += seconds
        return True

    daemon.wake.wait = wait
    daemon.note_layer_change()
    assert daemon.sleep_until(clock.now + LAYER_GUARD / 2) is True, "the slot first"
    assert daemon.sleep_until(clock.now + 60) is False, "a long wait ends at once for the reload"
