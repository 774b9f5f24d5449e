"""The layout of ``storage.output_dir``: the one module that knows where everything is (SPEC §2, §6).

    output_dir/
      YYYY/MM/DD/HHMMSS.jpg       images; HHMMSS_2.jpg the second pass of a repeated hour   (images.py)
      videos/YYYY/...             videos, keograms, sidecars, a night's products            (videos.py)
      videos/project.mp4          the project video (and -daily, .json)
      .sync/                      what the offsite copy has copied (sync.state)
      .alerts/                    incident state (alerts.store)
      .exposure.json              the exposure controller's last state (exposure.ramp)
      .aim/reference.jpg          the aim reference and the last shift (SPEC §20)

Every reader asks here: the web's catalogue, render's frame list, retention of images and of
videos, the thumbnail cache (which mirrors the days' layout), sync's filter, the alerts' newest
image. A day is read only by ``images.day_entries``/``day_images``, in real-instant order.
"""

from pathlib import Path

from timelapse.archive.images import (
    IMAGE_NAME, SECOND_PASS, TEMP_PATTERN, Day, Entry, Image, ImageName, day_dir, day_dirs, day_entries, day_images,
    day_relpath, image_file, image_file_name, image_path, in_real_order, locate_image, newest_image,
    parse_image_name, parse_image_relpath)
from timelapse.archive.videos import (
    KINDS, VIDEOS, WHATS, Period, Product, keogram_path, parse_product, product_path, product_relpath, products,
    request_status_ids, request_status_path, sidecar_path, video_path)

__all__ = [
    # images.py: the days
    "IMAGE_NAME", "SECOND_PASS", "TEMP_PATTERN", "Day", "Entry", "Image", "ImageName", "day_dir", "day_dirs",
    "day_entries", "day_images", "day_relpath", "image_file", "image_file_name", "image_path", "in_real_order",
    "locate_image", "newest_image", "parse_image_name", "parse_image_relpath",
    # videos.py: what rendering makes
    "KINDS", "VIDEOS", "WHATS", "Period", "Product", "keogram_path", "parse_product", "product_path",
    "product_relpath", "products", "sidecar_path", "video_path", "request_status_path", "request_status_ids",
    # here: the hidden state beside them
    "SYNC_DIR", "ALERTS_DIR", "EXPOSURE_FILE", "AIM_DIR", "sync_dir", "alerts_dir", "exposure_file", "aim_dir",
    "aim_reference",
]

SYNC_DIR = ".sync"
ALERTS_DIR = ".alerts"
EXPOSURE_FILE = ".exposure.json"
AIM_DIR = ".aim"


def sync_dir(root):
    """Return output_dir/.sync: the offsite copy's records (SPEC §14)."""
    return Path(root, SYNC_DIR)


def alerts_dir(root):
    """Return output_dir/.alerts: the alerts' incident state (SPEC §15)."""
    return Path(root, ALERTS_DIR)


def exposure_file(root):
    """Return output_dir/.exposure.json: the exposure controller's last state (SPEC §16)."""
    return Path(root, EXPOSURE_FILE)


def aim_reference(root):
    """Return output_dir/.aim/reference.jpg: the image the aim check compares with (SPEC §20)."""
    return Path(root, AIM_DIR, "reference.jpg")


def aim_dir(root):
    """Return output_dir/.aim: the aim reference, its time and the last shift (SPEC §20)."""
    return Path(root, AIM_DIR)
