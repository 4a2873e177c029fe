"""Sign-in links by e-mail over SMTP: a real aiosmtpd server on loopback receives them."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from syndic.api.serving import free_port
from syndic.app import Syndic
from syndic.config import Settings
from syndic.errors import ConfigError
from syndic.outbox import Mail, SmtpOutbox
from syndic.testing import ManualClock


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def test_a_requested_link_is_sent_over_smtp(tmp_path: Path) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = Settings(
            data_dir=tmp_path / "d",
            smtp_host="127.0.0.1",
            smtp_port=port,
            mail_from="coalition@example.org",
            steward_email="steward@example.org",
        )
        s = Syndic.init(settings, name="Mail Co", clock=ManualClock())
        try:
            assert s.request_login_link("steward@example.org")
        finally:
            s.close()
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert msg["To"] == "steward@example.org"
    assert msg["From"] == "coalition@example.org"
    assert "/signin/link?token=syl_" in msg.get_payload(decode=True).decode()
    assert not (tmp_path / "d" / "outbox.jsonl").exists()


def test_an_unreachable_mail_server_is_a_clear_error() -> None:
    box = SmtpOutbox(host="127.0.0.1", port=free_port(), sender="x@example.org", timeout_s=2)
    with pytest.raises(ConfigError, match="refused the message"):
        box.send(Mail(to="a@example.org", subject="s", body="b"))
