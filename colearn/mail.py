"""Messages to learners: over SMTP when configured, else into a local outbox folder.

``mailer_for(settings)`` picks one: ``SmtpMailer`` when ``COLEARN_SMTP_HOST`` is
set (``smtplib``; STARTTLS, implicit TLS or none, optional login), otherwise
``OutboxMailer`` writing each message as an RFC 5322 ``.eml`` file under
``COLEARN_MAIL_OUTBOX`` (default ``<data dir>/outbox``), which is what
``make run`` uses so that the demo needs no mail server. Messages are built with
the standard library's ``email.message.EmailMessage`` (plain text plus an HTML
alternative).
"""

from __future__ import annotations

import email.policy
import os
import secrets
import smtplib
import ssl
import time
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Protocol

from colearn.config import Settings
from colearn.records.fields import BREAKS_AND_CONTROLS, email_problem


@dataclass(frozen=True)
class Message:
    """One message.

    Attributes:
        to: the recipient's address.
        subject: the subject line.
        text: the plain-text body.
        html: an HTML alternative, or None.
    """

    to: str
    subject: str
    text: str
    html: str | None = None

    def build(self, sender: str) -> EmailMessage:
        """The RFC 5322 message from ``sender``.

        An address is never MIME-encoded (RFC 2047 forbids encoded words in an
        address): its domain is written in IDNA (RFC 5891, ``xn--``) so that any
        server takes it, and a local part that is not ASCII is kept as UTF-8 under
        the SMTPUTF8 policy (RFC 6531; ``smtplib`` then asks the server for SMTPUTF8).

        The subject is folded to one line (``one_line``): a name stored with a line
        break (read from another issuer's badge, or written before names were kept to
        one line) would otherwise make the message impossible to build, and the
        learner would never get it.

        Raises:
            ValueError: ``to`` is not exactly one address (a list, a display name, a
                line break...): such a message is never built, so never sent.
        """
        to = _ascii_domain(self.to)
        _one_recipient(self.to, to)
        msg = EmailMessage(policy=email.policy.default if to.isascii() else email.policy.SMTPUTF8)
        msg["From"], msg["To"], msg["Subject"] = sender, to, one_line(self.subject)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or None)
        msg.set_content(self.text)
        if self.html:
            msg.add_alternative(self.html, subtype="html")
        return msg


def one_line(text: str) -> str:
    """``text`` as one line for a header: each run of whitespace, line breaks and control
    characters (Unicode categories Cc, Zl, Zp) becomes one space, and the ends are stripped
    (``"Line one\\nLine two"`` -> ``"Line one Line two"``)."""
    out: list[str] = []
    for c in text:
        if c.isspace() or unicodedata.category(c) in BREAKS_AND_CONTROLS:
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(c)
    return "".join(out).strip()


def _one_recipient(given: str, header: str) -> None:
    """Refuse (``ValueError``) a recipient that is not exactly one address, whatever the
    caller checked: the last guard against a list, a display name or a header break
    (``records.fields.email_problem``, and ``email.utils.getaddresses`` finding one address)."""
    wrong = email_problem(given.strip())
    if wrong is None and len(getaddresses([header])) != 1:
        wrong = f"'{given}' is not one address"
    if wrong is not None:
        raise ValueError(f"message not sent: {wrong}")


def _ascii_domain(address: str) -> str:
    """``address`` with its domain in IDNA (``ana@exämple.org`` -> ``ana@xn--exmple-cua.org``);
    unchanged when the domain is ASCII or cannot be encoded."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.isascii():
        return address.strip()
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address.strip()


class Mailer(Protocol):
    """Sends messages; ``where`` says where they go, for people."""

    where: str

    def send(self, message: Message) -> None:
        """Send one message. Raises ``OSError`` / ``smtplib.SMTPException`` on failure."""


class OutboxMailer:
    """Writes each message to ``<folder>/<UTC time to the nanosecond>-<random>.eml`` (names sort
    in the order written; mode 0600: they hold sign-in links)."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender
        self.where = f"the outbox folder {self.folder.resolve()}"

    def send(self, message: Message) -> None:
        """Write ``message`` as a new ``.eml`` file. Raises ``OSError`` when it cannot be written."""
        data = bytes(message.build(self.sender))  # first: a message refused leaves no file
        self.folder.mkdir(parents=True, exist_ok=True)
        ns = time.time_ns()
        name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(ns // 10**9))}.{ns % 10**9:09d}Z-{secrets.token_hex(4)}.eml"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def messages(self) -> list[Path]:
        """The ``.eml`` files written so far, oldest first."""
        return sorted(self.folder.glob("*.eml")) if self.folder.exists() else []


class SmtpMailer:
    """Sends through an SMTP server (``smtplib``), one connection per message."""

    def __init__(self, host: str, port: int, sender: str, *, security: str = "starttls",
                 user: str | None = None, password: str | None = None, timeout_s: float = 20.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.security, self.user, self.password, self.timeout_s = security, user, password, timeout_s
        self.where = f"the SMTP server {host}:{port}"

    def send(self, message: Message) -> None:
        """Send ``message`` over a new connection (TLS, STARTTLS or plain by ``security``;
        logged in when ``user`` is set). Raises ``OSError`` / ``smtplib.SMTPException`` on failure."""
        context = ssl.create_default_context()
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message.build(self.sender))


def mailer_for(settings: Settings) -> Mailer:
    """``SmtpMailer`` when ``settings.smtp_host`` is set, else ``OutboxMailer``."""
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from,
                          security=settings.smtp_security, user=settings.smtp_user, password=password)
    return OutboxMailer(settings.mail_outbox or Path(settings.data_dir) / "outbox", settings.mail_from)


__all__ = ["Message", "Mailer", "one_line", "OutboxMailer", "SmtpMailer", "mailer_for"]
