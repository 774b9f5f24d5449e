"""The words of an alert: one short paragraph, local time, the camera's name, the next command.

A message is a dict; the webhook posts its public part as JSON:
``{"event", "state": "firing" | "resolved", "camera", "since", "message", "last_image"}``;
``title`` is the subject line (email, ntfy's title).
"""

import datetime
import socket

PUBLIC = ("event", "state", "camera", "since", "message", "last_image")
EXTRA = ("shift", "images")  # camera_moved (SPEC §20)


def camera_name(settings):
    """Return the name alerts give the camera: alerts.name, else the host name."""
    return settings.alerts.name or socket.gethostname()


def local(epoch, now=None):
    """Return epoch seconds as a short local time: "14:03", or "Mon 2 Dec 14:03" on another day."""
    when = datetime.datetime.fromtimestamp(epoch)
    today = datetime.datetime.fromtimestamp(now).date() if now else datetime.date.today()
    return when.strftime("%H:%M") if when.date() == today else when.strftime("%a %-d %b %H:%M")


def iso(epoch):
    return datetime.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds") if epoch else None


def duration(seconds):
    """Return a duration in words: "45 s", "12 min", "3 h 5 min", "2 days"."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def _last_image(snap):
    if not snap.last_image:
        return "no image yet"
    when = f" ({local(snap.last_good, snap.now)})" if snap.last_good else ""
    return f"{snap.last_image}{when}"


def compose(transition, snap, camera):
    """Return the message for an engine.Transition."""
    rule = transition.rule
    if transition.state == "firing":
        title = f"{camera}: {rule.title}"
        text = (f"{camera}: {rule.title} since {local(transition.since, snap.now)}: {transition.detail}. "
                f"Last good image: {_last_image(snap)}. Next: {rule.action}")
    else:
        title = f"{camera}: {rule.resolved}"
        text = (f"{camera}: {rule.resolved} at {local(transition.until, snap.now)}, after "
                f"{duration(transition.until - transition.since)} ({rule.title} since "
                f"{local(transition.since, snap.now)}). Last image: {_last_image(snap)}.")
    message = {"event": rule.name, "state": transition.state, "camera": camera, "since": iso(transition.since),
               "message": text, "last_image": snap.last_image, "title": title}
    if rule.name == "camera_moved":  # the shift and the before/after images (SPEC §20)
        from timelapse.alerts.moved import extras

        message.update(extras(snap))
    return message


def test_message(camera, now):
    """Return the message `timelapse alerts --test` sends."""
    return {"event": "test", "state": "test", "camera": camera, "since": iso(now),
            "message": f"{camera}: a test message from timelapse alerts at {local(now, now)}. "
                       f"If you read this, alerts reach you.", "last_image": None,
            "title": f"{camera}: test message"}


def public(message):
    """Return the part of a message the webhook posts (camera_moved: also "shift" and "images")."""
    return dict({key: message.get(key) for key in PUBLIC}, **{key: message[key] for key in EXTRA if key in message})
