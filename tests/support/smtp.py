"""A real SMTP server on loopback (aiosmtpd) that records what it received, by Message-ID."""

from __future__ import annotations

import asyncio
import email
import threading
from collections import Counter
from email import policy

from aiosmtpd.controller import Controller

from tests.support.ports import free_port


class RecordingHandler:
    """Keeps every message; ``answer`` (e.g. "451 ...") makes it refuse; ``delay`` slows each DATA."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelope_recipients: list[list[str]] = []  # RCPT TO of each message, as the server saw them
        self.answer: str | None = None
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.answer:
            return self.answer
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelope_recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    @property
    def message_ids(self) -> Counter:
        with self._lock:
            return Counter(message["Message-ID"] for message in self.messages)

    def by_message_id(self, message_id: str):
        with self._lock:
            return [message for message in self.messages if message["Message-ID"] == message_id]


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.controller.stop()
