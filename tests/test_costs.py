"""FLOPs, bias additions, elementwise operations, memory and receptive fields (calc/costs.py), each
formula against its source: hand-derived figures (tests/data/costs/layers.yaml, with their arithmetic),
real Keras (tests/data/keras/receptive_fields.json, by tools/keras_receptive_fields.py), and the
receptive-field table of Araujo et al.'s library (google-research/receptive_field,
RECEPTIVE_FIELD_TABLE.md: TF-Slim models, computed as in "Computing Receptive Fields of Convolutional
Neural Networks", Distill 2019)."""

import csv
import io
import json
from math import ceil, floor

import pytest
import yaml

from calc import collapse, load_spec, parse_spec, summarize
from calc import rules
from tests.conftest import KERAS_DATA, ROOT, SPECS, single_layer_spec
from tests.test_rules import keras_types

CASES = yaml.safe_load((ROOT / "tests" / "data" / "costs" / "layers.yaml").read_text())
FIELD_CASES = yaml.safe_load((ROOT / "tests" / "data" / "receptive_fields" / "cases.yaml").read_text())
KERAS_FIELDS = json.loads((KERAS_DATA / "receptive_fields.json").read_text())["cases"]
SEED = ROOT / "specs" / "seed_conv.yaml"


def costed(spec, **options):
    """The report of a Spec (or spec text) with its costs."""
    return summarize(parse_spec(spec) if isinstance(spec, str) else spec, costs=True, **options)


def layer(report, name):
    return next(row for row in report.layers if row.name == name)


# -- bias additions and elementwise operations, per layer --------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_bias_adds_and_elementwise_operations(case):
    row = costed(single_layer_spec(case)).layers[0]
    assert (row.costs.bias_adds, row.costs.elementwise_ops) == (case["bias_adds"], case["elementwise"]), case["why"]


def test_every_keras_rule_case_has_costs():
    """Every registered type, on every input Keras accepted: the cost rules run and give counts."""
    cases = [case for path in sorted((KERAS_DATA / "rule_cases").glob("*.json"))
             for case in json.loads(path.read_text())["cases"] if "error" not in case]
    # RNN's cells run only inside an RNN (Keras refuses them alone): their costs are the rnn-* cases'.
    cells = {"SimpleRNNCell", "GRUCell", "LSTMCell", "StackedRNNCells"}
    assert {rules.ALIASES.get(case["type"], case["type"]) for case in cases} == keras_types() - cells
    assert all(any(cell in json.dumps(case["args"]) for case in cases if case["type"] == "RNN") for cell in cells)
    for case in cases:
        row = costed(single_layer_spec(case)).layers[0]
        for value in (row.costs.flops, row.costs.bias_adds, row.costs.elementwise_ops):
            assert value is None or (isinstance(value, int) and value >= 0), case["id"]
        macs = row.counts.macs  # the default convention: FLOPs = 2 × MACs, nothing else counted
        assert row.costs.flops == (None if macs is None else 2 * macs), case["id"]


# -- FLOPs under each convention: the seed Conv2D(16, 5×5) on 300×300×3 (README worked example) ----------


@pytest.mark.parametrize("options, flops", [
    ({}, 210_278_400),  # 2 · 105,139,200 MACs
    ({"count_bias": True}, 211_680_256),  # + 296·296·16 = 1,401,856 bias additions
    ({"count_bias": True, "count_elementwise": True}, 211_680_256),  # no activation: nothing elementwise
    ({"count_bias": True, "per_batch": True}, 64 * 211_680_256),  # the seed's batch of 64
])
def test_seed_flops_under_each_convention(options, flops):
    report = costed(load_spec(str(SEED)), **options)
    assert report.layers[0].costs.flops == report.costs.totals.flops == flops


def test_seed_with_relu_counts_it_as_elementwise():
    spec = "input: [300, 300, 3]\nlayers: [{type: Conv2D, filters: 16, kernel_size: 5, activation: relu}]\n"
    assert costed(spec, count_bias=True, count_elementwise=True).costs.totals.flops == 211_680_256 + 1_401_856


def test_vgg16_flops_as_tf_profiler_counts_them():
    """RECEPTIVE_FIELD_TABLE.md gives 30.713 billion FLOPs for vgg_16/pool5 at 224 (tf.profiler: 2 per
    multiply-add, bias additions, pooling as window elements per output; ReLU not counted)."""
    report = costed(load_spec(str(ROOT / "specs" / "vgg16.yaml")))
    features = report.layers[:[row.name for row in report.layers].index("block5/pool") + 1]
    flops = sum(2 * row.counts.macs + row.costs.bias_adds for row in features)
    flops += sum(row.costs.elementwise_ops for row in features if row.type == "MaxPooling2D")
    assert flops == 30_712_930_304 and round(flops / 1e9, 3) == 30.713


def test_reference_macs_explained_in_readme():
    resnet = costed(load_spec(str(ROOT / "specs" / "resnet50.yaml")))
    convs = sum(row.counts.macs for row in resnet.layers if row.type == "Conv2D")
    assert (resnet.totals.macs, convs, layer(resnet, "predictions").counts.macs) == (
        3_857_973_248, 3_855_925_248, 2_048_000)
    assert sum(row.type == "Conv2D" for row in resnet.layers) == 53  # 49 in the paths + 4 projection shortcuts
    vgg = costed(load_spec(str(ROOT / "specs" / "vgg16.yaml")))
    convs = sum(row.counts.macs for row in vgg.layers if row.type == "Conv2D")
    assert (vgg.totals.macs, convs) == (15_470_264_320, 15_346_630_656)  # + fc 102,760,448 + 16,777,216 + 4,096,000


# -- memory ------------------------------------------------------------------------------------------

DAG = """
input: [4]
layers:
  - {type: Dense, name: a, units: 8}
  - {type: Dense, name: b, units: 2}
  - {type: Dense, name: c, inputs: a, units: 16}
  - {type: Concatenate, name: d, inputs: [b, c]}
"""


def test_memory_of_a_small_dag_by_hand():
    # float32, batch unknown (one example). Alive while each layer runs, outputs freed after their last use:
    # a: input 16 + a 32 = 48 (input freed); b: 32 + 8 = 40; c: 40 + 64 = 104 (a freed); d: 72 + 72 = 144.
    memory = costed(DAG).costs.memory
    assert (memory.inference_peak, memory.peak_layer) == (144, "d")
    assert memory.parameters == 4 * (40 + 18 + 144) == 808
    assert memory.activations == 16 + 32 + 8 + 64 + 72
    assert memory.inference == 808 + 144
    assert (memory.gradients, memory.optimizer_state, memory.training) == (808, 1616, 808 * 4 + 192)  # adam


@pytest.mark.parametrize("options, parameters, training", [
    ({"dtype": "float16"}, 404, 404 * 4 + 96),
    ({"dtype": "int8", "optimizer": "sgd"}, 202, 202 * 2 + 48),
    ({"optimizer": "momentum"}, 808, 808 * 3 + 192),
])
def test_memory_follows_dtype_and_optimizer(options, parameters, training):
    memory = costed(DAG, **options).costs.memory
    assert (memory.parameters, memory.training) == (parameters, training)


def test_memory_includes_a_known_batch_and_stays_symbolic_for_a_symbolic_one():
    assert costed("batch: 10\n" + DAG).costs.memory.inference_peak == 1440
    memory = costed("batch: N\n" + DAG).costs.memory
    assert (str(memory.inference_peak), memory.peak_layer, str(memory.activations)) == ("144*N", "d", "192*N")


def test_non_trainable_parameters_have_no_gradients():
    memory = costed(load_spec(str(ROOT / "specs" / "resnet50.yaml"))).costs.memory
    assert memory.parameters == 4 * 25_636_712 and memory.gradients == 4 * 25_583_592  # BN statistics: no gradient


def test_integer_inputs_keep_their_size():
    spec = "inputs: {ids: {shape: [10], dtype: int32}}\nlayers: [{type: Embedding, input_dim: 50, output_dim: 4}]\n"
    assert costed(spec, dtype="float16").costs.input_bytes == (40,)


# -- receptive fields ---------------------------------------------------------------------------------


def field(report, name):
    return layer(report, name).costs.receptive_field


@pytest.mark.parametrize("case", FIELD_CASES, ids=[case["id"] for case in FIELD_CASES])
def test_receptive_field_matches_keras_gradients(case):
    """Where an output position's field lies inside the input, Keras' non-zero gradients span exactly
    start + o·jump ... + size - 1.  Through transposed convolutions and upsampling (fractional jumps) the
    fields are not evenly spaced: each lies within that span widened to whole positions, the widest
    spans `size` positions."""
    spec = parse_spec(yaml.safe_dump(case["spec"]))
    result = costed(spec).layers[-1].costs.receptive_field
    keras_axes = KERAS_FIELDS[case["id"]]
    exact = not any(word in case["id"] for word in ("transposed", "upsample"))
    assert [str(axis) for axis in result.axes] == list(keras_axes)
    for axis, size, jump, start in zip(result.axes, result.size, result.jump, result.start):
        length = spec.inputs[0].shape[axis - 1]
        inside = [(first, last, start + o * jump) for o, first, last in keras_axes[str(axis)]
                  if start + o * jump >= 0 and start + o * jump + size - 1 <= length - 1]
        assert len(inside) >= 3
        if exact:
            assert all((first, last) == (begin, begin + size - 1) for first, last, begin in inside)
        else:
            assert all(floor(begin) <= first and last <= ceil(begin + size - 1) for first, last, begin in inside)
            assert max(last - first + 1 for first, last, _ in inside) == size


# (end-point, receptive field, effective stride, effective padding = -start), RECEPTIVE_FIELD_TABLE.md
VGG16 = [("block1/conv1", 3, 1, 1), ("block1/pool", 6, 2, 2), ("block2/conv1", 10, 2, 4), ("block2/pool", 16, 4, 6),
         ("block3/conv1", 24, 4, 10), ("block3/conv2", 32, 4, 14), ("block3/pool", 44, 8, 18),
         ("block4/conv1", 60, 8, 26), ("block4/conv2", 76, 8, 34), ("block4/pool", 100, 16, 42),
         ("block5/conv1", 132, 16, 58), ("block5/conv2", 164, 16, 74), ("block5/conv3", 196, 16, 90),
         ("block5/pool", 212, 32, 90)]
# Keras' InceptionV3 is TF-Slim's inception_v3 layer for layer: mixed0..mixed10 are Mixed_5b..Mixed_7c.
INCEPTION_V3 = [("mixed0/concat", 63, 8, 18), ("mixed1/concat", 95, 8, 34), ("mixed2/concat", 127, 8, 50),
                ("mixed3/concat", 159, 16, 58), ("mixed4/concat", 351, 16, 154), ("mixed5/concat", 543, 16, 250),
                ("mixed6/concat", 735, 16, 346), ("mixed7/concat", 927, 16, 442), ("mixed8/concat", 1055, 32, 490),
                ("mixed9/concat", 1183, 32, 554), ("mixed10/concat", 1311, 32, 618)]
# ResNet-50: the sizes of resnet_v1_50/block1..4 (35, 99, 291, 483). TF-Slim strides the last unit of a
# block where Keras strides the first, so its jumps after block1..3 are 8, 16, 32 where Keras' are 4, 8,
# 16; and its max pooling pads 'same' (nothing before) where Keras pads 1: its padding at block4 is 239.
RESNET50 = [("conv2_block3/out", 35, 4, 17), ("conv3_block4/out", 99, 8, 49), ("conv4_block6/out", 291, 16, 145),
            ("conv5_block3/out", 483, 32, 241)]


@pytest.mark.parametrize("spec, endpoints", [("vgg16", VGG16), ("inception_v3", INCEPTION_V3), ("resnet50", RESNET50)])
def test_receptive_fields_of_reference_models(spec, endpoints):
    report = costed(load_spec(str(ROOT / "specs" / f"{spec}.yaml")))
    for name, size, jump, padding in endpoints:
        assert field(report, name).as_dict() == {"axes": [1, 2], "size": [size] * 2, "jump": [jump] * 2,
                                                 "start": [-padding] * 2}, name


def test_flatten_dense_and_global_pooling_end_the_field():
    vgg = costed(load_spec(str(ROOT / "specs" / "vgg16.yaml")))
    assert [field(vgg, name) for name in ("flatten", "fc1")] == [None, None]
    resnet = costed(load_spec(str(ROOT / "specs" / "resnet50.yaml")))
    assert field(resnet, "avg_pool") is None
    assert costed(DAG).costs.totals.receptive_field is None
    assert all(row.costs.receptive_field is None for row in costed(DAG).layers)  # no spatial layer


def test_merged_paths_flag_different_jumps_and_global_inputs():
    spec = """
input: [20, 1]
layers:
  - {type: Conv1D, name: fine, filters: 1, kernel_size: 3}
  - {type: Conv1D, name: coarse, inputs: input, filters: 1, kernel_size: 3, strides: 2}
  - {type: Concatenate, name: joined, axis: 1, inputs: [fine, coarse]}
"""
    joined = field(costed(spec), "joined")
    assert (joined.size, joined.jump, joined.jumps_differ, joined.includes_global) == ((3,), (1,), True, False)
    efficientnet = costed(load_spec(str(ROOT / "specs" / "efficientnet_b0.yaml")))
    excite = field(efficientnet, "block2a/se/excite")  # x · a vector from global average pooling
    assert excite.includes_global and field(efficientnet, "block1a/dwconv").includes_global is False


def test_channels_first_gives_the_same_field():
    def last(data_format, shape):
        spec = {"input": shape, "layers": [
            {"type": "Conv2D", "filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
             "data_format": data_format},
            {"type": "MaxPooling2D", "data_format": data_format}]}
        return costed(json.dumps(spec)).layers[-1].costs.receptive_field

    first, last_ = last("channels_first", [3, 17, 16]), last("channels_last", [17, 16, 3])
    assert (first.axes, last_.axes) == ((2, 3), (1, 2))
    assert (first.size, first.jump, first.start) == (last_.size, last_.jump, last_.start) == ((5, 5), (4, 4), (-1, 0))


def test_symbolic_and_unknown_sizes():
    spec = "input: [H, 3]\nlayers: [{type: Conv1D, filters: 1, kernel_size: 3, padding: same}, " \
           "{type: Conv1D, filters: 1, kernel_size: 3, strides: 2, padding: same}]\n"
    result = costed(spec).layers[-1].costs.receptive_field
    # the strided same-padded conv pads (2·ceil(H/2) + 1 - H) // 2 before: 0 for an even H, 1 for an odd one
    assert (result.size, result.jump, str(result.start[0])) == ((5,), (2,), "H - 2*((H + 1) // 2) - 1")
    unknown = costed(spec.replace("[H, 3]", "[null, 3]")).layers[-1].costs.receptive_field
    assert (unknown.size, unknown.jump, unknown.start) == ((5,), (2,), (None,))


def test_time_distributed_and_embedding_keep_the_field():
    spec = """
inputs: {ids: {shape: [20], dtype: int32}}
layers:
  - {type: Embedding, input_dim: 100, output_dim: 8}
  - {type: Conv1D, filters: 4, kernel_size: 5}
  - {type: Conv1D, filters: 4, kernel_size: 3, dilation_rate: 2}
"""
    assert field(costed(spec), "conv1d_1").size == (9,)  # 5 ids, then 2 more dilated taps of 2
    spec = ("input: [4, 16, 16, 3]\n"
            "layers: [{type: TimeDistributed, layer: {type: Conv2D, filters: 2, kernel_size: 3}}]\n")
    result = costed(spec).layers[0].costs.receptive_field
    assert (result.axes, result.size) == ((2, 3), (3, 3))


def test_collapsed_blocks_sum_their_costs_and_keep_their_output_field():
    full = costed(load_spec(str(ROOT / "specs" / "resnet50.yaml")))
    block = layer(collapse(full, 1), "conv5_block3")
    members = [row for row in full.layers if row.scope[:1] == ("conv5_block3",)]
    assert block.costs.flops == sum(row.costs.flops for row in members)
    assert block.costs.activation_bytes == sum(row.costs.activation_bytes for row in members)
    assert block.costs.receptive_field == field(full, "conv5_block3/out")


# -- the command line -----------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_cost_columns_sum_to_their_totals(cli, spec):
    report = json.loads(cli(["summary", spec, "--format", "json"]).stdout)
    for column in ("flops", "bias_adds", "elementwise_ops", "activation_bytes"):
        values = [layer[column] for layer in report["layers"]]
        if all(isinstance(value, int) for value in values):
            assert sum(values) == report["totals"][column], column
    memory = report["memory"]
    if isinstance(memory["training"], int):
        assert memory["training"] == (memory["parameters"] + memory["gradients"] + memory["optimizer_state"]
                                      + memory["activations"] + memory.get("attention_saved", 0))
        assert memory["activations"] == report["totals"]["activation_bytes"] + sum(
            item["activation_bytes"] for item in report["inputs"])
    attention = [layer for layer in report["layers"] if "saved_bytes" in layer]
    assert ("attention_saved" in memory) == bool(attention)
    for column, total in (("saved_bytes", "attention_saved"), ("kv_cache_bytes", "kv_cache")):
        values = [layer[column] for layer in attention]
        if attention and all(isinstance(value, int) for value in values):
            assert sum(values) == memory[total], column


def test_json_states_its_conventions(cli):
    report = json.loads(cli(["summary", SEED, "-f", "json", "--count-bias", "--per-batch", "--dtype", "float16",
                             "--optimizer", "sgd"]).stdout)
    assert report["conventions"] == {
        "macs": "multiply-accumulates, bias additions excluded", "flops": "2*macs + bias_adds", "per": "batch",
        "batch": 64, "activations": "whole batch", "dtype": "float16", "bytes_per_element": 2, "optimizer": "sgd",
        "optimizer_slots": 0,
        "inference_peak": "outputs freed after their last consumer, layers run in the report's order"}
    seed = report["layers"][0]
    assert (seed["macs"], seed["flops"], seed["bias_adds"]) == (64 * 105_139_200, 64 * 211_680_256, 64 * 1_401_856)
    assert seed["receptive_field"] == {"axes": [1, 2], "size": [5, 5], "jump": [1, 1], "start": [0, 0]}
    assert report["memory"]["parameters"] == 2 * 1216
    assert report["inputs"][0]["activation_bytes"] == 2 * 64 * 300 * 300 * 3


def test_table_says_which_conventions_it_counts(cli):
    text = cli(["summary", SEED, "--count-bias", "--count-elementwise", "--memory"]).stdout
    assert "FLOPs per example (2·MACs + bias additions + elementwise operations): 211,680,256 (211.7 M)" in text
    assert " Parameter memory: 4,864 B (4.8 KiB)\n" in text
    assert " Memory: float32 (4 B a number), batch 64; 1 KiB = 1,024 B\n" in text
    assert "Peak: exact for the layers in this order, each output freed after its last consumer" in text
    assert "342.2 MiB" in text  # the conv2d output: 64·296·296·16·4 bytes


def test_spec_dtype_and_the_option_that_overrides_it(cli, write_spec):
    path = write_spec("dtype: bfloat16\ninput: [10]\nlayers: [{type: Dense, units: 4}]\n")
    assert json.loads(cli(["summary", path, "-f", "json"]).stdout)["memory"]["parameters"] == 2 * 44
    assert json.loads(cli(["summary", path, "-f", "json", "--dtype", "int8"]).stdout)["memory"]["parameters"] == 44
    result = cli(["summary", write_spec("dtype: half\ninput: [10]\nlayers: [{type: Dense, units: 4}]\n")])
    assert result.exit_code == 2
    assert result.stderr == "model.yaml:1:8: 'dtype' must be one of float32, float16, bfloat16, int8, float64, " \
                            "found 'half'\n"


def test_per_batch_needs_a_batch(cli, write_spec):
    path = write_spec("input: [10]\nlayers: [{type: Dense, units: 4}]\n")
    for command in (["summary", path, "--per-batch"], ["check", path, "--per-batch", "--max-macs", "1K"],
                    ["diff", path, path, "--per-batch"]):
        result = cli(command)
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == ("layercalc: --per-batch needs a batch size, but model.yaml leaves it unknown: give "
                                 "one with --batch (such as 64), or in the spec ('batch: 64', or a symbol, "
                                 "'batch: N')\n")


def test_per_batch_with_a_symbolic_batch_is_symbolic(cli, write_spec):
    path = write_spec("batch: N\ninput: [10]\nlayers: [{type: Dense, units: 4}]\n")
    report = json.loads(cli(["summary", path, "-f", "json", "--per-batch"]).stdout)
    assert (report["totals"]["macs"], report["totals"]["flops"]) == ("40*N", "80*N")
    assert "MACs per batch of N: 40*N" in cli(["summary", path, "--per-batch"]).stdout
    result = cli(["check", path, "--per-batch", "--set", "N=8", "--max-macs", "319"])
    assert result.exit_code == 1 and "320" in result.stdout  # 8 · 40 MACs


def test_diff_per_batch(cli, write_spec):
    before = write_spec("batch: 8\ninput: [10]\nlayers: [{type: Dense, units: 4}]\n", "before.yaml")
    after = write_spec("batch: 8\ninput: [10]\nlayers: [{type: Dense, units: 5}]\n", "after.yaml")
    delta = json.loads(cli(["diff", before, after, "-f", "json", "--per-batch"]).stdout)["totals"]["delta"]
    assert delta["macs"] == 8 * 10


def test_columns_choose_and_order(cli):
    text = cli(["summary", SEED, "--columns", "name,macs,receptive_field,share"]).stdout
    header = next(line for line in text.splitlines() if "MACs" in line)
    assert header.split() == ["Layer", "MACs", "Receptive", "Field", "(jump)", "%", "MACs"]
    assert "conv2d" in text and "5×5 (1)" in text and "100.0%" in text and "Param #" not in text
    added = cli(["summary", SEED, "--columns", "+input_shape"]).stdout
    assert "Layer (type)" in added and "Input Shape" in added and "(64, 300, 300, 3)" in added


def test_columns_in_markdown_and_csv(cli):
    text = cli(["summary", SEED, "-f", "markdown", "--columns", "name,type,output_shape,flops,memory"]).stdout
    assert "| Layer (type) | Output Shape | FLOPs | Memory |\n|---|---|---:|---:|\n" in text
    assert "| conv2d (Conv2D) | `(64, 296, 296, 16)` | 210,278,400 | 342.2 MiB |" in text
    rows = list(csv.DictReader(io.StringIO(cli(["summary", SEED, "-f", "csv", "--columns",
                                                "name,flops,memory,receptive_field,share"]).stdout)))
    assert rows[1] == {"name": "conv2d", "flops": "210278400", "activation_bytes": "358875136",
                       "receptive_field": "5×5 (1)", "macs_percent": "100.0"}
    assert rows[-1]["name"] == "TOTAL" and int(rows[-1]["activation_bytes"]) == 358_875_136 + 69_120_000
    plain = list(csv.DictReader(io.StringIO(cli(["summary", SEED, "-f", "csv", "--flops", "--memory"]).stdout)))
    assert list(plain[0])[-2:] == ["flops", "activation_bytes"] and plain[1]["flops"] == "210278400"


def test_unknown_column_is_a_usage_error(cli):
    result = cli(["summary", SEED, "--columns", "name,flop"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "layercalc: --columns: unknown column 'flop' (did you mean 'flops'?); choose from name, type, input_shape, "
        "output_shape, params, trainable, buffers, active, macs, flops, memory, receptive_field, attention_saved, "
        "kv_cache, share, params_share, inputs\n")


def test_default_table_is_unchanged_by_the_cost_options_it_does_not_use(cli):
    plain = cli(["summary", SEED]).stdout
    assert "FLOPs" not in plain and "Memory" not in plain
    flops = cli(["summary", SEED, "--flops"]).stdout
    assert "FLOPs per example (2·MACs): 210,278,400 (210.3 M)" in flops


def test_readme_quotes_the_command_and_its_output(cli):
    """README's "FLOPs, memory and receptive fields" shows a command and exactly what it prints."""
    section = (ROOT / "README.md").read_text().split("## FLOPs, memory and receptive fields", 1)[1]
    command, output = section.split("```sh\n", 1)[1].split("```\n\n```\n", 1)
    arguments = command.replace("\\\n", " ").split()[1:]
    printed = cli([ROOT / arguments[1] if index == 1 else argument for index, argument in enumerate(arguments)])
    assert [line.rstrip() for line in printed.stdout.splitlines()] == output.split("```", 1)[0].splitlines()


def test_a_reshaped_input_is_where_fields_start():
    spec = """
input: [784]
layers:
  - {type: Reshape, target_shape: [28, 28, 1]}
  - {type: Conv2D, filters: 4, kernel_size: 3}
  - {type: Flatten}
  - {type: Reshape, target_shape: [26, 26, 4]}
  - {type: Conv2D, filters: 4, kernel_size: 3}
"""
    report = costed(spec)
    assert field(report, "conv2d").size == (3, 3)  # counted from the reshaped image
    assert field(report, "conv2d_1") is None  # after a field, Flatten and Reshape mix every position


def test_merge_after_upsampling_compares_fractional_jumps(cli, write_spec):
    """Found by `make fuzz`: an Add after UpSampling3D compared Fraction jumps as symbolic expressions."""
    path = write_spec("input: [1, 1, 1, 1]\nlayers:\n  - {type: UpSampling3D}\n"
                      "  - {type: AveragePooling3D, pool_size: [1, 1, 2], name: p}\n  - {type: Add, inputs: [input, p]}\n")
    result = cli(["summary", path, "-f", "json"])
    assert result.exit_code == 0, result.stderr
