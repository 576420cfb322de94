"""Why a request failed, in one line, whichever HTTP stack raised it.

The official client says "Connection error." for a certificate that does not verify, a refused
connection and a reply that is not HTTP alike; the cause is in the exception's chain. Each
transport hands its exception here and gets the same `ProviderError`: `connection failed: `, a
kind that is the same for every transport (`KINDS`), and the library's own words where it has
some, e.g. `connection failed: certificate verify failed: self-signed certificate`.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator, Sequence

from jupyter_spec.core.sanitize import redact
from jupyter_spec.engine.providers.base import ProviderError

REFUSED = "connection refused"
UNRESOLVED = "cannot resolve host"
CERTIFICATE = "certificate verify failed"
TLS = "TLS failed"
CLOSED = "connection closed before the reply was whole"
NOT_HTTP = "reply not HTTP/1.1"
TOO_LARGE = "reply too large"
PROXY = "the proxy refused the tunnel"
OTHER = "connection error"
KINDS = (REFUSED, UNRESOLVED, CERTIFICATE, TLS, CLOSED, NOT_HTTP, TOO_LARGE, PROXY, OTHER)
# The HTTP stacks' own failures to read a reply, by class name: aiohttp's, and httpx's or httpcore's
# (whichever fork the official client ships) alike.
_PROTOCOL = {"RemoteProtocolError", "LocalProtocolError", "ServerDisconnectedError", "ClientPayloadError",
             "ClientResponseError", "ReadError", "WriteError", "DecodingError"}  # fmt: skip


class BrokenReply(Exception):
    """The connection ended, or sent something that is not HTTP/1.1, before the reply was whole."""


class ReplyTooLarge(BrokenReply):
    """A body, as sent or once decoded, larger than the transport's cap."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and what caused it, outermost first (each once)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__  # type: ignore[assignment]


def _kind(error: BaseException) -> tuple[str, str]:
    """(kind, detail) of the innermost error that tells what went wrong."""
    for cause in reversed(list(_chain(error))):
        if type(cause).__name__ in ("ClientHttpProxyError", "ProxyError"):  # aiohttp's; httpx's
            status, message = getattr(cause, "status", None), getattr(cause, "message", None)
            return PROXY, f"{status} {message}" if status else str(cause)
        if isinstance(cause, ReplyTooLarge):
            return TOO_LARGE, str(cause).removeprefix("the reply is ")
        if isinstance(cause, ssl.SSLCertVerificationError):
            return CERTIFICATE, cause.verify_message or str(cause)
        if isinstance(cause, ssl.SSLError):
            return TLS, cause.reason or str(cause)
        if isinstance(cause, ConnectionRefusedError):
            return REFUSED, ""
        if isinstance(cause, socket.gaierror):
            return UNRESOLVED, cause.strerror or str(cause)
        if isinstance(cause, (ConnectionResetError, BrokenPipeError)):
            return CLOSED, ""
        if isinstance(cause, BrokenReply):
            text = str(cause)
            if text.startswith(NOT_HTTP):
                return NOT_HTTP, text.removeprefix(NOT_HTTP).lstrip(": ")
            return (CLOSED, "") if "closed before" in text else (NOT_HTTP, text)
        if type(cause).__name__ in _PROTOCOL:
            text = str(cause) or type(cause).__name__
            closed = any(word in text.lower() for word in ("closed", "disconnected", "not completed", "reset"))
            return (CLOSED, "") if closed or type(cause).__name__ == "ServerDisconnectedError" else (NOT_HTTP, text)
    return OTHER, str(error) or type(error).__name__


def connection_failure(error: BaseException, secrets: Sequence[str | None] = ()) -> ProviderError:
    """The `ProviderError` a failure to get a whole reply means: retryable, save a reply over the cap
    (the same request would bring it again). A library's words may hold a URL's password or an
    echoed header: `secrets`, and whatever is shaped like one, are redacted."""
    kind, detail = _kind(error)
    detail = redact(" ".join(detail.split()), secrets)[:200]
    return ProviderError(f"connection failed: {kind}: {detail}" if detail else f"connection failed: {kind}",
                         retryable=kind != TOO_LARGE)  # fmt: skip
