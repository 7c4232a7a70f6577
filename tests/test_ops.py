"""Keras operations in specs (the ops family): what the rule cases' shapes and counts do not show.

The shapes and errors of every operation are checked against Keras in tests/test_rules.py
(tests/data/keras/rule_cases/ops.json, written by tools/keras_reference.py with Keras 3.15.1)."""

import json

from calc import analyze, parse_spec


def row(text, name):
    return next(layer for layer in analyze(parse_spec(text)).layers if layer.name == name)


def test_matmul_and_einsum_macs_are_output_elements_times_the_contracted_size():
    text = """
inputs: {a: [4, 6], b: [6, 3]}
batch: 8
layers:
  - {type: ops.matmul, inputs: [a, b], name: product}
  - {type: ops.einsum, subscripts: "bij,bjk->bik", inputs: [a, b], name: summed}
  - {type: ops.einsum, subscripts: "bij,bij->bij", inputs: [a, a], name: elementwise}
  - {type: Concatenate, inputs: [product, summed]}
  - {type: Flatten, inputs: [elementwise], name: flat}
outputs: [concatenate, flat]
"""
    # (4, 6)·(6, 3) per example: 4·3 outputs, each a sum of 6 products = 72 (as Dot counts them)
    assert row(text, "product").counts.macs == 4 * 3 * 6
    assert row(text, "summed").counts.macs == 4 * 3 * 6
    assert row(text, "elementwise").counts.macs == 4 * 6  # nothing contracted: one product per output element


def test_operations_have_no_weights_and_count_elementwise_operations(cli, tmp_path):
    spec = tmp_path / "model.yaml"
    spec.write_text("""
input: [4, 6]
layers:
  - {type: ops.add, x2: 3.0}
  - {type: ops.mean, axis: 1, keepdims: true}
  - {type: ops.reshape, newshape: [-1, 6]}
""")
    result = cli(["summary", str(spec), "--format", "json", "--count-elementwise"])
    assert result.exit_code == 0, result.stderr
    layers = json.loads(result.stdout)["layers"]
    assert [(layer["type"], layer["output_shape"], layer["params"], layer["elementwise_ops"]) for layer in layers] == [
        ("ops.add", [None, 4, 6], 0, 24),  # one addition per output element
        ("ops.mean", [None, 1, 6], 0, 24),  # one accumulation per input element
        ("ops.reshape", [None, 6], 0, 0),  # moves data only
    ]


def test_a_scalar_result_is_refused(cli, tmp_path):
    """Keras gives ops.mean(x) the shape (); layercalc's figures are per example, along the batch axis."""
    spec = tmp_path / "model.yaml"
    spec.write_text("input: [4, 6]\nlayers:\n  - {type: ops.mean}\n")
    result = cli(["summary", str(spec)])
    assert result.exit_code == 2
    assert result.stderr == (f"{spec}:3:5: layer 'mean' (ops.mean): the result is a scalar, without even the batch "
                             "axis, which layercalc's figures are counted along (keep an axis: keepdims: true, or "
                             "reduce other axes than 0)\n")


def test_a_binary_operation_needs_two_operands(cli, tmp_path):
    spec = tmp_path / "model.yaml"
    spec.write_text("input: [4, 6]\nlayers:\n  - {type: ops.add}\n")
    result = cli(["summary", str(spec)])
    assert result.exit_code == 2
    assert result.stderr == (f"{spec}:3:5: layer 'add' (ops.add): takes two operands, found 1 input tensor and no "
                             "number: give two inputs, or one and a number as x1 or x2\n")


def test_an_unknown_operation_names_the_closest():
    from calc import LayercalcError
    import pytest

    with pytest.raises(LayercalcError, match=r"unknown layer type 'ops.sqr' \(did you mean 'ops.sqrt'\?\)"):
        analyze(parse_spec("input: [4]\nlayers:\n  - {type: ops.sqr}\n"))
