"""The layering is a contract checked by import-linter, and it can fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(root: Path, package_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=package_dir, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(package_dir), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def test_the_layers_hold() -> None:
    done = lint_imports(ROOT, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the engine reaching for a view, inside a function where it hides best
        ("engine/runner.py", "def _peek() -> None:\n    from jupyter_spec.views import widgets  # noqa\n", "Layers"),
        # the pure language pulling in the store
        ("spec/model.py", "import sqlite3  # noqa\n", "pure"),
        # a sibling cycle inside one layer
        ("spec/markers.py", "from jupyter_spec.spec import model  # noqa\n", "No import cycles"),
    ],
)
def test_a_wrong_import_breaks_the_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    copy = tmp_path / "jupyter_spec"
    shutil.copytree(ROOT / "jupyter_spec", copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    with (copy / module).open("a", encoding="utf-8") as file:
        file.write("\n\n" + line)
    done = lint_imports(ROOT, tmp_path)
    assert done.returncode != 0
    broken_section = done.stdout.split("Broken contracts", 1)[-1]
    assert broken in broken_section, done.stdout


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's components of more than one module (or a module importing itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_or_package_imports_itself_round_about() -> None:
    """Cycles the sibling contract cannot see: a package and its own modules, across any depth."""
    import grimp

    graph = grimp.build_graph("jupyter_spec")
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    edges.pop("jupyter_spec")  # the public package assembles the layers: nothing below imports it
    assert not any("jupyter_spec" in targets for targets in edges.values())
    assert strongly_connected(edges) == []
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_hides_in_a_string() -> None:
    """`importlib.import_module` would let an upward import past the contracts: only the public
    package's lazy names use it."""
    users = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "jupyter_spec").rglob("*.py")
        if "import_module(" in path.read_text(encoding="utf-8") or "__import__(" in path.read_text(encoding="utf-8")
    )
    assert users == ["jupyter_spec/__init__.py"]


def test_every_late_bound_convenience_has_a_provider_and_starting_stays_light() -> None:
    """Scripts and the terminal pay only for what they use: no pandas or matplotlib to start a run."""
    code = (
        "import jupyter_spec, jupyter_spec.frontdoors.cli, jupyter_spec.core.hooks as h\n"
        "jupyter_spec.run, jupyter_spec.resume\n"
        "names = [v for k, v in vars(h).items() if k.isupper()]\n"
        "assert names and all(callable(h.use(n)) for n in names), names\n"
        "import sys; assert 'pandas' not in sys.modules and 'matplotlib' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
