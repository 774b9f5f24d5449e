"""Frames to a video: the one path from a list of chosen frames to an MP4 under its final name."""

import os
import tempfile
from pathlib import Path

from timelapse.memory import small_machine
from timelapse.render import ffmpeg
from timelapse.render.frames import output_size, reference_size


def encode(settings, frames, output, span, fps=None, height=None, quality=None, deflicker=None, texts=None,
           drawtext=None, say=print, warn=None, progress=None):
    """Encode ``frames`` (frames.Frame, in order) to ``output``; return the number of frames written.

    ``texts``: each frame's overlay text (or None), drawn by ``drawtext(height)`` (a function of the
    video's height returning the filter, overlay.drawtext). Written to a hidden temporary and renamed
    on success (ffmpeg.run). On a machine under 1 GiB the height is capped at 720 and ffmpeg is lean.
    ``warn(skipped)`` is told of odd-sized frames that could not be letterboxed; ``progress`` (an
    ffmpeg.Progress) is told of each frame encoded (default: a bar or journal lines).
    """
    render = settings.render
    binary = ffmpeg.ffmpeg_binary()
    small = small_machine()
    if height is None:
        height = min(render.height, 720) if small else render.height
    reference = reference_size(frames)
    size = output_size(reference, height)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg.remove_stale_temporaries(output.parent)
    temp = ffmpeg.temporary_name(output)
    fps = fps or render.fps
    say(f"rendering {len(frames)} frames of {span} at {size[0]}x{size[1]}, {fps:g} fps -> {output}")
    with tempfile.TemporaryDirectory(prefix="timelapse-render-") as scratch:
        list_file = Path(scratch, "frames.ffconcat")
        damaged = []
        list_file.write_text(ffmpeg.concat_list(frames, reference, scratch, damaged, texts), encoding="utf-8")
        if warn:
            warn(damaged)
        line = ffmpeg.command(binary, list_file, temp, size, fps, render.quality if quality is None else quality,
                              render.deflicker if deflicker is None else deflicker, small=small, source=reference,
                              drawtext=drawtext(size[1]) if drawtext else None)
        ffmpeg.run(line, output, len(frames) - len(damaged), progress)
    say(f"wrote {output} ({os.path.getsize(output) / 1e6:.1f} MB, {len(frames) / fps:.1f} s)")
    return len(frames) - len(damaged)
