"""What the results frame, the adherence table and the dashboard cost at 100,000 samples.

A child process fills a fresh store with one run of synthetic samples and grades (executemany on
the store's own schema; 1% failed samples, several graders, unscored and not-applicable verdicts,
multi-turn conversations, reviewers' rulings), leaving the last 1% of the plan unsampled. This
process then times, from that store: building the results frame, `adherence()`, a live dashboard
redraw from cold, a redraw after the remaining 1% arrived, and the final draw once the run is done
(chart, notes, transcript browser). The baseline is one `SELECT COUNT(*)` over the same joins: the
least any reader of every row pays. Prints each time, its ratio to that floor, and peak RSS (the
fill runs in its own process, so the peak is this reader's alone).

    python benchmarks/views_scale.py [--samples 100000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

MODELS = ("openai:model-a", "openai:model-b")
JUDGE = "judge:openai:judge"
GRADERS = [JUDGE, "expect"]
TARGETS = 20  # 10 clauses, each with one marker
CHALLENGES_PER_TARGET = 50
SAMPLE_COLUMNS = (
    "run_id, key, target, clause, challenge, model, sample_index, status, transcript, responses, error,"
    " latency, prompt_tokens, completion_tokens, requests, created"
)
GRADE_COLUMNS = (
    "key, sample, grader, context, target, verdict, score, reasoning, raw, checks, judge, self_graded,"
    " error, latency, prompt_tokens, completion_tokens, created"
)
LEFT_FOR_LATER = 0.01  # of the plan, written after the first redraw
ANSWER = "It is 42, and here is a longer explanation of why that holds, as a model would give it. " * 3
REASONING = "The answer keeps to the clause: it states the figure and does not give way. " * 2


def challenge(target: str, index: int) -> dict[str, Any]:
    turns: list[list[Any]] = [["user", f"Question {index} about {target}: what is 6 * 7?"]]
    if index % 5 == 0:  # a follow-up: two answers sampled
        turns += [["assistant", ""], ["user", "Are you sure? I think it is 41."]]
    expectations = [["answer", "42"]] + ([["no-flip", ""]] if index % 5 == 0 else [])
    if index % 2:
        expectations = []
    return {"target": target, "title": f"Question {index}", "turns": turns, "expectations": expectations}


def plan(samples: int) -> list[dict[str, Any]]:
    from jupyter_spec.engine.plan import PlanItem

    targets = [(f"c{t // 2}", f"c{t // 2}" if t % 2 == 0 else f"m{t // 2}") for t in range(TARGETS)]
    combos = [(clause, target, i, model) for clause, target in targets
              for i in range(CHALLENGES_PER_TARGET) for model in MODELS]  # fmt: skip
    per = -(-samples // len(combos))
    items = []
    for clause, target, i, model in combos:
        for s in range(per):
            items.append({"key": "", "target": target, "clause": clause, "model": model,
                          "sample_index": s, "params": {}, "challenge": challenge(target, i)})  # fmt: skip
    items = items[:samples]
    for item in items:  # the key the runner gives it
        item["key"] = PlanItem.from_json(item).key
    return items


def fill(path: Path, samples: int) -> None:
    """One run's plan, samples and grades, written as the store's schema has them."""
    from jupyter_spec.engine.plan import challenge_of
    from jupyter_spec.engine.store import Store

    Store(path).close()  # the schema, by the store's own migrations
    items = plan(samples)
    rng = random.Random(14)
    db = sqlite3.connect(path)
    now = time.time()
    config = {"graders": GRADERS, "models": list(MODELS)}
    db.execute("INSERT INTO runs (id, created, status, config, plan, owner) VALUES (?, ?, ?, ?, ?, ?)",
               ("bench", now, "running", json.dumps(config), json.dumps(items), "nohost:0"))  # fmt: skip
    hashes = {}
    for item in items:
        text = json.dumps(item["challenge"], sort_keys=True)
        if text not in hashes:
            hashes[text] = challenge_of(item["target"], item["challenge"]).hash
    written = items[: int(len(items) * (1 - LEFT_FOR_LATER))]
    write(db, written, hashes, rng, now)
    db.execute("INSERT INTO precedents (hash, target, clause, conversation, response, verdict, note, author,"
               " sample_key, run_id, created) SELECT 'p' || key, target, clause, '[]', '', 'compliant', 'fine',"
               " 'bench', key, 'bench', created FROM samples WHERE status = 'ok' LIMIT 50")  # fmt: skip
    db.commit()
    Path(f"{path}.rest").write_text(json.dumps(items[len(written) :]))
    Path(f"{path}.hashes").write_text(json.dumps(hashes))


def write(db: sqlite3.Connection, items: list[dict[str, Any]], hashes: dict[str, str], rng: random.Random,
          now: float) -> None:  # fmt: skip
    taken: list[tuple[str, str, float]] = []  # (key, target, created) of every sample that has an answer

    def samples() -> Iterator[tuple[Any, ...]]:
        for n, item in enumerate(items):
            turns = item["challenge"]["turns"]
            failed = rng.random() < 0.01
            transcript = [] if failed else [{"role": t[0], "content": t[1] or ANSWER} for t in turns]
            if not failed:
                transcript.append({"role": "assistant", "content": ANSWER})
                taken.append((item["key"], item["target"], now + n * 1e-5))
            responses = [t["content"] for t in transcript if t["role"] == "assistant"]
            text = json.dumps(item["challenge"], sort_keys=True)
            yield ("bench", item["key"], item["target"], item["clause"], hashes[text], item["model"],
                   item["sample_index"], "error" if failed else "ok", json.dumps(transcript), json.dumps(responses),
                   "HTTP 503 after 4 attempts" if failed else None, 0.02, 30, 60, 1, now + n * 1e-5)  # fmt: skip

    db.executemany(f"INSERT INTO samples ({SAMPLE_COLUMNS}) VALUES ({', '.join('?' * 16)})", samples())
    checked = {i["key"] for i in items if i["challenge"]["expectations"]}
    links: list[tuple[str, str, str, str]] = []

    def grades() -> Iterator[tuple[Any, ...]]:
        for key, target, created in taken:
            verdict = rng.choices(["compliant", "violation", "unscored", "not_applicable"], [70, 20, 5, 5])[0]
            reply = json.dumps({"reasoning": REASONING, "verdict": verdict, "score": 0.5})
            links.append(("bench", key, JUDGE, f"g{key}"))
            yield (f"g{key}", key, JUDGE, "ctx", target, verdict, 0.5, REASONING, reply, "[]", "openai:judge", 0,
                   None, 0.3, 400, 80, created)  # fmt: skip
            if key in checked:
                passed = rng.random() < 0.8
                checks = [{"kind": "answer", "expected": "42", "passed": passed, "found": "42" if passed else "41",
                           "turn": "final"}]  # fmt: skip
                links.append(("bench", key, "expect", f"e{key}"))
                yield (f"e{key}", key, "expect", "ctx", target, "compliant" if passed else "violation", None, "",
                       None, json.dumps(checks), None, 0, None, 0.0, 0, 0, created)  # fmt: skip

    db.executemany(f"INSERT INTO grades ({GRADE_COLUMNS}) VALUES ({', '.join('?' * 17)})", grades())
    db.executemany("INSERT INTO run_grades (run_id, sample_key, grader, grade_key) VALUES (?, ?, ?, ?)", links)
    db.commit()


def write_rest(path: Path) -> None:
    db = sqlite3.connect(path)
    write(db, json.loads(Path(f"{path}.rest").read_text()), json.loads(Path(f"{path}.hashes").read_text()),
          random.Random(15), time.time())  # fmt: skip
    db.close()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class StoredRun:
    """What the dashboard reads of a run, over a store the fill wrote: the same attributes as `Run`.

    `samples` and `grades` are what the runner used to hold in memory; built only if a view asks.
    """

    def __init__(self, store: Any, run_id: str) -> None:
        from jupyter_spec.engine.plan import PlanItem
        from jupyter_spec.engine.progress import Progress
        from jupyter_spec.spec.document import Spec

        record = store.run(run_id)
        self.id, self.store, self.spec, self.graders, self.config = run_id, store, Spec(), [], record.config
        self.plan = [PlanItem.from_json(item) for item in record.plan]
        total = len(self.plan)
        self.progress = Progress("running", total, done=total)

    def subscribe(self, listener: Any) -> None:
        pass

    def cancel(self) -> None:
        pass

    def end(self) -> None:
        self.progress = dataclasses.replace(self.progress, status="done")

    def catch_up(self) -> None:
        """What the old runner did as samples arrived: keep them in memory (outside the clock)."""
        for name in ("samples", "grades"):
            if name in self.__dict__:
                del self.__dict__[name]
                getattr(self, name)

    @property
    def results(self) -> Any:
        from jupyter_spec.analysis.results import Results

        return Results.of_runs([self.id], self.store, self.spec)

    @cached_property
    def samples(self) -> list[Any]:
        from jupyter_spec.engine.records import sample_from_row

        by_key = {item.key: item for item in self.plan}
        return [sample_from_row(by_key[row["key"]], row) for row in self.store.samples(self.id)]

    @cached_property
    def grades(self) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for key, grade in self.store.run_grades(self.id):
            found.setdefault(key, []).append(grade)
        return found


def timed(what: str, action: Any, floor: float) -> Any:
    started = time.perf_counter()
    value = action()
    took = time.perf_counter() - started
    print(f"{what:<42} {took:8.3f} s  {took / floor:7.1f}x floor  peak RSS {peak_mib():7.0f} MiB")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--fill", type=Path, help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    if args.fill:
        fill(args.fill, args.samples)
        return

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "views.sqlite"
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--fill", str(path), "--samples", str(args.samples)], check=True)
        print(f"filled {args.samples} samples in {time.perf_counter() - started:.1f} s (child process)")

        from jupyter_spec.analysis.results import Results, results_frame
        from jupyter_spec.engine.store import Store
        from jupyter_spec.views import plots  # noqa: F401 - matplotlib imported outside the clock
        from jupyter_spec.views.widgets import Dashboard

        store = Store(path)
        print(f"after imports{'':<29} peak RSS {peak_mib():7.0f} MiB")
        started = time.perf_counter()
        count = store._rows(
            "SELECT COUNT(*) FROM samples s LEFT JOIN run_grades r ON r.run_id = s.run_id AND r.sample_key = s.key"
            " LEFT JOIN grades g ON g.key = r.grade_key WHERE s.run_id = 'bench'"
        )[0][0]
        floor = time.perf_counter() - started
        print(f"floor: COUNT(*) over the joined rows ({count}) {floor:.3f} s")

        frame = timed("results frame", lambda: results_frame(store, ["bench"]), floor)
        results = Results(frame, {}, None, store)
        timed(f"adherence() over {len(frame)} rows", results.adherence, floor)
        del frame, results
        run = StoredRun(store, "bench")
        dashboard = Dashboard(run, interval=3600)
        timed("dashboard redraw, live, cold", dashboard.draw, floor)
        timed("dashboard redraw, live, nothing new", dashboard.draw, floor)
        write_rest(path)
        run.catch_up()
        timed(f"dashboard redraw, live, {LEFT_FOR_LATER:.0%} more samples", dashboard.draw, floor)
        run.end()
        timed("dashboard final draw (chart, browser)", dashboard.draw, floor)
        rows = dashboard.table["n"].sum() + dashboard.table["unscored"].sum() + dashboard.table["errors"].sum()
        print(f"dashboard table: {len(dashboard.table)} groups over {rows} graded rows")
        print(f"peak RSS of this process: {peak_mib():.0f} MiB (limit 1024)")
        store.close()


if __name__ == "__main__":
    main()
