from __future__ import annotations

import gc
import json
import os
import resource
import signal
import subprocess
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
    typed = (lambda shape: {"shape": shape, "dtype": case["dtype"]}) if "dtype" in case else (lambda shape: shape)
    if "inputs" in case:
        spec["inputs"] = {f"in{index}": typed(shape) for index, shape in enumerate(case["inputs"])}
        layer["inputs"] = list(spec["inputs"])
    else:
        spec["input"] = typed(case["input"])
    spec["layers"] = [layer]
    return json.dumps(spec)  # JSON is YAML


@pytest.fixture
def cli(command_built_once):
    """Run layercalc in-process: cli(["summary", "x.yaml"]) -> click Result (stdout, stderr, exit_code)."""
    runner = CliRunner()

    def run(args, input=None, env=None):
        return runner.invoke(app, [str(arg) for arg in args], input=input, env=env)

    return run


# What a hostile spec may cost before it is refused: a limit that did not hold shows as a killed child
# (SIGXCPU, or a MemoryError's exit 3), never as a slow test. Far above a refusal's 0.1-0.5 s and 20-60 MB.
CHILD_CPU_SECONDS = 10
CHILD_MEMORY_BYTES = 512 * 1024 * 1024


@pytest.fixture
def bounded_cli(forked_cli):
    """Run layercalc in a child under CPU-time and memory limits (forked_cli's: a fork, not a new interpreter's
    0.3 s), in the current folder: bounded_cli(["summary", "x.yaml"]) -> CompletedProcess (returncode, stdout,
    stderr); an exception that escaped the command fails the test."""

    def run(args):
        exit_code, stdout, stderr, exception = forked_cli(args, env={"NO_COLOR": "1"})
        assert exception is None, exception
        return subprocess.CompletedProcess(args, exit_code, stdout, stderr)

    return run


@pytest.fixture
def forked_cli(command_built_once):
    """cli() in a forked child under the same CPU-time limit and CHILD_MEMORY_BYTES more memory than the parent
    holds: a few milliseconds a run, not a new interpreter's 0.3 s, so hostile inputs can be fuzzed by the
    thousand. forked_cli(args, input=None, env=None) -> (exit_code, stdout, stderr, repr of an exception or None);
    a child killed by a limit fails the test with its signal. The child runs with the cyclic garbage collector
    off, as calc.cli.main runs the command."""
    runner = CliRunner()

    def run(args, input=None, env=None):
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: run, send the result, and leave without running the parent's exit handlers
            try:
                os.close(reading)
                with open("/proc/self/statm") as statm:
                    held = int(statm.read().split()[0]) * resource.getpagesize()
                memory = held + CHILD_MEMORY_BYTES
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
                resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))
                signal.alarm(6 * CHILD_CPU_SECONDS)  # a backstop for a child that waits
                gc.disable()
                result = runner.invoke(app, [str(arg) for arg in args], input=input, env=env)
                exception = None if result.exception is None or isinstance(result.exception, SystemExit) \
                    else repr(result.exception)
                payload = json.dumps([result.exit_code, result.stdout, result.stderr, exception]).encode()
            except BaseException as error:  # noqa: BLE001 - whatever happens is the parent's to report
                payload = json.dumps([None, "", "", repr(error)]).encode()
            with os.fdopen(writing, "wb") as pipe:
                pipe.write(payload)
            os._exit(0)
        os.close(writing)
        with os.fdopen(reading, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, \
            f"the child was killed by {signal.Signals(os.WTERMSIG(status)).name}" if os.WIFSIGNALED(status) \
            else f"the child exited {os.WEXITSTATUS(status)}"
        return tuple(json.loads(payload))

    return run


@pytest.fixture(scope="session")
def command_built_once():
    """typer builds the click command again on every run (~6-15 ms, most of a small spec's run): build it once
    for the session (cli and forked_cli use it; the command holds no state between runs, as click's are
    meant to be run many times)."""
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
