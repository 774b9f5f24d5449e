"""What every handler shares: the context, and authentication as one method (``prepare``).

Pages without a session are sent to the sign-in form (no Basic challenge, or the browser
would pop its own dialog over ours); data URLs (JSON, images, stream, downloads, metrics)
answer 401 with the Basic challenge, for curl, VLC and Prometheus.
"""

import base64
import binascii
import json
from urllib.parse import quote

import tornado.web

from timelapse.web import urls
from timelapse.web.auth import Busy

SESSION = "timelapse_session"
SESSION_DAYS = 30


class Context:
    """What the handlers read: settings, the password guard, the catalog, the thumbnail cache, the live hub."""

    def __init__(self, settings, guard, catalog, cache, hub):
        self.settings, self.guard, self.catalog, self.cache, self.hub = settings, guard, catalog, cache, hub

    @property
    def open_access(self):
        return self.settings.web.auth == "none"


class AuthMixin:
    """Authentication for any RequestHandler subclass; ``page`` says how to refuse."""

    page = False  # True: an HTML page (sign-in form); False: data (401 + Basic)
    public = False  # the sign-in form and static assets

    def get_current_user(self):
        """Return "anyone" (web.auth none), "session" (a valid cookie) or None; HTTP Basic is checked in
        ``prepare``, as its scrypt check runs off the event loop."""
        ctx = self.ctx
        if ctx.open_access:
            return "anyone"
        if ctx.guard.current() is None:
            return None
        cookie = self.get_cookie(SESSION)
        if cookie and tornado.web.decode_signed_value(ctx.guard.cookie_secret(), SESSION, cookie,
                                                      max_age_days=SESSION_DAYS):
            return "session"
        return None

    def _basic_password(self):
        header = self.request.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            return base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None

    async def prepare(self):
        if self.public or self.ctx.open_access:
            return
        guard = self.ctx.guard
        if guard.current() is None:
            return self.refuse_without_password()
        if self.current_user:
            return
        password = self._basic_password()
        waiting = guard.blocked(self.request.remote_ip)  # decided before this attempt counts
        if password is not None and not waiting:
            try:
                if await guard.check(self.request.remote_ip, password):
                    self.current_user = "basic"
                    return
            except Busy as exc:
                return self.refuse_busy(exc)
        if self.page:
            self.redirect(urls.LOGIN + "?next=" + quote(self.request.uri, safe="/?=&"))
        elif waiting:
            self.set_status(429)
            self.set_header("Retry-After", str(waiting))
            self.finish({"error": "too many failed sign-ins from this address; wait and try again"})
        else:
            self.set_status(401)
            self.set_header("WWW-Authenticate", 'Basic realm="timelapse", charset="UTF-8"')
            self.finish({"error": "sign in: a session cookie from /login, or HTTP Basic with the web password"})

    def refuse_busy(self, exc):
        """Too many password checks under way: 503 with Retry-After, at once (no queue grows)."""
        self.set_status(503)
        self.set_header("Retry-After", "2")
        self.finish({"error": str(exc)})

    def refuse_without_password(self):
        """No password is set yet: pages say how to set one; data URLs say so in one line."""
        if self.page:
            self.set_status(200)
            self.render("setup.html")
        else:
            self.set_status(503)
            self.finish({"error": "no web password is set: run sudo timelapse web-password on the camera"})

    def write_error(self, status_code, **kwargs):
        """Errors as one short line (JSON for data, text for pages), never a traceback."""
        reason = self._reason
        if self.page:
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(f"{status_code} {reason}\n")
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": f"{status_code} {reason}"}))

    def render_page(self, template, **values):
        from timelapse import __version__

        self.render(template, open_access=self.ctx.open_access, signed_in=self.current_user in ("session", "basic"),
                    version=__version__, urls=urls, **values)


class BaseHandler(AuthMixin, tornado.web.RequestHandler):
    def initialize(self, ctx):
        self.ctx = ctx

    def set_default_headers(self):
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; media-src 'self'; "
                                                   "style-src 'self'; script-src 'self'; frame-ancestors 'none'")


class TwinHandler(BaseHandler):
    """A resource served as an HTML page and as its JSON twin by one handler (Datasette's way): the route
    passes ``as_json=True`` for the JSON URL. The page signs in through the form, the JSON through Basic."""

    def initialize(self, ctx, as_json=False):
        super().initialize(ctx)
        self.as_json = as_json
        self.page = not as_json

    def reply(self, data, template=None, **values):
        """Write ``data`` as JSON (never cached), or render ``template`` with ``values`` for the page."""
        if not self.as_json:
            return self.render_page(template, **values)
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.write(json.dumps(data))
