"""Keras Hub backbones saved with to_json() (constructor arguments only) rebuilt by layercalc
(calc/readers/keras_hub_backbones.py), against the figures Keras Hub 0.32.0 (Keras 3.15.1, TensorFlow)
reported for them: tools/keras_hub_backbones.py wrote tests/data/keras_hub_backbones/*.json and figures.json."""

import json
from pathlib import Path

import pytest

from calc import collapse, convert, summarize

DATA = Path(__file__).resolve().parent / "data" / "keras_hub_backbones"
FIGURES = json.loads((DATA / "figures.json").read_text())["backbones"]
# Keras Hub's RMS norms, layercalc's RMSNormalization (a scale of the last axis' size, epsilon given).
STAND_INS = {"LlamaLayerNorm": "RMSNormalization", "MistralLayerNormalization": "RMSNormalization"}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_backbone_matches_keras_hub_layer_by_layer(name):
    figures = FIGURES[name]
    report = collapse(summarize(DATA / f"{name}.json"), 1)  # a decoder block as one row, as Keras Hub's layer
    assert report.totals.params == figures["params"]
    rows = {row.name: row for row in report.layers}
    keras_layers = [layer for layer in figures["layers"] if layer["class"] != "InputLayer"]
    for layer in keras_layers:
        if layer["name"] not in rows:  # only weightless layers may be missing (none is, today)
            assert layer["params"] == 0, layer["name"]
            continue
        row = rows[layer["name"]]
        assert row.counts.params == layer["params"], layer["name"]
        assert row.type == STAND_INS.get(layer["class"], layer["class"]), layer["name"]
        assert len(row.output_shape) == len(layer["output_shape"]) and row.output_shape[-1] == layer["output_shape"][-1]
    stand_ins = {name for name in rows if name not in {layer["name"] for layer in keras_layers}}
    assert stand_ins <= {"first_token"}  # BERT's x[:, 0, :], an operation in Keras Hub


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
    path.write_text(json.dumps({**saved, "class_name": "GemmaBackbone", "registered_name": "keras_hub>GemmaBackbone"}))
    result = cli(["summary", path])
    assert result.exit_code == 2
    assert "Keras Hub model 'GemmaBackbone' is not supported: layercalc rebuilds GPT2Backbone, BertBackbone, " \
        "LlamaBackbone, MistralBackbone" in result.stderr
