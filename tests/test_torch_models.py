"""The torch reference specs (specs/torch/) against torchvision 0.29.1 (torch 2.14.1), module by module.

tools/torch_reference.py built each model with `torchvision.models.<name>(weights=None)`, ran one forward
pass of a (1, 3, 224, 224) input and recorded every leaf module's output shape (its last call), parameters
and buffer elements (MultiheadAttention as one module), and each parameter that is no such module's (ViT's
class_token and encoder.pos_embedding, ConvNeXt's layer_scale: a "Parameter" layer of the spec) in
tests/data/torch/models/<name>.json.  The spec's layer names are torchvision's module names with '.'
written '/'; the layers that are not modules are the functional operations of the models' forward() (add,
mul, flatten, adaptive_avg_pool2d, reshape, permute, select) and a module's later calls ({call: relu}).
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted((ROOT / "tests" / "data" / "torch" / "models").glob("*.json"))
FUNCTIONS = {"add", "mul", "cat", "flatten", "adaptive_avg_pool2d", "reshape", "permute", "select"}
# Modules a spec may leave out: torchvision.ops.StochasticDepth is the identity in eval mode, without
# parameters or buffers (checked below); efficientnet_b0.yaml leaves it out, convnext_tiny.yaml writes it.
LEFT_OUT = {"StochasticDepth"}


def same_shapes(ours, torchs) -> bool:
    """A layer's output shape against torch's, the batch aside; of several outputs, those torch gave
    (MultiheadAttention called with need_weights=False, as ViT calls it, returns (output, None))."""
    if torchs and isinstance(torchs[0], list):
        return len(ours) == len(torchs) and all(theirs is None or same_shapes(mine, theirs)
                                                 for mine, theirs in zip(ours, torchs))
    return ours[1:] == torchs[1:]


def summary(cli, spec: Path) -> dict:
    result = cli(["summary", spec, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("reference", MODELS, ids=lambda path: path.stem)
def test_reference_spec_matches_torchvision(cli, reference):
    expected = json.loads(reference.read_text())
    report = summary(cli, ROOT / "specs" / "torch" / f"{reference.stem}.yaml")
    layers = {row["name"]: row for row in report["layers"] if "shared_with" not in row}
    last_call = {row.get("shared_with", row["name"]): row["output_shape"] for row in report["layers"]}
    for module in expected["modules"]:
        name = module["name"].replace(".", "/")
        if module["type"] in LEFT_OUT and name not in layers:
            assert module["params"] == module["buffers"] == 0, name
            continue
        assert name in layers, f"{module['name']} ({module['type']}) has no layer in the spec"
        row = layers.pop(name)
        assert row["type"] == module["type"], name
        if module["type"] != "Parameter":  # a learned tensor has no output of its own in torch
            assert same_shapes(last_call[name], module["output_shape"]), (name, expected["torchvision_version"])
        for column in ("params", "trainable_params", "non_trainable_params", "buffers"):
            assert row[column] == module[column], (name, column)
    # every other layer is a functional operation of forward(), with nothing to count
    assert {row["type"] for row in layers.values()} <= FUNCTIONS, sorted(layers)
    assert report["layers"][-1]["output_shape"][1:] == expected["output_shape"][1:]
    for column in ("params", "trainable_params", "non_trainable_params", "buffers"):
        assert report["totals"][column] == expected["totals"][column], column


@pytest.mark.parametrize("reference", MODELS, ids=lambda path: path.stem)
def test_reference_spec_macs_match_torchvision_published_ops(cli, reference):
    """torchvision publishes each model's multiply-accumulates in G, three decimals (the weights' meta["_ops"]:
    1.814 for ResNet-18, 15.47 for VGG-16); layercalc's MACs under its conventions round to the same."""
    published = json.loads(reference.read_text())["torchvision_gmacs"]["_ops"]
    macs = summary(cli, ROOT / "specs" / "torch" / f"{reference.stem}.yaml")["totals"]["macs"]
    assert round(macs / 1e9, 3) == published


def test_readme_quotes_the_resnet18_spec_and_its_summary(cli):
    """README's "PyTorch models" section quotes specs/torch/resnet18.yaml and `summary --depth 2` as they are."""
    import re

    section = (ROOT / "README.md").read_text().split("## PyTorch models", 1)[1].split("\n## ", 1)[0]
    excerpt, output = re.findall(r"```(?:yaml)?\n(.*?)```", section, re.S)
    spec = (ROOT / "specs" / "torch" / "resnet18.yaml").read_text()
    assert all(line in spec.splitlines() for line in excerpt.splitlines())
    printed = cli(["summary", ROOT / "specs" / "torch" / "resnet18.yaml", "--depth", "2"]).stdout
    assert output.splitlines() == [line.rstrip() for line in printed.splitlines()]


def test_layers_lists_the_torch_modules(cli):
    """`layercalc layers --framework torch` lists torch.nn's modules; `layers Conv2d --framework torch` gives
    one's formulas; without the flag the Keras types are listed, as before."""
    listing = cli(["layers", "--framework", "torch"])
    assert listing.exit_code == 0 and "Supported torch module types" in listing.stdout
    assert "BatchNorm2d" in listing.stdout and "BatchNormalization" not in listing.stdout
    one = cli(["layers", "conv2d", "--framework", "torch"])
    assert one.exit_code == 0 and one.stdout.startswith("Conv2d (conv)") and "in_channels" in one.stdout
    assert "BatchNormalization" in cli(["layers"]).stdout


def test_graph_shows_a_modules_buffers(cli):
    """The graph's node of a BatchNorm2d gives its buffers beside its parameters."""
    result = cli(["graph", ROOT / "specs" / "torch" / "resnet18.yaml"])
    assert result.exit_code == 0
    assert 'n_bn1["bn1 (BatchNorm2d)<br>(None, 64, 112, 112)<br>128 params, 129 buffers"]' in result.stdout


COMPARISON = json.loads((ROOT / "tests" / "data" / "torch" / "macs_comparison.json").read_text())


def elements(shape) -> int:
    total = 1
    for size in shape[1:]:
        total *= size
    return total


# The transformers (no BatchNorm; LayerNorm, Linear on 3-D and 4-D inputs, MultiheadAttention) have a test
# of their own below.
TRANSFORMERS = {"vit_b_16", "convnext_tiny"}


@pytest.mark.parametrize("name", sorted(set(COMPARISON["models"]) - TRANSFORMERS))
def test_other_tools_macs_are_layercalcs_plus_what_they_add(cli, name):
    """The MACs of torchinfo 1.8.0, fvcore 0.1.5 and ptflops 0.7.5 (tools/torch_macs_comparison.py) are
    layercalc's plus what each adds, from layercalc's own rows: torchinfo the biases of Conv2d and Linear and
    a BatchNorm's parameters (once, not per element); fvcore a BatchNorm's two operations per element (x·a + b,
    layercalc's elementwise operations) and one per adaptive average pooling input element; ptflops the
    biases and the BatchNorms' two per element in its module hooks (README, "PyTorch models")."""
    tools = COMPARISON["models"][name]
    report = summary(cli, ROOT / "specs" / "torch" / f"{name}.yaml")
    rows = report["layers"]
    macs = report["totals"]["macs"]
    biases = sum(row["bias_adds"] for row in rows if row["type"] in ("Conv2d", "Linear"))
    norm_params = sum(row["params"] for row in rows if row["type"] == "BatchNorm2d")
    norm_ops = sum(row["elementwise_ops"] for row in rows if row["type"] == "BatchNorm2d")  # 2 per element
    pooled = {row["name"]: row for row in rows}
    pool_inputs = sum(elements(pooled[row["inputs"][0]]["output_shape"]) for row in rows
                      if row["type"] in ("AdaptiveAvgPool2d", "adaptive_avg_pool2d"))
    assert tools["torchinfo"] == macs + biases + norm_params
    assert tools["fvcore"] == macs + norm_ops + pool_inputs
    hooks = tools["ptflops_module_hooks"]
    assert hooks["Conv2d"] + hooks["Linear"] == macs + biases
    assert hooks.get("BatchNorm2d", 0) == norm_ops
    # ptflops also patches torch.nn.functional and counts F.relu, F.silu, F.max_pool2d and
    # F.adaptive_avg_pool2d once more when a module calls them (nn.ReLU's forward calls F.relu); nn.ReLU6 calls
    # F.hardtanh, which it does not patch
    through_functions = sum(row["elementwise_ops"] for row in rows if row["type"] in ("ReLU", "SiLU"))
    max_pool_inputs = sum(elements(pooled[row["inputs"][0]]["output_shape"]) for row in rows
                          if row["type"] == "MaxPool2d")
    assert tools["ptflops_functional"] == through_functions + max_pool_inputs + pool_inputs


VIT_HEADS = 12  # specs/torch/vit_b_16.yaml: MultiheadAttention(768, num_heads=12) in every EncoderBlock


@pytest.mark.parametrize("name", sorted(TRANSFORMERS))
def test_other_tools_macs_on_the_transformers(cli, name):
    """ViT-B/16 and ConvNeXt-Tiny: torchinfo 1.8.0, fvcore 0.1.5 and ptflops 0.7.5 against layercalc's rows
    (README, "PyTorch models").  torchinfo counts a convolution per output position, bias included, but any
    other module's parameters once per example, whatever its input's rank (a Linear on (197, 768) as on
    (768)), and nothing for MultiheadAttention.  fvcore counts every convolution and Linear as layercalc
    does, MultiheadAttention's projections too, but not the attention products (it does not handle
    aten::scaled_dot_product_attention), and adds five operations per LayerNorm element and one per pooled
    input element.  ptflops adds the biases, one per LayerNorm (not LayerNorm2d) and GELU element, its own
    formula for MultiheadAttention (layercalc's MACs plus the query scaling, the four bias additions and one
    softmax operation per score) and F.gelu and F.adaptive_avg_pool2d once more inside their modules."""
    tools = COMPARISON["models"][name]
    report = summary(cli, ROOT / "specs" / "torch" / f"{name}.yaml")
    rows = report["layers"]
    by_name = {row["name"]: row for row in rows}

    def total(column, *types):
        return sum(row[column] for row in rows if row["type"] in types)

    def outputs(*types):
        return sum(elements(row["output_shape"]) for row in rows if row["type"] in types)

    attentions = [row for row in rows if row["type"] == "MultiheadAttention"]
    products = sum(2 * length * length * width for _, length, width in (row["output_shape"][0] for row in attentions))
    projections = total("macs", "MultiheadAttention") - products  # 4·L·E² each
    assert projections == sum(4 * length * width * width for _, length, width in
                              (row["output_shape"][0] for row in attentions))
    pool_inputs = sum(elements(by_name[row["inputs"][0]]["output_shape"]) for row in rows
                      if row["type"] == "AdaptiveAvgPool2d")
    macs = report["totals"]["macs"]
    assert macs == total("macs", "Conv2d", "Linear", "MultiheadAttention")
    assert tools["torchinfo"] == (total("macs", "Conv2d") + total("bias_adds", "Conv2d") + total("params", "Linear")
                                  + total("params", "LayerNorm", "LayerNorm2d"))
    assert tools["fvcore"] == macs - products + 5 * outputs("LayerNorm", "LayerNorm2d") + pool_inputs
    hooks = tools["ptflops_module_hooks"]
    assert hooks["Conv2d"] + hooks["Linear"] == (total("macs", "Conv2d", "Linear")
                                                 + total("bias_adds", "Conv2d", "Linear"))
    assert hooks["LayerNorm"] == outputs("LayerNorm") and hooks.get("LayerNorm2d", 0) == 0
    assert hooks["GELU"] == outputs("GELU")
    attention = sum(row["macs"] + 5 * length * width + VIT_HEADS * length * length
                    for row in attentions for _, length, width in [row["output_shape"][0]])
    assert tools["ptflops_functional"] == attention + outputs("GELU") + pool_inputs
