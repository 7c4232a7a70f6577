"""The console entry point (`layercalc`, `python -m calc`), and what the commands share that needs no typer.

Importing typer is a third of a summary's start-up, so the common invocations are read here first: the
commands and options declared in FAST_OPTIONS (summary, check, layers), run through the same functions as the
typer commands in cli.py (`show_summary`, `show_check`, `show_layers`, `emit`), and their errors reported by
the same `cli.reported` (typer is imported then, on the way out).  Anything else goes to the typer app, whose
messages, exit codes, help and completion are the reference: another command, an option or a form of one not
declared (`-fjson`, a value that starts with '-'), --help, standard input as the spec, a malformed value
(tests/test_start.py runs both paths and compares every byte).

A new option of a command needs nothing here: until it is declared in FAST_OPTIONS, an invocation that gives
it goes to typer.  Declaring it is one line, once the command's function here (`show_summary`, `show_check`)
takes it under the same name.
"""

from __future__ import annotations

import errno
import gc
import os
import signal
import sys
from enum import Enum
from typing import TYPE_CHECKING, Iterator, List, Optional, Sequence

if TYPE_CHECKING:  # pathlib costs 4 ms at start-up: imported where a path is made
    from pathlib import Path

# The library's parameters, as the flags that set them: library errors name the former, we show the latter.
FLAGS = {"bindings": "--set", "per_batch": "--per-batch", "columns": "--columns", "max_layers": "--max-layers",
         "dtype": "--dtype", "mixed_precision": "--mixed-precision", "attention": "--attention",
         "optimizer": "--optimizer", "batch": "--batch", "limits": "a budget flag such as --max-params 2M"}


class Format(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    csv = "csv"


# What the fast reader accepts, per command: option -> (the parameter of the command's function, what follows
# it): FLAG (nothing), COUNT (a positive integer), TEXT, MANY (text, repeatable), PATH, or the values allowed.
# Each mirrors the typer option of the same name in cli.py; tests/test_start.py compares the two paths.
FLAG, COUNT, TEXT, MANY, PATH = "flag", "count", "text", "many", "path"
FORMATS = tuple(Format.__members__)
# The memory conventions' options, which summary and check take alike.
MEMORY_OPTIONS = {
    "--dtype": ("dtype", ("float32", "float16", "bfloat16", "int8", "float64")),
    "--optimizer": ("optimizer", ("sgd", "momentum", "rmsprop", "adam", "adamw")),
    "--mixed-precision": ("mixed_precision", ("bfloat16", "float16")),
    "--attention": ("attention", ("materialized", "fused")),
}
FAST_OPTIONS = {
    "summary": {
        "--format": ("output_format", FORMATS), "-f": ("output_format", FORMATS),
        "--depth": ("depth", COUNT), "--set": ("bindings", MANY), "--flops": ("flops", FLAG),
        "--count-bias": ("count_bias", FLAG), "--count-elementwise": ("count_elementwise", FLAG),
        "--per-batch": ("per_batch", FLAG), "--batch": ("batch", COUNT), "--memory": ("memory", FLAG),
        **MEMORY_OPTIONS, "--training-flops": ("training_flops", FLAG),
        "--columns": ("columns", TEXT), "--tree": ("tree", FLAG), "--by-type": ("by_type", FLAG),
        "--output": ("output", PATH), "-o": ("output", PATH), "--max-layers": ("max_layers", COUNT),
    },
    "layers": {"--framework": ("framework", ("keras", "torch"))},
    "check": {
        **{f"--{budget.replace('_', '-')}": (budget, TEXT) for budget in (
            "max_params", "max_trainable_params", "max_non_trainable_params", "max_macs", "max_layer_params",
            "max_flops", "max_activation_memory", "max_inference_memory", "max_training_memory",
            "max_serving_memory")},
        "--per-batch": ("per_batch", FLAG), "--batch": ("batch", COUNT), "--count-bias": ("count_bias", FLAG),
        "--count-elementwise": ("count_elementwise", FLAG),
        **MEMORY_OPTIONS,
        "--format": ("output_format", FORMATS), "-f": ("output_format", FORMATS), "--set": ("bindings", MANY),
        "--output": ("output", PATH), "-o": ("output", PATH), "--max-layers": ("max_layers", COUNT),
    },
}


def main() -> None:
    """`layercalc`: the invocation read here when FAST_OPTIONS declares all of it, else by the typer app."""
    # A short-lived process that builds one large, acyclic object graph: the cyclic garbage collector
    # only rescans it (a third of the time on a 100,000-layer spec, measured by make bench).
    gc.disable()
    signal.signal(signal.SIGINT, interrupted)
    exit_code = run_fast(sys.argv[1:])
    if exit_code is None:
        from .cli import main as typer_main

        typer_main()
    elif exit_code:
        sys.exit(exit_code)


def run_fast(argv: Sequence[str]) -> Optional[int]:
    """Run the invocation if the fast reader knows all of it, and return its exit code; None (with nothing run)
    to leave it to the typer app."""
    if argv == ["--version"]:
        from . import __version__
        from .output import write_text

        argv, command = (), lambda: write_text(f"layercalc {__version__}\n", None)
    else:
        command = read_command(argv)
    # Shell completion (click's _PROG_NAME_COMPLETE variable) is typer's.
    if command is None or any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return None
    try:
        return command() or 0
    except BrokenPipeError:  # the reader went away (`| head`): not a failure, as in cli.reported_errors
        discard_standard_output()
        return 0
    except Exception as error:  # reported as the typer commands report it, once (the command is not run again)
        from .cli import reported

        return reported(error)


def read_command(argv: Sequence[str]):
    """The command line as a function of no arguments, when FAST_OPTIONS declares every word of it; else None.
    Values are read as click reads them, and anything click might read otherwise is left to it."""
    if not argv or argv[0] not in FAST_OPTIONS:
        return None
    declared, arguments, options = FAST_OPTIONS[argv[0]], [], {}
    words = iter(argv[1:])
    for word in words:
        if not word.startswith("-"):
            arguments.append(word)
            continue
        flag, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if flag not in declared:  # also '-' (standard input) and '--'
            return None
        parameter, kind = declared[flag]
        if kind == FLAG:
            if equals:
                return None
            options[parameter] = True
            continue
        if not equals:
            value = next(words, None)
        if not value or value.startswith("-") and not (kind == PATH and value == "-"):
            return None
        if kind == COUNT:
            if not (value.isascii() and value.isdigit() and len(value) < 19 and int(value) >= 1):
                return None
            options[parameter] = int(value)
        elif kind == MANY:
            options.setdefault(parameter, []).append(value)
        elif kind == PATH:
            from pathlib import Path

            options[parameter] = Path(value)
        elif kind == TEXT or value in kind:
            options[parameter] = value
        else:
            return None
    function, fewest, most = FAST_COMMANDS[argv[0]]
    if len(arguments) < fewest or most is not None and len(arguments) > most:
        return None
    return lambda: function(*arguments, **options)


def show_summary(spec: str, output_format: str = "table", depth: Optional[int] = None, bindings: Sequence[str] = (),
                 flops: bool = False, count_bias: bool = False, count_elementwise: bool = False,
                 per_batch: bool = False, batch: Optional[int] = None, memory: bool = False,
                 dtype: Optional[str] = None, optimizer: str = "adam", mixed_precision: Optional[str] = None,
                 attention: str = "materialized", training_flops: bool = False, columns: Optional[str] = None,
                 tree: bool = False, by_type: bool = False, output: Optional[Path] = None,
                 max_layers: int = 1_000_000) -> None:
    """`layercalc summary`, once its options are read (by typer in cli.py, or by read_command)."""
    from . import render
    from .pipeline import summarize

    output_format = Format(output_format)
    refuse_views(tree, by_type, output_format, depth)
    report = summarize(spec, bindings=parse_bindings(bindings), max_layers=max_layers, per_batch=per_batch,
                       depth=depth, columns=columns, flops=flops, memory=memory,
                       costs=True if output_format is Format.json else None, dtype=dtype,
                       optimizer=optimizer, count_bias=count_bias, count_elementwise=count_elementwise,
                       merge_calls=output_format is not Format.json, attention=attention,
                       mixed_precision=mixed_precision, training_flops=training_flops, tree=tree, by_type=by_type,
                       batch=batch)
    title = report.name or ("stdin" if spec == "-" else stem(spec))
    if by_type:
        emit_by_type(report, title, output_format, output, spec)
        return
    emit(output_format, output, (spec,),
         json=lambda: render.load("json").render_json(report),
         markdown=lambda: render.load("markdown").render_summary_markdown(report, title),
         csv=lambda: render.load("csv").render_summary_csv(report),
         table=lambda: render.load("table").build_table(report, title),
         text=lambda: render.load("plain_table").render_summary_text(report, title))


def stem(path: str) -> str:
    """A spec's file name without its suffix: the title of a model without a name."""
    from pathlib import Path

    return Path(path).stem


def parse_bindings(items: List[str]) -> dict:
    """['H=224', 'W=224'] -> {'H': 224, 'W': 224}."""
    from .dims import MAX_DIM
    from .errors import UsageError

    bindings = {}
    for item in items:
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        digits = value.lstrip("0")  # int() of 4,301 digits or more raises: the limit is checked on the text first
        if not equals or not name.isidentifier() or not (value.isascii() and value.isdigit()) or not digits:
            raise UsageError(f"--set expects SYMBOL=POSITIVE_INTEGER, such as H=224, found '{item}'")
        if len(digits) > 19 or int(digits) > MAX_DIM:
            raise UsageError(f"--set {name}: the value is more than the limit of 2**62 ({MAX_DIM:,})")
        bindings[name] = int(digits)
    return bindings



def write_output(text: str, output: Optional[Path], inputs: Sequence[str] = ()) -> None:
    """Print, or replace `output` in one step (calc/output.py): a reader never sees a half-written file."""
    from .output import write_text

    write_text(text, output, inputs)



def emit(output_format: "Format", output: Optional[Path], inputs: Sequence[str], *, json, markdown, csv,
         table, text=None) -> None:
    """Render in the chosen format and print it or write it to --output (never over one of the command's
    `inputs`). Each renderer is a function of no arguments (so only the chosen one's modules are
    imported): text, or for `table` a rich renderable; `text`, if given, lays out the same table as plain
    text, in pieces, for output that is not a terminal (rich's layout at a fraction of its cost)."""
    if output_format is not Format.table:
        write_output({Format.json: json, Format.markdown: markdown, Format.csv: csv}[output_format](), output,
                     inputs)
        return
    from .output import is_standard_output, standard_output

    if is_standard_output(output):
        with standard_output() as stream:
            if _is_terminal(stream):
                _console().print(table())
            else:
                stream.writelines(_plain(table, text))
        return
    write_output("".join(_plain(table, text)), output, inputs)



def _plain(table, text=None) -> Iterator[str]:
    """A table as text for anything but a terminal (a pipe, a file), in pieces: never wrapped, and without
    the spaces rich pads its lines with, stripped here, once, so piped output and --output files are the
    same bytes. `text`, if given, lays the table out without rich (calc/render/plain_table.py)."""
    from .render import unpadded

    if text is not None:
        return unpadded(text())
    from .render.table import plain_text

    return unpadded([plain_text(table())])



def _is_terminal(stream) -> bool:
    """Whether rich's Console would treat `stream` as a terminal (rich.console.Console.is_terminal, without
    importing rich's console): TTY_COMPATIBLE=0/1 and FORCE_COLOR decide before the stream does."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    if os.environ.get("FORCE_COLOR") is not None:
        return os.environ["FORCE_COLOR"] != ""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False



def _console():
    """A rich console; NO_COLOR (no-color.org) turns off every style, not only colours."""
    from rich.console import Console

    console = Console(color_system=None) if os.environ.get("NO_COLOR") else Console()
    console.on_broken_pipe = _reader_gone  # rich's own exits 1
    return console



def _reader_gone() -> None:
    raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))  # reported_errors: not a failure



def refuse_views(tree: bool, by_type: bool, output_format: Format, depth: Optional[int] = None) -> None:
    from .errors import UsageError

    if tree and by_type:
        raise UsageError("--tree and --by-type are two views of the summary: give one")
    if by_type and depth is not None and output_format is not Format.json:
        raise UsageError("--by-type totals every layer under its own type, whatever --depth: give one")
    if tree and output_format is Format.json:
        raise UsageError("--tree is a view of the table, markdown and csv formats; the JSON report gives each "
                         "layer's blocks as its 'scope'")



def emit_by_type(report, title: str, output_format: Format, output: Optional[Path], spec: str) -> None:
    """The totals per layer type (--by-type) in the chosen format; in JSON, the report with its `by_type`."""
    from . import render

    emit(output_format, output, (spec,),
         json=lambda: render.load("json").render_json(report),
         markdown=lambda: render.load("markdown").render_by_type_markdown(report, title),
         csv=lambda: render.load("csv").render_by_type_csv(report),
         table=lambda: render.load("table").build_by_type(report, title))


def show_check(*specs: str, output_format: str = "table", bindings: Sequence[str] = (), output: Optional[Path] = None,
               max_layers: int = 1_000_000, per_batch: bool = False, batch: Optional[int] = None,
               dtype: Optional[str] = None, optimizer: str = "adam", count_bias: bool = False,
               count_elementwise: bool = False, mixed_precision: Optional[str] = None, attention: str = "materialized",
               debug: bool = False, **limits: Optional[str]) -> int:
    """`layercalc check`: each spec checked, an invalid one reported (cli.reported) and the others checked still;
    the exit code, the worst: 2 for an invalid spec, 1 when a budget is exceeded."""
    overrides = budget_overrides(limits)
    conventions = dict(dtype=dtype, optimizer=optimizer, count_bias=count_bias, count_elementwise=count_elementwise,
                       mixed_precision=mixed_precision, attention=attention)
    results, worst = [], 0
    for spec in specs:
        try:
            results.append(check_one(spec, overrides, bindings, max_layers, per_batch, batch, conventions))
        except Exception as error:
            from .cli import reported

            worst = max(worst, reported(error, debug))
    worst = max([worst, *(0 if result.ok else 1 for result in results)])
    try:
        emit_check(results, worst, Format(output_format), output, specs)
    except BrokenPipeError:  # the reader went away: the verdict stands (cli.reported_errors)
        discard_standard_output()
    return worst


def budget_overrides(limits) -> dict:
    """The budget flags given (`max_params`: '2M'), as limits."""
    from .spec.counts import parse_limit

    return {name: parse_limit(name, value, "--" + name.replace("_", "-")) for name, value in limits.items()
            if value is not None}


def check_one(spec: str, overrides: dict, bindings: Sequence[str], max_layers: int, per_batch: bool,
              batch: Optional[int], conventions: dict):
    """One spec's budget check, as `check` makes it."""
    from .pipeline import check as check_spec

    return check_spec(spec, limits=overrides, bindings=parse_bindings(bindings), max_layers=max_layers,
                      per_batch=per_batch, batch=batch, **conventions)


def emit_check(results, worst: int, output_format: Format, output: Optional[Path], specs: Sequence[str]) -> None:
    """The checks' results in the chosen format (the JSON with the verdict and the exit code)."""
    from . import render

    payload = {"ok": worst == 0, "exit_code": worst, "specs": [result.as_dict() for result in results]}
    emit(output_format, output, specs,
         json=lambda: render.load("json").dumps(payload),
         markdown=lambda: render.load("markdown").render_check_markdown(results),
         csv=lambda: render.load("csv").render_check_csv(results),
         table=lambda: render.load("table").build_check(results))


def show_layers(layer_type: Optional[str] = None, framework: str = "keras") -> None:
    """`layercalc layers [TYPE]`: rich's tables on a terminal, else the same text laid out without rich."""
    from .output import standard_output
    from .render.layers import describe_layer, list_layers, list_layers_text

    with standard_output() as stream:
        if _is_terminal(stream):
            _console().print(list_layers(framework) if layer_type is None else describe_layer(layer_type, framework))
        elif layer_type is None:
            stream.writelines(_plain(None, lambda: list_layers_text(framework)))
        else:
            layer_table = describe_layer(layer_type, framework)
            stream.writelines(_plain(lambda: layer_table))


def interrupted(signum, frame) -> None:  # pragma: no cover - exercised by hand
    sys.stderr.write("layercalc: interrupted\n")
    os._exit(130)


def discard_standard_output() -> None:
    """Send what is still to be printed, and the interpreter's last flush, to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


# Each command's function, and how many arguments (words that are not options) it takes.
FAST_COMMANDS = {"summary": (show_summary, 1, 1), "layers": (show_layers, 0, 1), "check": (show_check, 1, None)}
