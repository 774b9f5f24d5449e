"""Debootstrap roots of bookworm and trixie, driven with systemd-nspawn, for the real .deb.

Base trees are cached in /var/cache/timelapse-test (debootstrap takes minutes) and made again
once a week, so that point releases reach the tests; every test works on a fresh copy. Packages
apt downloads inside the roots are cached there too. The mirror is read from this machine's apt
sources: the same archive serves every suite. A root that cannot be made is a failure, never a skip.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path("/var/cache/timelapse-test")
# Raspberry Pi OS Trixie and Bookworm are these Debian suites.
SUITES = ("bookworm", "trixie")
INCLUDE = "systemd,systemd-sysv,dbus,man-db"
MAX_AGE = 7 * 24 * 3600
HOST_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
LOCAL_CAS = Path("/usr/local/share/ca-certificates")


def host_codename():
    """Return this machine's Debian codename (from /etc/os-release)."""
    return re.search(r"^VERSION_CODENAME=(\S+)", Path("/etc/os-release").read_text(), re.M).group(1)


def mirror():
    """Return the Debian archive this machine's apt uses (the block of a bare codename, no -security)."""
    if HOST_SOURCES.exists():
        for block in HOST_SOURCES.read_text().split("\n\n"):
            suites = re.search(r"^Suites:(.*)$", block, re.M)
            if suites and any("-" not in s for s in suites.group(1).split()):
                return re.search(r"^URIs:\s*(\S+)", block, re.M).group(1)
    for line in Path("/etc/apt/sources.list").read_text().splitlines():
        fields = line.split()
        if fields[:1] == ["deb"] and len(fields) > 2 and "-" not in fields[2]:
            return fields[1]
    raise RuntimeError("no Debian mirror found in apt's sources")


def apt_sources(suite):
    """Return (file name, text) of apt sources for ``suite``: this machine's, with its codename swapped.

    The same archives (main, updates, security) as here, as a freshly installed system has them.
    """
    if HOST_SOURCES.exists():
        text = re.sub(rf"\b{host_codename()}\b", suite, HOST_SOURCES.read_text())
        return "sources.list.d/debian.sources", text
    return "sources.list", f"deb {mirror()} {suite} main\n"


def debootstrap_script(suite):
    """Return the debootstrap script argument for ``suite`` (sid's where this debootstrap is older)."""
    return [] if Path(f"/usr/share/debootstrap/scripts/{suite}").exists() else ["/usr/share/debootstrap/scripts/sid"]


def base_tree(suite, variant="minbase", include=INCLUDE, arch=None):
    """Return the cached debootstrap tree of ``suite``, making it first if missing or a week old.

    variant: "minbase" (the smallest system the package must work on) or "default" (what a fresh
    Debian install has: every package of priority important). arch: a foreign architecture (arm64)
    needs qemu-user-static registered with binfmt_misc.
    """
    arch = arch or subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                                  check=True).stdout.strip()
    key = hashlib.sha1(f"{suite} {arch} {variant} {include}".encode()).hexdigest()[:10]
    tree = CACHE / f"base-{suite}-{arch}-{variant}-{key}"
    stamp = tree / "etc/timelapse-test-made"
    if stamp.exists() and time.time() - stamp.stat().st_mtime < MAX_AGE:
        return tree
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = CACHE / f"{tree.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    command = ["debootstrap", f"--arch={arch}", *([f"--variant={variant}"] if variant != "default" else []),
               *([f"--include={include}"] if include else []), suite, str(partial), mirror(),
               *debootstrap_script(suite)]
    made = subprocess.run(command, capture_output=True, text=True, env={"PATH": CLEAN_PATH})
    if made.returncode != 0:
        log = partial / "debootstrap/debootstrap.log"
        pytest.fail(f"{' '.join(command)} failed ({made.returncode}):\n{made.stdout[-3000:]}\n{made.stderr[-3000:]}\n"
                    + (log.read_text()[-3000:] if log.exists() else ""))
    (partial / "etc/timelapse-test-made").write_text(f"{' '.join(command)}\n")
    shutil.rmtree(tree, ignore_errors=True)
    partial.rename(tree)
    return tree


class Chroot:
    """A root directory run with systemd-nspawn; ``suite`` and ``arch`` say what it is."""

    def __init__(self, root, suite, arch="amd64", work=None):
        self.root = Path(root)
        self.work = work  # the temporary directory holding root, if any
        self.suite = suite
        self.arch = arch
        self.archives = CACHE / f"apt-archives-{suite}-{arch}"
        (self.archives / "partial").mkdir(parents=True, exist_ok=True)

    def path(self, inside):
        return self.root / inside.lstrip("/")

    def remove(self):
        """Delete the tree (and the temporary directory holding it)."""
        subprocess.run(["rm", "-rf", "--one-file-system", str(self.work or self.root)], check=False)

    def _nspawn(self, *extra):
        return ["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--console=pipe", "-D", str(self.root),
                f"--bind={self.archives}:/var/cache/apt/archives", "--setenv=DEBIAN_FRONTEND=noninteractive",
                f"--setenv=PATH={CLEAN_PATH}", *extra]

    def run(self, command, check=True, timeout=900):
        """Run a shell command inside; return the CompletedProcess (stdout and stderr as text)."""
        result = subprocess.run(self._nspawn("/bin/sh", "-c", command), capture_output=True, text=True,
                                timeout=timeout, stdin=subprocess.DEVNULL)
        result.stderr = "\n".join(line for line in result.stderr.splitlines()
                                  if "/run/systemd/nspawn/propagate" not in line)
        if check and result.returncode != 0:
            raise AssertionError(f"[{self.suite}] {command!r} failed ({result.returncode}):\n"
                                 f"{result.stdout[-20000:]}\n{result.stderr[-20000:]}")
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
        # --private-network: the booted system's 127.0.0.1:8080 is its own web server, never one
        # that some other test on this machine left listening there (that was seen: a 401 from it).
        subprocess.run(["systemd-nspawn", "-q", "--register=no", "--keep-unit", "--console=pipe", "--private-network",
                        "--capability=CAP_SYS_TIME", "-D", str(self.root), "-b"], capture_output=True, timeout=timeout)
        link.unlink()
        assert result_file.exists(), f"[{self.suite}] the booted system did not run the check"
        return result_file.read_text()


@pytest.fixture(scope="session")
def deb():
    path = os.environ.get("TIMELAPSE_DEB")
    if not path or not Path(path).exists():
        pytest.fail("set TIMELAPSE_DEB to the built .deb (make package-test does)")
    return Path(path)


def new_root(suite, variant="minbase", include=INCLUDE, arch=None, recommends=False, update=True, where=None):
    """Return a Chroot on a fresh copy of a base tree, with this machine's archives, apt's lists up to date.

    recommends=False: as a user who follows the README on a small card would (a binary from a
    package we do not depend on then fails here first). where: the directory to make it in (a
    new one under /var/tmp by default); ``Chroot.remove()`` deletes it.
    """
    if os.geteuid() != 0:
        pytest.fail("package tests need root: run them with `sudo make check`")
    base = base_tree(suite, variant, include, arch)
    work = None if where else Path(tempfile.mkdtemp(prefix=f"timelapse-{suite}-", dir="/var/tmp"))
    root = Path(where) if where else work / "root"
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(["cp", "-a", "--reflink=auto", str(base), str(root)], check=True)
    name, text = apt_sources(suite)
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    (root / "etc/apt" / name).write_text(text)
    if not recommends:
        (root / "etc/apt/apt.conf.d/90no-recommends").write_text('APT::Install-Recommends "false";\n')
    box = Chroot(root, suite, arch or "amd64", work)
    if update:
        box.run("apt-get update -q")
    return box


def copy_root(*args, **kwargs):
    """Yield new_root(...), removed afterwards."""
    box = new_root(*args, **kwargs)
    try:
        yield box
    finally:
        box.remove()


@pytest.fixture(scope="session", params=SUITES)
def chroot(request):
    """Plain Debian of each suite (minbase): python3-opencv satisfies the camera dependency."""
    yield from copy_root(request.param)


@pytest.fixture(scope="session", params=SUITES)
def pi_chroot(request):
    """Debian with a python3-picamera2 package, as on Raspberry Pi OS (where it is preinstalled)."""
    yield from copy_root(request.param)


def source_tree(destination, ref=None):
    """Copy this source tree to ``destination``: ``ref`` (a clean clone's files) or the working tree's tracked files."""
    destination.mkdir(parents=True, exist_ok=True)
    if ref:
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
        return destination
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split("\0")
    for name in filter(None, files):
        source, target = ROOT / name, destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        elif source.exists():
            shutil.copy2(source, target)
    return destination


def dev_tree(suite):
    """Return a cached tree of ``suite`` with `make deps` done: what a developer's machine has.

    Made again when debian/control or the Makefile's test packages change, or after a week.
    """
    control = (ROOT / "debian/control").read_text()
    packages = re.search(r"^TEST_PACKAGES :=.*$", (ROOT / "Makefile").read_text(), re.M).group(0)
    key = hashlib.sha1(f"{control}\n{packages}".encode()).hexdigest()[:10]
    base = base_tree(suite)
    tree = CACHE / f"dev-{suite}-{key}"
    stamp = tree / "etc/timelapse-test-made"
    if stamp.exists() and stamp.stat().st_mtime >= (base / "etc/timelapse-test-made").stat().st_mtime:
        return tree
    for old in CACHE.glob(f"dev-{suite}-*"):
        shutil.rmtree(old, ignore_errors=True)
    partial = CACHE / f"{tree.name}.partial"
    made = new_root(suite, recommends=True, where=partial)
    try:
        source_tree(made.path("/srv/deps"))
        made.run("apt-get install -y -q make && make -C /srv/deps deps", timeout=3600)
        made.run("rm -rf /srv/deps")
    except BaseException:
        made.remove()
        raise
    made.path("/etc/timelapse-test-made").write_text(f"make deps, {key}\n")
    partial.rename(tree)
    return tree


@pytest.fixture(scope="module")
def trixie_dev():
    """A trixie root (Python 3.13 and trixie's libraries) with the build and test dependencies."""
    if os.geteuid() != 0:
        pytest.fail("package tests need root: run them with `sudo make check`")
    work = Path(tempfile.mkdtemp(prefix="timelapse-trixie-dev-", dir="/var/tmp"))
    try:
        subprocess.run(["cp", "-a", "--reflink=auto", str(dev_tree("trixie")), str(work / "root")], check=True)
        box = Chroot(work / "root", "trixie", work=work)
        # This machine's own certificate authorities (a network that inspects TLS), as its apt
        # sources: the suite downloads astral 3.2 from PyPI.
        local = sorted(LOCAL_CAS.glob("*.crt"))
        if local:
            for cert in local:
                shutil.copy(cert, box.path(str(LOCAL_CAS)))
            box.run("update-ca-certificates")
        yield box
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)


def footprint(apt_output):
    """Return (packages, MB) that an `apt-get install` output says it added."""
    packages = int(re.search(r"(\d+) newly installed", apt_output).group(1))
    size = re.search(r"After this operation, ([\d.,]+) ([kMG]B) of additional disk space", apt_output)
    megabytes = float(size.group(1).replace(",", "")) * {"kB": 1e-3, "MB": 1, "GB": 1e3}[size.group(2)]
    return packages, megabytes
