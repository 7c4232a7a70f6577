"""Fuzzing: generated specs, Keras files and flags, valid and broken, through the real command line.

Every input ends in exit 0 or 2 (1 only when `check` finds a budget exceeded):
never a traceback, never an internal error (exit 3).  Every exit 2 prints one
line of at most 1,000 characters that starts with a location (`file:line:col:`,
`model.keras:`, or `layercalc:` for the command line); every exit 0 is internally
consistent (layer rows sum to the totals, params = trainable + non-trainable,
every known dimension positive).  For any input, no output of any format and
no error line holds a control character but the renderer's own newlines.

Hostile inputs that could take unbounded time or memory if a limit failed
(.keras archives, YAML aliases, growing expressions) run in a forked child
under CPU and memory limits (conftest.forked_cli).

The default run is small and derandomized (the same examples every time);
`make fuzz` runs the same 12 properties on 30,000 random inputs
(LAYERCALC_FUZZ=fuzz: hypothesis profile layercalc-fuzz).
"""
from __future__ import annotations

import copy
import dataclasses
import io
import json
import os
import re
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from calc import LayercalcError, analyze, parse_spec, rules
from calc.errors import BEYOND_C0, MAX_MESSAGE

_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
          HealthCheck.filter_too_much]
settings.register_profile("layercalc-quick", max_examples=40, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_QUIET)
settings.register_profile("layercalc-fuzz", max_examples=2500, deadline=None, database=None, print_blob=True,
                          suppress_health_check=_QUIET)  # 12 properties: 30,000 inputs
PROFILE = settings.get_profile(f"layercalc-{os.environ.get('LAYERCALC_FUZZ', 'quick')}")

REGISTRY = rules.load_all()
# Custom's arguments are expressions of names it declares itself (input_axes): random values only make it refuse
# them, and adding it shifts every derandomized draw; its errors are tested word for word in tests/test_custom_layer.py.
TYPES = sorted(name for name in REGISTRY if name != "Custom")
ALIASES = {name: [alias for alias, target in rules.ALIASES.items() if target == name] for name in TYPES}
TORCH = rules.FRAMEWORKS["torch"]
TORCH_TYPES = sorted(rules.load_all("torch"))
TORCH_ALIASES = {name: [alias for alias, target in TORCH.aliases.items() if target == name] for name in TORCH_TYPES}
UNSAFE = re.compile(f"[\x00-\x09\x0b-\x1f{BEYOND_C0}]")  # controls but the renderer's own newlines
LOCATED = re.compile(r"(<stdin>|[^\s:]+):\d+:\d+: \S|layercalc: \S")
KERAS_MODELS = Path(__file__).parent / "data" / "keras_models"
MAX_LAYERS = ["--max-layers", "500"]  # generated specs are small; absurd repeats must still fail fast


pytestmark = pytest.mark.usefixtures("command_built_once")


# -- the properties -----------------------------------------------------------------------------


def run(cli, args, text):
    """Run layercalc on spec text (str or bytes) given on standard input; check what every run must hold."""
    result = cli([*args[:1], "-", *args[1:], *MAX_LAYERS], input=text)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    judge(args[0], result.exit_code, result.stdout, result.stderr)
    return result


def judge(command: str, exit_code: int, stdout: str, stderr: str, located: re.Pattern = LOCATED) -> None:
    """What every run must hold: exit 0 or 2 (1 from check), never a traceback; an exit 2 is one located line of
    at most MAX_MESSAGE characters; no control character in any output but the renderer's own newlines."""
    assert exit_code in (0, 1, 2), (exit_code, stderr)
    assert exit_code != 1 or command == "check", stderr
    assert "Traceback" not in stderr + stdout
    assert not UNSAFE.search(stdout + stderr.removesuffix("\n")), (stdout, stderr)
    if exit_code == 2:
        assert stdout == "" or command == "check"  # check still reports the valid specs
        assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
        assert len(stderr) <= MAX_MESSAGE + 1, stderr
        assert located.match(stderr), stderr
    event(f"exit {exit_code}")


def check_report(report: dict, smallest: int = 1) -> None:
    """A report agrees with itself: rows sum to totals, params = trainable + non-trainable, sizes positive
    (`smallest` 0 where arguments may be 0: Keras' CenterCrop(height=0) or ConvLSTM1D(filters=0) make 0-sized
    axes, and so does layercalc)."""
    fields = ("params", "trainable_params", "non_trainable_params", "macs")
    for item in report["inputs"]:
        check_shape(item["shape"], smallest)
    for layer in report["layers"]:
        shapes = layer["output_shape"]
        for shape in shapes if shapes and isinstance(shapes[0], list) else [shapes]:
            check_shape(shape, smallest)
        counts = [layer[name] for name in fields]
        for count in counts:
            assert count is None or isinstance(count, str) or (type(count) is int and count >= 0), layer
        if all(type(count) is int for count in counts[:3]):
            assert counts[0] == counts[1] + counts[2], layer
    for name in fields:
        column = [layer[name] for layer in report["layers"]]
        if all(type(count) is int for count in column):
            assert report["totals"][name] == sum(column), name
        elif None in column:
            assert report["totals"][name] is None, name


def check_shape(shape: list, smallest: int) -> None:
    for dim in shape:
        assert dim is None or isinstance(dim, str) or (type(dim) is int and dim >= smallest), shape


def summarize(cli, text, smallest: int = 1):
    """summary --format json, and the report's consistency when the spec is valid."""
    result = run(cli, ["summary", "--format", "json"], text)
    if result.exit_code == 0:
        check_report(json.loads(result.stdout), smallest)
    return result


# -- valid specs: chains and DAGs of registered layers with plausible arguments ------------------

EQUATIONS = ["ab,bc->ac", "abc,cd->abd", "...b,bc->...c", "abc,cde->abde", "ab,bc->c"]
WRAPPED = [{"type": "Dense", "units": 3}, {"type": "LSTM", "units": 2}, {"type": "GRU", "units": 2,
           "return_sequences": True}, {"type": "Conv1D", "filters": 2, "kernel_size": 2}, {"type": "SimpleRNN",
           "units": 2, "return_state": True}]
SMALL_LIST = st.lists(st.integers(1, 3), min_size=1, max_size=3)
PAIRS = st.lists(st.integers(0, 2) | st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=1, max_size=3)

# Keyed by describe_type's text, so an argument type added later falls back to `ANYTHING` and is still fuzzed.
VALUES = {
    "an integer": st.integers(-3, 3),
    "a positive integer": st.integers(1, 6),
    "a non-negative integer": st.integers(1, 4),  # 0 is plausible too, but Keras then makes 0-sized axes
    "true or false": st.booleans(),
    "a string": st.sampled_from(EQUATIONS + ["c", "d", "bilinear"]),
    "a number": st.sampled_from([0.0, 0.1, 0.5, 1, 2.5]),
    "a positive integer or a list of positive integers": st.integers(1, 3) | SMALL_LIST,
    "an integer or a list of integers": st.integers(-3, 3) | st.lists(st.integers(-3, 3), min_size=1, max_size=3),
    "a list of positive integers, with at most one -1": st.lists(st.sampled_from([-1, 1, 2, 3, 4, 6]), min_size=1,
                                                                  max_size=3),
    "an integer, a list of integers, or a list of [before, after] pairs": st.integers(0, 2) | PAIRS,
    "a positive integer or a list of positive integers and nulls": st.integers(1, 8) | st.lists(
        st.none() | st.integers(1, 8), min_size=1, max_size=3),
    "a number or a (nested, rectangular) list of numbers": st.just(0.5) | st.lists(st.just(0.5), min_size=1,
                                                                                    max_size=4),
    "a layer as a mapping with a 'type', such as {type: LSTM, units: 64}": st.sampled_from(WRAPPED),
}
ANYTHING = st.none() | st.booleans() | st.integers(-2, 8) | st.sampled_from(["relu", "glorot_uniform", "x"])


def argument_value(f: dataclasses.Field):
    if "choices" in f.metadata:
        return st.sampled_from(f.metadata["choices"])
    description = rules.describe_type(f)
    optional = description.endswith(" or null")
    values = VALUES.get(description.removesuffix(" or null"), ANYTHING)
    return st.none() | values if optional else values


def required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


@st.composite
def layer_of(draw, type_name: str, torch: bool = False) -> dict:
    aliases, registry = (TORCH_ALIASES, TORCH.registry) if torch else (ALIASES, REGISTRY)
    layer = {"type": draw(st.sampled_from([type_name, *aliases[type_name]]))}
    for name, f in registry[type_name].arguments().items():
        if required(f) or (rules.affects_shapes(f) and draw(st.integers(0, 3)) == 0):
            layer[name] = draw(argument_value(f))
    if draw(st.integers(0, 9)) == 0:
        layer["trainable"] = False
    return layer


DIM = st.integers(1, 12) | st.sampled_from([None, "H", "W", 1, 28, 64])


def finished(head: dict, layers: list) -> dict:
    """A spec of these layers in which every input and layer leads to an output (the sinks)."""
    inputs = list(head.get("inputs", {"input": None}))
    consumed, previous = set(), inputs[0]
    for layer in layers:
        consumed.update(layer.get("inputs", [previous]))
        previous = layer["name"]
    unused = [{"type": "Identity", "name": f"use_{name}", "inputs": [name]} for name in inputs if name not in consumed]
    layers = layers + unused
    sinks = [layer["name"] for layer in layers if layer["name"] not in consumed]
    return {**head, "layers": layers, **({"outputs": sinks} if sinks != [layers[-1]["name"]] else {})}


def still_valid(spec: dict) -> bool:
    try:
        analyze(parse_spec(json.dumps(spec), "model.yaml"))
    except LayercalcError:
        return False
    return True


@st.composite
def models(draw, max_layers: int = 6, grow: bool = False, torch: bool = False) -> dict:
    """A chain or DAG of registered layers with plausible arguments.  grow: each layer is drawn again (up to 4
    times) while the model so far is invalid, so that deep models are mostly valid.  torch: a torch spec, of
    the torch registry's modules."""
    types, registry = (TORCH_TYPES, TORCH.registry) if torch else (TYPES, REGISTRY)
    head: dict = {"framework": "torch"} if torch else {}
    if draw(st.booleans()):
        head["batch"] = draw(st.none() | st.integers(1, 8) | st.just("N"))
    if draw(st.integers(0, 4)) == 0:
        head["inputs"] = {"a": draw(st.lists(DIM, max_size=4)), "b": draw(st.lists(DIM, max_size=4))}
    else:
        head["input"] = draw(st.lists(DIM, min_size=0, max_size=4))
    names = list(head.get("inputs", {"input": None}))
    layers: list = []
    for index in range(draw(st.integers(1, max_layers))):
        for _ in range(4 if grow else 1):
            type_name = draw(st.sampled_from(types))
            layer = {**draw(layer_of(type_name, torch)), "name": f"l{index}"}
            rule = registry[type_name]
            count = draw(st.integers(rule.min_inputs, rule.max_inputs or 3))
            previous = names[-1]
            if count > 1 or (not layers and len(names) > 1) or draw(st.integers(0, 3)) == 0:
                layer["inputs"] = draw(st.lists(st.sampled_from(names) | st.just(previous), min_size=count,
                                                max_size=count))
            if not grow or still_valid(finished(head, layers + [layer])):
                break
        layers.append(layer)
        names.append(layer["name"])
    return finished(head, layers)


def dump(spec, style: int) -> str:
    """Spec data as YAML text: block style, flow style, or JSON (which is YAML)."""
    if style == 2:
        return json.dumps(spec)
    return yaml.safe_dump(spec, default_flow_style=bool(style), sort_keys=False)


@PROFILE
@given(spec=models(max_layers=8, grow=True), style=st.integers(0, 2))
def test_generated_models_are_valid_or_refused_clearly(cli, spec, style):
    result = summarize(cli, dump(spec, style))
    event(f"{len(spec['layers'])} layers, exit {result.exit_code}")


@PROFILE
@given(spec=models(max_layers=8, grow=True, torch=True), style=st.integers(0, 2))
def test_generated_torch_models_are_valid_or_refused_clearly(cli, spec, style):
    result = summarize(cli, dump(spec, style))
    event(f"{len(spec['layers'])} layers, exit {result.exit_code}")


@PROFILE
@given(spec=models(max_layers=4), output_format=st.sampled_from(["table", "markdown", "csv"]),
       depth=st.sampled_from([[], ["--depth", "1"]]), budget=st.sampled_from(["0", "1K", "1T"]))
def test_every_command_and_format_holds_up(cli, spec, output_format, depth, budget):
    text = dump(spec, 2)
    run(cli, ["summary", "--format", output_format, *depth], text)
    run(cli, ["check", "--max-params", budget, "--max-macs", budget, "--format", output_format], text)


# -- mutations of valid specs: wrong types, missing keys, bad sizes, unknown names, broken references -----------

BAD_VALUES = [
    -1, 0, -(2**63), 2**62 + 1, 2**70, 10**30, 1.5, -0.0, 1e400, "", "x", "H", "-1", "1e9", "$x", "${1 // 0}",
    "${x * }", "${" + "9*" * 60 + "9}", True, False, None, [], {}, [1, [2]], [None], ["a", 3], {"type": "Dense"},
    {"shape": [4]}, "é", "\u0000", "名前", "a" * 300, "input:7", "l0:99", ":", "/", [2**70], [0, 0],
]
UNKNOWN_KEYS = ["filtres", "unitz", "tpye", "repeat", "trainable", "inputs", "name", "outputs", 5, None, True, "",
                "ÿ", "layers", "blocks", "symbols", "budget"]


def paths(data, prefix=()):
    """Every (path, value) in nested dicts and lists, the root included."""
    yield prefix, data
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from paths(value, prefix + (key,))


def at(data, path):
    for key in path:
        data = data[key]
    return data


@st.composite
def mutated(draw, spec: dict):
    """spec with 1 to 3 things broken; never raises, whatever it is given."""
    spec = copy.deepcopy(spec)  # values drawn from the tables above are shared: never change them in place
    for _ in range(draw(st.integers(1, 3))):
        if not isinstance(spec, dict):
            break
        found = list(paths(spec))
        path, value = draw(st.sampled_from(found))
        kind = draw(st.sampled_from(["replace", "replace", "delete", "add", "type", "reference", "repeat", "cycle",
                                     "duplicate", "top"]))
        layers = spec.get("layers") if isinstance(spec.get("layers"), list) else []
        named = [layer for layer in layers if isinstance(layer, dict)]
        if kind == "replace" and path:
            at(spec, path[:-1])[path[-1]] = copy.deepcopy(draw(st.sampled_from(BAD_VALUES)))
        elif kind == "delete" and path:
            del at(spec, path[:-1])[path[-1]]
        elif kind == "add" and isinstance(value, dict):
            value[draw(st.sampled_from(UNKNOWN_KEYS))] = copy.deepcopy(draw(st.sampled_from(BAD_VALUES + [1, 3])))
        elif kind == "type" and named:
            layer = draw(st.sampled_from(named))
            name = str(layer.get("type", "Dense"))
            layer["type"] = draw(st.sampled_from([name.lower(), name[:-1], name + "x", name.swapcase(), "Nope",
                                                  " " + name, name.replace("D", "d"), "Conv4D", "InputLayer"]))
        elif kind == "reference" and named:
            draw(st.sampled_from(named))["inputs"] = list(draw(st.sampled_from(
                [["nope"], ["input:3"], ["l0:1"], ["l9"], [], ["input", "nope"], [":"], [""], [5]])))
        elif kind == "repeat" and named:
            draw(st.sampled_from(named))["repeat"] = draw(st.sampled_from([2, 10**3, 10**9, 10**40, 0, -5, "$n"]))
        elif kind == "cycle" and len(named) > 1:
            named[0]["inputs"] = [named[-1].get("name", "x")]
        elif kind == "duplicate" and len(named) > 1:
            named[-1]["name"] = named[0].get("name", "input")
        elif kind == "top":
            spec = draw(st.sampled_from([[], "x", 5, None, [spec], {"input": spec}, {"layers": spec}]))
    return spec


@PROFILE
@given(data=st.data(), style=st.integers(0, 2))
def test_mutated_models_are_refused_clearly(cli, data, style):
    spec = data.draw(models(max_layers=4))
    broken = data.draw(mutated(spec))
    summarize(cli, dump(broken, style), smallest=0)


# -- text: truncated and damaged YAML, tags, anchors, bytes that are not text -------------------------------------

NASTY = [
    "!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system", "!!python/module:os",
    "!!python/object/new:calc.cli.Format [json]", "!<tag:yaml.org,2002:python/object:object> {}", "!!binary aGk=",
    "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]", "!!timestamp 2001-01-01", "2001-12-14t21:59:43.10-05:00",
    "!!float 3", "!!int '3'", "!!str 3", "!custom 3", "!!map {}", "&a [1, *a]", "*undefined", "<<: {a: 1}",
    "'unterminated", "{a: 1, a: 2}", "[1, 2", "\t- tab", "%YAML 1.1", "--- x", "...", "? [a]\n: 1", "0x1F", "0o17",
    "1_000", "+1", ".inf", "-.inf", ".nan", "~", "1" * 120, "0b" + "1" * 400, "- " * 60 + "x", "[" * 150,
    "{a: " * 120, "\ufeff", "\x85", "\u2028", "\x00", "\x7f", "\ud7ff",
]
RAW = [b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\xef\xbb\xbf", b"\r",
       b"\r\n", b"\x1b[31m", "ä".encode("latin-1")]


@st.composite
def damaged(draw) -> bytes:
    text = dump(draw(models(max_layers=3)), draw(st.integers(0, 2))).encode()
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["truncate", "nasty", "raw", "byte", "delete"]))
        if kind == "truncate":
            text = text[:position]
        elif kind == "nasty":
            text = text[:position] + draw(st.sampled_from(NASTY)).encode("utf-8", "surrogatepass") + text[position:]
        elif kind == "raw":
            text = text[:position] + draw(st.sampled_from(RAW)) + text[position:]
        elif kind == "byte":
            text = text[:position] + bytes([draw(st.integers(0, 255))]) + text[position + 1:]
        else:
            text = text[:position] + text[position + draw(st.integers(1, 20)):]
    return text


@PROFILE
@given(text=damaged() | st.binary(max_size=200) | st.text(max_size=200).map(str.encode)
       | st.sampled_from(NASTY).map(lambda text: f"input: [4]\nlayers: [{{type: Dense, units: 2}}]\nname: {text}\n")
       .map(str.encode) | st.just(b""))
def test_damaged_text_is_refused_clearly(cli, text):
    summarize(cli, text, smallest=0)


# -- blocks: arguments, nesting, cycles and repeats ------------------------------------------------------------

GOOD_BLOCK_LAYERS = [
    {"type": "Dense", "units": "$n"}, {"type": "Dense", "units": "${n * 2 + 1}"}, {"type": "Dense", "units": 3},
    {"type": "Identity"}, {"type": "Dropout", "rate": 0.5}, {"type": "LayerNormalization"},
    {"type": "Dense", "units": 2, "repeat": "$n"}, {"type": "Dense", "units": "$n", "name": "x"},
]
BAD_BLOCK_LAYERS = [
    {"type": "Dense", "units": "${n // 0}"}, {"type": "Dense", "units": "$m"},
    {"type": "Add", "inputs": ["input", "x"]},
    {"type": "Dense", "units": 2, "repeat": "${n*n*n*n*n}"}, {"type": "Dense", "units": 2, "inputs": ["nope"]},
    {"type": "Dense", "units": "${n ** 2}"}, {"type": "Dense", "units": "$n$n"}, {"type": "Dense", "units": "${"},
    {"type": "Dense", "units": "${__import__('os')}"}, {"type": "Dense", "units": "${n.real}"}, {"units": 2},
]


@st.composite
def sometimes_bad(draw, good: list, bad: list):
    """One of `good`, or one in eight times one of `bad`."""
    return draw(st.sampled_from(bad if bad and draw(st.integers(0, 7)) == 0 else good))


@st.composite
def block_models(draw) -> dict:
    """Blocks using each other (a later one nests; an earlier one, or itself, makes a cycle), with arguments,
    expressions and repeats, mostly right and sometimes not."""
    count = draw(st.integers(1, 4))
    names = [f"b{index}" for index in range(count)]
    blocks = {}
    for index, name in enumerate(names):
        layers = draw(st.lists(sometimes_bad(GOOD_BLOCK_LAYERS, BAD_BLOCK_LAYERS), min_size=1, max_size=3))
        if index + 1 < count and draw(st.booleans()):
            layers.append({"type": draw(sometimes_bad(names[index + 1:], names[:index + 1])),
                           "n": draw(sometimes_bad([1, 2, "$n"], [10**6, -1, "x"])),
                           "repeat": draw(sometimes_bad([1, 2, "$n"], [10**7]))})
        blocks[name] = {"args": draw(sometimes_bad([["n"], [{"n": 2}], {"n": 3}], [[], ["n", "n"], "n", [5]])),
                        "layers": layers}
        if draw(st.integers(0, 4)) == 0:
            blocks[name]["output"] = draw(sometimes_bad([layers[-1].get("name", "x")], ["nope", 5]))
    uses = draw(st.lists(st.fixed_dictionaries({"type": st.sampled_from(names),
                                                "n": sometimes_bad([1, 2, 4], [0, "$n", 10**12])}),
                         min_size=1, max_size=3))
    for use in uses:
        if draw(st.integers(0, 3)) == 0:
            use["repeat"] = draw(sometimes_bad([2, 3], [10**9, "$n"]))
    return {"input": draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)), "blocks": blocks, "layers": uses}


@PROFILE
@given(spec=block_models(), style=st.integers(0, 2))
def test_generated_blocks_are_valid_or_refused_clearly(cli, spec, style):
    summarize(cli, dump(spec, style), smallest=0)


# -- hostile text: names and types from anywhere in Unicode stay data in every format ----------------------------

NAME = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/:"), min_size=1, max_size=12)
INERT_COMMANDS = [["summary", "--format", output_format] for output_format in ("table", "json", "markdown", "csv")]
INERT_COMMANDS += [["graph", "--format", "mermaid"], ["graph", "--format", "dot"],
                   ["check", "--max-layer-params", "1", "--format", "table"]]


@PROFILE
@given(model=st.text(max_size=12), input_name=NAME, layer=NAME, kind=st.just("Dense") | NAME,
       command=st.sampled_from(INERT_COMMANDS))
def test_hostile_names_stay_inert(cli, model, input_name, layer, kind, command):
    spec = {"name": model, "inputs": {"i" + input_name: [4]},
            "layers": [{"type": kind, "units": 2, "name": "l" + layer}]}
    result = run(cli, command, dump(spec, 1))  # YAML spells out what JSON would write as surrogate pairs
    if result.exit_code == 0 and command[-1] == "json":  # run() found no control character in any output
        assert json.loads(result.stdout)["inputs"][0]["name"] == "i" + input_name  # the data itself is kept


# -- .keras archives: compression methods, flags, declared sizes, members, and what config.json holds -------------

KERAS_MODEL = json.loads((KERAS_MODELS / "nested.json").read_text())
METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
CONFIGS = [
    json.dumps(KERAS_MODEL), json.dumps(KERAS_MODEL), "", "{", "[]", "null", '"x"', "{}", '{"class_name": 5}',
    '{"class_name": "Sequential", "config": {"layers": [{"class_name": "InputLayer", "config": {}}]}}',
    "[" * 100 + "]" * 100, "[" * 101 + "]" * 101, "[" * 50_000, '{"a": ' * 120 + "1" + "}" * 120,
    '"' + "a" * 100_000 + '"', json.dumps(KERAS_MODEL).replace('"out"', json.dumps("o" * 20_000)),
    json.dumps(KERAS_MODEL).replace('"out"', '"o\\ud800"'), json.dumps(KERAS_MODEL).replace("Dense", "\x1b[31m"),
]
METADATA = [None, '{"keras_version": "3.3.3"}', '{"keras_version": "2.15.0"}', '{"keras_version": 5}', "null", "{",
            "[" * 60_000, '{"keras_version": "' + "3" * 70_000 + '"}', '{"keras_version": "3\\u001b[31m\\n::error::x"}']
MEMBER_NAMES = ["config.json", "metadata.json", "model.weights.h5", "assets/a.txt", "", "../x", "/abs", "CONFIG.JSON",
                "config.json/", "dir/config.json", "\x1b[31m\n::error::x", "\u202e" + "n" * 300]


def zip_headers(data: bytes) -> list:
    """(local header, directory entry) offsets of each member, in the directory's order."""
    end = data.rfind(b"PK\x05\x06")
    count, _, entry = struct.unpack_from("<HLL", data, end + 10)
    offsets = []
    for _ in range(count):
        offsets.append((struct.unpack_from("<L", data, entry + 42)[0], entry))
        entry += 46 + sum(struct.unpack_from("<HHH", data, entry + 28))
    return offsets


# The headers' fields a hostile archive can lie in: (offset in the local header, in the directory entry, format).
FIELDS = {"flags": (6, 8, "<H"), "method": (8, 10, "<H"), "crc": (14, 16, "<L"), "compressed": (18, 20, "<L"),
          "size": (22, 24, "<L")}
LIES = {"flags": st.sampled_from([0x1, 0x8, 0x40, 0x800, 0xFFFF]), "method": st.sampled_from(METHODS + [1, 6, 9, 99]),
        "crc": st.integers(0, 2**32 - 1), "compressed": st.sampled_from([0, 1, 2**32 - 1]) | st.integers(0, 4096),
        "size": st.sampled_from([0, 1, 16 * 1024 * 1024 + 1, 2**32 - 1]) | st.integers(0, 4096)}


@st.composite
def keras_archives(draw) -> bytes:
    """A .keras archive: config.json and metadata.json as saved, broken or missing, other members, duplicate
    names, every compression method, and headers lying about flags, methods, checksums and sizes."""
    members = []
    if draw(st.integers(0, 5)):
        members.append(("config.json", draw(st.sampled_from(CONFIGS) | st.text(max_size=40)).encode("utf-8",
                                                                                                     "surrogatepass")))
    metadata = draw(st.sampled_from(METADATA))
    if metadata is not None:
        members.append(("metadata.json", metadata.encode()))
    members += draw(st.lists(st.tuples(st.sampled_from(MEMBER_NAMES), st.binary(max_size=30)), max_size=6))
    members = draw(st.permutations(members))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": what we want
        with zipfile.ZipFile(buffer, "w") as written:
            for name, data in members:
                info = zipfile.ZipInfo(name)
                info.compress_type = draw(st.sampled_from(METHODS))
                written.writestr(info, data)
    data = bytearray(buffer.getvalue())
    if members:
        for local, central in draw(st.lists(st.sampled_from(zip_headers(bytes(data))), max_size=3)):
            field = draw(st.sampled_from(sorted(FIELDS)))
            value, (in_local, in_central, layout) = draw(LIES[field]), FIELDS[field]
            for offset in (local + in_local, central + in_central)[draw(st.sampled_from([slice(0, 2), slice(0, 1),
                                                                                           slice(1, 2)]))]:
                struct.pack_into(layout, data, offset, value | (struct.unpack_from(layout, data, offset)[0]
                                                                if field == "flags" else 0))
    if members and draw(st.integers(0, 4)) == 0:  # one member listed many times in the directory
        listed = zip_headers(bytes(data))
        _, central = draw(st.sampled_from(listed))
        end = data.rfind(b"PK\x05\x06")
        start = struct.unpack_from("<L", data, end + 16)[0]
        entry = data[central:central + 46 + sum(struct.unpack_from("<HHH", data, central + 28))]
        count = draw(st.sampled_from([2, 100, 10_001]))
        declared = min(len(listed) + count, 0xFFFF) if draw(st.booleans()) else len(listed)
        data = data[:end] + entry * count + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, declared, declared,
                                                        end - start + len(entry) * count, start, 0)
    for _ in range(draw(st.integers(0, 2))):
        position = draw(st.integers(0, len(data)))
        damage = draw(st.sampled_from(["truncate", "byte", "prefix"]))
        if damage == "truncate":
            data = data[:position]
        elif damage == "byte" and position < len(data):
            data[position] = draw(st.integers(0, 255))
        elif damage == "prefix":
            data = bytearray(b"#!junk\n" * draw(st.integers(1, 3))) + data
    return bytes(data)


KERAS_LOCATED = re.compile(r"model\.(keras|json)(:\d+:\d+)?: \S")


@PROFILE
@given(data=keras_archives(), command=st.sampled_from([["summary", "-f", "json"], ["convert"],
                                                       ["summary", "-f", "markdown"]]))
def test_hostile_archives_are_refused_clearly(forked_cli, tmp_path, data, command):
    """In a forked child under CPU and memory limits: whatever the archive claims, reading it is bounded."""
    (tmp_path / "model.keras").write_bytes(data)
    exit_code, stdout, stderr, exception = forked_cli([command[0], tmp_path / "model.keras", *command[1:]])
    assert exception is None, exception
    judge(command[0], exit_code, stdout, stderr.replace(str(tmp_path) + "/", ""), KERAS_LOCATED)
    if exit_code == 0 and command[-1] == "json":
        check_report(json.loads(stdout))


# -- Keras models: names, model names, class names and versions holding markup, escapes, newlines, formulas --------

PAYLOADS = ["[bold]b[link=https]l", "\x1b]0;pwned\x07\x1b[31mred", "x\n::error file=a.py::forged\r\n", "=HYPERLINK(1)",
            "+1", "@SUM(1)", "\tx", "-2", "<img src=x onerror=alert(1)>&amp;", "[t](h) `c` *e* a|b \\", "\u202edcba\u2066",
            "\x9b31m\x85\x7f", "\u2028\u2029", '"quoted"', "'", "a/b", "a:1", " "]
PAYLOAD = st.sampled_from(PAYLOADS) | st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


def layer_names(model: dict) -> list:
    """The names of a Keras model and of every layer in it, nested models included."""
    found = [model["config"]["name"]]
    for layer in model["config"]["layers"]:
        found += layer_names(layer) if layer["class_name"] in ("Sequential", "Functional") else [layer["config"]
                                                                                                 ["name"]]
    return found


def renamed(data, names: dict):
    """Keras JSON with every string that is a name replaced (names sit in configs, histories and input lists)."""
    if isinstance(data, dict):
        return {key: renamed(value, names) for key, value in data.items()}
    if isinstance(data, list):
        return [renamed(item, names) for item in data]
    return names.get(data, data) if isinstance(data, str) else data


@st.composite
def hostile_keras_models(draw) -> dict:
    model = KERAS_MODEL
    names = {name: draw(st.just(name) | PAYLOAD) for name in layer_names(model)}
    model = renamed(model, names)
    if draw(st.integers(0, 3)) == 0:  # a class name: refused, and quoted in the message
        layer = draw(st.sampled_from(model["config"]["layers"][1:]))
        layer["class_name"] = draw(PAYLOAD)
    if draw(st.booleans()):
        model["keras_version"] = draw(st.just("3.3.3") | PAYLOAD)
    return model


KERAS_COMMANDS = [["summary", "-f", output_format] for output_format in ("table", "json", "markdown", "csv")]
KERAS_COMMANDS += [["graph", "-f", "mermaid"], ["graph", "-f", "dot"], ["convert"], ["check", "--max-params", "1"]]


@PROFILE
@given(model=hostile_keras_models(), archive=st.booleans(), command=st.sampled_from(KERAS_COMMANDS))
def test_hostile_keras_names_stay_inert(cli, monkeypatch, tmp_path, model, archive, command):
    """The output-safety property of hostile names in specs, for Keras files: to_json() text and .keras archives
    (the version from metadata.json)."""
    monkeypatch.chdir(tmp_path)
    text = json.dumps(model)
    if archive:
        with zipfile.ZipFile("model.keras", "w") as written:
            written.writestr("config.json", text)
            written.writestr("metadata.json", json.dumps({"keras_version": model.get("keras_version", "3.3.3")}))
    else:
        Path("model.json").write_text(text)
    path = "model.keras" if archive else "model.json"
    result = cli([command[0], path, *command[1:]])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    judge(command[0], result.exit_code, result.stdout, result.stderr, KERAS_LOCATED)
    if result.exit_code == 0 and command[-1] == "json":
        assert json.loads(result.stdout)["name"] == model["config"]["name"]  # the data itself is kept


# -- YAML aliases: anchors and aliases in every position, in flow and block style, with expansion factors ---------

ALIAS_LEAVES = ["lol", "[lol]", "{a: 1}", "{type: Dense, units: 2}", "1", "''", "[]", "{}", "!!str x"]
ALIAS_STYLES = ["flow", "json", "keys", "complex-keys", "merge", "block-list", "block-map"]


def alias_level(style: str, previous: str, fanout: int, indent: str) -> str:
    """One anchored collection of `fanout` aliases of `previous`, in a style (block styles: one item per line)."""
    if style == "flow":
        return "[" + ", ".join([previous] * fanout) + "]"
    if style == "json":  # after colons without spaces
        return "{" + ",".join(f'"k{key}":{previous}' for key in range(fanout)) + "}"
    if style == "keys":
        return "{" + ", ".join(f"{previous} : {key}" for key in range(fanout)) + "}"
    if style == "complex-keys":
        return "{" + ", ".join(f"? {previous} : {key}" for key in range(fanout)) + "}"
    if style == "merge":
        return "{<<: [" + ", ".join([previous] * fanout) + "], k: " + previous + "}"
    if style == "block-list":
        return "".join(f"\n{indent}  - {previous}" for _ in range(fanout))
    return "".join(f"\n{indent}  k{key}: {previous}" for key in range(fanout))


@st.composite
def aliased_specs(draw) -> str:
    """Anchors a0..aN, each a collection of `fanout` aliases of the one before (fanout**N nodes once expanded),
    defined under some key of the spec and used in a layer: as an argument, a name, a key, a merge, the layer
    itself, or the whole list of layers."""
    levels, fanout = draw(st.integers(1, 10)), draw(st.integers(1, 12))
    styles = st.sampled_from(ALIAS_STYLES)
    holder = draw(st.sampled_from(["name", "symbols", "budget", "extra", "input", "blocks", "outputs"]))
    lines = ["input: [4]"] if holder != "input" else []
    lines += [f"{holder}:", f"  - &a0 {draw(st.sampled_from(ALIAS_LEAVES))}"]
    lines += [f"  - &a{level} {alias_level(draw(styles), f'*a{level - 1}', fanout, '  ')}" for level in range(1, levels)]
    used = f"*a{draw(st.integers(0, levels - 1))}"
    use = draw(st.sampled_from(["argument", "name", "key", "merge", "layer", "layers", "inputs", "none"]))
    if use == "layers":
        lines.append(f"layers: {used}")
    else:
        layer = {"argument": f"{{type: Dense, units: 2, kernel_size: {used}}}", "name": f"{{type: Dense, units: 2, "
                 f"name: {used}}}", "key": f"{{type: Dense, units: 2, {used} : 1}}", "merge": f"{{<<: {used}, type: "
                 f"Dense, units: 2}}", "layer": used, "inputs": f"{{type: Dense, units: 2, inputs: {used}}}",
                 "none": "{type: Dense, units: 2}"}[use]
        lines += ["layers:", "  - {type: Dense, units: 2}", f"  - {layer}"]
    return "\n".join(lines) + "\n"


def bounded_run(forked_cli, args: list, text: str):
    """Run layercalc on spec text in a forked child under CPU and memory limits; check what every run must hold."""
    exit_code, stdout, stderr, exception = forked_cli([args[0], "-", *args[1:], *MAX_LAYERS], input=text)
    assert exception is None, exception
    judge(args[0], exit_code, stdout, stderr)
    return exit_code, stdout


@PROFILE
@given(text=aliased_specs(), output_format=st.sampled_from(["json", "table"]))
def test_aliases_anywhere_are_bounded(forked_cli, text, output_format):
    """A "billion laughs" is refused wherever its aliases sit, in bounded time and memory."""
    bounded_run(forked_cli, ["summary", "-f", output_format], text)


# -- growth: blocks, repeats and merges of symbolic sizes, block arguments computed from block arguments -----------

@st.composite
def growing_layer(draw, rank: int, inputs=None) -> dict:
    """A layer that changes a symbolic size (pooling, upsampling, padding, convolution, reshape) or a block argument
    `x` (units, filters)."""
    number = st.integers(1, 3) | st.sampled_from(["$x", "${x + 1}", "${(x + 1) // 2}"])
    kind = draw(st.sampled_from(["pool", "pool", "up", "pad", "crop", "conv", "dense", "reshape"]))
    if kind == "pool":
        layer = {"type": f"{draw(st.sampled_from(['Max', 'Average']))}Pooling{rank}D", "pool_size": draw(st.integers(
            1, 3)), "strides": draw(st.integers(1, 3)), "padding": draw(st.sampled_from(["same", "valid"]))}
    elif kind == "up":
        layer = {"type": f"UpSampling{rank}D", "size": draw(number)}
    elif kind == "pad":
        layer = {"type": f"ZeroPadding{rank}D", "padding": draw(number)}
    elif kind == "crop":
        layer = {"type": f"Cropping{rank}D", "cropping": draw(st.integers(0, 1))}
    elif kind == "conv":
        layer = {"type": f"Conv{rank}D", "filters": draw(st.sampled_from([2, "$x", "${x * 2}", "${x * x}"])),
                 "kernel_size": draw(st.integers(1, 3)), "strides": draw(st.integers(1, 2)),
                 "padding": draw(st.sampled_from(["same", "valid"]))}
    elif kind == "dense":
        layer = {"type": "Dense", "units": draw(st.sampled_from([2, "$x", "${x * 3 + 1}"]))}
    else:
        layer = {"type": "Reshape", "target_shape": [-1, 3] if rank == 1 else [-1, 1, 3]}
    return {**layer, **({"inputs": inputs} if inputs else {})}


@st.composite
def growing_models(draw) -> dict:
    """Blocks b0..bN: b0 a chain of layers and branches merged (concatenated or added), each later block using the
    one before with a repeat and its argument computed from its own (`${x * 2}`), the spec using the last."""
    rank = draw(st.integers(1, 2))
    symbols = st.sampled_from(["H", "W", "H", 16, 7])
    blocks = {}
    for index in range(draw(st.integers(1, 4))):
        layers = []
        for step in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):  # two branches from the block's input, merged
                previous = layers[-1]["name"] if layers else "input"
                layers += [{**draw(growing_layer(rank, previous)), "name": f"p{step}"},
                           {**draw(growing_layer(rank, previous)), "name": f"q{step}"}]
                merge = draw(st.sampled_from([{"type": "Concatenate", "axis": 1}, {"type": "Concatenate"},
                                              {"type": "Add"}, {"type": "Concatenate", "axis": 1}]))
                layers.append({**merge, "inputs": [f"p{step}", f"q{step}"], "name": f"m{step}"})
            else:
                layers.append({**draw(growing_layer(rank)), "name": f"l{step}"})
        if index:
            layers.append({"type": f"b{index - 1}", "x": draw(st.sampled_from(["$x", "${x * 2}", "${x * x}",
                                                                                "${x + 1}"])),
                           "repeat": draw(st.integers(1, 6) | st.just("$x"))})
        blocks[f"b{index}"] = {"args": ["x"], "layers": layers}
    top = {"type": f"b{len(blocks) - 1}", "x": draw(st.sampled_from([1, 2, 3, 64, 2**20])),
           "repeat": draw(st.integers(1, 12))}
    return {"input": [*(draw(symbols) for _ in range(rank)), 3], "blocks": blocks, "layers": [top]}


@PROFILE
@given(spec=growing_models(), bindings=st.sampled_from([[], ["--set", "H=64"], ["--set", "H=4096", "--set", "W=7"]]))
def test_expression_growth_is_bounded(forked_cli, spec, bindings):
    """Symbolic sizes and block arguments that grow through blocks, repeats and merges are computed or refused in
    bounded time and memory."""
    exit_code, stdout = bounded_run(forked_cli, ["summary", "-f", "json", *bindings], dump(spec, 2))
    if exit_code == 0:
        check_report(json.loads(stdout), smallest=0)


# -- numeric flags: every one, with edge values --------------------------------------------------------------------

EDGE_NUMBERS = [
    "NaN", "nan", "-nan", "sNaN", "inf", "-inf", "Infinity", "-1", "0", "1", "-0", "+5", " 7 ", "1e999999",
    "1e-999999", "9" * 5000, "0" * 5000 + "1", "9" * 100, "9" * 101, "1e99", "1e100", "2M", "2m", "1.5K", "0.5",
    "1e3", "1E+3", "0x10", "0o10", "0b11", "1_000", "1,000", "_1", "1__0", "1.", ".5", "2MM", "K", "M2", "2 M",
    "١٢", "１２", "²", "Ⅻ", "", " ", "\x00", "\x1b[31m", "\u202e1", "4611686018427387904", "4611686018427387905",
    "18446744073709551616", "1e18", "0.0001T",
]
NUMBER = (st.sampled_from(EDGE_NUMBERS) | st.integers(-(10**30), 10**120).map(str) | st.floats().map(repr)
          | st.text("0123456789.eE+-_,xKMGTkmgt١٢ ", max_size=12))
BUDGET_FLAGS = ["--max-params", "--max-trainable-params", "--max-non-trainable-params", "--max-macs",
                "--max-layer-params"]
FLAGGED = "symbols: {H: 8}\ninput: [H, 4]\nblocks: {b: {layers: [{type: Dense, units: 3}]}}\nlayers: [{type: b}]\n"


@PROFILE
@given(budgets=st.lists(st.tuples(st.sampled_from(BUDGET_FLAGS), NUMBER), max_size=3),
       common=st.lists(st.tuples(st.sampled_from(["--set", "--max-layers"]), NUMBER), max_size=2),
       depth=st.lists(NUMBER, max_size=1), command=st.sampled_from(["check", "summary", "graph", "diff"]))
def test_numeric_flags_take_any_value(cli, budgets, common, depth, command):
    """Every numeric flag with NaN, infinities, negative, huge and Unicode digits: a figure or one line."""
    flags = [[flag, "H=" + value if flag == "--set" else value] for flag, value in common]
    if command == "check":
        flags += [list(budget) for budget in budgets]
    elif command != "diff":
        flags += [["--depth", value] for value in depth]
    args = [command, "-", *(["-"] if command == "diff" else []), *(part for flag in flags for part in flag)]
    result = cli(args, input=FLAGGED)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    judge(command, result.exit_code, result.stdout, result.stderr)
