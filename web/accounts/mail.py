"""Outgoing mail through a configurable backend.

`outbox` (the default, for development and tests) writes each message as an
.eml file into `state_dir/outbox`, where `peerscope accounts outbox` shows
them; `smtp` sends through the configured server (STARTTLS, SSL or plain).
"""
from __future__ import annotations

import smtplib
import ssl
import uuid
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

from peerscope.config import Settings


class MailError(RuntimeError):
    """The message could not be handed to the mail backend."""


def build(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="peerscope.local")
    msg.set_content(body)
    return msg


def send(settings: Settings, to: str, subject: str, body: str) -> None:
    msg = build(settings, to, subject, body)
    backend = settings.mail_backend
    if backend == "outbox":
        _to_outbox(settings.outbox_dir, msg)
    elif backend == "smtp":
        _by_smtp(settings, msg)
    else:
        raise MailError(f"unknown mail backend {backend!r} (PEERSCOPE_MAIL_BACKEND: outbox or smtp)")


def _to_outbox(folder: Path, msg: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(msg.as_bytes(policy=policy.SMTP))
    tmp.replace(path)  # readers never see half a message
    return path


def _by_smtp(settings: Settings, msg: EmailMessage) -> None:
    try:
        if settings.smtp_security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=10,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10)
        with server:
            if settings.smtp_security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password)
            server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send mail through {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


def outbox(settings: Settings) -> list[dict]:
    """Messages in the outbox, oldest first: {id, to, subject, date, body}."""
    folder = settings.outbox_dir
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        part = msg.get_body(preferencelist=("plain",))
        out.append({"id": path.stem, "to": str(msg["To"]), "subject": str(msg["Subject"]),
                    "date": str(msg["Date"]), "body": part.get_content() if part else ""})
    return out
