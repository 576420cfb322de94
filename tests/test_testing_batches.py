"""The loopback Files and Batches server, driven by the real `openai` client as the provider drives it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest

from jupyter_spec.testing import batches_command, read_log, serve


@contextmanager
def client_for(folder: Path, *options: str, delay: float = 0.3) -> Iterator[tuple[openai.OpenAI, Path]]:
    log = folder / "server.jsonl"
    with serve(batches_command(folder / "state", delay, log, *options)) as base_url:
        yield openai.OpenAI(api_key="sk-local", base_url=base_url, max_retries=0), log


def jsonl(prompts: list[str]) -> bytes:
    lines = [{"custom_id": f"c{i}", "method": "POST", "url": "/v1/chat/completions",
              "body": {"model": "fixed", "messages": [{"role": "user", "content": p}]}}
             for i, p in enumerate(prompts)]  # fmt: skip
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def finished(client: openai.OpenAI, batch_id: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while (batch := client.batches.retrieve(batch_id)).status not in ("completed", "failed", "expired", "cancelled"):
        assert time.monotonic() < deadline, batch.status
        time.sleep(0.05)
    return batch


def lines_of(client: openai.OpenAI, file_id: str | None) -> dict[str, dict[str, Any]]:
    if file_id is None:
        return {}
    return {e["custom_id"]: e for e in map(json.loads, client.files.content(file_id).text.splitlines())}


def test_a_batch_goes_validating_in_progress_completed_with_each_line_answered(tmp_path: Path) -> None:
    with client_for(tmp_path) as (client, log):
        uploaded = client.files.create(file=("in.jsonl", jsonl(["first", "second [[fail:503]]", "third"])),
                                       purpose="batch")  # fmt: skip
        assert uploaded.purpose == "batch" and client.files.retrieve(uploaded.id).bytes == uploaded.bytes
        batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                      completion_window="24h")  # fmt: skip
        assert batch.status == "validating"
        seen = {batch.status}
        deadline = time.monotonic() + 20
        while batch.status != "completed" and time.monotonic() < deadline:
            batch = client.batches.retrieve(batch.id)
            seen.add(batch.status)
        assert seen == {"validating", "in_progress", "completed"}
        counts = batch.request_counts
        assert counts is not None and (counts.total, counts.completed, counts.failed) == (3, 2, 1)
        outputs, errors = lines_of(client, batch.output_file_id), lines_of(client, batch.error_file_id)
        assert outputs["c0"]["response"]["body"]["choices"][0]["message"]["content"] == "Canned answer to: first"
        assert outputs["c2"]["response"]["body"]["choices"][0]["message"]["content"] == "Canned answer to: third"
        assert errors["c1"]["response"]["status_code"] == 503 and set(errors) == {"c1"}
        with pytest.raises(openai.NotFoundError):
            client.batches.retrieve("batch-unknown")
        with pytest.raises(openai.NotFoundError):
            client.batches.create(input_file_id="file-x", endpoint="/v1/chat/completions", completion_window="24h")
    entries = read_log(log)
    assert [(e["method"], e["path"]) for e in entries[:3]] == [
        ("POST", "/v1/files"), (("GET", f"/v1/files/{uploaded.id}")), ("POST", "/v1/batches")
    ]  # fmt: skip
    assert entries[0]["lines"] == 3 and all(e["authorization"] for e in entries)
    on_disk = json.loads((tmp_path / "state" / "batches" / f"{batch.id}.json").read_text())
    assert on_disk["status"] == "completed" and on_disk["output_file_id"] == batch.output_file_id


def test_a_cancelled_batch_stays_cancelled_and_answers_nothing(tmp_path: Path) -> None:
    with client_for(tmp_path, delay=0.6) as (client, _):
        uploaded = client.files.create(file=("in.jsonl", jsonl(["one"])), purpose="batch")
        batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                      completion_window="24h")  # fmt: skip
        assert client.batches.cancel(batch.id).status == "cancelled"
        time.sleep(0.8)
        batch = client.batches.retrieve(batch.id)
        assert batch.status == "cancelled" and batch.output_file_id is None


@pytest.mark.parametrize("end", ["failed", "expired"])
def test_the_first_batches_can_be_made_to_fail_or_expire(tmp_path: Path, end: str) -> None:
    with client_for(tmp_path, "--end-as", end, "--end-first", "1") as (client, _):
        ids = []
        for _ in range(2):
            uploaded = client.files.create(file=("in.jsonl", jsonl(["one", "two"])), purpose="batch")
            ids.append(client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                             completion_window="24h").id)  # fmt: skip
        first, second = (finished(client, i) for i in ids)
        assert (first.status, second.status) == (end, "completed")
        if end == "failed":
            assert first.errors is not None and first.errors.data and first.error_file_id is None
        else:
            assert {e["error"]["code"] for e in lines_of(client, first.error_file_id).values()} == {"batch_expired"}
        assert len(lines_of(client, second.output_file_id)) == 2


def test_a_share_of_lines_fails(tmp_path: Path) -> None:
    with client_for(tmp_path, "--fail-share", "0.5", "--seed", "3") as (client, _):
        uploaded = client.files.create(file=("in.jsonl", jsonl([f"q{i}" for i in range(40)])), purpose="batch")
        batch = finished(client, client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                                       completion_window="24h").id)  # fmt: skip
        errors = lines_of(client, batch.error_file_id)
    assert 8 <= len(errors) <= 32 and {e["response"]["status_code"] for e in errors.values()} == {500}
