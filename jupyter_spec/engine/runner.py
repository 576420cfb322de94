"""Scheduling a run: sample every plan item, then grade it, with progress and cancellation.

`run(...)` returns a `Run` at once; the work happens on the background loop. Requests go through
the `Requester` (cache, concurrency limits, retries), so an unchanged re-run sends nothing and an
interrupted run resumes with exactly what is missing. A sample whose request keeps failing is an
error, never a verdict. Grades are cached by (sample, grader, what the grader judged against):
editing one clause re-grades only that clause's samples, and re-samples nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_spec.core import hooks
from jupyter_spec.core.errors import SpecError
from jupyter_spec.core.sanitize import redact
from jupyter_spec.engine import background
from jupyter_spec.engine.graders import Grade, Grader, ModelJudge, grade_key, make_graders
from jupyter_spec.engine.graders.deterministic import GraderFunction
from jupyter_spec.engine.plan import PlanItem, conversation, make_plan
from jupyter_spec.engine.providers.base import RequestFailed
from jupyter_spec.engine.records import sample_from_row
from jupyter_spec.engine.requester import Requester, RetryPolicy
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.settings import settings as default_settings
from jupyter_spec.engine.store import Store, owner
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.model import Message, Precedent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    status: str
    total: int
    done: int = 0
    errors: int = 0
    in_flight: int = 0
    cached: int = 0
    requests: int = 0  # requests to models under test
    retries: int = 0
    graded: int = 0  # grades given (cached ones included)
    unscored: int = 0
    grade_errors: int = 0
    judge_requests: int = 0
    capped_waits: int = 0  # retries where a server asked to wait longer than the cap
    elapsed: float = 0.0

    @property
    def finished(self) -> int:
        return self.done + self.errors

    @property
    def rate(self) -> float:
        """Samples finished per second so far."""
        return self.finished / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        remaining = self.total - self.finished
        return remaining / self.rate if self.rate > 0 else (0.0 if remaining == 0 else None)

    def __str__(self) -> str:
        eta = f"{self.eta:.0f}s" if self.eta is not None else "?"
        return (
            f"{self.status}: {self.finished}/{self.total} samples ({self.errors} errors, {self.cached} cached), "
            f"{self.in_flight} in flight, {self.requests} requests, {self.retries} retries, "
            f"{self.graded} grades ({self.unscored} unscored, {self.grade_errors} errors), "
            f"{self.rate:.1f}/s, ETA {eta}"
            + (f"; {self.capped_waits} waits cut short: the server asked to wait longer than allowed"
               if self.capped_waits else "")
        )  # fmt: skip


class Run:
    """A handle on a run in progress: progress events, cancel, `wait()` or `await`."""

    def __init__(
        self,
        plan: list[PlanItem],
        store: Store,
        settings: Settings,
        *,
        spec: Spec | None = None,
        graders: Sequence[Grader] = (),
        run_id: str | None = None,
        config: dict[str, Any] | None = None,
        skip: Iterable[str] = (),
        retry: RetryPolicy | None = None,
    ) -> None:
        self.id = run_id or uuid.uuid4().hex[:12]
        self.plan = plan
        self.store = store
        self.settings = settings
        self.config = config or {}
        self._requester = Requester(store, settings, self.id, retry, self._emit)
        self.spec = spec or Spec()
        self.graders = list(graders)
        self._skip = set(skip)
        self._samples: dict[str, Sample] = {}
        self._grades: dict[str, list[Grade]] = {}
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Progress], None]] = []
        self._counts = dict.fromkeys(
            ("done", "errors", "in_flight", "cached", "requests", "retries", "graded", "unscored", "grade_errors",
             "judge_requests", "capped_waits"), 0,
        )  # fmt: skip
        self._precedents: list[Precedent] = []
        self._contexts: dict[tuple[str, str], str] = {}
        # The run is in the store as soon as its handle exists, so views can read it at once.
        store.create_run(self.id, self.config, [item.to_json() for item in plan])
        self._status = "starting"
        self._started = time.monotonic()
        self._ended: float | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._cancelled = False
        self._future = background.submit(self._main())

    # -- public -------------------------------------------------------------------------------

    @property
    def progress(self) -> Progress:
        with self._lock:
            end = self._ended or time.monotonic()
            return Progress(self._status, len(self.plan), elapsed=end - self._started, **self._counts)

    @property
    def samples(self) -> list[Sample]:
        """Finished samples so far, in plan order."""
        with self._lock:
            return [self._samples[i.key] for i in self.plan if i.key in self._samples]

    @property
    def grades(self) -> dict[str, list[Grade]]:
        """Grades so far, by sample key."""
        with self._lock:
            return {key: list(grades) for key, grades in self._grades.items()}

    @property
    def results(self) -> Any:
        """What the store holds for this run as `Results`: metrics and a DataFrame (complete once
        the run is). The analysis layer builds them (see `jupyter_spec.core.hooks`)."""
        return hooks.use(hooks.RESULTS_OF_RUN)(self)

    @property
    def done(self) -> bool:
        return self._future.done()

    def subscribe(self, listener: Callable[[Progress], None]) -> None:
        """Call `listener(progress)` (from the runner's thread) whenever a sample or grade finishes."""
        self._listeners.append(listener)
        listener(self.progress)

    def cancel(self) -> None:
        """Stop sending requests; finished samples stay in the store, a later run resumes."""
        self._cancelled = True
        background.call_soon(lambda: [t.cancel() for t in self._tasks])

    def wait(self, timeout: float | None = None) -> list[Sample]:
        if threading.current_thread().name == "jupyter-spec-runner":
            raise RuntimeError("Run.wait() cannot be called from the runner's own thread")
        self._future.result(timeout)
        return self.samples

    def __await__(self) -> Any:
        async def finished() -> list[Sample]:
            await asyncio.wrap_future(self._future)
            return self.samples

        return finished().__await__()

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.progress}>"

    def show(self) -> Any:
        """Display a live dashboard of this run (in a notebook); returns it."""
        return hooks.use(hooks.SHOW_RUN)(self)

    # -- execution ----------------------------------------------------------------------------

    def _emit(self, **changes: int) -> None:
        with self._lock:
            for name, delta in changes.items():
                self._counts[name] += delta
        if not self._listeners:
            return
        progress = self.progress
        for listener in list(self._listeners):
            try:
                listener(progress)
            except Exception:  # a broken view must not break the run
                log.exception("progress listener failed")

    async def _main(self) -> None:
        self._precedents = self.store.load_precedents()
        self._status = "running"
        self._started = time.monotonic()
        self._tasks = [asyncio.ensure_future(self._execute(item)) for item in self.plan]
        if self._cancelled:
            for task in self._tasks:
                task.cancel()
        for outcome in await asyncio.gather(*self._tasks, return_exceptions=True):
            if isinstance(outcome, Exception):  # `_execute` ends every sample itself: this is a bug
                self._failure("a sample task of run", self.id, outcome)
        self._status = "cancelled" if self._cancelled else "done"
        self._ended = time.monotonic()
        self.store.set_run_status(self.id, self._status)
        self._emit()
        log.info("run %s %s: %s", self.id, self._status, self.progress)

    def _failure(self, what: str, key: str, error: BaseException) -> str:
        """An unexpected error as one line, logged once: the key redacted (tracebacks could carry it),
        the place it was raised kept for whoever debugs it."""
        frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
        where = f" (at {Path(frame[0].filename).name}:{frame[0].lineno})" if frame else ""
        message = f"{type(error).__name__}: {redact(str(error), (self.settings.api_key(),))}"
        log.error("%s %s failed: %s%s", what, key, message, where)
        return message

    async def _execute(self, item: PlanItem) -> None:
        """One plan item, from request to store. Whatever goes wrong with it ends it as an error
        sample (counted, logged once, stored where the store can take it); the run goes on."""
        try:
            if item.key in self._skip:
                row = self.store.sample(self.id, item.key)
                assert row is not None, "resume skips only samples it found in the store"
                sample = sample_from_row(item, row)
            else:
                sample = await self._sample(item)
                self.store.put_sample(self.id, sample)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure ends this sample, never the run
            sample = _failed(item, self._failure("sample", item.key, error))
            with contextlib.suppress(Exception):  # a store that cannot take even that still counts it
                self.store.put_sample(self.id, sample)
        with self._lock:
            self._samples[item.key] = sample
        failed = sample.status == "error"
        cached = 1 if not failed and sample.requests == 0 else 0
        self._emit(errors=1 if failed else 0, done=0 if failed else 1, cached=cached)
        applicable = []
        for grader in self.graders if not failed else []:
            try:
                if grader.applies(sample):
                    applicable.append(grader)
            except Exception as error:  # noqa: BLE001 - a broken grader fails its grade, not the sample's others
                self._failure(f"grader {grader.id} on", sample.key, error)
                self._emit(graded=1, grade_errors=1)
        outcomes = await asyncio.gather(*(self._grade(sample, g) for g in applicable), return_exceptions=True)
        for grader, outcome in zip(applicable, outcomes, strict=True):
            if isinstance(outcome, Exception):  # e.g. the store refused the grade: counted, never silent
                self._failure(f"grader {grader.id} on", sample.key, outcome)
                self._emit(graded=1, grade_errors=1)

    async def _sample(self, item: PlanItem) -> Sample:
        """Play the challenge: each empty assistant turn (and the end) is answered by the model."""
        messages: list[dict[str, str]] = []
        responses: list[str] = []
        totals = {"latency": 0.0, "prompt_tokens": 0, "completion_tokens": 0, "requests": 0}
        error = None
        try:
            turns = list(item.challenge.turns)
            if turns and turns[-1].role != "assistant":
                turns.append(_SAMPLE_HERE)
            for turn in turns:
                if turn.is_sample_point:
                    completion, latency, requested = await self._requester.request(
                        item.model, tuple(messages), item.request_params(), item.sample_index
                    )
                    messages.append({"role": "assistant", "content": completion.text})
                    responses.append(completion.text)
                    totals["latency"] += latency
                    totals["prompt_tokens"] += completion.prompt_tokens
                    totals["completion_tokens"] += completion.completion_tokens
                    totals["requests"] += requested
                else:
                    messages += conversation([turn])
        except RequestFailed as failure:
            error = str(failure)  # already redacted by the requester
            log.info("sample %s failed: %s", item.key, error)  # counted in progress; not shouted per sample
        except asyncio.CancelledError:
            raise
        except Exception as failure:  # noqa: BLE001 - e.g. a provider that breaks its contract
            error = self._failure("sampling", item.key, failure)
        return Sample(
            item.key, item.target, item.clause, item.challenge, item.model, item.sample_index,
            "error" if error else "ok", tuple(messages), tuple(responses), error,
            totals["latency"], int(totals["prompt_tokens"]), int(totals["completion_tokens"]), int(totals["requests"]),
        )  # fmt: skip

    def _context(self, grader: Grader, target: str) -> str:
        """What the grader judges a target against; the spec and precedents are fixed for the run."""
        if (grader.id, target) not in self._contexts:
            try:
                self._contexts[grader.id, target] = grader.context(self.spec, target, self._precedents)
            except KeyError:  # the clause is gone from the spec: nothing to judge against
                self._contexts[grader.id, target] = ""
        return self._contexts[grader.id, target]

    async def _grade(self, sample: Sample, grader: Grader) -> None:
        """One grade: from the store when nothing it depends on changed, else from the grader."""
        context = self._context(grader, sample.target)
        key = grade_key(sample, grader.id, context)
        stored = self.store.grade(key)
        if stored is not None and stored.verdict != "error":
            grade = stored
        else:
            try:
                grade = await grader.grade(sample, self.spec, self._precedents, self._requester.ask)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a broken grader fails its grade, not the run
                grade = Grade(grader.id, "error", error=self._failure(f"grader {grader.id} on", sample.key, error))
            grade = dataclasses.replace(grade, grader=grader.id, context=context)
            self.store.put_grade(key, grade, sample)
        self.store.link_grade(self.id, sample.key, grader.id, key)
        with self._lock:
            self._grades.setdefault(sample.key, []).append(grade)
        self._emit(graded=1, unscored=int(grade.verdict == "unscored"), grade_errors=int(grade.verdict == "error"))


_SAMPLE_HERE = Message("assistant", "")


def _failed(item: PlanItem, error: str) -> Sample:
    return Sample(
        item.key, item.target, item.clause, item.challenge, item.model, item.sample_index, "error", error=error
    )


def run(
    spec: Spec,
    models: Sequence[str] | str | None = None,
    samples: int = 1,
    *,
    judges: Sequence[str] | str | None = None,
    graders: Iterable[Grader | GraderFunction] = (),
    ids: Iterable[str] | None = None,
    params: dict[str, Any] | None = None,
    store: Store | str | None = None,
    settings: Settings | None = None,
    retry: RetryPolicy | None = None,
) -> Run:
    """Start sampling and grading the spec's challenges; returns at once with a `Run` handle.

    `judges` are model IDs (default: the default judge; `[]` for none). Challenges that declare
    expectations are always checked; `graders` adds Python callables or other graders.
    """
    settings = settings or default_settings
    models = [models] if isinstance(models, str) else list(models or [settings.model])
    resolved = [settings.resolve(m) for m in models]
    judges = [judges] if isinstance(judges, str) else list([settings.judge] if judges is None else judges)
    judging = make_graders([settings.resolve(j) for j in judges], graders, settings)
    plan = make_plan(spec, resolved, samples, ids, params)
    store = Store.resolve(store, settings.store)
    config = {
        "models": resolved,
        "samples": samples,
        "ids": list(ids or []),
        "params": params or {},
        "judges": [g.model for g in judging if isinstance(g, ModelJudge)],
        "graders": [g.id for g in judging],
        "spec": spec.hash,
        "spec_markdown": spec.to_markdown(),
    }
    return Run(plan, store, settings, spec=spec, graders=judging, config=config, retry=retry)


def resume(
    run_id: str,
    store: Store | str | None = None,
    settings: Settings | None = None,
    graders: Iterable[Grader | GraderFunction] = (),
) -> Run:
    """Finish an interrupted run under the same ID: only missing answers and grades are requested.

    Python graders cannot be stored: pass them again in `graders`.
    """
    settings = settings or default_settings
    store = Store.resolve(store, settings.store)
    record = store.run(run_id)
    if record is None:
        raise KeyError(f"no run {run_id!r} in {store.path}")
    if record.status == "running" and record.owner not in (None, owner()):
        raise SpecError(f"run {run_id} is still running in process {record.owner}: cancel it there first")
    config = record.config
    plan = [PlanItem.from_json(item) for item in record.plan]
    spec = parse_spec(config.get("spec_markdown", ""), source=f"run {run_id}")
    judging = make_graders(config.get("judges", []), graders, settings)
    missing = set(config.get("graders", [])) - {g.id for g in judging}
    if missing:
        log.warning("resuming run %s without graders %s: pass them in graders=", run_id, ", ".join(sorted(missing)))
    finished = {row["key"] for row in store.samples(run_id) if row["status"] == "ok"}
    store.set_run_status(run_id, "running")
    return Run(plan, store, settings, spec=spec, graders=judging, run_id=run_id, config=config, skip=finished)
