#!/usr/bin/env python3
"""Ask Hugging Face transformers for the parameter counts of six published models; write them as JSON test data.

This is a hand-run tool, NOT part of layercalc: PyTorch and transformers must never
become project dependencies.  Run it from any directory with a Python that has
torch and transformers installed, e.g.

    python3 -m venv /tmp/hfenv
    /tmp/hfenv/bin/pip install torch==2.13.0 transformers numpy
    /tmp/hfenv/bin/python tools/hf_reference.py

Each model is built from its configuration on PyTorch's meta device (shapes only:
no memory, no weights, no download), as ``sum(p.numel() for p in model.parameters())``
counts it.  No hub access is needed, or used: each configuration below is the
model's published ``config.json`` copied by hand (the keys that decide shapes, and
the others that describe the architecture), with the model id it comes from.

For each model it writes ``tests/data/hf/<name>.json``: the versions used, the
config, the architecture class, the total, every named parameter with its shape
(``named_parameters()``, which lists a tied tensor once, under its first name), the
tied names, the count per module type, and the figures a KV cache needs
(key/value heads x head_dim per layer).  The tests only ever read the JSON.

Options:
    NAME ...     only these models (default: all)
    --out DIR    where the JSON goes (default: tests/data/hf)
    --configs    instead: build the model of every config.json in tests/data/hf/configs (the class its
                 "architectures" names, the config made by AutoConfig.for_model from its model_type) and
                 write its total and named parameters to tests/data/hf/figures/<name>.json, the figures
                 layercalc's Hugging Face reader is tested against (tests/test_hf_config.py)

Exit status is 1 if a total differs from the figure issue 13 states (the JSON is
still written: the difference is the finding, never a number to adjust).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the hub
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import transformers  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_json import rel, to_json, write_json  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "hf")

# name: model id on the Hugging Face hub, architecture class counted, its config class,
# the published config.json (values as published; keys that only name tokens, dtypes or
# versions are left out, none of them changes a shape), and the total issue 13 states.
MODELS = {
    "gpt2": {
        "model_id": "gpt2",
        # GPT2LMHeadModel is what config.json's "architectures" names; its lm_head is tied to
        # transformer.wte, so parameters() counts the same total as the headless GPT2Model.
        "architecture": "GPT2LMHeadModel",
        "config_class": "GPT2Config",
        "config": {
            "model_type": "gpt2",
            "activation_function": "gelu_new",
            "n_ctx": 1024,
            "n_embd": 768,
            "n_head": 12,
            "n_layer": 12,
            "n_positions": 1024,
            "layer_norm_epsilon": 1e-05,
            "vocab_size": 50257,
            "attn_pdrop": 0.1,
            "embd_pdrop": 0.1,
            "resid_pdrop": 0.1,
            "initializer_range": 0.02,
            "bos_token_id": 50256,
            "eos_token_id": 50256,
        },
        "expected": 124_439_808,
        "also": ["GPT2Model"],
    },
    "bert_base": {
        "model_id": "bert-base-uncased",
        # config.json names BertForMaskedLM; the figure is the bare encoder with its pooler.
        "architecture": "BertModel",
        "config_class": "BertConfig",
        "config": {
            "model_type": "bert",
            "hidden_act": "gelu",
            "hidden_size": 768,
            "intermediate_size": 3072,
            "num_attention_heads": 12,
            "num_hidden_layers": 12,
            "max_position_embeddings": 512,
            "type_vocab_size": 2,
            "vocab_size": 30522,
            "layer_norm_eps": 1e-12,
            "position_embedding_type": "absolute",
            "attention_probs_dropout_prob": 0.1,
            "hidden_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "pad_token_id": 0,
        },
        "construct": {"add_pooling_layer": True},
        "expected": 109_482_240,
        "also": ["BertForMaskedLM"],
    },
    "llama2_7b": {
        "model_id": "meta-llama/Llama-2-7b-hf",
        "architecture": "LlamaForCausalLM",
        "config_class": "LlamaConfig",
        "config": {
            "model_type": "llama",
            "hidden_act": "silu",
            "hidden_size": 4096,
            "intermediate_size": 11008,
            "num_attention_heads": 32,
            "num_hidden_layers": 32,
            "num_key_value_heads": 32,
            "max_position_embeddings": 4096,
            "rms_norm_eps": 1e-05,
            "rope_scaling": None,
            "tie_word_embeddings": False,
            "vocab_size": 32000,
            "pretraining_tp": 1,
            "initializer_range": 0.02,
            "bos_token_id": 1,
            "eos_token_id": 2,
        },
        "expected": 6_738_415_616,
    },
    "llama3_8b": {
        "model_id": "meta-llama/Meta-Llama-3-8B",
        "architecture": "LlamaForCausalLM",
        "config_class": "LlamaConfig",
        "config": {
            "model_type": "llama",
            "attention_bias": False,
            "attention_dropout": 0.0,
            "hidden_act": "silu",
            "hidden_size": 4096,
            "intermediate_size": 14336,
            "num_attention_heads": 32,
            "num_hidden_layers": 32,
            "num_key_value_heads": 8,
            "max_position_embeddings": 8192,
            "rms_norm_eps": 1e-05,
            "rope_scaling": None,
            "rope_theta": 500000.0,
            "tie_word_embeddings": False,
            "vocab_size": 128256,
            "pretraining_tp": 1,
            "initializer_range": 0.02,
            "bos_token_id": 128000,
            "eos_token_id": 128001,
        },
        "expected": 8_030_261_248,
        # The KV-cache figure: one sequence of 8,192 tokens in bfloat16 (2 bytes).
        "kv_cache_example": {"tokens": 8192, "batch": 1, "dtype": "bfloat16", "expected_bytes": 2**30},
    },
    "mistral_7b": {
        "model_id": "mistralai/Mistral-7B-v0.1",
        "architecture": "MistralForCausalLM",
        "config_class": "MistralConfig",
        "config": {
            "model_type": "mistral",
            "hidden_act": "silu",
            "hidden_size": 4096,
            "intermediate_size": 14336,
            "num_attention_heads": 32,
            "num_hidden_layers": 32,
            "num_key_value_heads": 8,
            "max_position_embeddings": 32768,
            "rms_norm_eps": 1e-05,
            "rope_theta": 10000.0,
            "sliding_window": 4096,
            "tie_word_embeddings": False,
            "vocab_size": 32000,
            "initializer_range": 0.02,
            "bos_token_id": 1,
            "eos_token_id": 2,
        },
        "expected": 7_241_732_096,
    },
    "qwen2_0_5b": {
        "model_id": "Qwen/Qwen2-0.5B",
        # Qwen2Attention has biases on q_proj, k_proj and v_proj (not o_proj); no config key sets them.
        "architecture": "Qwen2ForCausalLM",
        "config_class": "Qwen2Config",
        "config": {
            "model_type": "qwen2",
            "attention_dropout": 0.0,
            "hidden_act": "silu",
            "hidden_size": 896,
            "intermediate_size": 4864,
            "num_attention_heads": 14,
            "num_hidden_layers": 24,
            "num_key_value_heads": 2,
            "max_position_embeddings": 131072,
            "max_window_layers": 24,
            "rms_norm_eps": 1e-06,
            "rope_theta": 1000000.0,
            "sliding_window": 131072,
            "use_sliding_window": False,
            "tie_word_embeddings": True,
            "vocab_size": 151936,
            "initializer_range": 0.02,
            "bos_token_id": 151643,
            "eos_token_id": 151643,
        },
        "expected": 494_032_768,
    },
}

DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}


def versions() -> dict:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }


def make_config(entry: dict):
    config_class = getattr(transformers, entry["config_class"])
    config = {key: value for key, value in entry["config"].items() if key != "model_type"}
    return config_class(**config)


def build(class_name: str, config, construct=None):
    """The model on the meta device: every parameter has its shape and no storage."""
    model_class = getattr(transformers, class_name)
    with torch.device("meta"):
        model = model_class(config, **(construct or {}))
    devices = {parameter.device.type for parameter in model.parameters()}
    if devices != {"meta"}:
        raise RuntimeError(f"{class_name}: parameters on {sorted(devices)}, not only on meta")
    return model


def total(model) -> int:
    return int(sum(parameter.numel() for parameter in model.parameters()))


def tied_names(model) -> list:
    """Groups of names that share one tensor (parameters() counts it once, under the first)."""
    names = {}
    for name, parameter in model.named_parameters(remove_duplicate=False):
        names.setdefault(id(parameter), []).append(name)
    return [group for group in names.values() if len(group) > 1]


def by_module_type(model) -> dict:
    """Module class -> modules holding parameters, and their parameters (each tensor once, with its owner)."""
    modules = dict(model.named_modules())
    counts = {}
    for name, parameter in model.named_parameters():
        owner = modules[name.rpartition(".")[0]]
        entry = counts.setdefault(type(owner).__name__, {"modules": set(), "params": 0})
        entry["modules"].add(name.rpartition(".")[0])
        entry["params"] += int(parameter.numel())
    return {
        kind: {"modules": len(entry["modules"]), "params": entry["params"]}
        for kind, entry in sorted(counts.items())
    }


def kv_cache(config, entry: dict):
    """Per layer, a decoder caches keys and values of width num_key_value_heads x head_dim per token."""
    if not getattr(config, "is_decoder", False) and entry["architecture"] == "BertModel":
        return None  # an encoder: no KV cache
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    layers = config.num_hidden_layers
    figures = {
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": head_dim,
        "kv_width": kv_heads * head_dim,
        "formula": "bytes = 2 (key and value) x layers x num_key_value_heads x head_dim x tokens x batch x dtype bytes",
        "bytes_per_token_bfloat16": 2 * layers * kv_heads * head_dim * DTYPE_BYTES["bfloat16"],
    }
    example = entry.get("kv_cache_example")
    if example:
        tokens, batch, dtype = example["tokens"], example["batch"], example["dtype"]
        figures["example"] = {
            "tokens": tokens,
            "batch": batch,
            "dtype": dtype,
            "bytes": 2 * layers * kv_heads * head_dim * tokens * batch * DTYPE_BYTES[dtype],
            "bytes_from_transformers": static_cache_bytes(config, tokens, batch, getattr(torch, dtype)),
        }
    return figures


def static_cache_bytes(config, tokens: int, batch: int, dtype):
    """The bytes of transformers' own StaticCache for this config, built on the meta device; None if
    this transformers version can't build one that way."""
    try:
        cache = transformers.StaticCache(config=config, max_cache_len=tokens)
        layers = getattr(cache, "layers", None)
        if layers is None:
            return None
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        kv_heads = config.num_key_value_heads
        nbytes = 0
        for layer in layers:
            # Layers allocate lazily on their first update: give each a meta key/value of one token.
            if getattr(layer, "keys", None) is None or not getattr(layer, "is_initialized", True):
                probe = torch.empty((batch, kv_heads, 1, head_dim), dtype=dtype, device="meta")
                layer.lazy_initialization(probe, probe)
            nbytes += layer.keys.numel() * layer.keys.element_size() + layer.values.numel() * layer.values.element_size()
        return int(nbytes)
    except Exception as exc:  # noqa: BLE001 - an API that changed is reported, not fatal
        print(f"  (StaticCache not measured: {type(exc).__name__}: {exc})", file=sys.stderr)
        return None


def config_read_as(entry: dict, config) -> dict:
    """What transformers made of the hand-copied config: the attributes the model reads for its
    shapes and position encoding, and each config.json key it stored differently (transformers 5
    folds rope_theta and rope_scaling into rope_parameters; Qwen2 drops sliding_window when
    use_sliding_window is false). None of these changes a parameter count."""
    read = {
        key: getattr(config, key)
        for key in ("head_dim", "attention_bias", "mlp_bias", "rope_parameters")
        if getattr(config, key, None) is not None
    }
    missing = object()
    changed = {
        key: (None if getattr(config, key, missing) is missing else getattr(config, key))
        for key, value in entry["config"].items()
        if key != "model_type" and getattr(config, key, missing) != value
    }
    return {**read, "keys_stored_differently": changed}


# -- one model ----------------------------------------------------------------------


def figures(name: str, entry: dict) -> dict:
    config = make_config(entry)
    model = build(entry["architecture"], config, entry.get("construct"))
    parameters = {pname: list(parameter.shape) for pname, parameter in model.named_parameters()}
    count = total(model)
    data = {
        "source": (f"Hugging Face transformers {transformers.__version__}: {entry['architecture']} built from the "
                   f"published config.json of {entry['model_id']} on PyTorch's meta device "
                   "(tools/hf_reference.py); params = sum(p.numel() for p in model.parameters())"),
        "model_id": entry["model_id"],
        "architecture": entry["architecture"],
        "construct": entry.get("construct", {}),
        "versions": versions(),
        "config": entry["config"],
        "config_read_as": config_read_as(entry, config),
        "params": count,
        "expected_params": entry["expected"],
        "matches_expected": count == entry["expected"],
        "tied": tied_names(model),
        "by_module_type": by_module_type(model),
        "other_classes": {other: total(build(other, config)) for other in entry.get("also", [])},
        "kv_cache": kv_cache(config, entry),
        "parameters": parameters,
    }
    return data


CONFIGS = os.path.join(OUT, "configs")
FIGURES = os.path.join(OUT, "figures")


def config_figures(path: str) -> dict:
    """transformers' figures for one config.json: the class "architectures" names, on the meta device."""
    with open(path, encoding="utf-8") as handle:
        published = json.load(handle)
    keys = {key: value for key, value in published.items()
            if key not in ("model_type", "architectures", "_name_or_path")}
    config = transformers.AutoConfig.for_model(published["model_type"], **keys)
    architecture = published["architectures"][0]
    model = build(architecture, config)
    return {
        "source": (f"Hugging Face transformers {transformers.__version__}: {architecture} built from "
                   f"{rel(path)} on PyTorch's meta device (tools/hf_reference.py --configs); "
                   "params = sum(p.numel() for p in model.parameters())"),
        "config": rel(path),
        "architecture": architecture,
        "versions": versions(),
        "params": total(model),
        "tied": tied_names(model),
        "parameters": {name: list(parameter.shape) for name, parameter in model.named_parameters()},
    }


def main_configs() -> int:
    os.makedirs(FIGURES, exist_ok=True)
    for name in sorted(os.listdir(CONFIGS)):
        if name.endswith(".json"):
            data = config_figures(os.path.join(CONFIGS, name))
            target = os.path.join(FIGURES, name)
            write_json(target, data)
            print(f"wrote {rel(target)}: {data['architecture']} {data['params']:,} params")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"models (default: all of {', '.join(MODELS)})")
    parser.add_argument("--out", default=OUT, help="directory for the JSON")
    parser.add_argument("--configs", action="store_true", help="the figures of every config in tests/data/hf/configs")
    options = parser.parse_args(argv)
    if options.configs:
        return main_configs()
    unknown = [name for name in options.names if name not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")

    differing = 0
    print(f"python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__}")
    for name in options.names or MODELS:
        entry = MODELS[name]
        data = figures(name, entry)
        target = os.path.join(options.out, f"{name}.json")
        write_json(target, data)
        verdict = "matches the issue" if data["matches_expected"] else f"DIFFERS from the issue's {entry['expected']:,}"
        others = "".join(f"; {cls}: {n:,}" for cls, n in data["other_classes"].items())
        print(f"wrote {rel(target)}: {entry['architecture']} {data['params']:,} params, {verdict}{others}")
        example = (data["kv_cache"] or {}).get("example")
        if example:
            print(f"  KV cache, {example['tokens']} tokens x batch {example['batch']} in {example['dtype']}: "
                  f"{example['bytes']:,} bytes (StaticCache: {example['bytes_from_transformers']})")
        if not data["matches_expected"]:
            differing += 1
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
