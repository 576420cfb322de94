"""Adherence of a run while it streams in, kept up to date from the rows written since the last look.

A live view must not re-read a run per redraw: at 100,000 samples that is seconds of work twice a
second. `LiveAdherence` keeps per (clause, model, grader, challenge) verdict counts, and each
`update()` reads only the samples and grade links stored after its cursors (SQLite rowids), so a
redraw costs what arrived since the previous one. The table is `adherence_from_counts` over those
counts: the same figures, in the same order, as `Results.adherence()` on the finished run.

What can change a row already counted is handled without re-reading: a sample written again (a
failed one resumed) or a grade linked again (a resumed run re-links cached grades) replaces its
earlier contribution, which is remembered per (sample, grader) as one small integer; reviewers'
rulings (few) are applied to the counts at each table, from those same entries.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import pandas as pd

from jupyter_spec.analysis.metrics.adherence import COUNTED, adherence_from_counts
from jupyter_spec.core.ids import EXPECT
from jupyter_spec.engine.graders.base import covers
from jupyter_spec.engine.plan import PlanItem
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.model import ANSWER_CHECKS

BY = ("clause", "model", "grader")
VERDICTS = list(COUNTED)  # a verdict's code is its index; anything else is counted nowhere
OTHER = len(VERDICTS)
CODES = len(VERDICTS) + 1
UNPLANNED = float("inf")  # a sample the plan does not (yet) list sorts last


class LiveAdherence:
    """Verdict counts of one run, read incrementally from the store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        graders: Sequence[str],
        plan: Callable[[], Sequence[PlanItem]] = list,
        targets: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.graders = list(dict.fromkeys(graders))
        self.targets = dict(targets or {})  # grader -> the targets it is limited to (a run's `grader_targets`)
        self.plan = plan
        self.rows_read = 0  # rows the last update read from the store (what a redraw costs)
        self._samples_after = 0
        self._grades_after = 0
        self._groups: list[tuple[str, str, str, str]] = []  # (clause, model, grader, challenge)
        self._group_ids: dict[tuple[str, str, str, str], int] = {}
        self._counts: list[list[int]] = []  # per group: one count per verdict code, then self-graded rows
        self._first: list[float] = []  # per group: the lowest plan index among its rows
        self._seen: dict[str, int] = {}  # "sample_key|grader" -> group id * CODES + verdict code
        self._plan_index: dict[str, int] = {}
        self._items: Sequence[PlanItem] = ()

    def update(self) -> None:
        """Count what was stored since the last update."""
        samples = self.store.samples_after(self.run_id, self._samples_after)
        for row in samples:
            self._sample(row)
            self._samples_after = row["row"]
        grades = self.store.grades_after(self.run_id, self._grades_after)
        for row in grades:
            if row["status"] is None or row["verdict"] is None:
                break  # its sample or grade row is not stored yet: count it at the next update
            if row["status"] == "ok":  # a failed sample's grades are ignored, as in the results frame
                self._count(row["sample_key"], row["grader"], row["verdict"], row, bool(row["self_graded"]))
            self._grades_after = row["row"]
        self.rows_read = len(samples) + len(grades)

    def table(self) -> pd.DataFrame:
        """The adherence table (`Results.adherence()`'s columns but `calibration`), rulings applied."""
        counts = [list(c) for c in self._counts]
        overruled = [0] * len(counts)
        for key, (ruling, _) in self.store.rulings().items():
            for grader in self.graders:
                entry = self._seen.get(f"{key}|{grader}")
                if entry is not None:
                    group, code = divmod(entry, CODES)
                    counts[group][code] -= 1
                    counts[group][VERDICTS.index(ruling) if ruling in VERDICTS else OTHER] += 1
                    overruled[group] += 1
        rows = [
            dict(zip((*BY, "challenge"), group, strict=True))
            | dict(zip(COUNTED.values(), count[:OTHER], strict=True))
            | {"overruled": ruled, "self_graded": count[CODES] > 0, "_order": first}
            for group, count, ruled, first in zip(self._groups, counts, overruled, self._first, strict=True)
        ]
        frame = pd.DataFrame(rows, columns=[*BY, "challenge", *COUNTED.values(), "overruled", "self_graded", "_order"])
        # Groups in the order the finished run's frame lists them: by their first plan item, then grader.
        frame["_order"] = frame.groupby(list(BY), sort=False)["_order"].transform("min")
        frame = frame.sort_values(["_order", "grader"], kind="stable").drop(columns="_order")
        return adherence_from_counts(frame, BY)

    # -- counting -------------------------------------------------------------------------------

    def _sample(self, row: Any) -> None:
        """A sample written (again): a failed one is an error for every grader that applies to it (one
        limited to other targets does not)."""
        key = row["key"]
        for grader in self.graders:  # written before: forget the errors counted for it
            entry = self._seen.get(f"{key}|{grader}")
            if entry is not None and (row["status"] != "ok" or entry % CODES == VERDICTS.index("error")):
                self._forget(f"{key}|{grader}")
        if row["status"] == "ok":
            return
        item = self._item(key)
        checks = item is not None and any(e.kind in ANSWER_CHECKS for e in item.challenge.expectations)
        target = item.target if item is not None else row["clause"]
        for grader in self.graders:
            if (grader != EXPECT or checks) and covers(self.targets.get(grader), target, row["clause"]):
                self._count(key, grader, "error", row, False)

    def _count(self, key: str, grader: str, verdict: str, row: Any, self_graded: bool) -> None:
        group = (row["clause"], row["model"], grader, row["challenge"])
        if group not in self._group_ids:
            self._group_ids[group] = len(self._groups)
            self._groups.append(group)
            self._counts.append([0] * (CODES + 1))
            self._first.append(UNPLANNED)
        gid = self._group_ids[group]
        self._forget(f"{key}|{grader}")
        code = VERDICTS.index(verdict) if verdict in VERDICTS else OTHER
        self._seen[f"{key}|{grader}"] = gid * CODES + code
        self._counts[gid][code] += 1
        self._counts[gid][CODES] += self_graded
        self._first[gid] = min(self._first[gid], self._index(key))

    def _forget(self, seen: str) -> None:
        entry = self._seen.pop(seen, None)
        if entry is not None:
            group, code = divmod(entry, CODES)
            self._counts[group][code] -= 1

    def _index(self, key: str) -> float:
        if key not in self._plan_index:
            self._read_plan()
        return self._plan_index.get(key, UNPLANNED)

    def _item(self, key: str) -> PlanItem | None:
        index = self._index(key)
        return self._items[int(index)] if index != UNPLANNED else None

    def _read_plan(self) -> None:
        """Index the plan's keys once (again only when it grew: a plan can be streamed in)."""
        items = self.plan()
        if len(items) != len(self._items):
            self._items = items
            self._plan_index = {item.key: index for index, item in enumerate(items)}
