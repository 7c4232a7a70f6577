"""The command line.  Thin: it calls the library, and it alone turns errors
into messages on stderr and exit codes (0 ok, 1 budget exceeded, 2 invalid
input, 3 internal error, 130 interrupted)."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, List, Optional

import typer

from .errors import LayercalcError

EXIT_INVALID = 2
EXIT_INTERNAL = 3

app = typer.Typer(
    name="layercalc",
    help="Output shapes, parameters and MACs of a neural network described in YAML, exactly as Keras 3 "
    "reports them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


class Format(str, Enum):
    table = "table"
    json = "json"


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"layercalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """layercalc: shapes, parameters and MACs without a deep-learning framework."""


@contextmanager
def reported_errors(debug: bool) -> Iterator[None]:
    """Every failure becomes one line on stderr and an exit code, never a traceback (unless --debug)."""
    try:
        yield
    except LayercalcError as error:
        if debug:
            raise
        typer.echo(str(error) if error.location else f"layercalc: {error}", err=True)
        raise typer.Exit(EXIT_INVALID)
    except (typer.Exit, typer.Abort, KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as error:  # a bug in layercalc: say so plainly
        if debug:
            raise
        typer.echo(
            f"layercalc: internal error: {type(error).__name__}: {error} "
            "(run again with --debug for the traceback, and please report it)",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL)


def _console():
    """A rich console; NO_COLOR (no-color.org) turns off every style, not only colours."""
    from rich.console import Console

    return Console(color_system=None) if os.environ.get("NO_COLOR") else Console()


SPEC_ARGUMENT = typer.Argument(..., help="Model spec (YAML), or - for standard input.", show_default=False)
DEBUG_OPTION = typer.Option(False, "--debug", help="Show a Python traceback on errors.")
SET_OPTION = typer.Option(
    [], "--set", help="Bind a symbolic dimension, such as --set H=224 (repeatable).", show_default=False)


def parse_bindings(items: List[str]) -> dict:
    """['H=224', 'W=224'] -> {'H': 224, 'W': 224}."""
    from .errors import UsageError

    bindings = {}
    for item in items:
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name.isidentifier() or not value.isdigit() or int(value) < 1:
            raise UsageError(f"--set expects SYMBOL=POSITIVE_INTEGER, such as H=224, found '{item}'")
        bindings[name] = int(value)
    return bindings


MAX_LAYERS_OPTION = typer.Option(
    1_000_000, "--max-layers", min=1, help="Refuse specs that expand (blocks, repeat) to more layers than this.")


@app.command()
def summary(
    spec: str = SPEC_ARGUMENT,
    output_format: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    depth: Optional[int] = typer.Option(
        None, "--depth", min=1, help="Show blocks nested this deep or more as one row each (1: top level only)."),
    bindings: List[str] = SET_OPTION,
    max_layers: int = MAX_LAYERS_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Print every layer's output shape, parameters and MACs, and the totals."""
    with reported_errors(debug):
        from .analyze import analyze
        from .spec import load_spec

        report = analyze(load_spec(spec, max_layers=max_layers, bindings=parse_bindings(bindings)))
        if depth is not None:
            report = report.collapsed(depth)
        if output_format is Format.json:
            from .render.json import render_json

            sys.stdout.write(render_json(report))
            return
        from .render.table import print_table

        title = report.name or ("stdin" if spec == "-" else Path(spec).stem)
        print_table(report, title, _console())


@app.command()
def layers(
    layer_type: Optional[str] = typer.Argument(None, help="Show one layer type in detail.", show_default=False),
    debug: bool = DEBUG_OPTION,
) -> None:
    """List the supported layer types and their arguments, or describe one."""
    with reported_errors(debug):
        from .render.layers import describe_layer, list_layers

        console = _console()
        console.print(list_layers() if layer_type is None else describe_layer(layer_type))


def _interrupted(signum, frame) -> None:  # pragma: no cover - exercised by hand
    sys.stderr.write("layercalc: interrupted\n")
    os._exit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    try:
        app()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
