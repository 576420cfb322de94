"""`openai-batch:`: the real `openai` client against the loopback Files and Batches server.

Answers repeat their prompt, so a request mapped to the wrong sample would show; the server's log
counts uploads and batch creations, so a restarted process that sent anything twice would show.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.batch import factory
from jupyter_spec.engine.providers.openai import OpenAIProvider
from jupyter_spec.engine.requester import RetryPolicy
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.testing import batches_command, read_log, serve

KEY = "sk-test-BATCH-SENTINEL-77f1e0"
QUICK = {"window": 0.3, "poll_interval": 0.1}
RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, timeout=5)


@pytest.fixture(autouse=True)
def quick_batches() -> Iterator[None]:
    """Short windows and polls for the tests; the defaults again afterwards."""
    register("openai-batch", factory(**QUICK))
    yield
    register("openai-batch", factory())


@contextmanager
def batch_server(folder: Path, *options: str, delay: float = 0.5) -> Iterator[tuple[str, Path]]:
    log = folder / "server.jsonl"
    with serve(batches_command(folder / "state", delay, log, *options)) as base_url:
        yield base_url, log


def spec_of(prompts: list[str]) -> Spec:
    spec = parse_spec("## Steady {#steady}\n\nKeep answers[^s1].\n")
    return spec.with_challenges(parse_challenges("".join(f"- {p}\n" for p in prompts), target="s1"))


def calls(log: Path, method: str, path: str) -> list[dict[str, Any]]:
    return [e for e in read_log(log) if e["method"] == method and e["path"] == path]


def test_a_run_is_one_upload_and_one_batch_with_each_answer_mapped_to_its_sample(tmp_path: Path) -> None:
    prompts = [f"Question {i}?" for i in range(12)]
    store = Store(tmp_path / "store.sqlite")
    with batch_server(tmp_path) as (base_url, log):
        settings = Settings(openai_base_url=base_url)
        handle = run(spec_of(prompts), ["openai-batch:fixed"], 2, judges=[], store=store, settings=settings,
                     params={"temperature": 0.5}, retry=RETRY)  # fmt: skip
        samples = handle.wait(60)
    assert len(samples) == 24 and {s.status for s in samples} == {"ok"}
    for sample in samples:  # the answer repeats the sample's own prompt
        assert sample.responses[-1] == f"Canned answer to: {sample.transcript[0]['content']}"
    uploads = calls(log, "POST", "/v1/files")
    assert len(uploads) == 1 and len(calls(log, "POST", "/v1/batches")) == 1
    assert uploads[0]["lines"] == 24  # two samples of a prompt are two lines, not one answer shared
    [batch] = store.batches()
    assert batch["status"] == "completed" and batch["requests"] == 24 and batch["endpoint"] == base_url

    # each line's body is exactly what the chat provider sends for the same request
    lines = [json.loads(text) for text in (tmp_path / "state" / "files" / uploads[0]["file"]).read_text().splitlines()]
    chat = OpenAIProvider("fixed", api_key=None, base_url=base_url, developer_role=False)
    user = {"role": "user", "content": "Question 3?"}
    expected = {"model": "fixed", "messages": chat.wire((user,)), "temperature": 0.5}
    assert sum(line["body"] == expected for line in lines) == 2
    assert {(line["method"], line["url"]) for line in lines} == {("POST", "/v1/chat/completions")}
    assert len({line["custom_id"] for line in lines}) == 24

    # an unchanged re-run is answered by the store: nothing more is uploaded
    again = run(spec_of(prompts), ["openai-batch:fixed"], 2, judges=[], store=store, settings=settings,
                params={"temperature": 0.5}, retry=RETRY).wait(60)  # fmt: skip
    assert {s.status for s in again} == {"ok"} and len(calls(log, "POST", "/v1/files")) == 1


def test_a_window_past_the_size_limit_is_split_into_several_batches(tmp_path: Path) -> None:
    register("openai-batch", factory(**QUICK, max_requests=5))
    prompts = [f"Question {i}?" for i in range(12)]
    with batch_server(tmp_path) as (base_url, log):
        store = Store(tmp_path / "store.sqlite")
        samples = run(spec_of(prompts), ["openai-batch:fixed"], 1, judges=[], store=store,
                      settings=Settings(openai_base_url=base_url), retry=RETRY).wait(60)  # fmt: skip
    assert {s.status for s in samples} == {"ok"}
    assert all(s.responses[-1] == f"Canned answer to: {s.transcript[0]['content']}" for s in samples)
    assert sorted(u["lines"] for u in calls(log, "POST", "/v1/files")) == [2, 5, 5]
    assert sorted(b["requests"] for b in store.batches()) == [2, 5, 5]


@pytest.mark.parametrize(
    ("line", "retryable", "status"),
    [
        ({"response": {"status_code": 500, "body": {"error": {"message": "boom"}}}}, True, 500),
        ({"response": {"status_code": 429, "body": {"error": {"message": "slow"}}}}, True, 429),
        ({"response": {"status_code": 400, "body": {"error": {"message": "bad request"}}}}, False, 400),
        ({"response": None, "error": {"code": "batch_expired", "message": "not done in time"}}, True, None),
        ({"response": {"status_code": 200, "body": {"choices": "not a completion"}}}, True, None),
    ],
)
def test_a_failed_line_is_an_error_that_says_whether_to_retry(line: dict[str, Any], retryable: bool,
                                                               status: int | None) -> None:  # fmt: skip
    from jupyter_spec.engine.providers import ProviderError
    from jupyter_spec.engine.providers.batch import BatchProvider

    provider = BatchProvider("fixed", api_key=KEY, base_url="http://127.0.0.1:9/v1")
    custom_id, outcome = provider._outcome(json.dumps({"custom_id": "js-1", **line}))
    assert custom_id == "js-1" and isinstance(outcome, ProviderError)
    assert outcome.retryable is retryable and outcome.status == status


def test_a_line_answered_is_a_completion_and_custom_ids_differ_by_sample() -> None:
    from jupyter_spec.engine.providers.base import Completion, request_key
    from jupyter_spec.engine.providers.batch import BatchProvider

    provider = BatchProvider("fixed", api_key=None, base_url="http://user:pw@127.0.0.1:9/v1/")
    assert provider.endpoint == "http://127.0.0.1:9/v1"  # no credentials in the ledger
    body = {"choices": [{"message": {"content": "hello"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 3}}
    _, outcome = provider._outcome(json.dumps({"custom_id": "js-2", "response": {"status_code": 200, "body": body}}))
    assert isinstance(outcome, Completion) and outcome.text == "hello" and outcome.prompt_tokens == 3
    request = provider.body(({"role": "user", "content": "hi"},), {"temperature": 0})
    names = set()
    for key in ("sample-0", "sample-1", "sample-0"):
        token = request_key.set(key)
        names.add(provider.custom_id(request))
        request_key.reset(token)
    assert len(names) == 2 and all(name.startswith("js-") for name in names)


def test_failed_lines_are_retried_then_error_samples_never_verdicts(tmp_path: Path) -> None:
    prompts = ["Fine one?", "Broken [[fail:500]]?", "Refused [[fail:400]]?", "Fine two?"]
    store = Store(tmp_path / "store.sqlite")
    with batch_server(tmp_path) as (base_url, log):
        settings = Settings(openai_base_url=base_url)
        handle = run(spec_of(prompts), ["openai-batch:fixed"], 1, judges=[], store=store, settings=settings,
                     retry=RETRY)  # fmt: skip
        samples = handle.wait(60)
    by_prompt = {s.transcript[0]["content"]: s for s in samples}
    assert by_prompt["Fine one?"].status == by_prompt["Fine two?"].status == "ok"
    broken, refused = by_prompt["Broken [[fail:500]]?"], by_prompt["Refused [[fail:400]]?"]
    assert broken.status == refused.status == "error"
    assert "HTTP 500" in (broken.error or "") and "after 3 attempts" in (broken.error or "")
    assert "HTTP 400" in (refused.error or "") and "after 1 attempt" in (refused.error or "")
    assert handle.progress.errors == 2 and store.grade_count() == 0
    # the retryable line went again in later batches (alone: the others were answered); nothing else did
    assert len(calls(log, "POST", "/v1/batches")) == 3
    assert [u["lines"] for u in calls(log, "POST", "/v1/files")] == [4, 1, 1]


def test_an_expired_batch_is_retried_and_a_failing_one_ends_in_errors(tmp_path: Path) -> None:
    prompts = [f"Question {i}?" for i in range(5)]
    with batch_server(tmp_path, "--end-as", "expired", "--end-first", "1") as (base_url, log):
        settings = Settings(openai_base_url=base_url)
        store = Store(tmp_path / "expired.sqlite")
        samples = run(spec_of(prompts), ["openai-batch:fixed"], 1, judges=[], store=store, settings=settings,
                      retry=RETRY).wait(60)  # fmt: skip
        assert {s.status for s in samples} == {"ok"}
        assert len(calls(log, "POST", "/v1/batches")) == 2
        assert [b["status"] for b in store.batches()] == ["expired", "completed"]

    with batch_server(tmp_path / "failing", "--end-as", "failed", "--end-first", "99") as (base_url, log):
        settings = Settings(openai_base_url=base_url)
        store = Store(tmp_path / "failed.sqlite")
        handle = run(spec_of(prompts), ["openai-batch:fixed"], 1, judges=[], store=store, settings=settings,
                     retry=RETRY)  # fmt: skip
        samples = handle.wait(60)
    assert len(samples) == 5 and {s.status for s in samples} == {"error"}
    assert all("failed" in (s.error or "") and "after 3 attempts" in (s.error or "") for s in samples)
    assert len(calls(log, "POST", "/v1/batches")) == 3  # one batch per attempt, every request in each


def test_the_key_reaches_the_server_but_not_the_store_or_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BATCH_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    with batch_server(tmp_path, "--fail-share", "0.3") as (base_url, log):
        settings = Settings(openai_base_url=base_url, api_key_env="BATCH_KEY")
        store = Store(tmp_path / "store.sqlite")
        samples = run(spec_of(["hi", "there", "you"]), ["openai-batch:fixed"], 2, judges=[], store=store,
                      settings=settings, retry=RETRY).wait(60)  # fmt: skip
    assert len(samples) == 6 and store.batches()
    assert all(e["authorization"] for e in read_log(log))
    for record in caplog.records:
        assert KEY not in record.getMessage() and KEY not in repr(record.args)
    for file in [p for p in tmp_path.rglob("*") if p.is_file()]:
        assert KEY.encode() not in file.read_bytes(), file


def test_the_ledger_is_durable_at_once_and_finds_the_newest_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    at = {"endpoint": "http://x/v1", "model": "m", "status": "validating"}
    store.put_batch("b1", **at, input_file="f1", custom_ids=["a", "b"])
    store.put_batch("b2", **at, input_file="f2", custom_ids=["b"])
    store.update_batch("b1", status="completed", output_file="o1")
    other = sqlite3.connect(tmp_path / "store.sqlite")  # another process's view, without waiting for anything
    assert other.execute("SELECT id, status, output_file FROM batches ORDER BY id").fetchall() == [
        ("b1", "completed", "o1"),
        ("b2", "validating", None),
    ]
    assert [b["id"] for b in store.batches_holding("b", "http://x/v1")] == ["b2", "b1"]
    assert store.batches_holding("b", "http://elsewhere/v1") == []
    store.update_batch("b1", status="completed")  # a later status keeps the files already known
    assert store.batches_holding("a", "http://x/v1")[0]["output_file"] == "o1"


def test_answers_lost_after_their_batch_completed_are_read_again_from_its_output_file(tmp_path: Path) -> None:
    """A process killed after the batch ended but before its answers were stored: its successor
    reads the output file again instead of sending the requests again."""
    from jupyter_spec.engine.runner import resume

    prompts = [f"Question {i}?" for i in range(6)]
    store = Store(tmp_path / "store.sqlite")
    with batch_server(tmp_path) as (base_url, log):
        settings = Settings(openai_base_url=base_url)
        handle = run(spec_of(prompts), ["openai-batch:fixed"], 1, judges=[], store=store, settings=settings,
                     retry=RETRY)  # fmt: skip
        assert {s.status for s in handle.wait(60)} == {"ok"}
        lost = sqlite3.connect(store.path)
        with lost:
            lost.execute("DELETE FROM completions")
            lost.execute("DELETE FROM samples")
        register("openai-batch", factory(**QUICK))  # a new provider: nothing of the first one's memory
        seen = len(read_log(log))
        samples = resume(handle.id, store=store, settings=settings).wait(60)
        after = read_log(log)[seen:]
    assert len(samples) == 6 and {s.status for s in samples} == {"ok"}
    for sample in samples:
        assert sample.responses[-1] == f"Canned answer to: {sample.transcript[0]['content']}"
    assert not [e for e in after if e["method"] == "POST"]
    assert [e["path"].rsplit("/", 1)[-1] for e in after] == ["content"]  # the output file, read once


CHILD = textwrap.dedent(
    """
    import sys
    from jupyter_spec import parse_challenges, parse_spec
    from jupyter_spec.engine.providers import register
    from jupyter_spec.engine.providers.batch import factory
    from jupyter_spec.engine.runner import resume, run
    from jupyter_spec.engine.settings import Settings

    base_url, store, mode = sys.argv[1:4]
    register("openai-batch", factory(window=0.3, poll_interval=0.2))
    settings = Settings(openai_base_url=base_url)
    if mode == "start":
        spec = parse_spec("## Steady {#steady}\\n\\nKeep answers[^s1].\\n")
        prompts = "".join(f"- Question {i}?\\n" for i in range(20))
        spec = spec.with_challenges(parse_challenges(prompts, target="s1"))
        handle = run(spec, ["openai-batch:fixed"], 1, judges=[], store=store, settings=settings)
    else:
        handle = resume(sys.argv[4], store=store, settings=settings)
    print(handle.id, flush=True)
    handle.wait()
    print("finished", flush=True)
    """
)


def recorded(store: Path) -> bool:
    try:
        with closing(sqlite3.connect(store)) as db:
            return bool(db.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
    except sqlite3.OperationalError:  # no store yet, or no table yet
        return False


def test_a_kernel_killed_mid_batch_resumes_by_awaiting_the_same_batch(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    with batch_server(tmp_path, delay=4.0) as (base_url, log):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, base_url, str(store), "start"], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        deadline = time.monotonic() + 60
        while not calls(log, "POST", "/v1/batches") and time.monotonic() < deadline:
            time.sleep(0.02)
        while not recorded(store) and time.monotonic() < deadline:  # the batch exists: now in the ledger too
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        db = sqlite3.connect(store)
        assert db.execute("SELECT COUNT(*) FROM samples WHERE run_id = ?", (run_id,)).fetchone()[0] == 0
        assert db.execute("SELECT status FROM batches").fetchall() in ([("validating",)], [("in_progress",)])
        seen = len(read_log(log))

        resumed = subprocess.run(
            [sys.executable, "-c", CHILD, base_url, str(store), "resume", run_id],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stdout.split() == [run_id, "finished"]

    after = read_log(log)[seen:]
    assert not [e for e in after if e["method"] == "POST"]  # no second upload, no second batch
    assert len(calls(log, "POST", "/v1/files")) == len(calls(log, "POST", "/v1/batches")) == 1
    assert any(e["path"].startswith("/v1/files/") and e["path"].endswith("/content") for e in after)
    rows = db.execute("SELECT status, transcript, responses FROM samples WHERE run_id = ?", (run_id,)).fetchall()
    assert len(rows) == 20 and {r[0] for r in rows} == {"ok"}
    for _, transcript, responses in rows:
        assert json.loads(responses)[-1] == f"Canned answer to: {json.loads(transcript)[0]['content']}"
    assert db.execute("SELECT status FROM batches").fetchall() == [("completed",)]
    assert db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0] == "done"


def test_a_real_model_answers_through_the_batch_server(llama_server: str, tmp_path: Path) -> None:
    prompts = ["What is the capital of France?", "Name a colour."]
    with batch_server(tmp_path, "--upstream", llama_server, delay=0.2) as (base_url, log):
        settings = Settings(openai_base_url=base_url)
        store = Store(tmp_path / "store.sqlite")
        samples = run(spec_of(prompts), ["openai-batch:smollm2"], 1, judges=[], store=store, settings=settings,
                      params={"max_tokens": 24, "temperature": 0, "seed": 1}, retry=RETRY).wait(300)  # fmt: skip
    assert {s.status for s in samples} == {"ok"}
    answers = [s.responses[-1] for s in samples]
    assert all(a.strip() and not a.startswith("Canned") for a in answers)
    assert answers[0] != answers[1]
    assert len(calls(log, "POST", "/v1/batches")) == 1
