from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import traceback
import types
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


def _limit_forked_child() -> None:
    """In a forked child: CHILD_MEMORY_BYTES more address space than the parent held, CHILD_CPU_SECONDS of CPU
    time, and an alarm as a backstop for a child that waits."""
    with open("/proc/self/statm") as statm:
        held = int(statm.read().split()[0]) * resource.getpagesize()
    memory = held + CHILD_MEMORY_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))
    signal.alarm(6 * CHILD_CPU_SECONDS)


@pytest.fixture
def forked_main():
    """Run `layercalc ARGS`, the installed command (calc.start.main, which leaves what it does not read itself, and
    every error, to the typer app; or `entry`'s main), in a forked child under the CPU-time and memory limits, in the current
    folder, its standard streams files (`input` its standard input), `env` changing its environment (None:
    unset): a fork, not a new interpreter's 0.3 s. forked_main(["summary", "x.yaml"], env=None, input="",
    entry="calc.start") -> CompletedProcess (returncode, stdout, stderr); a child killed by a signal has
    returncode -signal, as subprocess gives it."""

    def run(args, env=None, input="", entry="calc.start"):
        with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout, \
                tempfile.TemporaryFile() as stderr:
            stdin.write(input.encode("utf-8"))
            stdin.seek(0)
            pid = os.fork()
            if pid == 0:  # the child: the entry point as a fresh process runs it, then leave without exit handlers
                code = 1
                try:
                    _limit_forked_child()
                    for number, stream in ((0, stdin.fileno()), (1, stdout.fileno()), (2, stderr.fileno())):
                        os.dup2(stream, number)
                    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
                    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
                    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8",
                                                  errors="backslashreplace")
                    for variable, value in (env or {}).items():
                        if value is None:
                            os.environ.pop(variable, None)
                        else:
                            os.environ[variable] = value
                    sys.argv = ["layercalc", *map(str, args)]
                    sys.modules["__main__"] = types.ModuleType("__main__")  # a script's, not pytest's (click's name)
                    importlib.import_module(entry).main()
                    code = 0
                except SystemExit as exit:
                    code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
                except BaseException:  # noqa: BLE001 - as an uncaught exception ends a process: traceback, 1
                    traceback.print_exc()
                finally:
                    for stream in (sys.stdout, sys.stderr):
                        with contextlib.suppress(BaseException):
                            stream.flush()
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
            stdout.seek(0)
            stderr.seek(0)
            return subprocess.CompletedProcess(
                args, -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status),
                stdout.read().decode("utf-8"), stderr.read().decode("utf-8"))

    return run


@pytest.fixture
def bounded_cli(forked_main):
    """forked_main with NO_COLOR=1: bounded_cli(["summary", "x.yaml"]) -> CompletedProcess."""
    return lambda args: forked_main(args, env={"NO_COLOR": "1"})


@pytest.fixture
def forked_cli(command_built_once):
    """cli() in a forked child under the same CPU-time limit and CHILD_MEMORY_BYTES more memory than the parent
    holds: a few milliseconds a run, not a new interpreter's 0.3 s, so hostile inputs can be fuzzed by the
    thousand. forked_cli(args, input=None) -> (exit_code, stdout, stderr, repr of an exception or None); a child
    killed by a limit fails the test with its signal."""
    runner = CliRunner()

    def run(args, input=None):
        reading, writing = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: run, send the result, and leave without running the parent's exit handlers
            try:
                os.close(reading)
                _limit_forked_child()
                result = runner.invoke(app, [str(arg) for arg in args], input=input)
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
