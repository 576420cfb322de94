"""`openai-batch:<model>`: chat completions through OpenAI's Batch API, for studies too large to wait on.

OpenAI prices Batch API requests at 50% of the synchronous price; the answers come back within the
batch's 24-hour completion window instead of seconds. So this provider trades latency for cost,
and the runner does not notice: `complete()` still returns one answer for one request.

How it works. `complete()` puts its request in a window and waits. A window is sent when no
request has joined it for `window` seconds (or `max_wait` after it opened, or when one more would
pass the Batch API's limits of 50,000 requests or 200 MB a file): its requests become one JSONL
file (each line `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`, the body
exactly what `OpenAIProvider` sends: the same `wire()` messages and parameters), uploaded with the
official client (`files.create(purpose="batch")`), then one batch (`batches.create`). The batch is
polled every `poll_interval` seconds; when it ends, its output and error files are read and every
waiting request gets its answer, or a `ProviderError` (a failed line, or a batch that failed,
expired or was cancelled: retryable where trying again can help), so the runner retries and
finally records an error, never a verdict.

What survives a restart. A request's `custom_id` is a hash of the model and the body, and of the
requester's key for it (which adds the sample index), so it is the same in every process. The
Requester hands the provider its store (`bind`), whose ledger keeps each batch's ID, endpoint,
status, files and the custom_ids it holds, written the moment the batch exists. Before sending a
request the provider asks the ledger: one in a batch still under way is awaited there; one in a
batch that ended is read from that batch's output file; only one that no batch answered is sent
again. So a kernel killed mid-batch and resumed (`runner.resume`) uploads nothing twice. (A kill
in the instant between `batches.create` returning and the ledger write would send that window
again: the one gap left.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import openai

from jupyter_spec.core.sanitize import redact
from jupyter_spec.engine.providers.base import Completion, Messages, ProviderError, chat_messages, request_key
from jupyter_spec.engine.providers.bodies import MAX_BODY
from jupyter_spec.engine.providers.network import ca_bundle as find_ca_bundle
from jupyter_spec.engine.providers.network import check_header, route
from jupyter_spec.engine.providers.official import official_client
from jupyter_spec.engine.providers.openai import _completion
from jupyter_spec.engine.settings import Settings
from jupyter_spec.spec.model import stable_hash

log = logging.getLogger(__name__)

URL = "/v1/chat/completions"
MAX_REQUESTS = 50_000  # the Batch API's limits for one input file
MAX_BYTES = 200_000_000
FINISHED = frozenset({"completed", "failed", "expired", "cancelled"})
READABLE = frozenset({"completed", "expired", "cancelled"})  # ended, but may hold answers
KEEP_RESULTS = 4  # ended batches whose answers stay in memory (read again from their file when needed)

Outcome = Completion | ProviderError


class BatchLedger(Protocol):
    """Where batches are remembered across processes (the store implements it; providers sit below
    the store, so they are handed one rather than importing it)."""

    def put_batch(
        self, batch_id: str, *, endpoint: str, model: str, status: str, input_file: str, custom_ids: Sequence[str]
    ) -> None: ...

    def update_batch(
        self, batch_id: str, *, status: str, output_file: str | None = None, error_file: str | None = None
    ) -> None: ...

    def batches_holding(self, custom_id: str, endpoint: str) -> list[dict[str, Any]]: ...


@dataclass
class _Line:
    custom_id: str
    text: str
    waiters: list[asyncio.Future[Completion]] = field(default_factory=list)


@dataclass
class _Session:
    """One event loop's state: an async client and its futures belong to the loop that made them."""

    client: openai.AsyncOpenAI
    window: dict[str, _Line] = field(default_factory=dict)
    window_bytes: int = 0
    opened: float = 0.0
    last: float = 0.0
    flusher: asyncio.Task[None] | None = None
    sending: dict[str, _Line] = field(default_factory=dict)  # uploaded or being uploaded, no batch yet
    waiting: dict[str, dict[str, list[asyncio.Future[Completion]]]] = field(default_factory=dict)
    watchers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    results: dict[str, asyncio.Task[dict[str, Outcome]]] = field(default_factory=dict)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


def _settle(futures: Sequence[asyncio.Future[Completion]], outcome: Outcome) -> None:
    for future in futures:
        if future.done():  # its request was cancelled
            continue
        if isinstance(outcome, ProviderError):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _without_credentials(url: str) -> str:
    """A base URL as the ledger keeps it: no user:password part, no query."""
    parts = urlsplit(url.rstrip("/"))
    host = f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _retryable(status: int | None) -> bool:
    return status is None or status in (408, 409, 429) or status >= 500


def _api_error(what: str, error: openai.APIError) -> ProviderError:
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        return ProviderError(f"{what}: HTTP {status}: {error.message}", retryable=_retryable(status), status=status)
    return ProviderError(f"{what}: {error}", retryable=True)


class BatchProvider:
    """`openai-batch:<model>`: the key comes from the environment and is held only by the client."""

    name = "openai-batch"
    timeout = None  # answers take minutes to hours: the runner must not give up on them

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None,
        base_url: str | None,
        developer_role: bool = True,
        concurrency: int = 1_000_000,  # a waiting request costs nothing but a future
        window: float = 2.0,
        max_wait: float = 30.0,
        poll_interval: float = 30.0,
        max_requests: int = MAX_REQUESTS,
        max_bytes: int = MAX_BYTES,
        organization: str | None = None,
        project: str | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self.model = model
        self.developer_role = developer_role
        self.concurrency = concurrency
        self.base_url = base_url
        self.window, self.max_wait, self.poll_interval = window, max_wait, poll_interval
        self.max_requests, self.max_bytes = max_requests, max_bytes
        self.endpoint = _without_credentials(base_url or "https://api.openai.com/v1")
        self._api_key = api_key
        self._account = {"organization": organization, "project": project}
        self._ca_bundle = find_ca_bundle(ca_bundle)
        check_header("the API key", api_key)
        route(self.endpoint, has_key=bool(api_key))  # a URL or proxy that would leak the key: refused now
        self._ledger: BatchLedger | None = None
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Session] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"BatchProvider(model={self.model!r}, base_url={self.base_url!r})"

    def bind(self, ledger: BatchLedger) -> None:
        """Keep batches in `ledger` (the Requester passes its store) so another process finds them."""
        self._ledger = ledger

    def wire(self, messages: Messages) -> list[dict[str, Any]]:
        return chat_messages(messages, developer_role=self.developer_role, tool_calls=True)

    def body(self, messages: Messages, params: dict[str, Any]) -> dict[str, Any]:
        """What `OpenAIProvider` would send for the same request."""
        return {"model": self.model, "messages": self.wire(messages), **params}

    def custom_id(self, body: dict[str, Any]) -> str:
        """The same in every process for the same request (the requester's key adds the sample index;
        without one, as when called directly, identical requests share a line and its answer)."""
        return f"js-{stable_hash(self.model, body, request_key.get())}"

    def _session(self) -> _Session:
        loop = asyncio.get_running_loop()
        if loop not in self._sessions:
            client = official_client(
                self.base_url, self._api_key, self._ca_bundle, MAX_BODY, max_retries=2, **self._account
            )
            self._sessions[loop] = _Session(client)
        return self._sessions[loop]

    def _spawn(self, session: _Session, work: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work)
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)
        return task

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion:
        body = self.body(messages, params)
        custom_id = self.custom_id(body)
        session = self._session()
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        if not await self._from_ledger(session, custom_id, future):
            self._enqueue(session, custom_id, body, future)
        return await future

    # -- a request some batch already holds ---------------------------------------------------

    async def _from_ledger(self, session: _Session, custom_id: str, future: asyncio.Future[Completion]) -> bool:
        """Whether the request is answered by a batch already sent (awaited, or read from its output)."""
        if custom_id in session.sending:  # the same request, asked twice while its window is uploaded
            session.sending[custom_id].waiters.append(future)
            return True
        if self._ledger is None:
            return False
        newest = next(iter(self._ledger.batches_holding(custom_id, self.endpoint)), None)
        if newest is None:
            return False
        batch_id, status = newest["id"], newest["status"]
        if status not in FINISHED:
            session.waiting.setdefault(batch_id, {}).setdefault(custom_id, []).append(future)
            self._watch(session, batch_id)
            return True
        if status not in READABLE or not (newest["output_file"] or newest["error_file"]):
            return False
        try:
            results = await self._results(session, batch_id, status, newest["output_file"], newest["error_file"])
        except ProviderError as error:
            future.set_exception(error)
            return True
        outcome = results.get(custom_id)
        if not isinstance(outcome, Completion):  # that batch failed it: this attempt sends it again
            return False
        future.set_result(outcome)
        return True

    # -- the window: requests gathered into one file ------------------------------------------

    def _enqueue(self, session: _Session, custom_id: str, body: dict[str, Any], future: asyncio.Future[Any]) -> None:
        line = session.window.get(custom_id)
        if line is None:
            text = json.dumps({"custom_id": custom_id, "method": "POST", "url": URL, "body": body})  # ASCII: a lone
            size = len(text) + 1  # surrogate in a prompt is an escape, valid JSON, not a byte no file can hold
            full = len(session.window) >= self.max_requests or session.window_bytes + size > self.max_bytes
            if session.window and full:
                self._send_window(session)
            line = session.window[custom_id] = _Line(custom_id, text)
            session.window_bytes += size
        line.waiters.append(future)
        now = time.monotonic()
        session.opened = session.opened or now
        session.last = now
        if session.flusher is None:
            session.flusher = self._spawn(session, self._send_when_quiet(session))

    async def _send_when_quiet(self, session: _Session) -> None:
        try:
            while session.window:
                due = min(session.last + self.window, session.opened + self.max_wait)
                if time.monotonic() >= due:
                    self._send_window(session)
                else:
                    await asyncio.sleep(due - time.monotonic())
        finally:
            session.flusher = None

    def _send_window(self, session: _Session) -> None:
        # a request cancelled while its window was open (a cancelled run) is not paid for
        lines = [line for line in session.window.values() if not all(future.done() for future in line.waiters)]
        session.window, session.window_bytes, session.opened = {}, 0, 0.0
        if not lines:
            return
        session.sending.update((line.custom_id, line) for line in lines)
        self._spawn(session, self._send(session, lines))

    async def _send(self, session: _Session, lines: list[_Line]) -> None:
        """Upload the lines as one file, create one batch, record it, and watch it."""
        ledger, client = self._ledger, session.client
        try:
            payload = "".join(line.text + "\n" for line in lines).encode("ascii")
            try:
                uploaded = await client.files.create(file=("requests.jsonl", payload), purpose="batch")
                batch = await client.batches.create(
                    input_file_id=uploaded.id, endpoint=URL, completion_window="24h",
                    metadata={"created_by": "jupyter-spec"},
                )  # fmt: skip
            except openai.APIError as error:
                failure = _api_error(f"sending a batch of {len(lines)}", error)
                for line in lines:
                    _settle(line.waiters, failure)
                return
            log.info("batch %s: %d requests to %s (%s)", batch.id, len(lines), self.model, self.endpoint)
            if ledger is not None:
                try:
                    ledger.put_batch(batch.id, endpoint=self.endpoint, model=self.model, status=batch.status,
                                     input_file=uploaded.id, custom_ids=[line.custom_id for line in lines])  # fmt: skip
                except Exception:  # the batch is under way all the same: await it
                    log.exception("batch %s could not be recorded; a restarted kernel would send it again", batch.id)
            waiting = session.waiting.setdefault(batch.id, {})
            for line in lines:
                waiting.setdefault(line.custom_id, []).extend(line.waiters)
            self._watch(session, batch.id)
        finally:
            for line in lines:
                session.sending.pop(line.custom_id, None)

    # -- a batch under way: polled until it ends, then every waiting request settled ----------

    def _watch(self, session: _Session, batch_id: str) -> None:
        if batch_id not in session.watchers:
            session.watchers[batch_id] = self._spawn(session, self._poll(session, batch_id))

    def _waited_for(self, session: _Session, batch_id: str) -> bool:
        waiting = session.waiting.get(batch_id, {})
        return any(not future.done() for futures in waiting.values() for future in futures)

    async def _poll(self, session: _Session, batch_id: str) -> None:
        """Until the batch ends, or no request waits for it any more (a later one resumes watching)."""
        status = None
        try:
            while self._waited_for(session, batch_id):
                try:
                    batch = await session.client.batches.retrieve(batch_id)
                except openai.NotFoundError:  # not at this endpoint (any more): its requests go again
                    self._record(batch_id, "failed")
                    self._end(session, batch_id, {}, f"batch {batch_id} is unknown at {self.endpoint}")
                    return
                except openai.APIError as error:  # a network outage must not lose a day's batch: keep asking
                    log.warning("batch %s: polling failed (%s); trying again", batch_id, _api_error("poll", error))
                    await asyncio.sleep(self.poll_interval)
                    continue
                if batch.status in FINISHED:
                    self._record(batch_id, batch.status, batch.output_file_id, batch.error_file_id)
                    try:
                        results = await self._results(
                            session, batch_id, batch.status, batch.output_file_id, batch.error_file_id
                        )
                    except ProviderError as error:
                        self._end(session, batch_id, {}, str(error))
                        return
                    reason = f"batch {batch_id} {batch.status}" + _errors(batch)
                    self._end(session, batch_id, results, redact(reason, [self._api_key]))
                    return
                if batch.status != status:
                    status = batch.status
                    self._record(batch_id, status)
                await asyncio.sleep(self.poll_interval)
        finally:
            session.watchers.pop(batch_id, None)
            if not self._waited_for(session, batch_id):
                session.waiting.pop(batch_id, None)

    def _record(
        self, batch_id: str, status: str, output_file: str | None = None, error_file: str | None = None
    ) -> None:
        if self._ledger is not None:
            try:
                self._ledger.update_batch(batch_id, status=status, output_file=output_file, error_file=error_file)
            except Exception:  # the ledger serves a later process; the answers arrive all the same
                log.exception("batch %s: its status could not be recorded", batch_id)

    def _end(self, session: _Session, batch_id: str, results: dict[str, Outcome], reason: str) -> None:
        """Settle every request waiting on a batch that ended; one it did not answer may be sent again."""
        for custom_id, futures in session.waiting.pop(batch_id, {}).items():
            _settle(futures, results.get(custom_id) or ProviderError(f"{reason}: no answer", retryable=True))

    async def _results(
        self, session: _Session, batch_id: str, status: str, output_file: str | None, error_file: str | None
    ) -> dict[str, Outcome]:
        """An ended batch's answers and failures by custom_id, read once per process."""
        if batch_id not in session.results:
            session.results[batch_id] = self._spawn(session, self._read(session, output_file, error_file))
            for old in [b for b, task in session.results.items() if task.done()][:-KEEP_RESULTS]:
                del session.results[old]  # a long-lived kernel keeps the answers of its last few batches only
        try:
            return await asyncio.shield(session.results[batch_id])
        except openai.APIError as error:
            session.results.pop(batch_id, None)  # the next request tries to read it again
            raise _api_error(f"reading the results of batch {batch_id} ({status})", error) from None

    async def _read(self, session: _Session, output_file: str | None, error_file: str | None) -> dict[str, Outcome]:
        results: dict[str, Outcome] = {}
        for file_id in (error_file, output_file):  # an answer wins over a failure of the same line
            if file_id:
                content = await session.client.files.content(file_id)
                for text in content.text.splitlines():
                    if text.strip():
                        custom_id, outcome = self._outcome(text)
                        if custom_id is not None:
                            results[custom_id] = outcome
        return results

    def _outcome(self, text: str) -> tuple[str | None, Outcome]:
        """One line of an output or error file as an answer or a failure."""
        try:
            entry = json.loads(text)
        except ValueError:
            return None, ProviderError("a result line that is not JSON", retryable=True)
        if not isinstance(entry, dict):
            return None, ProviderError("a result line that is no object", retryable=True)
        custom_id = entry.get("custom_id") if isinstance(entry.get("custom_id"), str) else None
        response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
        status = response.get("status_code") if isinstance(response.get("status_code"), int) else None
        body = response.get("body")
        error = entry.get("error")
        if not error and status == 200:
            try:
                return custom_id, _completion(body, self._api_key)
            except ProviderError as failure:
                return custom_id, failure
        message = _message(error) or _message(body.get("error") if isinstance(body, dict) else None) or "failed"
        message = f"HTTP {status}: {message}" if status else message
        message = redact(f"batch line: {message}", [self._api_key])
        return custom_id, ProviderError(message, retryable=_retryable(status), status=status)


def _message(error: Any) -> str:
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        return " ".join(str(part) for part in (code, message) if part)
    return str(error) if error else ""


def _errors(batch: Any) -> str:
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    return "".join(f"; {e.code}: {e.message}" for e in errors[:3])


def factory(**options: Any) -> Callable[[str, Settings], BatchProvider]:
    """A provider factory with other timings or limits: `register("openai-batch", factory(poll_interval=5))`."""

    def make(model: str, settings: Settings) -> BatchProvider:
        return BatchProvider(
            model,
            api_key=settings.api_key(),
            base_url=settings.openai_base_url,
            developer_role=settings.sends_developer_role(),
            organization=getattr(settings, "openai_organization", None),  # where the settings have them
            project=getattr(settings, "openai_project", None),
            ca_bundle=getattr(settings, "ca_bundle", None),
            **options,
        )

    return make
