"""`timelapse startrails DAY`, `timelapse meteors DAY` and `timelapse render --night DAY` (SPEC §19).

DAY is the night's evening: YYYY-MM-DD, yesterday (the default: the night just ended) or today.
"""

import json

from timelapse import config
from timelapse.errors import UsageError
from timelapse.render.command import parse_days


def evening_of(text):
    """Return the evening's date that ``text`` names; raise UsageError for a range or a bad day."""
    first, last = parse_days(text or "yesterday")
    if first != last:
        raise UsageError(f"expected one night, named by its evening (YYYY-MM-DD), got the range {text!r}")
    return first


def startrails_command(args):
    from timelapse.night.products import make_startrails

    make_startrails(config.load(args.config), evening_of(args.day), full=args.full)
    return 0


def meteors_command(args):
    import sys

    from timelapse.night.products import find_meteors

    document = find_meteors(config.load(args.config), evening_of(args.day),
                            say=lambda line: print(line, file=sys.stderr))
    print(json.dumps(document, indent=1))
    return 0


def render_night_command(args):
    """`timelapse render --night DAY`: the night's video and keogram."""
    from timelapse.night import products, video

    settings = config.load(args.config)
    period, _, frames = products.the_night(settings, evening_of(args.day))
    video.night_keogram(settings, period, frames)
    video.night_video(settings, period, frames)
    return 0
