"""binder/ alone rebuilds a working environment: the steps repo2docker runs for mybinder.org, replayed in a
clean virtual environment on a copy of the repository's own files, then the quickstart notebook headless.

Slow (a virtual environment and every install from PyPI: minutes). It reuses this machine's pip cache for
the llama-cpp-python wheel, as a developer's rebuild would; on mybinder.org postBuild compiles it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from jupyter_spec.views.mime import MIME_TYPE

ROOT = Path(__file__).resolve().parents[1]
KERNEL = "jupyter-spec-binder"
NOTEBOOK = "notebooks/01-quickstart.ipynb"


def _git_checkout() -> bool:
    """Whether ROOT is a git work tree: only then is 'the repository's files' well defined."""
    if shutil.which("git") is None:
        return False
    command = ["git", "-C", str(ROOT), "rev-parse", "--is-inside-work-tree"]
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


pytestmark = pytest.mark.skipif(not _git_checkout(), reason="needs git and a git checkout of the repository")


def copy_repository_files(destination: Path) -> None:
    """The files git tracks, plus new ones it would track (not ignored): nothing built locally (node_modules,
    the built extension, egg-info) leaks into the copy, as on mybinder.org's fresh clone."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True,
    )  # fmt: skip
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not part of the checkout
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def clean_environment(venv: Path, home: Path) -> dict[str, str]:
    """This process's environment with the venv first on PATH, and nothing that would steer the build or the
    notebook elsewhere: no CMAKE_ARGS (postBuild must set its own), no API keys or endpoints, no Jupyter
    config or data of the user's (only the venv's kernels and extensions are found)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"CMAKE_ARGS", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH"}
        and not key.startswith(("JUPYTER_SPEC_", "OPENAI_", "PIP_NO_CACHE"))
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_ROOT_USER_ACTION="ignore",
        PIP_PROGRESS_BAR="off",
        PYTHONUNBUFFERED="1",
    )
    return env


class Steps:
    """Runs commands with their output in one log file, timing each; a failure shows the log's tail."""

    def __init__(self, log: Path, cwd: Path, env: dict[str, str]) -> None:
        self.log, self.cwd, self.env = log, cwd, env
        self.times: dict[str, float] = {}

    def run(self, label: str, *command: str | Path, timeout: float) -> None:
        start = time.monotonic()
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"\n$ {' '.join(map(str, command))}\n")
            out.flush()
            try:
                done = subprocess.run(
                    [str(c) for c in command], cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, timeout=timeout, check=False,
                )  # fmt: skip
                failed = f"exit code {done.returncode}" if done.returncode else ""
            except subprocess.TimeoutExpired:
                failed = f"no end after {timeout:.0f} s"
        self.times[label] = time.monotonic() - start
        if failed:
            tail = "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-80:])
            pytest.fail(f"{label}: {failed}; the log's last lines:\n{tail}", pytrace=False)


@pytest.mark.timeout(3600)
def test_binder_files_alone_build_an_environment_that_runs_the_quickstart(tmp_path: Path) -> None:
    checkout, venv = tmp_path / "repo", tmp_path / "venv"
    copy_repository_files(checkout)
    assert (checkout / "binder" / "requirements.txt").is_file()
    assert (checkout / "binder" / "postBuild").is_file()
    assert not (checkout / "jupyter_spec" / "labextension").exists()  # built by the install, not copied

    steps = Steps(tmp_path / "build.log", checkout, clean_environment(venv, tmp_path / "home"))
    python = venv / "bin" / "python"
    steps.run("venv", sys.executable, "-m", "venv", venv, timeout=300)
    # What repo2docker runs (repo2docker/buildpacks/python: the requirements step, then postBuild):
    steps.run("requirements.txt", python, "-m", "pip", "install", "--quiet", "--no-cache-dir",
              "-r", "binder/requirements.txt", timeout=1800)  # fmt: skip
    steps.run("postBuild", "bash", "binder/postBuild", timeout=1800)
    # The extension came from this install, into the venv (the user's Jupyter paths are not searched):
    assert (venv / "share/jupyter/labextensions/@jupyter-spec/labextension/package.json").is_file()

    # A kernelspec of the venv's own Python, under a name no other environment has.
    steps.run("kernel", python, "-m", "ipykernel", "install", "--prefix", venv, "--name", KERNEL, timeout=300)
    kernelspec = json.loads((venv / "share/jupyter/kernels" / KERNEL / "kernel.json").read_text(encoding="utf-8"))
    assert Path(kernelspec["argv"][0]).parent == venv / "bin", kernelspec
    steps.run("quickstart", python, "-m", "jupyter", "execute", f"--kernel_name={KERNEL}", "--timeout=900",
              "--startup_timeout=120", "--output=quickstart-run.ipynb", NOTEBOOK, timeout=1800)  # fmt: skip
    print("seconds per step:", {label: round(seconds) for label, seconds in steps.times.items()})

    executed = nbformat.read(checkout / "notebooks" / "quickstart-run.ipynb", as_version=4)
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    records = [o["data"][MIME_TYPE] for o in outputs if MIME_TYPE in o.get("data", {})]
    results = [r for r in records if r.get("schema") == "jupyter-spec/results"]
    assert results, "the quickstart produced no results record"
    graded = {(row["clause"], row["grader"]) for row in results[0]["adherence"]}
    assert {("keep_answer", "judge:local:smollm2"), ("keep_answer", "expect")} <= graded, graded
    assert (checkout / "notebooks" / ".jupyter-spec" / "store.sqlite").is_file()
    for tree in (checkout, venv):  # about 1.3 GB; pytest keeps the last three runs' tmp_path, log included
        shutil.rmtree(tree, ignore_errors=True)
