"""Sending mail over SMTP (the tests run a local SMTP server and pass SMTP_HOST/SMTP_PORT)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from .config import get_settings


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        smtp.send_message(message)
