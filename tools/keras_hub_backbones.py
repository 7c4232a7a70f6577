#!/usr/bin/env python3
"""Save Keras Hub backbones as test data for `layercalc summary backbone.json`, with Keras' figures.

A hand-run tool, NOT part of layercalc (Keras and Keras Hub never become project dependencies); run it
with a Python that has Keras 3 + keras-hub, e.g.

    TF_CPP_MIN_LOG_LEVEL=3 /tmp/khenv/bin/python tools/keras_hub_backbones.py

For each backbone and task (built on one of the backbones, without a preprocessor) below it writes tests/data/keras_hub_backbones/<name>.json (``model.to_json()``:
the constructor's arguments only, which is all a saved backbone keeps of its architecture) and, in
figures.json, the versions used, ``count_params()`` and every layer of ``backbone.layers`` with its
class, parameters and output shape. The tests only ever read these files.
"""

from __future__ import annotations

import json
import os
import platform
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import keras_hub  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_json import rel, write_json  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "keras_hub_backbones")

# name: (class, constructor arguments). gpt2_base_en and bert_base_en are the presets' published sizes.
BACKBONES = {
    "gpt2_base_en": ("GPT2Backbone", dict(vocabulary_size=50257, num_layers=12, num_heads=12, hidden_dim=768,
                                          intermediate_dim=3072, max_sequence_length=1024)),
    "gpt2_small": ("GPT2Backbone", dict(vocabulary_size=321, num_layers=3, num_heads=4, hidden_dim=64,
                                        intermediate_dim=100, dropout=0.0, max_sequence_length=128)),
    "bert_base_en": ("BertBackbone", dict(vocabulary_size=30522, num_layers=12, num_heads=12, hidden_dim=768,
                                          intermediate_dim=3072, max_sequence_length=512, num_segments=2)),
    "llama_small": ("LlamaBackbone", dict(vocabulary_size=300, num_layers=3, num_query_heads=6, num_key_value_heads=2,
                                          hidden_dim=48, intermediate_dim=100)),
    "llama_small_mha": ("LlamaBackbone", dict(vocabulary_size=200, num_layers=2, num_query_heads=4,
                                              num_key_value_heads=4, hidden_dim=32, intermediate_dim=64,
                                              layer_norm_epsilon=1e-05)),
    "mistral_small": ("MistralBackbone", dict(vocabulary_size=250, num_layers=2, num_query_heads=8,
                                              num_key_value_heads=2, hidden_dim=64, intermediate_dim=96)),
    "mistral_small_head_dim": ("MistralBackbone", dict(vocabulary_size=250, num_layers=2, num_query_heads=4,
                                                       num_key_value_heads=2, hidden_dim=64, intermediate_dim=96,
                                                       head_dim=24)),
    "bert_small": ("BertBackbone", dict(vocabulary_size=200, num_layers=2, num_heads=2, hidden_dim=32,
                                        intermediate_dim=48, max_sequence_length=64, num_segments=3)),
    "llama3_small": ("Llama3Backbone", dict(vocabulary_size=300, num_layers=2, num_query_heads=4, num_key_value_heads=2,
                                            hidden_dim=32, intermediate_dim=80)),
    "qwen_small": ("QwenBackbone", dict(vocabulary_size=300, num_layers=2, num_query_heads=6, num_key_value_heads=2,
                                        hidden_dim=48, intermediate_dim=90)),
    "qwen_small_untied": ("QwenBackbone", dict(vocabulary_size=280, num_layers=2, num_query_heads=4,
                                               num_key_value_heads=4, hidden_dim=32, intermediate_dim=64,
                                               tie_word_embeddings=False)),
    "qwen3_small": ("Qwen3Backbone", dict(vocabulary_size=300, num_layers=2, num_query_heads=4, num_key_value_heads=2,
                                          head_dim=24, hidden_dim=64, intermediate_dim=96)),
    "qwen3_small_untied": ("Qwen3Backbone", dict(vocabulary_size=256, num_layers=3, num_query_heads=8,
                                                 num_key_value_heads=4, head_dim=8, hidden_dim=48, intermediate_dim=72,
                                                 tie_word_embeddings=False)),
    "phi3_small": ("Phi3Backbone", dict(vocabulary_size=300, num_layers=2, num_query_heads=4, num_key_value_heads=2,
                                        hidden_dim=64, intermediate_dim=96)),
    "phi3_small_mha": ("Phi3Backbone", dict(vocabulary_size=200, num_layers=3, num_query_heads=4, num_key_value_heads=4,
                                            hidden_dim=32, intermediate_dim=40)),
    "mixtral_small": ("MixtralBackbone", dict(vocabulary_size=300, num_layers=2, num_query_heads=4,
                                              num_key_value_heads=2, hidden_dim=32, intermediate_dim=48, num_experts=4,
                                              top_k=2)),
    "mixtral_small_top1": ("MixtralBackbone", dict(vocabulary_size=220, num_layers=2, num_query_heads=8,
                                                   num_key_value_heads=8, hidden_dim=64, intermediate_dim=40,
                                                   num_experts=3, top_k=1)),
    "gemma_small": ("GemmaBackbone", dict(vocabulary_size=300, num_layers=2, num_query_heads=4, num_key_value_heads=1,
                                          hidden_dim=32, intermediate_dim=96, head_dim=16)),
    "gemma_small_post_norms": ("GemmaBackbone", dict(vocabulary_size=256, num_layers=3, num_query_heads=4,
                                                     num_key_value_heads=2, hidden_dim=48, intermediate_dim=80,
                                                     head_dim=8, use_post_ffw_norm=True, use_post_attention_norm=True)),
    "gemma3_small": ("Gemma3Backbone", dict(vocabulary_size=300, image_size=16, num_layers=2, num_query_heads=4,
                                            num_key_value_heads=2, hidden_dim=32, intermediate_dim=64, head_dim=8)),
    "gemma3_small_no_qk_norm": ("Gemma3Backbone", dict(vocabulary_size=256, image_size=16, num_layers=2,
                                                       num_query_heads=2, num_key_value_heads=1, hidden_dim=40,
                                                       intermediate_dim=56, head_dim=12, use_query_key_norm=False,
                                                       use_post_ffw_norm=True, use_post_attention_norm=True)),
    # a vision encoder (vision_encoder: Gemma3VisionEncoder's arguments): 8 × 8 patches of 4, pooled 2 × 2 to 16
    # tokens per image
    "gemma3_vision_small": ("Gemma3Backbone", dict(
        vocabulary_size=300, image_size=32, num_layers=2, num_query_heads=4, num_key_value_heads=2, hidden_dim=32,
        intermediate_dim=64, head_dim=8, vision_encoder=dict(image_size=32, patch_size=4, num_heads=2, hidden_dim=16,
                                                             num_layers=2, intermediate_dim=24, output_dim=32,
                                                             pool_size=2))),
    "gemma3_vision_gelu_post_norms": ("Gemma3Backbone", dict(
        vocabulary_size=256, image_size=24, num_layers=1, num_query_heads=2, num_key_value_heads=1, hidden_dim=24,
        intermediate_dim=40, head_dim=12, use_post_ffw_norm=True, use_post_attention_norm=True,
        vision_encoder=dict(image_size=24, patch_size=3, num_heads=3, hidden_dim=12, num_layers=3,
                            intermediate_dim=20, output_dim=24, pool_size=4, layer_norm_epsilon=1e-05))),
}

# name: (task class, backbone name above, the task's own arguments). A task saves its backbone's config nested.
TASKS = {
    "gpt2_causal_lm": ("GPT2CausalLM", "gpt2_small", {}),
    "llama_causal_lm": ("LlamaCausalLM", "llama_small", {}),
    "mistral_causal_lm": ("MistralCausalLM", "mistral_small_head_dim", {}),
    "bert_text_classifier": ("BertTextClassifier", "bert_small", dict(num_classes=5, activation="softmax")),
    "llama3_causal_lm": ("Llama3CausalLM", "llama3_small", {}),
    "qwen_causal_lm": ("QwenCausalLM", "qwen_small_untied", {}),
    "qwen3_causal_lm": ("Qwen3CausalLM", "qwen3_small", {}),
    "phi3_causal_lm": ("Phi3CausalLM", "phi3_small", {}),
    "mixtral_causal_lm": ("MixtralCausalLM", "mixtral_small", {}),
    "gemma_causal_lm": ("GemmaCausalLM", "gemma_small", {}),
    "gemma3_causal_lm": ("Gemma3CausalLM", "gemma3_small", {}),
    "bert_text_embedder": ("BertTextEmbedder", "bert_small", {}),
    "bert_text_embedder_cls": ("BertTextEmbedder", "bert_small", dict(pooling_mode="cls", normalize=False)),
    "bert_text_embedder_max": ("BertTextEmbedder", "bert_small", dict(pooling_mode="max")),
    "qwen3_text_embedder": ("Qwen3TextEmbedder", "qwen3_small", {}),
    "gemma3_text_embedder": ("Gemma3TextEmbedder", "gemma3_small", dict(pooling_mode="mean", normalize=False)),
    "gemma3_vision_causal_lm": ("Gemma3CausalLM", "gemma3_vision_small", {}),
}


def shape_of(layer):
    """A layer's output shape as model.summary() prints it: its last call's (a task's token_embedding is called
    twice, in the backbone and in reverse for the logits); a backbone returning a dict (BERT's) gives one per key."""
    output = layer.output if len(layer._inbound_nodes) == 1 else layer._inbound_nodes[-1].output_tensors[0]
    if isinstance(output, dict):
        return {key: list(value.shape) for key, value in output.items()}
    return list(output.shape)


def record(model, class_name: str) -> dict:
    """count_params(), every layer of model.layers, and a task's output shape (its operations after the backbone,
    such as a TextEmbedder's pooling, are not layers)."""
    output = {} if class_name.endswith("Backbone") or isinstance(model.output, dict) else {
        "output_shape": list(model.output.shape)}
    return {"class": class_name, "params": int(model.count_params()),
            "layers": [{"name": layer.name, "class": type(layer).__name__, "params": int(layer.count_params()),
                        "output_shape": shape_of(layer)} for layer in model.layers], **output}


def save(model, name: str) -> None:
    target = os.path.join(OUT, f"{name}.json")
    os.makedirs(OUT, exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(model.to_json(indent=2) + "\n")
    print(f"wrote {rel(target)}: {type(model).__name__} {model.count_params():,} params")


def backbone_of(name: str):
    class_name, arguments = BACKBONES[name]
    if "vision_encoder" in arguments:  # Gemma3's: its arguments given, the encoder made here
        from keras_hub.src.models.gemma3.gemma3_vision_encoder import Gemma3VisionEncoder

        arguments = {**arguments, "vision_encoder": Gemma3VisionEncoder(**arguments["vision_encoder"])}
    return getattr(keras_hub.models, class_name)(**arguments)


def main() -> int:
    figures = {"source": "tools/keras_hub_backbones.py", "versions": {
        "python": platform.python_version(), "keras": keras.__version__, "keras_hub": keras_hub.__version__,
        "backend": keras.backend.backend()}, "backbones": {}}
    for name, (class_name, _) in BACKBONES.items():
        backbone = backbone_of(name)
        save(backbone, name)
        figures["backbones"][name] = record(backbone, class_name)
    for name, (class_name, backbone_name, arguments) in TASKS.items():
        keras.backend.clear_session()  # Keras Hub's default names again (gpt2_backbone, not gpt2_backbone_2)
        task = getattr(keras_hub.models, class_name)(backbone=backbone_of(backbone_name), preprocessor=None, **arguments)
        save(task, name)
        figures["backbones"][name] = record(task, class_name)
    write_json(os.path.join(OUT, "figures.json"), figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
