"""The night sky (SPEC §19): a night as one unit, named after its evening, from dusk to dawn.

    frames.py      which frames belong to a night (its span, in the order taken)
    survey.py      each frame's scene brightness (EXIF) and star count; which frames are dark
    stars.py       the star count of a frame, and sky: clear | cloudy | unknown
    startrails.py  the per-pixel maximum of the dark frames (one accumulator)
    streaks.py     straight streaks of new light in a frame (numpy and Pillow, no OpenCV)
    meteors.py     streaks in one frame and in neither neighbour: meteor candidates, their crops
    video.py       the night's video and keogram (render's ffmpeg path and keogram code)
    products.py    each product written where timelapse.archive says
    command.py     `timelapse startrails`, `timelapse meteors`, `timelapse render --night`
"""


def render_night(settings, evening=None, say=print):
    """Make every product of the night that begins on ``evening`` (a date; None: the last night that has
    ended by now, as the nightly run wants it): startrails, meteor candidates, star counts, and with
    ffmpeg its video and keogram. What the nightly run calls when ``render.night`` is true. Return the
    number of products that could not be made (each said through ``say``)."""
    from timelapse.errors import NothingToRender, ToolMissing
    from timelapse.night import products, video

    if evening is None:
        evening = products.last_ended(settings.capture)
    failed = 0
    try:
        period, _, frames = products.the_night(settings, evening)
    except NothingToRender as exc:
        say(f"no night products: {exc}")
        return 0
    steps = [("startrails", lambda: products.make_startrails(settings, evening, say=say)),
             ("meteors", lambda: products.find_meteors(settings, evening, say=say)),
             ("keogram", lambda: video.night_keogram(settings, period, frames, say=say)),
             ("video", lambda: video.night_video(settings, period, frames, say=say))]
    for name, step in steps:
        try:
            step()
        except (NothingToRender, ToolMissing) as exc:
            say(f"no night {name}: {exc}")
            failed += 1
    return failed
