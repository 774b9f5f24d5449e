"""The daemon's live-view socket (timelapse/preview.py) with the real daemon process: frames only
while someone watches, the camera opened for viewers only when release_between_captures says so,
and a client that speaks nonsense dropped."""

import socket
import struct
import time

import pytest

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
