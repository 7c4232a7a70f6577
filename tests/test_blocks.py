"""Blocks (named groups of layers with arguments) and repeat."""

import json

import pytest

from calc import LayercalcError, analyze, collapse, parse_spec

CONV_BN = """
input: [32, 32, 3]
blocks:
  conv_bn:
    args: [filters, kernel: 3, strides: 1]
    layers:
      - {type: Conv2D, name: conv, filters: $filters, kernel_size: $kernel, strides: $strides, padding: same}
      - {type: BatchNormalization, name: bn}
"""


def report_of(text):
    return analyze(parse_spec(text, "model.yaml"))


def names_and_shapes(report):
    return [(row.name, row.output_shape) for row in report.layers]


def test_block_arguments_and_defaults():
    report = report_of(CONV_BN + "layers:\n  - {type: conv_bn, name: stem, filters: 8, strides: 2}\n")
    assert names_and_shapes(report) == [("stem/conv", (None, 16, 16, 8)), ("stem/bn", (None, 16, 16, 8))]
    # 3x3 default kernel: (3·3·3 + 1)·8 = 224 params; BN 4·8 = 32 (Conv2D and BN rules, Keras-verified).
    assert [row.counts.params for row in report.layers] == [224, 32]


def test_block_is_equivalent_to_its_flat_layers():
    blocks = report_of(CONV_BN + "layers:\n  - {type: conv_bn, filters: 8}\n  - {type: conv_bn, filters: 4, kernel: 1}\n")
    flat = report_of("""
input: [32, 32, 3]
layers:
  - {type: Conv2D, filters: 8, kernel_size: 3, padding: same}
  - {type: BatchNormalization}
  - {type: Conv2D, filters: 4, kernel_size: 1, padding: same}
  - {type: BatchNormalization}
""")
    assert [row.output_shape for row in blocks.layers] == [row.output_shape for row in flat.layers]
    assert blocks.totals == flat.totals
    assert [row.name for row in blocks.layers] == ["conv_bn/conv", "conv_bn/bn", "conv_bn_1/conv", "conv_bn_1/bn"]


def test_repeat_names_copies_and_chains_them():
    report = report_of(CONV_BN + "layers:\n  - {type: conv_bn, name: stage, filters: 8, repeat: 3}\n"
                                 "  - {type: Dense, units: 2, repeat: 2}\n  - {type: Dense, name: fc, units: 2, repeat: 2}\n")
    names = [row.name for row in report.layers]
    assert names == ["stage_1/conv", "stage_1/bn", "stage_2/conv", "stage_2/bn", "stage_3/conv", "stage_3/bn",
                     "dense", "dense_1", "fc_1", "fc_2"]
    assert report.layers[2].inputs == ("stage_1/bn",)
    assert report.layers[8].inputs == ("dense_1",)


def test_nested_blocks_local_references_and_block_inputs():
    report = report_of(CONV_BN + """
  residual:
    args: [filters]
    layers:
      - {type: conv_bn, name: a, filters: $filters}
      - {type: conv_bn, name: b, filters: '${filters}'}
      - {type: Add, name: add, inputs: [input, b]}
layers:
  - {type: conv_bn, name: stem, filters: 16}
  - {type: residual, name: res, filters: 16}
  - {type: Flatten, inputs: [res]}
""")
    rows = {row.name: row for row in report.layers}
    assert rows["res/a/conv"].inputs == ("stem/bn",)
    assert rows["res/add"].inputs == ("stem/bn", "res/b/bn")
    assert rows["flatten"].inputs == ("res/add",)


def test_arithmetic_in_block_arguments():
    report = report_of("""
input: [10]
blocks:
  mlp:
    args: [width, expand: 4]
    layers:
      - {type: Dense, name: up, units: '${width * expand}'}
      - {type: Dense, name: down, units: $width}
layers:
  - {type: mlp, width: 10}
""")
    assert [row.output_shape for row in report.layers] == [(None, 40), (None, 10)]


def test_depth_collapses_blocks_with_their_totals():
    report = report_of(CONV_BN + "layers:\n  - {type: conv_bn, name: stage, filters: 8, repeat: 2}\n"
                                 "  - {type: Flatten}\n")
    collapsed = collapse(report, 1)
    assert [(row.name, row.type) for row in collapsed.layers] == [
        ("stage_1", "conv_bn"), ("stage_2", "conv_bn"), ("flatten", "Flatten")]
    assert collapsed.layers[0].counts.params == 224 + 32
    assert collapsed.layers[1].inputs == ("stage_1",)
    assert collapsed.totals == report.totals and collapsed.is_chain


def test_trainable_false_on_a_block_freezes_its_layers():
    report = report_of(CONV_BN + "layers:\n  - {type: conv_bn, filters: 8, trainable: false}\n")
    assert report.totals.trainable_params == 0 and report.totals.non_trainable_params == 224 + 32


def test_json_reports_the_scope_of_block_layers(cli, write_spec):
    path = write_spec(CONV_BN + "layers:\n  - {type: conv_bn, name: stem, filters: 8}\n")
    layer = json.loads(cli(["summary", path, "-f", "json"]).stdout)["layers"][0]
    assert layer["name"] == "stem/conv" and layer["scope"] == ["stem"]


ERRORS = [
    pytest.param(CONV_BN + "layers:\n  - {type: conv_bn, kernel: 3}\n",
                 "model.yaml:10:5: layer 'conv_bn' (conv_bn): missing required argument 'filters' of block 'conv_bn'",
                 id="missing-argument"),
    pytest.param(CONV_BN + "layers:\n  - {type: conv_bn, filter: 3}\n",
                 "model.yaml:10:21: layer 'conv_bn' (conv_bn): unknown argument 'filter' (did you mean 'filters'?); "
                 "block 'conv_bn' takes: filters, kernel, strides", id="unknown-argument"),
    pytest.param("input: [4]\nblocks:\n  a: {layers: [{type: b}]}\n  b: {layers: [{type: a}]}\nlayers: [{type: a}]\n",
                 "model.yaml:4:23: block 'a' uses itself: a -> b -> a", id="indirect-cycle"),
    pytest.param("input: [4]\nblocks:\n  a: {layers: [{type: Dense, units: 2}, {type: a}]}\nlayers: [{type: a}]\n",
                 "model.yaml:3:48: block 'a' uses itself: a -> a", id="direct-cycle"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: $n}]\n",
                 "model.yaml:2:31: Dense layer: '$n' is a block argument, but this layer is not inside a block",
                 id="argument-outside-block"),
    pytest.param("input: [4]\nblocks:\n  a: {args: [n], layers: [{type: Dense, units: $m}]}\nlayers: [{type: a, n: 2}]\n",
                 "model.yaml:3:48: Dense layer: unknown block argument '$m'; this block takes: n", id="unknown-block-argument"),
    pytest.param("input: [4]\nblocks:\n  a: {layers: [{type: Dense, units: 2, inputs: [x]}]}\nlayers: [{type: a}]\n",
                 "model.yaml:3:48: Dense layer: unknown input 'x'; inside a block, inputs name the "
                 "block's layers or its inputs", id="outside-reference"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 2, repeat: 0}]\n",
                 "model.yaml:2:42: Dense layer: 'repeat' must be a positive integer, found 0", id="bad-repeat"),
]


@pytest.mark.parametrize("text, message", ERRORS)
def test_block_errors(text, message):
    with pytest.raises(LayercalcError) as error:
        report_of(text)
    assert str(error.value) == message


def test_huge_repeat_is_refused_before_any_expansion():
    # 10^15 layers: only counting first, without expanding, can answer this (make bench measures speed).
    text = ("input: [4]\nblocks:\n  a: {layers: [{type: Dense, units: 2, repeat: 1000}]}\n"
            "  b: {layers: [{type: a, repeat: 1000}]}\nlayers: [{type: b, repeat: 1000000000}]\n")
    with pytest.raises(LayercalcError) as error:
        report_of(text)
    assert str(error.value) == ("model.yaml:5:9: the spec expands to 1,000,000,000,000,000 layers, more than "
                                "the limit of 1,000,000 (raise it with max_layers)")  # the CLI says --max-layers
    assert error.value.described({"max_layers": "--max-layers"}).endswith("(raise it with --max-layers)")


def test_references_to_an_output_of_a_block_input_and_of_a_block_instance():
    """`x:1` inside a block (x bound to an unnamed LSTM) and `e:1` for a block instance `e`."""
    report = report_of("""
input: [5, 3]
blocks:
  tail:
    inputs: [x]
    layers:
      - {type: Dense, name: d, units: 2, inputs: ['x:1']}
  enc:
    layers:
      - {type: LSTM, units: 4, return_state: true}
layers:
  - {type: LSTM, units: 4, return_state: true}
  - {type: tail, name: t}
  - {type: enc, name: e, inputs: [input]}
  - {type: Dense, name: h, units: 3, inputs: ['e:2']}
  - {type: Concatenate, inputs: [t, h]}
""")
    rows = {row.name: row for row in report.layers}
    assert rows["t/d"].inputs == ("lstm:1",) and rows["h"].inputs == ("e/lstm:2",)
    # LSTM return_state: [output, h, c], each (None, 4) (Keras-verified rnn rule); Dense 4 -> 2 and 4 -> 3.
    assert rows["t/d"].output_shape == (None, 2) and rows["h"].output_shape == (None, 3)


def test_a_block_output_may_be_a_layers_nth_output():
    """`output: lstm:1`: the block stands for the LSTM's final state h, (None, 4), as a Keras model whose first
    output is that state does (tests/data/keras_models/nested_outputs.json)."""
    from calc import analyze, parse_spec

    spec = parse_spec("""
input: [10, 3]
blocks:
  encoder:
    layers:
      - {type: LSTM, units: 4, return_sequences: true, return_state: true, name: lstm}
    output: lstm:1
layers:
  - {type: encoder, name: e}
  - {type: Dense, units: 2}
""")
    report = analyze(spec)
    assert [(row.name, row.inputs) for row in report.layers] == [("e/lstm", ("input",)), ("dense", ("e/lstm:1",))]
    assert report.layers[1].output_shape == (None, 2)
    assert report.totals.params == 128 + 10  # LSTM 4·4·(3 + 4 + 1); Dense 4·2 + 2
