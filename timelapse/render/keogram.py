"""A day at a glance: the centre column of every frame, left to right in time order.

Each frame is decoded at a reduced size (Pillow's ``draft``: the JPEG decoder itself scales
by 1/2, 1/4 or 1/8), which is what keeps a 1,440-frame day to a few seconds.
"""

import io

from PIL import Image

from timelapse.imagefile import DamagedImage, decode_reduced

HEIGHT = 270  # rows of the keogram: a 1080p frame decoded at 1/4


def centre_column(path, height=HEIGHT):
    """Return the centre column of the image at ``path`` as an RGB image 1 pixel wide, ``height`` tall.

    Raise DamagedImage if it cannot be decoded (imagefile), OSError if it cannot be read.
    """
    image = decode_reduced(path, lambda full: (max(1, full[0] * height // full[1]), height))
    middle = image.width // 2
    column = image.crop((middle, 0, middle + 1, image.height))
    if column.height != height:
        column = column.resize((1, height), Image.BILINEAR)
    return column


def keogram(paths, height=HEIGHT, quality=90, skipped=None):
    """Return (JPEG bytes, columns) of the keogram of ``paths`` (in time order).

    A frame that cannot be decoded gets no column; (path, why) is appended to ``skipped``.
    """
    columns = []
    for path in paths:
        try:
            columns.append(centre_column(path, height))
        except (DamagedImage, OSError) as exc:
            if skipped is not None:
                skipped.append((path, getattr(exc, "why", None) or str(exc)))
    strip = Image.new("RGB", (max(1, len(columns)), height))
    for index, column in enumerate(columns):
        strip.paste(column, (index, 0))
    out = io.BytesIO()
    strip.save(out, "JPEG", quality=quality, subsampling=0)  # 4:4:4: each column keeps its own colour
    return out.getvalue(), len(columns)
