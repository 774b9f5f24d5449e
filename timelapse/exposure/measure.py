"""Metering: the mean brightness of a frame the camera already has, without a second full-size decode.

Both functions read a strided view (every ``stride``-th pixel of every ``stride``-th row), so the cost
is that of a thumbnail whatever the frame size: about 0.1 ms for 1080p at stride 8.
"""

def mean_luma(plane, stride=4):
    """Return the mean of an 8-bit luma (Y) plane, 0..1; e.g. the Y rows of picamera2's YUV420 lores."""
    view = plane[::stride, ::stride]
    return float(view.mean()) / 255.0 if view.size else 0.0


def mean_rgb(frame, stride=8):
    """Return the mean brightness of an 8-bit RGB array (H, W, 3), 0..1: Rec. 601 luma weights."""
    view = frame[::stride, ::stride, :3]
    if not view.size:
        return 0.0
    r, g, b = (float(view[..., i].mean()) for i in range(3))
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255.0
