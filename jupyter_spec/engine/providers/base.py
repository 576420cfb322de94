"""What every provider offers: one chat completion for one list of messages.

Providers do no retrying and no caching: the runner does both, once, for all of them.
"""

from __future__ import annotations

import json
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# A conversation as jupyter-spec keeps it: `role` and `content`, plus a turn's attributes where it
# has any (`recipient` of an assistant message to a tool, `name` of the tool that answers).
Messages = tuple[dict[str, str], ...]


def _function_name(name: str) -> str:
    """A tool name as a function name: `functions.lookup` -> `lookup`; other characters -> `_`."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name.removeprefix("functions."))[:64] or "tool"


def _call(call: str, name: str, arguments: str) -> dict[str, Any]:
    function = {"name": name, "arguments": arguments}
    return {"role": "assistant", "content": "", "tool_calls": [{"id": call, "type": "function", "function": function}]}


def chat_messages(messages: Messages, *, developer_role: bool, tool_calls: bool) -> list[dict[str, Any]]:
    """The conversation as a chat-completions endpoint accepts it.

    Endpoints other than OpenAI's own (llama.cpp, vLLM, most gateways) know no `developer` role:
    there it is sent as `system`, the role it replaced. An assistant turn with a `recipient`
    followed by a tool's answer is a tool call: it is sent as one (its text the call's `input`),
    answered by the tool turns after it that name the same tool, with a matching `tool_call_id`;
    a tool answer with no call before it gets one. An assistant turn to a recipient that no tool
    answers stays plain text, as does everything without `tool_calls` (models whose chat
    template has none). Other attributes (`end_turn`, ...) describe how a turn renders: not sent.
    """
    out: list[dict[str, Any]] = []
    calls: dict[str, list[str]] = {}  # function name -> IDs of calls not answered yet, oldest first
    for index, message in enumerate(messages):
        role, content = message["role"], message["content"]
        if role == "developer" and not developer_role:
            role = "system"
        answered = index + 1 < len(messages) and messages[index + 1]["role"] == "tool"
        if tool_calls and role == "assistant" and "recipient" in message and answered:
            name = _function_name(message["recipient"])
            call = f"call_{index}"
            calls.setdefault(name, []).append(call)
            out.append(_call(call, name, json.dumps({"input": content})))
        elif tool_calls and role == "tool":
            name = _function_name(message.get("name", "tool"))
            waiting = calls.get(name) or next((ids for ids in calls.values() if ids), None)
            if waiting:
                call = waiting.pop(0)
            else:
                call = f"call_{index}"
                out.append(_call(call, name, "{}"))
            out.append({"role": "tool", "tool_call_id": call, "content": content})
        else:
            out.append({"role": role, "content": content})
    return out


# The requester's cache key of the request being sent (model, parameters, messages, sample index):
# the same in every process, so a provider that must name its requests (the Batch API's custom_id)
# gives a retried or resumed request the same name, and two samples of one prompt different ones.
request_key: ContextVar[str | None] = ContextVar("request_key", default=None)


@dataclass(frozen=True)
class Completion:
    """One answer, with what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class ProviderError(Exception):
    """A request that failed; `retryable` says whether trying again can help."""

    def __init__(
        self, message: str, *, retryable: bool, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class RequestFailed(Exception):
    """A request that failed for good: retries exhausted, or an error retrying cannot fix."""


@runtime_checkable
class Provider(Protocol):
    """`name` is the provider part of a model ID (`openai`, `local`); `model` the rest.

    A provider may also define `wire(messages)`: the messages as it sends them (roles mapped,
    tool calls built). The completion cache is keyed by that, so a change in what is sent is
    never answered from the cache. And `timeout`: seconds the runner waits for one answer before
    counting the attempt as failed (None: no limit, for a provider whose answers take hours);
    without it the run's `RetryPolicy.timeout` applies.
    """

    name: str
    model: str
    concurrency: int

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion: ...
