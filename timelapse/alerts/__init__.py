"""Alerts and home automation (SPEC §15): `timelapse alerts`, run by timelapse-alerts.service.

A process apart from the capture daemon, which cannot report its own death. Each check:

    snapshot.collect()   the status file, the units' systemd state, the sync record, the disk
    rules.RULES          a table of conditions, each a pure function of the snapshot
    engine.Engine        Prometheus-style pending/firing/resolved, kept in output_dir/.alerts/
    messages.compose()   one short paragraph per transition
    channels             email, webhook (ntfy), MQTT (Home Assistant): a worker thread each
"""
