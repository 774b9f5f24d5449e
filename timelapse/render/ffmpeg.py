"""Drive Debian's ffmpeg: the concat list, the command (a list, never a shell string), progress,
and an output that appears under its name only when ffmpeg succeeded.

The list feeds frames of one size: with ffmpeg 5.1 the concat demuxer stretches a frame of
another size to the first frame's size (and ``-autoscale 0`` stops helping once deflicker
is in the chain), so the few odd frames are letterboxed to the common size first.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from timelapse.errors import NothingToRender, TimelapseError, require_program
from timelapse.imagefile import DamagedImage, decode_reduced

TEXT_KEY = "tl_text"  # a frame's overlay text, as packet metadata (timelapse.render.overlay)
TEMP = re.compile(r"^\..+\.(\d+)\.tmp(?:\.\w+)?$")  # ".2026-11-21.mp4.<pid>.tmp.mp4"


# How ffmpeg 5.1 ("Error while decoding stream") and 7.1 ("Error submitting packet to decoder: Invalid
# data found ...") say that a frame could not be decoded.
DECODE_ERRORS = ("Error while decoding stream", "Error submitting packet to decoder")

def ffmpeg_binary():
    """Return the path of ffmpeg; raise ToolMissing naming the package if it is not installed."""
    return require_program("ffmpeg", "rendering needs it")


def quote(path):
    """Return ``path`` quoted for an ffmpeg concat list."""
    return "'" + str(path).replace("'", "'\\''") + "'"


def letterbox(path, size, target, quality=95):
    """Write ``path`` fitted into ``size`` (black bars, aspect kept) to ``target``.

    Decoded at reduced size (imagefile): a 12 MP frame for a 720p video never costs 36 MB.
    Raise DamagedImage if ``path`` cannot be decoded.
    """
    image = decode_reduced(path, size)
    scale = min(size[0] / image.width, size[1] / image.height)
    fitted = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                          Image.BICUBIC)
    canvas = Image.new("RGB", size)
    canvas.paste(fitted, ((size[0] - fitted.width) // 2, (size[1] - fitted.height) // 2))
    canvas.save(target, "JPEG", quality=quality)


def concat_list(frames, reference, scratch, skipped=None, texts=None):
    """Return the concat list's text; frames not of ``reference`` size are letterboxed into ``scratch``.

    An odd-sized frame that cannot be decoded is left out and (path, why) appended to ``skipped``.
    ``texts`` (one per frame, or None) become each frame's overlay text (overlay.KEY packet metadata).
    """
    lines = ["ffconcat version 1.0"]
    for index, frame in enumerate(frames):
        path = frame.path
        if frame.size != reference:
            path = Path(scratch, f"odd-{index:06d}.jpg")
            try:
                letterbox(frame.path, reference, path)
            except (DamagedImage, OSError) as exc:
                if skipped is not None:
                    skipped.append((frame.path, getattr(exc, "why", None) or str(exc)))
                continue
        lines.append(f"file {quote(path)}")
        if texts and texts[index]:
            lines.append(f"file_packet_meta {TEXT_KEY} {quote(texts[index])}")
    return "\n".join(lines) + "\n"


# Under 1 GiB of RAM (memory.small_machine): x264 keeps few frames (lookahead, references, B-frames
# and frame threads each hold whole frames; medium's defaults peak near 280 MB at 720p), the JPEG
# decoder runs in one thread and decodes at reduced size where the output is smaller (-lowres, as
# Pillow's draft). Measured by `make bench`: under 150 MB, about as fast (README, Small machines).
SMALL_X264 = "rc-lookahead=5:lookahead-threads=1:sync-lookahead=0:ref=1:bframes=1"
SMALL_THREADS = 2


def lowres(source, size):
    """Return the JPEG decoder's reduction (0..3: 1/1 .. 1/8) that still gives at least ``size`` from ``source``."""
    shift = 0
    while shift < 3 and source[0] >> (shift + 1) >= size[0] and source[1] >> (shift + 1) >= size[1]:
        shift += 1
    return shift


def command(binary, list_file, output, size, fps, quality, deflicker, small=False, source=None, drawtext=None):
    """Return the ffmpeg command line for a concat list of same-sized full-range JPEGs.

    ``small``: the settings for a machine of under 1 GiB (SMALL_X264); ``source`` is the frames' size;
    ``drawtext``: the overlay's filter (overlay.drawtext), drawn last, after deflicker.
    """
    width, height = size
    # JPEGs are full-range BT.601; the video is limited-range BT.709, converted (not just tagged).
    filters = [f"scale={width}:{height}:flags=bicubic:in_range=pc:out_range=tv:in_color_matrix=bt601:"
               f"out_color_matrix=bt709", "format=yuv420p"]
    if deflicker:
        filters.append("deflicker=size=5:mode=pm")
    # The frames themselves say BT.709: ffmpeg 7 sets the encoder's colour tags from the filtered
    # frames, and scale sets only the matrix and range (primaries and transfer would come out
    # "unknown"); ffmpeg 5.1 takes the -color_* options below, which stay for it.
    filters.append("setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709")
    if drawtext:
        filters.append(drawtext)
    decode = []
    if small:
        shift = lowres(source or size, size)
        decode = ["-threads", "1"] + (["-lowres", str(shift)] if shift else [])
    line = [binary, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1",
            # ffmpeg 7 gives up on a run once over 2/3 of the frames fail to decode (5.1 never did):
            # damaged frames are dropped one by one whatever their share, and none at all is "nothing to render".
            "-max_error_rate", "1",
            # -r before -i: timestamps are made at this rate, so no frame is dropped or duplicated.
            "-r", f"{fps:g}", "-f", "concat", "-safe", "0",
            # A frame whose body is broken (only a decode tells) is dropped, not encoded half grey.
            "-err_detect", "explode", *decode, "-i", str(list_file),
            "-vf", ",".join(filters), "-c:v", "libx264", "-preset", "medium", "-crf", str(quality),
            "-pix_fmt", "yuv420p", "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
            "-color_range", "tv", "-movflags", "+faststart", "-an"]
    if small:
        line += ["-threads", str(SMALL_THREADS), "-filter_threads", "1", "-x264-params", SMALL_X264]
    return line + ["-f", "mp4", str(output)]


def temporary_name(final):
    """Return the hidden temporary an output is written to before it gets its name."""
    final = Path(final)
    return final.with_name(f".{final.name}.{os.getpid()}.tmp{final.suffix}")


def remove_stale_temporaries(folder):
    """Remove temporaries left by a render that was killed (their process is gone); return how many."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = TEMP.match(entry.name)
        if match and not _alive(int(match.group(1))):
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    return removed


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def oom_kills(cgroup_file="/proc/self/cgroup", root="/sys/fs/cgroup"):
    """Return how many processes the OOM killer ended in this process's cgroup (cgroup v2
    memory.events: a unit's MemoryMax= is enforced there), or None where that cannot be read."""
    try:
        with open(cgroup_file) as stream:
            path = next(line.split("::", 1)[1].strip() for line in stream if line.startswith("0::"))
        with open(os.path.join(root, path.lstrip("/"), "memory.events")) as stream:
            for line in stream:
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
    except (OSError, StopIteration, ValueError):
        pass
    return None


def killed(code, output, kills_before, kills_after):
    """Return the message for an ffmpeg ended by a signal (``code`` < 0), saying when it was out of memory."""
    if kills_before is not None and kills_after is not None and kills_after > kills_before:
        why = (f"ffmpeg was killed (out of memory: the OOM killer ended it, memory.events oom_kill "
               f"{kills_before} -> {kills_after})")
    elif code == -signal.SIGKILL:
        why = "ffmpeg was killed (out of memory? SIGKILL is what the OOM killer sends; see journalctl -k)"
    else:
        why = f"ffmpeg was killed by signal {-code}"
    return (f"{why}; nothing was written under {output}. On a small Pi: a lower --height (render.height), "
            f"or more room for the render (systemctl edit timelapse-render: MemoryMax=)")


class Progress:
    """Show ffmpeg's -progress: a bar on a terminal, else one line per 10 % (the journal)."""

    def __init__(self, total, stream=sys.stderr):
        self.total, self.stream = max(1, total), stream
        self.tty = stream.isatty()
        self.started, self.step = time.monotonic(), -1

    def update(self, frame):
        done = min(frame, self.total) / self.total
        elapsed = time.monotonic() - self.started
        fps = frame / elapsed if elapsed > 0 else 0.0
        left = (self.total - frame) / fps if fps > 0 else 0.0
        if self.tty:
            bar = "#" * int(done * 30)
            self.stream.write(f"\r[{bar:<30}] {done:4.0%} {frame}/{self.total} frames, {fps:.0f} fps, "
                              f"{left:.0f} s left ")
            self.stream.flush()
        elif int(done * 10) > self.step:
            self.step = int(done * 10)
            print(f"render: {self.step * 10}% ({frame}/{self.total} frames, {fps:.0f} fps, {left:.0f} s left)",
                  file=self.stream, flush=True)

    def finish(self):
        if self.tty:
            self.stream.write("\n")


def run(line, output, total, progress=None):
    """Run ``line`` writing to a temporary; rename it to ``output`` on success; raise TimelapseError if not.

    SIGTERM/SIGINT stop ffmpeg and remove the temporary; a SIGKILL leaves a hidden temporary,
    which the next render removes. Nothing ever appears under ``output`` unfinished.
    """
    temp = Path(line[-1])
    progress = progress or Progress(total)
    encoded = 0
    kills_before = oom_kills()
    process = subprocess.Popen(line, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    previous = {}

    def stop(signum, _frame):
        process.terminate()
        raise KeyboardInterrupt(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, stop)
    try:
        for text in process.stdout:
            key, _, value = text.strip().partition("=")
            if key == "frame" and value.isdigit():
                encoded = int(value)
                progress.update(encoded)
        errors = process.stderr.read()
        code = process.wait()
    except KeyboardInterrupt:
        process.wait()
        temp.unlink(missing_ok=True)
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        progress.finish()
    undecodable = any(text in errors for text in DECODE_ERRORS)
    if code != 0 or encoded == 0:
        temp.unlink(missing_ok=True)
        if code < 0:
            raise TimelapseError(killed(code, output, kills_before, oom_kills()))
        if encoded == 0 and (code == 0 or undecodable):
            raise NothingToRender(f"none of the {total} frame(s) could be decoded (damaged JPEGs)")
        last = " / ".join(errors.strip().splitlines()[-3:]) or f"exit status {code}"
        raise TimelapseError(f"ffmpeg failed: {last}")
    os.replace(temp, output)
    if encoded < total:
        print(f"timelapse: warning: ffmpeg left out {total - encoded} frame(s) it could not decode "
              f"(a damaged JPEG body)", file=sys.stderr)
