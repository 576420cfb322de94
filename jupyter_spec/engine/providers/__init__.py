"""Who answers: model IDs `provider:model`, resolved to shared provider instances."""

from __future__ import annotations

import json
from collections.abc import Callable

from jupyter_spec.core.ids import ModelId
from jupyter_spec.engine.providers.base import Completion, Messages, Provider, ProviderError
from jupyter_spec.engine.settings import Settings

Factory = Callable[[str, Settings], Provider]


def _openai(model: str, settings: Settings) -> Provider:
    from jupyter_spec.engine.providers.endpoints import Endpoint, endpoints_for
    from jupyter_spec.engine.providers.openai import OpenAIProvider

    replicas = endpoints_for(f"openai:{model}", settings)
    return OpenAIProvider(
        model,
        api_key=settings.api_key(),
        base_url=settings.openai_base_url,
        concurrency=settings.concurrency.get("openai", 16),
        # OpenAI's own API knows the developer role; replicas (vLLM, SGLang) do not
        developer_role=settings.sends_developer_role() and not (replicas and settings.developer_role == "auto"),
        transport=settings.openai_transport,
        endpoints=[Endpoint(e["url"], e["concurrency"]) for e in replicas],
        organization=settings.openai_organization,
        project=settings.openai_project,
        ca_bundle=settings.ca_bundle,
        max_reply_bytes=int(settings.max_reply_mib * 2**20),
    )


def _local(model: str, settings: Settings) -> Provider:
    from jupyter_spec.engine.providers.local import LocalProvider

    return LocalProvider(model, threads=settings.local_threads)


def _openai_batch(model: str, settings: Settings) -> Provider:
    from jupyter_spec.engine.providers.batch import factory

    return factory()(model, settings)


_factories: dict[str, Factory] = {"openai": _openai, "local": _local, "openai-batch": _openai_batch}
_instances: dict[tuple[ModelId, object], Provider] = {}


def register(name: str, factory: Factory) -> None:
    """Add a provider kind: `register("mine", lambda model, settings: MyProvider(model))`."""
    _factories[name] = factory
    for key in [k for k in _instances if k[0].provider == name]:
        del _instances[key]


def get_provider(model_id: str, settings: Settings) -> Provider:
    """The shared instance for a model ID (after aliases), so concurrency limits are shared too."""
    resolved = settings.resolve(model_id)
    name, model = resolved.provider, resolved.name
    if name not in _factories:
        raise ValueError(f"unknown provider {name!r} in {model_id!r}: expected one of {', '.join(_factories)}")
    at = (settings.openai_base_url, settings.sends_developer_role()) if name in ("openai", "openai-batch") else None
    if name == "openai":  # also how it is sent, and to which replicas
        replicas = json.dumps(settings.endpoints, sort_keys=True) if settings.endpoints else ""
        at = (settings.openai_base_url, settings.sends_developer_role(), settings.openai_transport,
              settings.openai_organization, settings.openai_project, replicas, settings.ca_bundle,
              settings.max_reply_mib)  # fmt: skip
    key = (resolved, at)
    if key not in _instances:
        _instances[key] = _factories[name](model, settings)
    return _instances[key]


__all__ = ["Completion", "Messages", "Provider", "ProviderError", "get_provider", "register"]
