"""What a long-running process says about the web layer it runs on: the status' ``settings`` and the log, once."""

import logging

log = logging.getLogger("timelapse")


def status_of(layer, previous, now):
    """Return the status file's ``settings``: {"version", "applied", "error"} after loading ``layer``.

    ``layer`` is a `merge.LayerState` (None: loaded without a layer); ``previous`` the fields
    before (None at start); ``now`` the ISO time. ``applied`` is when the version in force was
    applied: kept while the same version stays in force.
    """
    summary = layer.summary() if layer is not None else {"version": None, "error": None}
    previous = previous or {}
    same = (summary["version"] == previous.get("version") and not previous.get("error")
            and previous.get("applied") is not None)
    applied = previous.get("applied") if same else (now if layer is not None and layer.data else None)
    return {"version": summary["version"], "applied": applied, "error": summary["error"]}


def tell(layer, previous, who="timelapse"):
    """Log a newly refused web layer (each of its problems, once) or a newly applied version."""
    if layer is None or layer.path is None:
        return
    previous = previous or {}
    summary = layer.summary()
    if layer.error:
        if summary["error"] != previous.get("error"):
            log.error("%s: the web layer %s is ignored, running on the file alone:", who, layer.path)
            for problem in layer.error:
                log.error("  %s", problem)
    elif layer.data and (summary["version"] != previous.get("version") or previous.get("error")):
        log.info("%s: web settings version %s applied (%s)", who, summary["version"], layer.path)
    for key, line in layer.overlap if not layer.error else ():
        if summary["version"] != previous.get("version"):
            log.info("%s: %s is set in the file (line %s) and in the web layer: the web's value stays in force",
                     who, key, line)
