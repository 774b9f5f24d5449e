"""Sign in (a form that sets a signed, HttpOnly, SameSite=Strict session cookie) and sign out."""

import tornado.web

from timelapse.web import urls
from timelapse.web.auth import Busy
from timelapse.web.base import SESSION, SESSION_DAYS, BaseHandler


def safe_next(target):
    """Return ``target`` if it is a path on this site, else "/" (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\\\" not in target:
        return target
    return urls.STATUS


class Login(BaseHandler):
    page = True
    public = True

    def get(self):
        if self.ctx.guard.current() is None and not self.ctx.open_access:
            return self.refuse_without_password()
        self.render_page("login.html", next=safe_next(self.get_argument("next", urls.STATUS)), error=None)

    async def post(self):
        guard, address = self.ctx.guard, self.request.remote_ip
        if guard.current() is None:
            return self.refuse_without_password()
        target = safe_next(self.get_argument("next", urls.STATUS))
        wait = guard.blocked(address)
        if wait:
            self.set_status(429)
            return self.render_page("login.html", next=target,
                                    error=f"Too many failed attempts. Try again in {wait} seconds.")
        try:
            right = await guard.check(address, self.get_argument("password", ""))
        except Busy as exc:
            self.set_status(503)
            self.set_header("Retry-After", "2")
            return self.render_page("login.html", next=target, error=f"The camera is busy: {exc}.")
        if not right:
            self.set_status(403)
            return self.render_page("login.html", next=target, error="Wrong password.")
        value = tornado.web.create_signed_value(guard.cookie_secret(), SESSION, "1")
        self.set_cookie(SESSION, value.decode(), expires_days=SESSION_DAYS, httponly=True, samesite="Strict",
                        path="/")
        self.redirect(target)


class Logout(BaseHandler):
    page = True

    def post(self):
        self.clear_cookie(SESSION, path="/")
        self.redirect(urls.LOGIN)
