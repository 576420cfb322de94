"""What every provider offers: one chat completion for one list of messages.

Providers do no retrying and no caching: the runner does both, once, for all of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# A conversation as jupyter-spec keeps it: `role` and `content`, plus a turn's attributes where it
# has any (`recipient` of an assistant message to a tool, `name` of the tool that answers).
Messages = tuple[dict[str, str], ...]


def chat_messages(messages: Messages, *, developer_role: bool, tool_calls: bool) -> list[dict[str, Any]]:
    """The conversation as a chat-completions endpoint accepts it.

    Endpoints other than OpenAI's own (llama.cpp, vLLM, most gateways) know no `developer` role:
    there it is sent as `system`, the role it replaced. A tool's answer must follow an assistant
    tool call with a matching ID: an assistant turn with a `recipient` becomes that call (its text
    the call's `input`), and a tool answer with no call before it gets one. Without `tool_calls`
    (models whose chat template has no tool calls) turns are sent as they read. Other attributes
    (`end_turn`, ...) only describe how a turn renders and are not sent.
    """
    out: list[dict[str, Any]] = []
    pending: dict[str, str] = {}  # tool name -> the ID of the call it has yet to answer
    for message in messages:
        role, content = message["role"], message["content"]
        if role == "developer" and not developer_role:
            role = "system"
        if not tool_calls or role not in ("assistant", "tool") or (role == "assistant" and "recipient" not in message):
            out.append({"role": role, "content": content})
            continue
        name = message.get("recipient" if role == "assistant" else "name") or "tool"
        call = pending.pop(name, None) if role == "tool" else None
        if call is None:
            call = f"call_{len(out)}"
            arguments = json.dumps({"input": content} if role == "assistant" else {})
            function = {"name": name, "arguments": arguments}
            out.append({"role": "assistant", "content": "", "tool_calls": [{"id": call, "type": "function",
                                                                             "function": function}]})  # fmt: skip
        if role == "assistant":
            pending[name] = call
        else:
            out.append({"role": "tool", "tool_call_id": call, "content": content})
    return out


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
    """`name` is the provider part of a model ID (`openai`, `local`); `model` the rest."""

    name: str
    model: str
    concurrency: int

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion: ...
