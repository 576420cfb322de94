"""Where a request goes and what it carries: URLs joined as URLs, proxies, certificates, redirects.

The key reaches only the endpoint it is for. A loopback CONNECT proxy records every byte it is
sent, and a loopback TLS endpoint (its certificate from a throwaway authority, `trustme`) every
request head; each transport is run through them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from yarl import URL

from jupyter_spec.core.sanitize import redact
from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.providers.causes import CERTIFICATE, PROXY, REFUSED
from jupyter_spec.engine.providers.network import ca_bundle, chat_url, proxy_for, route
from jupyter_spec.engine.providers.official import official_client
from jupyter_spec.engine.providers.openai import TRANSPORTS, OpenAIProvider
from jupyter_spec.engine.settings import Settings
from jupyter_spec.testing import read_request

KEY = "sk-network-test-0123456789SECRET"
ANSWER = b'{"choices": [{"message": {"content": "through"}, "finish_reason": "stop"}]}'
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "all_proxy",
                   "no_proxy", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")  # fmt: skip


@pytest.fixture(autouse=True)
def no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


# -- URLs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "posted"),
    [
        ("http://h/v1", "http://h/v1/chat/completions"),
        ("http://h/v1/", "http://h/v1/chat/completions"),
        ("http://h", "http://h/chat/completions"),
        ("https://h:8443/openai/deployments/d?api-version=2024-06-01",
         "https://h:8443/openai/deployments/d/chat/completions?api-version=2024-06-01"),
        ("http://h/a%20b/v1", "http://h/a%20b/v1/chat/completions"),
    ],
)  # fmt: skip
def test_urls_are_joined_as_urls_the_query_kept_after_the_path(base_url: str, posted: str) -> None:
    assert str(chat_url(base_url)[0]) == posted


@pytest.mark.parametrize(
    ("base_url", "why"),
    [("http://h/v1#frag", "fragment"), ("http://h/v1\r\nX: 1", "control character"), ("http://h/v\x001", "control"),
     ("ftp://h/v1", "not an http"), ("h/v1", "not an http"), ("http:///v1", "not an http")],
)  # fmt: skip
def test_a_url_that_would_be_mangled_is_refused_when_configured(base_url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        OpenAIProvider("m", api_key=KEY, base_url=base_url)


def test_a_user_and_password_in_the_url_are_sent_as_basic_auth_in_place_of_the_key() -> None:
    url, auth = chat_url("https://alice:s%3Acret@gateway.example/v1")
    assert str(url) == "https://gateway.example/v1/chat/completions" and url.user is None
    assert auth == "Basic " + base64.b64encode(b"alice:s:cret").decode()


# -- proxies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("no_proxy", "host", "bypassed"),
    [
        ("10.0.0.0/8", "10.20.30.40", True), ("10.0.0.0/8", "11.0.0.1", False),
        ("192.168.1.0/24,localhost", "192.168.1.77", True), ("fd00::/8", "[fd12::1]", True),
        (".example.com", "api.example.com", True), ("example.com", "example.com", True),
        ("example.com", "badexample.com", False), ("*", "anything.org", True),
        ("gpu1:8000", "gpu1", True), ("gpu1:9000", "gpu1", False), ("127.0.0.1", "127.0.0.1", True),
        ("[::1]:8000", "[::1]", True), ("https://gpu1", "gpu1", True), (" GPU1 ", "gpu1", True),
    ],
)  # fmt: skip
def test_no_proxy_is_honoured_with_names_domains_addresses_and_cidr_ranges(
    monkeypatch: pytest.MonkeyPatch, no_proxy: str, host: str, bypassed: bool
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    expected = None if bypassed else "http://proxy.internal:3128"
    assert proxy_for(URL(f"https://{host}:8000/v1/chat/completions")) == expected


def test_a_key_is_never_sent_through_a_proxy_over_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    with pytest.raises(ValueError, match="shows the proxy every header, the key among them"):
        route("http://gpu1:8000/v1", has_key=True)
    assert route("http://gpu1:8000/v1", has_key=False).proxy == "http://proxy.internal:3128"  # no secret to show
    monkeypatch.setenv("NO_PROXY", "gpu1")
    assert route("http://gpu1:8000/v1", has_key=True).proxy is None


def test_a_socks_proxy_is_refused_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5h://user:pw@127.0.0.1:1080")
    with pytest.raises(ValueError, match=r"is not an http\(s\) proxy") as refused:
        OpenAIProvider("m", api_key=KEY, base_url="https://h/v1")
    assert "pw" not in str(refused.value)


def test_credentials_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Basic credentials from the URL, echoed by a server, and the provider's own repr."""
    secrets = route("https://alice:PASSW0RD@h/v1", has_key=False).secrets
    echoed = "bad credentials Basic YWxpY2U6UEFTU1cwUkQ= (alice:PASSW0RD)"
    assert "PASSW0RD" not in redact(echoed, secrets) and "YWxpY2U6" not in redact(echoed, secrets)
    assert "PASSW0RD" not in repr(OpenAIProvider("m", api_key=None, base_url="https://alice:PASSW0RD@h/v1"))


@pytest.mark.parametrize("key", ["sk-abc\n", "sk-abc\r\nX-Injected: 1", "sk-caf\u00e9", "sk-a\tb"])
def test_a_key_a_header_cannot_carry_is_refused_when_configured_without_showing_it(key: str) -> None:
    for transport in TRANSPORTS:
        with pytest.raises(ValueError, match="the API key holds a character an HTTP header cannot carry") as refused:
            OpenAIProvider("m", api_key=key, base_url="https://h/v1", transport=transport)
        assert key.strip() not in str(refused.value)


def test_the_key_read_from_the_environment_loses_the_line_break_around_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", " sk-from-a-file\n")
    assert Settings().api_key() == "sk-from-a-file"


def test_the_official_client_goes_where_we_route_not_where_the_environment_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://gpu.internal:8000/v1")
    assert str(official_client(None, KEY, None, 2**20).base_url) == "https://api.openai.com/v1/"


def test_the_ca_bundle_setting_comes_first_then_the_variables_requests_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first, second, third = (tmp_path / f"{n}.pem" for n in ("setting", "requests", "ssl"))
    for path in (first, second, third):
        trustme.CA().cert_pem.write_to_path(str(path))
    assert ca_bundle() is None
    monkeypatch.setenv("SSL_CERT_FILE", str(third))
    assert ca_bundle() == str(third)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(second))
    assert ca_bundle() == str(second) and ca_bundle(str(first)) == str(first)
    with pytest.raises(ValueError, match="does not exist"):
        ca_bundle(str(tmp_path / "missing.pem"))
    (tmp_path / "empty.pem").write_text("")
    (tmp_path / "junk.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    for bad in ("empty.pem", "junk.pem"):  # refused when configured, naming the file, not at the first request
        with pytest.raises(ValueError, match=f"the CA bundle '.*{bad}'"):
            OpenAIProvider("m", api_key=KEY, base_url="https://h/v1", ca_bundle=str(tmp_path / bad))


# -- a TLS endpoint and a CONNECT proxy on loopback ------------------------------------------------------


@dataclass
class Loopback:
    """Servers on a loop of their own (the providers run theirs with `asyncio.run`)."""

    authority: trustme.CA
    ca_file: Path
    endpoint: str = ""  # https://127.0.0.1:PORT/v1
    untrusted: str = ""  # the same, with a certificate from an authority nobody trusts
    elsewhere: str = ""  # http://127.0.0.1:PORT, where the endpoint redirects `redirect` asks
    proxy: str = ""  # http://user:pass@127.0.0.1:PORT
    refusing_proxy: str = ""  # answers every CONNECT with 407
    heads: list[dict[str, str]] = field(default_factory=list)  # what the endpoint received
    redirected: list[dict[str, str]] = field(default_factory=list)  # what `elsewhere` received
    through_proxy: bytearray = field(default_factory=bytearray)  # every byte clients sent the proxy
    connects: list[str] = field(default_factory=list)

    async def endpoint_handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                lines, headers, body = await read_request(reader)
                self.heads.append({"line": lines[0], **headers})
                if b"redirect" in body:  # elsewhere, or to another path here
                    where = self.elsewhere if b"redirect me" in body else ""
                    head = f"HTTP/1.1 307 Temporary Redirect\r\nlocation: {where}/moved/chat/completions\r\n"
                    writer.write(head.encode() + b"content-length: 0\r\n\r\n")
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(ANSWER) + ANSWER)
                await writer.drain()
        writer.close()

    async def elsewhere_handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            lines, headers, _ = await read_request(reader)
            self.redirected.append({"line": lines[0], **headers})
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(ANSWER) + ANSWER)
            await writer.drain()
        writer.close()

    async def refusing_proxy_handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n")
            await writer.drain()
        writer.close()

    async def proxy_handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A CONNECT proxy that keeps a copy of everything the client sends, the tunnel included."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            self.through_proxy += head
            target = head.split(b" ")[1].decode()
            self.connects.append(head.decode("latin-1"))
            host, port = target.rsplit(":", 1)
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

            async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, keep: bool) -> None:
                with contextlib.suppress(ConnectionError):
                    while data := await source.read(65536):
                        if keep:
                            self.through_proxy += data
                        sink.write(data)
                        await sink.drain()
                sink.close()

            await asyncio.gather(pipe(reader, upstream_writer, True), pipe(upstream_reader, writer, False))
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest.fixture(scope="module")
def loopback(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loopback]:
    authority = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    servers = Loopback(authority, ca_file)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def start() -> None:
        trusted, stranger = (ssl.create_default_context(ssl.Purpose.CLIENT_AUTH) for _ in range(2))
        authority.issue_cert("127.0.0.1").configure_cert(trusted)
        trustme.CA().issue_cert("127.0.0.1").configure_cert(stranger)  # from an authority nobody trusts
        endpoint = await asyncio.start_server(servers.endpoint_handler, "127.0.0.1", 0, ssl=trusted)
        untrusted = await asyncio.start_server(servers.endpoint_handler, "127.0.0.1", 0, ssl=stranger)
        elsewhere = await asyncio.start_server(servers.elsewhere_handler, "127.0.0.1", 0)
        proxy = await asyncio.start_server(servers.proxy_handler, "127.0.0.1", 0)
        refusing = await asyncio.start_server(servers.refusing_proxy_handler, "127.0.0.1", 0)
        port = lambda server: server.sockets[0].getsockname()[1]  # noqa: E731
        servers.endpoint = f"https://127.0.0.1:{port(endpoint)}/v1"
        servers.untrusted = f"https://127.0.0.1:{port(untrusted)}/v1"
        servers.elsewhere = f"http://127.0.0.1:{port(elsewhere)}"
        servers.proxy = f"http://scout:tiger@127.0.0.1:{port(proxy)}"
        servers.refusing_proxy = f"http://scout:tiger@127.0.0.1:{port(refusing)}"
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    assert ready.wait(10), "the loopback servers did not start"
    yield servers

    async def stop() -> None:  # the handlers still waiting on idle connections end with their loop
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        loop.stop()

    asyncio.run_coroutine_threadsafe(stop(), loop)
    thread.join(5)


def ask(provider: OpenAIProvider, content: str = "hello") -> Any:
    try:
        return asyncio.run(provider.complete(({"role": "user", "content": content},), {})).text
    except ProviderError as error:
        return str(error)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_through_a_connect_proxy_the_key_reaches_only_the_endpoint(
    loopback: Loopback, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", loopback.proxy)
    loopback.heads.clear(), loopback.connects.clear(), loopback.through_proxy.clear()
    provider = OpenAIProvider("m", api_key=KEY, base_url=loopback.endpoint, transport=transport,
                              ca_bundle=str(loopback.ca_file), request_timeout=10.0)  # fmt: skip
    assert ask(provider) == "through"
    assert [h["authorization"] for h in loopback.heads] == [f"Bearer {KEY}"]  # the endpoint got it, once
    (connect,) = loopback.connects
    host = URL(loopback.endpoint).authority
    assert connect.startswith(f"CONNECT {host} HTTP/1.1\r\n")
    assert "proxy-authorization: basic " + base64.b64encode(b"scout:tiger").decode().lower() in connect.lower()
    assert KEY.encode() not in loopback.through_proxy and b"Bearer" not in loopback.through_proxy
    assert len(loopback.through_proxy) > len(connect)  # the request did pass through it, encrypted


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_redirect_is_not_followed_and_says_where_the_endpoint_went(loopback: Loopback, transport: str) -> None:
    """Not to another host (which would get the prompt, and answer for the endpoint), nor to another
    path here (which would get the key too)."""
    provider = OpenAIProvider("m", api_key=KEY, base_url=loopback.endpoint, transport=transport,
                              ca_bundle=str(loopback.ca_file), request_timeout=10.0)  # fmt: skip
    loopback.heads.clear(), loopback.redirected.clear()
    assert (
        ask(provider, "redirect me")
        == f"HTTP 307: the endpoint moved to {loopback.elsewhere}/moved; make that the base URL"
    )
    assert ask(provider, "redirect here") == "HTTP 307: the endpoint moved to /moved; make that the base URL"
    assert loopback.redirected == [] and [h["line"].split()[1] for h in loopback.heads] == ["/v1/chat/completions"] * 2


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_query_in_the_base_url_stays_a_query(loopback: Loopback, transport: str) -> None:
    provider = OpenAIProvider("m", api_key=KEY, base_url=loopback.endpoint + "?api-version=2024-06-01",
                              transport=transport, ca_bundle=str(loopback.ca_file), request_timeout=10.0)  # fmt: skip
    loopback.heads.clear()
    assert ask(provider) == "through"
    assert loopback.heads[0]["line"] == "POST /v1/chat/completions?api-version=2024-06-01 HTTP/1.1"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_proxy_that_refuses_the_tunnel_says_so_without_its_password(
    loopback: Loopback, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", loopback.refusing_proxy)
    provider = OpenAIProvider("m", api_key=KEY, base_url=loopback.endpoint, transport=transport,
                              ca_bundle=str(loopback.ca_file), request_timeout=10.0)  # fmt: skip
    failure = ask(provider)
    assert failure == f"connection failed: {PROXY}: 407 Proxy Authentication Required" and "tiger" not in failure


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_certificate_that_does_not_verify_says_so(loopback: Loopback, transport: str) -> None:
    provider = OpenAIProvider("m", api_key=KEY, base_url=loopback.untrusted, transport=transport,
                              ca_bundle=str(loopback.ca_file), request_timeout=10.0)  # fmt: skip
    assert ask(provider).startswith(f"connection failed: {CERTIFICATE}: ")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_requests_ca_bundle_is_honoured(loopback: Loopback, transport: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(loopback.ca_file))
    provider = OpenAIProvider("m", api_key=KEY, base_url=loopback.endpoint, transport=transport, request_timeout=10.0)
    assert ask(provider) == "through"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    stranger = OpenAIProvider("m", api_key=KEY, base_url=loopback.endpoint, transport=transport, request_timeout=10.0)
    assert ask(stranger).startswith(f"connection failed: {CERTIFICATE}: ")  # the system's store knows no such CA


def test_a_refused_connection_says_so() -> None:
    provider = OpenAIProvider("m", api_key=KEY, base_url="http://127.0.0.1:9/v1", request_timeout=5.0)
    assert ask(provider) == f"connection failed: {REFUSED}"


def test_a_user_and_password_in_the_base_url_reach_the_endpoint_as_the_official_client_sends_them(
    loopback: Loopback,
) -> None:
    with_user = loopback.endpoint.replace("https://", "https://alice:s%3Acret@")
    sent = []
    for transport in TRANSPORTS:
        loopback.heads.clear()
        provider = OpenAIProvider("m", api_key=KEY, base_url=with_user, transport=transport,
                                  ca_bundle=str(loopback.ca_file), request_timeout=10.0)  # fmt: skip
        assert ask(provider) == "through", transport
        sent.append((loopback.heads[0]["line"], loopback.heads[0]["authorization"]))
    expected = ("POST /v1/chat/completions HTTP/1.1", "Basic " + base64.b64encode(b"alice:s:cret").decode())
    assert sent == [expected] * len(TRANSPORTS)
