"""Sending mail over SMTP (the tests run a local SMTP server and pass SMTP_HOST/SMTP_PORT).

SMTP says which failures are worth retrying: a 4xx reply is temporary ("try again later"), a
5xx reply is permanent ("no such mailbox"). `send_mail` raises `PermanentError` for a 5xx
reply and lets everything else (4xx, a refused connection, a timeout) propagate as it is.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from .config import get_settings
from .errors import PermanentError


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused: one (code, reason) each
        codes = [code for code, _reason in exc.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentError(f"the mail server refused {to}: {exc.recipients}") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentError(f"the mail server refused the mail: {exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
