"""Shared helpers: run the real CLI in a subprocess under Debian's interpreter."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# No example database: the build runs the suite inside the package's build tree,
# and a .hypothesis/ folder there would end up in the .deb.
settings.register_profile("timelapse", database=None)
settings.load_profile("timelapse")

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_PARENT = Path(__import__("timelapse").__file__).resolve().parent.parent


def cli_env(**extra):
    """Return an environment in which `python3 -m timelapse` finds the code under test."""
    env = {k: v for k, v in os.environ.items() if k != "TIMELAPSE_CONFIG"}
    # tests/strict first: its sitecustomize makes our DeprecationWarnings errors in the child too.
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent / "strict"), str(PACKAGE_PARENT)])
    env.update(extra)
    return env


def kernel_clock(directory, synced=True):
    """Return env for timelapse.clock's test seam: the "kernel" says ``synced``; flip it with set_kernel_clock."""
    path = Path(directory, "kernel-clock-synced")
    set_kernel_clock(path, synced)
    return {"TIMELAPSE_TEST_CLOCK_SYNCED_FILE": str(path)}


def set_kernel_clock(path, synced):
    """Make the seam file at ``path`` say synchronized (True) or not (False)."""
    Path(path).write_text("1" if synced else "0")


@pytest.fixture
def synced_clock(tmp_path, monkeypatch):
    """In this process and the CLIs it runs, the kernel reports a synchronized clock (tests of deletion)."""
    env = kernel_clock(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Path(env["TIMELAPSE_TEST_CLOCK_SYNCED_FILE"])


def run_cli(*args, timeout=60, env=None, **kwargs):
    """Run `python3 -m timelapse ARGS`; return the CompletedProcess (text mode)."""
    return subprocess.run([sys.executable, "-m", "timelapse", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env or cli_env(), **kwargs)


@pytest.fixture
def write_config(tmp_path):
    """Write YAML text to a file and return its path."""

    def write(text, name="timelapse.yml"):
        path = tmp_path / name
        path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
        return path

    return write


def _need_root():
    """Skip outside CI without root; in CI (and `make check`, which runs as root) never skip."""
    if os.geteuid() == 0:
        return False
    if os.environ.get("CI") or os.environ.get("TIMELAPSE_REQUIRE_ROOT_TESTS"):
        pytest.fail("this test needs root and CI must run it")
    return True


requires_root = pytest.mark.skipif("__import__('conftest')._need_root()", reason="needs root (mount)")


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 2 MiB tmpfs, for disk-full and read-only tests."""
    mountpoint = tmp_path / "tmpfs"
    mountpoint.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(mountpoint)], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


@pytest.fixture
def camera(tmp_path):
    """An empty output_dir and a config file naming it (the render and damaged-image tests)."""
    output = tmp_path / "images"
    output.mkdir()
    config = tmp_path / "timelapse.yml"
    config.write_text(f"storage: {{output_dir: {output}}}\n")
    return type("Camera", (), {"output": output, "config": config, "dir": tmp_path})
