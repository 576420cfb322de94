"""Samples listed a page at a time, worst final verdict first: what the transcript browser shows.

A browser over 100,000 samples must not build the whole results frame to list twenty of them.
`StoreListing` asks the store for one page (SQLite groups, orders and counts) and reads one
sample's rows, transcript included, only when it is shown. `FrameListing` does the same over
`Results` already in memory (several runs, or results passed in by hand).
"""

from __future__ import annotations

import json
from typing import Protocol

import pandas as pd

from jupyter_spec.analysis.results import Results, results_frame
from jupyter_spec.core.ids import WORST_FIRST
from jupyter_spec.engine.store import Store

FILTERS = ("clause", "marker", "model", "verdict")
Item = tuple[str, tuple[str, str]]  # (label, (run_id, sample_key))
UNRANKED = 9  # a final verdict `WORST_FIRST` does not rank (`ungraded`) sorts last
VERDICT_OF_RANK = {rank: verdict for verdict, rank in WORST_FIRST.items()}


class Listing(Protocol):
    def values(self) -> dict[str, list[str]]:
        """Per filter (`FILTERS`), the values it can take, sorted."""

    def page(self, filters: dict[str, str], offset: int, limit: int) -> tuple[int, list[Item]]:
        """How many samples match `filters` (filter -> value), and `limit` of them from `offset`."""

    def rows(self, run_id: str, key: str) -> pd.DataFrame:
        """One sample's rows of the results frame (one per grader), transcript decoded."""


def label(worst: str, where: str, model: str, title: str, sample_index: object) -> str:
    return f"{worst.upper()} · {where} · {model} · {title} #{sample_index}"


class StoreListing:
    """One run's samples, a page per query."""

    def __init__(self, store: Store, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    def values(self) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {name: set() for name in FILTERS}
        for row in self.store.sample_values(self.run_id):
            found["clause"].add(row["clause"])
            found["model"].add(row["model"])
            found["verdict"].add(row["final"])
            if row["target"] != row["clause"]:
                found["marker"].add(row["target"])
        return {name: sorted(values) for name, values in found.items()}

    def page(self, filters: dict[str, str], offset: int, limit: int) -> tuple[int, list[Item]]:
        columns = {"clause": "clause", "marker": "target", "model": "model", "verdict": "final"}
        rows = self.store.sample_page(self.run_id, {columns[k]: v for k, v in filters.items()}, offset, limit)
        if not rows:
            return 0, []
        entries = self.store.plan_entries(self.run_id, [row["key"] for row in rows])
        titles = {entry["key"]: json.loads(entry["challenge"])["title"] for entry in entries}
        items = [
            (label(VERDICT_OF_RANK.get(row["worst"], "ungraded"), row["target"], row["model"],
                   titles.get(row["key"], "?"), row["sample_index"]), (row["run_id"], row["key"]))
            for row in rows
        ]  # fmt: skip
        return int(rows[0]["total"]), items

    def rows(self, run_id: str, key: str) -> pd.DataFrame:
        return results_frame(self.store, [run_id], keys=[key])


class FrameListing:
    """The samples of `Results` in memory; transcripts decoded only for the sample shown."""

    def __init__(self, results: Results) -> None:
        self.results = results

    def values(self) -> dict[str, list[str]]:
        df = self.results.undecoded
        return {name: sorted({str(v) for v in df[_column(name)].dropna()}) if len(df) else [] for name in FILTERS}

    def page(self, filters: dict[str, str], offset: int, limit: int) -> tuple[int, list[Item]]:
        df = self.results.undecoded
        for name, value in filters.items():
            if len(df):
                df = df[df["sample_key"].isin(set(df.loc[df[_column(name)].astype(str) == value, "sample_key"]))]
        if not len(df):
            return 0, []
        ranks = df["final"].map(WORST_FIRST).fillna(UNRANKED).rename("rank")
        worst = ranks.groupby([df["run_id"], df["sample_key"]], sort=False).min()
        chosen = worst.sort_values(kind="stable").iloc[offset : offset + limit]
        shown = df[df["sample_key"].isin(set(chosen.index.get_level_values(1)))]
        groups = dict(iter(shown.groupby(["run_id", "sample_key"], sort=False)))
        return len(worst), [(_frame_label(groups[ident]), ident) for ident in chosen.index]

    def rows(self, run_id: str, key: str) -> pd.DataFrame:
        return self.results.sample_rows(run_id, key)


def _column(name: str) -> str:
    return "final" if name == "verdict" else name


def _frame_label(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    worst = min(group["final"], key=lambda v: WORST_FIRST.get(v, UNRANKED))
    return label(str(worst), first["marker"] or first["clause"], first["model"], first["challenge_title"],
                 first["sample_index"])  # fmt: skip
