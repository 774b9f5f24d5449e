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
