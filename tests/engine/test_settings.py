"""The settings: one object, read from the environment in one place, validated by its traits."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from traitlets import TraitError
from traitlets.config import Config

import jupyter_spec
from jupyter_spec.engine import settings as config
from jupyter_spec.engine.settings import DEFAULT_STORE, ENVIRONMENT, Settings
from jupyter_spec.spec.lint import DEFAULT_VAGUE_WORDS

EVERY_VARIABLE = {
    "JUPYTER_SPEC_STORE": "/tmp/elsewhere.sqlite",
    "JUPYTER_SPEC_MODEL": "openai:gpt-4.1",
    "JUPYTER_SPEC_JUDGE": "local:judge",
    "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    "JUPYTER_SPEC_LOCAL_THREADS": "4",
    "JUPYTER_SPEC_DEVELOPER_ROLE": "system",
}


class Reads(dict[str, str]):
    """An environment that remembers which variables were asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[Reads]:
    spy = Reads(EVERY_VARIABLE)
    monkeypatch.setattr(os, "environ", spy)
    yield spy


def test_the_package_setting_is_the_module_one() -> None:
    assert jupyter_spec.settings is config.settings
    assert isinstance(config.settings, Settings)


def test_from_environment_reads_every_variable(environ: Reads) -> None:
    settings = Settings.from_environment()
    assert environ.asked == set(ENVIRONMENT.values())
    assert (settings.store, settings.default_model, settings.default_judge) == (
        "/tmp/elsewhere.sqlite",
        "openai:gpt-4.1",
        "local:judge",
    )
    assert settings.openai_base_url == "http://127.0.0.1:9/v1"
    assert (settings.local_threads, settings.developer_role) == (4, "system")
    assert not settings.sends_developer_role()


def test_nothing_else_reads_the_environment_but_the_key(environ: Reads) -> None:
    settings = Settings(api_key_env="MY_KEY")
    assert settings.store == DEFAULT_STORE and settings.default_model is None and settings.local_threads == 1
    assert settings.model == "local:smollm2" and settings.judge == "local:smollm2"
    assert environ.asked == {"MY_KEY"}  # read when asked, never stored
    environ["MY_KEY"] = "sk-anything"
    assert settings.model == "openai:gpt-4o-mini"
    assert "sk-anything" not in repr(settings)


def test_the_module_settings_are_not_reread(monkeypatch: pytest.MonkeyPatch) -> None:
    before = config.settings.store
    monkeypatch.setenv("JUPYTER_SPEC_STORE", before + ".other")
    assert config.settings.store == before


def test_a_bad_variable_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_SPEC_DEVELOPER_ROLE", "assistant")
    with pytest.raises(ValueError, match="JUPYTER_SPEC_DEVELOPER_ROLE='assistant'"):
        Settings.from_environment()
    monkeypatch.delenv("JUPYTER_SPEC_DEVELOPER_ROLE")
    monkeypatch.setenv("JUPYTER_SPEC_LOCAL_THREADS", "many")
    with pytest.raises(ValueError, match="JUPYTER_SPEC_LOCAL_THREADS='many'"):
        Settings.from_environment()


def test_keyword_construction_and_defaults() -> None:
    settings = Settings(store="s.sqlite", aliases={"j": "openai:gpt-4.1"}, concurrency={"openai": 4}, timeout=5)
    assert (settings.store, settings.concurrency) == ("s.sqlite", {"openai": 4})
    assert settings.aliases == {"j": "openai:gpt-4.1"}
    assert settings.timeout == 5.0 and isinstance(settings.timeout, float)
    plain = Settings()
    assert (plain.api_key_env, plain.max_attempts, plain.timeout) == ("OPENAI_API_KEY", 5, 120.0)
    assert (plain.judge_output, plain.developer_role) == ("auto", "auto")
    assert plain.vague_words == list(DEFAULT_VAGUE_WORDS) and plain.authority_order == []
    assert plain.aliases == {} and plain.aliases is not Settings().aliases  # no shared mutable defaults


def test_traits_validate() -> None:
    settings = Settings()
    with pytest.raises(TraitError):
        settings.developer_role = "assistant"
    with pytest.raises(TraitError):
        settings.judge_output = "yaml"
    with pytest.raises(TraitError):
        settings.concurrency = {"openai": "many"}
    with pytest.raises(TraitError):
        Settings(max_attempts="5")
    assert settings.developer_role == "auto"


def test_resolve_follows_aliases() -> None:
    settings = Settings(aliases={"judge": "big", "big": "openai:gpt-4.1", "a": "b", "b": "a"})
    assert settings.resolve("judge") == "openai:gpt-4.1"
    assert settings.resolve("judge").provider == "openai"
    assert settings.resolve("local:smollm2") == "local:smollm2"
    with pytest.raises(ValueError, match="alias loop: a -> b -> a"):
        settings.resolve("a")
    with pytest.raises(ValueError, match="unknown model 'nothing'"):
        settings.resolve("nothing")


def test_developer_role() -> None:
    assert Settings().sends_developer_role()
    assert not Settings(openai_base_url="http://127.0.0.1:1/v1").sends_developer_role()
    assert Settings(openai_base_url="http://127.0.0.1:1/v1", developer_role="developer").sends_developer_role()
    assert not Settings(developer_role="system").sends_developer_role()


def test_config_sections_set_the_object_and_are_not_replayed() -> None:
    settings = Settings()
    assert {"Settings", "SpecMagics"} <= set(Settings.section_names())
    cfg = Config()
    cfg.SpecMagics.store = "a.sqlite"
    settings.update_config(cfg)
    assert settings.store == "a.sqlite"
    settings.store = "b.sqlite"
    other = Config()
    other.Settings.timeout = 3
    settings.update_config(other)
    assert (settings.store, settings.timeout) == ("b.sqlite", 3.0)  # the earlier config did not come back


def test_repr_and_describe_show_every_setting() -> None:
    settings = Settings(openai_base_url="http://127.0.0.1:1/v1")
    for name in Settings.class_trait_names(config=True):
        assert f"{name}=" in repr(settings)
        assert f"--SpecMagics.{name}=" in settings.describe("SpecMagics")
    assert "Current: 'http://127.0.0.1:1/v1'" in settings.describe()


def test_endpoints_for_replicas_validate_and_normalise() -> None:
    settings = Settings(
        endpoints={
            "openai:llama": ["http://a:8000/v1/=32", {"url": "http://b:8000/v1", "concurrency": 8}],
            "x": "http://c/v1",
        }
    )
    assert settings.endpoints == {
        "openai:llama": [{"url": "http://a:8000/v1", "concurrency": 32}, {"url": "http://b:8000/v1", "concurrency": 8}],
        "x": [{"url": "http://c/v1", "concurrency": 16}],
    }
    for bad in ([], [{"url": "http://a/v1", "concurrency": 0}], [{"url": "http://a/v1", "api_key": "sk-..."}], [3]):
        with pytest.raises(TraitError):
            Settings(endpoints={"openai:llama": bad})


def test_replicas_and_the_transport_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URLS", "http://gpu1:8000/v1=64, http://gpu2:8000/v1")
    monkeypatch.setenv("JUPYTER_SPEC_OPENAI_TRANSPORT", "openai")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-1")
    settings = Settings.from_environment()
    assert settings.endpoints == {
        "openai": [{"url": "http://gpu1:8000/v1", "concurrency": 64}, {"url": "http://gpu2:8000/v1", "concurrency": 16}]
    }  # every openai:* model
    assert (settings.openai_transport, settings.openai_organization, settings.openai_project) == (
        "openai",
        "org-1",
        None,
    )
    assert Settings().openai_transport == "direct"
    monkeypatch.setenv("OPENAI_BASE_URLS", "http://gpu1:8000/v1=0")
    with pytest.raises(ValueError, match="OPENAI_BASE_URLS='http://gpu1:8000/v1=0'"):
        Settings.from_environment()
