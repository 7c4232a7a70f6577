"""A layer's own `dtype:` (Keras' per-layer dtype policy) in a spec: its weights in the policy's variable dtype,
its outputs in its compute dtype, whatever the spec's default or the options say.

The Keras figures (each layer's policy, weights' and output's dtypes, and model.summary()'s totals lines) are
tools/keras_models.py's, in tests/data/keras_models/figures.json (Keras 3.15.1); tests/test_keras_import.py
compares every saved model with them. Here: the spec side, the options, shared layers and errors, with the bytes
Keras' DTypePolicy gives each name (keras/src/dtype_policies/dtype_policy.py: "mixed_float16" is float32
variables and float16 computations, any other name both).
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KERAS = json.loads((ROOT / "tests" / "data" / "keras_models" / "figures.json").read_text())["models"]
FLOAT16_LAYER = ROOT / "tests" / "data" / "keras_models" / "float16_layer.json"


def summary(cli, path, *options):
    result = cli(["summary", str(path), "--format", "json", "--memory", *options])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_readme_quotes_the_example_as_it_is(cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    section = (ROOT / "README.md").read_text().split("### Per-layer dtypes\n", 1)[1].split("\n### ", 1)[0]
    blocks = [block.split("\n", 1)[1] for block in section.split("```")[1::2]]
    assert blocks[0] == (ROOT / "docs" / "examples" / "mixed_layer_dtypes.yaml").read_text()
    text = cli(["summary", "docs/examples/mixed_layer_dtypes.yaml", "--memory"]).stdout
    assert "\n".join(line.rstrip() for line in text.splitlines()).strip() == blocks[1].strip()


def test_the_options_set_only_the_default(cli):
    """--dtype and --mixed-precision, as Keras' global policy, leave a layer's own policy alone: float16_layer's
    'half' (float16) keeps 2-byte weights and outputs, its 'norm' (mixed_bfloat16) 4-byte weights and 2-byte
    outputs; the float32 layers take the option's dtype."""
    layers = {row["name"]: row for row in KERAS["float16_layer"]["layers"]}
    default = ("dense_in", "dense_out")
    for options, variable, output in ((("--dtype", "float64"), 8, 8), (("--mixed-precision", "float16"), 4, 2),
                                      ((), 4, 4)):
        report = summary(cli, FLOAT16_LAYER, *options)
        rows = {row["name"]: row for row in report["layers"]}
        assert report["memory"]["parameters"] == (
            layers["half"]["params"] * 2 + layers["norm"]["params"] * 4
            + sum(layers[name]["params"] for name in default) * variable)
        assert {name: rows[name]["activation_bytes"] for name in rows} == {
            "dense_in": 16 * output, "half": 32 * 2, "norm": 32 * 2, "dense_out": 4 * output}
        assert {name: rows[name].get("dtype") for name in rows} == {
            "dense_in": None, "half": "float16", "norm": "mixed_bfloat16", "dense_out": None}


def test_equal_layers_of_other_dtypes_and_shared_calls(cli, tmp_path):
    """Two Dense layers of the same arguments but another policy are counted apart (the pass computes equal layers
    once); a later call of a shared layer outputs in its layer's compute dtype; ops.cast's dtype (int32, no policy)
    is its own argument, not a policy: a keras.ops function has none."""
    spec = tmp_path / "model.yaml"
    spec.write_text("input: [8]\nlayers:\n"
                    "  - {type: Dense, units: 8, name: shared, dtype: float16}\n"
                    "  - {type: Dense, units: 8, name: plain}\n"
                    "  - {type: Dense, units: 8, name: wide, dtype: float64}\n"
                    "  - {call: shared}\n"
                    "  - {type: ops.cast, dtype: int32}\n")
    report = summary(cli, spec)
    rows = {row["name"]: row for row in report["layers"]}
    assert {name: row["activation_bytes"] for name, row in rows.items() if name != "cast"} == {
        "shared": 16, "plain": 32, "wide": 64, "shared@1": 16}
    assert "dtype" not in rows["cast"] and rows["shared@1"]["dtype"] == "float16"
    assert report["memory"]["parameters"] == 72 * (2 + 4 + 8)
    assert report["memory"]["gradients"] == 72 * (2 + 4 + 8)
    text = cli(["summary", str(spec)]).stdout
    assert "Total params: 216 (1008.00 B)" in text


@pytest.mark.parametrize("value, found", [("flaot16", "'flaot16' (did you mean 'float16'?)"), ("3", "3"),
                                          ("int8", "'int8'")])
def test_an_unknown_policy_is_refused(cli, tmp_path, value, found):
    spec = tmp_path / "model.yaml"
    spec.write_text(f"input: [4]\nlayers:\n  - {{type: Dense, units: 2, dtype: {value}}}\n")
    result = cli(["summary", str(spec)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{spec}:3:36: layer 'dense' (Dense): dtype must be one of float32, float16, bfloat16, float64, "
        f"mixed_float16, mixed_bfloat16 (Keras' dtype policies), found {found}")


def test_without_a_layer_dtype_nothing_changes(cli):
    """A spec whose layers have no dtype of their own writes no per-layer dtype nor the convention."""
    report = summary(cli, ROOT / "specs" / "mnist_convnet.yaml")
    assert "layer_dtypes" not in report["conventions"]
    assert not any("dtype" in row for row in report["layers"])


def test_a_wrapped_layers_own_policy(cli, tmp_path):
    """A wrapped layer's dtype is checked where the wrapper's argument is; its weights are in it (Keras 3.15.1:
    Bidirectional(LSTM(3, dtype="float16")) on (5, 4) has 192 float16 weights, model.summary() 384.00 B; compared
    through a saved model in tests/test_keras_import.py, wrapped_float16)."""
    spec = tmp_path / "model.yaml"
    model = "input: [5, 4]\nlayers:\n  - {type: Bidirectional, layer: {type: LSTM, units: 3, dtype: %s}}\n"
    spec.write_text(model % "float16")
    assert "Total params: 192 (384.00 B)" in cli(["summary", str(spec)]).stdout
    spec.write_text(model % "half")
    result = cli(["summary", str(spec)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{spec}:3:34: layer 'bidirectional' (Bidirectional): layer (LSTM): dtype must be one of float32, float16, "
        "bfloat16, float64, mixed_float16, mixed_bfloat16 (Keras' dtype policies), found 'half'")
