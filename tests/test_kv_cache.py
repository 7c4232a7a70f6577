"""The KV cache is a decoder's (README, conventions "KV cache"): only a causal self-attention caches its keys
and values for generation (Keras' call argument use_causal_mask, torch's is_causal / tgt_is_causal), and a
decoder block's cross-attention, whose encoder keys and values generation caches too (Keras Hub's
TransformerDecoder: cross_attention_cache; transformers' EncoderDecoderCache).  An encoder caches nothing:
transformers gives BERT no KV cache (tests/data/hf/bert_base.json, "kv_cache": null, made by
tools/hf_reference.py), and its report shows no KV cache or serving memory line."""

import json
from pathlib import Path

import pytest

from calc import parse_spec, summarize
from tests.conftest import ROOT

HF = ROOT / "tests" / "data" / "hf"
KERAS_MODELS = ROOT / "tests" / "data" / "keras_models"


def summary_json(cli, *arguments):
    result = cli(["summary", *map(str, arguments), "--memory", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def cached(report, name):
    return next(layer["kv_cache_bytes"] for layer in report["layers"] if layer["name"] == name)


# -- encoders: no cache, no lines -------------------------------------------------------------------


SEQUENCE = ["--set", "T=128", "--set", "B=1"]


@pytest.mark.parametrize("source, bindings", [
    (HF / "configs" / "bert_base.json", SEQUENCE), (ROOT / "specs" / "bert_base.yaml", SEQUENCE),
    (ROOT / "specs" / "transformer_encoder.yaml", []), (HF / "configs" / "vit_small_classifier.json", []),
    (ROOT / "specs" / "torch" / "vit_b_16.yaml", [])], ids=lambda value: getattr(value, "name", ""))
def test_an_encoder_has_no_kv_cache(cli, source, bindings):
    assert json.loads((HF / "bert_base.json").read_text())["kv_cache"] is None  # transformers: an encoder
    memory = summary_json(cli, source, *bindings)["memory"]
    # JSON keeps its fields for scripts: the cache 0, serving the inference figure
    assert memory["kv_cache"] == 0 and memory["serving"] == memory["inference"]
    result = cli(["summary", str(source), *bindings, "--memory"])
    assert result.exit_code == 0, result.stderr
    assert "Attention's saved tensors" in result.stdout
    assert "KV cache" not in result.stdout and "Serving memory" not in result.stdout
    markdown = cli(["summary", str(source), *bindings, "--memory", "--format", "markdown"])
    assert "KV cache" not in markdown.stdout and "Serving memory" not in markdown.stdout


def test_a_decoder_shows_its_kv_cache(cli):
    """GPT-2 (a causal decoder): transformers' 2 · 12 layers · 12 heads · 64 · 2 B = 36,864 B a token in bfloat16
    (tests/data/hf/gpt2.json, "bytes_per_token_bfloat16"), from its config and from specs/gpt2.yaml alike."""
    expected = json.loads((HF / "gpt2.json").read_text())["kv_cache"]["bytes_per_token_bfloat16"]
    for source in (HF / "configs" / "gpt2.json", ROOT / "specs" / "gpt2.yaml"):
        options = ["--set", "T=1", "--set", "B=1", "--dtype", "bfloat16"]
        assert summary_json(cli, source, *options)["memory"]["kv_cache"] == expected == 36_864
        text = cli(["summary", str(source), *options, "--memory"]).stdout
        assert "KV cache (keys and values at every key position): 36,864 B" in text
        assert "Serving memory (inference peak + KV cache)" in text


# -- encoder-decoder models: the decoder's attentions cache, the encoder's do not ---------------------


def test_t5_caches_its_decoders_self_and_cross_attention(cli):
    """t5-small: 8 heads of d_kv 64; the decoder's self-attention caches T = 4 positions · 8 · 2 · 64 · 4 B =
    16,384 B, its cross-attention the S = 10 encoder positions, 40,960 B (EncoderDecoderCache keeps both); the
    encoder's attention none."""
    report = summary_json(cli, HF / "configs" / "t5_small.json", "--set", "S=10", "--set", "T=4", "--set", "B=1")
    assert cached(report, "encoder/block_1/SelfAttention") == 0
    assert cached(report, "decoder/block_1/SelfAttention") == 16_384
    assert cached(report, "decoder/block_1/EncDecAttention") == 40_960
    assert report["memory"]["kv_cache"] == 6 * (16_384 + 40_960)


def test_keras_hub_encoder_decoder_from_a_keras_file(cli, tmp_path, monkeypatch):
    """keras_hub_transformer.json (tools/keras_models.py, Keras Hub 0.32): a TransformerEncoder over 10 tokens,
    a TransformerDecoder (2 heads of 8) over 8 targets with cross-attention: the decoder caches 8 · 2 · 16
    (self) + 10 · 2 · 16 (cross) elements, · 4 B; the encoder none."""
    monkeypatch.chdir(tmp_path)
    Path("model.json").write_bytes((KERAS_MODELS / "keras_hub_transformer.json").read_bytes())
    report = summary_json(cli, "model.json")
    assert cached(report, "encoder") == 0
    assert cached(report, "decoder") == (8 + 10) * 2 * 16 * 4 == 2_304


# -- Keras: use_causal_mask, a call argument a model file records ------------------------------------


def test_use_causal_mask_is_read_from_a_keras_file(cli, tmp_path, monkeypatch):
    """Keras 3.15.1 records the call's keyword arguments in the node: MultiHeadAttention(2, 4)(x, x,
    use_causal_mask=True) saves `"kwargs": {"use_causal_mask": true}` (checked in /tmp/kenv).  attention_scores.json
    (tools/keras_models.py) calls mha on 6 query and 6 context positions: 6 · 2 heads · (4 + 4) · 4 B = 384 B
    cached when the call is causal, none otherwise."""
    monkeypatch.chdir(tmp_path)
    config = json.loads((KERAS_MODELS / "attention_scores.json").read_text())
    Path("plain.json").write_text(json.dumps(config))
    mha = next(layer for layer in config["config"]["layers"] if layer["name"] == "mha")
    mha["inbound_nodes"][0]["kwargs"]["use_causal_mask"] = True
    Path("causal.json").write_text(json.dumps(config))
    assert cached(summary_json(cli, "plain.json"), "mha") == 0
    assert cached(summary_json(cli, "causal.json"), "mha") == 384
    converted = cli(["convert", "causal.json"])
    assert converted.exit_code == 0, converted.stderr
    assert "    return_attention_scores: true\n    use_causal_mask: true\n" in converted.stdout


def test_use_causal_mask_of_an_attention_without_cache_is_left_out(cli, tmp_path, monkeypatch):
    """Attention(use_causal_mask=True) masks its scores and caches nothing: the argument changes no figure and
    is not written to the spec."""
    monkeypatch.chdir(tmp_path)
    config = json.loads((KERAS_MODELS / "keras_hub_transformer.json").read_text())
    decoder = next(layer for layer in config["config"]["layers"] if layer["name"] == "decoder")
    decoder["inbound_nodes"][0]["kwargs"]["use_causal_mask"] = True  # Keras Hub's default, given explicitly
    Path("model.json").write_text(json.dumps(config))
    converted = cli(["convert", "model.json"])
    assert converted.exit_code == 0, converted.stderr
    assert "use_causal_mask" not in converted.stdout


def test_use_causal_mask_must_be_a_boolean(cli, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("inputs: {x: [5, 8]}\nlayers:\n  - {type: MultiHeadAttention, name: mha, inputs: [x, x], "
                    "num_heads: 2, key_dim: 4, use_causal_mask: yes please}\n")
    result = cli(["summary", str(spec)])
    assert result.exit_code == 2
    assert "argument 'use_causal_mask' must be true or false, found 'yes please'" in result.stderr


# -- PyTorch: is_causal, tgt_is_causal --------------------------------------------------------------


def torch_cache(layer, inputs):
    shapes = {"tgt": [5, 16], "memory": [7, 16]}
    spec = {"framework": "torch", "batch": 1, "inputs": {name: shapes[name] for name in inputs},
            "layers": [{**layer, "name": "layer", "inputs": inputs if len(inputs) > 1 else inputs[0]}]}
    report = summarize(parse_spec(json.dumps(spec)), costs=True, dtype="int8")  # 1 B an element
    return next(row for row in report.layers if row.name == "layer").costs.kv_cache_bytes


@pytest.mark.parametrize("layer, inputs, expected, why", [
    ({"type": "MultiheadAttention", "num_heads": 2, "batch_first": True}, ["tgt", "tgt", "tgt"], 0, "not causal"),
    ({"type": "MultiheadAttention", "num_heads": 2, "batch_first": True, "is_causal": True}, ["tgt", "tgt", "tgt"],
     160, "keys and values 2 · 5 positions · 16"),
    ({"type": "TransformerEncoderLayer", "d_model": 16, "nhead": 2, "batch_first": True}, ["tgt"], 0, "an encoder"),
    ({"type": "TransformerEncoderLayer", "d_model": 16, "nhead": 2, "batch_first": True, "is_causal": True},
     ["tgt"], 160, "a decoder-only stack's layer: its self-attention's"),
    ({"type": "TransformerDecoderLayer", "d_model": 16, "nhead": 2, "batch_first": True}, ["tgt", "memory"], 0,
     "tgt_is_causal false"),
    ({"type": "TransformerDecoderLayer", "d_model": 16, "nhead": 2, "batch_first": True, "tgt_is_causal": True},
     ["tgt", "memory"], 160 + 224, "self-attention 2 · 5 · 16 + cross-attention over the memory 2 · 7 · 16"),
])
def test_torch_caches_only_causal_attention(layer, inputs, expected, why):
    assert torch_cache(layer, inputs) == expected, why
