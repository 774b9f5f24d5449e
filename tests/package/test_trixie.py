"""Trixie (Raspberry Pi OS Trixie's Debian 13) as a developer's machine: a root with `make deps` done.

The fast suite runs there under Python 3.13 and trixie's libraries (astral 3.2, ffmpeg 7.1,
Tornado 6.4), a DeprecationWarning from the timelapse package being an error; trixie's lintian
checks the .deb built here (on bookworm); and a build on trixie ships the same files with the same
relationships, so that either suite's build installs on both.
"""

import re
import shutil
import subprocess

from conftest import ROOT, source_tree

SOURCE = "/srv/timelapse"
CLEAN = "env PATH=/usr/sbin:/usr/bin:/sbin:/bin"


def our_modules():
    """Return the dotted names of every module of the timelapse package in this tree."""
    return sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                  for path in (ROOT / "timelapse").rglob("*.py"))


def test_versions_are_trixies(trixie_dev):
    versions = trixie_dev.run("python3 --version; dpkg-query -W -f '${Package} ${Version}\\n' python3-astral "
                              "python3-tornado ffmpeg python3-opencv python3-pil python3-yaml systemd").stdout
    print(versions)
    assert re.search(r"^Python 3\.13\.", versions, re.M)
    assert re.search(r"^python3-astral 3\.", versions, re.M)
    assert re.search(r"^ffmpeg 7:7\.", versions, re.M)


def test_the_suite_passes_on_trixie(trixie_dev):
    source_tree(trixie_dev.path(SOURCE))
    # -W takes a module name literally: one filter per module makes our own warnings errors, and
    # only ours (a third-party library's deprecations are its business).
    # PYTHONWARNINGS too, for the daemons and commands the tests start as processes.
    filters = [f"error::DeprecationWarning:{module}" for module in our_modules()]
    result = trixie_dev.run(f"cd {SOURCE} && {CLEAN} PYTHONWARNINGS={','.join(filters)} python3 -m pytest "
                            f"-p no:cacheprovider -q -rfEs tests --ignore=tests/package "
                            f"{' '.join('-W ' + f for f in filters)} 2>&1", check=False, timeout=3600)
    print(result.stdout)
    summary = result.stdout[result.stdout.rfind("short test summary info"):]
    assert result.returncode == 0, "the suite fails on trixie (its output is above):\n" + summary


def test_trixies_lintian_passes_the_deb_built_here(trixie_dev, deb):
    shutil.copy(deb, trixie_dev.path("/srv") / deb.name)
    result = trixie_dev.run(f"lintian --version; lintian --fail-on error,warning --tag-display-limit 0 "
                            f"/srv/{deb.name} 2>&1", check=False)
    print(result.stdout)
    assert result.returncode == 0, result.stdout


def test_a_trixie_build_ships_the_same_files_and_relationships(trixie_dev, deb):
    if not trixie_dev.path(SOURCE).exists():
        source_tree(trixie_dev.path(SOURCE))
    trixie_dev.run(f"cd {SOURCE} && rm -rf dist && {CLEAN} make NOCHECK=1 deb 2>&1", timeout=1800)
    built = next(trixie_dev.path(SOURCE).glob("dist/timelapse_*_all.deb"))

    def contents(package):
        listing = subprocess.run(["dpkg-deb", "-c", str(package)], capture_output=True, text=True, check=True)
        return sorted(line.split()[-1] for line in listing.stdout.splitlines())

    def fields(package):
        return [subprocess.run(["dpkg-deb", "-f", str(package), field], capture_output=True, text=True,
                               check=True).stdout.strip() for field in ("Depends", "Recommends", "Suggests")]

    assert contents(built) == contents(deb)
    assert fields(built) == fields(deb)
    lintian = trixie_dev.run(f"lintian --fail-on error,warning --tag-display-limit 0 "
                             f"{SOURCE}/dist/{built.name} 2>&1", check=False)
    assert lintian.returncode == 0, lintian.stdout
