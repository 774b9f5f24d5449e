"""The live view: the page, /live.mjpg (multipart/x-mixed-replace, to every viewer from one daemon
stream) and /live.jpg (one fresh frame); ``?focus=1`` for the 1:1 centre crop."""

import tornado.iostream

from timelapse.web.base import BaseHandler
from timelapse.web.handlers.status import current_status, observe

BOUNDARY = "timelapse-frame"
WAIT = 5.0  # seconds /live.jpg waits for a fresh frame (not when the daemon's socket is absent or refusing)


class LivePage(BaseHandler):
    page = True

    def get(self):
        status = current_status(self.ctx)
        self.render_page("live.html", status=status, lens=self.lens(status))

    def lens(self, status):
        """Return {"value", "xsrf"} for the focus view's LensPosition slider (SPEC §17), or None.

        Shown for a Pi camera (picamera2: only those have LensPosition) when a signed-in user may save.
        """
        from timelapse.web.handlers.settings import read_only_reason

        settings = self.ctx.settings
        camera = f"{settings.camera.source} {status.get('camera') or ''}"
        if "picamera" not in camera or read_only_reason(self.ctx, settings):
            return None
        return {"value": settings.camera.controls.get("LensPosition", 1.0), "xsrf": self.xsrf_token.decode()}


class _Live(BaseHandler):
    def kind(self):
        return "focus" if self.get_argument("focus", "0") == "1" else "live"

    def unavailable(self):
        """Answer 503 with why there is no live picture, and the latest image."""
        seen = observe(self.ctx)
        status = seen.status
        why = (f"the capture daemon is not running ({seen.why_down})" if not seen.running else
               f"no live frame (state: {status.get('state')}; {status.get('last_error') or 'no camera'})")
        self.set_status(503)
        self.set_header("Cache-Control", "no-store")
        self.finish({"error": why, "last_image": status.get("last_image")})


class LiveStream(_Live):
    async def get(self):
        kind, hub = self.kind(), self.ctx.hub
        self.closed = False
        hub.join(kind)
        try:
            got = await hub.next_frame(kind, hub.latest[kind][0], timeout=WAIT, first=True)
            if got is None:  # no daemon or no camera: say why (the page then shows the latest image)
                return self.unavailable()
            self.set_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.set_header("Cache-Control", "no-store")
            seen, quiet = 0, 0
            while not self.closed and not hub.closing and quiet < 3:
                if got is None:
                    quiet += 1  # the daemon went away: the hub reconnects; a stream quiet too long ends
                    got = await hub.next_frame(kind, seen, timeout=WAIT)
                    continue
                quiet = 0
                seen, frame = got
                self.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame)}\r\n\r\n"
                           .encode() + frame + b"\r\n")
                await self.flush()
                got = await hub.next_frame(kind, seen, timeout=WAIT)
        except tornado.iostream.StreamClosedError:
            pass
        finally:
            hub.leave(kind)

    def on_connection_close(self):
        self.closed = True


class LiveFrame(_Live):
    async def get(self):
        kind, hub = self.kind(), self.ctx.hub
        hub.join(kind)
        try:
            got = await hub.next_frame(kind, hub.latest[kind][0], timeout=WAIT, first=True)
        finally:
            hub.leave(kind)
        if got is None:
            return self.unavailable()
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "image/jpeg")
        self.write(got[1])
