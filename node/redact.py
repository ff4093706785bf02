"""Redaction of URLs before they reach a response, a log line or a metric.

Hosted chain RPC URLs carry API keys in their path or query (``https://host/v3/<key>``) and
sometimes credentials in their userinfo (``https://user:pass@host``). The node shows an
operator where it connects with :func:`redact_url` (``scheme://host:port``, nothing else),
and :func:`scrub` removes every URL from a text that came from a library below us (requests
and urllib3 name the full URL in their messages) before it is shown to anyone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
#: A URL inside free text: a scheme, ``://``, then anything up to whitespace or a quote.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
REDACTED = "<redacted>"


def redact_url(url: str) -> str:
    """``scheme://host:port`` of ``url``: userinfo, path, query and fragment removed (they may
    hold an API key or a password). A text that is not a URL with a host gives ``<redacted>``."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port that is not a number, an unbalanced IPv6 bracket
        return REDACTED
    if not parts.scheme or not host:
        return REDACTED
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port else "")


def scrub(text: str, *secrets: str) -> str:
    """``text`` with every URL in it redacted (:func:`redact_url`) and every non-empty
    ``secret`` replaced by ``<redacted>``: for messages of outside errors shown to a user."""
    text = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)
    for secret in sorted(secrets, key=len, reverse=True):  # a whole secret before a piece of it
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def url_secrets(url: str) -> tuple[str, ...]:
    """The parts of ``url`` that :func:`redact_url` hides and that may show up alone in a
    library's message (requests names the bare path: ``with url: /v3/<key>``): the URL
    itself, its userinfo, path and query, each only when it says something."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return (url,)
    userinfo = parts.netloc.rpartition("@")[0]
    path = parts.path if parts.path.strip("/") else ""
    return tuple(c for c in (url.strip(), userinfo, path, parts.query, parts.fragment) if c)
