"""Every torch rule against figures real PyTorch produced.

tests/data/torch_rule_cases/<family>.yaml list single-module cases; tools/torch_reference.py built each with
torch 2.14.1 (a forward pass on zeros, in eval mode) and recorded its output shape, parameters (trainable or
not) and buffer elements, or the error torch raised, in tests/data/torch/rule_cases/<family>.json.  Where
torch raises, layercalc must refuse with a clear error (exit code 2 on the command line), never a number.
"""

import json
from pathlib import Path

import pytest

from calc import LayercalcError, analyze, parse_spec, rules

DATA = Path(__file__).resolve().parent / "data" / "torch" / "rule_cases"
CASES = [case for path in sorted(DATA.glob("*.json")) for case in json.loads(path.read_text())["cases"]]


def torch_spec(case: dict) -> str:
    """The case as a torch spec of one layer, with the batch the tool ran (JSON is YAML)."""
    layer = {"type": case["type"], **case["args"], "trainable": case.get("trainable", True)}
    dtype = case.get("dtype", "float32")
    shapes = case["inputs"] if "inputs" in case else [case["input"]]
    spec = {"framework": "torch", "batch": case["batch"],
            "inputs": {f"in{index}": {"shape": shape, "dtype": dtype} for index, shape in enumerate(shapes)},
            "layers": [{**layer, "inputs": [f"in{index}" for index in range(len(shapes))]}]}
    return json.dumps(spec)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_rule_matches_torch(case):
    if "error" in case:
        with pytest.raises(LayercalcError):
            analyze(parse_spec(torch_spec(case)))
        return
    row = analyze(parse_spec(torch_spec(case))).layers[0]
    assert json.loads(json.dumps(row.output_shape)) == case["output_shape"], case["id"]
    for column in ("params", "trainable_params", "non_trainable_params", "buffers"):
        assert getattr(row.counts, column) == case[column], (case["id"], column)


def test_every_torch_type_has_a_case():
    assert not sorted(set(rules.load_all("torch")) - {case["type"] for case in CASES})


# Two errors torch raises, which the command line refuses with one line and exit code 2: a Conv2d built for 3
# channels on 4 (RuntimeError: expected input to have 3 channels), and ViT's pos_embedding (1, 197, 768) added
# to 196 tokens (RuntimeError: The size of tensor a (196) must match the size of tensor b (197) at
# non-singleton dimension 1; torchvision.json, parameter-mismatch).
REFUSED = {
    "conv2d-channels": ("input: [4, 8, 8]", "{type: Conv2d, in_channels: 3, out_channels: 8, kernel_size: 3}",
                        "4:33: layer 'conv2d' (Conv2d): in_channels is 3, but input [None, 4, 8, 8] has 4 channels"),
    "parameter-mismatch": ("input: [196, 768]", "{type: Parameter, name: pos_embedding, shape: [1, 197, 768], op: add}",
                           "4:5: layer 'pos_embedding' (Parameter): the shapes (None, 196, 768) and (1, 197, 768) do "
                           "not broadcast"),
}


@pytest.mark.parametrize("case_id", sorted(REFUSED))
def test_a_torch_error_exits_2_with_one_line(cli, tmp_path, case_id):
    given, layer, message = REFUSED[case_id]
    spec = tmp_path / "model.yaml"
    spec.write_text(f"framework: torch\n{given}\nlayers:\n  - {layer}\n")
    result = cli(["summary", spec])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"{spec}:{message}\n"


# MACs under the Keras rules' conventions (README, How MACs are counted), each written as its derivation
# for one example of the case's input: the batch axis excluded, bias additions not counted.
MACS = {
    "conv2d-resnet-stem": 112 * 112 * 64 * (7 * 7 * 3),  # output elements · K·K · C_in
    "conv2d-depthwise": 28 * 28 * 32 * (3 * 3 * 1),  # groups = channels: one input channel per output
    "convtranspose2d-unet": 14 * 14 * 64 * (2 * 2) * 32,  # input elements · K·K · C_out
    "linear-3d": 197 * 768 * 64,  # every position of an N-D input
    "bilinear-basic": 3 * 4 * (6 + 1),  # out · in1 · (in2 + 1): x1ᵀ·A_k, then the product with x2
    "matmul-heads": 4 * 10 * 10 * 16,  # output elements · the contracted size
    "lstm-basic": 12 * 4 * 32 * (16 + 32),  # steps · gates·H · (H_in + H)
    "lstm-proj": 9 * (4 * 16 * (8 + 4) + 4 * 16),  # steps · (gates·H·(H_in + proj) + proj·H)
    "mha-self-batch-first": 10 * 2 * 64 * 64 + 10 * 128 * 64 + 10 * 10 * 2 * 64,  # q, out; k, v; scores, sum
    "mha-cross-kdim-vdim": 5 * 2 * 16 * 16 + 9 * (12 + 20) * 16 + 5 * 9 * 2 * 16,
    "encoder-layer-post-norm": 10 * 4 * 64 * 64 + 10 * 10 * 2 * 64 + 2 * 10 * 64 * 128,  # attention + FFN
    "adaptiveavgpool2d-global": 0,  # additions are elementwise operations, not MACs
}


@pytest.mark.parametrize("case_id", sorted(MACS))
def test_torch_macs_follow_the_keras_conventions(case_id):
    case = next(case for case in CASES if case["id"] == case_id)
    assert analyze(parse_spec(torch_spec(case))).layers[0].counts.macs == MACS[case_id]

