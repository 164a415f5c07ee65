"""The `sesame:auth/outbox` import: where the component's mail and account events go."""

from __future__ import annotations

import logging
from typing import List

from .types import Event, Mail

log = logging.getLogger("sesame")


class Outbox:
    """Receives mail and events from the component. The default logs both, mail in full (it
    may hold single-use links), so nothing is silently dropped; subclass it to send mail
    through SMTP or forward events. Methods must not raise: a failure to deliver is the
    host's to log."""

    def send_mail(self, mail: Mail) -> None:
        """Delivers (here: logs the text of) one message. A subclass sending mail sends
        `mail.html`, when there is one, beside the text as `multipart/alternative`."""
        log.info("mail to %s: %s\n%s", mail.to, mail.subject, mail.text)

    def emit_event(self, event: Event) -> None:
        """Records (here: logs) one account event."""
        log.info("event %s user=%s address=%s", event.kind, event.user_id, event.address)


class MemoryOutbox(Outbox):
    """Logs like `Outbox` and also keeps every mail and event in memory, for apps that show
    mail in development and for tests."""

    def __init__(self) -> None:
        self.mails: List[Mail] = []
        self.events: List[Event] = []

    def send_mail(self, mail: Mail) -> None:
        """Keeps and logs one message."""
        self.mails.append(mail)
        super().send_mail(mail)

    def emit_event(self, event: Event) -> None:
        """Keeps and logs one event."""
        self.events.append(event)
        super().emit_event(event)
