"""Language-model specs in specs/ against Hugging Face transformers' figures for the published
configurations (tests/data/hf/<name>.json, written by tools/hf_reference.py on PyTorch's meta device):
the total, and every layer's parameters against the module it stands for."""

import re

import pytest

from calc import summarize
from tests.conftest import ROOT
from tests.hf_figures import HF_TOTALS, load, module_params

# A spec layer's name (blocks numbered from 1, as repeat names them) -> the transformers modules it holds.
LLAMA_MODULES = {
    r"embed_tokens": ["model.embed_tokens"],
    r"layers_(\d+)/attention_norm": ["model.layers.{}.input_layernorm"],
    r"layers_(\d+)/attention": ["model.layers.{}.self_attn.q_proj", "model.layers.{}.self_attn.k_proj",
                                "model.layers.{}.self_attn.v_proj", "model.layers.{}.self_attn.o_proj"],
    r"layers_(\d+)/mlp_norm": ["model.layers.{}.post_attention_layernorm"],
    r"layers_(\d+)/(gate|up|down)": ["model.layers.{}.mlp.{}_proj"],
    r"norm": ["model.norm"],
    r"lm_head": ["lm_head"],
}
# GPT-2's fused c_attn holds q, k and v together: MultiHeadAttention's three projections, c_proj its output.
GPT2_MODULES = {
    r"wte": ["transformer.wte"],  # lm_head, its reverse call, holds no weights of its own (tied)
    r"wpe": ["transformer.wpe"],
    r"h_(\d+)/(ln_1|ln_2)": ["transformer.h.{}.{}"],
    r"h_(\d+)/attention": ["transformer.h.{}.attn.c_attn", "transformer.h.{}.attn.c_proj"],
    r"h_(\d+)/(c_fc|c_proj)": ["transformer.h.{}.mlp.{}"],
    r"ln_f": ["transformer.ln_f"],
}
BERT_MODULES = {
    r"(word|position|token_type)_embeddings": ["embeddings.{}_embeddings"],
    r"embeddings_norm": ["embeddings.LayerNorm"],
    r"layer_(\d+)/attention": ["encoder.layer.{}.attention.self.query", "encoder.layer.{}.attention.self.key",
                               "encoder.layer.{}.attention.self.value", "encoder.layer.{}.attention.output.dense"],
    r"layer_(\d+)/attention_norm": ["encoder.layer.{}.attention.output.LayerNorm"],
    r"layer_(\d+)/intermediate": ["encoder.layer.{}.intermediate.dense"],
    r"layer_(\d+)/output": ["encoder.layer.{}.output.dense"],
    r"layer_(\d+)/output_norm": ["encoder.layer.{}.output.LayerNorm"],
    r"pooler": ["pooler.dense"],
}
# Qwen2 is Llama's layout with a tied head (lm_head, embed_tokens' reverse call, holds no weights of its own)
# and its attention written head by head (see the spec's header): 14 query heads hold q_proj, two key and two
# value heads k_proj and v_proj.
QWEN2_MODULES = {
    **{pattern: templates for pattern, templates in LLAMA_MODULES.items()
       if pattern not in (r"layers_(\d+)/attention", r"lm_head")},
    r"layers_(\d+)/head_\d+/q": ["model.layers.{}.self_attn.q_proj"],
    r"layers_(\d+)/(k|v)_\d": ["model.layers.{}.self_attn.{}_proj"],
    r"layers_(\d+)/o": ["model.layers.{}.self_attn.o_proj"],
}
MODULES = {"llama2_7b": LLAMA_MODULES, "llama3_8b": LLAMA_MODULES, "mistral_7b": LLAMA_MODULES,
           "gpt2": GPT2_MODULES, "bert_base": BERT_MODULES, "qwen2_0_5b": QWEN2_MODULES}


def hf_modules(pattern_map, layer_name):
    for pattern, templates in pattern_map.items():
        match = re.fullmatch(pattern, layer_name)
        if match:
            groups = list(match.groups())
            if groups and groups[0].isdigit():
                groups[0] = str(int(groups[0]) - 1)  # repeat counts from 1, transformers from 0
            return [template.format(*groups) for template in templates]
    return None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_llm_spec_matches_transformers_layer_by_layer(name):
    figures = load(name)
    report = summarize(ROOT / "specs" / f"{name}.yaml")
    assert report.totals.params == figures.params == HF_TOTALS[name][0]  # the published model's count
    modules = module_params(figures)
    held_by: dict = {}  # the modules some layers hold together -> those layers' parameters
    for row in report.layers:
        held = hf_modules(MODULES[name], row.name)
        if held is None:
            assert row.counts.params == 0, row.name  # merges, activations: no weights in either
            continue
        held_by[tuple(held)] = held_by.get(tuple(held), 0) + row.counts.params
    for held, params in held_by.items():  # a layer holding modules, or several layers one (Qwen2's heads)
        assert params == sum(modules[module] for module in held), held
    assert {module for held in held_by for module in held} == set(modules)  # every module has its layers


GROUPED_ATTENTION = """\
input: {shape: [128, 896]}
layers:
  - {type: GroupQueryAttention, inputs: [input, input], num_query_heads: 14, num_key_value_heads: 2,
     head_dim: 64, use_bias: false}
"""


def test_qwen2_attention_head_by_head_has_grouped_query_attentions_macs(tmp_path):
    """Qwen2's attention, written head by head, costs what Keras' GroupQueryAttention of the same sizes does."""
    path = tmp_path / "attention.yaml"
    path.write_text(GROUPED_ATTENTION, encoding="utf-8")
    expected = summarize(path).totals.macs
    report = summarize(ROOT / "specs" / "qwen2_0_5b.yaml", bindings={"T": 128, "B": 1})
    attention = [row for row in report.layers if row.name.startswith("layers_1/")
                 and not re.search(r"/(attention_norm|attention_residual|mlp_norm|gate|up|gated|down|mlp_residual)$",
                                   row.name)]
    assert sum(row.counts.macs for row in attention) == expected
