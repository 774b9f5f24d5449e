"""Rendering with the real ffmpeg and ffprobe from Debian: the video's properties read back from
the file, broken and odd-sized frames, interruption, up-to-date skips, exit codes, keograms,
the nightly run and video retention."""

import datetime
import io
import json
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from timelapse.render import ffmpeg
from timelapse.render.frames import output_size, select
from timelapse.render.retention import apply_video_retention
from timelapse.retention import apply_retention

from conftest import cli_env, run_cli

DAY = datetime.date(2026, 11, 20)


def frame(size, index, colour=None):
    """A frame with a moving white square on a gradient (or one flat ``colour``)."""
    image = Image.new("RGB", size, colour or (40 + index % 150, 90, 160 - index % 120))
    if colour is None:
        x = (index * 7) % (size[0] - 40)
        ImageDraw.Draw(image).rectangle([x, size[1] // 3, x + 40, size[1] // 3 + 40], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def plant(root, day, count, size=(640, 360), start_second=0, colours=None):
    folder = Path(root, f"{day:%Y/%m/%d}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        second = start_second + index * 10
        path = folder / f"{second // 3600:02d}{second % 3600 // 60:02d}{second % 60:02d}.jpg"
        path.write_bytes(frame(size, index, colours[index] if colours else None))
        paths.append(path)
    return paths


def render(camera, *args, env=None, timeout=300):
    return run_cli("--config", camera.config, "render", *args, env=env, timeout=timeout)


def ffprobe(path):
    result = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                             "stream=codec_name,width,height,pix_fmt,nb_read_frames,r_frame_rate,color_range,"
                             "color_space,color_primaries,color_transfer:format=duration", "-of", "json", str(path)],
                            capture_output=True, text=True, check=True)
    data = json.loads(result.stdout)
    return dict(data["streams"][0], duration=float(data["format"]["duration"]))


def top_level_boxes(path):
    """Return the MP4's top-level box types in file order."""
    boxes, data = [], Path(path).read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        boxes.append(kind.decode())
        offset += size if size else len(data)
    return boxes


def decoded_frame(path, index):
    png = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", f"select=eq(n\\,{index})", "-vframes", "1",
                          "-f", "image2pipe", "-c:v", "png", "-"], capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_day_becomes_an_h264_video_with_every_good_frame_once(camera):
    good = plant(camera.output, DAY, 60)
    folder = good[0].parent
    (folder / "230000.jpg").write_bytes(b"")
    (folder / "230010.jpg").write_bytes(frame((640, 360), 1)[:-3000])  # cut off mid-write
    odd = plant(camera.output, DAY, 3, size=(480, 480), start_second=20 * 3600)  # the resolution changed
    result = render(camera, DAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert f"skipped {folder / '230000.jpg'}: empty file" in result.stderr
    assert f"skipped {folder / '230010.jpg'}: truncated (no JPEG end marker)" in result.stderr
    video = camera.output / "videos/2026/2026-11-20.mp4"
    info = ffprobe(video)
    assert (info["codec_name"], info["pix_fmt"], info["width"], info["height"]) == ("h264", "yuv420p", 640, 360)
    assert int(info["nb_read_frames"]) == len(good) + len(odd) and info["r_frame_rate"] == "25/1"
    assert info["duration"] == pytest.approx((len(good) + len(odd)) / 25, abs=0.05)  # no frame dropped or doubled
    assert (info["color_range"], info["color_space"], info["color_primaries"], info["color_transfer"]) == (
        "tv", "bt709", "bt709", "bt709")
    boxes = top_level_boxes(video)
    assert boxes[0] == "ftyp" and boxes.index("moov") < boxes.index("mdat")  # +faststart: plays while loading
    assert not [p for p in video.parent.iterdir() if p.name.startswith(".")]


def test_frames_of_another_size_are_letterboxed_not_stretched(camera):
    plant(camera.output, DAY, 20)
    plant(camera.output, DAY, 2, size=(480, 480), start_second=20 * 3600, colours=[(250, 250, 250)] * 2)
    assert render(camera, DAY.isoformat(), "--no-deflicker").returncode == 0
    square = decoded_frame(camera.output / "videos/2026/2026-11-20.mp4", 20)  # 480x480 fitted into 640x360
    assert square.size == (640, 360)
    assert max(square.getpixel((20, 180))) < 30 and max(square.getpixel((620, 180))) < 30  # bars at the sides
    assert min(square.getpixel((320, 180))) > 220  # the picture itself, uncropped height


def test_output_size_is_even_never_enlarged_and_keeps_the_aspect():
    assert output_size((1920, 1080), 720) == (1280, 720)
    assert output_size((640, 360), 1080) == (640, 360)
    assert output_size((2592, 1944), 1080) == (1440, 1080)
    assert output_size((1001, 601), 1080) == (1000, 600)


def test_the_command_is_a_list_with_r_before_i_and_small_machines_use_lean_settings(tmp_path):
    line = ffmpeg.command("ffmpeg", tmp_path / "list", tmp_path / "out.mp4", (1280, 720), 25, 23, True)
    assert line.index("-r") < line.index("-i") and "-threads" not in line and "-x264-params" not in line
    assert "deflicker" in line[line.index("-vf") + 1] and "+faststart" in line
    small = ffmpeg.command("ffmpeg", tmp_path / "list", tmp_path / "out.mp4", (960, 720), 25, 23, True, small=True,
                           source=(4056, 3040))
    decoder, encoder = small[:small.index("-i")], small[small.index("-i"):]
    assert decoder[decoder.index("-threads") + 1] == "1" and decoder[decoder.index("-lowres") + 1] == "2"
    assert encoder[encoder.index("-threads") + 1] == "2" and "rc-lookahead=5" in encoder[encoder.index("-x264-params") + 1]


def test_the_decoder_reduces_only_while_the_frame_stays_at_least_the_output_size():
    assert ffmpeg.lowres((4056, 3040), (960, 720)) == 2  # 1014 x 760
    assert ffmpeg.lowres((1920, 1080), (1280, 720)) == 0  # 960 x 540 would be enlarged again
    assert ffmpeg.lowres((1920, 1080), (640, 360)) == 1
    assert ffmpeg.lowres((9152, 6944), (640, 480)) == 3  # 1/8 at most


def small_pi(tmp_path):
    """A meminfo like a Pi Zero 2 W's (427 MB), read through the same detection the render uses."""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:         427000 kB\nMemFree:          100000 kB\n")
    return cli_env(TIMELAPSE_MEMINFO=str(meminfo))


def test_on_a_512_mb_pi_the_render_is_720p_with_the_lean_settings_and_plays(camera):
    plant(camera.output, DAY, 20, size=(1920, 1080))
    result = render(camera, DAY.isoformat(), env=small_pi(camera.dir))
    assert result.returncode == 0, result.stderr
    assert "at 1280x720" in result.stdout
    info = ffprobe(camera.output / "videos/2026/2026-11-20.mp4")
    assert (info["width"], info["height"], int(info["nb_read_frames"])) == (1280, 720, 20)


def test_ffmpeg_killed_says_out_of_memory_and_leaves_nothing_under_the_final_name(camera):
    plant(camera.output, DAY, 150, size=(1920, 1080))
    video = camera.output / "videos/2026/2026-11-20.mp4"
    process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(camera.config), "render",
                                DAY.isoformat()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=cli_env())
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not children.read_text().split():
        time.sleep(0.02)
    ffmpeg_pid = int(children.read_text().split()[0])
    time.sleep(0.5)  # well into the encode
    os.kill(ffmpeg_pid, signal.SIGKILL)  # what the OOM killer sends
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and "ffmpeg was killed (out of memory" in stderr, stderr
    assert "Traceback" not in stderr and not video.exists()
    assert [p for p in video.parent.glob(".*") if p.name.endswith(".mp4")] == []


def test_an_oom_kill_is_read_from_the_cgroups_memory_events(tmp_path):
    (tmp_path / "cgroup").write_text("0::/system.slice/timelapse-render.service\n")
    events = tmp_path / "fs/system.slice/timelapse-render.service/memory.events"
    events.parent.mkdir(parents=True)
    events.write_text("low 0\nhigh 12\nmax 3\noom 1\noom_kill 1\n")
    assert ffmpeg.oom_kills(tmp_path / "cgroup", tmp_path / "fs") == 1
    assert ffmpeg.oom_kills(tmp_path / "none", tmp_path / "fs") is None
    message = ffmpeg.killed(-9, "/v/x.mp4", 0, 1)
    assert message.startswith("ffmpeg was killed (out of memory: the OOM killer ended it") and "/v/x.mp4" in message


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_render_leaves_nothing_under_the_final_name_and_the_next_run_succeeds(camera, signum):
    plant(camera.output, DAY, 150, size=(1920, 1080))
    video = camera.output / "videos/2026/2026-11-20.mp4"
    process = subprocess.Popen([sys.executable, "-m", "timelapse", "--config", str(camera.config), "render",
                                DAY.isoformat()], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=cli_env(), start_new_session=True)

    def writing():
        return any(p.stat().st_size > 0 for p in video.parent.glob(".*.tmp.mp4")) if video.parent.exists() else False

    deadline = time.monotonic() + 60
    while not writing() and time.monotonic() < deadline:  # ffmpeg is writing the temporary
        time.sleep(0.05)
    if signum == signal.SIGKILL:
        os.killpg(process.pid, signum)  # the render and its ffmpeg, as a power cut or the OOM killer would
    else:
        process.send_signal(signum)  # as systemctl stop does
    process.wait(timeout=30)
    assert not video.exists()
    leftovers = list(video.parent.glob(".*"))
    print(f"after {signal.Signals(signum).name}: {[p.name for p in leftovers]}")
    if signum == signal.SIGTERM:
        assert leftovers == []
    result = render(camera, DAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert int(ffprobe(video)["nb_read_frames"]) == 150
    assert list(video.parent.glob(".*")) == []  # the killed run's temporary went too


def test_an_up_to_date_video_is_not_rendered_again_unless_forced_or_a_late_image_came(camera):
    plant(camera.output, DAY, 10)
    assert render(camera, DAY.isoformat()).returncode == 0
    again = render(camera, DAY.isoformat())
    assert again.returncode == 0 and "is up to date" in again.stdout
    assert "rendering 10 frames" in render(camera, DAY.isoformat(), "--force").stdout
    time.sleep(0.05)
    plant(camera.output, DAY, 1, start_second=23 * 3600)  # a late image
    assert "rendering 11 frames" in render(camera, DAY.isoformat()).stdout


def test_choosing_frames_by_range_between_and_every(camera):
    plant(camera.output, DAY, 30, start_second=6 * 3600)  # 06:00:00 .. 06:04:50
    plant(camera.output, DAY + datetime.timedelta(days=1), 10, start_second=6 * 3600)
    result = render(camera, f"{DAY}..{DAY + datetime.timedelta(days=1)}", "--between", "06:02-07:00", "--every",
                    "2", "-o", str(camera.dir / "out.mp4"), "--fps", "10")
    assert result.returncode == 0, result.stderr
    # Day 1 has 06:02:00 .. 06:04:50 inside, 18 frames, every 2nd of them: 9. Day 2 (06:00:00 .. 06:01:30): none.
    info = ffprobe(camera.dir / "out.mp4")
    assert int(info["nb_read_frames"]) == 9 and info["r_frame_rate"] == "10/1"
    assert render(camera, "2026-13-01").returncode == 2
    assert render(camera, DAY.isoformat(), "--between", "7-8").returncode == 2


def test_exit_66_without_images_and_69_without_ffmpeg(camera):
    empty = render(camera, DAY.isoformat())
    assert empty.returncode == 66 and "no images to render for 2026-11-20" in empty.stderr
    plant(camera.output, DAY, 3)
    missing = render(camera, DAY.isoformat(), env=cli_env(PATH="/nonexistent"))
    assert missing.returncode == 69 and "ffmpeg is not installed; rendering needs it: sudo apt install ffmpeg" \
        in missing.stderr


def test_progress_is_a_line_per_step_off_a_terminal(camera):
    plant(camera.output, DAY, 40, size=(1280, 720))
    result = render(camera, DAY.isoformat())
    steps = [line for line in result.stderr.splitlines() if line.startswith("render: ")]
    assert steps and steps[-1].startswith("render: 100% (40/40 frames")


def test_the_keogram_has_one_column_per_frame_in_time_order(camera):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255)]
    plant(camera.output, DAY, len(colours), size=(1920, 1080), colours=colours)
    result = run_cli("--config", camera.config, "keogram", DAY.isoformat())
    assert result.returncode == 0, result.stderr
    with Image.open(camera.output / "videos/2026/2026-11-20-keogram.jpg") as keogram:
        keogram = keogram.convert("RGB")
        assert keogram.size == (len(colours), 270)
        for index, colour in enumerate(colours):
            got = keogram.getpixel((index, 135))
            assert all(abs(a - b) < 60 for a, b in zip(got, colour)), (index, got, colour)


def test_the_repeated_hour_of_a_dst_night_plays_once_then_again_in_the_video_and_the_keogram(camera):
    from test_names import plant_autumn_night

    folder, names = plant_autumn_night(camera.output)  # red rises with the real instant
    selection = select(camera.output, [datetime.date(2026, 10, 25)])
    assert [frame.path.name for frame in selection.frames] == names  # the video's frame list
    result = run_cli("--config", camera.config, "keogram", "2026-10-25")
    assert result.returncode == 0, result.stderr
    with Image.open(camera.output / "videos/2026/2026-10-25-keogram.jpg") as keogram:
        reds = [keogram.convert("RGB").getpixel((index, 12))[0] for index in range(len(names))]
    assert all(later > earlier for earlier, later in zip(reds, reds[1:])), reds


def test_the_nightly_run_renders_yesterday_or_says_why_not(camera):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    nothing = render(camera, "--nightly")
    assert nothing.returncode == 0 and "no nightly video: no images to render" in nothing.stdout
    plant(camera.output, yesterday, 8)
    no_ffmpeg = render(camera, "--nightly", env=cli_env(PATH="/nonexistent"))
    assert no_ffmpeg.returncode == 0 and "sudo apt install ffmpeg" in no_ffmpeg.stdout
    assert render(camera, "--nightly").returncode == 0
    assert (camera.output / f"videos/{yesterday:%Y}/{yesterday}.mp4").exists()
    assert (camera.output / f"videos/{yesterday:%Y}/{yesterday}-keogram.jpg").exists()
    camera.config.write_text(f"storage: {{output_dir: {camera.output}}}\nrender: {{daily: false}}\n")
    off = render(camera, "--nightly")
    assert off.returncode == 0 and "render.daily is false" in off.stdout


def test_video_retention_and_image_retention_never_touch_each_others_files(camera, synced_clock):
    old = datetime.date.today() - datetime.timedelta(days=40)
    plant(camera.output, old, 2)
    videos = camera.output / f"videos/{old:%Y}"
    videos.mkdir(parents=True)
    for name in (f"{old}.mp4", f"{old}-keogram.jpg", f"{old - datetime.timedelta(days=3)}_{old}.mp4", "notes.txt"):
        (videos / name).write_bytes(b"x")
    fresh = camera.output / f"videos/{datetime.date.today():%Y}/{datetime.date.today()}.mp4"
    fresh.parent.mkdir(parents=True, exist_ok=True)
    fresh.write_bytes(b"x")
    apply_retention(camera.output, 30)  # images: the old day goes, every video stays
    assert not (camera.output / f"{old:%Y/%m/%d}").exists() and (videos / f"{old}.mp4").exists()
    plant(camera.output, old, 2)
    gone = apply_video_retention(camera.output, 30)  # videos: the old ones go, the images stay
    assert sorted(p.name for p in gone) == sorted([f"{old}.mp4", f"{old}-keogram.jpg",
                                                   f"{old - datetime.timedelta(days=3)}_{old}.mp4"])
    assert (videos / "notes.txt").exists() and fresh.exists() and (camera.output / f"{old:%Y/%m/%d}").exists()
