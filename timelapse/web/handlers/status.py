"""Status: the page, /api/status (the status file plus ``running``) and /metrics for Prometheus.

All three (and the live view's 503) show one observe.Observation; prometheus_client is imported
when /metrics is first scraped, not at start (SPEC §10's idle RSS).
"""

import datetime

from timelapse import units
from timelapse.observe import Observer
from timelapse.status import STATES, describe_exposure, describe_settings
from timelapse.web import urls
from timelapse.web.base import BaseHandler

UNITS_MAX_AGE = 2.0  # seconds the web reuses the systemd state: a polling page spawns no systemctl each time
UNITS_TIMEOUT = 2.0  # seconds systemctl may take (it runs on the event loop); then the status file decides


def observe(ctx):
    """Return an Observation of now; the web's Observer is kept on ``ctx`` (made on first use)."""
    observer = getattr(ctx, "observer", None)
    if observer is None:
        observer = ctx.observer = Observer(lambda names: units.unit_states(names, timeout=UNITS_TIMEOUT),
                                           units_max_age=UNITS_MAX_AGE)
    return observer.look(ctx.settings)


def current_status(ctx, seen=None):
    """Return the status file's fields, plus ``running``, ``thresholds``, ``retention_enabled``,
    ``exposure_text``, with sync.remote ``sync`` and with alert channels ``alerts``, from ``seen``
    (an observe.Observation; default: one of now)."""
    settings = ctx.settings
    seen = seen or observe(ctx)
    status = dict(seen.status)
    status["running"] = seen.running
    status.update(urls.last_image(settings.storage.output_dir, status.get("last_image")))
    if seen.sync:
        status["sync"] = seen.sync
    status["exposure_text"] = describe_exposure(status.get("exposure"))
    from timelapse.night.sky_now import sky_now

    status["night_sky"] = sky_now(settings.storage.output_dir, status.get("last_image"))  # SPEC §19
    status["settings_text"] = describe_settings(status.get("settings"))
    status["thresholds"] = {"warn": settings.storage.warn_threshold, "stop": settings.storage.stop_threshold}
    status["retention_enabled"] = bool(settings.storage.cleanup_enabled or settings.render.retention_days)
    if seen.alerts:  # each alert channel's health, as timelapse-alerts.service last wrote it
        status["alerts"] = seen.alerts
    status["aim"] = None  # the last shift from the aim reference (SPEC §20); null without a reference
    if seen.aim:
        from timelapse.aim.watch import summary_text

        status["aim"] = dict(seen.aim, text=summary_text(seen.aim))
    return status


class StatusPage(BaseHandler):
    page = True

    def get(self):
        self.render_page("status.html", status=current_status(self.ctx))


class StatusApi(BaseHandler):
    def get(self):
        self.set_header("Cache-Control", "no-store")
        self.write(current_status(self.ctx))


def _epoch(iso_text):
    return datetime.datetime.fromisoformat(iso_text).timestamp() if iso_text else None


class StatusCollector:
    """Prometheus metrics, read from the status file at each scrape."""

    def __init__(self, ctx):
        self.ctx = ctx

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        status = current_status(self.ctx)
        gauges = [
            ("timelapse_up", "1 if the capture daemon is running", 1 if status["running"] else 0),
            ("timelapse_last_capture_timestamp_seconds", "when the last capture was attempted",
             _epoch(status.get("last_capture"))),
            ("timelapse_last_capture_success", "1 if the last capture wrote an image",
             None if status.get("last_capture_success") is None else int(bool(status["last_capture_success"]))),
            ("timelapse_captures_today", "images captured today", status.get("captures_today")),
            ("timelapse_skipped_today", "slots skipped today (image existed, disk full)", status.get("skipped_today")),
            ("timelapse_consecutive_failures", "failed captures in a row", status.get("consecutive_failures")),
            ("timelapse_disk_usage_ratio", "used fraction of output_dir's disk",
             None if status.get("disk_usage_percent") is None else status["disk_usage_percent"] / 100),
            ("timelapse_disk_free_bytes", "free bytes on output_dir's disk", status.get("disk_free_bytes")),
            ("timelapse_clock_synced", "1 if the system clock is synchronized",
             None if status.get("clock_synced") is None else int(bool(status["clock_synced"]))),
            ("timelapse_retention_paused", "1 if retention waits for a clock known good (storage.trust_clock)",
             None if "retention_paused" not in status else int(bool(status["retention_paused"]))),
        ]
        gauges += exposure_gauges(status.get("exposure")) + settings_gauges(status.get("settings"))
        gauges += aim_gauges(status.get("aim"))
        sync = status.get("sync")
        if sync:
            gauges += [("timelapse_sync_last_success_timestamp_seconds", "when an offsite copy last succeeded",
                        _epoch(sync.get("last_success"))),
                       ("timelapse_sync_days_waiting", "ended days not yet copied off the camera",
                        sync.get("days_waiting"))]
        gauges.append(("timelapse_stars", "stars in the newest image when it is dark (SPEC 19)",
                       status["night_sky"]["stars"]))
        for name, text, value in gauges:
            if value is not None:
                yield GaugeMetricFamily(name, text, value=value)
        sky = GaugeMetricFamily("timelapse_sky", "the night sky in the newest image (1 for the current one)",
                                labels=["sky"])
        for name in ("clear", "cloudy", "unknown"):
            sky.add_metric([name], 1 if status["night_sky"]["sky"] == name else 0)
        yield sky
        state = GaugeMetricFamily("timelapse_state", "the daemon's state (1 for the current one)", labels=["state"])
        for name in STATES:
            state.add_metric([name], 1 if status.get("state") == name and status["running"] else 0)
        yield state


def exposure_gauges(exposure):
    """Return (name, help, value) gauges of the last capture's exposure (SPEC §16), numbers only."""
    if not isinstance(exposure, dict):
        return []
    fields = (("timelapse_exposure_time_seconds", "the last capture's exposure time", "exposure_time_us", 1e-6),
              ("timelapse_analogue_gain", "the last capture's analogue gain (1 = none)", "analogue_gain", 1),
              ("timelapse_brightness_ratio", "the last capture's mean brightness, 0..1 of full scale",
               "brightness", 1))
    return [(name, text, exposure[key] * scale) for name, text, key, scale in fields
            if isinstance(exposure.get(key), (int, float)) and not isinstance(exposure.get(key), bool)]


def settings_gauges(settings):
    """Return the web layer's gauges (SPEC §17): its version in force, and 1 while a layer is refused."""
    if not isinstance(settings, dict):
        return []
    version = settings.get("version")
    return [("timelapse_settings_layer_error", "1 if the web layer of settings is ignored (see timelapse status)",
             int(bool(settings.get("error"))))] + (
        [("timelapse_settings_version", "the web layer version in force", version)]
        if isinstance(version, int) and not isinstance(version, bool) else [])


def aim_gauges(aim):
    """Return (name, help, value) gauges of the last aim check (SPEC §20); none without a reference or a check."""
    if not aim or aim.get("length") is None:
        return []
    return [("timelapse_aim_shift_pixels", "the last aim check's shift from the reference, pixels", aim["length"]),
            ("timelapse_aim_shift_x_pixels", "its horizontal part, + right", aim["dx"]),
            ("timelapse_aim_shift_y_pixels", "its vertical part, + down", aim["dy"]),
            ("timelapse_aim_confidence", "the last aim check's confidence, 0..1", aim["confidence"]),
            ("timelapse_aim_moved", "1 if the camera counts as moved (alerts.moved)", int(bool(aim["moved"])))]


def metrics_registry(ctx):
    """Return the registry /metrics serves."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    registry.register(StatusCollector(ctx))
    return registry


class Metrics(BaseHandler):
    def get(self):
        from prometheus_client import generate_latest
        from prometheus_client.exposition import CONTENT_TYPE_LATEST

        if getattr(self.ctx, "registry", None) is None:
            self.ctx.registry = metrics_registry(self.ctx)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(generate_latest(self.ctx.registry))
