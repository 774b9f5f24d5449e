"""Source-tree facts the packaging relies on (no root, no build)."""

import os
import re
import subprocess

import timelapse
from conftest import ROOT


def test_changelog_and_setup_py_versions_agree():
    changelog = (ROOT / "debian/changelog").read_text().splitlines()[0]
    assert re.match(r"timelapse \(([^)]+)\)", changelog).group(1) == timelapse.__version__
    setup_version = subprocess.run(["/usr/bin/python3", "setup.py", "--version"], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout.split()[-1]
    assert setup_version == timelapse.__version__


def test_changelog_entries_carry_an_area_prefix():
    entries = [line.strip()[2:] for line in (ROOT / "debian/changelog").read_text().splitlines()
               if line.startswith("  * ")]
    assert entries and all(re.match(r"(config|camera|storage|daemon|packaging|sync|render|web|alerts|exposure|tests|archive|status|settings|night|aim|cli|bench|structure): ", e) for e in entries)


def test_debian_unit_is_a_symlink_to_the_one_source():
    assert os.readlink(ROOT / "debian/timelapse.service") == "../lib-systemd/timelapse.service"


def test_maintainer_scripts_keep_the_debhelper_token():
    for script in ("postinst", "postrm"):
        assert "#DEBHELPER#" in (ROOT / f"debian/timelapse.{script}").read_text()


def test_version_option_prints_the_version():
    from conftest import run_cli
    assert run_cli("--version").stdout.strip() == f"timelapse {timelapse.__version__}"


def test_the_render_unit_caps_its_memory_at_a_share_of_the_machine():
    # A fixed MemoryHigh=700M was more than a 512 MB Pi has: a render could take the daemon down.
    unit = (ROOT / "lib-systemd/timelapse-render.service").read_text()
    settings = dict(re.findall(r"^(Memory\w+|OOMScoreAdjust)=(\S+)", unit, re.M))
    high, top = (int(settings[key].rstrip("%")) for key in ("MemoryHigh", "MemoryMax"))
    assert settings["MemoryMax"].endswith("%") and settings["MemoryHigh"].endswith("%")
    assert high < top <= 50 and int(settings["OOMScoreAdjust"]) > 0
