"""Settings: one object, read from the environment in exactly one place (`Settings.from_environment`).

Environment variables (all optional):
  JUPYTER_SPEC_STORE   path of the SQLite store (default .jupyter-spec/store.sqlite, beside the notebook)
  JUPYTER_SPEC_MODEL   default model under test (default: openai:gpt-4o-mini with a key, else local:smollm2)
  JUPYTER_SPEC_JUDGE   default judge (default: the same rule)
  OPENAI_API_KEY       the key for openai:* models (another variable can be named in `api_key_env`)
  OPENAI_BASE_URL      an OpenAI-compatible endpoint (vLLM, Ollama, LM Studio, llama_cpp.server, ...)
  OPENAI_BASE_URLS     several endpoints serving the same models (replicas), comma-separated, each
                       `URL` or `URL=CONCURRENCY`: every openai:* model is shared among them
  OPENAI_ORG_ID, OPENAI_PROJECT_ID  the organization and project headers OpenAI's API accepts
  JUPYTER_SPEC_OPENAI_TRANSPORT  aiohttp (default: lean) or openai (the official client)
  JUPYTER_SPEC_LOCAL_THREADS  CPU threads for local:* models (default 1, see providers/local.py)
  JUPYTER_SPEC_DEVELOPER_ROLE  how developer turns are sent: auto (default), developer or system

`settings`, below, is THE settings: `jupyter_spec.settings` and the magics' `%config SpecMagics.<name> = ...`
(or `%config Settings.<name> = ...`) read and write this one object, whose traits validate every value.
API keys are read when a client is made and are never stored here, nor anywhere else.
"""

from __future__ import annotations

import os
from typing import Any

from traitlets import Dict, Enum, Float, Int, List, TraitError, Unicode, validate
from traitlets.config import Config, Configurable

from jupyter_spec.core.ids import ModelId
from jupyter_spec.spec.lint import DEFAULT_VAGUE_WORDS

EMBEDDED_MODEL = "local:smollm2"
HOSTED_MODEL = "openai:gpt-4o-mini"
DEFAULT_STORE = ".jupyter-spec/store.sqlite"

# setting -> the environment variable it is read from (by `Settings.from_environment`, and nowhere else)
ENVIRONMENT: dict[str, str] = {
    "store": "JUPYTER_SPEC_STORE",
    "default_model": "JUPYTER_SPEC_MODEL",
    "default_judge": "JUPYTER_SPEC_JUDGE",
    "openai_base_url": "OPENAI_BASE_URL",
    "local_threads": "JUPYTER_SPEC_LOCAL_THREADS",
    "developer_role": "JUPYTER_SPEC_DEVELOPER_ROLE",
    "endpoints": "OPENAI_BASE_URLS",
    "openai_organization": "OPENAI_ORG_ID",
    "openai_project": "OPENAI_PROJECT_ID",
    "openai_transport": "JUPYTER_SPEC_OPENAI_TRANSPORT",
    "ca_bundle": "JUPYTER_SPEC_CA_BUNDLE",
    "max_reply_mib": "JUPYTER_SPEC_MAX_REPLY_MIB",
}
DEFAULT_ENDPOINT_CONCURRENCY = 16


def _endpoint(item: Any) -> dict[str, Any]:
    """`"URL"`, `"URL=N"` or `{"url": URL, "concurrency": N}` as `{"url": URL, "concurrency": N}`."""
    if isinstance(item, str):
        url, _, count = item.strip().rpartition("=")
        item = {"url": url, "concurrency": int(count)} if url and count.isdigit() else {"url": item.strip()}
    if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not item["url"]:
        raise TraitError(f"an endpoint is a URL or {{'url': ..., 'concurrency': N}}, not {item!r}")
    if set(item) - {"url", "concurrency"}:
        raise TraitError(f"an endpoint has a url and a concurrency, not {sorted(set(item) - {'url', 'concurrency'})}")
    concurrency = item.get("concurrency", DEFAULT_ENDPOINT_CONCURRENCY)
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise TraitError(f"an endpoint's concurrency is a positive integer, not {concurrency!r}")
    return {"url": item["url"].rstrip("/"), "concurrency": concurrency}


class Settings(Configurable):
    """How jupyter-spec samples, grades, stores and lints: `jupyter_spec.settings` and `%config SpecMagics`."""

    # -- running -----------------------------------------------------------------------------------
    store = Unicode(DEFAULT_STORE, help="SQLite file that caches samples and records runs.").tag(config=True)
    default_model = Unicode(
        None, allow_none=True, help="Model under test when --model is not given (default: local:smollm2 without a key)."
    ).tag(config=True)
    default_judge = Unicode(None, allow_none=True, help="Judge model when --judge is not given.").tag(config=True)
    openai_base_url = Unicode(
        None, allow_none=True, help="Base URL of an OpenAI-compatible endpoint (vLLM, Ollama, llama_cpp.server ...)."
    ).tag(config=True)
    endpoints = Dict(
        key_trait=Unicode(),
        help="Several endpoints serving one model (vLLM or SGLang replicas), by model ID, alias or provider: "
        "{'openai:llama': [{'url': 'http://gpu1:8000/v1', 'concurrency': 64}, 'http://gpu2:8000/v1=32']}. "
        "Each request goes to the healthy one with the most free capacity; a failed one is tried on another.",
    ).tag(config=True)
    openai_transport = Enum(
        ["direct", "aiohttp", "openai"],
        "direct",
        help="How openai:* requests are sent: direct (the default: our lean client over connections of its own; "
        "aiohttp's where a proxy applies), aiohttp (the lean client over aiohttp) or openai (the official client); "
        "all send the same bodies and report the same errors.",
    ).tag(config=True)
    ca_bundle = Unicode(
        None, allow_none=True,
        help="CA certificates (a PEM file or a folder) to verify endpoints with, in place of the system's trust store; "
        "without it REQUESTS_CA_BUNDLE or SSL_CERT_FILE if set.",
    ).tag(config=True)  # fmt: skip
    max_reply_mib = Float(
        64.0, min=0.01, help="Largest reply body accepted from an endpoint, in MiB, as sent and once decompressed."
    ).tag(config=True)
    openai_organization = Unicode(None, allow_none=True, help="OpenAI-Organization header (OPENAI_ORG_ID).").tag(
        config=True
    )
    openai_project = Unicode(None, allow_none=True, help="OpenAI-Project header (OPENAI_PROJECT_ID).").tag(config=True)
    api_key_env = Unicode(
        "OPENAI_API_KEY", help="Name of the environment variable holding the API key (never the key)."
    ).tag(config=True)
    aliases = Dict(
        value_trait=Unicode(),
        key_trait=Unicode(),
        help="Short names for models, e.g. {'judge': 'openai:gpt-4.1'} (also `%spec alias NAME MODEL`).",
    ).tag(config=True)
    concurrency = Dict(
        value_trait=Int(), key_trait=Unicode(), help="Concurrent requests per provider, e.g. {'openai': 32}."
    ).tag(config=True)
    timeout = Float(120.0, help="Seconds before a request is abandoned and retried.").tag(config=True)
    max_attempts = Int(5, help="Attempts per request before it is an error.").tag(config=True)
    local_threads = Int(1, help="CPU threads for local:* models (see providers/local.py).").tag(config=True)
    judge_output = Enum(
        ["auto", "json_schema", "json_object", "text"],
        "auto",
        help="How a judge is asked for JSON: auto picks by endpoint; or json_schema, json_object, text.",
    ).tag(config=True)
    developer_role = Enum(
        ["auto", "developer", "system"],
        "auto",
        help="How developer turns are sent: auto keeps the role for OpenAI's own API and sends `system` "
        "to other endpoints, which reject it.",
    ).tag(config=True)

    # -- linting -----------------------------------------------------------------------------------
    vague_words = List(
        Unicode(),
        default_value=list(DEFAULT_VAGUE_WORDS),
        help="Words and phrases `%spec lint` flags as too vague for a grader to check.",
    ).tag(config=True)
    authority_order = List(
        Unicode(),
        default_value=[],
        help="Levels of authority, highest first, overriding the spec's own order "
        "(`<!-- authority-order: a > b -->`) and the known one (root/platform, system, developer, user, guideline).",
    ).tag(config=True)

    @validate("endpoints")
    def _valid_endpoints(self, proposal: Any) -> dict[str, list[dict[str, Any]]]:
        """Each entry as a list of `{"url", "concurrency"}`; a string is a comma-separated list."""
        valid: dict[str, list[dict[str, Any]]] = {}
        for model, items in proposal["value"].items():
            listed = [i for i in items.split(",") if i.strip()] if isinstance(items, str) else items
            if not isinstance(listed, (list, tuple)) or not listed:
                raise TraitError(f"endpoints for {model!r}: a non-empty list of URLs, not {items!r}")
            valid[model] = [_endpoint(item) for item in listed]
        return valid

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings the environment asks for: the one place it is read (the API key aside)."""
        values: dict[str, Any] = {}
        for name, variable in ENVIRONMENT.items():
            text = os.environ.get(variable)
            if text:
                values[name] = text
        try:
            if "local_threads" in values:
                values["local_threads"] = int(values["local_threads"])
            if "max_reply_mib" in values:
                values["max_reply_mib"] = float(values["max_reply_mib"])
            if "endpoints" in values:
                values["endpoints"] = {"openai": values["endpoints"]}  # every openai:* model
            return cls(**values)
        except (TraitError, ValueError) as exc:
            given = ", ".join(f"{ENVIRONMENT[name]}={os.environ[ENVIRONMENT[name]]!r}" for name in values)
            raise ValueError(f"bad setting in the environment ({given}): {exc}") from None

    # -- configuration: `%config SpecMagics.<name> = ...` ---------------------------------------

    @classmethod
    def section_names(cls) -> list[str]:
        """Config sections that set these traits: `Settings`, and `SpecMagics`, the name the magics document."""
        return [*super().section_names(), "SpecMagics"]

    def update_config(self, config: Config) -> None:
        """Apply `config` now, without keeping it: a later `%config` never re-applies earlier ones over
        values set since through `jupyter_spec.settings`."""
        self._load_config(config)

    def describe(self, name: str = "Settings") -> str:
        """Each setting with its help and current value, as `%config SpecMagics` prints it."""
        title = f"{name} options (the same object as jupyter_spec.settings)"
        lines = [title, "-" * len(title)]
        for trait_name, trait in sorted(self.traits(config=True).items()):
            help = self.class_get_trait_help(trait, self)
            lines.append(help.replace(f"--{type(self).__name__}.{trait_name}", f"--{name}.{trait_name}", 1))
        return "\n".join(lines)

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in sorted(self.trait_names(config=True)))
        return f"{type(self).__name__}({values})"

    # -- what the engine asks ------------------------------------------------------------------

    def sends_developer_role(self) -> bool:
        if self.developer_role == "auto":
            return self.openai_base_url is None
        return self.developer_role == "developer"

    def api_key(self) -> str | None:
        """The key, without the line break a key file or `.env` leaves around it."""
        return (os.environ.get(self.api_key_env) or "").strip() or None

    @property
    def model(self) -> str:
        return self.default_model or (HOSTED_MODEL if self.api_key() else EMBEDDED_MODEL)

    @property
    def judge(self) -> str:
        return self.default_judge or self.model

    def resolve(self, model_id: str) -> ModelId:
        """Follow aliases (`judge` -> `openai:gpt-4.1`) to a `provider:model` ID."""
        seen: list[str] = []
        while model_id in self.aliases:
            if model_id in seen:
                raise ValueError(f"alias loop: {' -> '.join([*seen, model_id])}")
            seen.append(model_id)
            model_id = self.aliases[model_id]
        return ModelId(model_id)


settings = Settings.from_environment()
