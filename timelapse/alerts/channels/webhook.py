"""Webhook: an HTTP POST per message, JSON by default; ``format: ntfy`` for ntfy topics.

ntfy (https://ntfy.sh or a server of your own) takes the message as the body and the
title, tags and priority as headers; non-ASCII header text is RFC 2047 encoded, as ntfy reads it.
"""

import json
import urllib.error
import urllib.request
from email.header import Header

from timelapse.alerts.channels.base import Channel, ChannelError
from timelapse.alerts.messages import public

TIMEOUT = 20
TAGS = {"firing": ("warning", "high"), "resolved": ("white_check_mark", "default"),
        "report": ("camera", "low"), "test": ("camera", "default")}


def _header(text):
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        return Header(text, "utf-8").encode()


class Webhook(Channel):
    name = "webhook"

    def describe(self):
        return self.settings["url"]

    def request(self, message):
        """Return the urllib Request for ``message``."""
        if self.settings["format"] == "ntfy":
            tags, priority = TAGS.get(message["state"], ("camera", "default"))
            headers = {"Title": _header(message["title"]), "Tags": tags, "Priority": priority,
                       "Content-Type": "text/plain; charset=utf-8"}
            body = message["message"].encode()
        else:
            headers = {"Content-Type": "application/json"}
            body = json.dumps(public(message)).encode()
        return urllib.request.Request(self.settings["url"], data=body, headers=headers, method="POST")

    def deliver(self, message):
        try:
            with urllib.request.urlopen(self.request(message), timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            hint = " (wrong or missing access token?)" if exc.code in (401, 403) else ""
            raise ChannelError(f"{self.describe()} answered HTTP {exc.code} {exc.reason}{hint}") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, OSError):
                raise reason from None  # in words by in_words (refused, unreachable, TLS)
            raise ChannelError(f"{self.describe()}: {reason}") from None
