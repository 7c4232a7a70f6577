"""The summary's views (issue 16, requirements 8 and 9), through the real command line: the totals' parameter
memory as Keras prints it, the tree of blocks (--tree) and the totals per layer type (--by-type)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import KERAS_DATA, ROOT

# model.summary()'s totals lines, from tools/keras_summary_totals.py (Keras 3.15.1, TensorFlow backend): each
# spec built in Keras with every weight in the dtype. For specs/mnist_convnet.yaml in float32 Keras printed
#  Total params: 34,826 (136.04 KB)
#  Trainable params: 34,826 (136.04 KB)
#  Non-trainable params: 0 (0.00 B)
KERAS_TOTALS = json.loads((KERAS_DATA / "summary_totals.json").read_text())["cases"]


def totals_lines(text: str) -> list:
    return [line.strip() for line in text.split("\n")
            if line.strip().startswith(("Total params", "Trainable params", "Non-trainable params"))]


@pytest.mark.parametrize("case", KERAS_TOTALS, ids=lambda case: f"{case['spec']}-{case['dtype']}")
def test_totals_show_parameter_memory_as_keras_does(cli, tmp_path, case):
    spec = ROOT / case["spec"]
    dtype = [] if case["dtype"] == "float32" else ["--dtype", case["dtype"]]
    assert totals_lines(cli(["summary", spec, *dtype]).stdout) == case["lines"]
    # the spec's own dtype: says the same
    typed = tmp_path / "typed.yaml"
    typed.write_text(f"dtype: {case['dtype']}\n" + spec.read_text())
    assert totals_lines(cli(["summary", typed]).stdout) == case["lines"]
    markdown = cli(["summary", typed, "-f", "markdown"]).stdout
    assert totals_lines(markdown.replace("- ", "").replace("**", "")) == case["lines"]


def test_mixed_precision_weighs_parameters_in_float32(cli):
    """Keras' mixed policies keep variables in float32: the summary weighs them so."""
    text = cli(["summary", ROOT / "specs" / "mnist_convnet.yaml", "--mixed-precision", "bfloat16"]).stdout
    assert totals_lines(text)[0] == "Total params: 34,826 (136.04 KB)"


# -- --tree -------------------------------------------------------------------------------------------------------

RESNET = ROOT / "specs" / "resnet50.yaml"


def table_rows(text: str) -> list:
    """The rows of a summary table: the lines between its rule and the blank line after it, their first cell."""
    lines = text.split("\n")
    start = next(index for index, line in enumerate(lines) if line.startswith(" ─"))
    end = lines.index("", start)
    return [line for line in lines[start + 1:end] if line[:2].strip()]


def test_tree_shows_each_block_row_with_its_children_under_it(cli):
    rows = table_rows(cli(["summary", RESNET, "--tree", "--depth", "2"]).stdout)
    names = [row.split(" (")[0].strip() for row in rows]
    start = names.index("conv2_block1")
    assert names[start:start + 10] == [
        "conv2_block1", "└─ conv2_block1/1", "└─ conv2_block1/2", "└─ conv2_block1/0_conv", "└─ conv2_block1/3_conv",
        "└─ conv2_block1/0_bn", "└─ conv2_block1/3_bn", "└─ conv2_block1/add", "└─ conv2_block1/out", "conv2_block2"]
    # the block's row is --depth 1's row; a child nested --depth deep is --depth 2's row
    depth_one = {row.split()[0]: row for row in table_rows(cli(["summary", RESNET, "--depth", "1"]).stdout)}
    depth_two = {row.split()[0]: row for row in table_rows(cli(["summary", RESNET, "--depth", "2"]).stdout)}
    block_row = rows[start]
    assert block_row.split()[:8] == depth_one["conv2_block1"].split()  # name, type, shape, params, MACs
    assert rows[start + 1].split() == ["└─", *depth_two["conv2_block1/1"].split()]
    # every row of --depth 2, and a row for each block --depth 1 shows as one row
    assert len(rows) == len(depth_two) + len([name for name in depth_one if name not in depth_two])


def test_tree_without_depth_expands_every_block(cli):
    rows = table_rows(cli(["summary", RESNET, "--tree"]).stdout)
    names = [row.split(" (")[0].strip() for row in rows]
    start = names.index("conv2_block1")
    assert names[start:start + 5] == ["conv2_block1", "└─ conv2_block1/1", "│  └─ conv2_block1/1/conv",
                                      "│  └─ conv2_block1/1/bn", "│  └─ conv2_block1/1/relu"]
    # every layer of the flat summary is a row, in the same order once the blocks' rows are left out
    flat = [row.split()[0] for row in table_rows(cli(["summary", RESNET]).stdout)]
    layers = [name.split()[-1] for name, row in zip(names, rows) if name.split()[-1] in set(flat)]
    assert layers == flat


def test_tree_in_csv_and_markdown(cli):
    rows = list(csv.DictReader(io.StringIO(cli(["summary", RESNET, "--tree", "--depth", "2", "-f", "csv"]).stdout)))
    block = next(row for row in rows if row["name"] == "conv2_block1")
    assert (block["type"], block["params"], block["level"], block["expanded"]) == ("conv_block", "76928", "0", "yes")
    child = rows[rows.index(block) + 1]
    assert (child["name"], child["type"], child["params"], child["level"], child["expanded"]) == (
        "conv2_block1/1", "conv_bn_relu", "4416", "1", "")
    leaves = [row for row in rows[:-1] if row["expanded"] != "yes"]  # every parameter once
    assert sum(int(row["params"]) for row in leaves) == int(rows[-1]["params"]) == 25_636_712
    markdown = cli(["summary", RESNET, "--tree", "--depth", "2", "-f", "markdown"]).stdout
    assert "| └─ conv2_block1/1 (conv_bn_relu) | `(None, 56, 56, 64)` | 4,416 | 12,845,056 | pool1_pool |" in markdown


@pytest.mark.parametrize("args, message", [
    (["--tree", "-f", "json"], "layercalc: --tree is a view of the table, markdown and csv formats; the JSON report "
                               "gives each layer's blocks as its 'scope'\n"),
    (["--tree", "--by-type"], "layercalc: --tree and --by-type are two views of the summary: give one\n"),
    # --depth would be ignored (the JSON report takes both: its layers at that depth, by_type per layer type)
    (["--by-type", "--depth", "1"], "layercalc: --by-type totals every layer under its own type, whatever --depth: "
                                    "give one\n"),
    (["--by-type", "--depth", "1", "-f", "csv"], "layercalc: --by-type totals every layer under its own type, "
                                                 "whatever --depth: give one\n"),
])
def test_tree_refusals(cli, args, message):
    result = cli(["summary", RESNET, *args])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


# -- --by-type ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["resnet50", "mnist_convnet", "residual_small", "densenet121", "lstm_text"])
def test_by_type_sums_to_the_totals_in_json(cli, spec):
    report = json.loads(cli(["summary", ROOT / "specs" / f"{spec}.yaml", "--by-type", "-f", "json"]).stdout)
    by_type = report["by_type"]
    for column in ("params", "trainable_params", "non_trainable_params", "macs", "flops", "bias_adds",
                   "elementwise_ops"):
        assert sum(item[column] for item in by_type) == report["totals"][column], column
    assert sum(item["activation_bytes"] for item in by_type) == report["memory"]["activations"]
    types = {layer["type"] for layer in report["layers"]}
    assert [item["type"] for item in by_type] == ["InputLayer", *dict.fromkeys(
        layer["type"] for layer in report["layers"])]
    for item in by_type[1:]:
        assert item["layers"] == sum(layer["type"] == item["type"] and "shared_with" not in layer
                                     for layer in report["layers"])
    assert len(types) == len(by_type) - 1


def test_by_type_in_csv_sums_to_its_total_row(cli):
    rows = list(csv.DictReader(io.StringIO(
        cli(["summary", RESNET, "--by-type", "--flops", "--memory", "-f", "csv"]).stdout)))
    total = rows.pop()
    assert total["type"] == "TOTAL"
    for column in ("layers", "params", "trainable_params", "non_trainable_params", "macs", "flops",
                   "activation_bytes"):
        assert sum(int(row[column]) for row in rows) == int(total[column]), column
    conv = next(row for row in rows if row["type"] == "Conv2D")
    # Keras' ResNet50: 53 Conv2D layers (keras.applications.ResNet50; tests/data/keras/specs/resnet50.json)
    reference = json.loads((KERAS_DATA / "specs" / "resnet50.json").read_text())["layers"]
    convs = [layer for layer in reference if layer["class"] == "Conv2D"]
    assert int(conv["layers"]) == len(convs) == 53
    assert int(conv["params"]) == sum(layer["trainable_params"] + layer["non_trainable_params"] for layer in convs)


def test_by_type_table_and_markdown(cli):
    text = cli(["summary", ROOT / "specs" / "mnist_convnet.yaml", "--by-type", "--flops"]).stdout
    assert text.split("\n")[:6] == [
        'Model: "mnist-convnet", by layer type', "",
        " Type           Layers   Param #        MACs       FLOPs",
        " " + "─" * 55,
        " InputLayer          1         0           0           0",
        " Conv2D              2    18,816   2,424,960   4,849,920"]
    assert " Total params: 34,826 (136.04 KB)" in text
    markdown = cli(["summary", ROOT / "specs" / "mnist_convnet.yaml", "--by-type", "-f", "markdown"]).stdout
    assert "| Conv2D | 2 | 18,816 | 2,424,960 |" in markdown
    assert "- Total params: **34,826 (136.04 KB)**" in markdown


def test_by_type_counts_a_shared_layer_once_and_every_call(cli):
    """The Keras model of README's "Shared layers": hidden and encoding called twice each, same once; Keras'
    summary: "Total params: 329"."""
    report = json.loads(cli(["summary", ROOT / "tests" / "data" / "keras_models" / "siamese.keras", "--by-type",
                             "-f", "json"]).stdout)
    dense = next(item for item in report["by_type"] if item["type"] == "Dense")
    # 3 Dense layers, 176 + 136 + 17 params; MACs: 2 calls of 10·16, 2 of 16·8, 1 of 16·1
    assert (dense["layers"], dense["params"], dense["macs"]) == (3, 329, 2 * 160 + 2 * 128 + 16)


def test_readme_quotes_the_tree_and_the_totals_per_type_as_printed(cli):
    """README's "The tree and the totals per layer type" shows both views as layercalc prints them."""
    section = (ROOT / "README.md").read_text().split("## The tree and the totals per layer type", 1)[1]
    tree_quote, by_type_quote = [block.rstrip("\n").split("\n") for block in
                                 section.split("\n## ", 1)[0].split("```\n")[1::2]]
    printed = cli(["summary", RESNET, "--tree", "--depth", "2"]).stdout.split("\n")
    quoted = [line for line in tree_quote if not line.startswith(" ...")]
    start = printed.index(quoted[4])
    assert quoted[:4] == printed[:4] and quoted[4:] == printed[start:start + len(quoted) - 4]
    by_type = cli(["summary", ROOT / "specs" / "mnist_convnet.yaml", "--by-type", "--flops"]).stdout
    assert by_type_quote == by_type.rstrip("\n").split("\n")


def test_mixed_precision_key_is_the_option_in_the_spec(cli, tmp_path):
    """`mixed_precision:` counts as --mixed-precision does (which overrides it), without turning memory on."""
    spec = tmp_path / "mixed.yaml"
    spec.write_text("mixed_precision: bfloat16\n" + (ROOT / "specs" / "mnist_convnet.yaml").read_text())
    plain = cli(["summary", spec]).stdout
    assert totals_lines(plain)[0] == "Total params: 34,826 (136.04 KB)"  # Keras' mixed policies: float32 variables
    assert "Activation memory" not in plain
    conventions = json.loads(cli(["summary", spec, "-f", "json", "--memory"]).stdout)["conventions"]
    assert (conventions["dtype"], conventions["activation_dtype"], conventions["activation_bytes_per_element"]) == (
        "float32", "bfloat16", 2)
    assert json.loads(cli(["summary", spec, "-f", "json", "--mixed-precision", "float16"]).stdout)["conventions"][
        "activation_dtype"] == "float16"
    assert "mixed_precision" not in json.loads(cli(["summary", spec, "-f", "json", "--dtype", "float16"]).stdout)[
        "conventions"]


@pytest.mark.parametrize("keys, message", [
    ("mixed_precision: float8\n", "mixed.yaml:1:18: 'mixed_precision' must be one of bfloat16, float16, found 'float8' "
                                  "(did you mean 'float16'?)"),
    ("dtype: float16\nmixed_precision: bfloat16\n", "mixed.yaml:2:18: 'mixed_precision' keeps variables in float32, "
                                                    "but 'dtype' is float16: give one or the other"),
])
def test_mixed_precision_key_errors(cli, tmp_path, keys, message):
    spec = tmp_path / "mixed.yaml"
    spec.write_text(keys + "input: [4]\nlayers: [{type: Dense, units: 2}]\n")
    result = cli(["summary", spec])
    assert (result.exit_code, result.stdout, result.stderr.replace(str(tmp_path) + "/", "")) == (2, "", message + "\n")
