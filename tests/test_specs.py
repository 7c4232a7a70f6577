"""Every spec in specs/ that Keras can build, every flat spec in tests/data/flat_specs/ and every reduced
model in tests/data/reduced_specs/ against what Keras 3.15.1 reported for the same model
(tests/data/keras/specs/<name>.json, written by tools/keras_reference.py, from the flat versions where
there are any, whose layer names are Keras' own)."""

import dataclasses
import json

import pytest

from calc import analyze, load_spec, rules
from calc.graph import build_graph
from tests.conftest import KERAS_DATA, ROOT, SPECS
from tests.flat import FLAT_DIR, FLAT_SPECS, corresponding_layers
from tests.hf_figures import HF_DATA

# Language models are checked against Hugging Face transformers' figures, layer by layer
# (tests/test_llm_specs.py); those Keras can build here (GPT-2 small) against Keras' too. The others have
# billions of weights: a Llama at reduced width and depth (tests/data/reduced_specs/) stands for them.
HF_SPECS = [spec for spec in SPECS if (HF_DATA / f"{spec.stem}.json").exists()]
KERAS_SPECS = [spec for spec in SPECS if (KERAS_DATA / "specs" / f"{spec.stem}.json").exists()]
# Not published models (so not reference models in specs/, with snapshots): an architecture of specs/ at
# sizes Keras can build.
REDUCED_SPECS = sorted((ROOT / "tests" / "data" / "reduced_specs").glob("*.yaml"))


def test_every_spec_has_a_reference():
    """Each spec in specs/ is checked against what a framework reported for it: Keras, transformers or both."""
    missing = [spec.name for spec in SPECS if spec not in KERAS_SPECS + HF_SPECS]
    assert not missing and HF_SPECS
    assert sorted(spec.stem for spec in KERAS_SPECS if spec in HF_SPECS) == ["gpt2"]


def keras_names(keras: dict) -> list:
    """Keras' layer names, and the names of their later calls (a shared layer is one Keras layer)."""
    return sorted([layer["name"] for layer in keras["layers"]]
                  + [name for layer in keras["layers"] for name in layer.get("calls", {})])


def keras_class(row) -> str:
    rule = rules.lookup(row.type)  # GroupQueryAttention's Keras class is GroupedQueryAttention
    return rule.keras_class or row.type


def layercalc_type(layer: dict) -> str:
    """The rule of a Keras layer, or of a keras.ops operation ({"class": "Add", "operation": true}: ops.add)."""
    return rules.registered_name("ops", layer["class"]) if layer.get("operation") else layer["class"]


@pytest.mark.parametrize("spec", KERAS_SPECS + FLAT_SPECS + REDUCED_SPECS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_spec_matches_keras(spec):
    keras = json.loads((KERAS_DATA / "specs" / f"{spec.stem}.json").read_text())
    keras_names_ = keras_names(keras)
    # Symbolic sizes (T, B) bound with the values Keras was given (tools/keras_reference.py --set).
    report = analyze(load_spec(str(spec), bindings=keras.get("bindings")))
    # A block's layers are named instance/layer: with "/" read as "_" they are mostly Keras' names.
    ours = {row.name.replace("/", "_"): row for row in report.layers}
    assert len(ours) == len(report.layers)
    if sorted(ours) != keras_names_:
        # Names Keras gave that blocks cannot (auto names, repeat's copies): pair each layer with the
        # flat version's, which has Keras' names, through the graph (tests/flat.py).
        flat = FLAT_DIR / spec.name
        assert spec.parent != FLAT_DIR and flat.exists(), "layer names differ from Keras' and no flat version"
        ours = {flat_row.name.replace("/", "_"): row  # ConvNeXt's flat version keeps Keras' nested Sequentials
                for row, flat_row in corresponding_layers(report, analyze(load_spec(str(flat))))}
    # Keras orders model.layers by depth, we by the spec: match layers by name.
    assert sorted(ours) == keras_names_
    for layer in keras["layers"]:
        row = ours[layer["name"]]
        assert keras_class(row) == layer["class"] or row.type == layercalc_type(layer), layer["name"]
        assert json.loads(json.dumps(row.output_shape)) == layer["output_shape"], layer["name"]
        assert row.counts.trainable_params == layer["trainable_params"], layer["name"]
        assert row.counts.non_trainable_params == layer["non_trainable_params"], layer["name"]
        for name, output_shape in layer.get("calls", {}).items():  # the same layer, called again
            call = ours[name]
            assert keras_class(call) == layer["class"], name
            assert json.loads(json.dumps(call.output_shape)) == output_shape, name
            assert call.counts.params == 0, name  # its weights are counted once, on the layer's row
    totals = report.totals
    assert (totals.params, totals.trainable_params, totals.non_trainable_params) == (
        keras["totals"]["params"], keras["totals"]["trainable_params"], keras["totals"]["non_trainable_params"])


def test_which_block_specs_keep_keras_names():
    """Where the blocks version cannot use Keras' names, and why (see each spec's header)."""
    through_flat = []
    for spec in KERAS_SPECS:
        keras = json.loads((KERAS_DATA / "specs" / f"{spec.stem}.json").read_text())
        names = {row.name.replace("/", "_") for row in analyze(load_spec(str(spec),
                                                                         bindings=keras.get("bindings"))).layers}
        if names != set(keras_names(keras)):
            through_flat.append(spec.stem)
    # repeat's block_1, ...; Keras' auto names (of activations and operations: re_lu_2, add_1)
    assert through_flat == ["convnext_tiny", "densenet121", "inception_v3", "mobilenet_v3_small"]


def architecture(spec) -> list:
    """Each layer's name, type, inputs and non-size arguments (activations, biases, epsilons, ...)."""
    def kept(rule):
        return {key: value for key, value in dataclasses.asdict(rule).items()
                if isinstance(value, bool) or not isinstance(value, int)}
    return [(node.name, node.type, node.inputs, kept(node.rule)) for node in build_graph(load_spec(str(spec))).nodes]


def test_reduced_llama_is_llama3_8b_at_smaller_sizes():
    """The reduced Llama checked against Keras has Llama 3 8B's layers, inputs and arguments, its sizes aside."""
    small = architecture(ROOT / "tests" / "data" / "reduced_specs" / "llama_small.yaml")
    large = architecture(ROOT / "specs" / "llama3_8b.yaml")
    blocks = {name.split("/")[0] for name, *_ in small if "/" in name}
    assert blocks == {"layers_1", "layers_2"}
    # Its first two blocks, and the head, which reads the last block (layers_32) where the small one reads layers_2.
    large = [(name, type_, tuple(ref.replace("layers_32/", "layers_2/") for ref in inputs), arguments)
             for name, type_, inputs, arguments in large if "/" not in name or name.split("/")[0] in blocks]
    assert small == large
