"""The command line: every format, every error class with its exact message and exit code."""

import json
import re

import pytest

from tests.conftest import ROOT

MNIST = ROOT / "specs" / "mnist_convnet.yaml"
# SPEC.md section 3's fields of a layer; the report adds more after them (FLOPs, memory, receptive field).
SPEC_FIELDS = ("name", "type", "inputs", "output_shape", "params", "trainable_params", "non_trainable_params", "macs")


def test_summary_json_is_the_report_and_nothing_else(cli):
    result = cli(["summary", MNIST, "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    # keras.io: 34,826 params; MACs 26·26·32·9 + 11·11·64·9·32 + 1600·10 = 2,440,960 (conv and dense rules).
    assert {key: report["totals"][key] for key in SPEC_FIELDS[-4:]} == {
        "params": 34826, "trainable_params": 34826, "non_trainable_params": 0, "macs": 2440960}
    assert [{key: item[key] for key in ("name", "shape")} for item in report["inputs"]] == [
        {"name": "input", "shape": [None, 28, 28, 1]}]
    assert [layer["name"] for layer in report["layers"]][:3] == ["conv2d", "max_pooling2d", "conv2d_1"]
    assert report["outputs"] == ["dense"]
    assert result.stderr == ""


def test_summary_json_layer_fields_match_spec_section_3(cli):
    # SPEC.md section 3 example, verbatim, in its order, first.
    result = cli(["summary", ROOT / "specs" / "seed_conv.yaml", "-f", "json"])
    layer = json.loads(result.stdout)["layers"][0]
    assert list(layer)[:len(SPEC_FIELDS)] == list(SPEC_FIELDS)
    assert {key: layer[key] for key in SPEC_FIELDS} == {
        "name": "conv2d", "type": "Conv2D", "inputs": ["input"], "output_shape": [64, 296, 296, 16],
        "params": 1216, "trainable_params": 1216, "non_trainable_params": 0, "macs": 105139200}


def test_summary_reads_standard_input(cli):
    result = cli(["summary", "-", "--format", "json"], input=MNIST.read_text())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["totals"]["params"] == 34826


def test_summary_table(cli):
    result = cli(["summary", MNIST])
    assert result.exit_code == 0
    assert 'Model: "mnist-convnet"' in result.stdout
    assert "dense (Dense)" in result.stdout and "(None, 10)" in result.stdout
    assert "Total params: 34,826 (136.04 KB)" in result.stdout  # Keras 3.15.1 prints the same (tests/test_views.py)
    assert "Connected to" not in result.stdout  # a chain needs no such column


def test_summary_table_shows_connections_for_a_dag(cli):
    result = cli(["summary", ROOT / "specs" / "residual_small.yaml"])
    assert "Connected to" in result.stdout


def test_table_has_no_colour_when_piped_or_no_color(cli):
    coloured = cli(["summary", MNIST], env={"FORCE_COLOR": "1"})
    assert "\x1b[" in coloured.stdout  # the check below can fail
    assert "\x1b[" not in cli(["summary", MNIST], env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in cli(["summary", MNIST]).stdout


@pytest.mark.parametrize("args", [
    ["check", ROOT / "specs" / "residual_small.yaml"],
    ["check", MNIST, "--max-params", "10"],  # the red EXCEEDED verdict
    ["diff", MNIST, ROOT / "specs" / "residual_small.yaml"],
    ["layers"],
    ["layers", "Conv2D"],
], ids=["check", "check-exceeded", "diff", "layers", "layers-type"])
def test_other_tables_have_no_colour_when_piped_or_no_color(cli, args):
    assert "\x1b[" in cli(args, env={"FORCE_COLOR": "1"}).stdout  # the checks below can fail
    assert "\x1b[" not in cli(args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in cli(args).stdout


@pytest.mark.parametrize("shell, variables, expected", [
    ("bash", {"COMP_WORDS": "layercalc gr", "COMP_CWORD": "1"}, ["graph"]),
    ("bash", {"COMP_WORDS": "layercalc summary x.yaml --format ", "COMP_CWORD": "4"},
     ["table", "json", "markdown", "csv"]),
    ("zsh", {"_TYPER_COMPLETE_ARGS": "layercalc graph x.yaml -f "}, ['"mermaid"', '"dot"']),
], ids=["bash-command", "bash-choices", "zsh-choices"])
def test_shell_completion(shell, variables, expected):
    """What the scripts of --install-completion / --show-completion ask layercalc for (typer's protocol)."""
    from typer.testing import CliRunner

    from calc.cli import app

    result = CliRunner().invoke(app, [], prog_name="layercalc", env={"_LAYERCALC_COMPLETE": f"complete_{shell}",
                                                                       **variables})
    assert result.exit_code == 0
    assert re.findall(r'"?\w+"?', result.stdout.replace("_arguments", "")) == expected


def test_piped_table_fits_100_columns(cli):
    lines = cli(["summary", ROOT / "specs" / "residual_small.yaml"]).stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 100


def test_layers_lists_every_type(cli):
    from calc import rules

    # 160 columns: at 80, a name longer than its column (ContrastLimitedAdaptiveHistogramEqualization) folds.
    result = cli(["layers"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    for name in rules.load_all():
        assert name in result.stdout


def test_layers_ends_with_the_classes_left_out_and_why(cli):
    """`layercalc layers` ends with the keras.layers classes left out on purpose; a spec using one says why."""
    from calc import rules

    listing = cli(["layers"], env={"COLUMNS": "160"}).stdout
    left_out = listing.split("Left out on purpose", 1)[1]
    assert [line.split()[0] for line in left_out.splitlines()[4:] if line.strip()] == [
        name for name, _ in rules.LEFT_OUT]
    assert "Dense" not in left_out
    result = cli(["layers", "Lambda"])
    assert result.exit_code == 2
    assert "left out on purpose: Lambda runs an arbitrary Python function" in result.stderr


def test_layers_describes_one_type(cli):
    result = cli(["layers", "conv2d"])
    assert result.exit_code == 0
    assert "Conv2D (conv)" in result.stdout
    assert "floor((I - D·(F-1) - 1) / S) + 1" in result.stdout


def test_layers_unknown_type(cli):
    result = cli(["layers", "Conv2DD"])
    assert result.exit_code == 2
    assert result.stderr == "layercalc: unknown layer type 'Conv2DD' (did you mean 'Conv2D'?)\n"


def test_version(cli):
    result = cli(["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("layercalc ")


# Each error class: (spec text, the exact message on stderr). Exit code 2 for all.
def _called_twice(call: str) -> str:
    """A spec whose Dense layer 'enc' is called again by the entry `{call}` (named enc@1)."""
    return ("inputs: {a: [8], b: [8]}\nlayers:\n  - {type: Dense, units: 4, name: enc, inputs: a}\n"
            f"  - {{{call}}}\n  - {{type: Add, inputs: [enc, enc@1]}}\n")


ERRORS = [
    pytest.param("", "model.yaml:1:1: spec is empty: expected a mapping with 'input' and 'layers'\n", id="empty"),
    pytest.param("[1, 2]\n",
                 "model.yaml:1:1: a spec must be a mapping with 'input' and 'layers', found a list\n",
                 id="not-a-mapping"),
    pytest.param("input: [4, 5\nlayers: []\n",
                 "model.yaml:2:7: invalid YAML: did not find expected ',' or ']'\n", id="invalid-yaml"),
    pytest.param("input: [4]\nlayers: !!python/object/apply:os.system [ls]\n",
                 "model.yaml:2:9: invalid YAML: YAML tag not allowed here: "
                 "'tag:yaml.org,2002:python/object/apply:os.system'\n", id="python-tag"),
    pytest.param("input: [4]\nlayer: []\n",
                 "model.yaml:2:1: unknown top-level key 'layer' (did you mean 'layers'?); expected one of: name, "
                 "framework, batch, dtype, mixed_precision, input, inputs, symbols, blocks, layers, outputs, budget\n",
                 id="unknown-top-level-key"),
    pytest.param("input: [4]\ninput: [5]\nlayers: []\n",
                 "model.yaml:2:1: duplicate key 'input' (first at line 1)\n", id="duplicate-key"),
    pytest.param("layers: [{type: Dense, units: 2}]\n",
                 "model.yaml:1:1: spec has no 'input': give the input shape without the batch axis, such as "
                 "[28, 28, 1]\n", id="no-input"),
    pytest.param("input: [0, 3]\nlayers: [{type: Dense, units: 2}]\n",
                 "model.yaml:1:9: input 'input' dimension 0 must be a positive integer, a symbol such as H, or "
                 "null, found 0\n",
                 id="zero-dimension"),
    pytest.param("input: [4]\nlayers:\n  - type: Dense\n    units: 2\n  - units: 3\n",
                 "model.yaml:5:5: layer has no 'type' (such as Dense or Conv2D)\n", id="no-type"),
    pytest.param("input: [28, 28, 1]\nlayers:\n  - type: Conv2d\n    filters: 8\n",
                 "model.yaml:3:11: layer 'conv2d': unknown layer type 'Conv2d' (did you mean 'Conv2D'?); "
                 "`layercalc layers` lists the supported types\n", id="unknown-type"),
    pytest.param("input: [16]\nlayers:\n  - type: GELU\n",
                 "model.yaml:3:11: layer 'gelu': unknown layer type 'GELU' (an activation function: write "
                 "{type: Activation, activation: gelu}); `layercalc layers` lists the supported types\n",
                 id="activation-as-type"),
    pytest.param("layers:\n  - {type: Dense, units: 4, input_shape: [10]}\n",
                 "model.yaml:2:29: spec has no 'input': move the first layer's 'input_shape' to the top level, as "
                 "'input: [10]' (the shape without the batch axis; 'batch:' gives the batch)\n",
                 id="input-shape-on-a-layer"),
    pytest.param("input: [10]\nlayers:\n  - {type: Dense, units: 4, input_shape: [10]}\n",
                 "model.yaml:3:29: Dense layer: 'input_shape' does not belong on a layer: the model's input shape is "
                 "the top-level 'input:' (without the batch axis); remove 'input_shape'\n",
                 id="input-shape-beside-input"),
    pytest.param("input: [10]\nlayers:\n  - {type: Dense, units: 4}\n  - {type: Dense, units: 2, "
                 "batch_input_shape: [8, 4]}\n",
                 "model.yaml:4:29: Dense layer: 'batch_input_shape' does not belong on a layer: the model's input "
                 "shape is the top-level 'input:' (without the batch axis) and its batch the top-level 'batch:'; "
                 "remove 'batch_input_shape'\n", id="batch-input-shape-on-a-layer"),
    pytest.param("input: [10]\nlayers:\n  - {type: Dense, units: 4, name: hidden, batch_size: 8}\n",
                 "model.yaml:3:43: layer 'hidden' (Dense): 'batch_size' does not belong on a layer: the batch is the "
                 "top-level 'batch:'; remove 'batch_size'\n", id="batch-size-on-a-layer"),
    pytest.param("input: [28, 28, 1]\nlayers:\n  - type: Conv2D\n    filter: 8\n    kernel_size: 3\n",
                 "model.yaml:4:13: layer 'conv2d' (Conv2D): unknown argument 'filter' (did you mean 'filters'?); "
                 "Conv2D takes: filters, kernel_size, strides, padding, data_format, dilation_rate, groups, "
                 "activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, "
                 "bias_regularizer, kernel_constraint, bias_constraint\n", id="unknown-argument"),
    pytest.param("input: [28, 28, 1]\nlayers:\n  - type: Conv2D\n    filters: 8x\n    kernel_size: 3\n",
                 "model.yaml:4:14: layer 'conv2d' (Conv2D): argument 'filters' must be a positive integer, "
                 "found '8x'\n", id="wrong-argument-type"),
    pytest.param("input: [28, 28, 1]\nlayers:\n  - {type: Conv2D, filters: 8, kernel_size: 3, padding: vaild}\n",
                 "model.yaml:3:57: layer 'conv2d' (Conv2D): argument 'padding' must be one of valid, same, found "
                 "'vaild' (did you mean 'valid'?)\n", id="bad-choice"),
    pytest.param("input: [28, 28, 1]\nlayers:\n  - type: Conv2D\n    kernel_size: 3\n",
                 "model.yaml:3:5: layer 'conv2d' (Conv2D): missing required argument 'filters' "
                 "(a positive integer)\n", id="missing-argument"),
    pytest.param("input: [3, 3, 1]\nlayers:\n  - type: Conv2D\n    filters: 2\n    kernel_size: 5\n",
                 "model.yaml:5:18: layer 'conv2d' (Conv2D): kernel 5 is larger than input 3 on axis 1\n",
                 id="kernel-larger-than-input"),
    pytest.param("input: [null]\nlayers:\n  - type: Dense\n    units: 2\n",
                 "model.yaml:3:5: layer 'dense' (Dense): Dense needs a known last axis, found None in "
                 "(None, None)\n", id="dense-unknown-axis"),
    pytest.param("input: [4, 5]\nlayers:\n  - {type: Dense, units: 3, name: a}\n"
                 "  - {type: Dense, units: 4, name: b, inputs: input}\n  - {type: Add, inputs: [a, b]}\n",
                 "model.yaml:5:5: layer 'add' (Add): inputs have incompatible shapes (4, 3) and (4, 4)\n",
                 id="add-mismatch"),
    pytest.param("input: [4, 5]\nlayers:\n  - {type: Dense, units: 3, name: a}\n"
                 "  - {type: Dense, units: 4, name: b, inputs: input}\n"
                 "  - {type: Concatenate, axis: 1, inputs: [a, b]}\n",
                 "model.yaml:5:5: layer 'concatenate' (Concatenate): inputs must match on every axis but 1; "
                 "found (None, 4, 3) and (None, 4, 4) (axis 2: 3 vs 4)\n", id="concatenate-mismatch"),
    pytest.param("input: [4]\nlayers:\n  - {type: Dense, units: 3, name: a}\n  - {type: Add}\n",
                 "model.yaml:4:5: layer 'add' (Add): takes 2 or more inputs (name them with inputs: [a, b]), "
                 "found 1: a\n", id="merge-one-input"),
    pytest.param("input: [4]\nlayers:\n  - {type: Dense, units: 3, name: a, inputs: inptu}\n",
                 "model.yaml:3:46: layer 'a' (Dense): unknown input 'inptu' (did you mean 'input'?); inputs must "
                 "name a layer or a model input (or a layer's n-th output as name:n)\n", id="unknown-reference"),
    pytest.param("input: [4]\nlayers:\n  - {type: Dense, units: 3, name: a}\n  - {type: Dense, units: 4, name: a}\n",
                 "model.yaml:4:5: layer 'a' (Dense): duplicate name 'a' (first used at line 3)\n",
                 id="duplicate-name"),
    pytest.param("input: [4]\nlayers:\n  - {type: Dense, units: 3, name: a, inputs: c}\n"
                 "  - {type: Dense, units: 4, name: b}\n  - {type: Dense, units: 4, name: c}\n",
                 "model.yaml:3:46: layer 'a' (Dense): the layers form a cycle: a -> b -> c -> a\n", id="cycle"),
    pytest.param("input: [4]\nlayers:\n  - {type: Dense, units: 3, name: a}\n  - {type: Dense, units: 4, name: b}\n"
                 "outputs: [c]\n",
                 "model.yaml:5:10: unknown output 'c'; outputs must name layers\n", id="unknown-output"),
    pytest.param("input: [4]\nlayers:\n  - {type: Dense, units: 3}\noutputs: [dense, input]\n",
                 "model.yaml:4:10: output 'input' is a model input, not a layer: outputs must name layers (to output "
                 "the input unchanged, add a layer {type: Identity, inputs: input} and name it)\n",
                 id="output-is-an-input"),
    pytest.param("input: [4]\nnull: 3\nlayers: [{type: Dense, units: 2}]\n",
                 "model.yaml:2:1: key 'null' is null in YAML, not a name: write the name meant, or quote it "
                 "(\"null\") to use the word\n", id="null-key"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 2, ~: 3}]\n",
                 "model.yaml:2:34: key '~' is null in YAML, not a name: write the name meant, or quote it (\"~\") "
                 "to use the word\n", id="tilde-key"),
    pytest.param("input: [4]\n? \n: 3\nlayers: [{type: Dense, units: 2}]\n",
                 "model.yaml:2:2: a key is empty (null in YAML): write a name\n", id="empty-key"),
    pytest.param("input: [4]\nlayers:\n  - {type: Dense, units: 3, name: a}\n"
                 "  - {type: Dense, units: 4, name: b, inputs: input}\n",
                 "model.yaml:3:5: layer 'a' (Dense): the layer leads to no output of the model; use it as an "
                 "input of another layer, list it under 'outputs:', or remove it\n", id="unused-layer"),
    pytest.param("inputs: {a: [4], b: [4]}\nlayers:\n  - {type: Dense, units: 3}\n",
                 "model.yaml:3:5: layer 'dense' (Dense): the model has several inputs (a, b): say which this layer "
                 "takes, such as inputs: [a]\n", id="ambiguous-input"),
    pytest.param("inputs: {'a:b': [4], c: [4]}\nlayers:\n  - {type: Add, inputs: ['a:b', c]}\n",
                 "model.yaml:1:10: an input name must not contain ':' (references use 'name:index' for a layer's "
                 "outputs), found 'a:b'\n", id="input-name-colon"),
    pytest.param("input: [12]\nlayers:\n  - {type: Reshape, target_shape: [5, -1]}\n",
                 "model.yaml:3:35: layer 'reshape' (Reshape): input size 12 (12,) is not divisible by 5, the "
                 "product of target_shape [5, -1] without its -1\n", id="reshape-indivisible"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 2}]\nbudget: {max_params: 2X}\n",
                 "model.yaml:3:22: budget max_params must be a whole non-negative number, optionally with K, M, G "
                 "or T (such as 2M), found '2X'\n", id="bad-budget"),
    # Shared layers: `call:` applies a layer again with its weights; Keras raises where the weights do not fit.
    pytest.param(_called_twice("call: enx, inputs: b"),
                 "model.yaml:4:12: layer 'enx@1': calls unknown layer 'enx' (did you mean 'enc'?); 'call' names a "
                 "layer or a block instance\n", id="call-unknown-layer"),
    pytest.param("inputs: {a: [64], b: [32]}\nlayers:\n  - {type: Dense, units: 16, name: enc, inputs: a}\n"
                 "  - {call: enc, inputs: b}\n  - {type: Concatenate, inputs: [enc, enc@1]}\n",
                 "model.yaml:4:5: layer 'enc@1' (Dense): input (None, 32) needs weight 'kernel' of shape (32, 16), "
                 "but the weights of 'enc' (shared by its calls) are (64, 16), built for input (None, 64)\n",
                 id="call-incompatible-weights"),
    pytest.param(_called_twice("call: enc, inputs: b, units: 8"),
                 "model.yaml:4:28: layer 'enc@1' (Dense): a call of Dense takes no arguments, found 'units': it "
                 "applies the layer as it is, with the same arguments and weights\n", id="call-argument"),
    pytest.param(_called_twice("call: enc, inputs: b, trainable: false"),
                 "model.yaml:4:28: 'trainable' belongs to the layer, not to one of its calls: set it on 'enc'\n",
                 id="call-trainable"),
    pytest.param(_called_twice("call: enc, type: Dense, inputs: b"),
                 "model.yaml:4:17: give either 'type' (a new layer) or 'call' (another call of a layer listed "
                 "before), not both\n", id="call-and-type"),
    pytest.param("inputs: {a: [8], b: [8]}\nblocks:\n  tower: {layers: [{type: Dense, units: 4}]}\nlayers:\n"
                 "  - {call: enc, inputs: b}\n  - {type: tower, name: enc, inputs: a}\n"
                 "  - {type: Add, inputs: [enc, enc@1]}\n",
                 "model.yaml:5:12: layer 'enc@1': calls block instance 'enc' before it is listed: list the call "
                 "after it\n", id="call-before-block-instance"),
    # Keras 3.15.1 builds STFTSpectrogram(frame_length=1) and then fails with an OverflowError (its default
    # frame_step, frame_length // 2, is 0 and divides): a message instead (found by the fuzzer).
    pytest.param("input: [100, 1]\nlayers:\n  - {type: STFTSpectrogram, frame_length: 1}\n",
                 "model.yaml:3:5: layer 'stft_spectrogram' (STFTSpectrogram): frame_step defaults to frame_length "
                 "// 2, which is 0 for frame_length 1: give frame_step (1 or more)\n", id="stft-zero-step"),
    # keras.ops.split at index 0 gives an empty first part (numpy's semantics); no model tensor is empty (fuzzer).
    pytest.param("input: [6]\nlayers:\n  - {type: ops.split, indices_or_sections: [0, 4], axis: 1}\n",
                 "model.yaml:3:44: layer 'split' (ops.split): indices_or_sections [0, 4] leave part 0 of axis 1 "
                 "(size 6) empty: give increasing indices between 1 and the size\n", id="split-empty-part"),
    # numpy (keras.ops' semantics) raises "repeated axis" (fuzzer: it was an internal error).
    pytest.param("input: [6]\nlayers:\n  - {type: ops.expand_dims, axis: [1, -3]}\n",
                 "model.yaml:3:35: layer 'expand_dims' (ops.expand_dims): axis [1, -3] names an output position "
                 "twice\n", id="expand-dims-repeated-axis"),
    pytest.param("input: [6]\nlayers:\n  - {type: ops.split, indices_or_sections: 0}\n",
                 "model.yaml:3:44: layer 'split' (ops.split): indices_or_sections must be a number of parts of at "
                 "least 1, found 0\n", id="split-zero-sections"),
]


@pytest.mark.parametrize("text, message", ERRORS)
def test_error_message_and_exit_code(cli, write_spec, text, message):
    result = cli(["summary", write_spec(text)])
    assert (result.exit_code, result.stderr, result.stdout) == (2, message, "")


def test_unreadable_file(cli, write_spec):
    result = cli(["summary", "missing.yaml"])
    assert (result.exit_code, result.stderr) == (2, "missing.yaml:1:1: cannot read spec: No such file or directory\n")


def test_non_utf8_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.yaml").write_bytes(b"input: [4]\nname: caf\xe9\n")
    result = cli(["summary", "model.yaml"])
    assert (result.exit_code, result.stderr) == (2, "model.yaml:2:10: spec is not valid UTF-8 (byte 0xe9)\n")


def test_bad_format_option_is_a_usage_error(cli):
    result = cli(["summary", MNIST, "--format", "xml"])
    assert result.exit_code == 2
    assert "'xml' is not one of 'table', 'json'" in " ".join(result.stderr.replace("│", " ").split())


def test_debug_shows_the_exception(cli, write_spec):
    result = cli(["summary", write_spec("input: [4]\nlayers: [{type: Dense}]\n"), "--debug"])
    assert result.exit_code == 1 and result.exception is not None
