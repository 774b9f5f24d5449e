"""timelapse: a Debian-packaged timelapse camera appliance."""

__version__ = "0.4.1"
