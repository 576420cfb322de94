"""The lean transports against the official client, on the same requests to the same servers.

The official `openai` client is the reference: for every request each transport sends (`direct`:
our own connections; `aiohttp`), the server receives the same bytes with the same
`Authorization`, and each returns the same completion or raises a `ProviderError` with the same
message, `retryable`, `status` and `retry_after`, whichever way HTTP/1.1 frames the reply.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec.engine.providers import get_provider
from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.providers.causes import CLOSED, KINDS, NOT_HTTP, REFUSED, TOO_LARGE
from jupyter_spec.engine.providers.http import ChatClient, status_message
from jupyter_spec.engine.providers.openai import OpenAIProvider
from jupyter_spec.engine.settings import Settings
from jupyter_spec.testing import free_port, read_log, serve
from tests.engine.providers.replies import HOSTILE

KEY = "sk-test-transport-0123456789SECRET"
REPLIES = [sys.executable, str(Path(__file__).with_name("replies.py")), "{port}"]
SCHEMA = {"type": "json_schema", "json_schema": {"name": "v", "schema": {"type": "object"}, "strict": True}}
TOOLS = (
    {"role": "developer", "content": "Summarise files. Café ✓ 漢字"},
    {"role": "user", "content": "Read report.csv"},
    {"role": "assistant", "content": "Read report.csv", "recipient": "file_reader"},
    {"role": "tool", "content": "rows: 3", "name": "file_reader"},
    {"role": "user", "content": "And now?"},
)
FRAMES = ("frame chunked", "frame gzip", "frame deflate", "frame close", "frame continue", "frame trickle",
          "frame hangup")  # fmt: skip
# (messages, params): answers of every shape, then each kind of failure
REQUESTS: list[tuple[tuple[dict[str, str], ...], dict[str, Any]]] = [
    (({"role": "user", "content": "hello"},), {}),
    (({"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Tides? \"quoted\"\n"}),
     {"max_tokens": 5, "temperature": 0.0, "seed": 3}),
    (TOOLS, {"response_format": SCHEMA, "stop": ["\n"], "top_p": 0.5, "n": 1, "seed": 1, "max_tokens": 9}),
    *[(({"role": "user", "content": ask},), {"max_tokens": 4}) for ask in (
        "reply 429", "reply 500", "reply 500 json", "reply 503 empty", "reply 400", "reply 404 no message",
        "reply 422 top-level", "reply 401 echo", "reply notjson", "reply notcompletion", "reply stall", "reply reset",
        *FRAMES,
    )],
]  # fmt: skip
LEAN = ("direct", "aiohttp")


def outcome(provider: OpenAIProvider, messages: Any, params: dict[str, Any]) -> tuple[Any, ...]:
    try:
        completion = asyncio.run(provider.complete(messages, params))
    except ProviderError as error:
        return ("error", str(error), error.retryable, error.status, error.retry_after)
    return ("ok", completion.text, completion.prompt_tokens, completion.completion_tokens, completion.finish_reason)


def both(base_url: str, **options: Any) -> dict[str, OpenAIProvider]:
    return {
        transport: OpenAIProvider("fixed", api_key=KEY, base_url=base_url, transport=transport, **options)
        for transport in (*LEAN, "openai")
    }


def test_both_transports_send_the_same_bytes_and_fail_alike(tmp_path: Path) -> None:
    log = tmp_path / "replies.jsonl"
    with serve([*REPLIES, str(log)]) as base_url:
        providers = both(base_url, developer_role=False, request_timeout=5.0, organization="org-1", project="proj-1")
        results = {name: [outcome(p, m, params) for m, params in REQUESTS] for name, p in providers.items()}
    assert results["direct"] == results["aiohttp"] == results["openai"]
    received = [{k: v for k, v in r.items() if k != "port"} for r in read_log(log)]
    assert len(received) == 3 * len(REQUESTS)  # every request reached the server, once per transport
    direct, lean, official = (received[i * len(REQUESTS) : (i + 1) * len(REQUESTS)] for i in range(3))
    assert direct == lean == official  # same path, body bytes, Authorization, Content-Type, organization, project
    assert {r["path"] for r in lean} == {"/v1/chat/completions"}
    assert {r["authorization"] for r in lean} == {f"Bearer {KEY}"}
    assert '"role":"system"' in lean[1]["body"] and "Café ✓ 漢字" in lean[2]["body"]  # as the client encodes it
    by_ask = dict(zip([m[-1]["content"] for m, _ in REQUESTS], results["direct"], strict=True))
    assert by_ask["hello"][:2] == ("ok", "You said: hello")
    assert by_ask["reply 429"] == ("error", "HTTP 429: Error code: 429 - slow down", True, 429, 0.25)
    assert by_ask["reply 500"] == ("error", "HTTP 500: Error code: 500", True, 500, None)
    assert by_ask["reply 500 json"][1] == "HTTP 500: Error code: 500 - the GPU fell over"
    assert by_ask["reply 503 empty"] == ("error", "HTTP 503: Error code: 503", True, 503, None)  # "soon": no number
    assert by_ask["reply 400"] == ("error", "HTTP 400: Error code: 400 - max_tokens is too large", False, 400, None)
    assert by_ask["reply 404 no message"] == ("error", "HTTP 404: Error code: 404", False, 404, None)
    assert by_ask["reply 422 top-level"][1] == "HTTP 422: Error code: 422 - unprocessable"
    assert by_ask["reply 401 echo"] == (
        "error",
        "HTTP 401: Error code: 401 - bad key Bearer [redacted]",
        False,
        401,
        None,
    )
    assert by_ask["reply notjson"] == (
        "error",
        "the endpoint answered with something that is not JSON",
        True,
        None,
        None,
    )
    assert by_ask["reply notcompletion"][1:3] == (
        'the endpoint\'s reply is not a chat completion: {"choices": []}',
        True,
    )
    assert by_ask["reply stall"] == ("error", "request timed out", True, None, None)
    assert by_ask["reply reset"] == ("error", f"connection failed: {CLOSED}", True, None, None)
    assert all(by_ask[frame][:2] == ("ok", f"You said: {frame}") for frame in FRAMES)
    assert all(KEY not in str(r) for r in results["direct"] + results["aiohttp"])


def test_a_closed_port_fails_alike() -> None:
    providers = both(f"http://127.0.0.1:{free_port()}/v1")
    messages = ({"role": "user", "content": "anyone?"},)
    direct, lean, official = (outcome(p, messages, {}) for p in providers.values())
    assert direct == lean == official == ("error", f"connection failed: {REFUSED}", True, None, None)


def kind(message: str) -> str:
    """The kind of a connection failure (`causes.KINDS`), or the message itself."""
    return next((k for k in KINDS if message.startswith(f"connection failed: {k}")), message)


def test_every_transport_refuses_what_http_forbids_at_once(tmp_path: Path) -> None:
    """Each reply in `HOSTILE`, sent to every transport: none is ever taken for an answer. Ours refuses
    each as soon as it arrives (the server then holds the connection open: a transport that took it
    for a start would wait out the timeout), as a reply that is not HTTP/1.1 (or, cut short, as a
    connection that closed early), and as the same kind of failure as the official client wherever
    that one names the reply's fault. (aiohttp and the official client are lenient with some: a
    folded header, a bare LF, a gzip transfer coding; those end in an error too, or their timeout.)"""
    with serve([*REPLIES, str(tmp_path / "replies.jsonl")]) as base_url:
        providers = both(base_url, request_timeout=3.0)
        results = {
            name: {case: outcome(p, ({"role": "user", "content": f"hostile {case}"},), {}) for case in HOSTILE}
            for name, p in providers.items()
        }
    assert all(o[0] == "error" for outcomes in results.values() for o in outcomes.values())
    direct = {case: kind(o[1]) for case, o in results["direct"].items()}
    assert direct == {case: CLOSED if case == "cut-short" else NOT_HTTP for case in HOSTILE}
    official = {case: kind(o[1]) for case, o in results["openai"].items()}
    assert all(direct[case] == official[case] for case in HOSTILE if official[case] in (CLOSED, NOT_HTTP))
    assert sum(official[case] in (CLOSED, NOT_HTTP) for case in HOSTILE) >= 20
    detail = results["direct"]["length-plus"][1]
    assert detail == f"connection failed: {NOT_HTTP}: Invalid character in Content-Length", detail


def test_a_gzip_bomb_ends_as_an_error_and_the_requests_beside_it_finish(tmp_path: Path) -> None:
    """A 1 MB body that inflates to 1 GiB, beside two ordinary requests, as an answer and as an error
    (which the official client's own stack would read whole): for each transport, in a
    process of its own (to read its memory high-water mark), the bomb fails within its timeout as a
    reply over the cap (not retried: the same request would bring it again), the others finish, and
    memory grows by less than the cap and a margin."""
    script = Path(__file__).with_name("bomb_beside.py")
    with serve([*REPLIES, str(tmp_path / "replies.jsonl")]) as base_url:
        for transport, bomb in itertools.product((*LEAN, "openai"), ("hostile bomb", "hostile bomb-500")):
            done = subprocess.run([sys.executable, str(script), base_url, transport, bomb], capture_output=True,
                                  text=True, timeout=120)  # fmt: skip
            assert done.returncode == 0, done.stderr
            figures = json.loads(done.stdout.splitlines()[-1])
            assert kind(figures["bomb"][0]) == TOO_LARGE and figures["bomb"][1] is False, (transport, figures)
            assert figures["healthy"] == ["You said: first", "You said: second"], (transport, figures)
            assert figures["seconds"] < 5.0, (transport, figures)  # the request timeout
            assert figures["grew_mib"] < figures["cap_mib"] + 48, (transport, figures)


def test_both_transports_agree_at_concurrency_on_the_fixed_endpoint(fixed_endpoint: tuple[str, Path]) -> None:
    base_url, log = fixed_endpoint
    asks = [({"role": "user", "content": f"Question {i}?"},) for i in range(40)]
    params = {"max_tokens": 8, "seed": 11}

    async def all_of(provider: OpenAIProvider) -> list[Any]:
        return [(c.text, c.prompt_tokens, c.completion_tokens, c.finish_reason)
                for c in await asyncio.gather(*(provider.complete(m, params) for m in asks))]  # fmt: skip

    answers = {name: asyncio.run(all_of(p)) for name, p in both(base_url, concurrency=8).items()}
    assert answers["direct"] == answers["aiohttp"] == answers["openai"]
    received = read_log(log)
    direct, lean, official = received[:40], received[40:80], received[80:]
    key = lambda r: (r["model"], r["seed"], repr(r["messages"]), r["authorization"])  # noqa: E731
    assert Counter(map(key, direct)) == Counter(map(key, lean)) == Counter(map(key, official)) and len(official) == 40


def test_both_transports_agree_through_the_fault_proxy_on_a_real_server(llama_server: str, tmp_path: Path) -> None:
    """The same seeded faults (429, 500) in front of llama_cpp.server, for each transport in turn.

    A stall here is only a delay: timeouts are compared above, since on a busy machine the real
    model's own latency has no fixed bound.
    """
    asks = [({"role": "user", "content": f"Name the capital of country number {i}."},) for i in range(10)]
    params = {"max_tokens": 6, "temperature": 0.0, "seed": 4}
    results = {}
    for transport in (*LEAN, "openai"):
        proxy = [sys.executable, "-m", "jupyter_spec.testing", "proxy", "--port", "{port}", "--upstream", llama_server,
                 "--rate", "0.4", "--seed", "45", "--log", str(tmp_path / f"{transport}.jsonl")]  # fmt: skip
        with serve(proxy) as base_url:
            provider = OpenAIProvider("smollm2", api_key=None, base_url=base_url, transport=transport,
                                      developer_role=False, request_timeout=300)  # fmt: skip
            results[transport] = [outcome(provider, m, params) for m in asks]
    assert results["direct"] == results["aiohttp"] == results["openai"]
    for transport, outcomes in results.items():  # each outcome is the fault the proxy logged for it
        faults = [e["fault"] for e in read_log(tmp_path / f"{transport}.jsonl") if e["path"] == "/chat/completions"]
        assert [{None: "ok", "stall": "ok", "429": 429, "500": 500}[f] for f in faults] == [
            r[0] if r[0] == "ok" else r[3] for r in outcomes
        ]
        assert "429" in faults and "500" in faults and None in faults
    assert all(r[1].strip() and r[3] > 0 for r in results["direct"] if r[0] == "ok")  # the model's own answers
    assert [r[4] for r in results["direct"] if r[3] == 429] == [0.2] * sum(r[3] == 429 for r in results["direct"])


def test_the_status_message_is_the_official_clients() -> None:
    assert status_message(400, '{"error": {"message": "no"}}') == "Error code: 400 - no"
    assert status_message(400, '{"error": {"message": ""}}') == "Error code: 400"
    assert status_message(400, '{"error": "plain"}') == "Error code: 400"
    assert status_message(500, "  [1, 2] ") == "Error code: 500"
    assert status_message(502, "<html>Bad gateway</html>") == "Error code: 502"


def test_one_session_per_loop_closed_with_its_loop(fixed_endpoint: tuple[str, Path]) -> None:
    base_url, _ = fixed_endpoint
    client = ChatClient(base_url, None, connections=4)
    seen: list[Any] = []  # a Pool of our connections, or an aiohttp session

    async def ask() -> Any:
        reply = await client.post(b'{"model":"fixed","messages":[{"role":"user","content":"hi"}]}')
        seen.append(await client._session())
        return reply["choices"][0]["message"]["content"]

    assert asyncio.run(ask()) == asyncio.run(ask()) == "Canned answer to: hi"
    assert seen[0] is not seen[1] and all(s.closed for s in seen)  # asyncio.run closed each with its loop
    assert not client._sessions


def test_the_default_transport_is_the_direct_one_and_the_others_are_a_setting() -> None:
    settings = Settings(openai_base_url="http://127.0.0.1:1/v1")
    lean = get_provider("openai:some-model", settings)
    assert isinstance(lean, OpenAIProvider) and lean.transport == "direct"
    settings.openai_transport = "openai"
    official = get_provider("openai:some-model", settings)
    assert isinstance(official, OpenAIProvider) and official.transport == "openai" and official is not lean
    with pytest.raises(ValueError, match="unknown transport"):
        OpenAIProvider("m", api_key=None, base_url=None, transport="carrier-pigeon")


def test_a_script_ends_without_complaints_about_open_sessions(fixed_endpoint: tuple[str, Path]) -> None:
    """Runs live on a background loop that is never closed: its sessions are closed at exit, quietly."""
    import subprocess

    base_url, _ = fixed_endpoint
    script = (
        "from jupyter_spec.engine import background\n"
        "from jupyter_spec.engine.providers.openai import OpenAIProvider\n"
        f"p = OpenAIProvider('fixed', api_key=None, base_url={base_url!r})\n"
        "print(background.submit(p.complete(({'role': 'user', 'content': 'hi'},), {})).result(30).text)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "Canned answer to: hi"
    assert "Unclosed" not in done.stderr, done.stderr
