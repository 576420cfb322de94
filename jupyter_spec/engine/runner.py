"""Running a plan: each item is played by a solver, stored, then graded, with progress and cancellation.

`run(...)` returns a `Run` at once, whatever the plan's size: the plan is listed, stored and
played on the background loop, a window of items at a time, so the first request leaves while
the rest of the plan is still being listed. Requests go through the `Requester` (cache,
concurrency limits, retries), so an unchanged re-run sends nothing and an interrupted run
resumes with exactly what is missing. A sample whose request keeps failing is an
error, never a verdict. How a challenge becomes a conversation is the solver's business
(`solvers.py`); how samples are judged and the grades cached is `grading.py`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from jupyter_spec.core import hooks
from jupyter_spec.core.errors import SpecError
from jupyter_spec.core.ids import GraderId
from jupyter_spec.engine import background, failures
from jupyter_spec.engine import settings as defaults  # the one settings object, read when used
from jupyter_spec.engine.graders import Grade, Grader, ModelJudge, make_graders
from jupyter_spec.engine.graders.base import check_targets, same_targets, targets_of
from jupyter_spec.engine.graders.python import GraderFunction
from jupyter_spec.engine.grading import Grading
from jupyter_spec.engine.plan import Plan, PlanItem, challenge_json, plan_json
from jupyter_spec.engine.progress import Progress, Tally
from jupyter_spec.engine.providers import get_provider
from jupyter_spec.engine.providers.base import RequestFailed
from jupyter_spec.engine.records import sample_from_row
from jupyter_spec.engine.requester import Requester, RetryPolicy
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.solvers import AnswerTurns, Solver, Transcript, stored_solver
from jupyter_spec.engine.store import Store, owner
from jupyter_spec.spec.conflicts import expand_also
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.model import Precedent, stable_hash

log = logging.getLogger(__name__)

# A conversation with every kind of turn: how a provider sends it tells how it sends any other.
WIRE_PROBE: tuple[dict[str, str], ...] = (
    {"role": "developer", "content": "d"}, {"role": "system", "content": "s"}, {"role": "user", "content": "u"},
    {"role": "assistant", "content": "c", "recipient": "functions.f"},
    {"role": "tool", "name": "functions.f", "content": "t"}, {"role": "assistant", "content": "a"},
)  # fmt: skip
PLAN_CHUNK = 1_000  # items listed between two turns of the loop
MIN_WINDOW, MAX_WINDOW = 64, 100_000  # items in play at once (`Run._window`)


class StoredSamples(Sequence[Sample]):
    """Samples read from the store the first time they are looked at (a list otherwise)."""

    def __init__(self, load: Callable[[], list[Sample]]) -> None:
        self._load = load
        self._loaded: list[Sample] | None = None

    @property
    def _samples(self) -> list[Sample]:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def __len__(self) -> int:
        return len(self._samples)

    def __getitem__(self, index: Any) -> Any:
        return self._samples[index]

    def __eq__(self, other: object) -> bool:
        return self._samples == (list(other) if isinstance(other, StoredSamples) else other)

    def __repr__(self) -> str:
        return f"<{len(self)} samples>"


class Run:
    """A handle on a run in progress: progress events, cancel, `wait()` or `await`.

    `record=False` runs without a trace in the store's runs (calibration does: its record is the
    calibration); completions and grades are cached all the same. A recorded run keeps its
    samples and grades in the store only (100,000 of them are not held in memory).
    """

    def __init__(
        self,
        plan: Plan | Sequence[PlanItem],
        store: Store,
        settings: Settings,
        *,
        spec: Spec | None = None,
        graders: Sequence[Grader] = (),
        run_id: str | None = None,
        config: dict[str, Any] | None = None,
        skip: Iterable[str] = (),
        retry: RetryPolicy | None = None,
        solver: Solver | None = None,
        precedents: Sequence[Precedent] | None = None,
        record: bool = True,
    ) -> None:
        self.id = run_id or uuid.uuid4().hex[:12]
        self.total = len(plan)
        self._source = plan
        self._plan: list[PlanItem] = []  # listed so far (all of it once `_planned` is set)
        self._planned = threading.Event()
        self._more = asyncio.Event()  # more of the plan is listed
        self.store = store
        self.spec = spec or Spec()
        self.graders = list(graders)
        self.config = config or {}
        self._secrets = (settings.api_key(),)
        self._tally = Tally(self.total)
        self._requester = Requester(store, settings, self.id, retry, self._tally.add)
        self._solver = solver or AnswerTurns()
        self._grading = Grading(self.graders, self.spec, store, self._requester.ask, self._tally, self._report,
                                self.id if record else None)  # fmt: skip
        self._precedents = precedents
        self._record = record
        self._skip = set(skip)  # keys of samples the store has for this run already (resumed, or reused)
        self._graded: set[str] = set()  # of those, the keys of samples graded from the store (`Grading.from_store`)
        self._players: dict[str, str | None] = {}  # model -> how its items are played (`_replay`)
        self._gradable_challenges: dict[int, bool] = {}  # id(challenge) -> `_gradable` (the plan holds them)
        self._samples: dict[str, Sample] = {}  # only when not recorded: the store has them otherwise
        self._lock = threading.Lock()
        if record:  # in the store as soon as the handle exists, so views can read it at once
            store.create_run(self.id, self.config)
        self._tasks: set[asyncio.Task[None]] = set()
        self._cancelled = False
        background.run_started()
        self._future = background.submit(self._main())

    # -- public -------------------------------------------------------------------------------

    @property
    def progress(self) -> Progress:
        return self._tally.progress

    @property
    def plan(self) -> list[PlanItem]:
        """Every item of the plan, in order (listed on the background loop: this waits until it is)."""
        if threading.current_thread().name != "jupyter-spec-runner":
            self._planned.wait()
        return self._plan

    @property
    def samples(self) -> Sequence[Sample]:
        """Finished samples so far, in plan order (of a recorded run: read from the store when
        first looked at, so a run of 100,000 builds them only for a caller that wants them)."""
        if not self._record:
            with self._lock:
                return [self._samples[i.key] for i in self.plan if i.key in self._samples]
        return StoredSamples(self._stored_samples)

    def _stored_samples(self) -> list[Sample]:
        rows = {row["key"]: row for row in self.store.samples(self.id)}
        return [sample_from_row(i, rows[i.key], resumed=False) for i in self.plan if i.key in rows]

    @property
    def grades(self) -> dict[str, list[Grade]]:
        """Grades so far, by sample key."""
        if not self._record:
            return self._grading.grades
        out: dict[str, list[Grade]] = {}
        for key, grade in self.store.run_grades(self.id):
            out.setdefault(key, []).append(grade)
        return out

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
        self._tally.subscribe(listener)

    def cancel(self) -> None:
        """Stop sending requests; finished samples stay in the store, a later run resumes."""
        self._cancelled = True
        background.call_soon(lambda: [t.cancel() for t in list(self._tasks)])

    def wait(self, timeout: float | None = None) -> Sequence[Sample]:
        if threading.current_thread().name == "jupyter-spec-runner":
            raise RuntimeError("Run.wait() cannot be called from the runner's own thread")
        self._future.result(timeout)
        return self.samples

    def __await__(self) -> Any:
        async def finished() -> Sequence[Sample]:
            await asyncio.wrap_future(self._future)
            return self.samples

        return finished().__await__()

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.progress}>"

    def show(self) -> Any:
        """Display a live dashboard of this run (in a notebook); returns it."""
        return hooks.use(hooks.SHOW_RUN)(self)

    # -- execution ----------------------------------------------------------------------------

    async def _main(self) -> None:
        try:
            self._grading.precedents = self.store.load_precedents() if self._precedents is None else self._precedents
            self._tally.start()
            listing = asyncio.ensure_future(self._list_plan())
            await self._play()
            await listing
            status = "cancelled" if self._cancelled else "done"
            if self._record:
                self.store.set_run_status(self.id, status)  # after every queued row: it writes them first
            self._tally.end(status)
            log.info("run %s %s: %s", self.id, status, self.progress)
        finally:
            self._planned.set()
            background.run_ended()

    async def _list_plan(self) -> None:
        """List the plan a chunk at a time (the loop sends requests in between), then record it.
        Samples an earlier run took exactly as this one would are copied in the store, not played
        again, and graded from the store: a chunk's copy runs in SQLite (off the interpreter lock)
        while the next is listed and the one before is graded."""
        source = iter(self._source)
        kept: asyncio.Future[None] | None = None  # the last chunk's keeping and copying
        handed: asyncio.Future[None] | None = None  # the last chunk's grading from the store, then `_play`
        start = 0
        try:
            while chunk := list(itertools.islice(source, PLAN_CHUNK)):
                replays = {item.key: replay for item in chunk if (replay := self._replay(item)) is not None}
                if kept is not None:
                    await kept
                kept = asyncio.ensure_future(self._copy(chunk, start, replays))
                handed = asyncio.ensure_future(self._hand(chunk, kept, handed))
                start += len(chunk)
                await asyncio.sleep(0)
            if handed is not None:
                await handed
        finally:  # even when listing fails (a bug, raised by `wait`), what was listed is played
            self._planned.set()
            self._more.set()
        if self._record:
            await asyncio.to_thread(self._describe)

    @property
    def _resumed(self) -> bool:
        """A resumed run has its plan and spec in the store already (the spec is written last)."""
        return "spec_markdown" in self.config

    def _describe(self) -> None:
        """Record the spec, once the whole plan is kept (off the loop)."""
        config = self.config
        if not self._resumed:
            spec = self.spec
            config = config | {"spec": spec.hash, "spec_markdown": spec.to_markdown(),
                               "spec_challenges": [challenge_json(c) for c in spec.challenges]}  # fmt: skip
        self.store.describe_run(self.id, config)

    async def _copy(self, chunk: list[PlanItem], start: int, replays: dict[str, str]) -> None:
        """Keep a chunk of the plan and copy what can be copied of it."""
        if self._record:
            try:
                self._skip |= await asyncio.to_thread(self._keep, chunk, start, replays)
            except Exception as error:  # noqa: BLE001 - nothing copied: the chunk is played instead
                self._report("keeping the plan of run", self.id, error)

    async def _hand(
        self, chunk: list[PlanItem], kept: asyncio.Future[None], before: asyncio.Future[None] | None
    ) -> None:
        """Once a chunk is kept, and the chunk before it handed on: grade from the store the samples it
        has there already, then hand it to `_play` (samples with nothing left to grade are counted there
        and never become tasks). The next chunk is kept meanwhile."""
        await kept
        if before is not None:
            await before
        stored = [item for item in chunk if item.key in self._skip and self._gradable(item)] if self._record else []
        if stored:
            try:
                self._graded |= await asyncio.to_thread(self._grading.from_store, stored)
            except Exception as error:  # noqa: BLE001 - nothing linked: each sample is graded on its own instead
                self._report("grading from the store the samples of run", self.id, error)
        self._plan += chunk
        self._more.set()

    def _keep(self, chunk: list[PlanItem], start: int, replays: dict[str, str]) -> set[str]:
        """Off the loop: the chunk's items in the store (JSON encoded item by item, so the lock is
        never held for long), and the keys of the samples copied from earlier runs."""
        if not self._resumed:  # else the plan is whole in the store: left as it is
            self.store.add_plan(self.id, start, plan_json(chunk), later=True)
        return self.store.reuse_samples(self.id, replays) if replays else set()

    def _replay(self, item: PlanItem) -> str | None:
        """What plays the item: its key, the solver, and how its provider sends messages (`wire`).
        None where that cannot be told: a solver of one's own (its config may not say everything
        it does), an unknown model, an unrecorded run."""
        if not self._record or type(self._solver) is not AnswerTurns:
            return None
        if item.model not in self._players:
            try:
                provider = self._requester.provider(item.model)
            except RequestFailed:
                self._players[item.model] = None
            else:
                sends = provider.wire(WIRE_PROBE) if hasattr(provider, "wire") else None
                self._players[item.model] = stable_hash(AnswerTurns.__name__, type(provider).__qualname__, sends)
        player = self._players[item.model]
        return f"{item.key}:{player}" if player else None

    async def _play(self) -> None:
        """Play the items as they are listed, at most `window` at a time: enough to keep every
        provider busy, few enough that memory and the time to the first request do not grow with
        the plan."""
        window = asyncio.Semaphore(self._window())
        position = copied = 0  # copied: samples in the store already, counted a chunk at a time
        while True:
            if position == len(self._plan):
                if self._planned.is_set():
                    break
                self._tally.add(done=copied, cached=copied)
                copied = 0
                self._more.clear()
                await self._more.wait()
                continue
            item = self._plan[position]
            position += 1
            if self._cancelled:
                break
            if item.key in self._skip and (item.key in self._graded or not self._gradable(item)):  # all in the store
                copied += 1
                if copied == PLAN_CHUNK:
                    self._tally.add(done=copied, cached=copied)
                    copied = 0
                continue
            await window.acquire()
            task = asyncio.ensure_future(self._execute(item))
            self._tasks.add(task)
            task.add_done_callback(lambda done: (self._tasks.discard(done), window.release()))
        self._tally.add(done=copied, cached=copied)
        for outcome in await asyncio.gather(*self._tasks, return_exceptions=True):
            if isinstance(outcome, Exception):  # `_execute` ends every sample itself: this is a bug
                self._report("a sample task of run", self.id, outcome)

    def _gradable(self, item: PlanItem) -> bool:
        """Whether a grader may have something to say about the item's samples (graders that can
        tell from the challenge alone say so with `applies_to`); asked once per challenge."""
        gradable = self._gradable_challenges.get(id(item.challenge))
        if gradable is None:
            applies = [getattr(g, "applies_to", lambda challenge: True) for g in self.graders]
            gradable = self._gradable_challenges[id(item.challenge)] = any(a(item.challenge) for a in applies)
        return gradable

    def _window(self) -> int:
        """Items in play at once: twice what the run's providers take at once."""
        capacity = 0
        for model in {*self.config.get("models", ()), *self.config.get("judges", ())}:
            try:
                capacity += get_provider(model, self._requester.settings).concurrency
            except Exception:  # noqa: BLE001 - an unknown model fails its samples, one by one
                capacity += 1
        return min(max(2 * capacity, MIN_WINDOW), MAX_WINDOW)

    def _report(self, what: str, key: str, error: BaseException) -> str:
        return failures.report(what, key, error, self._secrets)

    async def _execute(self, item: PlanItem) -> None:
        """One plan item, from request to store to grades. Whatever goes wrong with it ends it as an
        error sample (counted, logged once, stored where the store can take it); the run goes on."""
        try:
            if item.key in self._skip:
                row = self.store.sample(self.id, item.key)
                assert row is not None, "resume skips only samples it found in the store"
                sample = sample_from_row(item, row)
            else:
                sample = await self._sample(item)
                self._store_sample(sample, self._replay(item) if sample.status == "ok" else None)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure ends this sample, never the run
            sample = Transcript().sample(item, self._report("sample", item.key, error))
            with contextlib.suppress(Exception):  # a store that cannot take even that still counts it
                self._store_sample(sample)
        if not self._record:
            with self._lock:
                self._samples[item.key] = sample
        failed = sample.status == "error"
        self._tally.add(errors=int(failed), done=int(not failed), cached=int(not failed and sample.requests == 0))
        await self._grading.grade(sample)

    def _store_sample(self, sample: Sample, replay: str | None = None) -> None:
        if self._record:
            self.store.put_sample(self.id, sample, replay)

    async def _sample(self, item: PlanItem) -> Sample:
        """The solver plays the item; a request that keeps failing makes it an error sample."""
        transcript, error = Transcript(), None
        try:
            await self._solver.solve(item, transcript, self._requester.request)
        except RequestFailed as failure:
            error = str(failure)  # already redacted by the requester
            log.info("sample %s failed: %s", item.key, error)  # counted in progress; not shouted per sample
        except asyncio.CancelledError:
            raise
        except Exception as failure:  # noqa: BLE001 - e.g. a provider that breaks its contract
            error = self._report("sampling", item.key, failure)
        return transcript.sample(item, error)


def run(
    spec: Spec,
    models: Sequence[str] | str | None = None,
    samples: int = 1,
    *,
    judges: Sequence[str | ModelJudge] | str | ModelJudge | None = None,
    graders: Iterable[Grader | GraderFunction] = (),
    ids: Iterable[str] | None = None,
    params: dict[str, Any] | None = None,
    store: Store | str | None = None,
    settings: Settings | None = None,
    retry: RetryPolicy | None = None,
    solver: Solver | None = None,
) -> Run:
    """Start sampling and grading the spec's challenges; returns at once with a `Run` handle.

    `judges` are model IDs, or `ModelJudge`s (e.g. limited to some `targets`) (default: the default
    judge; `[]` for none). Challenges that declare expectations are always checked; `graders` adds
    Python callables or other graders. `solver` plays each challenge (default `AnswerTurns`: the
    model answers each assistant turn). A grader limited to targets the spec lacks is refused.
    """
    solver = solver or AnswerTurns()
    settings = settings or defaults.settings
    models = [models] if isinstance(models, str) else list(models or [settings.model])
    resolved = [settings.resolve(m) for m in models]
    judges = [judges] if isinstance(judges, (str, ModelJudge)) else list([settings.judge] if judges is None else judges)
    judging = make_graders([j if isinstance(j, ModelJudge) else settings.resolve(j) for j in judges], graders, settings)
    check_targets(judging, spec)
    ids = list(ids or [])
    plan = Plan(expand_also(spec), resolved, samples, ids, params)  # `also=`: graded under each clause
    store = Store.resolve(store, settings.store)
    config = {
        "models": resolved,
        "samples": samples,
        "ids": ids,
        "params": params or {},
        "judges": [g.model for g in judging if isinstance(g, ModelJudge)],
        "graders": [g.id for g in judging],
        "solver": type(solver).__name__,
        "solver_config": getattr(solver, "config", None),
        **({"grader_targets": limited} if (limited := targets_of(judging)) else {}),  # the results read them
    }  # the spec's hash, text and challenges are added by the run itself, off this thread
    return Run(plan, store, settings, spec=spec, graders=judging, config=config, retry=retry, solver=solver)


def resume(
    run_id: str,
    store: Store | str | None = None,
    settings: Settings | None = None,
    graders: Iterable[Grader | GraderFunction] = (),
    solver: Solver | None = None,
) -> Run:
    """Finish an interrupted run under the same ID: only missing answers and grades are requested.

    Python graders and solvers of one's own cannot be stored: pass them again (`graders`, `solver`).
    """
    settings = settings or defaults.settings
    store = Store.resolve(store, settings.store)
    record = store.run(run_id)
    if record is None:
        raise KeyError(f"no run {run_id!r} in {store.path}")
    if record.status == "running" and record.owner not in (None, owner()):
        raise SpecError(f"run {run_id} is still running in process {record.owner}: cancel it there first")
    config = record.config
    if "spec_markdown" not in config:
        raise SpecError(f"run {run_id} ended before its spec and plan were recorded: start it again")
    spec = parse_spec(config["spec_markdown"], source=f"run {run_id}")
    played_by = config.get("solver", AnswerTurns.__name__)
    solver = solver or stored_solver(played_by, config.get("solver_config"), spec)
    if solver is None or type(solver).__name__ != played_by:
        raise SpecError(f"run {run_id} was played by the solver {played_by}: pass it again as solver=")
    plan = [PlanItem.from_json(item) for item in record.plan]
    if not plan:
        raise SpecError(f"run {run_id} has no plan in {store.path}: start it again")
    recorded = config.get("grader_targets", {})  # a judge limited to targets is limited again
    judges = [ModelJudge(j, settings, targets=recorded.get(GraderId.judge(j))) for j in config.get("judges", [])]
    judging = make_graders(judges, graders, settings)
    same_targets(judging, config, run_id)
    missing = set(config.get("graders", [])) - {g.id for g in judging}
    if missing:
        log.warning("resuming run %s without graders %s: pass them in graders=", run_id, ", ".join(sorted(missing)))
    finished = {row["key"] for row in store.samples(run_id) if row["status"] == "ok"}
    store.set_run_status(run_id, "running")
    return Run(
        plan, store, settings, spec=spec, graders=judging, run_id=run_id, config=config, skip=finished, solver=solver
    )
