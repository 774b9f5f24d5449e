"""Validators of what reaches the network: sync.remote, sync.bwlimit, web.address."""

import re

import voluptuous as vol

from timelapse.config.vocabulary import is_number

_REMOTE = re.compile(r"^[A-Za-z0-9_][\w. -]*:")


_RATE = r"(?:off|\d+(?:\.\d+)?[BKMGTP]?i?)(?::(?:off|\d+(?:\.\d+)?[BKMGTP]?i?))?"


_BWLIMIT = re.compile(rf"^{_RATE}$|^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)-)?\d{{1,2}}:\d{{2}},{_RATE}"
                      rf"(?:\s+(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)-)?\d{{1,2}}:\d{{2}},{_RATE})*$", re.I)


def remote(value):
    """Return an rclone destination ("name:path", or an absolute local path), or None."""
    if value is None:
        return None
    if isinstance(value, str) and "\n" not in value and (_REMOTE.match(value.strip()) or value.startswith("/")):
        return value.strip()
    raise vol.Invalid('expected an rclone destination "remote:path" such as "nas:timelapse/balcony" or '
                      '"s3:bucket/cam1" (a remote made with rclone config), an absolute path, or null')


def bwlimit(value):
    """Return an rclone --bwlimit value ("1M", "512k:off", "08:00,512k 23:00,off"), or None."""
    if value is None:
        return None
    if is_number(value) and value > 0:
        return f"{value:g}"
    if isinstance(value, str) and _BWLIMIT.match(value.strip()):
        return value.strip()
    raise vol.Invalid('expected an rclone bandwidth limit such as "1M", "512k" or a timetable '
                      '"08:00,512k 23:00,off", or null')


def listen_address(value):
    """Return an address to listen on (an IP address or a host name), or None for every interface."""
    import ipaddress

    if value is None:
        return None
    if isinstance(value, str) and value.strip():
        text = value.strip().strip("[]")
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", text):
                return text
    raise vol.Invalid('expected an address to listen on, such as "127.0.0.1" or "::1", or null for every '
                      "interface")
