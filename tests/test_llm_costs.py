"""Costs that matter for transformers (README, "Transformers and LLMs"): attention's saved tensors in the
training estimate, the KV cache, training FLOPs per step beside 6·N·tokens, and mixed precision.  Every
figure is derived by hand in its test, except Llama-3-8B's KV cache, which Hugging Face transformers gives
(tests/data/hf/llama3_8b.json, "kv_cache")."""

import json
from fractions import Fraction

import pytest

from calc import parse_spec, summarize
from calc.errors import UsageError
from tests.conftest import ROOT

HF_LLAMA3 = json.loads((ROOT / "tests" / "data" / "hf" / "llama3_8b.json").read_text())
LLAMA3 = ROOT / "specs" / "llama3_8b.yaml"
ENCODER = ROOT / "specs" / "transformer_encoder.yaml"

# A tiny decoder layer: token ids (batch 2, 10 tokens), an embedding of 32, grouped-query self-attention with
# 4 query heads and 2 key/value heads of 8 (biases on).
#   params: embedding 50·32 = 1,600; query (32,4,8) + (4,8) = 1,056, key and value (32,2,8) + (2,8) = 528
#   each, output (4,8,32) + 32 = 1,056: attention 3,168; N = 4,768, all trainable
#   MACs per example: projections 10·32·32 + 2·(10·32·16) + 10·32·32 = 30,720; Q·Kᵀ and weights·V
#   10·10·4·(8 + 8) = 6,400: 37,120
TINY = """
batch: 2
input: {shape: [10], dtype: int32}
layers:
  - {type: Embedding, name: embed, input_dim: 50, output_dim: 32}
  - {type: GroupQueryAttention, name: attention, inputs: [embed, embed], num_query_heads: 4,
     num_key_value_heads: 2, head_dim: 8, use_causal_mask: true}
"""


def report_of(text, **options):
    return summarize(parse_spec(text), costs=True, **options)


def attention(report):
    return next(row for row in report.layers if row.name == "attention")


# -- attention's saved tensors ----------------------------------------------------------------


def test_tiny_decoder_saved_tensors_and_kv_cache():
    report = report_of(TINY)
    row, memory = attention(report), report.costs.memory
    assert report.totals.params == 4_768 and report.totals.macs == 37_120
    # scores and probabilities: 2 · 4 heads · 10 · 10 = 800 per example, · batch 2 · 4 B (float32)
    assert row.costs.saved_bytes == memory.attention_saved == 6_400
    # keys and values: 2 · 10 positions · 2 kv heads · 8 = 320 per example, · 2 · 4 B
    assert row.costs.kv_cache_bytes == memory.kv_cache == 2_560
    # training = parameters + gradients + 2 Adam slots (4 · 4,768 · 4 B) + activations + saved tensors;
    # activations: token ids 2·10·4 B = 80, embedding and attention outputs 2·10·32·4 B = 2,560 each
    assert memory.activations == 5_200
    assert memory.training == 4 * 4_768 * 4 + 5_200 + 6_400 == 87_888


def test_fused_attention_keeps_no_scores():
    report = report_of(TINY, attention="fused")
    memory = report.costs.memory
    assert (attention(report).costs.saved_bytes, memory.attention_saved) == (0, 0)
    assert memory.kv_cache == 2_560  # the cache does not depend on how the backward pass runs
    assert memory.training == 4 * 4_768 * 4 + 5_200


@pytest.mark.parametrize("layer, saved, why", [
    ({"type": "Attention"}, 70, "scores and softmax: 2 · 5 queries · 7 keys"),
    ({"type": "Attention", "score_mode": "concat"}, 350, "+ tanh(q + k) of every term: 5 · 7 · 8"),
    ({"type": "AdditiveAttention"}, 350, "2 · 5 · 7 + tanh(q + k): 5 · 7 · 8"),
    ({"type": "MultiHeadAttention", "num_heads": 3, "key_dim": 4}, 210, "2 · 3 heads · 5 · 7"),
])
def test_saved_tensors_of_each_attention_layer(layer, saved, why):
    spec = {"inputs": {"query": [5, 8], "value": [7, 8]}, "layers": [{**layer, "name": "attention",
                                                                       "inputs": ["query", "value"]}]}
    row = attention(report_of(json.dumps(spec), dtype="int8"))  # 1 B an element, one example: bytes = elements
    assert row.costs.saved_bytes == saved, why


def test_multi_head_attention_kv_cache_uses_key_and_value_sizes():
    """keys 7 positions · 3 heads · key_dim 4, values 7 · 3 · value_dim 6: 84 + 126 elements (int8: bytes)."""
    spec = {"inputs": {"query": [5, 8], "value": [7, 8]},
            "layers": [{"type": "MultiHeadAttention", "name": "attention", "inputs": ["query", "value"],
                        "num_heads": 3, "key_dim": 4, "value_dim": 6, "use_causal_mask": True}]}
    assert attention(report_of(json.dumps(spec), dtype="int8")).costs.kv_cache_bytes == 210


@pytest.mark.parametrize("layer", [
    {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4},
    {"type": "GroupQueryAttention", "num_query_heads": 2, "num_key_value_heads": 1, "head_dim": 4},
])
def test_attention_without_causal_mask_caches_nothing(layer):
    """Only a decoder's causal self-attention caches keys and values for generation: an encoder's attention
    (use_causal_mask false, Keras' default) has no KV cache, as tests/data/hf/bert_base.json's kv_cache None."""
    spec = {"inputs": {"query": [5, 8], "value": [5, 8]},
            "layers": [{**layer, "name": "attention", "inputs": ["query", "value"]}]}
    plain = report_of(json.dumps(spec), dtype="int8")
    assert attention(plain).costs.kv_cache_bytes == plain.costs.memory.kv_cache == 0
    assert plain.costs.memory.serving == plain.costs.memory.inference
    spec["layers"][0]["use_causal_mask"] = True  # the same figures, but for the cache: 2 · 5 · 1 or 2 heads · 4
    causal = report_of(json.dumps(spec), dtype="int8")
    assert attention(causal).costs.kv_cache_bytes == 2 * 5 * layer.get("num_key_value_heads", 2) * 4
    assert (causal.totals.params, causal.totals.macs) == (plain.totals.params, plain.totals.macs)



@pytest.mark.parametrize("layer, inputs, saved, cached, why", [
    ({"type": "TransformerEncoder"}, ["query"], 100, 0,
     "self-attention: scores and softmax 2 · 2 heads · 5 · 5; an encoder caches no keys and values"),
    ({"type": "TransformerDecoder"}, ["query"], 100, 80,
     "causal self-attention: keys and values 5 · 2 heads · (4 + 4)"),
    ({"type": "TransformerDecoder"}, ["query", "value"], 240, 192,
     "+ cross-attention over the 7 encoder positions: saved 2 · 2 · 5 · 7 = 140, cached 7 · 2 · (4 + 4) = 112, "
     "as Keras Hub's cross_attention_cache keeps them"),
])
def test_keras_hub_transformer_blocks_save_and_cache_their_attentions(layer, inputs, saved, cached, why):
    shapes = {"query": [5, 8], "value": [7, 8]}
    spec = {"inputs": {name: shapes[name] for name in inputs},
            "layers": [{**layer, "intermediate_dim": 16, "num_heads": 2, "name": "attention", "inputs": inputs}]}
    row = attention(report_of(json.dumps(spec), dtype="int8"))
    assert (row.costs.saved_bytes, row.costs.kv_cache_bytes) == (saved, cached), why

def test_transformer_encoder_training_estimate_counts_attention():
    """The snapshot's change: 2 layers · 2 · 4 heads · 128 · 128 · 4 B = 1,048,576 B more than before."""
    memory = summarize(ENCODER, memory=True).costs.memory
    assert memory.attention_saved == 1_048_576 and memory.training == 22_111_016 + 1_048_576
    assert summarize(ENCODER, attention="fused").costs.memory.training == 22_111_016


def test_models_without_attention_report_none():
    report = summarize(ROOT / "specs" / "seed_conv.yaml", memory=True)
    assert not report.costs.memory.attention
    assert "attention_saved" not in report.to_dict()["memory"]
    assert "attention" not in report.to_dict()["conventions"]


# -- KV cache ----------------------------------------------------------------------------------


def test_llama3_8b_kv_cache_is_one_gib():
    """transformers' figure: 2 · 32 layers · 8 kv heads · 128 · 8,192 tokens · batch 1 · 2 B (bfloat16)."""
    example = HF_LLAMA3["kv_cache"]["example"]
    report = summarize(LLAMA3, bindings={"T": example["tokens"], "B": example["batch"]}, dtype=example["dtype"])
    assert report.costs.memory.kv_cache == example["bytes"] == 1_073_741_824
    rows = [row for row in report.layers if row.costs.attention]
    assert len(rows) == 32 and {row.costs.kv_cache_bytes for row in rows} == {1_073_741_824 // 32}


def test_llama3_8b_kv_cache_in_mixed_precision_is_the_same():
    report = summarize(LLAMA3, bindings={"T": 8192, "B": 1}, mixed_precision="bfloat16")
    assert report.costs.memory.kv_cache == 1_073_741_824
    assert report.costs.memory.parameters == 8_030_261_248 * 4  # float32 master weights


# -- training FLOPs -----------------------------------------------------------------------------


def test_training_flops_beside_six_n_tokens():
    training = report_of(TINY, training_flops=True).costs.training
    # 3 · (2 · 37,120 MACs per example · batch 2) = 445,440
    assert training.flops == 445_440
    # 6 · 4,768 trainable params · 20 tokens (token ids: batch 2 · 10)
    assert (training.tokens, training.unit, training.estimate_6nd) == (20, "tokens", 572_160)


def test_training_flops_count_examples_without_token_ids():
    """A float input: tokens are the batch's 64 examples (the seed: Conv2D 16 5×5, 1,216 params,
    105,139,200 MACs per example)."""
    training = summarize(ROOT / "specs" / "seed_conv.yaml", training_flops=True).costs.training
    assert (training.unit, training.tokens) == ("examples", 64)
    assert training.flops == 3 * 2 * 105_139_200 * 64
    assert training.estimate_6nd == 6 * 1_216 * 64


def test_llama3_8b_training_flops():
    """Forward FLOPs at T = 8,192: 2 · MACs of 79,070,347,919,360; 6·N·tokens: 6 · 8,030,261,248 · 8,192."""
    training = summarize(LLAMA3, bindings={"T": 8192, "B": 1}, training_flops=True).costs.training
    assert training.flops == 3 * 2 * 79_070_347_919_360
    assert training.estimate_6nd == 6 * 8_030_261_248 * 8_192 == 394_703_400_861_696


# -- mixed precision ----------------------------------------------------------------------------


def test_mixed_precision_halves_activations_only():
    memory = report_of(TINY, mixed_precision="bfloat16", optimizer="adamw").costs.memory
    assert (memory.parameters, memory.gradients, memory.optimizer_state) == (19_072, 19_072, 38_144)  # 4,768 · 4 B
    # token ids keep 4 B: 80; embedding and attention outputs 2·10·32 · 2 B = 1,280 each
    assert memory.activations == 80 + 2 * 1_280
    assert (memory.attention_saved, memory.kv_cache) == (3_200, 1_280)  # 800 and 320 per example · 2 · 2 B
    assert memory.training == 19_072 * 2 + 38_144 + 2_640 + 3_200 == 82_128


def test_mixed_precision_refuses_another_dtype():
    with pytest.raises(UsageError) as error:
        report_of(TINY, mixed_precision="bfloat16", dtype="float16")
    assert str(error.value) == ("mixed_precision keeps parameters, gradients and optimizer states in float32, "
                                "but dtype is float16: give one or the other")


@pytest.mark.parametrize("options, message", [
    ({"attention": "flash"}, "attention must be one of materialized, fused, found 'flash'"),
    ({"mixed_precision": "int8"}, "mixed_precision must be one of bfloat16, float16, found 'int8'"),
])
def test_unknown_conventions_are_refused(options, message):
    with pytest.raises(UsageError) as error:
        report_of(TINY, **options)
    assert str(error.value).startswith(message)


# -- through the command line --------------------------------------------------------------------


def test_table_shows_the_figures(cli, tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    result = cli(["summary", spec, "--mixed-precision", "bfloat16", "--optimizer", "adamw", "--training-flops",
                  "--columns", "+kv_cache,attention_saved"])
    assert result.exit_code == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines()]
    row = next(line for line in lines if line.startswith("attention ("))
    assert row.split()[-4:] == ["1.2", "KiB", "3.1", "KiB"], row  # KV cache 1,280 B, saved tensors 3,200 B
    for line in ("Training FLOPs per step of batch 2 (3 × forward: backward = 2 × forward): 445,440 (445.4 K)",
                 "6·N·tokens estimate (N = trainable params, 20 tokens): 572,160 (572.2 K)",
                 "Attention's saved tensors (scores and probabilities): 3,200 B (3.1 KiB)",
                 "KV cache (keys and values at every key position): 1,280 B (1.2 KiB)",
                 "Training estimate (parameters, gradients, 2 adamw slots, activations, attention's saved tensors): "
                 "82,128 B (80.2 KiB)",
                 "Memory: mixed precision: parameters, gradients, optimizer states float32 (4 B a number); "
                 "activations bfloat16 (2 B), batch 2; 1 KiB = 1,024 B"):
        assert line in lines, line


def test_json_gives_the_figures_and_their_conventions(cli):
    result = cli(["summary", LLAMA3, "-f", "json", "--set", "T=8192", "--set", "B=1", "--mixed-precision",
                  "bfloat16", "--attention", "fused", "--training-flops"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    memory, conventions, totals = report["memory"], report["conventions"], report["totals"]
    assert (memory["kv_cache"], memory["attention_saved"]) == (1_073_741_824, 0)
    assert sum(layer.get("kv_cache_bytes", 0) for layer in report["layers"]) == memory["kv_cache"]
    assert (totals["training_flops"], totals["training_flops_6nd"], totals["training_tokens"]) == (
        474_422_087_516_160, 394_703_400_861_696, 8_192)
    assert (conventions["attention"], conventions["mixed_precision"], conventions["activation_bytes_per_element"],
            conventions["dtype"]) == ("fused", "bfloat16", 2, "float32")
    assert {"attention_saved", "kv_cache", "precision", "training_flops", "training_flops_6nd"} <= set(conventions)


def test_saved_tensors_rows_sum_to_the_total_when_collapsed(cli):
    """--depth 1 regroups the rows: each decoder block carries its attention's bytes."""
    report = summarize(LLAMA3, bindings={"T": 128, "B": 2}, depth=1, memory=True)
    blocks = [row for row in report.layers if row.costs.attention]
    assert len(blocks) == 32
    assert sum(row.costs.saved_bytes for row in blocks) == report.costs.memory.attention_saved \
        == 32 * 2 * 32 * 128 * 128 * 2 * 4


def test_cli_names_flags_in_errors(cli):
    result = cli(["summary", LLAMA3, "--mixed-precision", "bfloat16", "--dtype", "float16"])
    assert (result.exit_code, result.stderr) == (2, "layercalc: --mixed-precision keeps parameters, gradients and "
                                                 "optimizer states in float32, but --dtype is float16: give one or "
                                                 "the other\n")


# -- FLOPs per token ------------------------------------------------------------------------------


def test_flops_per_token_divide_the_forward_flops_by_the_token_positions():
    """TINY: 2 · 37,120 MACs = 74,240 forward FLOPs per example over its 10 token positions: 7,424 per token;
    a training step's 3 · 74,240 · batch 2 = 445,440 over its 20 tokens: 22,272 (3 × 7,424)."""
    tokens = report_of(TINY, training_flops=True).costs.per_token
    assert (tokens.positions, tokens.forward, tokens.training) == (10, 7_424, 22_272)
    per_batch = report_of(TINY, per_batch=True).costs.per_token  # 148,480 FLOPs of the batch over 2 · 10 tokens
    assert (per_batch.positions, per_batch.forward) == (20, 7_424)


def test_llama3_8b_flops_per_token():
    """At T = 8,192, every key counted (no causal mask): 2 × the 7,504,658,432 parameters that multiply (all but
    the embedding and the norms' scales) + Q·Kᵀ and the weighted values, 2 · 32 layers · 32 heads · 8,192 keys ·
    (128 + 128) = 4,294,967,296: 19,304,284,160, the 158,140,695,838,720 FLOPs per sequence ÷ 8,192."""
    by_hand = 2 * 7_504_658_432 + 2 * 32 * 32 * 8_192 * (128 + 128)
    report = summarize(LLAMA3, bindings={"T": 8192, "B": 1}, training_flops=True)
    assert report.costs.per_token.forward == by_hand == 19_304_284_160 == 158_140_695_838_720 // 8_192
    assert report.costs.per_token.training == 3 * by_hand
    unbound = summarize(LLAMA3, costs=True).costs.per_token  # 2·(262144·T·T + 7504658432·T) ÷ T
    assert str(unbound.forward) == "524288*T + 15009316864"


def test_flops_per_token_that_do_not_divide():
    """A classifier head runs once per sequence: 2 · (37,120 + 32 · 3) = 74,432 FLOPs over 10 positions is
    7,443.2, kept exact (JSON: a float; the table: two decimals)."""
    head = TINY + "  - {type: GlobalAveragePooling1D}\n  - {type: Dense, units: 3}\n"
    report = report_of(head)
    assert report.costs.per_token.forward == Fraction(74_432, 10)
    assert report.to_dict()["totals"]["flops_per_token"] == 7_443.2
    assert report_of(head.replace("input: {shape: [10]", "input: {shape: [T]")).to_dict()["totals"][
        "flops_per_token"] is None  # (2·(3712·T + 96) + 1024·T·T) ÷ T has no exact form


def test_flops_per_token_only_for_token_ids():
    report = summarize(ROOT / "specs" / "seed_conv.yaml", costs=True, training_flops=True)
    assert report.costs.per_token is None
    data = report.to_dict()
    assert not {"flops_per_token", "training_flops_per_token"} & set(data["totals"])
    assert "flops_per_token" not in data["conventions"]


def test_flops_per_token_in_the_table_and_json(cli, tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    lines = [line.strip() for line in cli(["summary", spec, "--flops", "--training-flops"]).stdout.splitlines()]
    assert "FLOPs per token (per example ÷ 10 token positions, every key counted): 7,424 (7.4 K)" in lines
    assert "Training FLOPs per token (per step ÷ 20 tokens): 22,272 (22.3 K)" in lines
    spec.write_text(TINY + "  - {type: GlobalAveragePooling1D}\n  - {type: Dense, units: 3}\n")
    lines = [line.strip() for line in cli(["summary", spec, "--flops"]).stdout.splitlines()]
    assert "FLOPs per token (per example ÷ 10 token positions, every key counted): 7,443.20 (7.4 K)" in lines
    report = json.loads(cli(["summary", spec, "-f", "json", "--training-flops"]).stdout)
    assert (report["totals"]["flops_per_token"], report["totals"]["training_flops_per_token"]) == (7_443.2, 22_329.6)
    assert {"flops_per_token", "training_flops_per_token"} <= set(report["conventions"])
    # no attention, no keys to count: specs/lstm_text.yaml's 13,516,864 FLOPs over its 200 token ids
    lines = [line.strip() for line in cli(["summary", ROOT / "specs" / "lstm_text.yaml", "--flops"]).stdout.splitlines()]
    assert "FLOPs per token (per example ÷ 200 token positions): 67,584.32 (67.6 K)" in lines


# -- serving memory -------------------------------------------------------------------------------------


def test_serving_memory_is_the_inference_figure_and_the_kv_cache():
    """TINY in float32: parameters 4,768 · 4 = 19,072 B; the peak holds the embedding's and attention's outputs
    (2 · 10 · 32 · 4 = 2,560 B each; the token ids are freed after the embedding): 5,120 B; KV cache 2 · 2 heads
    · 8 · 10 positions · batch 2 · 4 B = 2,560 B."""
    memory = report_of(TINY).costs.memory
    assert (memory.inference, memory.kv_cache) == (19_072 + 5_120, 2_560)
    assert memory.serving == 19_072 + 5_120 + 2_560
    assert report_of(TINY).to_dict()["memory"]["serving"] == 26_752
    assert "serving" not in summarize(ROOT / "specs" / "seed_conv.yaml", memory=True).to_dict()["memory"]


def test_serving_memory_budget(cli, tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY)
    held = cli(["check", spec, "--max-serving-memory", "26752", "-f", "json"])
    assert held.exit_code == 0, held.stderr
    budget = json.loads(held.stdout)["specs"][0]["budgets"][0]
    assert (budget["actual"], budget["convention"]) == (
        26_752, "parameters + the peak of outputs alive + the KV cache; float32, batch 2")
    assert cli(["check", spec, "--max-serving-memory", "26751"]).exit_code == 1
    spec.write_text(TINY + "budget: {max_serving_memory: 26 KiB}\n")  # 26,624 B
    assert cli(["check", spec]).exit_code == 1
