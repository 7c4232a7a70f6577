"""A model input's bytes: a declared dtype's own, always; an input without one in the numbers' dtype (`--dtype`,
`dtype:`), and float32 under mixed precision, as Keras' `keras.Input(shape)` is float32 (backend.floatx())
whatever the global policy and PyTorch's autocast leaves the user's input tensor in float32.

The Keras figures are tools/keras_models.py's, in tests/data/keras_models/figures.json (Keras 3.15.1): each
policy model's `input_dtypes` (the dtype of each tensor in model.inputs) and, for mixed_float16, float16_policy and
mixed_bfloat16_layers, `input_layers` (each InputLayer's dtype, policy and output dtype: under the global policies
float16 and mixed_float16 the InputLayer's policy is the global one, its dtype and output float32).
"""

import json
from math import prod
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "keras_models"
KERAS = json.loads((DATA / "figures.json").read_text())["models"]
POLICY_MODELS = [name for name, figures in KERAS.items() if "input_dtypes" in figures]


def size_of(dtype):
    """Bytes per element of a dtype named by its bits (float32, bfloat16, int8)."""
    return int(dtype.lstrip("abcdefghijklmnopqrstuvwxyz")) // 8


def input_bytes(cli, path, *options):
    result = cli(["summary", str(path), "--format", "json", "--memory", *options])
    assert result.exit_code == 0, result.stderr
    return [item["activation_bytes"] for item in json.loads(result.stdout)["inputs"]]


def keras_input_bytes(name):
    """Each input's bytes, one example, in the dtype Keras gave the tensor."""
    figures = KERAS[name]
    return [prod(dim for dim in shape if dim is not None) * size_of(figures["input_dtypes"][tensor])
            for tensor, shape in figures["inputs"].items()]


def test_the_recorded_keras_inputs_are_float32_whatever_the_policy():
    """The figures this file tests against: every policy model's input is float32, as its InputLayer says."""
    assert {"mixed_float16", "float16_policy", "mixed_bfloat16_layers"} <= set(POLICY_MODELS)
    for name in POLICY_MODELS:
        assert set(KERAS[name]["input_dtypes"].values()) == {"float32"}, name
        for layer in KERAS[name].get("input_layers", {}).values():
            assert layer["dtype"] == layer["output_dtype"] == "float32", name
    assert KERAS["float16_policy"]["input_layers"]["keras_tensor"]["policy"] == "float16"
    assert KERAS["mixed_float16"]["input_layers"]["digits"]["policy"] == "mixed_float16"


@pytest.mark.parametrize("name", POLICY_MODELS)
def test_a_keras_files_inputs_take_keras_bytes(cli, tmp_path, name):
    """summary of the .keras and .json files, and of the spec `convert` writes from them, counts each input in
    the dtype Keras gave it: float32 under mixed_float16 and mixed_bfloat16 too, and under the float16 policy,
    whose spec has `dtype: float16` and then `dtype: float32` on the input."""
    expected = keras_input_bytes(name)
    for path in (DATA / file for file in KERAS[name]["files"]):
        assert input_bytes(cli, path) == expected, path.name
        converted = cli(["convert", str(path)])
        assert converted.exit_code == 0, converted.stderr
        spec = tmp_path / f"{path.stem}_{path.suffix[1:]}.yaml"
        spec.write_text(converted.stdout)
        assert input_bytes(cli, spec) == expected, spec.name


def test_the_float16_policy_model_converts_with_its_input_dtype(cli):
    """Keras' float16 policy makes the spec's `dtype: float16`; its float32 Input is written as such."""
    text = cli(["convert", str(DATA / "float16_policy.keras")]).stdout
    assert "\ndtype: float16\ninput: {shape: [12], dtype: float32}\n" in text


def test_options_on_a_keras_file(cli):
    """--mixed-precision on a float32 model keeps its (undeclared) float32 input at 4 bytes, as Keras' Input under
    the global policy mixed_float16 (mixed_float16's figures); --dtype counts every number in its type."""
    elements = prod(KERAS["float16_layer"]["inputs"]["features"][1:])
    path = DATA / "float16_layer.json"
    assert input_bytes(cli, path, "--mixed-precision", "float16") == [
        elements * size_of(KERAS["mixed_float16"]["input_dtypes"]["digits"])]
    assert input_bytes(cli, path, "--dtype", "float16") == [elements * 2]


@pytest.mark.parametrize("header, declared, options, itemsize", [
    ("", "[8]", (), 4),
    ("", "[8]", ("--dtype", "float16"), 2),
    ("dtype: float64\n", "[8]", (), 8),
    ("", "[8]", ("--mixed-precision", "float16"), 4),
    ("mixed_precision: bfloat16\n", "[8]", (), 4),
    ("mixed_precision: bfloat16\n", "[8]", ("--dtype", "float16"), 2),
    ("", "{shape: [8], dtype: float16}", ("--mixed-precision", "bfloat16"), 2),
    ("", "{shape: [8], dtype: float16}", (), 2),
    ("", "{shape: [8], dtype: bfloat16}", ("--dtype", "float64"), 2),
    ("", "{shape: [8], dtype: float32}", ("--dtype", "float16"), 4),
    ("dtype: float16\n", "{shape: [8], dtype: float32}", (), 4),
    ("", "{shape: [8], dtype: float64}", ("--mixed-precision", "float16"), 8),
    ("", "{shape: [8], dtype: int32}", ("--mixed-precision", "float16"), 4),
    ("", "{shape: [8], dtype: int8}", ("--dtype", "float64"), 1),
])
def test_an_input_in_a_spec(cli, tmp_path, header, declared, options, itemsize):
    """input: [8] and input: {shape: [8], dtype: ...} under the spec's precision and the options; the activation
    memory adds the input's bytes to the Dense's outputs, in the activations' dtype."""
    spec = tmp_path / "model.yaml"
    spec.write_text(f"{header}input: {declared}\nlayers:\n  - {{type: Dense, units: 2}}\n")
    result = cli(["summary", str(spec), "--format", "json", "--memory", *options])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["inputs"][0]["activation_bytes"] == 8 * itemsize
    assert report["memory"]["activations"] == 8 * itemsize + report["layers"][0]["activation_bytes"]


@pytest.mark.parametrize("declared, itemsize", [("", 4), (", dtype: float16", 2), (", dtype: int64", 8)])
def test_an_input_layers_dtype(cli, tmp_path, declared, itemsize):
    spec = tmp_path / "model.yaml"
    spec.write_text(f"layers:\n  - {{type: InputLayer, shape: [8]{declared}}}\n  - {{type: Dense, units: 2}}\n")
    assert input_bytes(cli, spec, "--mixed-precision", "float16") == [8 * itemsize]


@pytest.mark.parametrize("model, where", [
    ("inputs:\n  x: {shape: [8], dtype: null}\n", "2:26: input 'x'"),
    ("layers:\n  - {type: InputLayer, shape: [8], dtype: null}\n", "2:43: InputLayer"),
])
def test_a_null_input_dtype_is_still_refused(cli, tmp_path, model, where):
    spec = tmp_path / "model.yaml"
    spec.write_text(model + ("layers:\n" if model.startswith("inputs") else "") + "  - {type: Dense, units: 2}\n")
    result = cli(["summary", str(spec)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{spec}:{where}: dtype must be a string such as int32, found null"


@pytest.mark.parametrize("spec, option, said", [
    ("input: [8]\nlayers:\n  - {type: Dense, units: 2}\n", "--mixed-precision", True),
    ("input: {shape: [8], dtype: float16}\nlayers:\n  - {type: Dense, units: 2}\n", "--mixed-precision", False),
    ("input: [8]\nlayers:\n  - {type: Dense, units: 2}\n", "--dtype", False),
])
def test_the_conventions_say_when_inputs_stay_float32(cli, tmp_path, spec, option, said):
    """The footer and JSON `conventions.inputs` state the input rule where it decides a figure: mixed precision and
    an input without a declared dtype; not for a declared one, nor under --dtype."""
    path = tmp_path / "model.yaml"
    path.write_text(spec)
    table = cli(["summary", str(path), "--memory", option, "float16"]).stdout
    report = json.loads(cli(["summary", str(path), "-f", "json", option, "float16"]).stdout)
    assert (", inputs float32," in table) is said
    assert ("inputs" in report["conventions"]) is said
