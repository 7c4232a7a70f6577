"""The entry point's fast reader (calc/start.py) against the typer app (calc/cli.py): the same command lines
through both give the same standard output, standard error, exit code and --output file; the ones the reader
declares run without importing typer, and every other one is left to typer. The entry point runs in a fresh
process (what it imports is the point); the typer app, which imports typer whatever it is given
(test_the_reference_imports_typer), in a fork of this one (conftest.forked_main), not a second fresh process."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESNET = "specs/resnet50.yaml"
SYMBOLIC = "specs/symbolic/convnet_any_size.yaml"

# (argv, whether the fast reader runs it without typer)
MATRIX = [
    (["summary", RESNET], True),
    (["summary", RESNET, "--format", "json"], True),
    (["summary", RESNET, "-f", "markdown"], True),
    (["summary", "--format=csv", RESNET], True),
    (["summary", RESNET, "--depth", "1", "--memory", "--flops"], True),
    (["summary", RESNET, "--tree", "--depth", "2"], True),
    (["summary", RESNET, "--by-type", "-f", "json"], True),
    (["summary", RESNET, "--by-type"], True),
    (["summary", SYMBOLIC, "--set", "H=64", "--set", "W=48", "-f", "json"], True),
    (["summary", SYMBOLIC, "--set=H=64", "--set", "W=48"], True),
    (["summary", RESNET, "--batch", "8", "--per-batch", "--count-bias", "--count-elementwise"], True),
    (["summary", RESNET, "--dtype", "float16", "--optimizer", "sgd", "--attention", "fused", "-f", "json"], True),
    (["summary", "specs/gpt2.yaml", "--mixed-precision", "bfloat16", "--training-flops", "--depth", "1"], True),
    (["summary", "specs/gpt2.yaml", "--memory", "--flops", "--set", "T=128", "--batch", "4"], True),
    (["summary", "specs/llama3_8b.yaml", "--memory", "--set", "T=4096", "-f", "json"], True),
    (["summary", RESNET, "--columns", "name,params", "-f", "csv"], True),
    (["summary", RESNET, "--columns", "+flops,receptive_field"], True),
    (["summary", RESNET, "--max-layers", "0100000", "-o", "-"], True),
    (["summary", "specs/lstm_text.yaml", "--format", "json", "--format", "table"], True),
    (["summary", "specs/torch/resnet18.yaml"], True),
    (["summary", SYMBOLIC], True),
    (["--version"], True),
    (["layers"], True),
    (["layers", "--framework", "torch"], True),
    (["layers", "Conv2D"], True),
    (["layers", "--framework=torch", "conv2d"], True),
    (["check", "specs/residual_small.yaml"], True),
    (["check", "specs/residual_small.yaml", RESNET, "--max-params", "30M", "-f", "json"], True),
    (["check", RESNET, "--max-params=2M", "--max-macs", "5G", "--format", "markdown"], True),
    (["check", RESNET, "--max-training-memory", "2GiB", "--optimizer", "sgd", "--batch", "8", "-f", "csv"], True),
    (["check", RESNET, "--max-flops", "9G", "--count-bias", "--count-elementwise", "--per-batch", "--batch", "2"],
     True),
    (["check", RESNET, "--max-activation-memory", "1GiB", "--dtype", "float16", "--attention", "fused"], True),
    (["check", "specs/gpt2.yaml", "--max-serving-memory", "1GiB", "--batch", "4", "--set", "T=128"], True),
    (["check", SYMBOLIC, "--set", "H=64", "--set", "W=64", "--max-params", "1M", "--max-layers", "99"], True),
    (["check", RESNET], False),
    (["check", RESNET, "specs/missing.yaml", "--max-params", "1G"], False),
    (["check", RESNET, "--max-params", "lots"], False),
    (["check", RESNET, "--max-params", "1G", "--debug"], False),
    (["check"], False),
    (["layers", "Dens"], False),
    (["layers", "Dense", "Conv2D"], False),
    (["layers", "--framework", "jax"], False),
    # errors: the reader tries, fails, and leaves the command to typer, which reports it
    (["summary", RESNET, "--max-layers", "10"], False),
    (["summary", SYMBOLIC, "--set", "H"], False),
    (["summary", "specs/missing.yaml"], False),
    (["summary", RESNET, "--tree", "--by-type"], False),
    (["summary", RESNET, "--columns", "nme"], False),
    (["summary", RESNET, "--dtype", "float16", "--mixed-precision", "bfloat16"], False),
    # not declared, or not as given: typer reads them
    (["summary", RESNET, "--depth", "0"], False),
    (["summary", RESNET, "--depth", "x"], False),
    (["summary", RESNET, "--depth"], False),
    (["summary", RESNET, "--format", "yaml"], False),
    (["summary", RESNET, "-fjson"], False),
    (["summary", RESNET, "--flops=yes"], False),
    (["summary", RESNET, "--columns", "--tree"], False),
    (["summary", RESNET, "--bogus"], False),
    (["summary", RESNET, "--debug"], False),
    (["summary", RESNET, "--help"], False),
    (["summary", RESNET, "--", "--tree"], False),
    (["summary"], False),
    (["summary", RESNET, "specs/gpt2.yaml"], False),
    (["summmary", RESNET], False),
    ([], False),
    # click's readings: the last of a repeated option wins; '-o-', '-f=json', a spec that starts with '-',
    # an integer with '_' (int() takes it) are typer's
    (["summary", "--depth", "2", RESNET, "--depth", "1", "-f", "csv", "--format=markdown"], True),
    (["check", RESNET, "--max-params", "2M", "--max-params=30M", "-o", "-"], True),
    (["summary", RESNET, "-o-"], False),
    (["summary", RESNET, "-f=json"], False),
    (["summary", "-resnet50.yaml"], False),
    (["summary", RESNET, "--max-layers", "1_000"], False),
]


def run(entry: str, argv, tmp_path: Path, output_name: str, stdin: str = ""):
    """(stdout, stderr, exit code, --output file's text, whether typer was imported) of `layercalc argv` run
    through `entry` (calc.start or calc.cli) in a fresh process."""
    marker = tmp_path / f"{output_name}.modules"
    argv = [word.replace("OUTPUT", str(tmp_path / output_name)) for word in argv]
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(marker)!r}, 'w').write(str('typer' in sys.modules)))\n"
            f"sys.argv = ['layercalc', *{argv!r}]\n"
            f"from {entry} import main\nmain()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, input=stdin)
    output = tmp_path / output_name
    return (result.stdout, result.stderr, result.returncode, output.read_text() if output.exists() else None,
            marker.read_text() == "True")


@pytest.fixture
def typer_reference(forked_main, monkeypatch):
    """typer_reference(argv, tmp_path, output_name, stdin="") -> run()'s first four for calc.cli's main, in a
    forked child of this process, in ROOT."""
    monkeypatch.chdir(ROOT)

    def reference(argv, tmp_path: Path, output_name: str, stdin: str = ""):
        argv = [word.replace("OUTPUT", str(tmp_path / output_name)) for word in argv]
        result = forked_main(argv, input=stdin, entry="calc.cli")
        output = tmp_path / output_name
        return result.stdout, result.stderr, result.returncode, output.read_text() if output.exists() else None

    return reference


def test_the_reference_imports_typer(tmp_path):
    """calc.cli imports typer as it is imported, whatever the command line: the reference goes through typer."""
    assert run("calc.cli", ["layers"], tmp_path, "typer.out")[4]


@pytest.mark.parametrize("argv, fast", MATRIX, ids=lambda value: " ".join(value) if isinstance(value, list) else "")
def test_the_fast_reader_and_typer_give_the_same_bytes(typer_reference, argv, fast, tmp_path):
    through_start = run("calc.start", argv, tmp_path, "start.out")
    through_typer = typer_reference(argv, tmp_path, "typer.out")
    assert through_start[:4] == through_typer
    assert through_start[4] is not fast


@pytest.mark.parametrize("argv", [
    ["summary", RESNET, "--output", "OUTPUT", "-f", "json"],
    ["summary", RESNET, "-o", "OUTPUT", "--depth", "2"],
    ["check", RESNET, "--max-params", "2M", "-o", "OUTPUT"],
])
def test_an_output_file_is_the_same(typer_reference, argv, tmp_path):
    through_start = run("calc.start", argv, tmp_path, "start.out")
    through_typer = typer_reference(argv, tmp_path, "typer.out")
    assert through_start[:3] == through_typer[:3] and through_start[3] == through_typer[3]
    assert through_start[3] and not through_start[4]


def test_standard_input_is_left_to_typer(typer_reference, tmp_path):
    """`-` is read once: were the fast path to fail after reading it, typer would find it empty."""
    spec = (ROOT / RESNET).read_text()
    through_start = run("calc.start", ["summary", "-", "-f", "json"], tmp_path, "start.out", stdin=spec)
    through_typer = typer_reference(["summary", "-", "-f", "json"], tmp_path, "typer.out", stdin=spec)
    assert through_start[:4] == through_typer and through_start[4]


@pytest.mark.parametrize("argv", [["summary", RESNET, "--depth", "1"], ["layers"], ["layers", "Dense"]])
def test_a_terminal_gets_the_same_rich_table(typer_reference, argv, tmp_path, monkeypatch):
    """TTY_COMPATIBLE=1: rich's table with its styles, as on a terminal, through both paths."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", "120")
    through_start = run("calc.start", argv, tmp_path, "start.out")
    through_typer = typer_reference(argv, tmp_path, "typer.out")
    assert through_start[:4] == through_typer and "\x1b[" in through_start[0] and not through_start[4]


def test_completion_is_left_to_typer(typer_reference, tmp_path, monkeypatch):
    """With click's completion variable set, even a command line the reader knows goes to typer."""
    monkeypatch.setenv("_LAYERCALC_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "layercalc summary specs/resnet50.yaml --form")
    monkeypatch.setenv("COMP_CWORD", "3")
    through_start = run("calc.start", ["summary", RESNET], tmp_path, "start.out")
    through_typer = typer_reference(["summary", RESNET], tmp_path, "typer.out")
    assert through_start[:4] == through_typer and through_start[4]


def test_every_declared_option_is_the_typer_option_of_that_name():
    """FAST_OPTIONS declares only options the typer command has, read as typer reads them: a flag as a flag, a
    COUNT as an integer of at least 1, a choice with typer's choices (an option typer has and the reader does
    not declare is fine: such a command line goes to typer)."""
    import typer.main

    from calc.cli import app
    from calc.start import COUNT, FAST_COMMANDS, FAST_OPTIONS, FLAG, MANY

    commands = typer.main.get_command(app).commands
    assert set(FAST_COMMANDS) == set(FAST_OPTIONS)
    for command, declared in FAST_OPTIONS.items():
        params = {option: param for param in commands[command].params for option in param.opts}
        for option, (parameter, kind) in declared.items():
            param = params[option]
            assert param.name == parameter, option
            assert param.is_flag == (kind == FLAG) and param.multiple == (kind == MANY), option
            if kind == COUNT:
                assert param.type.min == 1 and param.type.max is None, option
            elif isinstance(kind, tuple):
                assert tuple(param.type.choices) == kind, option


def test_an_error_after_part_of_the_output_is_reported_once(tmp_path, monkeypatch):
    """Standard output in ASCII cannot take the table's rules: the error comes after the title was written.
    Were the typer app to run the command again, the title would be printed twice; the error is reported
    once, in the typer app's words, after the same part of the output."""
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    argv = ["summary", RESNET, "--depth", "1"]
    through_start = run("calc.start", argv, tmp_path, "start.out")
    through_typer = run("calc.cli", argv, tmp_path, "typer.out")
    assert through_typer[2] != 0 and through_typer[0].startswith('Model: "resnet50"')  # the case arises
    assert through_start[:4] == through_typer[:4]
    assert through_start[0].count("Model:") == 1
    assert through_start[2] == 2 and through_start[1] == (
        "layercalc: the output's encoding (ascii) cannot write the character U+2500: set PYTHONIOENCODING=utf-8 "
        "(or a UTF-8 locale), or write to a file with --output\n")


@pytest.mark.parametrize("environment", [{"NO_COLOR": "1", "COLUMNS": "40", "TERM": "dumb"},
                                         {"TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "60"},
                                         {"FORCE_COLOR": "1", "TERM": "dumb"}, {"TTY_COMPATIBLE": "0"}])
def test_the_environment_is_read_alike(environment, tmp_path, monkeypatch):
    """NO_COLOR, COLUMNS, TERM, FORCE_COLOR and TTY_COMPATIBLE decide the table the same way on both paths."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    argv = ["summary", RESNET, "--depth", "1"]
    through_start = run("calc.start", argv, tmp_path, "start.out")
    through_typer = run("calc.cli", argv, tmp_path, "typer.out")
    assert through_start[:4] == through_typer[:4] and not through_start[4]


@pytest.mark.parametrize("argv", [["summary", "specs/densenet121.yaml"], ["summary", RESNET, "-f", "json"],
                                  ["check", "specs/densenet121.yaml", RESNET, "--max-params", "1M"]])
def test_a_reader_that_goes_away_is_no_failure_on_either_path(argv):
    """`layercalc ... | head -c 10`: the reader closes the pipe; both paths end quietly with the command's code."""
    def closed_early(entry):
        code = f"import sys\nsys.argv = ['layercalc', *{argv!r}]\nfrom {entry} import main\nmain()\n"
        process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   cwd=ROOT)
        process.stdout.read(10)
        process.stdout.close()
        error = process.stderr.read()
        process.stderr.close()
        return error, process.wait()

    assert closed_early("calc.start") == closed_early("calc.cli") == (b"", 1 if argv[0] == "check" else 0)


@pytest.mark.parametrize("spec", ["input: [8]\nlayers:\n  - {type: Dence, units: 3}\n",
                                  (ROOT / "specs/mnist_convnet.yaml").read_text()])
def test_a_spec_read_once_is_left_to_typer(spec, tmp_path):
    """A spec that is not a regular file (a named pipe; /dev/stdin, <(...) in a shell) can be read only once:
    were the fast path to fail after reading it, the typer app would wait for a writer that is gone, or read
    nothing. Such a command line goes to typer, which reads the spec once."""
    import os
    import threading

    fifo = tmp_path / "spec.fifo"
    os.mkfifo(fifo)

    def through(entry):
        def write():
            with open(fifo, "w") as pipe:  # blocks until the command opens the pipe to read
                pipe.write(spec)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        code = f"import sys\nsys.argv = ['layercalc', 'summary', {str(fifo)!r}]\nfrom {entry} import main\nmain()\n"
        try:
            result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                                    timeout=20)
        except subprocess.TimeoutExpired:  # the command waited for a second writer (and was killed)
            return "timed out"
        writer.join()
        return result.stdout, result.stderr, result.returncode

    through_typer = through("calc.cli")
    assert through_typer != "timed out" and ("Dence" in through_typer[1] or through_typer[2] == 0)
    assert through("calc.start") == through_typer
