"""A run is a plan: one item per (challenge, model, sample index), keyed by what the model sees."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from jupyter_spec.core.errors import SpecError
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Challenge, Expectation, Message, canonical_json, hash_json


@dataclass(frozen=True)
class PlanItem:
    target: str  # the clause or marker ID the challenge tests
    clause: str  # the clause it belongs to
    challenge: Challenge
    model: str  # provider:model, aliases resolved
    sample_index: int
    params: tuple[tuple[str, Any], ...] = ()

    @cached_property
    def key(self) -> str:
        """Identifies the sample: target, the prompt as the model sees it, model, parameters, index
        (`stable_hash` of those, with the turns' JSON encoded once per challenge)."""
        target, model, params = _part_json(self.target), _part_json(self.model), _part_json(self.params)
        return hash_json(f"[{target},{self.challenge.turns_json},{model},{params},{self.sample_index}]")

    def sample_fields(self) -> dict[str, Any]:
        """What a sample of this item carries from it (`Sample(**item.sample_fields(), status=...)`)."""
        return {"key": self.key, "target": self.target, "clause": self.clause, "challenge": self.challenge,
                "model": self.model, "sample_index": self.sample_index}  # fmt: skip

    def request_params(self) -> dict[str, Any]:
        """Parameters sent to the provider; a given seed is offset so samples differ."""
        params = dict(self.params)
        if isinstance(params.get("seed"), int):
            params["seed"] += self.sample_index
        return params

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "target": self.target,
            "clause": self.clause,
            "model": self.model,
            "sample_index": self.sample_index,
            "params": dict(self.params),
            "challenge": challenge_json(self.challenge),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanItem:
        return cls(
            target=data["target"],
            clause=data["clause"],
            challenge=challenge_of(data["target"], data["challenge"]),
            model=data["model"],
            sample_index=data["sample_index"],
            params=tuple(sorted(data["params"].items())),
        )


@functools.lru_cache(maxsize=1024)
def _cached_json(shown: str, value: Any) -> str:  # `shown` (repr) keeps 1, 1.0 and True apart
    return canonical_json(value)


def _part_json(value: Any) -> str:
    """`canonical_json` of a part every item of a plan shares (its target, model, parameters)."""
    try:
        return _cached_json(repr(value), value)
    except TypeError:  # a parameter holding a list or a dict: not hashable, so not cached
        return canonical_json(value)


def plan_json(items: Iterable[PlanItem]) -> str:
    """A plan as the store keeps it (`PlanItem.to_json` of each): encoded an item at a time, so
    another thread runs in between, and each challenge once, however many samples it has."""
    shared: dict[Any, str] = {}  # the JSON of what many items share, encoded once
    out = []
    for item in items:  # `PlanItem.to_json`, key by key, in its order (a test compares the two)
        where, params, challenge = (item.target, item.clause, item.model), repr(item.params), id(item.challenge)
        if where not in shared:
            shared[where] = _json(dict(zip(("target", "clause", "model"), where, strict=True)))[1:-1]
        if params not in shared:
            shared[params] = _json(dict(item.params))
        if challenge not in shared:
            shared[challenge] = _json(challenge_json(item.challenge))
        out.append(f'{{"key":"{item.key}",{shared[where]},"sample_index":{item.sample_index},'
                   f'"params":{shared[params]},"challenge":{shared[challenge]}}}')  # fmt: skip
    return f"[{','.join(out)}]"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def challenge_json(challenge: Challenge) -> dict[str, Any]:
    """A challenge as JSON: how plans and spec versions store one. A table row's fields are kept (as
    [name, value] pairs, in the row's order) only where there are some: other challenges are stored as before."""
    return {
        "target": challenge.target,
        "title": challenge.title,
        "turns": [[t.role, t.content, *([dict(t.attrs)] if t.attrs else [])] for t in challenge.turns],
        "expectations": [[e.kind, e.value] for e in challenge.expectations],
        **({} if challenge.metadata is None else {"metadata": [list(pair) for pair in challenge.metadata]}),
    }


def challenge_of(target: str, data: dict[str, Any]) -> Challenge:
    """The challenge `challenge_json` wrote (the same hash: a resumed run finds its samples' grades)."""
    metadata = data.get("metadata")
    return Challenge(
        target,
        data["title"],
        tuple(Message(t[0], t[1], attrs=tuple(t[2].items()) if len(t) > 2 else ()) for t in data["turns"]),
        tuple(Expectation(kind, value) for kind, value in data["expectations"]),
        metadata=None if metadata is None else tuple((name, value) for name, value in metadata),
    )


def targets(spec: Spec, ids: Iterable[str] | None) -> list[str]:
    """The challenge targets a run covers: everything, or the named clauses (with their markers)."""
    if not ids:
        return list(dict.fromkeys(c.target for c in spec.challenges if c.target in spec))
    out: list[str] = []
    for ident in ids:
        if ident not in spec:
            raise SpecError(f"unknown ID {ident!r}: no clause {{#{ident}}} or marker [^{ident}] in the spec")
        out.append(ident)
        if ident in spec.clauses:
            out += [m.id for m in spec.clauses[ident].markers]
    return list(dict.fromkeys(out))


class Plan:
    """Every (challenge, model, sample index) a run plays, challenges in spec order: counted at
    once, listed lazily, so a run of 100,000 items starts without building them first."""

    def __init__(
        self,
        spec: Spec,
        models: Sequence[str],
        samples: int,
        ids: Iterable[str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        if samples < 1:
            raise SpecError("samples must be at least 1")
        self._spec, self._models, self._samples = spec, tuple(models), samples
        self._params = tuple(sorted((params or {}).items()))
        self._by_target: dict[str, list[Challenge]] = {}
        for challenge in spec.challenges:
            self._by_target.setdefault(challenge.target, []).append(challenge)
        self._targets = targets(spec, ids)
        per_item = len(self._models) * samples
        self.total = sum(len(self._by_target.get(t, ())) for t in self._targets) * per_item
        if not self.total:
            raise SpecError("nothing to run: no challenges for " + (", ".join(ids) if ids else "any clause"))

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[PlanItem]:
        for target in self._targets:
            clause = self._spec.clause_id_of(target) or target
            for challenge in self._by_target.get(target, ()):
                for model in self._models:
                    for index in range(self._samples):
                        yield PlanItem(target, clause, challenge, model, index, self._params)


def make_plan(
    spec: Spec,
    models: Sequence[str],
    samples: int,
    ids: Iterable[str] | None = None,
    params: dict[str, Any] | None = None,
) -> list[PlanItem]:
    """Every item of a `Plan`, as a list."""
    return list(Plan(spec, models, samples, ids, params))


def conversation(turns: Sequence[Message]) -> list[dict[str, str]]:
    """Turns as messages; a turn's attributes (`recipient`, `name`) travel with it for the provider."""
    return [{**dict(t.attrs), "role": t.role, "content": t.content} for t in turns]
