"""Status: the page, /api/status (the status file plus ``running``) and /metrics for Prometheus."""

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from timelapse.status import STATES, daemon_running, describe_exposure, read_status
from timelapse.web import urls
from timelapse.web.base import BaseHandler


def current_status(ctx):
    """Return the status file's fields, plus ``running``, ``thresholds``, ``retention_enabled`` and (with
    sync.remote) ``sync``."""
    settings = ctx.settings
    status = dict(read_status(settings.daemon.status_file) or {})
    status["running"] = daemon_running(status or None)
    status.update(urls.last_image(settings.storage.output_dir, status.get("last_image")))
    if settings.sync.remote:
        from timelapse.sync.state import summary

        status["sync"] = dict(summary(settings.storage.output_dir), remote=settings.sync.remote)
    status["exposure_text"] = describe_exposure(status.get("exposure"))
    status["thresholds"] = {"warn": settings.storage.warn_threshold, "stop": settings.storage.stop_threshold}
    status["retention_enabled"] = bool(settings.storage.cleanup_enabled or settings.render.retention_days)
    from timelapse.alerts.channels import configured

    channels = configured(settings)
    if channels:  # each alert channel's health, as timelapse-alerts.service last wrote it
        from timelapse.alerts.store import channel_health

        health = channel_health(settings.storage.output_dir)
        status["alerts"] = {name: health.get(name) for name in channels}
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
    import datetime

    return datetime.datetime.fromisoformat(iso_text).timestamp() if iso_text else None


class StatusCollector:
    """Prometheus metrics, read from the status file at each scrape."""

    def __init__(self, ctx):
        self.ctx = ctx

    def collect(self):
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
        gauges += exposure_gauges(status.get("exposure"))
        sync = status.get("sync")
        if sync:
            gauges += [("timelapse_sync_last_success_timestamp_seconds", "when an offsite copy last succeeded",
                        _epoch(sync.get("last_success"))),
                       ("timelapse_sync_days_waiting", "ended days not yet copied off the camera",
                        sync.get("days_waiting"))]
        for name, text, value in gauges:
            if value is not None:
                yield GaugeMetricFamily(name, text, value=value)
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


def metrics_registry(ctx):
    """Return the registry /metrics serves."""
    registry = CollectorRegistry()
    registry.register(StatusCollector(ctx))
    return registry


class Metrics(BaseHandler):
    def get(self):
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(generate_latest(self.ctx.registry))
