"""`timelapse web`: the Tornado application, its URLs, and the server."""

import asyncio
import logging
import os
import signal
from pathlib import Path

import tornado.httpserver
import tornado.netutil
import tornado.web

from timelapse import config
from timelapse.errors import TimelapseError
from timelapse.logsetup import setup_logging
from timelapse.memory import keep_memory_flat
from timelapse.daemon.preview import socket_path
from timelapse.web.auth import Guard, password_file
from timelapse.web.base import Context
from timelapse.web.catalog import Catalog
from timelapse.web.handlers import (aim, days, files, live, nights, requests, settings as settings_pages, signin,
                                     status, videos)
from timelapse.web.live import LiveHub
from timelapse.web.thumbs import cache_dir

log = logging.getLogger("timelapse.web")
HERE = Path(__file__).resolve().parent


def make_app(settings, cache=None, hub=None):
    """Return the Tornado application for ``settings`` (thumbnails in ``cache``; live frames from ``hub``)."""
    cache = Path(cache or cache_dir())
    cache.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings.storage.output_dir)
    ctx = Context(settings, Guard(password_file(settings)), catalog, cache,
                  hub or LiveHub(socket_path(settings.daemon.status_file)))
    c = {"ctx": ctx}
    routes = [
        (r"/", status.StatusPage, c),
        (r"/api/status", status.StatusApi, c),
        (r"/metrics", status.Metrics, c),
        (r"/live", live.LivePage, c),
        (r"/live\.mjpg", live.LiveStream, c),
        (r"/live\.jpg", live.LiveFrame, c),
        (r"/days", days.Days, c),
        (r"/api/days", days.Days, dict(c, as_json=True)),
        (r"/api/days/([^/]*)", days.Day, dict(c, as_json=True)),
        (r"/days/([^/]*)", days.Day, c),
        (r"/download/([^/]*)\.zip", days.DayZip, c),
        (r"/images/(.*)", files.ImageFile, dict(c, root=catalog.real_root)),
        (r"/thumbs/(.*)", files.ThumbFile, dict(c, root=os.path.realpath(cache))),
        (r"/videos", videos.Videos, c),
        (r"/api/videos", videos.Videos, dict(c, as_json=True)),
        (r"/api/videos/requests", requests.VideoRequests, c),
        (r"/videos/(.*)", files.VideoFile, dict(c, root=catalog.real_root)),
        (r"/nights/([^/]*)", nights.Night, c),
        (r"/api/nights/([^/]*)", nights.Night, dict(c, as_json=True)),
        (r"/settings", settings_pages.SettingsPage, c),
        (r"/api/settings", settings_pages.SettingsApi, c),
        (r"/api/settings/history", settings_pages.HistoryApi, c),
        (r"/api/settings/rollback", settings_pages.RollbackApi, c),
        (r"/api/schedule", settings_pages.ScheduleApi, c),
        (r"/aim/reference\.jpg", aim.AimReference, c),
        (r"/api/aim", aim.AimApi, c),
        (r"/login", signin.Login, c),
        (r"/logout", signin.Logout, c),
    ]
    return tornado.web.Application(
        routes, template_path=str(HERE / "templates"), static_path=str(HERE / "static"), xsrf_cookies=True,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Strict"}, compress_response=False,
        default_handler_class=NotFound, default_handler_args=c, static_hash_cache=True)


class NotFound(tornado.web.RequestHandler):
    def initialize(self, ctx):
        self.ctx = ctx

    def prepare(self):
        self.set_status(404)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish("404 Not Found\n")


def listen(app, settings):
    """Bind web.address:web.port (every interface, IPv4 and IPv6 where present, for null); return the server."""
    server = tornado.httpserver.HTTPServer(app, xheaders=False, max_body_size=64 * 1024)
    try:
        sockets = tornado.netutil.bind_sockets(settings.web.port, address=settings.web.address)
    except OSError as exc:  # in use, or an address this machine does not have
        where = f"{settings.web.address or 'every interface'} port {settings.web.port}"
        raise TimelapseError(f"web: cannot listen on {where}: {exc.strerror or exc}; set web.port "
                             "(or web.address) in the configuration, or stop what holds it") from None
    server.add_sockets(sockets)
    return server, sockets


def web_command(args):
    """Run the web server until SIGTERM or SIGINT; return the exit code (0)."""
    settings = config.load(args.config)
    keep_memory_flat()  # each password check's 16 MB goes back to the system when it is done
    setup_logging("debug" if args.debug else settings.daemon.log_level)
    if not args.debug:  # one line per request (the live view, every thumbnail) is noise in the journal
        logging.getLogger("tornado.access").setLevel(logging.WARNING)
    # asyncio.run owns the event loop: Tornado (6.2 to 6.4) finds it running for everything that
    # asks IOLoop.current(), with no "There is no current event loop" (Python 3.12+).
    asyncio.run(serve(settings))
    log.info("timelapse web stopped")
    return 0


async def serve(settings):
    """Serve ``settings``' web interface until SIGTERM or SIGINT, then stop listening.

    The signals reach the loop through loop.add_signal_handler (asyncio's own, safe from a signal),
    not Tornado's add_callback_from_signal, deprecated since Tornado 6.4.
    """
    hub = LiveHub(socket_path(settings.daemon.status_file))  # inside the running loop: its locks bind to it
    app = make_app(settings, hub=hub)
    server, sockets = listen(app, settings)
    where = ", ".join(f"{s.getsockname()[0]}:{s.getsockname()[1]}" for s in sockets)
    auth = ("no password: anyone who reaches the port sees everything" if settings.web.auth == "none" else
            "password" if password_file(settings).exists() else
            f"no password set yet: run sudo timelapse web-password ({password_file(settings)})")
    log.info("timelapse web listening on %s (auth: %s)", where, auth)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        server.stop()
        await hub.close()  # live viewers get the end of their stream, not a cancelled request
        await server.close_all_connections()  # idle keep-alive connections too
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
