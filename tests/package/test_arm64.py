"""The .deb on a trixie arm64 root (the Pi's architecture), under qemu-user-static: `make check-arm64`.

Not part of `make check` (emulation is slow): install without Recommends, check-config, a snapshot
and a short daemon run with the synthetic camera, a render, one web request.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import copy_root

BINFMT = Path("/proc/sys/fs/binfmt_misc")
QEMU_AARCH64 = Path("/usr/lib/binfmt.d/qemu-aarch64.conf")


def register_qemu():
    """Have the kernel run arm64 binaries with qemu-user-static (binfmt_misc, flag F: no copy in the root)."""
    if not QEMU_AARCH64.exists():
        pytest.fail("qemu-user-static is not installed: apt-get install qemu-user-static (make check-arm64 does)")
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    if not (BINFMT / "qemu-aarch64").exists():
        (BINFMT / "register").write_text(QEMU_AARCH64.read_text().strip())
    assert (BINFMT / "qemu-aarch64").read_text().startswith("enabled")


@pytest.fixture(scope="module")
def arm64():
    register_qemu()
    yield from copy_root("trixie", include=None, arch="arm64")


def test_the_root_is_arm64(arm64):
    assert arm64.run("dpkg --print-architecture; uname -m").stdout.split() == ["arm64", "aarch64"]


def test_install_without_recommends_and_check_config(arm64, deb):
    shutil.copy(deb, arm64.path("/srv") / deb.name)
    arm64.run(f"apt-get install -y -q --no-install-recommends /srv/{deb.name}", timeout=3600)
    assert arm64.run("timelapse check-config").stdout.startswith("OK: /etc/timelapse/timelapse.yml")
    arm64.run("install -d -o timelapse -g timelapse /srv/images")
    arm64.path("/srv/synthetic.yml").write_text(
        "camera: {source: synthetic, warmup: 0, resolution: [640, 360]}\n"
        "capture: {interval: 2}\n"
        "storage: {output_dir: /srv/images}\n"
        "daemon: {status_file: /srv/run/status.json, lock_file: /srv/run/camera.lock, clock_sync_timeout: 0}\n"
        "web: {address: 127.0.0.1, port: 8080}\n")


def test_snapshot_with_the_synthetic_camera(arm64):
    snap = arm64.run("timelapse --config /srv/synthetic.yml snapshot -o /srv/snap.jpg && python3 -c \"from PIL "
                     "import Image; i = Image.open('/srv/snap.jpg'); i.load(); print(i.format, i.size)\"",
                     timeout=600)
    print(snap.stdout)
    assert snap.stdout.strip().endswith("JPEG (640, 360)")


def test_a_short_daemon_run_captures(arm64):
    # Under emulation the start alone (Python, numpy, Pillow) takes a while: stop once two images
    # are in, or after five minutes, with SIGINT as systemd's stop would.
    run = arm64.run("{ timelapse --config /srv/synthetic.yml run >/srv/run.log 2>&1 & } && daemon=$! && "
                    "n=0; while [ $n -lt 300 ] && [ $(find /srv/images -name '*.jpg' | wc -l) -lt 2 ]; do "
                    "sleep 1; n=$((n+1)); done; kill -INT $daemon; wait $daemon; echo rc=$?; cat /srv/run.log; "
                    "find /srv/images -name '*.jpg' | sort; cat /srv/run/status.json", check=False, timeout=900)
    print(run.stdout)
    images = [line for line in run.stdout.splitlines() if line.endswith(".jpg")]
    assert len(images) >= 2, run.stdout
    assert json.loads(run.stdout[run.stdout.index("{"):])["state"] in ("capturing", "stopped")
    assert "rc=0" in run.stdout, run.stdout  # SIGINT: a clean stop


def test_render_a_day(arm64):
    arm64.run("apt-get install -y -q --no-install-recommends ffmpeg", timeout=3600)
    day = arm64.run("find /srv/images -name '*.jpg' | head -1").stdout.strip().split("/")[3:6]
    render = arm64.run(f"timelapse --config /srv/synthetic.yml render {'-'.join(day)} 2>&1", timeout=1800)
    print(render.stdout)
    video = arm64.run("find /srv/images/videos -name '*.mp4'").stdout.split()
    assert len(video) == 1
    frames = arm64.run("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
                       f"-of csv=p=0 {video[0]}").stdout.strip()
    assert int(frames) >= 2


def test_one_web_request(arm64):
    result = arm64.run(
        "echo 'a long enough password' | timelapse --config /srv/synthetic.yml web-password --stdin && "
        "{ timelapse --config /srv/synthetic.yml web >/srv/web.log 2>&1 & } && web=$! && "
        "python3 -c \"import base64, time, urllib.request\n"
        "auth = 'Basic ' + base64.b64encode(b'me:a long enough password').decode()\n"
        "for _ in range(600):\n"
        "    try:\n"
        "        r = urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8080/api/status',"
        " headers={'Authorization': auth}), timeout=5); print(r.status, r.read()[:200]); break\n"
        "    except OSError: time.sleep(0.5)\n"
        "\"; kill -INT $web; wait $web; cat /srv/web.log", timeout=900)  # minbase has no pkill
    print(result.stdout)
    assert "\n200 b'{" in result.stdout and "synthetic test pattern" in result.stdout
