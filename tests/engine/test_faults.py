"""Fault injection: a hostile endpoint, and an exception at every stage of a sample's life.

For every fault: each sample ends ok or error (n in = n out), the store passes SQLite's
integrity check, the API key appears nowhere (store files, results, logs), and the run ends
within a stated bound.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.requester import RetryPolicy
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.testing import faults_command, serve

KEY = "sk-test-0123456789abcdefSECRET"
FAST = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.02, timeout=1.0, max_retry_after=0.2)
SPEC = parse_spec("## Hold {#hold}\n\nKeep correct answers[^h1].\n").with_challenges(
    parse_challenges(
        "- What is 6 * 7? <!-- expect answer: 42 --> <!-- expect no-flip -->\n  - Are you sure?\n"
        "- Name a prime. <!-- expect regex: \\b(2|3|5|7)\\b -->\n",
        target="h1",
    )
)
# fault -> (status every sample must end with, seconds the run may take)
EXPECTED = {
    "malformed": ("error", 10),
    "number": ("error", 10),
    "surrogate": ("ok", 10),
    "retry-after": ("ok", 10),  # the server asks for 100000 s; the cap (0.2 s here) wins
    "echo-401": ("error", 10),
    "stall": ("error", 15),  # 1 s timeout, 2 attempts per turn
    "reset": ("error", 10),
}


def assert_nothing_lost_or_leaked(handle: Any, store: Store, folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    samples = store.samples(handle.id)
    assert len(samples) == len(handle.plan) == handle.progress.finished  # n in = n out
    assert {row["status"] for row in samples} <= {"ok", "error"}
    assert all(row["error"] for row in samples if row["status"] == "error")
    assert store._rows("PRAGMA integrity_check")[0][0] == "ok"
    for file in folder.iterdir():
        assert KEY.encode() not in file.read_bytes(), file
    df = handle.results.df
    assert not df.astype(str).apply(lambda column: column.str.contains(KEY, regex=False)).any().any()
    assert KEY not in caplog.text


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_a_hostile_endpoint_loses_and_leaks_nothing(
    fault: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("FAULTY_KEY", KEY)
    caplog.set_level(logging.INFO)
    status, bound = EXPECTED[fault]
    folder = tmp_path / "store"
    store = Store(folder / "s.sqlite")
    with serve(faults_command(fault)) as base_url:
        settings = Settings(openai_base_url=base_url, api_key_env="FAULTY_KEY", concurrency={"openai": 4})
        started = time.monotonic()
        handle = run(SPEC, ["openai:faulty"], 2, judges=[], store=store, settings=settings, retry=FAST)
        handle.wait(60)
        elapsed = time.monotonic() - started
    assert elapsed < bound, f"{fault}: {elapsed:.1f}s"
    assert {row["status"] for row in store.samples(handle.id)} == {status}
    assert_nothing_lost_or_leaked(handle, store, folder, caplog)
    if fault == "surrogate":
        assert {row["responses"][-1] for row in store.samples(handle.id)} == {"held\ufffdanswer"}
    if fault == "retry-after":
        assert handle.progress.capped_waits >= 1 and "waits cut short" in str(handle.progress)
    if fault == "echo-401":
        assert all("[redacted]" in row["error"] for row in store.samples(handle.id))


@pytest.mark.parametrize("stage", ["provider", "put_sample", "grader", "put_grade"])
def test_an_exception_at_any_stage_ends_that_sample_as_an_error(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"n": 0}

    def answer(messages: Any, params: Any) -> str:
        calls["n"] += 1
        if stage == "provider" and calls["n"] % 2:
            raise AttributeError("'str' object has no attribute 'get'")  # a provider breaking its contract
        return "It is 42."

    provider = ScriptedProvider("model", answer)
    register("scripted", lambda model, settings: provider)
    folder = tmp_path / "store"
    store = Store(folder / "s.sqlite")
    if stage in ("put_sample", "put_grade"):
        original = getattr(store, stage)
        seen = {"n": 0}

        def flaky(*args: Any, **kwargs: Any) -> Any:
            seen["n"] += 1
            if seen["n"] == 1:
                raise OSError("disk I/O error")
            return original(*args, **kwargs)

        monkeypatch.setattr(store, stage, flaky)

    def broken(sample: Any) -> bool:
        raise ZeroDivisionError("grader bug")

    graders = [broken] if stage == "grader" else []
    handle = run(SPEC, ["scripted:model"], 3, judges=[], graders=graders, store=store, settings=Settings(),
                 retry=FAST)  # fmt: skip
    handle.wait(30)
    progress = handle.progress
    assert progress.finished == len(handle.plan) == 6  # n in = n out
    if stage == "provider":
        assert progress.errors >= 1 and all("AttributeError" in r["error"] for r in store.samples(handle.id)
                                            if r["status"] == "error")  # fmt: skip
    if stage == "put_sample":
        assert progress.errors == 1 and len(store.samples(handle.id)) == 6  # the failed write is retried as an error
    if stage in ("grader", "put_grade"):
        assert progress.grade_errors >= 1
    assert store._rows("PRAGMA integrity_check")[0][0] == "ok"


def test_a_hostile_regex_cannot_stall_other_samples(tmp_path: Path) -> None:
    spec: Spec = parse_spec("## Count {#count}\n\nCount well[^c1].\n").with_challenges(
        parse_challenges("- Say a's. <!-- expect regex: (a|aa)+$ -->\n- Say hi.\n", target="c1")
    )
    plain: list[float] = []  # when each plain prompt was answered

    def answer(messages: Any, params: Any) -> str:
        if "a's" in messages[-1]["content"]:
            return "a" * 40 + "!"
        plain.append(time.monotonic())
        return "hi"

    provider = ScriptedProvider("model", answer, latency=0.05)
    register("scripted", lambda model, settings: provider)
    started = time.monotonic()
    handle = run(spec, ["scripted:model"], 20, judges=[], store=Store(tmp_path / "s.sqlite"), settings=Settings())
    handle.wait(120)
    assert handle.progress.finished == 40
    hostile = handle.results.df.query("grader == 'expect'")
    assert len(hostile) == 20 and set(hostile["verdict"]) == {"error"}
    assert hostile["error"].str.contains("backtracks catastrophically").all()
    # 40 answers of 50 ms, 8 at a time: about 0.3 s. Twenty searches of a second each run meanwhile;
    # on the event loop they would hold the plain answers back by up to 20 s.
    assert len(plain) == 20 and max(plain) - started < 3


def test_a_grader_whose_applies_raises_costs_only_its_own_grades(tmp_path: Path) -> None:
    class Broken:
        id = "broken"

        def applies(self, sample: Any) -> bool:
            raise RuntimeError(f"applies bug, key {KEY}")

        def context(self, *args: Any) -> str:
            return ""

        async def grade(self, *args: Any) -> Any:
            raise AssertionError("never asked: it does not know whether it applies")

    register("scripted", lambda model, settings: ScriptedProvider("model", lambda m, p: "It is 42."))
    handle = run(SPEC, ["scripted:model"], 2, judges=[], graders=[Broken()], store=Store(tmp_path / "s.sqlite"),
                 settings=Settings(), retry=FAST)  # fmt: skip
    handle.wait(30)
    progress = handle.progress
    assert progress.finished == 4 and progress.grade_errors == 4  # broken, once per sample
    assert set(handle.results.df["grader"].dropna()) == {"expect"}  # the other graders still graded


def test_a_hostile_retry_after_falls_back_to_backoff() -> None:
    from jupyter_spec.engine.providers.http import retry_after_seconds

    assert [retry_after_seconds(v) for v in ("nan", "-1", "-inf", "inf", "soon", None, "2.5")] == [None] * 6 + [2.5]
