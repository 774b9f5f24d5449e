"""Text on a video, never on the images (SPEC §18): each frame's own text, drawn by ffmpeg's drawtext.

Each frame's text travels with it through the concat list as packet metadata
(``file_packet_meta tl_text '...'``); the decoder copies it to the frame, and drawtext draws
``%{metadata:tl_text}``. The text is never parsed by drawtext (an expanded value is drawn as it
is), and the concat list quotes it in single quotes (``'`` as ``'\\''``), so ``:``, ``%``, quotes,
backslashes and any letter are drawn as written, with no filtergraph escaping of the user's text.
"""

import os

from PIL import Image

from timelapse.alerts.messages import camera_name
from timelapse.config.period_keys import PLACEHOLDER
from timelapse.errors import ToolMissing
from timelapse.exif import taken_at
from timelapse.imagefile import quick_check
from timelapse.render.ffmpeg import TEXT_KEY as KEY

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # fonts-dejavu-core (a dependency)
FONT_PACKAGE = "fonts-dejavu-core"
TIME_FORMAT = "%Y-%m-%d %H:%M"  # {time} without a format


def instant_of(path, when):
    """Return the aware instant the image at ``path`` was taken: its EXIF DateTimeOriginal with
    OffsetTimeOriginal, else ``when`` (its name's naive local time, fold set for a ``_2`` name) in
    the machine's zone that day."""
    if not quick_check(path):
        try:
            with Image.open(path) as image:
                found = taken_at(image)
            if found is not None:
                return found
        except (OSError, ValueError, SyntaxError):
            pass  # damaged header: the name still says when
    return when.astimezone()


def expand(template, instant, camera):
    """Return ``template`` with {camera}, {date} and {time[:FORMAT]} filled in for ``instant`` (aware);
    every other character is kept as written. Control characters a format could make become spaces."""

    def fill(match):
        name = match.group(1)
        if name == "camera":
            return camera
        if name == "date":
            return instant.date().isoformat()
        return instant.strftime(name[5:] or TIME_FORMAT)

    text = PLACEHOLDER.sub(fill, template)
    return "".join(" " if ord(char) < 32 else char for char in text)


def texts(settings, overlay, frames):
    """Yield (Frame, instant, text) for ``frames`` (frames.Frame) under ``overlay`` ({"text", ...} or
    None: text None); instant is each frame's aware capture instant (instant_of)."""
    camera = camera_name(settings)
    for frame in frames:
        instant = instant_of(frame.path, frame.when)
        yield frame, instant, expand(overlay["text"], instant, camera) if overlay else None


def drawtext(overlay, height):
    """Return the drawtext filter for ``overlay`` on a video ``height`` pixels high; raise ToolMissing
    if the font is not installed."""
    if not os.path.exists(FONT):
        raise ToolMissing(f"the overlay's font {FONT} is missing: sudo apt install {FONT_PACKAGE}")
    size = max(8, round(height * overlay["size"] / 100))
    margin = max(4, round(height * 0.02))
    vertical, horizontal = overlay["position"].split("-")
    x = str(margin) if horizontal == "left" else f"w-tw-{margin}"
    y = str(margin) if vertical == "top" else f"h-th-{margin}"
    # The whole option is quoted at the filtergraph level, so the option parser gets "\:" and draws
    # the expansion %{metadata:tl_text}; the user's text never enters this string.
    return (f"drawtext=fontfile={FONT}:text='%{{metadata\\:{KEY}}}':fontsize={size}:fontcolor=white:"
            f"borderw={max(1, size // 24)}:bordercolor=black@0.7:x={x}:y={y}")
