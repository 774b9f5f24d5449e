"""Email through SMTP (smtplib): STARTTLS (or TLS on port 465) and a login when alerts.email.user is set."""

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from timelapse.alerts.channels.base import Channel, ChannelError

TIMEOUT = 30
MAX_ATTACHMENT = 10 * 1024 * 1024  # bytes: a larger image is not attached


class Email(Channel):
    name = "email"

    def __init__(self, settings, store, password=None, **kwargs):
        super().__init__(settings, store, **kwargs)
        self.password = password

    def describe(self):
        return f"{self.settings['host']}:{self.settings['port']}"

    def compose(self, message):
        """Return the EmailMessage for ``message``."""
        mail = EmailMessage()
        mail["Subject"] = message["title"]
        mail["From"] = self.settings["from"]
        mail["To"] = ", ".join(self.settings["to"])
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain=self.settings["from"].rsplit("@", 1)[-1])
        mail.set_content(message["message"] + "\n")
        for path in message.get("images") or ():  # camera_moved: the reference and the image now
            try:
                with open(path, "rb") as stream:
                    data = stream.read(MAX_ATTACHMENT + 1)
            except OSError:
                continue  # gone meanwhile (retention): the words still say it
            if len(data) <= MAX_ATTACHMENT:
                mail.add_attachment(data, maintype="image", subtype="jpeg", filename=os.path.basename(path))
        return mail

    def deliver(self, message):
        settings = self.settings
        context = ssl.create_default_context()
        try:
            if settings["port"] == 465:
                server = smtplib.SMTP_SSL(settings["host"], settings["port"], timeout=TIMEOUT, context=context)
            else:
                server = smtplib.SMTP(settings["host"], settings["port"], timeout=TIMEOUT)
            with server:
                if settings["starttls"] and settings["port"] != 465:
                    try:
                        server.starttls(context=context)
                    except smtplib.SMTPNotSupportedError:
                        raise ChannelError(f"{self.describe()} does not offer STARTTLS (set alerts.email.starttls: "
                                           f"false only on a network you trust)") from None
                if settings["user"]:
                    server.login(settings["user"], self.password or "")
                server.send_message(self.compose(message))
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"wrong user or password for {settings['user']} at {self.describe()} "
                               f"(the server said {exc.smtp_code} {_said(exc.smtp_error)}); "
                               f"check /etc/timelapse/alerts-password") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"{self.describe()} refused the recipients {', '.join(exc.recipients)}") from None
        except smtplib.SMTPServerDisconnected as exc:
            raise ChannelError(f"{self.describe()} closed the connection ({exc})") from None
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"{self.describe()} said {exc.smtp_code} {_said(exc.smtp_error)}") from None


def _said(error):
    return error.decode(errors="replace") if isinstance(error, bytes) else str(error)
