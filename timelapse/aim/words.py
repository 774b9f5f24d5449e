"""A shift in words, for people (the status, alerts, the Live page): numpy-free, so that every reader can say it."""


def in_words(dx, dy):
    """Return a shift in words: "2 px left, 14 px down", or "in place" under half a pixel."""
    parts = []
    if round(abs(dx)) >= 1:
        parts.append(f"{round(abs(dx))} px {'right' if dx > 0 else 'left'}")
    if round(abs(dy)) >= 1:
        parts.append(f"{round(abs(dy))} px {'down' if dy > 0 else 'up'}")
    return ", ".join(parts) or "in place"
