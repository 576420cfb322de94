"""Text that leaves a request for the store, a log or the screen.

Endpoints misbehave: a reply may hold a lone surrogate (valid JSON, `"\\ud800"`, but no UTF-8 can
hold it, so SQLite refuses it and the sample would vanish), and an error body may echo the API
key it was sent. Everything an endpoint returns passes through here before it is kept or shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Shapes of API keys and credentials that must never be stored or shown, whoever's they are.
_KEY_SHAPED = re.compile(
    r"\b(?:sk|pk|rk|ak)-[A-Za-z0-9_\-]{16,}"  # OpenAI-style keys
    r"|\bBearer\s+[A-Za-z0-9._\-]{8,}"  # an echoed Authorization header
    r"|\bBasic\s+[A-Za-z0-9+/]{6,}=*"  # an echoed Basic one
    r"|(?<=//)[^/\s@:]+:[^/\s@]+(?=@)"  # user:password@ in a URL
    r"|\b[A-Za-z0-9_\-]*api[_-]?key[\"']?\s*[:=]\s*[\"']?[^\s\"',}]{8,}",  # api_key=..., "apiKey": "..."
    re.IGNORECASE,
)
REDACTED = "[redacted]"


def unicode_safe(text: str) -> str:
    """The text with lone surrogates (which UTF-8 cannot encode) replaced by U+FFFD."""
    if text.isascii():  # every text a store keeps passes here: the common case costs nothing
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """The text with the given secrets, and anything shaped like an API key, replaced by `[redacted]`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return _KEY_SHAPED.sub(REDACTED, unicode_safe(text))
