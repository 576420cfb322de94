"""Settings, with the environment read in exactly this one place.

Environment variables (all optional):
  JUPYTER_SPEC_STORE   path of the SQLite store (default .jupyter-spec/store.sqlite, beside the notebook)
  JUPYTER_SPEC_MODEL   default model under test (default: openai:gpt-4o-mini with a key, else local:smollm2)
  JUPYTER_SPEC_JUDGE   default judge (default: the same rule)
  OPENAI_API_KEY       the key for openai:* models (another variable can be named in `api_key_env`)
  OPENAI_BASE_URL      an OpenAI-compatible endpoint (vLLM, Ollama, LM Studio, llama_cpp.server, ...)
  JUPYTER_SPEC_LOCAL_THREADS  CPU threads for local:* models (default 1, see providers/local.py)
  JUPYTER_SPEC_DEVELOPER_ROLE  how developer turns are sent: auto (default), developer or system

The magics expose the same settings as traitlets (`%config SpecMagics.default_model = ...`).
API keys are read when a client is made and are never stored here, nor anywhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

EMBEDDED_MODEL = "local:smollm2"
HOSTED_MODEL = "openai:gpt-4o-mini"


@dataclass
class Settings:
    store: str = ".jupyter-spec/store.sqlite"
    default_model: str | None = None
    default_judge: str | None = None
    openai_base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    aliases: dict[str, str] = field(default_factory=dict)
    concurrency: dict[str, int] = field(default_factory=dict)  # per provider name, e.g. {"openai": 32}
    timeout: float = 120.0  # seconds per request
    max_attempts: int = 5
    local_threads: int = 1
    # How to ask a judge for JSON: "auto" picks by endpoint; or json_schema, json_object, text.
    judge_output: str = "auto"
    # How `developer` turns are sent: "auto" keeps the role for OpenAI's own API and sends `system`
    # to other endpoints (llama.cpp, vLLM, ... reject the role); or "developer", "system".
    developer_role: str = "auto"

    def sends_developer_role(self) -> bool:
        if self.developer_role not in ("auto", "developer", "system"):
            raise ValueError(f"developer_role is {self.developer_role!r}: expected auto, developer or system")
        if self.developer_role == "auto":
            return self.openai_base_url is None
        return self.developer_role == "developer"

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            store=os.environ.get("JUPYTER_SPEC_STORE", cls.store),
            default_model=os.environ.get("JUPYTER_SPEC_MODEL") or None,
            default_judge=os.environ.get("JUPYTER_SPEC_JUDGE") or None,
            openai_base_url=os.environ.get("OPENAI_BASE_URL") or None,
            local_threads=int(os.environ.get("JUPYTER_SPEC_LOCAL_THREADS") or cls.local_threads),
            developer_role=os.environ.get("JUPYTER_SPEC_DEVELOPER_ROLE") or cls.developer_role,
        )

    def api_key(self) -> str | None:
        return os.environ.get(self.api_key_env) or None

    @property
    def model(self) -> str:
        return self.default_model or (HOSTED_MODEL if self.api_key() else EMBEDDED_MODEL)

    @property
    def judge(self) -> str:
        return self.default_judge or self.model

    def resolve(self, model_id: str) -> str:
        """Follow aliases (`judge` -> `openai:gpt-4.1`) to a `provider:model` ID."""
        seen: list[str] = []
        while model_id in self.aliases:
            if model_id in seen:
                raise ValueError(f"alias loop: {' -> '.join([*seen, model_id])}")
            seen.append(model_id)
            model_id = self.aliases[model_id]
        if ":" not in model_id:
            raise ValueError(f"unknown model {model_id!r}: expected provider:model (e.g. local:smollm2) or an alias")
        return model_id


settings = Settings.from_environment()
