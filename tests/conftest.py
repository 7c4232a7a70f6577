from __future__ import annotations

import json
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
