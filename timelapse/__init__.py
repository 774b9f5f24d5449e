"""timelapse: a Debian-packaged timelapse camera appliance."""

__version__ = "0.2.0"
