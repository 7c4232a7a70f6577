"""Hugging Face transformers' figures for six published models, read from tests/data/hf/<name>.json.

tools/hf_reference.py built each model from its published config.json with transformers, on
PyTorch's meta device, and wrote its total (``sum(p.numel() for p in model.parameters())``, a tied
tensor counted once) and every named parameter with its shape. Nothing here imports torch or
transformers: the spec tests compare a layercalc spec with these figures, whole or block by block.

>>> gpt2 = load("gpt2")
>>> gpt2.params
124439808
>>> block_template(gpt2)["transformer.h.*.attn.c_attn.weight"]
([768, 2304], 12)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from math import prod
from typing import Dict, List, Optional, Tuple

from tests.conftest import ROOT

HF_DATA = ROOT / "tests" / "data" / "hf"

# name: (total, Hugging Face model id, architecture class): the figures issue 13 states, which the
# JSON must reproduce; pinned here independently of the JSON, as tests/test_reference_models.py does.
HF_TOTALS = {
    "gpt2": (124_439_808, "gpt2", "GPT2LMHeadModel"),  # lm_head tied to wte: GPT2Model's total too
    "bert_base": (109_482_240, "bert-base-uncased", "BertModel"),  # with its pooler
    "llama2_7b": (6_738_415_616, "meta-llama/Llama-2-7b-hf", "LlamaForCausalLM"),
    "llama3_8b": (8_030_261_248, "meta-llama/Meta-Llama-3-8B", "LlamaForCausalLM"),
    "mistral_7b": (7_241_732_096, "mistralai/Mistral-7B-v0.1", "MistralForCausalLM"),
    "qwen2_0_5b": (494_032_768, "Qwen/Qwen2-0.5B", "Qwen2ForCausalLM"),  # tied head, q/k/v biases
}

_LAYER_INDEX = re.compile(r"\.\d+\.")


@dataclass(frozen=True)
class HFFigures:
    name: str
    model_id: str
    architecture: str
    source: str
    versions: Dict[str, str]
    config: dict
    params: int
    parameters: Dict[str, List[int]]  # named_parameters(): a tied tensor once, under its first name
    tied: List[List[str]]
    by_module_type: Dict[str, dict]
    kv_cache: Optional[dict]


def names() -> List[str]:
    """The models with figures: the stems of tests/data/hf/*.json."""
    return sorted(path.stem for path in HF_DATA.glob("*.json"))


def load(name: str) -> HFFigures:
    data = json.loads((HF_DATA / f"{name}.json").read_text(encoding="utf-8"))
    return HFFigures(
        name=name,
        model_id=data["model_id"],
        architecture=data["architecture"],
        source=data["source"],
        versions=data["versions"],
        config=data["config"],
        params=data["params"],
        parameters=data["parameters"],
        tied=data["tied"],
        by_module_type=data["by_module_type"],
        kv_cache=data["kv_cache"],
    )


def numel(shape: List[int]) -> int:
    """Elements in a tensor of this shape.

    >>> numel([768, 2304])
    1769472
    """
    return prod(shape)


def module_params(figures: HFFigures) -> Dict[str, int]:
    """Parameters per module ('model.layers.0.self_attn.q_proj' -> weight + bias), in model order:
    the unit a spec layer corresponds to."""
    modules: Dict[str, int] = {}
    for name, shape in figures.parameters.items():
        module = name.rpartition(".")[0]
        modules[module] = modules.get(module, 0) + numel(shape)
    return modules


def block_template(figures: HFFigures) -> Dict[str, Tuple[List[int], int]]:
    """Each parameter with its layer index written '*' -> (shape, how many layers have it);
    a parameter outside the repeated blocks keeps its name and a count of 1."""
    template: Dict[str, Tuple[List[int], int]] = {}
    for name, shape in figures.parameters.items():
        key = _LAYER_INDEX.sub(".*.", name, count=1)
        if key in template:
            known, count = template[key]
            if known != shape:
                raise ValueError(f"{figures.name}: {name} has shape {shape}, other layers {known}")
            template[key] = (known, count + 1)
        else:
            template[key] = (shape, 1)
    return template
