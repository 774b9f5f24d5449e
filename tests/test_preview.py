"""The daemon's live-view socket (timelapse/daemon/preview.py) with the real daemon process: frames only
while someone watches, the camera opened for viewers only when release_between_captures says so,
and a client that speaks nonsense dropped."""

import socket
import struct
import time


from timelapse.camera.lock import CameraLock
from timelapse.errors import CameraBusy

from daemon_harness import DaemonProcess


def viewer(daemon, kind="live"):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(daemon.status_file.parent / "live.sock"))
    client.sendall(kind.encode() + b"\n")
    client.settimeout(10)
    return client


def frame(client):
    length = struct.unpack(">I", client.recv(4, socket.MSG_WAITALL))[0]
    data = client.recv(length, socket.MSG_WAITALL)
    assert data[:2] == b"\xff\xd8" and len(data) == length  # a whole JPEG
    return data


def camera_free(daemon):
    try:
        lock = CameraLock(str(daemon.lock_file))
        lock.acquire()
        lock.release()
        return True
    except CameraBusy:
        return False


def test_with_release_between_captures_the_camera_opens_for_viewers_only(tmp_path):
    with DaemonProcess(tmp_path, camera="release_between_captures: true", capture="interval: 30") as daemon:
        daemon.wait_for(lambda: (daemon.status_file.parent / "live.sock").exists(), what="live.sock")
        daemon.wait_for(lambda: camera_free(daemon), what="the camera released between captures")
        client = viewer(daemon)
        frames = [frame(client) for _ in range(5)]
        assert len({len(f) for f in frames}) >= 1 and not camera_free(daemon)  # opened for the viewer
        client.close()
        daemon.wait_for(lambda: camera_free(daemon), timeout=10, what="released when the viewer left")


def test_a_focus_viewer_gets_full_resolution_crops(tmp_path):
    with DaemonProcess(tmp_path, camera="resolution: [1920, 1080]") as daemon:
        daemon.wait_for(lambda: (daemon.status_file.parent / "live.sock").exists(), what="live.sock")
        from PIL import Image
        import io
        client = viewer(daemon, "focus")
        assert Image.open(io.BytesIO(frame(client))).size == (640, 480)
        client.close()


def test_a_client_that_speaks_nonsense_is_dropped(tmp_path):
    with DaemonProcess(tmp_path) as daemon:
        daemon.wait_for(lambda: (daemon.status_file.parent / "live.sock").exists(), what="live.sock")
        client = viewer(daemon, "../../etc/passwd")
        assert client.recv(4) == b""  # closed without a frame
        good = viewer(daemon)
        frame(good)
        good.close()


class SlowOnceSession:
    """A camera session whose previews are quick except a few slow ones (a busy machine's hiccup)."""

    def __init__(self, slow, seconds):
        self.slow, self.seconds, self.taken = set(slow), seconds, 0
        self.is_open, self.retry_at, self.viewers = True, 0.0, 0

    def preview(self, focus=False):
        self.taken += 1
        time.sleep(self.seconds if self.taken in self.slow else 0.01)
        return b"\xff\xd8" + bytes(100) + b"\xff\xd9"

    def close(self):
        self.is_open = False


def test_one_slow_preview_on_a_busy_machine_does_not_stop_the_live_view(tmp_path):
    # A preview frame is kept clear of the next slot by twice its measured cost. One slow frame
    # (0.45 s, with a 1 s interval) used to leave no room before any slot, and as no frame was taken
    # the estimate never came down again: the live view stopped for good while captures went on.
    from types import SimpleNamespace

    from timelapse.daemon.preview import PreviewService

    settings = SimpleNamespace(capture=SimpleNamespace(interval=1), web=SimpleNamespace(live_fps=5))
    session = SlowOnceSession(slow={3}, seconds=0.45)
    service = PreviewService(str(tmp_path / "live.sock"), session, lambda: settings, lambda: None, lambda: True)
    assert service.start()
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(str(tmp_path / "live.sock"))
        client.sendall(b"live\n")
        client.settimeout(10)
        for _ in range(3):
            frame(client)  # the third is the slow one
        assert session.taken >= 3
        got = [frame(client) for _ in range(5)]  # before the fix: a timeout, no frame ever again
        assert len(got) == 5
        client.close()
    finally:
        service.stop()


class SlowSession:
    """A camera session whose preview frames take ``cost`` seconds (a loaded machine, a slow Pi)."""

    def __init__(self, cost):
        self.cost, self.is_open, self.viewers, self.previews = cost, True, 0, []

    def preview(self, focus):
        self.previews.append(time.time())
        time.sleep(self.cost)
        return b"\xff\xd8 preview \xff\xd9"


def test_previews_slower_than_the_interval_allows_still_reach_the_viewer_after_each_capture(tmp_path):
    """A preview measured at 0.6 s never fits before a 1 s slot: it goes after each slot's capture instead
    of waiting forever (what a loaded machine did to the web's live view)."""
    from types import SimpleNamespace

    from timelapse.daemon.preview import PreviewService

    settings = SimpleNamespace(capture=SimpleNamespace(interval=1), web=SimpleNamespace(live_fps=5))
    session = SlowSession(0.6)
    service = PreviewService(str(tmp_path / "live.sock"), session, lambda: settings, lambda: None, lambda: True)
    assert service.start()
    try:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(str(tmp_path / "live.sock"))
        client.sendall(b"live\n")
        client.settimeout(10)  # a starved viewer fails here
        frames = []
        for _ in range(4):
            length = struct.unpack(">I", client.recv(4, socket.MSG_WAITALL))[0]
            frames.append(client.recv(length, socket.MSG_WAITALL))
        client.close()
    finally:
        service.stop()
    assert all(f.startswith(b"\xff\xd8") for f in frames)
    print(f"preview starts after the slot (s): {[round(t % 1, 2) for t in session.previews]}")
