"""The Hugging Face figures in tests/data/hf/ add up, and state the totals issue 13 gives.

Source: tools/hf_reference.py (transformers on PyTorch's meta device, from each model's published
config.json). These tests read the JSON only; the spec tests will use tests/hf_figures.py to check
layercalc's specs of these models against it.
"""

import pytest

from tests.hf_figures import HF_TOTALS, block_template, load, module_params, names, numel


def test_every_model_has_figures():
    assert names() == sorted(HF_TOTALS)


@pytest.mark.parametrize("name", sorted(HF_TOTALS))
def test_total_is_the_published_one_and_the_sum_of_the_named_parameters(name):
    total, model_id, architecture = HF_TOTALS[name]
    figures = load(name)
    assert (figures.params, figures.model_id, figures.architecture) == (total, model_id, architecture)
    assert sum(numel(shape) for shape in figures.parameters.values()) == total
    assert sum(module_params(figures).values()) == total
    assert sum(entry["params"] for entry in figures.by_module_type.values()) == total
    assert sum(numel(shape) * count for shape, count in block_template(figures).values()) == total
    assert figures.source.startswith("Hugging Face transformers") and "tools/hf_reference.py" in figures.source
    assert set(figures.versions) == {"python", "torch", "transformers"}


@pytest.mark.parametrize("name", sorted(HF_TOTALS))
def test_a_tied_tensor_is_listed_once(name):
    figures = load(name)
    for first, *others in figures.tied:
        assert first in figures.parameters
        assert not set(others) & set(figures.parameters)
    # The tied heads; GPT-2's config.json doesn't say so (transformers' default ties it).
    assert bool(figures.tied) == (name in {"gpt2", "qwen2_0_5b"})


@pytest.mark.parametrize("name", sorted(HF_TOTALS))
def test_every_block_has_the_same_parameters(name):
    figures = load(name)
    layers = figures.config.get("num_hidden_layers", figures.config.get("n_layer"))
    counts = {count for shape, count in block_template(figures).values() if count > 1}
    assert counts == {layers}


@pytest.mark.parametrize("name", [name for name in sorted(HF_TOTALS) if name != "bert_base"])
def test_kv_cache_width_is_kv_heads_times_head_dim(name):
    kv = load(name).kv_cache
    assert kv["kv_width"] == kv["num_key_value_heads"] * kv["head_dim"]
    assert kv["bytes_per_token_bfloat16"] == 2 * kv["num_hidden_layers"] * kv["kv_width"] * 2


def test_llama3_8b_kv_cache_at_8192_tokens_is_one_gib():
    example = load("llama3_8b").kv_cache["example"]
    assert (example["tokens"], example["batch"], example["dtype"]) == (8192, 1, "bfloat16")
    assert example["bytes"] == example["bytes_from_transformers"] == 2 * 32 * 8 * 128 * 8192 * 2 == 2**30


def test_bert_is_an_encoder_without_kv_cache():
    assert load("bert_base").kv_cache is None
