"""A real SMTP server on a loopback port (aiosmtpd), keeping every message it receives."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from tests.servers import free_port


class Mailbox:
    """What arrived, parsed: ``messages`` in order; ``refuse`` answers RCPT TO with a code."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Envelope] = []
        self.refuse: dict[str, str] = {}  # recipient -> SMTP reply, e.g. "550 no such mailbox"
        self._lock = threading.Lock()

    @property
    def settings(self) -> dict[str, str]:
        """The app settings that send mail here."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port), "MAIL_USE_TLS": "false"}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in message["To"]]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@contextmanager
def smtp_server(port: int | None = None, **options) -> Iterator[Mailbox]:
    """Run an SMTP server on a loopback port until the block ends (``options`` go to aiosmtpd)."""
    mailbox = Mailbox(port or free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port, **options)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()
