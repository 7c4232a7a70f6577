#!/usr/bin/env python3
"""Save Keras Hub backbones as test data for `layercalc summary backbone.json`, with Keras' figures.

A hand-run tool, NOT part of layercalc (Keras and Keras Hub never become project dependencies); run it
with a Python that has Keras 3 + keras-hub, e.g.

    TF_CPP_MIN_LOG_LEVEL=3 /tmp/khenv/bin/python tools/keras_hub_backbones.py

For each backbone below it writes tests/data/keras_hub_backbones/<name>.json (``backbone.to_json()``:
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
}


def main() -> int:
    figures = {"source": "tools/keras_hub_backbones.py", "versions": {
        "python": platform.python_version(), "keras": keras.__version__, "keras_hub": keras_hub.__version__,
        "backend": keras.backend.backend()}, "backbones": {}}
    for name, (class_name, arguments) in BACKBONES.items():
        backbone = getattr(keras_hub.models, class_name)(**arguments)
        target = os.path.join(OUT, f"{name}.json")
        os.makedirs(OUT, exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(backbone.to_json(indent=2) + "\n")
        figures["backbones"][name] = {
            "class": class_name, "params": int(backbone.count_params()),
            "layers": [{"name": layer.name, "class": type(layer).__name__, "params": int(layer.count_params()),
                        "output_shape": list(layer.output.shape)} for layer in backbone.layers],
        }
        print(f"wrote {rel(target)}: {class_name} {backbone.count_params():,} params")
    write_json(os.path.join(OUT, "figures.json"), figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
