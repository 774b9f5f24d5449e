"""Meteor candidates: a straight bright streak in one frame and in neither neighbour (SPEC §19).

A star is in every frame (not new light, timelapse.night.streaks); a satellite or an aircraft goes on
into the next frame along the same line, so a streak with a collinear streak in the frame before or
after is rejected as ``moving on``. Frames are decoded at half size, five at a time at most: memory is
flat with the night's length. Lines and lengths are given in the full frame's pixels.
"""

import datetime
from collections import Counter, namedtuple

from PIL import Image

from timelapse.imagefile import DamagedImage, opened
from timelapse.night.startrails import decode
from timelapse.night.streaks import collinear, streaks

CROP_MARGIN = 48  # pixels of sky around a candidate's streak in its crop

Candidate = namedtuple("Candidate", "frame line length brightness")  # frame: NightFrame; line in full pixels


def search(frames, skipped=None, lit=()):
    """Return ([Candidate], rejected) over ``frames`` ([NightFrame] in the order taken); ``rejected``
    counts streaks that were not candidates ("moving on") and frames that said nothing ("busy",
    "unreadable"). An unreadable frame, and a frame whose path is in ``lit`` (the survey's: a car's
    lights hide everything its neighbours show), is passed over: its neighbours compare across it."""
    rejected = Counter()
    candidates = []
    lit = set(lit)
    frames = [frame for frame in frames if frame.path not in lit]
    for middle, neighbours in _triples(_streak_lists(_decoded(frames, rejected, skipped), rejected)):
        frame, lines, shape = middle
        scale = _scale(frame, shape) if lines else 1
        for streak in lines:
            if any(collinear(streak, other) or collinear(other, streak) for n in neighbours for other in n[1]):
                rejected["moving on"] += 1
                continue
            x1, y1, x2, y2 = (round(v * scale) for v in streak.line)
            candidates.append(Candidate(frame, [x1, y1, x2, y2], round(streak.length * scale, 1),
                                        round(streak.brightness, 1)))
    return candidates, rejected


def _triples(items):
    """Yield (item, [its neighbours]) for each of ``items``, holding three at a time."""
    before = current = None
    for item in items:
        if current is not None:
            yield current, [n for n in (before, item) if n is not None]
        before, current = current, item
    if current is not None:
        yield current, [n for n in (before,) if n is not None]


def _streak_lists(decoded, rejected):
    """Yield (frame, [Streak], shape) for each decoded frame, from it and its neighbours."""
    for (frame, image), neighbours in _triples(decoded):
        if not neighbours:
            yield frame, [], image.shape
            continue
        before = neighbours[0][1] if neighbours[0][0].instant < frame.instant else None
        after = neighbours[-1][1] if neighbours[-1][0].instant > frame.instant else None
        before, after = (n if n is not None and n.shape == image.shape else None for n in (before, after))
        if before is None and after is None:
            yield frame, [], image.shape
            continue
        lines, busy = streaks(image, before, after)
        rejected["busy"] += busy
        yield frame, lines, image.shape


def _decoded(frames, rejected, skipped):
    for frame in frames:
        try:
            yield frame, decode(frame.path, mode="L")
        except (DamagedImage, OSError) as exc:
            rejected["unreadable"] += 1
            if skipped is not None:
                skipped.append((frame.path, getattr(exc, "why", None) or str(exc)))


def _scale(frame, shape):
    """Return full width ÷ decoded width for ``frame`` (2 for a half-size decode)."""
    try:
        with opened(frame.path) as image:
            return image.width / shape[1]
    except (DamagedImage, OSError):
        return 2.0


def as_json(candidate, root):
    """Return the candidate as SPEC §19 spells it: {"time", "image", "line", "length_px", "brightness"};
    ``image`` is relative to ``root`` (output_dir), "YYYY/MM/DD/HHMMSS.jpg"."""
    when = datetime.datetime.fromtimestamp(candidate.frame.instant).astimezone()
    return {"time": when.isoformat(timespec="seconds"),
            "image": candidate.frame.path.relative_to(root).as_posix(),
            "line": candidate.line, "length_px": candidate.length, "brightness": candidate.brightness}


def crop(candidate, margin=CROP_MARGIN):
    """Return the part of the candidate's full frame around its streak (a Pillow RGB image)."""
    x1, y1, x2, y2 = candidate.line
    with opened(candidate.frame.path) as image:
        box = (max(0, min(x1, x2) - margin), max(0, min(y1, y2) - margin),
               min(image.width, max(x1, x2) + margin + 1), min(image.height, max(y1, y2) + margin + 1))
        return image.convert("RGB").crop(box) if box[2] > box[0] and box[3] > box[1] else Image.new("RGB", (1, 1))
