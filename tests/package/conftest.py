"""A debootstrap chroot, driven with systemd-nspawn, for installing and booting the real .deb.

The base tree is cached in /var/cache/timelapse-test between runs (debootstrap takes a
while); every run works on a fresh copy of it. The mirror is read from apt's own sources.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CACHE = Path("/var/cache/timelapse-test")
SUITE = "bookworm"
INCLUDE = "systemd,systemd-sysv,dbus,man-db"
HOST_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")


def mirror():
    """Return the Debian mirror this machine's apt uses."""
    if HOST_SOURCES.exists():
        for block in HOST_SOURCES.read_text().split("\n\n"):
            if re.search(rf"^Suites:.*\b{SUITE}\b(?!-)", block, re.M):
                return re.search(r"^URIs:\s*(\S+)", block, re.M).group(1)
    for line in Path("/etc/apt/sources.list").read_text().splitlines():
        if line.startswith("deb ") and f" {SUITE} " in line:
            return line.split()[1]
    raise RuntimeError("no Debian mirror found in apt's sources")


def base_tree():
    """Return the cached debootstrap tree, making it first if needed."""
    key = hashlib.sha1(f"{SUITE} {INCLUDE} minbase".encode()).hexdigest()[:10]
    tree = CACHE / f"base-{key}"
    if not (tree / "usr/bin/apt-get").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = CACHE / f"base-{key}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(["debootstrap", "--variant=minbase", f"--include={INCLUDE}", SUITE, str(partial), mirror()],
                       check=True, stdout=subprocess.DEVNULL)
        partial.rename(tree)
    return tree


class Chroot:
    def __init__(self, root):
        self.root = Path(root)
        self.archives = CACHE / "apt-archives"
        (self.archives / "partial").mkdir(parents=True, exist_ok=True)

    def path(self, inside):
        return self.root / inside.lstrip("/")

    def _nspawn(self, *extra):
        return ["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--console=pipe", "-D", str(self.root),
                f"--bind={self.archives}:/var/cache/apt/archives", "--setenv=DEBIAN_FRONTEND=noninteractive",
                *extra]

    def run(self, command, check=True, timeout=900):
        """Run a shell command inside; return the CompletedProcess (stdout and stderr as text)."""
        result = subprocess.run(self._nspawn("/bin/sh", "-c", command), capture_output=True, text=True,
                                timeout=timeout)
        result.stderr = "\n".join(line for line in result.stderr.splitlines()
                                  if "/run/systemd/nspawn/propagate" not in line)
        if check and result.returncode != 0:
            raise AssertionError(f"{command!r} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def boot(self, script, timeout=600):
        """Boot the tree with systemd; run ``script`` as a unit once up, then power off.

        Return what the script wrote to /root/boot-result.
        """
        self.path("/usr/local/sbin/boot-check").write_text("#!/bin/sh\n" + script)
        os.chmod(self.path("/usr/local/sbin/boot-check"), 0o755)
        self.path("/etc/systemd/system/boot-check.service").write_text(
            "[Unit]\nDescription=timelapse package boot check\nAfter=timelapse.service\n\n"
            "[Service]\nType=oneshot\nStandardOutput=journal\n"
            "ExecStart=/bin/sh -c '/usr/local/sbin/boot-check > /root/boot-result 2>&1; systemctl poweroff'\n")
        wants = self.path("/etc/systemd/system/multi-user.target.wants")
        wants.mkdir(parents=True, exist_ok=True)
        link = wants / "boot-check.service"
        if not link.is_symlink():
            link.symlink_to("/etc/systemd/system/boot-check.service")
        result_file = self.path("/root/boot-result")
        if result_file.exists():
            result_file.unlink()
        # nspawn denies adjtimex() to a container without CAP_SYS_TIME; keep it, so that what
        # the service may do is decided by its own unit (which grants no capabilities).
        subprocess.run(["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--console=pipe",
                        "--capability=CAP_SYS_TIME", "-D", str(self.root), "-b"], capture_output=True, timeout=timeout)
        link.unlink()
        assert result_file.exists(), "the booted system did not run the check"
        return result_file.read_text()


@pytest.fixture(scope="session")
def deb():
    path = os.environ.get("TIMELAPSE_DEB")
    if not path or not Path(path).exists():
        pytest.fail("set TIMELAPSE_DEB to the built .deb (make package-test does)")
    return Path(path)


def fresh_chroot():
    """Yield a Chroot on a fresh copy of the minbase tree, with apt's lists up to date."""
    if os.geteuid() != 0:
        pytest.fail("package tests need root: run them with `sudo make check`")
    work = Path(tempfile.mkdtemp(prefix="timelapse-chroot-", dir="/var/tmp"))
    root = work / "root"
    subprocess.run(["cp", "-a", "--reflink=auto", str(base_tree()), str(root)], check=True)
    if HOST_SOURCES.exists():  # the same archive (and security updates) as this machine
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        shutil.copy(HOST_SOURCES, root / "etc/apt/sources.list.d/debian.sources")
    # As a user who follows the README on a small card would: no Recommends. A binary from a
    # package we do not depend on then fails here first.
    (root / "etc/apt/apt.conf.d/90no-recommends").write_text('APT::Install-Recommends "false";\n')
    box = Chroot(root)
    box.run("apt-get update -q")
    try:
        yield box
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def chroot():
    """Plain Debian: python3-opencv satisfies the camera dependency."""
    yield from fresh_chroot()


@pytest.fixture(scope="session")
def pi_chroot():
    """Debian with a python3-picamera2 package, as on Raspberry Pi OS (where it is preinstalled)."""
    yield from fresh_chroot()


def footprint(apt_output):
    """Return (packages, MB) that an `apt-get install` output says it added."""
    packages = int(re.search(r"(\d+) newly installed", apt_output).group(1))
    size = re.search(r"After this operation, ([\d.,]+) ([kMG]B) of additional disk space", apt_output)
    megabytes = float(size.group(1).replace(",", "")) * {"kB": 1e-3, "MB": 1, "GB": 1e3}[size.group(2)]
    return packages, megabytes
