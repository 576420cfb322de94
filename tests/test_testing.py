"""The fixed-latency endpoint speaks enough HTTP/1.1 for every client the tests and benchmarks use."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from jupyter_spec import testing
from jupyter_spec.testing import read_log


def test_one_connection_carries_several_requests_and_each_is_logged(fixed_endpoint: tuple[str, Path]) -> None:
    base_url, log = fixed_endpoint
    connection = http.client.HTTPConnection(urlparse(base_url).netloc, timeout=10)
    answers = []
    for question in ("first?", "second?"):
        body = json.dumps({"model": "fixed", "seed": 7, "messages": [{"role": "user", "content": question}]})
        connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        answers.append(json.loads(response.read()))
    texts = [a["choices"][0]["message"]["content"] for a in answers]
    assert texts == ["Canned answer to: first? (seed 7)", "Canned answer to: second? (seed 7)"]  # the seed shows
    assert answers[0]["usage"] == {"prompt_tokens": 1, "completion_tokens": 6, "total_tokens": 7}
    entries = read_log(log)
    assert [(e["model"], e["seed"], e["messages"][0]["content"], e["authorization"]) for e in entries] == [
        ("fixed", 7, "first?", False), ("fixed", 7, "second?", False)]  # fmt: skip


def test_a_request_for_json_gets_a_verdict_a_judge_reads(fixed_endpoint: tuple[str, Path]) -> None:
    """A model judge asks for JSON (`response_format`): the endpoint answers with a verdict, so a judge
    run against it grades instead of finding every reply unscored."""
    from jupyter_spec.engine.graders.judge import parse_reply

    base_url, _log = fixed_endpoint
    connection = http.client.HTTPConnection(urlparse(base_url).netloc, timeout=10)
    body = {"model": "judge", "messages": [{"role": "user", "content": "judge this"}],
            "response_format": {"type": "json_object"}}  # fmt: skip
    connection.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    reply = json.loads(connection.getresponse().read())["choices"][0]["message"]["content"]
    assert parse_reply(reply, "stop") == ("compliant", 1.0, "A canned verdict.")


def test_unknown_routes_and_bodies_that_are_no_chat_request_are_refused(fixed_endpoint: tuple[str, Path]) -> None:
    base_url, log = fixed_endpoint
    connection = http.client.HTTPConnection(urlparse(base_url).netloc, timeout=10)
    connection.request("GET", "/v1/nothing")
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["error"]["message"]) == (404, "no route GET /v1/nothing")
    connection.request("POST", "/v1/chat/completions", b"{not json", {"Connection": "close"})
    response = connection.getresponse()
    assert (response.status, response.getheader("connection")) == (400, "close")
    response.read()
    connection.close()
    connection.request("GET", "/v1/models")  # http.client reconnects after the close
    assert json.loads(connection.getresponse().read())["data"][0]["id"] == "fixed"
    assert read_log(log) == []  # refused requests are not counted as sent


@pytest.mark.parametrize("kind", ["proxy", "batches"])
def test_a_server_without_the_local_extra_names_the_install_command(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed without extras, the Starlette servers fail with the command that mends it, before importing."""
    find_spec = testing.importlib.util.find_spec
    hide_uvicorn = lambda name: None if name == "uvicorn" else find_spec(name)  # noqa: E731
    monkeypatch.setattr(testing.importlib.util, "find_spec", hide_uvicorn)
    options = ["--upstream", "http://127.0.0.1:1/v1"] if kind == "proxy" else []
    with pytest.raises(ModuleNotFoundError) as raised:
        testing.main([kind, "--port", "1", *options])
    expected = f"the {kind} server needs uvicorn from the 'local' extra: pip install \"jupyter-spec[local]\""
    assert str(raised.value) == expected
