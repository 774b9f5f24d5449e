"""The abstract camera every backend implements.

A backend must override:
    open()     acquire the device, apply settings, let exposure settle (``warmup``);
               raise CameraUnavailable if the camera is not there, CameraError otherwise.
    capture()  return one JPEG (bytes) no larger than ``settings.resolution``;
               raise CameraError if no frame came.
    close()    release the device; safe to call twice and after a failed open.
A backend may override:
    describe() a short "backend device" text for logs and status.
    preview(focus)  one JPEG for the live view: downscaled to fit PREVIEW_SIZE, or with
               ``focus`` a 1:1 crop of the centre of the full frame. The default captures
               a full frame and scales it (cheap enough at a few frames a second).
A backend may also offer exposure control (SPEC §16; picamera and the synthetic scene do):
    supports_exposure  True if apply_controls() steers the next capture.
    control_limits()   picamera2's camera_controls: name -> (min, max, default); {} if none.
    apply_controls(c)  libcamera controls (ExposureTime µs, AnalogueGain, AeEnable, ...) for the
               next capture (in force from the capture after the one just taken).
    metadata   after each capture: what the frame was taken with, libcamera's names
               (ExposureTime µs, AnalogueGain, ColourGains, ...) and MeasuredMean, the frame's
               mean brightness 0..1 from an image the backend already had; {} if it cannot say.
A backend may use:
    timeout    seconds a capture may take (``capture.timeout``; None when not known): a library
               with its own timeout (picamera2's ``wait=``) can then give up and free itself
               before the caller's deadline has to abandon the call.
Backends import their C library (cv2, picamera2) at their own top, so it is loaded
only when chosen.
"""

import io
from abc import ABC, abstractmethod


class Camera(ABC):
    name = "camera"

    def __init__(self, settings, jpeg_quality):
        self.settings = settings
        self.jpeg_quality = jpeg_quality
        self.timeout = None
        self.metadata = {}

    supports_exposure = False

    def control_limits(self):
        """Return the controls this camera has, name -> (min, max, default); {} if it takes none."""
        return {}

    def apply_controls(self, controls):
        """Set libcamera ``controls`` for the next capture; a camera without exposure control ignores them."""

    @abstractmethod
    def open(self):
        """Acquire the camera; raise CameraUnavailable or CameraError if it cannot."""

    @abstractmethod
    def capture(self):
        """Return one JPEG image as bytes; raise CameraError if no frame came."""

    @abstractmethod
    def close(self):
        """Release the camera; never raise."""

    def describe(self):
        """Return "backend device" for logs and the status file."""
        return self.name

    def preview(self, focus=False):
        """Return one live-view JPEG (see the module docstring)."""
        from PIL import Image

        with Image.open(io.BytesIO(self.capture())) as image:
            if not focus:
                image.draft("RGB", PREVIEW_SIZE)
            return preview_jpeg(image.convert("RGB"), focus)

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc):
        self.close()


PREVIEW_SIZE = (640, 480)  # the live view's frames fit in this
PREVIEW_QUALITY = 70


def preview_jpeg(frame, focus=False):
    """Return a live-view JPEG of an RGB array or PIL image: scaled to PREVIEW_SIZE, or its centre 1:1."""
    from PIL import Image

    image = frame if isinstance(frame, Image.Image) else Image.fromarray(frame)
    if focus:
        width, height = PREVIEW_SIZE
        left, top = max(0, (image.width - width) // 2), max(0, (image.height - height) // 2)
        image = image.crop((left, top, min(image.width, left + width), min(image.height, top + height)))
    return encode_rgb(image, PREVIEW_SIZE, PREVIEW_QUALITY)


def fit_within(size, limit):
    """Return the (width, height) to scale ``size`` down to so it fits ``limit``, aspect kept.

    Return None when it fits already (smaller frames are never enlarged).
    """
    width, height = size
    max_width, max_height = limit
    if width <= max_width and height <= max_height:
        return None
    scale = min(max_width / width, max_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode_rgb(frame, limit, quality):
    """Return JPEG bytes of an RGB numpy array or PIL image, scaled down to fit ``limit``."""
    from PIL import Image

    image = frame if isinstance(frame, Image.Image) else Image.fromarray(frame)
    if image.mode != "RGB":
        image = image.convert("RGB")
    target = fit_within(image.size, limit)
    if target:
        image = image.resize(target, Image.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
