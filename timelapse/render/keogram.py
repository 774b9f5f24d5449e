"""A day at a glance: the centre column of every frame, left to right in time order.

Each frame is decoded at a reduced size (Pillow's ``draft``: the JPEG decoder itself scales
by 1/2, 1/4 or 1/8), which is what keeps a 1,440-frame day to a few seconds.
"""

import io

from PIL import Image

HEIGHT = 270  # rows of the keogram: a 1080p frame decoded at 1/4


def centre_column(path, height=HEIGHT):
    """Return the centre column of the image at ``path`` as an RGB image 1 pixel wide, ``height`` tall."""
    with Image.open(path) as image:
        image.draft("RGB", (max(1, image.width * height // image.height), height))
        image = image.convert("RGB")
        middle = image.width // 2
        column = image.crop((middle, 0, middle + 1, image.height))
    if column.height != height:
        column = column.resize((1, height), Image.BILINEAR)
    return column


def keogram(paths, height=HEIGHT, quality=90):
    """Return the JPEG bytes of the keogram of ``paths`` (in time order)."""
    strip = Image.new("RGB", (len(paths), height))
    for index, path in enumerate(paths):
        strip.paste(centre_column(path, height), (index, 0))
    out = io.BytesIO()
    strip.save(out, "JPEG", quality=quality, subsampling=0)  # 4:4:4: each column keeps its own colour
    return out.getvalue()
