"""The alert channels, one module each, made from the alerts: section.

The SMTP and MQTT password is never in the YAML: it is the first line of ``alerts-password``
beside the configuration file in use (/etc/timelapse/alerts-password, 0640 root:timelapse).
"""

from pathlib import Path

from timelapse.errors import ConfigError

PASSWORD_FILE = "alerts-password"
PASSWORD_HELP = ("create it (one line, the password): sudo sh -c 'umask 027; cat > {path}' and type the "
                 "password, then: sudo chown root:timelapse {path}")


def password_path(settings):
    """Return alerts-password beside the configuration file in use."""
    base = Path(settings.path).absolute().parent if settings.path else Path("/etc/timelapse")
    return base / PASSWORD_FILE


def needs_password(settings):
    """Return the channels (by key) that log in and so need the password file."""
    alerts = settings.alerts
    return [name for name in ("email", "mqtt") if getattr(alerts, name) and getattr(alerts, name).get("user")]


def read_password(settings):
    """Return the password, or None if no channel logs in; raise ConfigError if the file is missing."""
    users = needs_password(settings)
    if not users:
        return None
    path = password_path(settings)
    try:
        return path.read_text().splitlines()[0] if path.stat().st_size else ""
    except FileNotFoundError:
        raise ConfigError(f"alerts.{users[0]}.user is set but {path} does not exist; "
                          + PASSWORD_HELP.format(path=path)) from None
    except PermissionError:
        raise ConfigError(f"cannot read {path}: it must be readable by group timelapse "
                          f"(sudo chown root:timelapse {path}; sudo chmod 0640 {path})") from None
    except IndexError:
        return ""


def configured(settings):
    """Return the names of the configured channels, in order."""
    alerts = settings.alerts
    return [name for name in ("email", "webhook", "mqtt") if getattr(alerts, name)]


def build(settings, store, camera, password=None, names=None, **kwargs):
    """Return the channel objects for ``names`` (default: every configured one), not yet started.

    Raise ChannelError (MQTT without python3-paho-mqtt) from the channel concerned.
    """
    alerts, made = settings.alerts, []
    for name in names or configured(settings):
        if name == "email":
            from timelapse.alerts.channels.email import Email

            made.append(Email(alerts.email, store, password=password, **kwargs))
        elif name == "webhook":
            from timelapse.alerts.channels.webhook import Webhook

            made.append(Webhook(alerts.webhook, store, **kwargs))
        elif name == "mqtt":
            from timelapse.alerts.channels.mqtt import Mqtt

            made.append(Mqtt(alerts.mqtt, store, camera, password=password, **kwargs))
    return made
