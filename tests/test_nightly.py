"""The nightly render catches up (SPEC §12): after a failed night, every day of the last week that has
images and no up-to-date video or keogram is done, oldest first; older days are never touched."""

import datetime
import os
import re

from conftest import cli_env
from test_render import plant, render

TODAY = datetime.date.today()


def ago(days):
    return TODAY - datetime.timedelta(days=days)


def products(camera, day):
    folder = camera.output / f"videos/{day:%Y}"
    return [kind for kind, name in (("video", f"{day}.mp4"), ("keogram", f"{day}-keogram.jpg"))
            if (folder / name).exists()]


def killing_ffmpeg(directory):
    """A PATH whose ffmpeg is the real one, killed (SIGKILL) mid-render: the night the OOM killer came."""
    directory.mkdir()
    wrapper = directory / "ffmpeg"
    wrapper.write_text('#!/bin/sh\n/usr/bin/ffmpeg "$@" &\nsleep 0.1\nkill -KILL $!\nwait $!\nexit 137\n')
    wrapper.chmod(0o755)
    return f"{directory}:/usr/bin:/bin"


def test_after_failed_nights_the_nightly_run_renders_every_missed_day_of_the_week_oldest_first(camera, tmp_path):
    for days in (9, 6, 3, 1):  # nine days ago: too old to catch up
        plant(camera.output, ago(days), 4, size=(160, 90))

    off = render(camera, "--nightly", env=cli_env(PATH="/nonexistent"))  # ffmpeg not installed
    assert off.returncode == 0 and "sudo apt install ffmpeg" in off.stdout
    assert [products(camera, ago(d)) for d in (9, 6, 3, 1)] == [[], ["keogram"], ["keogram"], ["keogram"]]

    killed = render(camera, "--nightly", env=cli_env(PATH=killing_ffmpeg(tmp_path / "bin")))
    assert killed.returncode == 1, killed.stdout + killed.stderr
    assert "nightly render: 3 failed" in killed.stdout
    assert [products(camera, ago(d)) for d in (9, 6, 3, 1)] == [[], ["keogram"], ["keogram"], ["keogram"]]
    assert not list(camera.output.glob("videos/*/*.mp4"))  # nothing half-written under a final name

    plant(camera.output, ago(3), 2, size=(160, 90), start_second=3600)  # a late image: its keogram is stale
    night = render(camera, "--nightly")
    assert night.returncode == 0, night.stdout + night.stderr
    wrote = re.findall(r"^wrote \S+/(\S+)", night.stdout, re.MULTILINE)
    assert wrote == [f"{ago(6)}.mp4", f"{ago(3)}.mp4", f"{ago(1)}.mp4", f"{ago(3)}-keogram.jpg"]
    assert [products(camera, ago(d)) for d in (9, 6, 3, 1)] == [[], ["video", "keogram"], ["video", "keogram"],
                                                                ["video", "keogram"]]

    video = camera.output / f"videos/{ago(6):%Y}/{ago(6)}.mp4"
    made = video.stat().st_mtime
    again = render(camera, "--nightly")  # all up to date: nothing rendered again
    assert again.returncode == 0 and "wrote" not in again.stdout and video.stat().st_mtime == made
    assert "up to date" in again.stdout

    newest = camera.output / f"{ago(1):%Y/%m/%d}/000000.jpg"
    os.utime(newest, (made + 60, made + 60))  # an image newer than its day's video
    late = render(camera, "--nightly")
    assert re.findall(r"^wrote \S+/(\S+)", late.stdout, re.MULTILINE) == [f"{ago(1)}.mp4", f"{ago(1)}-keogram.jpg"]


def test_the_nightly_run_touches_nothing_while_the_drive_of_output_dir_is_away(camera, tmp_path):
    plant(camera.output, ago(1), 2, size=(160, 90))  # what is underneath the mount point, on the card
    fstab = tmp_path / "fstab"
    fstab.write_text(f"LABEL=PHOTOS {camera.output} ext4 noauto,nofail 0 0\n")
    away = render(camera, "--nightly", env=cli_env(TIMELAPSE_FSTAB=str(fstab)))
    assert away.returncode == 0 and f"not mounted at {camera.output}" in away.stdout
    assert not (camera.output / "videos").exists()
