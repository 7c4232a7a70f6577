"""docs/spec.md and docs/report.md are the reference of the spec format and of the JSON reports: every key
the code accepts and every field it writes is documented there, every YAML example in the docs and the
README runs, and every file a README command reads is in the repository.

The keys come from the code (the tuples the spec builder checks keys against, the rules' common
arguments); the fields from real JSON reports, made by the command line with every option that adds one.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import shlex

import pytest

import calc
from calc.pipeline import summarize
from calc.rules import all_type_names
from calc.readers.yaml_spec import parse_yaml
from calc.spec.build import TOP_LEVEL_KEYS
from calc.spec.counts import BUDGET_KEYS
from calc.spec.expansion import BLOCK_KEYS, CALL_KEYS, MODEL_ARGUMENTS, RESERVED_LAYER_KEYS
from tests.conftest import ROOT

DOCS = ROOT / "docs"
SPEC_DOC = (DOCS / "spec.md").read_text()
REPORT_DOC = (DOCS / "report.md").read_text()
README = (ROOT / "README.md").read_text()
SEED, MNIST = ROOT / "specs" / "seed_conv.yaml", ROOT / "specs" / "mnist_convnet.yaml"

# A merge of paths whose receptive fields advance by different jumps (a stride-2 convolution beside a crop).
JUMPS_DIFFER = """\
input: [16, 16, 3]
layers:
  - {type: Conv2D, name: strided, filters: 4, kernel_size: 3, strides: 2, padding: same}
  - {type: Conv2D, name: pointwise, filters: 4, kernel_size: 1, inputs: input}
  - {type: Cropping2D, name: crop, cropping: 4}
  - {type: Add, inputs: [strided, crop]}
"""

# Each JSON document layercalc writes, and runs that between them produce every field it can hold.
SUMMARY_RUNS = [
    ["summary", MNIST, "-f", "json"],
    ["summary", MNIST, "-f", "json", "--training-flops"],  # training_examples
    ["summary", SEED, "-f", "json", "--flops", "--count-bias", "--count-elementwise", "--memory", "--per-batch",
     "--dtype", "float16", "--optimizer", "sgd"],
    ["summary", ROOT / "specs" / "symbolic" / "convnet_any_size.yaml", "-f", "json"],  # valid_when
    ["summary", ROOT / "specs" / "resnet50.yaml", "-f", "json"],  # scope
    ["summary", ROOT / "specs" / "resnet50.yaml", "-f", "json", "--depth", "1"],
    ["summary", ROOT / "specs" / "efficientnet_b0.yaml", "-f", "json"],  # receptive_field.includes_global
    ["summary", ROOT / "specs" / "torch" / "resnet18.yaml", "-f", "json"],  # buffers
    ["summary", ROOT / "tests" / "data" / "keras_models" / "siamese.keras", "-f", "json"],  # shared_with, call
    ["summary", ROOT / "tests" / "data" / "keras_models" / "lstm_state.json", "-f", "json"],  # several outputs
    ["summary", ROOT / "specs" / "gpt2.yaml", "-f", "json", "--set", "T=32", "--set", "B=2", "--training-flops",
     "--mixed-precision", "bfloat16", "--attention", "fused"],  # attention, precision, training_tokens
    ["summary", "JUMPS_DIFFER", "-f", "json"],
    ["summary", MNIST, "-f", "json", "--by-type"],  # by_type
    ["summary", ROOT / "tests" / "data" / "hf" / "configs" / "mixtral_small_model.json", "-f", "json"],  # active_params
    ["summary", ROOT / "tests" / "data" / "keras_models" / "float16_layer.json", "-f", "json", "--memory"],  # dtype
    ["summary", MNIST, "-f", "json", "--mixed-precision", "float16"],  # conventions.inputs
]
CHECK_RUNS = [
    ["check", ROOT / "specs" / "residual_small.yaml", MNIST, "-f", "json", "--max-layer-params", "60K",
     "--max-macs", "1G"],
]
# A layer of several outputs whose sizes are derived: its steps say which output (ConvLSTM2D, return_state).
SEVERAL_OUTPUTS = "input: [4, 8, 8, 3]\nlayers: [{type: ConvLSTM2D, filters: 2, kernel_size: 3, return_state: true}]\n"
EXPLAIN_RUNS = [
    ["explain", SEED, "--all", "-f", "json"],
    ["explain", ROOT / "tests" / "data" / "keras_models" / "siamese.keras", "--all", "-f", "json"],  # shared_with
    ["explain", ROOT / "specs" / "resnet50.yaml", "conv2_block1/0_bn", "-f", "json"],  # a non-trainable weight
    ["explain", "SEVERAL_OUTPUTS", "--all", "-f", "json"],  # steps[].output
]
DIFF_RUNS = [
    ["diff", ROOT / "specs" / "residual_small.yaml", ROOT / "docs" / "examples" / "residual_wider.yaml", "-f",
     "json", "--all"],
]


def field_paths(value, path: str = "") -> set:
    """Every field of a JSON document as a path: `layers[].receptive_field.size` (lists of objects as `[]`)."""
    paths = set()
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            paths |= {child} | field_paths(item, child)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                paths |= field_paths(item, path + "[]")
    return paths


def produced(cli, tmp_path, runs) -> set:
    specs = {"JUMPS_DIFFER": tmp_path / "jumps_differ.yaml", "SEVERAL_OUTPUTS": tmp_path / "several_outputs.yaml"}
    specs["JUMPS_DIFFER"].write_text(JUMPS_DIFFER)
    specs["SEVERAL_OUTPUTS"].write_text(SEVERAL_OUTPUTS)
    paths = set()
    for run in runs:
        result = cli([specs.get(arg, arg) if isinstance(arg, str) else arg for arg in run])
        assert result.exit_code in (0, 1), (run, result.stderr)
        paths |= field_paths(json.loads(result.stdout))
    # explain's `terms` is a tree of any depth: documented as one field
    return {path for path in paths if ".terms." not in path}


def section(text: str, heading: str) -> str:
    """The text under a `## heading` (up to the next one)."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def documented(text: str) -> set:
    """The names in the first column of the tables of `text`: `| `layers[].flops` | ...`."""
    return set(re.findall(r"^\| `([^`]+)` \|", text, re.M))


@pytest.mark.parametrize("heading, runs", [("summary", SUMMARY_RUNS), ("check", CHECK_RUNS), ("diff", DIFF_RUNS),
                                           ("explain", EXPLAIN_RUNS)])
def test_every_json_field_is_documented(cli, tmp_path, heading, runs):
    fields = produced(cli, tmp_path, runs)
    table = documented(section(REPORT_DOC, heading))
    assert sorted(fields - table) == [], f"document these fields in docs/report.md, section '{heading}'"
    assert sorted(table - fields) == [], f"docs/report.md, section '{heading}', documents fields no run produced"


def test_every_key_the_spec_accepts_is_documented():
    """The tables of docs/spec.md list exactly the keys the spec builder accepts."""
    from calc import rules

    expected = {
        "Top-level keys": set(TOP_LEVEL_KEYS),
        "Layer keys": set(RESERVED_LAYER_KEYS) | set(rules.COMMON_IGNORED) - set(MODEL_ARGUMENTS),
        "Shared calls": set(CALL_KEYS),
        "Blocks": set(BLOCK_KEYS),
        "Budget": set(BUDGET_KEYS),
        "Inputs": {"shape", "dtype"},
    }
    for heading, keys in expected.items():
        assert documented(section(SPEC_DOC, heading)) == keys, heading


def test_model_arguments_on_a_layer_are_documented_as_refused():
    refused = section(SPEC_DOC, "Layer keys")
    for key in MODEL_ARGUMENTS:
        assert f"`{key}`" in refused, key


def test_every_dtype_is_documented():
    from calc.spec.build import DTYPES

    for dtype in DTYPES:
        assert f"`{dtype}`" in section(SPEC_DOC, "Top-level keys"), dtype


# -- YAML examples ---------------------------------------------------------------------------------------

def yaml_examples() -> list:
    """Every ```yaml block of README.md and docs/*.md; a fragment says so on its first line."""
    examples = []
    for path in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        text = path.read_text()
        for match in re.finditer(r"```yaml\n(.*?)```", text, re.S):
            line = text.count("\n", 0, match.start()) + 1
            examples.append(pytest.param(match.group(1), id=f"{path.name}:{line}"))
    return examples


FRAGMENT = "# fragment"
# A block that is no spec at all: CI configuration shown in the README.
NOT_SPECS = ("# .github/workflows/", "# .pre-commit-config.yaml")


@pytest.mark.parametrize("text", yaml_examples())
def test_yaml_example_runs(text):
    first = text.splitlines()[0]
    if first.startswith(NOT_SPECS + (FRAGMENT,)):
        assert isinstance(parse_yaml(text, "example.yaml"), dict)  # still valid YAML
        return
    bindings = dict(re.findall(r"--set (\w+)=(\d+)", first))
    report = summarize(calc.parse_spec(text), bindings={name: int(value) for name, value in bindings.items()})
    assert report.layers


def test_fragments_are_few():
    fragments = [param.values[0] for param in yaml_examples() if param.values[0].startswith(FRAGMENT)]
    assert len(fragments) <= 6, "write whole specs where you can: they are tested"


# -- files the README's commands read ---------------------------------------------------------------------

# Names that stand for the reader's own files in the README, never for a file of this repository.
PLACEHOLDERS = {"model.yaml", "model.keras", "m.yaml", "m.keras", "a.yaml", "b.yaml", "big.yaml"}
OUTPUT_FLAGS = {"-o", "--output", ">", ">>"}
PATH = re.compile(r"[\w./*-]+\.(?:yaml|yml|keras|json|py)")


def readme_commands():
    """The README's command lines: those in ```sh blocks, `$ ` lines in other blocks, inline `layercalc ...`."""
    commands = []
    for match in re.finditer(r"```(\w*)\n(.*?)```", README, re.S):
        lines = match.group(2).replace("\\\n", " ").splitlines()
        if match.group(1) == "sh":
            commands += [line.split("#")[0] for line in lines]
        else:
            commands += [line[2:] for line in lines if line.startswith("$ ")]
    commands += re.findall(r"`((?:layercalc|python|\S*/python) [^`]+)`", README)
    return [command for command in commands if command.strip()]


def read_paths(command: str):
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    previous = None
    for word in words:
        if previous not in OUTPUT_FLAGS and PATH.fullmatch(word):
            yield word
        previous = word


def test_every_file_a_readme_command_reads_exists():
    missing = []
    for command in readme_commands():
        for path in read_paths(command):
            if "*" in path:
                found = list(ROOT.glob(path))
            else:
                found = (ROOT / path).exists() or ("/" not in path and path in PLACEHOLDERS)
            if not found:
                missing.append((path, command))
    assert missing == []


def test_readme_links_to_the_reference():
    assert "(docs/spec.md)" in README and "(docs/report.md)" in README


def test_packaging_gives_setuptools_nothing_to_warn_about():
    """`make run` on a fresh clone prints no setuptools warning (checked by hand: `rm -rf .venv && make run`):
    the license is an SPDX string, which needs setuptools 77 (a TOML table is deprecated), and the package
    directory is given, so the editable install is a path entry rather than an import hook that warns."""
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(config["project"]["license"], str)
    assert config["build-system"]["requires"] == ["setuptools>=77"]
    assert config["tool"]["setuptools"]["package-dir"] == {"": "."}


def test_architecture_names_code_that_exists():
    """Each `module.name` docs/architecture.md points a change at (`cli.reported`, `registry.LEFT_OUT`) is defined
    in that module of calc: a name moved (Wrapped, from rules/rnn.py to rules/wrapped.py) moves in the doc too.
    `ops.add` and the like are layer types, `calc.check` the package's API."""
    modules = {"calc": [calc]}
    for info in pkgutil.walk_packages(calc.__path__, "calc."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        modules.setdefault(info.name.rsplit(".", 1)[-1], []).append(importlib.import_module(info.name))
    text = (DOCS / "architecture.md").read_text()
    named = {(module, name) for module, name in re.findall(r"`(\w+)\.(\w+)[`(]", text)
             if module in modules and name not in ("py", "md", "json")  # file names
             and f"{module}.{name}" not in all_type_names()}
    assert len(named) > 10
    missing = [f"{module}.{name}" for module, name in sorted(named)
               if not any(_defines(found, name) for found in modules[module])]
    assert missing == []


def _defines(module, name: str) -> bool:
    """Whether the module defines `name` (a def, a class, an assignment), not only imports it; calc's API is
    the package's names."""
    if module is calc:
        return hasattr(calc, name)
    return re.search(rf"^(?:async def |def |class )?{name}\b\s*[(:=]", inspect.getsource(module), re.M) is not None
