"""The README's install command, read from README.md and run as written on a fresh Debian install.

A debootstrap root of the default variant (every package of priority important, as a fresh
install has; no make, no compiler, no git) gets a clean copy of the source tree (`git archive
HEAD`, what a clone has) and runs the shell block under the README's "Install" heading in it, as
root, from the tree's directory. Then the package must be installed, its configuration valid and a
snapshot from the synthetic camera a real JPEG. For bookworm and trixie.
"""

import re

import pytest

from conftest import ROOT, SUITES, copy_root, source_tree

SOURCE = "/root/timelapse"


def readme_install_commands():
    """Return the shell block the README shows under its "## Install" heading, as written."""
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Install\n(.*?)(?=^## )", readme, re.M | re.S)
    assert section, "README.md has no '## Install' section"
    block = re.search(r"^```(?:sh|bash|console)?\n(.*?)^```", section.group(1), re.M | re.S)
    assert block, "README.md's Install section shows no fenced command block"
    return block.group(1)


def test_the_install_block_is_what_a_new_user_types():
    commands = readme_install_commands()
    print(commands)
    assert "make install" in commands and "make check" not in commands


@pytest.fixture(params=SUITES)
def fresh_install(request):
    """A fresh copy of a default-variant root of each suite, apt's lists not yet fetched."""
    yield from copy_root(request.param, variant="default", include=None, recommends=True, update=False)


def test_readme_install_works_on_a_fresh_machine(fresh_install):
    box = fresh_install
    source_tree(box.path(SOURCE), ref="HEAD")
    version = re.match(r"timelapse \(([^)]+)\)", (box.path(SOURCE) / "debian/changelog").read_text()).group(1)
    assert box.run("command -v make gcc git", check=False).stdout.strip() == ""  # nothing more than a fresh install
    commands = readme_install_commands()
    script = box.path("/root/readme-install.sh")
    script.write_text(f"set -e\ncd {SOURCE}\n{commands}")
    result = box.run("sh /root/readme-install.sh 2>&1", check=False, timeout=3600)
    print(result.stdout[-4000:])
    assert result.returncode == 0, f"[{box.suite}] the README's install command failed:\n{result.stdout[-8000:]}"

    status = box.run("dpkg-query -W -f '${Status} ${Version}' timelapse").stdout
    assert status == f"install ok installed {version}"
    assert box.run("timelapse check-config").stdout.startswith("OK: /etc/timelapse/timelapse.yml")
    box.path("/srv/synthetic.yml").write_text("camera: {source: synthetic, warmup: 0, resolution: [640, 360]}\n"
                                             "daemon: {lock_file: /srv/camera.lock}\n")
    snap = box.run("timelapse --config /srv/synthetic.yml snapshot -o /srv/snap.jpg && python3 -c \"from PIL "
                   "import Image; i = Image.open('/srv/snap.jpg'); i.load(); print(i.format, i.size)\"")
    print(snap.stdout)
    assert snap.stdout.strip().endswith("JPEG (640, 360)")
    assert "/usr/lib/systemd/system/timelapse.service" in box.run("dpkg -L timelapse").stdout.split()
    assert box.run("systemctl is-enabled timelapse").stdout.strip() == "enabled"  # starts at every boot
