"""Settings from the web (SPEC §17): the page, GET/POST /api/settings, its history and rollback.

Every change goes through `timelapse.settings.change` (validated whole, written atomically, kept
in the history); this module only speaks HTTP. Tornado checks the XSRF token of every POST
(``xsrf_cookies``) before anything here runs; saving needs a signed-in user (web.auth: password)
and a web layer (web.settings not null).
"""

import json

from timelapse import config
from timelapse.errors import ConfigError
from timelapse.settings import change, history
from timelapse.settings.fields import WINDOW_KEYS, groups
from timelapse.settings.origins import describe
from timelapse.web.base import BaseHandler


def read_only_reason(ctx, settings):
    """Return why saving is off (a sentence), or None when a signed-in user may save."""
    if ctx.open_access:
        return ("Saving needs a password (web.auth: password): with web.auth: none anyone on the network "
                "could change the camera.")
    if settings.web.settings is None:
        return "web.settings is null in the configuration: settings cannot be changed from the web."
    return None


class SettingsBase(BaseHandler):
    def effective(self):
        """Return the settings as every process reads them now (file, then web layer)."""
        return config.load(self.ctx.settings.path)

    def answer(self, code, body):
        self.set_status(code)
        self.set_header("Cache-Control", "no-store")
        self.finish(body)

    def document(self, settings):
        layer = settings.layer
        return {"settings": describe(settings),
                "layer": dict(layer.summary(), path=layer.path, problems=layer.error, saved=layer.saved),
                "read_only": read_only_reason(self.ctx, settings), "xsrf": self.xsrf_token.decode(),
                "groups": [{"title": title, "keys": [key for key, _ in fields]} for title, fields in groups()],
                "window_keys": list(WINDOW_KEYS)}

    def refuse_saving(self):
        try:
            settings = self.effective()
        except ConfigError as exc:
            self.answer(409, {"error": "the configuration file has errors; fix it first", "problems": exc.problems})
            return True
        reason = read_only_reason(self.ctx, settings)
        if reason:
            self.answer(403, {"error": reason})
            return True
        return False

    def saved(self, version):
        settings = self.effective()
        self.ctx.settings = settings  # live_fps and the page's own view follow at once
        self.answer(200, {"version": version, "settings": describe(settings)})

    def body(self):
        """Return the request's JSON body, or None after answering 400."""
        try:
            value = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            self.answer(400, {"errors": {"": f"expected a JSON object, got something that is not JSON ({exc})"}})
            return None
        if not isinstance(value, dict):
            self.answer(400, {"errors": {"": "expected a JSON object of dotted keys, such as "
                                             '{"capture.interval": "30s"}'}})
            return None
        return value


class SettingsApi(SettingsBase):
    def get(self):
        try:
            self.answer(200, self.document(self.effective()))
        except ConfigError as exc:
            self.answer(409, {"error": "the configuration file has errors", "problems": exc.problems})

    def post(self):
        if self.refuse_saving():
            return
        changes = self.body()
        if changes is None:
            return
        try:
            version = change.save(self.ctx.settings.path, changes, self.request.remote_ip)
        except change.Forbidden as exc:
            return self.answer(403, {"errors": {p.split(":")[0]: "the web may not set this key" for p in exc.problems}})
        except change.Invalid as exc:
            return self.answer(400, {"errors": exc.errors})
        except ConfigError as exc:
            return self.answer(409, {"error": str(exc)})
        self.saved(version)


class HistoryApi(SettingsBase):
    def get(self):
        path = self.effective().layer.path
        self.answer(200, {"history": history.entries(path) if path else []})


class RollbackApi(SettingsBase):
    def post(self):
        if self.refuse_saving():
            return
        body = self.body()
        if body is None:
            return
        version = body.get("version")
        path = self.effective().layer.path
        entry = history.find(path, version) if isinstance(version, int) and not isinstance(version, bool) else None
        if entry is None:
            return self.answer(400, {"errors": {"version": f"expected a version kept in the history, got {version!r}"}})
        try:
            new = change.replace(self.ctx.settings.path, entry["layer"], self.request.remote_ip,
                                 note=f"rollback to {version}")
        except change.Invalid as exc:
            return self.answer(400, {"errors": exc.errors})
        except ConfigError as exc:
            return self.answer(409, {"error": str(exc)})
        self.saved(new)


class ScheduleApi(SettingsBase):
    """GET /api/schedule: `timelapse schedule --json` for the coming 7 days, by the settings in force now."""

    def get(self):
        import datetime

        from timelapse.schedule_report import day_entries

        try:
            capture = self.effective().capture
        except ConfigError as exc:
            return self.answer(409, {"error": "the configuration file has errors", "problems": exc.problems})
        self.answer(200, {"days": day_entries(capture, datetime.date.today(), 7)})


class SettingsPage(SettingsBase):
    page = True

    def get(self):
        try:
            settings = self.effective()
        except ConfigError as exc:
            self.set_status(409)
            return self.render_page("settings.html", problems=exc.problems, groups=[], table={}, layer=None,
                                    read_only="The configuration file has errors.", xsrf="")
        self.render_page("settings.html", problems=None, groups=groups(), table=describe(settings),
                         layer=settings.layer, read_only=read_only_reason(self.ctx, settings),
                         xsrf=self.xsrf_token.decode())
