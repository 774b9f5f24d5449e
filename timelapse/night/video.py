"""A night's video and keogram: render's ffmpeg path and keogram code, fed the night's frames in order."""

import os
import sys
import tempfile
from pathlib import Path

from timelapse import archive
from timelapse.errors import NothingToRender
from timelapse.imagefile import DamagedImage, header_size
from timelapse.memory import small_machine
from timelapse.render import ffmpeg
from timelapse.render.frames import Frame, output_size, reference_size
from timelapse.render.keogram import keogram
from timelapse.storage import write_atomically


def warn_skipped(skipped):
    """Print a warning naming each (path, why) in ``skipped``."""
    for path, why in skipped:
        print(f"timelapse: warning: skipped {path}: {why}", file=sys.stderr)


def sized(frames):
    """Return [render Frame] of ``frames`` ([NightFrame]) whose header reads; the others are warned about."""
    result, skipped = [], []
    for frame in frames:
        try:
            result.append(Frame(frame.path, frame.when, header_size(frame.path)))
        except (DamagedImage, OSError) as exc:
            skipped.append((frame.path, getattr(exc, "why", None) or str(exc)))
    warn_skipped(skipped)
    return result


def night_video(settings, period, frames, say=print):
    """Render ``frames`` ([NightFrame] dusk to dawn) to the night's video; return its path. Raise
    NothingToRender without frames, ToolMissing without ffmpeg."""
    binary = ffmpeg.ffmpeg_binary()
    render, root = settings.render, settings.storage.output_dir
    frames = sized(frames)
    if not frames:
        raise NothingToRender(f"no images for the night of {period.name} in {root}")
    output = archive.video_path(root, period)
    small = small_machine()
    reference = reference_size(frames)
    size = output_size(reference, min(render.height, 720) if small else render.height)
    output.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg.remove_stale_temporaries(output.parent)
    say(f"rendering the night of {period.name}: {len(frames)} frames at {size[0]}x{size[1]} -> {output}")
    with tempfile.TemporaryDirectory(prefix="timelapse-night-") as scratch:
        list_file = Path(scratch, "frames.ffconcat")
        damaged = []
        list_file.write_text(ffmpeg.concat_list(frames, reference, scratch, damaged))
        warn_skipped(damaged)
        line = ffmpeg.command(binary, list_file, ffmpeg.temporary_name(output), size, render.fps, render.quality,
                              render.deflicker, small=small, source=reference)
        ffmpeg.run(line, output, len(frames) - len(damaged))
    say(f"wrote {output} ({os.path.getsize(output) / 1e6:.1f} MB)")
    return output


def night_keogram(settings, period, frames, say=print):
    """Write the night's keogram (dusk on the left, dawn on the right); return its path."""
    root = settings.storage.output_dir
    damaged = []
    data, columns = keogram([frame.path for frame in frames], skipped=damaged)
    warn_skipped(damaged)
    if not columns:
        raise NothingToRender(f"no readable images for the keogram of the night of {period.name} in {root}")
    path = archive.keogram_path(root, period)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, replace=True)
    say(f"wrote {path} ({columns} columns)")
    return path
