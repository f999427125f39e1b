"""Browser "save as single file" archives (``.mhtml``/``.mht``): the page's HTML part becomes the article.

MHTML is a MIME multipart message; the standard library's email parser
decodes it (quoted-printable, base64, charsets).  The first ``text/html``
part is the page; its ``Content-Location`` (or the message's
``Snapshot-Content-Location``) is the page URL and the message ``Date`` the
day it was saved.
"""

from __future__ import annotations

import email
import email.policy
import email.utils

from microsite.errors import ImportProblem
from microsite.model import Article
from microsite.read.encoding import decode_html
from microsite.read.html import article_from_html


def read(data: bytes, source_file: str) -> list[Article]:
    """Read one MHTML file (see the module docstring)."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if not message.is_multipart() and message.get_content_type() != "text/html":
        raise ImportProblem("not an MHTML archive (no MIME parts)")
    part = next((p for p in message.walk() if p.get_content_type() == "text/html"), None)
    if part is None:
        raise ImportProblem("no HTML page in the MHTML archive")
    payload = part.get_payload(decode=True) or b""
    if not payload.strip():
        raise ImportProblem("the HTML part of the archive is empty")
    html, _ = decode_html(payload, part.get_content_charset() or "")
    url = (part.get("Content-Location") or message.get("Snapshot-Content-Location") or "").strip()
    saved = None
    if message.get("Date"):
        try:
            saved = email.utils.parsedate_to_datetime(message["Date"]).date()
        except (TypeError, ValueError):
            saved = None
    return [article_from_html(html, url if url.startswith(("http://", "https://")) else "", accessed=saved)]
