"""The command line.  Thin: it calls the library, and it alone turns errors
into messages on stderr and exit codes (0 ok, 1 budget exceeded, 2 invalid
input, 3 internal error, 130 interrupted).  The console entry point is
calc/start.py, which runs the common invocations without importing typer and
hands every other one to the typer app here."""

from __future__ import annotations

import gc
import signal
import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from .errors import LayercalcError, message_line
from .start import (FAST_OPTIONS, FLAGS, MEMORY_OPTIONS, Format, discard_standard_output, emit, interrupted,
                    parse_bindings, show_check, show_layers, show_summary, write_output)

try:
    from typer._click.exceptions import ClickException  # typer 0.2x carries its own copy of click
    from typer._click.types import STRING, StringParamType
    from typer._types import TyperChoice as Choice
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import ClickException
    from click.types import STRING, Choice, StringParamType

EXIT_INVALID = 2
EXIT_INTERNAL = 3


class _Commands(TyperGroup):
    """click's own errors in a command's flags and arguments (a value that is not a number, a missing
    argument, an unknown command) as one inert line, like every other error, not a box that repeats the
    value (a 5,000-digit --depth filled 70 lines, an escape sequence in a flag reached the terminal)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ClickException as error:
            typer.echo(message_line(f"layercalc: {error.format_message()}"), err=True)
            raise typer.Exit(error.exit_code)


class _Text(StringParamType):
    """Free text whose parameter's name (SPEC) already says what it holds: typer would add '<str>'."""

    def get_metavar(self, param, ctx) -> str:
        return ""


class _Command(TyperCommand):
    """A command whose --help names its arguments and values in capitals (SPEC, N, FILE), as Unix tools do,
    where typer 0.28 writes '{spec}' and '<str>'."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                param.metavar = param.metavar or (param.name or "").upper()
                if param.type is STRING:
                    param.type = _Text()
            elif param.metavar is None and not param.is_flag and not isinstance(param.type, Choice):
                param.metavar = max(param.opts, key=len).lstrip("-").replace("-", "_").upper()

    def collect_usage_pieces(self, ctx) -> List[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


class _App(typer.Typer):
    """Every command is a `_Command`."""

    def command(self, *args, **kwargs):
        kwargs["cls"] = kwargs.get("cls") or _Command
        return super().command(*args, **kwargs)


app = _App(
    cls=_Commands,
    name="layercalc",
    help="Output shapes, parameters and MACs of a neural network described in YAML, exactly as Keras 3 "
    "reports them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        from . import __version__
        from .output import write_text

        with reported_errors(debug=False):
            write_text(f"layercalc {__version__}\n", None)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """layercalc: shapes, parameters and MACs without a deep-learning framework."""


@contextmanager
def reported_errors(debug: bool) -> Iterator[None]:
    """Every failure becomes one line on stderr and an exit code, never a traceback (unless --debug); the line
    is inert and bounded (errors.message_line), whatever names and values from the input it quotes."""
    try:
        yield
    except LayercalcError as error:
        if debug:
            raise
        message = error.described(FLAGS)
        typer.echo(message_line(message if error.location else f"layercalc: {message}"), err=True)
        raise typer.Exit(EXIT_INVALID)
    except BrokenPipeError:
        # The reader went away (`| head`): the rest of the output is not wanted; not a failure either, so
        # the command ends with the code it has (check: its budgets' verdict).
        discard_standard_output()
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except UnicodeEncodeError as error:  # the output's encoding (PYTHONIOENCODING=ascii, a C locale) lacks a character
        if debug:
            raise
        character = f"U+{ord(error.object[error.start]):04X}"
        typer.echo(message_line(f"layercalc: the output's encoding ({error.encoding}) cannot write the character "
                                f"{character}: set PYTHONIOENCODING=utf-8 (or a UTF-8 locale), or write to a file "
                                "with --output"), err=True)
        raise typer.Exit(EXIT_INVALID)
    except Exception as error:  # a bug in layercalc: say so plainly
        if debug:
            raise
        typer.echo(message_line(f"layercalc: internal error: {type(error).__name__}: {error} "
                                "(run again with --debug for the traceback, and please report it)"), err=True)
        raise typer.Exit(EXIT_INTERNAL)


def reported(error: Exception, debug: bool = False) -> int:
    """The exit code of `error`, reported on stderr as every command reports it (start.py's fast path, and
    check's error in one of its specs)."""
    try:
        with reported_errors(debug):
            raise error
    except typer.Exit as exit_code:
        return exit_code.exit_code
    return 0  # pragma: no cover - reported_errors ends every error but BrokenPipeError, handled before


def complete_layer_type(incomplete: str) -> List[str]:
    """Shell completion of a layer type: the registered types and aliases that start as typed."""
    from .rules.registry import ALIASES, load_all

    return sorted(name for name in [*load_all(), *ALIASES] if name.startswith(incomplete))


def complete_columns(incomplete: str) -> List[str]:
    """Shell completion of --columns: the column names that complete its last comma-separated item."""
    from .render import COLUMNS

    head, comma, last = incomplete.rpartition(",")
    head += comma
    if not comma and last.startswith("+"):  # '+a,b' adds to the default columns
        head, last = "+", last[1:]
    chosen = set(head.lstrip("+").split(","))
    return [head + name for name in COLUMNS if name.startswith(last) and name not in chosen]


SPEC_ARGUMENT = typer.Argument(..., help="Model spec (YAML), or - for standard input.", show_default=False)
DEBUG_OPTION = typer.Option(False, "--debug", help="Show a Python traceback on errors.")
SET_OPTION = typer.Option(
    [], "--set", metavar="SYMBOL=SIZE", help="Bind a symbolic dimension, such as --set H=224 (repeatable).", show_default=False)


MAX_LAYERS_OPTION = typer.Option(
    1_000_000, "--max-layers", min=1, metavar="N", help="Refuse specs that expand (blocks, repeat) to more layers than this.")


FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")
OUTPUT_OPTION = typer.Option(None, "--output", "-o", metavar="FILE", help="Write to this regular file (replaced in one step; - for "
                             "stdout) instead of stdout.", show_default=False)


def choices(name: str, values: Sequence[str]) -> type:
    """A typer choice of `values`: the ones start.py's fast reader declares for the same option, written once."""
    return Enum(name, {value: value for value in values}, type=str)


Dtype = choices("Dtype", MEMORY_OPTIONS["--dtype"][1])
MixedPrecision = choices("MixedPrecision", MEMORY_OPTIONS["--mixed-precision"][1])
AttentionMemory = choices("AttentionMemory", MEMORY_OPTIONS["--attention"][1])
Optimizer = choices("Optimizer", MEMORY_OPTIONS["--optimizer"][1])


PER_BATCH_OPTION = typer.Option(False, "--per-batch", help="MACs (and FLOPs) for the spec's whole batch, not one "
                                "example; the batch must be given (--batch, or the spec's batch:).")
BATCH_OPTION = typer.Option(None, "--batch", min=1, help="The batch size, in place of the spec's batch: (or where "
                            "it has none).", show_default=False)


DTYPE_OPTION = typer.Option(None, "--dtype", help="Numbers' type for memory (default: the spec's dtype:, else "
                            "float32).", show_default=False)
OPTIMIZER_OPTION = typer.Option(Optimizer.adam, "--optimizer", help="For the training memory estimate: sgd, "
                                "momentum, rmsprop, adam, adamw keep 0, 1, 1, 2, 2 extra copies of each trainable "
                                "parameter.")
ATTENTION_OPTION = typer.Option(AttentionMemory.materialized, "--attention", help="What attention keeps for the "
                                "backward pass in the training estimate: its scores and probabilities "
                                "(materialized), or none (fused, as flash attention).")


@app.command()
def summary(
    spec: str = SPEC_ARGUMENT,
    output_format: Format = FORMAT_OPTION,
    depth: Optional[int] = typer.Option(
        None, "--depth", min=1, metavar="N", help="Show blocks nested this deep or more as one row each (1: top level only)."),
    bindings: List[str] = SET_OPTION,
    flops: bool = typer.Option(False, "--flops", help="Show FLOPs: 2 × MACs, + the terms below when asked for."),
    count_bias: bool = typer.Option(False, "--count-bias", help="FLOPs count bias additions (implies --flops)."),
    count_elementwise: bool = typer.Option(
        False, "--count-elementwise", help="FLOPs count elementwise operations: activations, normalization, "
        "pooling windows, merges, softmax (implies --flops)."),
    per_batch: bool = PER_BATCH_OPTION,
    batch: Optional[int] = BATCH_OPTION,
    memory: bool = typer.Option(False, "--memory", help="Show each layer's output bytes, and the parameter, "
                                "inference-peak and training memory."),
    dtype: Optional[Dtype] = DTYPE_OPTION,
    optimizer: Optimizer = OPTIMIZER_OPTION,
    mixed_precision: Optional[MixedPrecision] = typer.Option(
        None, "--mixed-precision", help="Activations, attention's saved tensors and the KV cache in this dtype; "
        "parameters, gradients and optimizer states in float32 (implies --memory).", show_default=False),
    attention: AttentionMemory = ATTENTION_OPTION,
    training_flops: bool = typer.Option(False, "--training-flops", help="Show the FLOPs of one training step "
                                        "(3 × forward) beside the 6·N·tokens estimate."),
    columns: Optional[str] = typer.Option(
        None, "--columns", help="Columns, comma-separated: name, type, input_shape, output_shape, params, "
        "trainable, macs, flops, memory, receptive_field, attention_saved, kv_cache, share, params_share, "
        "inputs; '+a,b' adds to the default ones.", show_default=False, autocompletion=complete_columns),
    tree: bool = typer.Option(False, "--tree", help="Show each block's row with its children's rows indented "
                              "under it (down to --depth); table, markdown and csv."),
    by_type: bool = typer.Option(False, "--by-type", help="Show the totals per layer type (layers, params, MACs; "
                                 "FLOPs and memory when asked for) instead of a row per layer."),
    output: Optional[Path] = OUTPUT_OPTION,
    max_layers: int = MAX_LAYERS_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Print every layer's output shape, parameters and MACs, and the totals."""
    with reported_errors(debug):
        show_summary(spec, output_format=output_format, depth=depth, bindings=bindings, flops=flops,
                     count_bias=count_bias, count_elementwise=count_elementwise, per_batch=per_batch, batch=batch,
                     memory=memory, dtype=dtype and dtype.value, optimizer=optimizer.value,
                     mixed_precision=mixed_precision and mixed_precision.value, attention=attention.value,
                     training_flops=training_flops, columns=columns, tree=tree, by_type=by_type, output=output,
                     max_layers=max_layers)

LIMIT_HELP = "Overrides the spec's budget; K/M/G/T suffixes (2M = 2,000,000)."
BYTES_HELP = "Overrides the spec's budget; bytes, or B, KiB, MiB, GiB, TiB (1 KiB = 1,024 B)."


@app.command()
def check(
    specs: List[str] = typer.Argument(..., help="Model specs (YAML), or - for standard input.", show_default=False),
    max_params: Optional[str] = typer.Option(None, "--max-params", help="Total parameters. " + LIMIT_HELP),
    max_trainable_params: Optional[str] = typer.Option(None, "--max-trainable-params",
                                                       help="Trainable parameters. " + LIMIT_HELP),
    max_non_trainable_params: Optional[str] = typer.Option(None, "--max-non-trainable-params",
                                                           help="Non-trainable parameters. " + LIMIT_HELP),
    max_macs: Optional[str] = typer.Option(None, "--max-macs", help="MACs per example. " + LIMIT_HELP),
    max_layer_params: Optional[str] = typer.Option(None, "--max-layer-params",
                                                   help="Parameters of any one layer. " + LIMIT_HELP),
    max_flops: Optional[str] = typer.Option(None, "--max-flops", help="FLOPs per example: 2 × MACs, + the terms "
                                            "--count-bias and --count-elementwise add. " + LIMIT_HELP),
    max_activation_memory: Optional[str] = typer.Option(
        None, "--max-activation-memory", help="Bytes of every input and layer output. " + BYTES_HELP),
    max_inference_memory: Optional[str] = typer.Option(
        None, "--max-inference-memory", help="Parameters + the inference peak of outputs alive. " + BYTES_HELP),
    max_training_memory: Optional[str] = typer.Option(
        None, "--max-training-memory", help="Parameters, gradients, optimizer state and activations. " + BYTES_HELP),
    max_serving_memory: Optional[str] = typer.Option(
        None, "--max-serving-memory", help="Parameters + the inference peak of outputs alive + the KV cache. "
        + BYTES_HELP),
    per_batch: bool = typer.Option(False, "--per-batch", help="max_macs and max_flops limit the spec's whole "
                                   "batch, not one example; the batch must be given (--batch, or the spec's batch:)."),
    batch: Optional[int] = BATCH_OPTION,
    count_bias: bool = typer.Option(False, "--count-bias", help="max_flops counts bias additions."),
    count_elementwise: bool = typer.Option(False, "--count-elementwise", help="max_flops counts elementwise "
                                           "operations: activations, normalization, pooling windows, merges, softmax."),
    dtype: Optional[Dtype] = DTYPE_OPTION,
    optimizer: Optimizer = OPTIMIZER_OPTION,
    mixed_precision: Optional[MixedPrecision] = typer.Option(
        None, "--mixed-precision", help="Activations in this dtype for the memory budgets; parameters, gradients "
        "and optimizer states in float32.", show_default=False),
    attention: AttentionMemory = ATTENTION_OPTION,
    output_format: Format = FORMAT_OPTION,
    bindings: List[str] = SET_OPTION,
    output: Optional[Path] = OUTPUT_OPTION,
    max_layers: int = MAX_LAYERS_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Enforce parameter, MAC, FLOP and memory budgets: exit 0 when all hold, 1 when one is exceeded, 2 for
    invalid input (a spec with no budget, from its budget: or a flag, is invalid)."""
    flags = {"max_params": max_params, "max_trainable_params": max_trainable_params,
             "max_non_trainable_params": max_non_trainable_params, "max_macs": max_macs,
             "max_layer_params": max_layer_params, "max_flops": max_flops,
             "max_activation_memory": max_activation_memory, "max_inference_memory": max_inference_memory,
             "max_training_memory": max_training_memory, "max_serving_memory": max_serving_memory}
    with reported_errors(debug):
        worst = show_check(*specs, output_format=output_format.value, bindings=bindings, output=output,
                           max_layers=max_layers, per_batch=per_batch, batch=batch, dtype=dtype and dtype.value,
                           optimizer=optimizer.value, count_bias=count_bias, count_elementwise=count_elementwise,
                           mixed_precision=mixed_precision and mixed_precision.value, attention=attention.value,
                           debug=debug, **flags)
    raise typer.Exit(worst)


@app.command()
def diff(
    before: str = typer.Argument(..., help="The spec before the change.", show_default=False),
    after: str = typer.Argument(..., help="The spec after the change.", show_default=False),
    output_format: Format = FORMAT_OPTION,
    show_all: bool = typer.Option(False, "--all", help="Also list the layers that did not change (in every format)."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 1 when the models differ, 0 when they do not "
                                   "(as git diff --exit-code)."),
    per_batch: bool = typer.Option(False, "--per-batch", help="MACs of each spec's whole batch, not of one example; "
                                   "both specs must give a batch (or --batch)."),
    batch: Optional[int] = BATCH_OPTION,
    bindings: List[str] = SET_OPTION,
    output: Optional[Path] = OUTPUT_OPTION,
    max_layers: int = MAX_LAYERS_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Compare two specs: layers added, removed and changed (matched by name), and the totals."""
    with reported_errors(debug):
        from .pipeline import compare

        result = compare(before, after, bindings=parse_bindings(bindings), max_layers=max_layers,
                         per_batch=per_batch, batch=batch, unchanged=show_all)
        from . import render

        emit(output_format, output, (before, after),
             json=lambda: render.load("json").render_diff_json(result),
             markdown=lambda: render.load("markdown").render_diff_markdown(result),
             csv=lambda: render.load("csv").render_diff_csv(result),
             table=lambda: render.load("table").build_diff(result))
    if exit_code and result.differs:
        raise typer.Exit(1)


@app.command()
def schema(
    output: Optional[Path] = OUTPUT_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Print a JSON Schema of the spec format (every layer type and its arguments), for editors."""
    with reported_errors(debug):
        import json

        from .schema import spec_schema

        write_output(json.dumps(spec_schema(), indent=2) + "\n", output)


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    dot = "dot"


@app.command()
def graph(
    spec: str = SPEC_ARGUMENT,
    graph_format: GraphFormat = typer.Option(
        GraphFormat.mermaid, "--format", "-f", help="mermaid (renders on GitHub) or dot (Graphviz: dot -Tsvg)."),
    depth: Optional[int] = typer.Option(
        None, "--depth", min=1, metavar="N", help="Draw blocks nested this deep or more as one node each (1: top level only)."),
    bindings: List[str] = SET_OPTION,
    output: Optional[Path] = OUTPUT_OPTION,
    max_layers: int = MAX_LAYERS_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Draw the layer graph: a node per layer, edges for the data flow, blocks as clusters."""
    with reported_errors(debug):
        from .pipeline import summarize
        from .render.graph import MERMAID_MAX_TEXT, render_dot, render_mermaid

        report = summarize(spec, bindings=parse_bindings(bindings), max_layers=max_layers, depth=depth)
        title = report.name or ("stdin" if spec == "-" else Path(spec).stem)
        render = render_mermaid if graph_format is GraphFormat.mermaid else render_dot
        text = render(report, title)
        write_output(text, output, (spec,))
        if graph_format is GraphFormat.mermaid and len(text) > MERMAID_MAX_TEXT:
            typer.echo(f"layercalc: note: this diagram has {len(text):,} characters; Mermaid draws at most "
                       f"{MERMAID_MAX_TEXT:,} by default: try --depth or --format dot", err=True)


@app.command()
def convert(
    model: str = typer.Argument(..., help="A Keras model: a .keras archive (model.save) or a .json file "
                                "(model.to_json()).", show_default=False),
    output: Optional[Path] = OUTPUT_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Write the spec (YAML) of a Keras model; `layercalc summary` gives the same figures for both."""
    with reported_errors(debug):
        from .pipeline import convert as converted

        write_output(converted(model), output, (model,))


Framework = choices("Framework", FAST_OPTIONS["layers"]["--framework"][1])


@app.command()
def layers(
    layer_type: Optional[str] = typer.Argument(None, metavar="TYPE", help="Show one layer type in detail.",
                                               show_default=False, autocompletion=complete_layer_type),
    framework: Framework = typer.Option(Framework.keras, "--framework", help="Whose layers: Keras' or torch.nn's."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """List the supported layer types and their arguments, or describe one."""
    with reported_errors(debug):
        show_layers(layer_type, framework.value)


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"


def _complete_layer(ctx: typer.Context, incomplete: str) -> List[str]:
    """Shell completion of explain's LAYER: the names of the spec's layers and block instances (none while it is
    invalid)."""
    try:
        from .graph import build_graph
        from .readers import read_spec

        graph = build_graph(read_spec(ctx.params.get("spec") or ""))
        return [name for name in (*(node.name for node in graph.nodes), *graph.blocks) if name.startswith(incomplete)]
    except Exception:  # a spec being written, a path not yet typed: nothing to offer, never a traceback
        return []


@app.command()
def explain(
    spec: str = SPEC_ARGUMENT,
    layer: Optional[str] = typer.Argument(None, help="The layer, by the name summary shows (a block instance: "
                                          "each of its layers).", show_default=False, autocompletion=_complete_layer),
    every_layer: bool = typer.Option(False, "--all", help="Explain every layer."),
    output_format: ExplainFormat = typer.Option(ExplainFormat.text, "--format", "-f", help="Output format."),
    batch: Optional[int] = BATCH_OPTION,
    bindings: List[str] = SET_OPTION,
    output: Optional[Path] = OUTPUT_OPTION,
    max_layers: int = MAX_LAYERS_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    """Derive a layer's output shape, parameters and MACs step by step, with its own numbers."""
    with reported_errors(debug):
        from .errors import UsageError
        from .pipeline import explain as explained
        from .render.explain import render_explanation_json, render_explanation_text

        if (layer is None) == (not every_layer):
            raise UsageError("give a layer's name, or --all for every layer" if layer is None else
                             f"give a layer's name or --all, not both (found '{layer}' and --all)")
        explanation = explained(spec, () if every_layer else (layer,), bindings=parse_bindings(bindings),
                                max_layers=max_layers, batch=batch)
        render = render_explanation_json if output_format is ExplainFormat.json else render_explanation_text
        write_output(render(explanation), output, (spec,))

def main() -> None:
    # A short-lived process that builds one large, acyclic object graph: the cyclic garbage collector
    # only rescans it (a third of the time on a 100,000-layer spec, measured by make bench).
    gc.disable()
    signal.signal(signal.SIGINT, interrupted)
    try:
        app()
    except BrokenPipeError:
        # The reader went away (`| head`) outside a command's own output: stop quietly, as Unix tools do.
        discard_standard_output()
        sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
