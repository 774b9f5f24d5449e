"""`timelapse render --queue`: render the videos asked for on the web, one at a time (SPEC §18).

What timelapse-render-queue.service runs when timelapse-render-queue.path sees the queue change.
A lock (``videos/requests/.lock``) keeps one run at a time; each run renders every request that
has no finished progress document, oldest first, and looks again until none is left. The queue is
the web's and is hostile: a request is re-parsed by render.queue.parse_request, and one that is not
a request (or that fails to render) is set aside as ``failed`` with its error in its progress
document, never retried, never a crash. The renderer writes nothing in the queue folder (it is the
web's); the web clears finished requests.
"""

import fcntl
import json
import os
import time

from timelapse import archive
from timelapse.archive import Period
from timelapse.errors import BadRequest, NothingToRender, TimelapseError
from timelapse.render import ffmpeg, overlay as overlays, queue
from timelapse.render.encode import encode
from timelapse.render.frames import select
from timelapse.render.periods import Plan, plan, sidecar
from timelapse.storage import write_atomically


class StatusProgress(ffmpeg.Progress):
    """ffmpeg's progress, also written to the request's progress document (at most once a second)."""

    def __init__(self, root, request_id, total):
        super().__init__(total)
        self.root, self.request_id, self.written = root, request_id, 0.0

    def update(self, frame):
        super().update(frame)
        now = time.monotonic()
        if now - self.written >= 1.0:
            self.written = now
            queue.write_status(self.root, self.request_id, "rendering", min(frame, self.total), self.total)


def choose(settings, request):
    """Return the Plan of ``request``'s frames: one a day (daily_frame), else its days' frames within
    ``between``, every Nth (render.frames.select)."""
    period = Period.days(request.first, request.last)
    if request.daily_frame is not None:
        return plan(settings, period, request.first, request.last, request.daily_frame)
    days = [request.first.fromordinal(n) for n in range(request.first.toordinal(), request.last.toordinal() + 1)]
    found = select(settings.storage.output_dir, days, request.between, request.every)
    return Plan(period, False, request.first, request.last, found.frames, [], [], found.skipped)


def render_request(settings, request_id, request, say=print):
    """Render ``request`` to its range video (videos/YYYY/FROM_TO.mp4) and sidecar, with progress; return
    the video's path relative to output_dir. Raise TimelapseError (NothingToRender, ToolMissing) if not."""
    root = settings.storage.output_dir
    ffmpeg.ffmpeg_binary()
    chosen = choose(settings, request)
    if not chosen.frames:
        raise NothingToRender(f"no images to render from {request.first} to {request.last}"
                               + (" at that time of day" if request.between else ""))
    render = settings.render
    text = dict(render.overlay or {"position": "bottom-left", "size": 4}, text=request.overlay) \
        if request.overlay else None
    described = list(overlays.texts(settings, text, chosen.frames))
    instants, texts = [item[1] for item in described], [item[2] for item in described]
    video = archive.video_path(root, chosen.period)
    queue.write_status(root, request_id, "rendering", 0, len(chosen.frames))
    encode(settings, chosen.frames, video, f"request {request_id}", texts=texts,
           drawtext=(lambda height: overlays.drawtext(text, height)) if text else None, say=say,
           progress=StatusProgress(root, request_id, len(chosen.frames)))
    used = {"fps": render.fps, "height": render.height, "quality": render.quality, "deflicker": render.deflicker,
            "request": request.document, "overlay": text}
    document = dict(sidecar(chosen, root, instants, texts, used), request=request_id)
    write_atomically(archive.sidecar_path(root, chosen.period),
                     (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode(), replace=True)
    return os.path.relpath(video, root), len(chosen.frames)


def pending(settings):
    """Return the ids of queued requests without a finished progress document, oldest first."""
    root = settings.storage.output_dir
    return [request_id for request_id in queue.queued_ids(queue.queue_dir(settings))
            if (queue.read_status(root, request_id) or {}).get("state") not in queue.FINISHED]


def run_one(settings, request_id, say=print):
    """Render one queued request, recording success or its error in its progress document; return True if done."""
    root = settings.storage.output_dir
    path = queue.queue_dir(settings) / f"{request_id}.json"
    try:
        request = queue.load_request(path, settings.capture.location)
        say(f"request {request_id}: {request.document}")
        video, frames = render_request(settings, request_id, request, say=say)
    except (BadRequest, TimelapseError, OSError) as exc:
        error = str(exc)[:300] or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - one bad request must never stop the queue or the service
        error = f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
    else:
        queue.write_status(root, request_id, "done", frames, frames, video=video)
        say(f"request {request_id}: done, {video}")
        return True
    say(f"request {request_id}: set aside: {error}")
    queue.write_status(root, request_id, "failed", error=error)
    return False


def process_queue(settings, say=print):
    """What timelapse-render-queue.service does: render pending requests one at a time; return 0."""
    root = settings.storage.output_dir
    lock_path = archive.request_status_path(root, "x").with_name(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another run is rendering the queue: it will take this request too")
            return 0
        done = set()
        while True:
            waiting = [request_id for request_id in pending(settings) if request_id not in done]
            if not waiting:
                break
            done.add(waiting[0])
            run_one(settings, waiting[0], say=say)
        forget_cleared(settings)
    if not done:
        say(f"no requested videos waiting in {queue.queue_dir(settings)}")
    return 0


def forget_cleared(settings):
    """Remove the progress documents of requests the web has cleared from its queue (not while the queue
    folder cannot be read: then nothing is known to be cleared)."""
    folder = queue.queue_dir(settings)
    if not os.path.isdir(folder):
        return
    present = set(queue.queued_ids(folder))
    root = settings.storage.output_dir
    for request_id in archive.request_status_ids(root):
        if queue.REQUEST_ID.fullmatch(request_id) and request_id not in present:
            os.unlink(archive.request_status_path(root, request_id))
