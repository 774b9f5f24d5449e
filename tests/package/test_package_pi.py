"""The .deb where python3-picamera2 is installed (as on Raspberry Pi OS): OpenCV stays out.

A stand-in python3-picamera2 package (the strict stand-in of tests/fakes, built here with
dpkg-deb) goes into a minbase root first; the .deb then installs without OpenCV's ~760 MB,
and the commands still work, saying what to install for a USB camera.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from conftest import footprint

ROOT = Path(__file__).resolve().parents[2]


def build_picamera2_standin():
    """Return a python3-picamera2 .deb that holds the test stand-in module."""
    work = Path(tempfile.mkdtemp(prefix="timelapse-picamera2-"))
    tree = work / "python3-picamera2"
    module = tree / "usr/lib/python3/dist-packages/picamera2"
    module.mkdir(parents=True)
    shutil.copy(ROOT / "tests/fakes/picamera2/__init__.py", module)
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN/control").write_text(
        "Package: python3-picamera2\nVersion: 0.3.36-1+standin\nArchitecture: all\n"
        "Maintainer: timelapse tests <tests@example.org>\nDepends: python3, python3-numpy\n"
        "Description: stand-in for Raspberry Pi OS's picamera2 (timelapse package tests)\n")
    deb = work / "python3-picamera2_0.3.36-1+standin_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(deb)], check=True, capture_output=True)
    return deb


def test_with_picamera2_installed_the_package_leaves_opencv_out(pi_chroot, deb):
    standin = build_picamera2_standin()
    shutil.copy(standin, pi_chroot.path("/srv/") / standin.name)
    shutil.copy(deb, pi_chroot.path("/srv/") / deb.name)
    shutil.rmtree(standin.parent)
    pi_chroot.run(f"apt-get install -y -q /srv/{standin.name}")
    install = pi_chroot.run(f"apt-get install -y -q --no-install-recommends /srv/{deb.name}")
    packages, megabytes = footprint(install.stdout)
    print(f"footprint with python3-picamera2 present (minbase, no Recommends): {packages} packages, "
          f"{megabytes:.0f} MB (python3-picamera2 stand-in and python3-numpy installed before)")
    assert pi_chroot.run("dpkg-query -W -f '${Status}' python3-opencv 2>&1", check=False).stdout != \
        "install ok installed"
    new = install.stdout.split("The following NEW packages will be installed:")[1].split("\n0 upgraded")[0]
    assert "opencv" not in new  # (apt still names it among the Suggested packages)


def test_without_opencv_the_commands_work_and_a_usb_camera_names_the_package(pi_chroot):
    assert pi_chroot.run("timelapse check-config").stdout.startswith("OK: /etc/timelapse/timelapse.yml")
    status = pi_chroot.run("timelapse status", check=False)
    assert status.returncode == 3 and "timelapse is not running" in status.stdout
    cameras = pi_chroot.run("timelapse cameras").stdout
    print(cameras)
    assert cameras.startswith("picamera 0: imx708_wide")
    pi = pi_chroot.run("cd /tmp && timelapse snapshot -o /tmp/pi.jpg && python3 -c "
                       "\"from PIL import Image; print(Image.open('/tmp/pi.jpg').size)\"")
    print(pi.stdout)
    assert "picamera 0 (imx708_wide)" in pi.stdout and "(1920, 1080)" in pi.stdout
    pi_chroot.path("/srv/usb.yml").write_text("camera: {source: usb, device: /srv/video.avi, warmup: 0}\n"
                                              "daemon: {status_file: /srv/run/status.json, clock_sync_timeout: 0}\n")
    usb = pi_chroot.run("timelapse --config /srv/usb.yml snapshot -o /tmp/usb.jpg", check=False)
    print(usb.stderr)
    assert usb.returncode == 75
    assert "USB cameras need OpenCV: sudo apt install python3-opencv" in usb.stderr
    daemon = pi_chroot.run("timeout -s INT 4 timelapse --config /srv/usb.yml run 2>&1; "
                           "python3 -c \"import json; s = json.load(open('/srv/run/status.json')); "
                           "print(s['state'], s['last_error'], sep=' | ')\"", check=False)
    print(daemon.stdout)
    assert "USB cameras need OpenCV: sudo apt install python3-opencv" in daemon.stdout.splitlines()[-1]
