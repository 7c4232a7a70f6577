"""Keras model files (model.to_json(), model.save("m.keras")) read without Keras, and `layercalc convert`.

The models and the figures Keras reported for them come from tools/keras_models.py (Keras 3.15.1,
TensorFlow backend): tests/data/keras_models/*.keras, *.json and figures.json.
"""

import json
import re
import zipfile
from pathlib import Path

import pytest

import calc
from calc import analyze
from calc.readers import read_spec
from calc.readers.keras_file import decode

DATA = Path(__file__).resolve().parent / "data" / "keras_models"
FIGURES = json.loads((DATA / "figures.json").read_text())["models"]
UNSUPPORTED = {
    "with_lambda": "with_lambda.json: layer 'double' (Lambda): layer class 'Lambda' is not supported: layercalc has "
                   "no rule for its shapes and weights; `layercalc layers` lists the supported types",
    # A custom layer: the Custom entry that declares it (tests/test_custom_layer.py fills it in).
    "with_custom": "with_custom.keras: layer 'scale' (Scale): custom layer class 'demo>Scale' (module: none) is "
                   "unknown: layercalc cannot know the shapes or weights its code makes; declare it in a spec as "
                   "{type: Custom, name: scale, input_axes: [B, C], output_shape: [B, C], weights: {}, macs: 0}, "
                   "with the shape of each weight its build() creates and its MACs (`layercalc convert` writes the "
                   "spec of the model with this entry to fill in)",
    "custom_block": "custom_block.keras: layer 'my_block' (StridedBlock): custom layer class 'demo>StridedBlock' "
                    "(module: none) is unknown: layercalc cannot know the shapes or weights its code makes; declare "
                    "it in a spec as {type: Custom, name: my_block, input_axes: [B, H, W, C], output_shape: "
                    "[B, 16, 16, 64], weights: {}, macs: 0}, with the shape of each weight its build() creates and "
                    "its MACs (`layercalc convert` writes the spec of the model with this entry to fill in)",
    "custom_two_inputs": "custom_two_inputs.keras: layer 'gate' (Gate): custom layer class 'demo>Gate' (module: none) "
                         "is unknown: layercalc cannot know the shapes or weights its code makes; declare it in a spec "
                         "as {type: Custom, name: gate, input_axes: [[B, L, C], [B1, C1]], output_shape: [B, L, 24], "
                         "weights: {}, macs: 0}, with the shape of each weight its build() creates and its MACs "
                         "(`layercalc convert` writes the spec of the model with this entry to fill in)",
}
NESTED_TYPES = ("Sequential", "Functional")
for figures in FIGURES.values():
    # A Keras operation's row (x + 1.0: Add) is the spec's ops.add; the operations that only make masks
    # (Embedding(mask_zero=True)'s NotEqual) are left out of the spec, as they change no shape or count.
    # Without nested models, the summary's rows are the layers' (tools/keras_models.py leaves them out).
    figures.setdefault("summary_rows", [dict(row) for row in figures["layers"]])
    for key in ("layers", "summary_rows"):
        figures[key] = [row for row in figures[key] if not row.get("mask")]
    for row in figures["layers"] + figures["summary_rows"]:
        if row.get("operation"):
            row["type"] = calc.rules.registered_name("ops", row["type"])
MODEL_FILES = [(name, file) for name, model in FIGURES.items() if name not in UNSUPPORTED for file in model["files"]]


def test_every_saved_model_is_tested():
    assert set(FIGURES) - set(UNSUPPORTED) == {"mnist_convnet", "two_towers", "nested", "lstm_state", "wrappers",
                                               "deep_nesting", "nested_outputs", "shared_layer", "siamese",
                                               "tied_embedding", "tied_head", "sequential_twice",
                                               "keras_hub_transformer", "attention_scores", "with_operation",
                                               "hard_swish", "operations", "text_classifier", "masked_sequence",
                                               "mobilenet_v3_small", "convnext_tiny", "inception_resnet_v2",
                                               "seq2seq", "augmented",
                                               # keras.layers' augmentation, preprocessing, audio, RNN cells
                                               "augmentation", "text_preprocessing", "encodings", "audio",
                                               # dtype policies, RNN cells' initial states, TimeDistributed(model)
                                               "mixed_float16", "mixed_bfloat16_layers", "float16_policy",
                                               "float16_layer", "bfloat16_in_mixed", "wrapped_float16",
                                               "rnn_initial_state", "time_distributed_model"}
    assert sorted(path.name for path in DATA.iterdir() if path.name != "figures.json") == sorted(
        file for model in FIGURES.values() for file in model["files"])


def rows(layers):
    """Each layer's first call (a later call's row, `shared_with` its layer, holds no weights)."""
    return [(row["name"], row["type"], row["output_shape"], row["trainable_params"], row["non_trainable_params"])
            for row in layers if row["type"] not in NESTED_TYPES and "shared_with" not in row]


def call_shapes(layers):
    """{layer: the output shape of each of its calls}, for the layers called several times."""
    shapes = {}
    for row in layers:
        if "shared_with" in row:
            shapes.setdefault(row["shared_with"], []).append(row["output_shape"])
    return {name: [next(row["output_shape"] for row in layers if row["name"] == name), *later]
            for name, later in shapes.items()}


def summary_json(cli, path, *options):
    result = cli(["summary", path, "--format", "json", *options])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def keras_files():
    """{file name: bytes} of the test models, read once (shutil.copy of each, for each of ~260 tests, took 10 ms
    of CPU and 40 ms of wall time a test)."""
    return {path.name: path.read_bytes() for path in DATA.iterdir()}


@pytest.fixture
def keras_dir(tmp_path, monkeypatch, keras_files):
    """A temporary working folder holding copies of the test models (error messages name files relatively)."""
    for name, content in keras_files.items():
        (tmp_path / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def model_dir(tmp_path, monkeypatch, keras_files, file):
    """keras_dir with only the test's own model `file` (a parameter) in it: a model file names no other."""
    (tmp_path / file).write_bytes(keras_files[file])
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name, file", MODEL_FILES)
def test_summary_equals_keras(cli, model_dir, name, file):
    """Every layer's output shape and trainable / non-trainable parameters, and the totals summary() printed."""
    keras = FIGURES[name]
    report = summary_json(cli, file)
    assert rows(report["layers"]) == rows(keras["layers"])
    # A nested model called twice calls each of its layers twice; Keras records the nested model's calls
    # (compared with --depth 1 below), its layers' are those of the model on its own.
    called_models = tuple(row["name"] + "/" for row in keras["layers"]
                          if "call_output_shapes" in row and row["type"] in NESTED_TYPES)
    assert {name: shapes for name, shapes in call_shapes(report["layers"]).items()
            if not name.startswith(called_models)} == {
        row["name"]: row["call_output_shapes"] for row in keras["layers"]
        if "call_output_shapes" in row and row["type"] not in NESTED_TYPES}
    assert {key: report["totals"][key] for key in keras["totals"]} == keras["totals"]
    assert report["totals"]["params"] == keras["count_params"]
    assert [item["shape"] for item in report["inputs"]] == list(keras["inputs"].values())


@pytest.mark.parametrize("name, file", [(name, file) for name, file in MODEL_FILES if "totals_lines" in FIGURES[name]])
def test_totals_lines_weigh_parameters_as_keras_does(cli, keras_dir, name, file):
    """summary()'s totals lines, parameter memory included: a mixed policy keeps variables in float32, the float16
    policy makes them float16 (model.summary() weighs each variable in its dtype)."""
    text = cli(["summary", file]).stdout
    assert [line.strip() for line in text.split("\n") if line.strip().startswith(
        ("Total params", "Trainable params", "Non-trainable params"))] == FIGURES[name]["totals_lines"]


@pytest.mark.parametrize("name, precision", [("mixed_float16", {"mixed_precision": "float16"}),
                                             ("mixed_bfloat16_layers", {"mixed_precision": "bfloat16"}),
                                             ("float16_policy", {"dtype": "float16"})])
def test_dtype_policies_become_the_specs_precision(cli, keras_dir, name, precision):
    """Keras' global policy, or one given to every layer (dtype="mixed_bfloat16"), is the spec's mixed_precision
    (activations in float16 or bfloat16, variables in float32: not dtype, which would weigh them at 2 bytes) or,
    for a plain float16 policy, its dtype. (mixed_float16's softmax, given the guide's dtype="float32", keeps its
    own: test_layer_dtype_policies_are_each_layers.)"""
    conventions = summary_json(cli, f"{name}.keras", "--memory")["conventions"]
    assert {"dtype": conventions["dtype"], "mixed_precision": conventions.get("mixed_precision")} == {
        "dtype": "float32", "mixed_precision": None, **precision}
    converted = cli(["convert", f"{name}.json"]).stdout
    key, value = next(iter(precision.items()))
    assert f"\n{key}: {value}\n" in converted
    # the options override the file's: --dtype counts every number of the layers without a policy of their own
    # in its dtype, --mixed-precision their activations
    assert summary_json(cli, f"{name}.keras", "--dtype", "float64")["conventions"]["dtype"] == "float64"
    assert summary_json(cli, f"{name}.keras", "--mixed-precision", "bfloat16")["conventions"][
        "activation_dtype"] == "bfloat16"


KERAS_DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}


def keras_layers(name):
    """[(layer row, its dtypes)] of a model's layers (nested models left out: blocks, their layers are listed)."""
    layers = {row["name"]: row for row in FIGURES[name]["layers"]}
    return [(layers[layer], dtypes) for layer, dtypes in FIGURES[name]["dtypes"].items()
            if layers[layer]["type"] not in NESTED_TYPES]


def weight_bytes(name, column):
    """The bytes of a column's parameters, each layer's in the dtype Keras gave its weights (one per layer)."""
    assert all(len(dtypes["weight_dtypes"]) <= 1 for _, dtypes in keras_layers(name))
    return sum(row[column] * KERAS_DTYPE_BYTES[(dtypes["weight_dtypes"] or ["float32"])[0]]
               for row, dtypes in keras_layers(name))


def output_bytes(name):
    """{layer: its output's elements per example × the bytes of the dtype Keras gave its output tensor}."""
    found = {}
    for row, dtypes in keras_layers(name):
        found[row["name"]] = KERAS_DTYPE_BYTES[dtypes["output_dtype"]]
        for size in row["output_shape"][1:]:
            found[row["name"]] *= size
    return found


DTYPE_MODELS = [(name, file) for name, file in MODEL_FILES if "dtypes" in FIGURES[name]]


@pytest.mark.parametrize("name, file", DTYPE_MODELS)
def test_layer_dtype_policies_are_each_layers(cli, keras_dir, name, file):
    """A layer whose policy differs from the model's keeps its own (`dtype:` in the converted spec): its weights
    in its variable dtype, its output in its compute dtype, as Keras gave them (the dtypes of each layer's weights
    and output tensor, tools/keras_models.py): the guide's float32 softmax after float16 layers outputs float32,
    a float16 Dense among float32 layers has float16 weights, and a mixed_bfloat16 LayerNormalization float32
    weights and a bfloat16 output; a wrapped layer's weights are in its own policy's dtype
    (Bidirectional(LSTM(dtype="float16"))), the wrapper's output in the wrapper's."""
    report = summary_json(cli, file, "--memory")
    rows = {row["name"]: row for row in report["layers"]}
    expected = output_bytes(name)
    assert {layer: rows[layer]["activation_bytes"] for layer in expected} == expected
    trainable = weight_bytes(name, "trainable_params")
    assert report["memory"]["parameters"] == weight_bytes(name, "params")
    assert (report["memory"]["gradients"], report["memory"]["optimizer_state"]) == (trainable, 2 * trainable)
    # each layer's policy: its own dtype:, else the spec's (mixed_precision: float16 is mixed_float16)
    conventions = report["conventions"]
    model_policy = conventions["dtype"]
    if "mixed_precision" in conventions:
        model_policy = "mixed_" + conventions["mixed_precision"]
    assert {row["name"]: rows[row["name"]].get("dtype", model_policy) for row, _ in keras_layers(name)} == {
        row["name"]: dtypes["policy"] for row, dtypes in keras_layers(name)}
    own = any("dtype" in row for row in rows.values())
    assert ("layer_dtypes" in report["conventions"]) == own


def test_converted_layer_dtypes_round_trip(cli, keras_dir):
    """convert writes each layer's own policy as its `dtype:`; the spec's summary is the file's."""
    converted = cli(["convert", "bfloat16_in_mixed.keras"]).stdout
    assert "\nmixed_precision: float16\n" in converted
    assert "    name: predictions\n    dtype: float32\n" in converted
    assert "    name: dense_f64\n    dtype: float64\n" in converted
    (keras_dir / "converted.yaml").write_text(converted)
    assert summary_json(cli, "converted.yaml", "--memory") == summary_json(cli, "bfloat16_in_mixed.keras", "--memory")


@pytest.mark.parametrize("name, file", MODEL_FILES)
def test_depth_1_shows_nested_models_as_summary_does(cli, model_dir, name, file):
    """A nested model is a block: `--depth 1` gives the rows of Keras' model.summary(), one per nested model."""
    layers = summary_json(cli, file, "--depth", "1")["layers"]
    expected = FIGURES[name]["summary_rows"]
    assert call_shapes(layers) == {row["name"]: row["call_output_shapes"] for row in expected
                                   if "call_output_shapes" in row}
    report = {"layers": [row for row in layers if "shared_with" not in row]}  # summary() shows a layer once
    # The second nested Sequential's block is 'Sequential_1' (ConvNeXt's downsampling blocks); Keras says Sequential.
    for row in report["layers"]:
        row["type"] = re.sub(r"_\d+$", "", row["type"]) if row["type"].startswith(NESTED_TYPES) else row["type"]
    assert [(row["name"], row["type"], row["params"]) for row in report["layers"]] == [
        (row["name"], row["type"], row["params"]) for row in expected]
    # A collapsed block shows one output shape; Keras lists each output of a nested model with several
    # (nested_outputs: inner gives [(None, 4), (None, 6, 2)]), so only single-output rows are compared.
    compared = [index for index, row in enumerate(expected)
                if row["type"] not in NESTED_TYPES or not isinstance(row["output_shape"][0], list)]
    assert [report["layers"][index]["output_shape"] for index in compared] == [
        expected[index]["output_shape"] for index in compared]
    assert len(compared) == len(expected) - (name == "nested_outputs")


@pytest.mark.parametrize("name, file", MODEL_FILES)
def test_convert_then_summary_round_trip(cli, model_dir, name, file):
    result = cli(["convert", file, "-o", "converted.yaml"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert summary_json(cli, "converted.yaml") == summary_json(cli, file)
    assert summary_json(cli, "converted.yaml", "--depth", "1") == summary_json(cli, file, "--depth", "1")


def test_convert_writes_a_readable_spec(cli, keras_dir):
    result = cli(["convert", "mnist_convnet.keras"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "# Converted by layercalc 0.1.0 from mnist_convnet.keras (a .keras archive saved by Keras 3.15.1).",
        "# 34,826 params (34,826 trainable, 0 non-trainable), 2,440,960 MACs per example.",
    ]
    assert "\n".join(lines[2:9]) == """name: mnist_convnet
input: [28, 28, 1]
layers:
  - type: Conv2D
    name: conv2d
    filters: 32
    kernel_size: [3, 3]"""


def test_convert_nested_models_become_blocks(cli, keras_dir):
    result = cli(["convert", "nested.json"])
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "blocks:\n  Sequential:\n    layers:\n" in text
    assert "  Functional:\n    inputs: [left, right]\n" in text
    assert "layers:\n  - type: Sequential\n    name: features\n    inputs: a\n    trainable: false\n" in text


@pytest.mark.parametrize("name", ["shared_layer", "siamese", "tied_embedding", "tied_head", "sequential_twice"])
def test_shared_layers_show_as_keras_summary_shows_them(keras_dir, name):
    """The text formats' rows (merge_calls) are model.summary()'s: a layer once, its parameters once, the
    output shape of its last call, connected to every call's inputs."""
    keras = FIGURES[name]
    report = calc.summarize(keras["files"][0], depth=1, merge_calls=True)
    assert [(row.name, row.type, [*row.output_shape], row.counts.params) for row in report.layers] == [
        (row["name"], row["type"], row.get("call_output_shapes", [row["output_shape"]])[-1], row["params"])
        for row in keras["summary_rows"]]
    calls = {row["name"]: len(row["call_output_shapes"]) for row in keras["summary_rows"] if "call_output_shapes" in row}
    assert calls and {row.name: len(row.inputs) for row in report.layers if row.name in calls} == calls


def test_summary_names_nested_layers_by_path(cli, keras_dir):
    names = [row["name"] for row in summary_json(cli, "nested.keras")["layers"]]
    assert names == ["features/dense", "features/batch_normalization", "features/dense_1", "head/concatenate",
                     "head/dense_2", "out"]


def test_lstm_states_are_referenced_by_output_index(cli, keras_dir):
    report = summary_json(cli, "lstm_state.json")
    concatenate = next(row for row in report["layers"] if row["name"] == "concatenate")
    assert concatenate["inputs"] == ["lstm:1", "lstm:2", "gru"]
    assert report["outputs"] == ["dense", "lstm:2"]


def test_attention_scores_are_a_layer_argument_and_output_1(cli, keras_dir):
    """Keras' call argument return_attention_scores=True is the spec's layer argument; the scores are `mha:1`."""
    for file in FIGURES["attention_scores"]["files"]:
        report = summary_json(cli, file)
        flatten = next(row for row in report["layers"] if row["name"] == "flatten")
        assert flatten["inputs"] == ["mha:1"]
        result = cli(["convert", file])
        assert result.exit_code == 0, result.stderr
        assert "    attention_axes: [1]\n    return_attention_scores: true\n" in result.stdout
        assert "  - type: Flatten\n    name: flatten\n    inputs: mha:1\n" in result.stdout


def test_keras_hub_layers_convert_to_their_rules(cli, keras_dir):
    """Keras Hub's layers (module keras_hub...) read as layercalc's keras_hub rules; keys that change nothing
    (TransformerDecoder's build shapes, initializers) are dropped."""
    result = cli(["convert", "keras_hub_transformer.json"])
    assert result.exit_code == 0, result.stderr
    assert """  - type: TransformerDecoder
    name: decoder
    inputs: [target_embedding, encoder]
    intermediate_dim: 32
    num_heads: 2
  - type: Dense""" in result.stdout
    assert "initializer" not in result.stdout and "sequence_shape" not in result.stdout


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_models_are_clear_errors(cli, keras_dir, name):
    file = FIGURES[name]["files"][0]
    # convert writes a Custom entry to fill in instead
    custom = name in ("with_custom", "custom_block", "custom_two_inputs")
    for command in (["summary", file],) + (() if custom else (["convert", file],)):
        result = cli(command)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == UNSUPPORTED[name] + "\n"


def test_corrupt_archive(cli, keras_dir):
    data = Path("mnist_convnet.keras").read_bytes()
    Path("model.keras").write_bytes(data[: len(data) // 2])
    result = cli(["summary", "model.keras"])
    assert result.exit_code == 2
    assert result.stderr == "model.keras: not a readable .keras archive: File is not a zip file\n"


def test_archive_with_a_damaged_member(cli, keras_dir):
    with zipfile.ZipFile("model.keras", "w") as archive:
        archive.writestr("config.json", (DATA / "mnist_convnet.json").read_text())
    data = bytearray(Path("model.keras").read_bytes())
    data[60] ^= 0xFF  # inside config.json's stored bytes: its CRC no longer matches
    Path("model.keras").write_bytes(bytes(data))
    result = cli(["summary", "model.keras"])
    assert result.exit_code == 2
    assert result.stderr == "model.keras: not a readable .keras archive: Bad CRC-32 for file 'config.json'\n"


def test_archive_without_config(cli, keras_dir):
    with zipfile.ZipFile("model.keras", "w") as archive:
        archive.writestr("model.weights.h5", b"")
    result = cli(["summary", "model.keras"])
    assert result.exit_code == 2
    assert result.stderr == ("model.keras: the archive has no config.json (it holds: model.weights.h5): expected a "
                             "model saved with model.save('model.keras')\n")


def test_archive_with_invalid_config(cli, keras_dir):
    with zipfile.ZipFile("model.keras", "w") as archive:
        archive.writestr("config.json", "{not json")
    result = cli(["summary", "model.keras"])
    assert result.exit_code == 2
    assert result.stderr == ("model.keras: config.json in the archive is not valid JSON: Expecting property name "
                             "enclosed in double quotes: line 1 column 2 (char 1)\n")


def test_legacy_h5_file(cli, keras_dir):
    Path("model.keras").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    result = cli(["summary", "model.keras"])
    assert result.exit_code == 2
    assert result.stderr == ("model.keras: not a readable .keras archive (this is an HDF5 file: the legacy .h5 "
                             "format, which layercalc does not read): File is not a zip file\n")


def test_invalid_json_points_at_line_and_column(cli, keras_dir):
    Path("model.json").write_text('{"class_name": "Sequential",\n "config": {"layers": [}}\n')
    result = cli(["summary", "model.json"])
    assert result.exit_code == 2
    assert result.stderr == "model.json:2:24: invalid JSON: Expecting value\n"


def test_json_spec_is_still_a_spec(cli, write_spec):
    """A layercalc spec written as JSON (JSON is YAML) keeps working, with line:col in its errors."""
    write_spec('{"input": [10, 20], "batch": 64, "layers": [{"type": "Dense", "units": 30}]}', "model.json")
    assert summary_json(cli, "model.json")["totals"]["params"] == 630  # SPEC.md seed figure
    write_spec('{"input": [10, 20],\n "layers": [{"type": "Dense", "unit": 30}]}', "bad.json")
    result = cli(["summary", "bad.json"])
    assert result.exit_code == 2
    assert result.stderr.startswith("bad.json:2:39: layer 'dense' (Dense): unknown argument 'unit' (did you mean "
                                    "'units'?)")
    result = cli(["convert", "model.json"])
    assert result.exit_code == 2
    assert result.stderr == ("layercalc: model.json is a layercalc spec already, not a Keras model or a Hugging "
                             "Face config.json\n")


def test_convert_needs_a_keras_file(cli, write_spec):
    write_spec("input: [4]\nlayers: [{type: Dense, units: 2}]\n")
    result = cli(["convert", "model.yaml"])
    assert result.exit_code == 2
    assert result.stderr == ("layercalc: convert reads a Keras model (a .keras or .json file) or a Hugging Face "
                             "config.json, found 'model.yaml'\n")


def test_keras_2_files_are_refused(cli, keras_dir):
    config = json.loads(Path("mnist_convnet.json").read_text())
    Path("model.json").write_text(json.dumps({**config, "keras_version": "2.15.0", "backend": "tensorflow"}))
    result = cli(["summary", "model.json"])
    assert result.exit_code == 2
    assert result.stderr == ("model.json: the model was saved by Keras 2.15.0: layercalc reads the Keras 3 format "
                             "(load the model with Keras 3 and save it again)\n")


def edited(source: str, target: str, edit) -> str:
    """Write a copy of a test model's JSON with `edit(config)` applied; returns the copy's name."""
    config = json.loads(Path(source).read_text())
    edit(config)
    Path(target).write_text(json.dumps(config))
    return target


def test_an_argument_the_rule_does_not_know_is_refused(cli, keras_dir):
    edited("mnist_convnet.json", "model.json", lambda config: config["config"]["layers"][1]["config"].update(
        filter=16))
    result = cli(["summary", "model.json"])
    assert result.exit_code == 2
    assert result.stderr.startswith("model.json: layer 'conv2d' (Conv2D): unknown argument 'filter' (did you mean "
                                    "'filters'?); Conv2D takes: filters, kernel_size, ")


def layer_named(config, name):
    return next(layer for layer in config["config"]["layers"] if layer["name"] == name)


@pytest.mark.parametrize("source, name, edit, message", [
    ("keras_hub_transformer.json", "encoder", lambda layer: layer["config"].update(intermediate_dims=64),
     "unknown argument 'intermediate_dims' (did you mean 'intermediate_dim'?); TransformerEncoder takes: "
     "intermediate_dim, num_heads, dropout, activation, layer_norm_epsilon, kernel_initializer, bias_initializer, "
     "normalize_first"),
    ("keras_hub_transformer.json", "encoder",
     lambda layer: layer.update(class_name="CachedMultiHeadAttention",
                                registered_name="keras_hub>CachedMultiHeadAttention"),
     "Keras Hub layer class 'CachedMultiHeadAttention' is not supported: layercalc knows Keras Hub's "
     "Gemma3InterleaveEmbeddings, PositionEmbedding, Qwen3Attention, RotaryEmbedding, SinePositionEncoding, "
     "TokenAndPositionEmbedding, TransformerDecoder, "
     "TransformerEncoder"),
    # A spec gives return_attention_scores once, for every call of the layer.
    ("attention_scores.json", "mha",
     lambda layer: layer["inbound_nodes"].append({**layer["inbound_nodes"][0], "kwargs": {}}),
     "its calls differ in return_attention_scores, which a spec gives once for all of a layer's calls"),
], ids=["keras_hub_unknown_argument", "keras_hub_class_without_rule", "calls_differ_in_scores"])
def test_keras_hub_and_attention_scores_refusals(cli, keras_dir, source, name, edit, message):
    edited(source, "model.json", lambda config: edit(layer_named(config, name)))
    result = cli(["summary", "model.json"])
    assert result.exit_code == 2
    layer = layer_named(json.loads(Path("model.json").read_text()), name)
    assert result.stderr == f"model.json: layer '{name}' ({layer['class_name']}): {message}\n"


def test_a_setting_that_changes_the_weights_is_refused(cli, keras_dir):
    def renorm(config):
        features = config["config"]["layers"][1]
        features["config"]["layers"][2]["config"]["renorm"] = True

    edited("nested.json", "model.json", renorm)
    result = cli(["summary", "model.json"])
    assert result.exit_code == 2
    assert result.stderr == ("model.json: layer 'batch_normalization' (BatchNormalization): renorm=true is not "
                             "supported (it changes the weights Keras creates); layercalc knows only renorm=false\n")


def test_bare_get_config_is_read(keras_dir):
    """model.get_config() saved as JSON (no class_name around it) reads as well."""
    config = json.loads(Path("nested.json").read_text())["config"]
    Path("model.json").write_text(json.dumps(config))
    assert analyze(read_spec("model.json")).totals.params == FIGURES["nested"]["totals"]["params"]


def test_decode_keras_values():
    assert decode({"class_name": "__tuple__", "config": {"value": [3, 3]}}) == [3, 3]
    assert decode({"class_name": "__numpy__", "config": {"value": [[1.0, 2.0]], "dtype": "float32"}}) == [[1.0, 2.0]]
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
              "registered_name": None}
    assert decode(policy) == "mixed_float16"
    assert decode({"padding": {"class_name": "__tuple__", "config": {"value": [
        {"class_name": "__tuple__", "config": {"value": [0, 1]}}, [0, 1]]}}}) == {"padding": [[0, 1], [0, 1]]}


def test_readme_quotes_the_nested_example_as_it_is(cli, monkeypatch):
    root = DATA.parents[2]
    monkeypatch.chdir(root)
    section = (root / "README.md").read_text().split("## Importing Keras models", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("\n", 1)[1] for block in section.split("```")[1::2]]
    summary = cli(["summary", "tests/data/keras_models/nested.keras", "--depth", "1"])
    converted = cli(["convert", "tests/data/keras_models/nested.keras"])
    assert "\n".join(line.rstrip() for line in summary.stdout.splitlines()).strip() == blocks[1].strip()
    assert converted.stdout.strip() == blocks[2].strip()
    lambda_error = cli(["summary", "tests/data/keras_models/with_lambda.json"]).stderr
    assert lambda_error.replace("tests/data/keras_models/", "").strip() == blocks[0].strip()


def test_missing_file(cli, keras_dir):
    for file in ("nosuch.keras", "nosuch.json"):
        result = cli(["summary", file])
        assert result.exit_code == 2
        assert result.stderr == f"{file}: cannot read the file: No such file or directory\n"


@pytest.mark.parametrize("class_name, found", [(5, "5"), (["Dense"], "a list"), (None, "no class_name")])
def test_a_class_name_that_is_not_a_name_is_refused_and_check_goes_on(cli, keras_dir, class_name, found):
    """It printed a traceback and exited 1, which `check` took for an exceeded budget, and stopped there."""
    def edit(config):
        config["config"]["layers"][1]["class_name"] = class_name

    edited("nested_outputs.json", "model.json", edit)
    result = cli(["check", "model.json", "mnist_convnet.json", "--max-params", "1", "-f", "json"])
    message = ("model.json: layer 'inner': a layer needs a class_name such as 'Dense', found "
               + (found if class_name is None else f"class_name {found}") + "\n")
    assert (result.exit_code, result.stderr) == (2, message)  # the worst: 2 here, 1 for the model over budget
    report = json.loads(result.stdout)
    assert [(spec["spec"], spec["ok"]) for spec in report["specs"]] == [("mnist_convnet.json", False)]
    assert (report["ok"], report["exit_code"]) == (False, 2)


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a": ', "}")])
@pytest.mark.parametrize("depth", [300, 100_000])
def test_json_nested_too_deep_is_refused(cli, keras_dir, opening, closing, depth):
    """100,000 deep exited 3 (RecursionError in json); deeper than a YAML spec may nest, the stages after
    reading could exhaust the stack."""
    Path("model.json").write_text('{"class_name": "Sequential", "config": {"layers": [' + opening * depth + "1"
                                  + closing * depth + "]}}")
    result = cli(["summary", "model.json"])
    prefix = '{"class_name": "Sequential", "config": {"layers": ['  # three levels deep already
    column = len(prefix) + 97 * len(opening) + 1  # the 101st opening bracket: the first past the limit
    assert (result.exit_code, result.stderr) == (2, f"model.json:1:{column}: lists and objects nest more than 100 deep\n")


def operation_layer(config, name):
    return next(layer for layer in config["config"]["layers"] if layer["name"] == name)


def test_an_operation_layercalc_does_not_know_is_refused_by_name(cli, keras_dir):
    edited("with_operation.json", "model.json", lambda config: operation_layer(config, "add").update(
        class_name="Cumsum"))
    result = cli(["summary", "model.json"])
    assert result.exit_code == 2
    assert result.stderr == ("model.json: layer 'add' (Cumsum): Keras operation 'Cumsum' (keras.src.ops.numpy.Cumsum) "
                             "is not supported (did you mean 'ops.sum'?): layercalc knows the operations `layercalc "
                             "layers` lists under ops\n")


def test_an_operation_constant_becomes_its_argument(cli, keras_dir):
    """with_operation.json holds Dense(4)(x) + 1.0 (tools/keras_models.py): the 1.0 is the spec's x2."""
    result = cli(["convert", "with_operation.json"])
    assert result.exit_code == 0, result.stderr
    assert "  - type: ops.add\n    name: add\n    x2: 1.0\n" in result.stdout


def test_a_slicing_key_becomes_its_argument(cli, keras_dir):
    """operations.json slices halves[1][:, 1:3, ::2] and x[:, 0] (tools/keras_models.py)."""
    result = cli(["convert", "operations.json"])
    assert result.exit_code == 0, result.stderr
    keys = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("key:")]
    assert keys == ["key: :, 1:3, ::2", "key: :, 0"]


def test_mask_operations_are_left_out(cli, keras_dir):
    """text_classifier: Keras saved a NotEqual operation for Embedding(mask_zero=True) (figures.json marks it);
    the converted spec has no operation, and its layers are Keras' own."""
    result = cli(["convert", "text_classifier.json"])
    assert result.exit_code == 0, result.stderr
    assert "ops." not in result.stdout
    saved = json.loads(Path("text_classifier.json").read_text())["config"]["layers"]
    assert [layer["class_name"] for layer in saved if layer.get("module", "").startswith("keras.src.ops")] == [
        "NotEqual"]


@pytest.mark.parametrize("name", ["mnist_convnet", "operations", "text_classifier"])
def test_keras_json_on_standard_input(cli, keras_dir, name):
    """model.to_json() piped in (`summary -`) reads as the .json file does; a JSON spec still reads as a spec."""
    text = Path(f"{name}.json").read_text()
    piped = cli(["summary", "-", "--format", "json"], input=text)
    assert piped.exit_code == 0, piped.stderr
    assert json.loads(piped.stdout) == summary_json(cli, f"{name}.json")


def test_a_json_spec_on_standard_input_is_still_a_spec(cli):
    result = cli(["summary", "-", "--format", "json"], input='{"input": [4], "layers": [{"type": "Dense", "units": 2}]}')
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["params"] == 10


def test_time_distributed_wraps_a_model(cli, keras_dir):
    """time_distributed_model: TimeDistributed(a Sequential convnet) and TimeDistributed(a two-branch Functional model)
    are one row each, as Keras 3.15.1's summary shows them (1,688 and 130 params); convert writes {type: Model}."""
    converted = cli(["convert", "time_distributed_model.json"]).stdout
    assert "    layer:\n      type: Model\n      layers:\n" in converted
    assert "        - {type: Dense, name: right, inputs: input, units: 5}\n" in converted
    Path("model.yaml").write_text(converted.replace("name: right, inputs: input", "name: right, inputs: lft"))
    result = cli(["summary", "model.yaml"])
    assert result.exit_code == 2
    assert "layer 'steps' (TimeDistributed): layer (Model): layers[1]: unknown input 'lft' (did you mean 'left'?); a " \
           "layer takes 'input' or the layers before it (input, left)" in result.stderr
    Path("model.yaml").write_text(converted.replace("name: right, inputs: input", "name: left, inputs: input"))
    assert "layers[1]: the name 'left' is taken" in cli(["summary", "model.yaml"]).stderr
