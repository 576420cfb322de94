"""How an endpoint is reached: the URL a request goes to, the proxy in between, the certificates trusted.

Decided once per endpoint, for every transport alike, so that the key goes where it is meant to:
- the URL is joined as a URL (`/chat/completions` added to the path; a query such as
  `?api-version=...` kept after it); a fragment, a control character or a scheme other than http(s)
  is refused when the endpoint is configured, not mangled on the wire;
- a user and password in the base URL are sent as HTTP Basic auth in place of the key, as the
  official client does, and never as part of the URL;
- the proxy comes from `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` unless `NO_PROXY` names the host,
  a domain it is in, its address or a CIDR range holding it (`10.0.0.0/8`), or is `*`;
- an https endpoint is reached through a proxy by a CONNECT tunnel, which carries no key; a plain
  http endpoint cannot be (the proxy reads all it forwards), so a key with one is refused;
- certificates are checked against the CA bundle setting, else `REQUESTS_CA_BUNDLE` or
  `SSL_CERT_FILE` (the variables requests and the official client read), else the operating
  system's trust store.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import ssl
import urllib.request
from dataclasses import dataclass

import truststore
from yarl import URL

CHAT_PATH = "chat/completions"
OPENAI_API = "https://api.openai.com/v1"  # the official client's default base URL


@dataclass(frozen=True)
class Route:
    """Where chat completions for one base URL are posted, and how."""

    url: URL  # the full URL, no user info in it
    basic_auth: str | None  # an `Authorization` value from the base URL's user and password
    proxy: str | None  # the proxy URL, or None to connect directly

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be shown: the Basic value and the password behind it."""
        if self.basic_auth is None:
            return ()
        encoded = self.basic_auth.removeprefix("Basic ")
        password = base64.b64decode(encoded).decode("utf-8", "replace").partition(":")[2]
        return tuple(s for s in (self.basic_auth, encoded, password) if s)


def chat_url(base_url: str) -> tuple[URL, str | None]:
    """The chat-completions URL of a base URL, and the Basic `Authorization` its user info asks for."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in base_url):
        raise ValueError(f"the base URL {base_url!r} holds a control character")
    url = URL(base_url)
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise ValueError(f"the base URL {base_url!r} is not an http(s) URL with a host")
    if url.raw_fragment:
        raise ValueError(f"the base URL {base_url!r} has a #fragment, which is never sent: remove it")
    auth = None
    if url.user is not None or url.password is not None:
        pair = f"{url.user or ''}:{url.password or ''}".encode()
        auth = "Basic " + base64.b64encode(pair).decode("ascii")
        url = url.with_user(None)
    path = url.raw_path.rstrip("/") + "/" + CHAT_PATH
    return url.with_path(path, encoded=True, keep_query=True), auth


def _no_proxy_matches(host: str, port: int | None, entries: str) -> bool:
    """Whether `NO_PROXY`-style `entries` exempt the host (curl's rules, plus CIDR ranges)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (e.strip().lower() for e in entries.split(",")):
        entry = entry.partition("://")[2] if "://" in entry else entry  # `https://host` names the host
        if not entry:
            continue
        if entry == "*":
            return True
        if entry.startswith("[") and "]:" in entry:  # [::1]:8000
            name, _, entry_port = entry.partition("]:")
        else:
            name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        name = name.strip("[]").rstrip(".")
        if address is not None:
            try:
                if address in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.lstrip(".").removeprefix("*.")
        if host == name or host.endswith("." + name):
            return True
    return False


def proxy_for(url: URL) -> str | None:
    """The proxy the environment names for this URL, or None where none applies."""
    proxies = urllib.request.getproxies()  # the environment's *_PROXY, in either case
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if not proxy or _no_proxy_matches(url.raw_host or "", url.port, proxies.get("no", "")):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def route(base_url: str, *, has_key: bool) -> Route:
    """Where and how to post; a plain-http endpoint behind a proxy is refused while a key is set."""
    url, auth = chat_url(base_url)
    proxy = proxy_for(url)
    if proxy and URL(proxy).scheme not in ("http", "https"):
        raise ValueError(
            f"the proxy {URL(proxy).with_user(None).with_query(None)} for {url.host} is not an http(s) proxy, "
            "the only kind supported: name the host in NO_PROXY or use an http proxy"
        )
    if proxy and url.scheme == "http" and (has_key or auth):
        raise ValueError(
            f"{url.with_path('/')} would be reached through the proxy {URL(proxy).with_user(None).with_query(None)} "
            "over plain http, "
            "which shows the proxy every header, the key among them: use https, or name the host in NO_PROXY"
        )
    return Route(url, auth, proxy)


def ca_bundle(setting: str | None = None) -> str | None:
    """The CA bundle to trust in place of the system's: the setting, else the variables requests reads.
    One that does not exist or holds no certificate is refused now, not at the first request."""
    for candidate in (setting, os.environ.get("REQUESTS_CA_BUNDLE"), os.environ.get("SSL_CERT_FILE")):
        if candidate:
            if not os.path.exists(candidate):
                raise ValueError(f"the CA bundle {candidate!r} does not exist")
            try:
                context = ssl_context(candidate)
            except ssl.SSLError as error:
                raise ValueError(f"the CA bundle {candidate!r} cannot be read: {error.reason or error}") from None
            if os.path.isfile(candidate) and not context.get_ca_certs():
                raise ValueError(f"the CA bundle {candidate!r} holds no certificate")
            return candidate
    return None


def check_header(what: str, value: str | None) -> None:
    """Refuse a value an HTTP header cannot carry as it is (a newline from a key file, a letter outside
    ASCII): each transport would fail its own way, and one would echo the value in its error."""
    if value is not None and any(not 0x20 <= ord(c) <= 0x7E for c in value):
        raise ValueError(f"{what} holds a character an HTTP header cannot carry (a line break, a control character "
                         "or a letter outside ASCII): check where it was set")  # fmt: skip


def ssl_context(bundle: str | None = None) -> ssl.SSLContext:
    """Certificates checked against `bundle` (a file or a directory) if given; else the system's trust
    store, as the official client's HTTP stack does."""
    if bundle is None:
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)
