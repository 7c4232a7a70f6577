"""Keras Hub backbones saved with to_json() (constructor arguments only) rebuilt by layercalc
(calc/readers/keras_hub_backbones.py), against the figures Keras Hub 0.32.0 (Keras 3.15.1, TensorFlow)
reported for them: tools/keras_hub_backbones.py wrote tests/data/keras_hub_backbones/*.json and figures.json."""

import json
from pathlib import Path

import pytest

from calc import collapse, convert, summarize
from calc.readers.keras_hub_backbones import BACKBONES
from calc.readers.keras_hub_backbones import TASKS as TASKS_BUILT

DATA = Path(__file__).resolve().parent / "data" / "keras_hub_backbones"
FIGURES = json.loads((DATA / "figures.json").read_text())["backbones"]
# Keras Hub's RMS norms, layercalc's RMSNormalization (a scale of the last axis' size, epsilon given).
STAND_INS = {name: "RMSNormalization" for name in ("LlamaLayerNorm", "MistralLayerNormalization", "QwenLayerNorm",
                                                   "Qwen3LayerNorm", "Phi3LayerNorm", "MixtralLayerNormalization")}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_backbone_matches_keras_hub_layer_by_layer(name):
    figures = FIGURES[name]
    every_layer = summarize(DATA / f"{name}.json")
    report = collapse(every_layer, 1)  # a decoder block (a task's backbone) as one row, as Keras Hub's layer
    assert report.totals.params == figures["params"]
    rows = {row.name: row for row in report.layers}
    weights_of = {row.name: row.counts.params for row in every_layer.layers}
    shares = {row.name: row.shared_with for row in every_layer.layers if row.shared_with}  # collapse hides them
    keras_layers = [layer for layer in figures["layers"] if layer["class"] != "InputLayer"]
    for layer in keras_layers:
        if layer["name"] not in rows:  # only weightless layers may be missing (none is, today)
            assert layer["params"] == 0, layer["name"]
            continue
        row = rows[layer["name"]]
        # a task's second call of the backbone's token embedding: Keras lists the layer's weights on both rows
        # (the total counts them once); layercalc's row points at the call that holds them
        params = weights_of[shares[row.name]] if row.name in shares else row.counts.params
        assert params == layer["params"], layer["name"]
        assert row.type == STAND_INS.get(layer["class"], layer["class"]), layer["name"]
        keras_shape = layer["output_shape"]
        if isinstance(keras_shape, dict):  # BertBackbone returns {sequence_output, pooled_output}; tasks use pooled
            keras_shape = keras_shape["pooled_output"]
        assert len(row.output_shape) == len(keras_shape) and row.output_shape[-1] == keras_shape[-1]
    stand_ins = {name for name in rows if name not in {layer["name"] for layer in keras_layers}}
    # operations in Keras Hub: BERT's x[:, 0, :]; a TextEmbedder's pooling and L2 normalization
    assert stand_ins <= {"first_token", "mean_pooling", "max_pooling", "cls_pooling", "last_pooling", "l2_normalize"}
    if "output_shape" in figures:  # a task's output, after its operations
        output = next(row for row in every_layer.layers if row.name == report.outputs[0])
        shape = [dim if isinstance(dim, int) else None for dim in output.output_shape]
        if "vision" in name:
            # Keras' symbolic shape of Gemma3InterleaveEmbeddings puts the image tokens (16) on the sequence axis;
            # a real call gives the text's (rule case gemma3-interleave-embeddings: symbolic (2, 4, 8), real
            # (2, 10, 8)), as layercalc does
            shape[1] = figures["output_shape"][1]
        assert shape == figures["output_shape"]


def test_published_sizes():
    assert FIGURES["gpt2_base_en"]["params"] == 124_439_808  # as transformers counts GPT-2 (tests/data/hf)
    assert FIGURES["bert_base_en"]["params"] == 109_482_240  # as transformers counts BertModel


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_backbone_converts_and_round_trips(name, tmp_path):
    written = tmp_path / "backbone.yaml"
    written.write_text(convert(DATA / f"{name}.json"), encoding="utf-8")
    assert summarize(written, bindings={"T": 32}).totals == summarize(DATA / f"{name}.json", bindings={"T": 32}).totals


def test_unsupported_backbone_is_refused(cli, tmp_path):
    saved = json.loads((DATA / "gpt2_small.json").read_text())
    path = tmp_path / "backbone.json"
    path.write_text(json.dumps({**saved, "class_name": "FalconBackbone", "registered_name": "keras_hub>FalconBackbone"}))
    result = cli(["summary", path])
    assert result.exit_code == 2
    assert "Keras Hub model 'FalconBackbone' is not supported: layercalc rebuilds GPT2Backbone, BertBackbone, " \
        "LlamaBackbone, MistralBackbone, Llama3Backbone, QwenBackbone, Qwen3Backbone, Phi3Backbone, MixtralBackbone, " \
        "GemmaBackbone, Gemma3Backbone, GPT2CausalLM, LlamaCausalLM, MistralCausalLM, Llama3CausalLM, QwenCausalLM, " \
        "Qwen3CausalLM, Phi3CausalLM, MixtralCausalLM, GemmaCausalLM, Gemma3CausalLM, BertTextClassifier, " \
        "BertTextEmbedder, Gemma3TextEmbedder, Qwen3TextEmbedder" in result.stderr
    assert "Traceback" not in result.stderr


TASKS = sorted(name for name, figures in FIGURES.items() if not figures["class"].endswith("Backbone"))


@pytest.mark.parametrize("name", [name for name in TASKS if name.endswith("causal_lm")])
def test_causal_lm_lists_the_token_embedding_twice_and_counts_it_once(name, cli):
    """Keras' GPT2CausalLM.summary(): gpt2_backbone 118,444, token_embedding 20,544, total 118,444."""
    report = summarize(DATA / f"{name}.json")
    head = report.layers[-1]
    backbone, = (layer for layer in FIGURES[name]["layers"] if layer["class"].endswith("Backbone"))
    assert (head.name, head.shared_with, head.counts.params) == (
        "token_embedding", f"{backbone['name']}/token_embedding", 0)
    assert report.totals.params == FIGURES[name]["params"] == backbone["params"]
    backbone = backbone["name"]
    result = cli(["summary", DATA / f"{name}.json", "--depth", "1"])
    assert result.exit_code == 0, result.stderr
    assert f"{backbone} (" in result.stdout and "token_embedding (ReversibleEmbedding)" in result.stdout


def test_task_with_another_backbone_is_refused(cli, tmp_path):
    saved = json.loads((DATA / "gpt2_causal_lm.json").read_text())
    saved["config"]["backbone"] = json.loads((DATA / "bert_small.json").read_text())
    path = tmp_path / "task.json"
    path.write_text(json.dumps(saved))
    result = cli(["summary", path])
    assert result.exit_code == 2
    assert "GPT2CausalLM's 'backbone' must be a saved GPT2Backbone, found 'BertBackbone'" in result.stderr


def test_gemma3_vision_encoder_macs_by_hand():
    """gemma3_vision_small's encoder, per image: 32 × 32 images cut into 8 × 8 = 64 patches of 4 × 4 × 3 by a
    convolution to 16 features (64 · 16 · 48 = 49,152); two encoder layers of 2 heads of 8, each: the query, key,
    value and output projections 4 · 64 · 16 · 16 = 65,536, scores and weighted values 2 · 64 · 64 · 2 · 8 =
    131,072, the MLP 2 · 64 · 16 · 24 = 49,152 (245,760); pooled 2 × 2 to 16 tokens projected to 32:
    16 · 16 · 32 = 8,192. Per prompt of N images: N · 548,864. Parameters: Keras Hub's 6,288 (figures.json)."""
    report = collapse(summarize(DATA / "gemma3_vision_small.json", bindings={"N": 2, "T": 64, "V": 32, "B": 1}), 1)
    encoder = next(row for row in report.layers if row.name == "gemma3_vision_encoder")
    per_image = 64 * 16 * 48 + 2 * (4 * 64 * 16 * 16 + 2 * 64 * 64 * 2 * 8 + 2 * 64 * 16 * 24) + 16 * 16 * 32
    assert encoder.counts.macs == 2 * per_image == 2 * 548_864
    assert encoder.output_shape == (2, 16, 32)  # Keras Hub's (images, tokens per image, hidden_dim): B·N = 2
    assert encoder.counts.params == 6_288


@pytest.mark.parametrize("change, message", [
    ({"output_dim": 16}, "Gemma3VisionEncoder's 'output_dim' 16 must be the backbone's hidden_dim 32"),
    ({"pool_size": 3}, "Gemma3VisionEncoder's the 8 × 8 patches ('image_size' // 'patch_size') must be a whole "
                       "number of 'pool_size' 3 windows"),
    ({"num_heads": 3}, "Gemma3VisionEncoder's 'hidden_dim' 16 must be divisible by 'num_heads' 3"),
    ({"image_size": 64}, "Gemma3VisionEncoder's 'image_size' 64 must be the backbone's image_size 32"),
])
def test_gemma3_vision_encoder_that_keras_hub_cannot_build_is_refused(cli, tmp_path, change, message):
    saved = json.loads((DATA / "gemma3_vision_small.json").read_text())
    saved["config"]["vision_encoder"]["config"].update(change)
    path = tmp_path / "backbone.json"
    path.write_text(json.dumps(saved))
    result = cli(["summary", path])
    assert result.exit_code == 2 and message in result.stderr, result.stderr


@pytest.mark.parametrize("key, value, message", [
    ("vision_encoder", {"class_name": "SigLIPVisionEncoder", "config": {}},
     "Gemma3Backbone's 'vision_encoder' must be a saved Gemma3VisionEncoder, found 'SigLIPVisionEncoder'"),
    ("is_embedding_model", True, "Gemma3Backbone with an embedding model is not supported"),
])
def test_gemma3_other_variants_are_refused(cli, tmp_path, key, value, message):
    saved = json.loads((DATA / "gemma3_small.json").read_text())
    saved["config"][key] = value
    path = tmp_path / "backbone.json"
    path.write_text(json.dumps(saved))
    result = cli(["summary", path])
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_every_backbone_and_task_is_tested():
    classes = {figures["class"] for figures in FIGURES.values()}
    assert classes == set(BACKBONES) | set(TASKS_BUILT)


def test_mixtral_active_params_by_hand():
    """mixtral_small: d 32, 4 experts of 48, top 2, 2 layers; a token runs 2 of the 4 experts, so the active
    parameters are the total less 2 idle experts (3 matrices d·I each) per layer: 62,624 - 2·2·3·32·48."""
    report = summarize(DATA / "mixtral_small.json")
    assert report.totals.params == FIGURES["mixtral_small"]["params"] == 62_624
    assert report.totals.active_params == 62_624 - 2 * 2 * 3 * 32 * 48


@pytest.mark.parametrize("name, mode, message", [
    ("bert_text_embedder", "last", "BertTextEmbedder's 'pooling_mode' must be one of mean, cls, max, found 'last'"),
    ("qwen3_text_embedder", "meen", "Qwen3TextEmbedder's 'pooling_mode' must be one of last, mean, found 'meen' "
                                    "(did you mean 'mean'?)"),
])
def test_text_embedder_pooling_mode_is_checked(cli, tmp_path, name, mode, message):
    saved = json.loads((DATA / f"{name}.json").read_text())
    saved["config"]["pooling_mode"] = mode
    path = tmp_path / "task.json"
    path.write_text(json.dumps(saved))
    result = cli(["summary", path])
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_bert_text_embedder_pools_the_sequence_output():
    """BertTextEmbedder pools the last encoder layer's (B, T, 32), not the backbone's pooled_dense, which stays
    an output of the spec; Keras Hub's parameters are the backbone's alone (24,672, figures.json)."""
    report = summarize(DATA / "bert_text_embedder.json")
    pooling = next(row for row in report.layers if row.name == "mean_pooling")
    assert pooling.inputs == ("bert_backbone/transformer_layer_1",)
    assert report.outputs == ("l2_normalize", "bert_backbone/pooled_dense")
    assert report.totals.params == FIGURES["bert_text_embedder"]["params"] == 24_672
