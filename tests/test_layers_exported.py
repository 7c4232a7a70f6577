"""Every layer class keras.layers exports is either supported or left out on purpose, with a reason.

tests/data/keras/layers_exported.json lists the classes (tools/keras_layers_exported.py, run with Keras
3.15.1 and TensorFlow 2.21.0: every name in dir(keras.layers) that subclasses keras.layers.Layer); the
tests read it, never Keras.
"""

import json

from calc import rules
from tests.conftest import KERAS_DATA

EXPORTED = json.loads((KERAS_DATA / "layers_exported.json").read_text())
NAMES = [layer["name"] for layer in EXPORTED["layers"]]
LEFT_OUT = dict(rules.LEFT_OUT)
# Read by the spec, not a rule: a first layer {type: InputLayer, shape: [...]} is the spec's input, as Keras'
# Sequential reads it (calc/spec/build.py).
READ_AS_INPUT = {"InputLayer"}


def test_the_list_is_keras_3_15s():
    assert EXPORTED["keras_version"] == "3.15.1"
    assert len(NAMES) == 163 and "Dense" in NAMES and "Lambda" in NAMES


def test_every_exported_class_is_supported_or_left_out():
    neither = [name for name in NAMES if rules.lookup(name) is None and name not in LEFT_OUT]
    assert sorted(neither) == sorted(READ_AS_INPUT), f"keras.layers classes neither supported nor left out: {neither}"


def test_left_out_classes_are_keras_ones_without_a_rule():
    assert sorted(set(LEFT_OUT) - set(NAMES)) == []
    assert [name for name in LEFT_OUT if rules.lookup(name) is not None] == []
    assert all(reason.strip() for reason in LEFT_OUT.values())


def test_an_alias_of_keras_is_a_registered_alias():
    """Keras' aliases (Convolution2D names Conv2D) are aliases here too, of the same class; a class exported
    under another name (GroupQueryAttention, class GroupedQueryAttention) says so in keras_class."""
    for layer in EXPORTED["layers"]:
        if layer["name"] != layer["class"] and layer["name"] not in LEFT_OUT:
            rule = rules.lookup(layer["name"])
            assert rule is rules.lookup(layer["class"]) or rule.keras_class == layer["class"], layer["name"]


def test_an_input_layer_written_first_is_the_input(cli, tmp_path):
    """layers: [{type: InputLayer, shape, batch_size, name}, ...] is keras.Sequential([InputLayer(...), ...]):
    the same report as the spec with input: and batch:; anywhere else an InputLayer is refused, saying why."""
    layers = "  - {type: Conv2D, filters: 4, kernel_size: 3}\n  - {type: Flatten}\n  - {type: Dense, units: 10}\n"
    written = tmp_path / "input_layer.yaml"
    written.write_text("name: m\nlayers:\n  - {type: InputLayer, shape: [28, 28, 1], batch_size: 8, name: input}\n"
                       + layers)
    plain = tmp_path / "plain.yaml"
    plain.write_text("name: m\nbatch: 8\ninput: [28, 28, 1]\nlayers:\n" + layers)
    assert cli(["summary", written, "-f", "json"]).stdout == cli(["summary", plain, "-f", "json"]).stdout
    batch_shape = tmp_path / "batch_shape.yaml"
    batch_shape.write_text("name: m\nlayers:\n  - {type: InputLayer, batch_shape: [8, 28, 28, 1]}\n" + layers)
    assert cli(["summary", batch_shape, "-f", "json"]).stdout == cli(["summary", plain, "-f", "json"]).stdout
    later = tmp_path / "later.yaml"
    later.write_text("input: [4]\nlayers:\n  - {type: InputLayer, shape: [4]}\n  - {type: Dense, units: 3}\n")
    result = cli(["summary", later])
    assert result.exit_code == 2 and "only a spec's first layer may be an InputLayer" in result.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("layers:\n  - {type: InputLayer, shap: [4]}\n  - {type: Dense, units: 3}\n")
    result = cli(["summary", typo])
    assert result.exit_code == 2 and "typo.yaml:2:" in result.stderr and "did you mean 'shape'" in result.stderr
