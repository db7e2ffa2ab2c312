"""Messages as written to the outbox (and sent over SMTP): addresses are never
MIME-encoded words, whatever letters they hold."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from colearn.mail import Message, OutboxMailer


@pytest.mark.parametrize(("to", "header"), [
    ("bob@example.org", "bob@example.org"),
    ("ana@exämple.org", "ana@xn--exmple-cua.org"),          # IDNA domain: any server takes it
    ("Ünï@exämple.org", "Ünï@xn--exmple-cua.org"),          # UTF-8 local part (SMTPUTF8, RFC 6531)
    (" zoë@example.org ", "zoë@example.org"),
])
def test_addresses_are_written_as_addresses(tmp_path: Path, to: str, header: str) -> None:
    box = OutboxMailer(tmp_path, "colearn <badges@city.example>")
    box.send(Message(to, "Your badge: Café Crème", "Claim it here.", "<p>Claim it here.</p>"))
    [path] = box.messages()
    raw = path.read_bytes()
    to_line = next(line for line in raw.splitlines() if line.startswith(b"To:"))
    assert b"=?" not in to_line  # an encoded word (RFC 2047) is not an address
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["To"] == header and parsed["Subject"] == "Your badge: Café Crème"
    assert parsed.get_body(("plain",)).get_content().strip() == "Claim it here."


@pytest.mark.parametrize(("subject", "folded"), [
    ('You have been awarded "Line one\nLine two"', 'You have been awarded "Line one Line two"'),
    ("a\r\n b\x07c\u2028d\x1b ", "a b c d"),
    ("Café Crème", "Café Crème"),
])
def test_a_subject_is_folded_to_one_line(tmp_path: Path, subject: str, folded: str) -> None:
    box = OutboxMailer(tmp_path, "colearn <badges@city.example>")
    box.send(Message("bob@example.org", subject, "Claim it here."))  # was ValueError: linefeed
    [path] = box.messages()
    assert email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"] == folded
