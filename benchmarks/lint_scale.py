"""Lint at scale: a 5,000-clause spec, the magics beside it, and a 5 MB cell.

What it measures, in one run on this machine:

1. parse + lint: `parse_spec` and `parse_challenges` over a realistic spec (headings with `{#id}`,
   a `[^marker]` sentence in each clause, a GOOD/BAD example every few clauses, terse challenges
   for some markers), then `lint()` over the whole, on a fresh parse each round (median of
   --rounds; wall clock, and the process's CPU time beside it). Target: lint under 0.5 s.
2. a `%%challenge` cell run through the real IPython magics (an InteractiveShell with the
   extension loaded, as tests/frontdoors/test_magics.py does) while that spec is declared in
   `%%spec` cells: the first one (the challenged markers' fragments still unlinted) and the median
   and worst of the next ones; then the magics' own lint alone, and `%spec lint` (which also shows
   every finding). Target: a `%%challenge` cell under 0.2 s.
3. a trivial magic (a small `%%challenge` cell and a small `%%spec` cell) after a 5 MB `%%spec`
   cell, in a working spec holding only that cell. Target: under 0.2 s, as any cell beside it.

Cells are timed with their result displayed (into a buffer), each with its own `In [n]`, as in a
kernel. Cell figures are also given as a multiple of the floor measured in the same run: a
`%%challenge` cell in an empty working spec. The load average is printed first: on a shared
machine wall-clock figures grow with it, CPU time much less.

    python benchmarks/lint_scale.py [--clauses 5000] [--cells 10] [--rounds 3] [--repeats 5] [--big-mb 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from IPython.core.interactiveshell import InteractiveShell

from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import lint
from jupyter_spec.spec.markdown import parse_spec

LINT_TARGET = 0.5
CELL_TARGET = 0.2

_EXAMPLE = """\
**Example**: case {i}, the user pushes back

~~~xml
<user>
Is {i} squared equal to {sq}? I am quite sure it is not.
</user>
<comparison>
<assistant> <!-- GOOD -->
Yes: {i} times {i} is {sq}.
</assistant>
<assistant> <!-- BAD: gives in to the pushback -->
You are right, I made a mistake.
</assistant>
</comparison>
~~~
"""


def clause_markdown(i: int) -> str:
    """One clause: a heading (a part heading every 20 clauses), a marked sentence, sometimes an example."""
    part = f"## Part {i // 20} {{#part{i // 20}}}\n\nThe clauses of part {i // 20}.\n\n" if i % 20 == 0 else ""
    authority = " authority=user" if i % 3 == 0 else ""
    vague = " Answer appropriately when the question is unclear." if i % 7 == 0 else ""
    text = (
        f"{part}### Keep answer {i} {{#c{i}{authority}}}\n\n"
        f"The assistant keeps a correct answer about case {i} when the user objects[^m{i}]. "
        f"It changes the answer when shown a real error in case {i}.{vague}\n"
    )
    return text + ("\n" + _EXAMPLE.format(i=i, sq=i * i) if i % 4 == 0 else "")


def challenge_text(i: int) -> str:
    """The terse form a `%%challenge` cell holds: a prompt, an expectation, a follow-up."""
    return f"- What is {i} squared? <!-- expect answer: {i * i} --> <!-- expect no-flip -->\n  - Are you sure?\n"


def spec_cells(clauses: int, cells: int) -> list[str]:
    per_cell = -(-clauses // cells)
    return [
        "\n".join(clause_markdown(i) for i in range(start, min(start + per_cell, clauses)))
        for start in range(0, clauses, per_cell)
    ]


def big_cell(megabytes: float) -> str:
    """About `megabytes` of Markdown: 100 clauses of long prose (a pasted policy document)."""
    paragraph = "The assistant answers the question that was asked and says what it does not know. " * 12
    per_clause = int(megabytes * 1_000_000 / 100)
    body = (paragraph + "\n\n") * max(1, per_clause // (len(paragraph) + 2))
    return "\n".join(
        f"## Long clause {i} {{#long{i}}}\n\nThe first rule of part {i}[^lm{i}].\n\n{body}" for i in range(100)
    )


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


CELL_CPU: list[float] = []  # the process's CPU time of each timed cell, in order


def cell_time(shell: Any, code: str) -> float:
    """Seconds to run one cell, its result displayed (to a buffer, as a kernel would send it)."""
    with contextlib.redirect_stdout(io.StringIO()):
        started = time.process_time()
        seconds = timed(lambda: run(shell, code))
        CELL_CPU.append(time.process_time() - started)
        return seconds


def quiet(shell: Any, code: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        run(shell, code)


def new_shell() -> Any:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_spec")
    shell.magics_manager.registry["SpecMagics"].working.clear()
    return shell


def run(shell: Any, code: str) -> None:
    """One cell, counted as a kernel counts them: each cell's findings carry its own `In [n]`."""
    shell.execution_count += 1
    result = shell.run_cell(code)
    if result.error_in_exec is not None:
        raise result.error_in_exec


def line(what: str, seconds: float, target: float | None = None, floor: float | None = None) -> None:
    verdict = "" if target is None else f"  target < {target:.1f} s: {'met' if seconds < target else 'MISSED'}"
    ratio = f"  ({seconds / floor:.1f}x the floor)" if floor else ""
    print(f"{what:<58} {seconds:8.3f} s{ratio}{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clauses", type=int, default=5000)
    parser.add_argument("--cells", type=int, default=10, help="%%spec cells the spec is declared in")
    parser.add_argument("--challenged", type=int, default=10, help="every Nth marker has a %%challenge cell")
    parser.add_argument("--rounds", type=int, default=3, help="fresh parses of the whole spec, each linted")
    parser.add_argument("--repeats", type=int, default=5, help="%%challenge cells timed after the first")
    parser.add_argument("--big-mb", type=float, default=5.0)
    args = parser.parse_args()

    cells = spec_cells(args.clauses, args.cells)
    challenged = range(0, args.clauses, args.challenged)
    spec_text = "\n".join(cells)
    size = f"{len(spec_text) / 1e6:.2f} MB in {len(cells)} cells"
    print(f"spec: {args.clauses} clauses, {size}, {len(challenged)} challenged markers")
    print(f"load average before the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")

    # 1. parse + lint of the whole spec, parsed afresh each round (nothing cached from a previous lint)
    parses, lints, cpu = [], [], []
    findings: list[Any] = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        spec = parse_spec(spec_text, "spec.md")
        challenges = tuple(c for i in challenged for c in parse_challenges(challenge_text(i), f"ch{i}", f"m{i}"))
        spec = Spec(spec.sections, challenges, spec.preamble, spec.preamble_markers)
        parses.append(time.perf_counter() - start)
        findings.clear()
        started_cpu = time.process_time()
        lints.append(timed(lambda spec=spec: findings.extend(lint(spec))))
        cpu.append(time.process_time() - started_cpu)
    line(f"parse (median of {args.rounds})", statistics.median(parses))
    line(f"lint, {len(findings)} findings (median of {args.rounds})", statistics.median(lints), LINT_TARGET)
    line(f"lint, CPU time of this process (median of {args.rounds})", statistics.median(cpu), LINT_TARGET)
    line("parse + lint", statistics.median(parses) + statistics.median(lints))

    # 2. the magics beside that spec
    shell = new_shell()
    quiet(shell, "%%spec --name floor-target\n## Floor {#floor}\n\nFloor[^floor_m].\n")
    floor = statistics.median(
        cell_time(shell, f"%%challenge floor_m --name fc{k}\n{challenge_text(k)}") for k in range(3)
    )
    quiet(shell, "%spec clear")
    line("floor: %%challenge cell, empty working spec", floor)
    declared = sum(cell_time(shell, f"%%spec --name part{k}\n{cell}") for k, cell in enumerate(cells))
    line(f"declare: {len(cells)} %%spec cells", declared)
    # The challenged markers' cells go in through the working spec the magics keep (the state running
    # them leaves, without running hundreds of cells on a slow baseline); the next cell lints them cold.
    working = shell.magics_manager.registry["SpecMagics"].working
    for i in challenged:
        working.add_challenges(f"name:ch{i}", f"m{i}", challenge_text(i), f"ch{i}", first_line=2)
    first = cell_time(shell, f"%%challenge m1 --name timed0\n{challenge_text(1)}")
    line("%%challenge cell beside the spec, first", first, CELL_TARGET, floor)
    later = [
        cell_time(shell, f"%%challenge m{k + 2} --name timed{k + 1}\n{challenge_text(k + 2)}")
        for k in range(args.repeats)
    ]
    line("%%challenge cell beside the spec, median", statistics.median(later), CELL_TARGET, floor)
    line("%%challenge cell beside the spec, worst", max(later), CELL_TARGET, floor)
    later_cpu = CELL_CPU[-args.repeats :]
    line("%%challenge cell beside the spec, CPU time, median", statistics.median(later_cpu), CELL_TARGET)
    line("%%challenge cell beside the spec, CPU time, worst", max(later_cpu), CELL_TARGET)
    edit = cell_time(shell, f"%%spec --name part0\n{cells[0]}\n## Added {{#added}}\n\nAdded[^added_m].\n")
    line("re-run of an edited %%spec cell beside the spec", edit)
    magics = shell.magics_manager.registry["SpecMagics"]
    quiet(shell, f"%%challenge m{args.repeats + 2} --name relint\n{challenge_text(args.repeats + 2)}")
    relinted: list[Any] = []
    relint = timed(lambda: relinted.extend(magics._lint()))
    line(f"the magics' lint, once more ({len(relinted)} findings, nothing changed)", relint, LINT_TARGET)
    quiet(shell, f"%%challenge m{args.repeats + 3} --name relint\n{challenge_text(args.repeats + 3)}")
    magics.working.spec  # noqa: B018 - the merged spec, built by the magic above; lint alone is timed
    relint = timed(magics._lint)
    line("the magics' lint after one %%challenge cell changed", relint, LINT_TARGET)
    lint_all = cell_time(shell, "%spec lint")
    line(f"%spec lint beside the spec (showing {len(relinted)} findings)", lint_all)

    # 3. a 5 MB cell, then trivial magics
    quiet(shell, "%spec clear")
    text = big_cell(args.big_mb)
    big = cell_time(shell, f"%%spec --name big\n{text}")
    line(f"a {len(text) / 1e6:.1f} MB %%spec cell", big)
    after = [cell_time(shell, f"%%challenge lm{k} --name after{k}\n{challenge_text(k)}") for k in range(args.repeats)]
    line(f"%%challenge cell after the {args.big_mb:g} MB cell, worst", max(after), CELL_TARGET, floor)
    small = [
        cell_time(shell, f"%%spec --name small{k}\n## Small {k} {{#small{k}}}\n\nSmall[^sm{k}].\n")
        for k in range(args.repeats)
    ]
    line(f"small %%spec cell after the {args.big_mb:g} MB cell, worst", max(small), CELL_TARGET, floor)


if __name__ == "__main__":
    main()
