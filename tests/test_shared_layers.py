"""Shared layers: `{call: name}` applies a layer, or a block instance, again with the same weights.

Keras' figures for the same models: tests/data/keras_models/figures.json (siamese, sequential_twice;
tools/keras_models.py, Keras 3.15.1), whose model.summary() shows one row per layer, connected to
every call's inputs, with its last call's output shape and its parameters once.
"""

import json

import calc
from calc.readers import parse_spec
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "keras_models"

SIAMESE = """\
name: siamese
inputs: {left: [10], right: [10]}
layers:
  - {type: Dense, units: 16, activation: relu, name: hidden, inputs: left}
  - {type: Dense, units: 8, name: encoding}
  - {call: hidden, inputs: right}
  - {call: encoding}
  - {type: Concatenate, inputs: [encoding, encoding@1]}
  - {type: Dense, units: 1, activation: sigmoid, name: same}
"""

SEQUENTIAL_TWICE = """\
name: sequential_twice
inputs: {a: [10], b: [10]}
blocks:
  encoder:
    layers:
      - {type: Dense, units: 8, activation: relu, name: dense}
      - {type: BatchNormalization, name: batch_normalization}
      - {type: Dense, units: 4, name: dense_1}
layers:
  - {type: encoder, name: encoder, inputs: a}
  - {call: encoder, inputs: b}
  - {type: Subtract, inputs: [encoder, encoder@1]}
  - {type: Dense, units: 1, name: out}
"""


def rows(report):
    return [(row.name, row.output_shape, row.counts.params, row.counts.macs, row.shared_with, row.call)
            for row in report.layers]


def test_each_call_has_a_row_and_the_weights_count_once():
    report = calc.summarize(parse_spec(SIAMESE))
    assert rows(report) == [
        ("hidden", (None, 16), 176, 160, None, 0),
        ("encoding", (None, 8), 136, 128, None, 0),
        ("hidden@1", (None, 16), 0, 160, "hidden", 1),
        ("encoding@1", (None, 8), 0, 128, "encoding", 1),
        ("concatenate", (None, 16), 0, 0, None, 0),
        ("same", (None, 1), 17, 16, None, 0),
    ]
    assert report.totals.params == 329  # Keras: model.count_params()
    assert report.totals.macs == 2 * 160 + 2 * 128 + 16  # each call computes
    data = report.to_dict()
    assert data["layers"][2]["shared_with"] == "hidden" and data["layers"][2]["call"] == 1
    assert "shared_with" not in data["layers"][0]
    assert sum(row["params"] for row in data["layers"]) == data["totals"]["params"]


def test_the_text_formats_show_a_layer_once_as_keras_summary_does(cli, write_spec):
    result = cli(["summary", write_spec(SIAMESE)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[4:13] == [
        " left (InputLayer)           (None, 10)           0      0   -",
        " right (InputLayer)          (None, 10)           0      0   -",
        " hidden (Dense)              (None, 16)         176    320   left",
        "                                                             right",
        " encoding (Dense)            (None, 8)          136    256   hidden",
        "                                                             hidden@1",
        " concatenate (Concatenate)   (None, 16)           0      0   encoding",
        "                                                             encoding@1",
        " same (Dense)                (None, 1)           17     16   concatenate",
    ]
    csv = cli(["summary", write_spec(SIAMESE), "--format", "csv"]).stdout
    assert [line.split(",")[0] for line in csv.splitlines()[1:]] == ["left", "right", "hidden", "encoding",
                                                                   "concatenate", "same", "TOTAL"]


def test_the_last_call_gives_the_output_shape_as_in_keras():
    """Keras' summary prints a layer's last call's output shape (tied_embedding: embed (None, 20, 16))."""
    spec = parse_spec("inputs: {q: {shape: [12], dtype: int32}, a: {shape: [20], dtype: int32}}\nlayers:\n"
                      "  - {type: Embedding, input_dim: 100, output_dim: 16, name: embed, inputs: q}\n"
                      "  - {call: embed, inputs: a}\n"
                      "  - {type: Concatenate, axis: 1, inputs: [embed, embed@1]}\n")
    merged = calc.summarize(spec, merge_calls=True)
    assert [(row.name, row.output_shape, row.counts.params, row.inputs) for row in merged.layers][0] == (
        "embed", (None, 20, 16), 1600, ("q", "a"))
    assert merged.totals == calc.summarize(spec).totals


def test_a_block_instance_called_twice(cli, write_spec):
    report = calc.summarize(parse_spec(SEQUENTIAL_TWICE))
    assert [(row.name, row.counts.params, row.shared_with) for row in report.layers] == [
        ("encoder/dense", 88, None), ("encoder/batch_normalization", 32, None), ("encoder/dense_1", 36, None),
        ("encoder@1/dense", 0, "encoder/dense"), ("encoder@1/batch_normalization", 0, "encoder/batch_normalization"),
        ("encoder@1/dense_1", 0, "encoder/dense_1"), ("subtract", 0, None), ("out", 5, None)]
    # Keras: Total params: 161, Trainable params: 145, Non-trainable params: 16
    assert (report.totals.params, report.totals.trainable_params, report.totals.non_trainable_params) == (161, 145, 16)
    collapsed = calc.summarize(parse_spec(SEQUENTIAL_TWICE), depth=1)
    assert rows(collapsed)[:2] == [("encoder", (None, 4), 156, 112, None, 0),
                                   ("encoder@1", (None, 4), 0, 112, "encoder", 1)]
    # As Keras' summary: encoder (Sequential) (None, 4) 156, connected to a[0][0], b[0][0]
    merged = calc.summarize(parse_spec(SEQUENTIAL_TWICE), depth=1, merge_calls=True)
    assert [(row.name, row.counts.params, row.counts.macs, row.inputs) for row in merged.layers] == [
        ("encoder", 156, 224, ("a", "b")), ("subtract", 0, 0, ("encoder", "encoder@1")), ("out", 5, 4, ("subtract",))]
    result = cli(["summary", write_spec(SEQUENTIAL_TWICE), "--depth", "1", "--format", "json"])
    assert [row["name"] for row in json.loads(result.stdout)["layers"]] == ["encoder", "encoder@1", "subtract", "out"]


def test_named_calls_and_calls_inside_blocks():
    spec = parse_spec("input: [8]\nblocks:\n  twice:\n    layers:\n      - {type: Dense, units: 8, name: d}\n"
                      "      - {call: d, name: again}\n"
                      "layers:\n  - {type: twice, name: t}\n  - {call: t, name: u}\n")
    report = calc.summarize(spec)
    assert [(row.name, row.inputs, row.counts.params, row.shared_with) for row in report.layers] == [
        ("t/d", ("input",), 72, None), ("t/again", ("t/d",), 0, "t/d"),
        ("u/d", ("t/again",), 0, "t/d"), ("u/again", ("u/d",), 0, "t/d")]
    assert report.totals.macs == 4 * 64


def test_readme_shows_the_siamese_spec_and_what_it_prints(cli, write_spec):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Shared layers", 1)[1].split("\n## ", 1)[0]
    spec = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert calc.summarize(parse_spec(spec)).to_dict() == calc.summarize(parse_spec(SIAMESE)).to_dict()
    table = re.search(r"```\n( Layer \(type\).*?)```", section, re.S).group(1)
    printed = cli(["summary", write_spec(spec)]).stdout
    assert [line.rstrip() for line in printed.splitlines()[2:]] == table.splitlines() + [""]


TIED_HEAD = """\
name: tied_head
inputs: {tokens: {shape: [5], dtype: int32}}
layers:
  - {type: ReversibleEmbedding, name: embed, input_dim: 100, output_dim: 8}
  - {type: Dense, units: 8, activation: relu, name: hidden}
  - {call: embed, reverse: true}
"""


def test_reverse_call_is_the_tied_head_keras_builds(tmp_path):
    """ReversibleEmbedding.call(x, reverse=True): logits x·Eᵀ of shape (..., input_dim), the embeddings
    counted once (tests/data/keras_models/figures.json: tied_head, 872 params, embed's calls (None, 5, 8)
    and (None, 5, 100)); MACs 5 rows · 8 · 100."""
    path = tmp_path / "tied_head.yaml"
    path.write_text(TIED_HEAD, encoding="utf-8")
    report = calc.summarize(path)
    keras = json.loads((DATA / "figures.json").read_text(encoding="utf-8"))["models"]["tied_head"]
    assert report.totals.params == keras["totals"]["params"] == 872
    calls = next(row["call_output_shapes"] for row in keras["summary_rows"] if row["name"] == "embed")
    head = report.layers[-1]
    assert (head.name, head.shared_with, [*report.layers[0].output_shapes[0]], [*head.output_shapes[0]]) == (
        "embed@1", "embed", calls[0], calls[1])
    assert (head.counts.params, head.counts.macs) == (0, 5 * 8 * 100)


def test_reverse_call_with_untied_reverse_embeddings_counts_them_once(tmp_path):
    path = tmp_path / "untied.yaml"
    path.write_text(TIED_HEAD.replace("output_dim: 8}", "output_dim: 8, tie_weights: false}"), encoding="utf-8")
    report = calc.summarize(path)
    assert [row.counts.params for row in report.layers] == [1600, 72, 0]


def test_a_call_argument_the_layer_does_not_take_is_refused(cli, write_spec):
    result = cli(["summary", write_spec(TIED_HEAD.replace("reverse: true", "revers: true"))])
    assert (result.exit_code, result.stderr) == (2, (
        "model.yaml:6:19: layer 'embed@1' (ReversibleEmbedding): a call of ReversibleEmbedding takes only the call "
        "arguments reverse, found 'revers' (did you mean 'reverse'?): it applies the layer as it is, with the same "
        "arguments and weights\n"))


def test_a_reverse_call_needs_vectors_of_output_dim(cli, write_spec):
    result = cli(["summary", write_spec(TIED_HEAD.replace("units: 8,", "units: 6,"))])
    assert (result.exit_code, result.stderr) == (2, (
        "model.yaml:6:5: layer 'embed@1' (ReversibleEmbedding): the reverse call needs vectors of output_dim 8, "
        "found last axis 6 in input (None, 5, 6)\n"))


def test_a_call_of_a_block_instance_takes_no_arguments(cli, write_spec):
    result = cli(["summary", write_spec(SEQUENTIAL_TWICE.replace("{call: encoder, inputs: b}",
                                                                 "{call: encoder, inputs: b, reverse: true}"))])
    assert (result.exit_code, result.stderr) == (2, (
        "model.yaml:11:32: a call of a block instance takes no arguments, found 'reverse': it "
        "applies 'encoder' as it is, with the same arguments and weights\n"))


def test_a_soft_capped_reverse_call_counts_three_operations_a_logit(tmp_path):
    path = tmp_path / "capped.yaml"
    path.write_text(TIED_HEAD.replace("output_dim: 8}", "output_dim: 8, logit_soft_cap: 30.0}"), encoding="utf-8")
    head = calc.summarize(path, flops=True, count_elementwise=True).layers[-1]
    assert head.costs.elementwise_ops == 3 * 5 * 100
