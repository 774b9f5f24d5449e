"""`timelapse aim [IMAGE] [--set]`: the shift of an image from the aim reference, or set the reference."""

import json

from timelapse import config
from timelapse.aim.check import as_json, measure, readable
from timelapse.aim.reference import set_reference
from timelapse.archive import newest_image
from timelapse.errors import StorageError, TimelapseError


def _latest(root):
    found = newest_image(root)
    if found is None:
        raise TimelapseError(f"no image under {root} yet: name one (timelapse aim IMAGE) or start capture")
    return str(found[1].path)


def aim_command(args):
    """Print the shift of IMAGE (default: the latest) from the reference as JSON; with --set, make it the reference."""
    settings = config.load(args.config)
    root = settings.storage.output_dir
    image = args.image or _latest(root)
    if args.set:
        reduced = readable(image)
        if reduced.readable:
            raise TimelapseError(f"{image} is {reduced.readable}: choose a daylight image as the reference")
        try:
            record = set_reference(root, image)
        except OSError as exc:
            raise StorageError(f"cannot write the aim reference under {root}/.aim: {exc.strerror or exc} "
                               f"(run as the timelapse user: sudo -u timelapse timelapse aim --set)") from None
        print(json.dumps({"reference": record["time"], "source": record["source"], "path": record["path"]}))
        return 0
    shift, record = measure(root, image)
    print(json.dumps(dict(as_json(shift, record), image=image)))
    return 0
