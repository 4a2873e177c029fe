"""Where Syndic's mail goes: a pluggable outbox.

By default each message is appended as one JSON line to ``<data_dir>/outbox.jsonl`` (an
operator, or a test, reads it there); with ``SYNDIC_SMTP_HOST`` set, messages are sent over
SMTP with ``aiosmtplib``. Either way ``send`` returns only once the message is written or
accepted by the server, and a failure is a ``ConfigError`` naming the outbox, never the
message (which may hold a sign-in link).
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from syndic.clock import Clock, iso
from syndic.errors import ConfigError


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Outbox(Protocol):
    def send(self, mail: Mail) -> None: ...


class JsonlOutbox:
    """Appends each message to a JSONL file (one writer at a time within a process)."""

    def __init__(self, path: Path, *, clock: Clock, sender: str) -> None:
        self.path = path
        self.clock = clock
        self.sender = sender
        self._lock = threading.Lock()

    def send(self, mail: Mail) -> None:
        line = json.dumps(
            {
                "at": iso(self.clock.now()),
                "from": self.sender,
                "to": mail.to,
                "subject": mail.subject,
                "body": mail.body,
            },
            ensure_ascii=False,
        )
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(line + "\n")
        except OSError as exc:
            raise ConfigError(f"the outbox {self.path} cannot be written") from exc

    def messages(self) -> list[dict[str, str]]:
        """Everything sent so far, oldest first (for operators and tests)."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(x) for x in lines if x.strip()]


class SmtpOutbox:
    """Sends each message over SMTP (``aiosmtplib``), with STARTTLS when asked."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.timeout_s = timeout_s

    def send(self, mail: Mail) -> None:
        import aiosmtplib

        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = mail.to
        msg["Subject"] = mail.subject
        msg.set_content(mail.body)
        send = aiosmtplib.send(
            msg,
            hostname=self.host,
            port=self.port,
            start_tls=self.starttls,
            timeout=self.timeout_s,
        )
        try:
            _run(send)
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ConfigError(
                f"the mail server {self.host}:{self.port} refused the message"
            ) from exc


def _run(coro: object) -> None:
    """Run ``coro`` to completion from synchronous code, even inside a running event loop
    (then on a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)  # type: ignore[arg-type]
        return
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)  # type: ignore[arg-type]
        except BaseException as exc:  # handed back to the caller's thread
            errors.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if errors:
        raise errors[0]


def outbox_for(
    *,
    data_dir: Path,
    clock: Clock,
    smtp_host: str | None,
    smtp_port: int,
    sender: str,
    smtp_starttls: bool,
) -> Outbox:
    if smtp_host:
        return SmtpOutbox(host=smtp_host, port=smtp_port, sender=sender, starttls=smtp_starttls)
    return JsonlOutbox(data_dir / "outbox.jsonl", clock=clock, sender=sender)
