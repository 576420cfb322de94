"""Scale: `run()` at tens of thousands of samples against its floor, all measured in one sitting.

One fixed-latency OpenAI-compatible endpoint on 127.0.0.1 (its own process; 20 ms latency) serves
every phase; each phase runs in a child process of its own, so its memory peak and its caches are
its own. Requests are counted, and their arrival timed, from the endpoint's log; the endpoint's CPU
is read from /proc and printed, so a server that could not keep up would show (near 100% of a core).

(a) throughput: 20,000 samples through `run()` as users run it, every answer checked by an
    expectation (`<!-- expect regex: ... -->`: an `ExpectationGrader` grade per sample, stored; a
    fresh store each time), and a raw `aiohttp` client posting the same JSON bodies at the same
    concurrency (128): the floor. Both are warmed first (imports, clients, connections), then
    alternated over --rounds rounds, the order swapped each round. Target: run() >= 1,500
    samples/s, within about 2.3x the floor. Then, as a second figure (no target), the same 20,000
    with a model judge besides the check (`openai:fixed-judge`, served by the same endpoint, which
    answers a judge's request with a verdict): two requests per sample (each sample is seeded, and
    the endpoint's answer names the seed, so no two answers, nor two judge prompts, are the same);
    the grades and the verdicts stored are printed, so a judge that read nothing (all `unscored`)
    would show.
(b) the unchanged re-run of each of those (same store, a new run): target < 1 s and 0 requests,
    every sample's grade linked to the new run from the store.
(c) how long `run()` takes to return its handle for a 50,000-item plan (target < 100 ms), and when
    the first request reaches the endpoint after the call (its log's timestamp; target < 0.5 s).
    The same again with a `Dashboard` built on the handle, as a notebook shows one.
(d) a 100,000-sample run, each answer checked by an expectation (a deterministic grader: no
    judge requests, but a grade per sample to store): peak memory, the child's RSS high-water mark
    (`resource.getrusage`); target < 1 GiB.
(e) the results frame (`Results.of_runs(...).df`) and `results.adherence()` at 20,000 and 100,000
    rows (graded by that expectation), read from the stores of (a) and (d) in fresh processes.

Measured on the 2-core machine in one sitting (issue 23; the README's "Measured" has the rest):
(a) 3,851-4,027 samples/s checked, 1.34-1.38x the floor's 5,315-5,408/s; judged 1,647-1,733/s;
(b) 0.52 s checked, 0.63-0.78 s judged, 0 requests. The code before, by this script, in the same
sitting: 2,742-2,882/s (1.81-1.97x), judged 1,186-1,425/s; re-runs 1.9-2.6 s and 3.6-3.7 s.

    python benchmarks/scale.py [--samples 20000] [--plan-items 50000] [--memory-samples 100000]
                               [--rounds 2] [--concurrency 128] [--latency 0.02] [--phases abcde] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    AiohttpFloor,
    Meter,
    benchmark_spec,
    cpu_reference,
    endpoint_parser,
    endpoint_pid,
    log_count,
    log_entries,
    log_size,
    per_prompt,
    plan_size,
    request_bodies,
    verdict,
)

from jupyter_spec.testing import endpoint_command, serve

MIB = 1024 * 1024
RESULT = "RESULT "  # a child's one line of figures for the parent


def options(argv: list[str] | None = None) -> Any:
    parser = endpoint_parser(__doc__, samples=20_000, concurrency=128, latency=0.02)
    parser.add_argument("--plan-items", type=int, default=50_000, help="plan size for the return-time phase")
    parser.add_argument("--memory-samples", type=int, default=100_000, help="samples of the memory phase")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of floor and run()")
    parser.add_argument("--phases", default="abcde", help="which phases to run, e.g. abc (default: all)")
    parser.add_argument("--quick", action="store_true", help="a smoke version: 2,000 / 5,000 / 5,000, one round")
    parser.add_argument("--phase", help=argparse.SUPPRESS, default=None)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--run-id", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        defaults = {"samples": 20_000, "plan_items": 50_000, "memory_samples": 100_000, "rounds": 2}
        quick = {"samples": 2_000, "plan_items": 5_000, "memory_samples": 5_000, "rounds": 1}
        for name, value in quick.items():
            if getattr(args, name) == defaults[name]:  # explicit figures win over --quick's
                setattr(args, name, value)
    return args


# -- the phases, each in a child process -----------------------------------------------------------


def _settings(args: Any) -> Any:
    from jupyter_spec.engine.settings import Settings

    return Settings(openai_base_url=args.url, concurrency={"openai": args.concurrency})


CHECKED = "<!-- expect regex: Canned -->"  # a deterministic check of every answer: no judge, no requests
JUDGE = "openai:fixed-judge"  # a model judge served by the same endpoint (it answers a judge with a verdict)
# A seed per sample (`PlanItem.request_params` offsets it): the endpoint's answers to the samples of one
# prompt then differ, as a model's do, so the judge has as many answers to read as there are samples.
PARAMS = {"seed": 0}


def _run(args: Any, samples: int, store: Path, settings: Any, checked: bool = True, judged: bool = False) -> Any:
    """`run()` as a user runs it: every answer checked by its expectation (an `ExpectationGrader`
    grade per sample, to store), and with `judged` a model judge's grade besides."""
    from jupyter_spec.engine.runner import run
    from jupyter_spec.engine.store import Store

    spec = benchmark_spec(CHECKED if checked else "")
    judges = [JUDGE] if judged else []
    return run(spec, ["openai:fixed"], per_prompt(samples), judges=judges, params=PARAMS, store=Store(store),
               settings=settings)  # fmt: skip


def _timed(args: Any, samples: int, store: Path, settings: Any, log: Path, server: int | None,
           judged: bool = False) -> tuple[Any, dict[str, Any]]:  # fmt: skip
    """One run to its end: its wall and CPU time, the requests the endpoint logged, what it graded."""
    before = log_size(log)
    with Meter(server) as meter:
        handle = _run(args, samples, store, settings, judged=judged)
        handle.wait()
    progress = handle.progress
    figures = {"wall": meter.wall, "cpu": meter.cpu, "server": meter.server_share, "requests": log_count(log, before),
               "failures": progress.errors, "graded": progress.graded, "unscored": progress.unscored,
               "grade_errors": progress.grade_errors, "judge_requests": progress.judge_requests}  # fmt: skip
    return handle, figures


def _verdicts(handle: Any) -> dict[str, dict[str, int]]:
    """How many of each verdict every grader stored for the run (read after the clock, from the store)."""
    counts: dict[str, dict[str, int]] = {}
    for row in handle.store.graded_rows(handle.id):
        if row["grader"] is not None:
            by_grader = counts.setdefault(row["grader"], {})
            by_grader[row["verdict"]] = by_grader.get(row["verdict"], 0) + 1
    return counts


def phase_throughput(args: Any) -> dict[str, Any]:
    """(a) and (b): floor and the checked run() alternated after warming both, then the unchanged
    re-run; the same with a model judge besides the check, and its unchanged re-run."""
    from jupyter_spec.engine.plan import make_plan
    from jupyter_spec.engine.providers import get_provider

    settings, folder, log = _settings(args), Path(args.dir), Path(args.log)
    server = endpoint_pid(args.url)
    for model in ("openai:fixed", JUDGE):  # imports and the clients: once per session, not per run
        get_provider(model, settings)
    plan = make_plan(benchmark_spec(CHECKED), ["openai:fixed"], per_prompt(args.samples), params=PARAMS)
    bodies = request_bodies(plan)
    floor = AiohttpFloor(args.url, args.concurrency)
    warm = min(len(bodies), 1000)
    floor.post_all(bodies[:warm])
    _run(args, warm, folder / "warm.sqlite", settings).wait()
    _run(args, warm, folder / "warm-judged.sqlite", settings, judged=True).wait()

    figures: dict[str, list[dict[str, float]]] = {"floor": [], "run": []}
    last: Any = None
    for round_ in range(args.rounds):
        order = ("floor", "run") if round_ % 2 == 0 else ("run", "floor")
        for side in order:
            if side == "floor":
                before = log_size(log)
                with Meter(server) as meter:
                    failures = floor.post_all(bodies)
                figures[side].append({"wall": meter.wall, "cpu": meter.cpu, "server": meter.server_share,
                                      "requests": log_count(log, before), "failures": failures})  # fmt: skip
            else:
                last, found = _timed(args, args.samples, folder / f"run-{round_}.sqlite", settings, log, server)
                figures[side].append(found)
    floor.close()
    checked = {"verdicts": _verdicts(last)}
    _again, checked["rerun"] = _timed(args, args.samples, Path(last.store.path), settings, log, server)

    judged_run, judged = _timed(args, args.samples, folder / "judged.sqlite", settings, log, server, judged=True)
    judged["verdicts"] = _verdicts(judged_run)
    _again, judged["rerun"] = _timed(args, args.samples, Path(judged_run.store.path), settings, log, server,
                                     judged=True)  # fmt: skip
    return {"samples": len(plan), "figures": figures, "checked": checked, "judged": judged,
            "store": str(last.store.path), "run_id": last.id}  # fmt: skip


def phase_return(args: Any) -> dict[str, Any]:
    """(c): run()'s return time on a large plan, and the first request's arrival, bare and with a dashboard."""
    from jupyter_spec.engine.providers import get_provider

    try:
        from jupyter_spec.views.widgets import Dashboard
    except ImportError as error:  # a view half-way through a change: measure the bare side, say why not the other
        dashboard_missing: str | None = f"{type(error).__name__}: {error}"
    else:
        dashboard_missing = None

    settings, folder, log = _settings(args), Path(args.dir), Path(args.log)
    get_provider("openai:fixed", settings)
    _run(args, 50, folder / "return-warm.sqlite", settings).wait()  # the background loop is up, as in a kernel
    found: dict[str, Any] = {}
    for view in ("bare", "dashboard"):
        if view == "dashboard" and dashboard_missing:
            found[view] = {"items": args.plan_items, "returned": float("nan"), "first": None,
                           "error": dashboard_missing}  # fmt: skip
            continue
        before = log_size(log)
        called = time.time()
        started = time.perf_counter()
        handle = _run(args, args.plan_items, folder / f"return-{view}.sqlite", settings)
        dashboard = Dashboard(handle) if view == "dashboard" else None
        returned = time.perf_counter() - started
        first = None
        deadline = time.monotonic() + 60
        while first is None and time.monotonic() < deadline:
            entries = log_entries(log, before) if log_size(log) > before else []
            first = min((entry["time"] for entry in entries), default=None)
            time.sleep(0.005)
        handle.cancel()
        handle.wait(300)
        if dashboard is not None:
            dashboard.wait_drawn(300)
        found[view] = {"items": plan_size(handle), "returned": returned,
                       "first": None if first is None else first - called}  # fmt: skip
    return found


def phase_memory(args: Any) -> dict[str, Any]:
    """(d): the RSS high-water mark of a process that runs a large plan to the end."""
    from jupyter_spec.engine.providers import get_provider

    settings, folder = _settings(args), Path(args.dir)
    get_provider("openai:fixed", settings)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    handle = _run(args, args.memory_samples, folder / "memory.sqlite", settings, checked=True)
    handle.wait()
    wall = time.perf_counter() - started
    return {"samples": plan_size(handle), "wall": wall, "errors": handle.progress.errors, "baseline": baseline,
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "rss_after": _rss_now(),
            "store": str(handle.store.path), "run_id": handle.id}  # fmt: skip


def _rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def phase_frame(args: Any) -> dict[str, Any]:
    """(e): the results frame and the adherence table of a stored run, in a fresh process."""
    import pandas  # noqa: F401 - imported before the clock: a kernel has it already

    from jupyter_spec.analysis.results import Results
    from jupyter_spec.engine.store import Store

    store = Store(Path(args.dir))
    started = time.perf_counter()
    results = Results.of_runs([args.run_id], store)
    rows = len(results.df)
    frame = time.perf_counter() - started
    started = time.perf_counter()
    table = results.adherence()
    adherence = time.perf_counter() - started
    return {"rows": rows, "frame": frame, "adherence": adherence, "groups": len(table),
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}  # fmt: skip


PHASES = {"throughput": phase_throughput, "return": phase_return, "memory": phase_memory, "frame": phase_frame}


def child(phase: str, args: Any, url: str, log: Path, folder: str, run_id: str = "") -> dict[str, Any]:
    """Run one phase in a fresh interpreter and return the figures it printed."""
    command = [sys.executable, __file__, "--phase", phase, "--url", url, "--log", str(log), "--dir", folder,
               "--run-id", run_id, "--samples", str(args.samples), "--plan-items", str(args.plan_items),
               "--memory-samples", str(args.memory_samples), "--rounds", str(args.rounds),
               "--concurrency", str(args.concurrency), "--latency", str(args.latency)]  # fmt: skip
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith(RESULT))
    return json.loads(line.removeprefix(RESULT))


# -- the parent: the endpoint, the children, the figures -----------------------------------------------


def rate(samples: int, runs: list[dict[str, float]]) -> float:
    """Samples per second over all rounds (total samples / total time)."""
    return samples * len(runs) / sum(r["wall"] for r in runs)


def main() -> None:
    args = options()
    if args.phase:
        print(RESULT + json.dumps(PHASES[args.phase](args)), flush=True)
        return

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "requests.jsonl"
        with serve(endpoint_command(args.latency, log)) as url:
            print(f"scale: {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}, "
                  f"host CPU reference (10^7-step Python loop) {cpu_reference():.2f} s", flush=True)  # fmt: skip
            throughput: dict[str, Any] | None = None
            memory: dict[str, Any] | None = None
            if set("abe") & set(args.phases):  # (e)'s 20,000-row frame reads (a)'s store
                throughput = child("throughput", args, url, log, tmp)
                show_throughput(args, throughput)
            if "c" in args.phases:
                show_return(child("return", args, url, log, tmp))
            if set("de") & set(args.phases):  # (e)'s 100,000-row frame reads (d)'s store
                memory = child("memory", args, url, log, tmp)
                show_memory(memory)
        for phase in (throughput, memory) if "e" in args.phases else ():
            assert phase is not None
            show_frame(child("frame", args, url, log, phase["store"], phase["run_id"]))


def _grades(found: dict[str, Any]) -> str:
    return (f"{found['graded']:,} grades ({found['unscored']:,} unscored, {found['grade_errors']:,} errors), "
            f"{found['judge_requests']:,} judge requests")  # fmt: skip


def _verdict_counts(verdicts: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{grader}: " + ", ".join(f"{n:,} {v}" for v, n in sorted(counts.items()))
                     for grader, counts in sorted(verdicts.items())) or "none"  # fmt: skip


def show_rerun(label: str, samples: int, rerun: dict[str, Any]) -> None:
    ok = rerun["wall"] < 1 and rerun["requests"] == 0
    print(f"(b) unchanged re-run of the same {samples:,}{label}: {rerun['wall']:.3f} s, {rerun['requests']} "
          f"requests, {rerun['failures']} errors; {_grades(rerun)}  (target < 1 s and 0 requests: {verdict(ok)})",
          flush=True)  # fmt: skip


def show_throughput(args: Any, throughput: dict[str, Any]) -> None:
    samples, figures = throughput["samples"], throughput["figures"]
    floor, ran = rate(samples, figures["floor"]), rate(samples, figures["run"])
    print(f"(a) {samples:,} samples, {args.rounds} round(s) alternating floor and run() after warming both;"
          f" run() checks every answer (an expectation grade per sample, stored):")  # fmt: skip
    for side, label in (("floor", "raw aiohttp floor"), ("run", "run() + check   ")):
        runs = figures[side]
        each = ", ".join(f"{samples / r['wall']:,.0f}" for r in runs)
        requests = ", ".join(str(r["requests"]) for r in runs)
        client_cpu = sum(r["cpu"] for r in runs) / sum(r["wall"] for r in runs)
        print(f"    {label}: {rate(samples, runs):,.0f} samples/s (rounds: {each}); requests {requests}; "
              f"failures {sum(r['failures'] for r in runs)}; client CPU {client_cpu:.0%}, "
              f"endpoint CPU <= {max(r['server'] for r in runs):.0%} of a core")  # fmt: skip
    last = figures["run"][-1]
    print(f"    run() + check, last round: {_grades(last)}; verdicts stored: "
          f"{_verdict_counts(throughput['checked']['verdicts'])}")  # fmt: skip
    print(f"    run() {ran:,.0f} samples/s  (target >= 1,500: {verdict(ran >= 1500)}); "
          f"floor/run ratio {floor / ran:.2f}x  (target <= about 2.3x: {verdict(floor / ran <= 2.3)})")  # fmt: skip
    judged = throughput["judged"]
    judged_rate, requests, wall = samples / judged["wall"], judged["requests"], judged["wall"]
    print(f"(a) the same {samples:,} with a model judge besides the check ({JUDGE}, served by the same endpoint):"
          f" {judged_rate:,.0f} samples/s, {requests:,} requests ({requests / wall:,.0f}/s: the floor's"
          f" {floor:,.0f}/s is {floor / (requests / wall):.2f}x that), {judged['failures']} errors;"
          f" client CPU {judged['cpu'] / wall:.0%}, endpoint CPU {judged['server']:.0%} of a core")  # fmt: skip
    print(f"    {_grades(judged)}; verdicts stored: {_verdict_counts(judged['verdicts'])}")
    show_rerun(" (checked)", samples, throughput["checked"]["rerun"])
    show_rerun(" (checked and judged)", samples, judged["rerun"])


def show_return(returning: dict[str, Any]) -> None:
    for view, found in returning.items():
        label = "run()" if view == "bare" else "run() + Dashboard(handle)"
        if "error" in found:
            print(f"(c) {label} on a {found['items']:,}-item plan: not measured ({found['error']})")
            continue
        first = found["first"]
        shown = "never (within 60 s)" if first is None else f"{first:.3f} s after the call"
        print(f"(c) {label} on a {found['items']:,}-item plan returned in {found['returned'] * 1000:.0f} ms "
              f"(target < 100 ms: {verdict(found['returned'] < 0.1)}); first request at the endpoint {shown} "
              f"(target < 0.5 s: {verdict(first is not None and first < 0.5)})", flush=True)  # fmt: skip


def show_memory(memory: dict[str, Any]) -> None:
    peak = memory["peak"]
    print(f"(d) {memory['samples']:,}-sample run: peak RSS {peak / MIB:,.0f} MiB (target < 1,024 MiB: "
          f"{verdict(peak < 1024 * MIB)}); {memory['baseline'] / MIB:,.0f} MiB before the run, "
          f"{memory['rss_after'] / MIB:,.0f} MiB held after it; {memory['wall']:.1f} s "
          f"({memory['samples'] / memory['wall']:,.0f} samples/s), {memory['errors']} errors", flush=True)  # fmt: skip


def show_frame(frame: dict[str, Any]) -> None:
    print(f"(e) results at {frame['rows']:,} rows: frame {frame['frame']:.2f} s, adherence "
          f"{frame['adherence'] * 1000:.0f} ms ({frame['groups']} group(s)); peak RSS of that process "
          f"{frame['peak'] / MIB:,.0f} MiB", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
