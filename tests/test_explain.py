"""`layercalc explain`: each figure of a layer derived step by step, through the real command line.

The derivations are read off the layer's own rule (calc/trace.py, calc/derivation.py), so the check that
cannot be faked is arithmetic: every step's derivation, evaluated here from its terms, gives its value,
and those values are the figures the summary reports (which tests/test_rules.py holds to Keras' own).
"""

import json
import operator

import pytest

from calc import analyze, parse_spec
from tests.conftest import KERAS_DATA, single_layer_spec

SEED = "specs/seed_conv_pool.yaml"
OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod}


def evaluated(terms):
    """A step's terms ({"op", "operands"} or a number) computed again, here, with Python's integers; None
    where a size is symbolic (a string)."""
    if isinstance(terms, dict):
        left, right = (evaluated(operand) for operand in terms["operands"])
        return None if None in (left, right) else OPERATIONS[terms["op"]](left, right)
    return terms if isinstance(terms, int) else None


def test_seed_conv_word_for_word(cli):
    # The figures are the seed's (SPEC.md section 2, Keras 3: (64, 296, 296, 16), 1,216 params); the
    # derivation is Keras' own formula for valid padding: floor((I - F') / S) + 1 (the textbook
    # form adds the padding term 2·P, which is 0 for valid padding and not part of Keras' rule).
    result = cli(["explain", SEED, "conv2d"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "conv2d (Conv2D): input (64, 300, 300, 3) -> output (64, 296, 296, 16)\n"
        "\n"
        "  Output shape (64, 296, 296, 16)\n"
        "    axes 1, 2: O = floor((300 − 5) / 1) + 1 = 296\n"
        "  Parameters 1,216\n"
        "    kernel: 5·5·3·16 = 1,200\n"
        "    bias: 16\n"
        "    params: 1,200 + 16 = 1,216\n"
        "  MACs 105,139,200\n"
        "    296·296·16 · 5·5·3 = 105,139,200\n"
    )


def test_seed_all_layers_and_json(cli):
    text = cli(["explain", SEED, "--all"])
    assert text.exit_code == 0
    assert "max_pooling2d (MaxPooling2D): input (64, 296, 296, 16) -> output (64, 148, 148, 16)\n" in text.stdout
    assert "    axes 1, 2: O = floor((296 − 2) / 2) + 1 = 148\n" in text.stdout
    data = json.loads(cli(["explain", SEED, "--all", "--format", "json"]).stdout)
    conv = data["layers"][0]
    assert [layer["name"] for layer in data["layers"]] == ["conv2d", "max_pooling2d"]
    assert conv["steps"][0] == {
        "figure": "output_shape", "label": "axis 1", "axis": 1, "value": 296,
        "derivation": "floor((300 − 5) / 1) + 1",
        "terms": {"op": "+", "operands": [{"op": "//", "operands": [{"op": "-", "operands": [300, 5]}, 1]}, 1]}}
    assert [(step["label"], step["derivation"], step["value"]) for step in conv["steps"][2:]] == [
        ("kernel", "5·5·3·16", 1200), ("bias", "16", 16), ("params", "1,200 + 16", 1216),
        ("MACs", "296·296·16 · 5·5·3", 105139200)]


def test_symbols_and_set(cli, tmp_path):
    spec = tmp_path / "symbolic.yaml"
    spec.write_text("input: [H, W, 3]\nlayers:\n  - {type: Conv2D, filters: 16, kernel_size: 5, strides: 2}\n")
    result = cli(["explain", spec, "conv2d"])
    assert result.exit_code == 0, result.output
    # the summary's own text for each figure (the symbolic expression, simplified), after its derivation
    assert "    axis 1: O = floor((H − 5) / 2) + 1 = (H + 1) // 2 - 2\n" in result.stdout
    assert "    axis 2: O = floor((W − 5) / 2) + 1 = (W + 1) // 2 - 2\n" in result.stdout
    assert ("  MACs 1200*((H + 1) // 2 - 2)*((W + 1) // 2 - 2)\n"  # the output sizes as numbers, not derived again
            "    ((H + 1) // 2 - 2)·((W + 1) // 2 - 2)·16 · 5·5·3 = 1200*((H + 1) // 2 - 2)*((W + 1) // 2 - 2)\n"
            ) in result.stdout
    bound = cli(["explain", spec, "conv2d", "--set", "H=300", "--set", "W=300"])
    assert "    axes 1, 2: O = floor((300 − 5) / 2) + 1 = 148\n" in bound.stdout


def test_errors(cli):
    unknown = cli(["explain", SEED, "conv"])
    assert (unknown.exit_code, unknown.stdout) == (2, "")
    assert unknown.stderr == ("layercalc: specs/seed_conv_pool.yaml has no layer 'conv' (did you mean 'conv2d'?); "
                              "`layercalc summary` lists its layers\n")
    neither = cli(["explain", SEED])
    assert (neither.exit_code, neither.stderr) == (2, "layercalc: give a layer's name, or --all for every layer\n")
    both = cli(["explain", SEED, "conv2d", "--all"])
    assert (both.exit_code, both.stderr) == (
        2, "layercalc: give a layer's name or --all, not both (found 'conv2d' and --all)\n")


def test_shared_layer_call(cli, tmp_path):
    spec = tmp_path / "siamese.yaml"
    spec.write_text("inputs: {left: [10], right: [10]}\nlayers:\n"
                    "  - {type: Dense, units: 16, name: hidden, inputs: left}\n"
                    "  - {call: hidden, inputs: right}\n"
                    "  - {type: Add, inputs: [hidden, hidden@1]}\n")
    data = json.loads(cli(["explain", spec, "--all", "-f", "json"]).stdout)
    own, call = data["layers"][:2]
    assert (own["params"], call["params"], call["shared_with"], call["macs"]) == (176, 0, "hidden", 160)
    text = cli(["explain", spec, "hidden@1"]).stdout
    assert "  Parameters 0\n    the weights of 'hidden', counted on its row\n" in text
    assert "    10·16 = 160\n" in text
    # The layer's own row in summary's table sums its calls' MACs (320): explain says so rather than differ.
    assert own["calls"] == ["hidden@1"] and "calls" not in call
    own_text = cli(["explain", spec, "hidden"]).stdout
    assert own_text.endswith("  MACs 160\n    10·16 = 160\n    with its calls hidden@1: 160 + 160 = 320, the summary "
                             "table's row\n")
    row = next(line for line in cli(["summary", spec]).stdout.split("\n") if line.startswith(" hidden (Dense)"))
    assert row.split()[-3:] == ["176", "320", "left"]


def test_completion_of_layer_names(cli):
    # typer's bash completion protocol, as the script --install-completion installs calls it
    result = cli([], env={"_LAYERCALC_COMPLETE": "complete_bash", "COMP_WORDS": f"layercalc explain {SEED} ma",
                          "COMP_CWORD": "3"})
    assert result.stdout.split() == ["max_pooling2d"]


def test_a_block_instance_stands_for_its_layers(cli):
    """`summary --depth 1` shows `conv2_block1 (conv_block)` as a row: explain that name derives each of its
    layers, in the summary's order; their figures sum to the block's row (76,928 params, 231,211,008 MACs)."""
    block = json.loads(cli(["explain", "specs/resnet50.yaml", "conv2_block1", "-f", "json"]).stdout)["layers"]
    every = json.loads(cli(["explain", "specs/resnet50.yaml", "--all", "-f", "json"]).stdout)["layers"]
    assert block == [layer for layer in every if layer["name"].startswith("conv2_block1/")]
    assert len(block) == 12 and block[-1]["name"] == "conv2_block1/out"
    assert (sum(layer["params"] for layer in block), sum(layer["macs"] for layer in block)) == (76_928, 231_211_008)
    nested = json.loads(cli(["explain", "specs/resnet50.yaml", "conv2_block1/2", "-f", "json"]).stdout)["layers"]
    assert [layer["name"] for layer in nested] == ["conv2_block1/2/conv", "conv2_block1/2/bn", "conv2_block1/2/relu"]
    typo = cli(["explain", "specs/resnet50.yaml", "conv2_blok1"])
    assert (typo.exit_code, typo.stderr) == (2, "layercalc: specs/resnet50.yaml has no layer 'conv2_blok1' (did you "
                                                "mean 'conv2_block1'?); `layercalc summary` lists its layers\n")
    completed = cli([], env={"_LAYERCALC_COMPLETE": "complete_bash", "COMP_CWORD": "3",
                             "COMP_WORDS": "layercalc explain specs/resnet50.yaml conv5_block3/3"})
    assert completed.stdout.split() == ["conv5_block3/3_conv", "conv5_block3/3_bn"]


def test_axes_of_several_outputs_on_one_line_say_which(cli, tmp_path):
    """ConvLSTM2D with return_state: three outputs (None, 6, 6, 2) whose spatial axes are derived alike; the line
    names each output once (it read 'output 0 axes 1, 2, 1, 2, 1, 2')."""
    spec = tmp_path / "convlstm.yaml"
    spec.write_text("input: [4, 8, 8, 3]\nlayers:\n  - {type: ConvLSTM2D, filters: 2, kernel_size: 3, return_state: true}\n")
    result = cli(["explain", spec, "conv_lstm2d"])
    assert result.exit_code == 0, result.output
    assert "\n    outputs 0, 1, 2 axes 1, 2: O = floor((8 − 3) / 1) + 1 = 6\n" in result.stdout
    steps = json.loads(cli(["explain", spec, "conv_lstm2d", "-f", "json"]).stdout)["layers"][0]["steps"]
    assert [(step["output"], step["axis"]) for step in steps if step["figure"] == "output_shape"] == [
        (0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]


def test_batch_flag(cli):
    """--batch replaces the spec's batch: 64 in the shapes; the MACs are per example either way."""
    result = cli(["explain", SEED, "conv2d", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("conv2d (Conv2D): input (2, 300, 300, 3) -> output (2, 296, 296, 16)\n")
    assert "    296·296·16 · 5·5·3 = 105,139,200\n" in result.stdout


# -- every layer type: the derivations give the summary's figures -----------------------------------------------

CASES = [case for path in sorted((KERAS_DATA / "rule_cases").glob("*.json"))
         for case in json.loads(path.read_text())["cases"] if "error" not in case]


def assert_explains(explanation: dict, row: dict) -> None:
    """Every step's terms evaluate to its value, and the values are the summary row's figures."""
    for step in explanation["steps"]:
        if isinstance(step["value"], int) and evaluated(step["terms"]) is not None:
            assert evaluated(step["terms"]) == step["value"], step
    shapes = row["output_shape"] if isinstance(row["output_shape"][0], list) else [row["output_shape"]]
    assert explanation["output_shapes"] == shapes
    for step in explanation["steps"]:
        if step["figure"] == "output_shape":
            assert step["value"] == shapes[step.get("output", 0)][step["axis"]], step
    figures = {step["figure"]: step["value"] for step in explanation["steps"]}
    weights = [step["value"] for step in explanation["steps"] if step["figure"] == "weight"]
    assert figures["macs"] == explanation["macs"] == row["macs"]
    assert figures.get("params", sum(weights) if row.get("shared_with") is None else 0) == row["params"]
    for key in ("params", "trainable_params", "non_trainable_params"):
        assert explanation[key] == row[key]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_every_rule_case_explains_its_figures(cli, case):
    text = single_layer_spec(case)  # read from standard input: no file to write for each of a thousand cases
    explanation = json.loads(cli(["explain", "-", "--all", "-f", "json"], input=text).stdout)["layers"][0]
    row = analyze(parse_spec(text)).to_dict()["layers"][0]  # what summary --format json prints
    assert_explains(explanation, row)
    assert [row["output_shape"]] == [case["output_shape"]] or row["output_shape"] == case["output_shape"]


@pytest.mark.parametrize("name", ["mnist_convnet", "resnet50", "gpt2", "unet_small", "lstm_text", "inception_v3"])
def test_reference_models_explain_their_figures(cli, name):
    explanations = json.loads(cli(["explain", f"specs/{name}.yaml", "--all", "-f", "json"]).stdout)["layers"]
    rows = json.loads(cli(["summary", f"specs/{name}.yaml", "-f", "json"]).stdout)["layers"]
    assert [layer["name"] for layer in explanations] == [row["name"] for row in rows]
    for explanation, row in zip(explanations, rows):
        assert_explains(explanation, row)


def test_readme_example_is_a_real_run(cli):
    """README's "Explaining a layer" quotes `explain` on the seed's Conv2D as it prints."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Explaining a layer: `explain`", 1)[1]
    quoted = section.split("```\n", 2)[1]
    assert quoted == cli(["explain", SEED, "conv2d"]).stdout
    data_line = section.split("```\n", 4)[3].strip()
    conv = json.loads(cli(["explain", SEED, "conv2d", "-f", "json"]).stdout)["layers"][0]
    assert json.loads(data_line) == conv["steps"][0]
