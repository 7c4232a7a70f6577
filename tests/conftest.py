from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calc.cli import app

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
KERAS_DATA = ROOT / "tests" / "data" / "keras"


def single_layer_spec(case: dict) -> str:
    layer = {"type": case["type"], **case["args"], "trainable": case.get("trainable", True)}
    spec = {"batch": case.get("batch")}
    if "inputs" in case:
        spec["inputs"] = {f"in{index}": shape for index, shape in enumerate(case["inputs"])}
        layer["inputs"] = list(spec["inputs"])
    else:
        spec["input"] = case["input"]
    spec["layers"] = [layer]
    return json.dumps(spec)  # JSON is YAML


@pytest.fixture
def cli():
    """Run layercalc in-process: cli(["summary", "x.yaml"]) -> click Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def run(args, input=None, env=None):
        return runner.invoke(app, [str(arg) for arg in args], input=input, env=env)

    return run


# What a hostile spec may cost before it is refused: a limit that did not hold shows as a killed child
# (SIGXCPU, or a MemoryError's exit 3), never as a slow test. Far above a refusal's 0.1-0.5 s and 20-60 MB.
CHILD_CPU_SECONDS = 10
CHILD_MEMORY_BYTES = 512 * 1024 * 1024


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


@pytest.fixture
def bounded_cli():
    """Run layercalc in a child process under CPU-time and memory limits, in the current folder:
    bounded_cli(["summary", "x.yaml"]) -> CompletedProcess (returncode, stdout, stderr)."""

    def run(args):
        return subprocess.run([sys.executable, "-m", "calc", *map(str, args)], capture_output=True, text=True,
                              preexec_fn=_limit_child, env={**os.environ, "NO_COLOR": "1"},
                              timeout=6 * CHILD_CPU_SECONDS)  # a backstop for a child that waits, not a measure

    return run


@pytest.fixture(scope="module")
def command_built_once():
    """typer builds the click command again on every run (~15 ms, most of a small spec's run): build it once
    (for modules that run the command line many times: pytestmark = pytest.mark.usefixtures(...))."""
    import typer.main
    import typer.testing

    command = typer.main.get_command(app)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", lambda _: command, raising=False)
        yield


@pytest.fixture
def write_spec(tmp_path, monkeypatch):
    """Write YAML text to model.yaml in a temporary folder and return its relative name."""
    monkeypatch.chdir(tmp_path)

    def write(text: str, name: str = "model.yaml") -> str:
        Path(name).write_text(text)
        return name

    return write
