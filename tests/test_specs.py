"""Every spec in specs/ and every flat spec in tests/data/flat_specs/ against what Keras 3.15.1
reported for the same model (tests/data/keras/specs/<name>.json, written by tools/keras_reference.py
from the flat versions, whose layer names are Keras' own)."""

import json

import pytest

from calc import analyze, load_spec
from tests.conftest import KERAS_DATA, SPECS
from tests.flat import FLAT_DIR, FLAT_SPECS, corresponding_layers
from tests.hf_figures import HF_DATA

# Language models Keras cannot build here (billions of weights): checked against Hugging Face
# transformers' figures instead, layer by layer (tests/test_llm_specs.py).
HF_SPECS = [spec for spec in SPECS if (HF_DATA / f"{spec.stem}.json").exists()]
KERAS_SPECS = [spec for spec in SPECS if spec not in HF_SPECS]


def test_every_spec_has_a_reference():
    """Each spec in specs/ is checked against what a framework reported for it: Keras or transformers."""
    missing = [spec.name for spec in KERAS_SPECS if not (KERAS_DATA / "specs" / f"{spec.stem}.json").exists()]
    assert not missing and HF_SPECS


@pytest.mark.parametrize("spec", KERAS_SPECS + FLAT_SPECS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_spec_matches_keras(spec):
    keras = json.loads((KERAS_DATA / "specs" / f"{spec.stem}.json").read_text())
    keras_names = sorted(layer["name"] for layer in keras["layers"])
    report = analyze(load_spec(str(spec)))
    # A block's layers are named instance/layer: with "/" read as "_" they are mostly Keras' names.
    ours = {row.name.replace("/", "_"): row for row in report.layers}
    assert len(ours) == len(report.layers)
    if sorted(ours) != keras_names:
        # Names Keras gave that blocks cannot (auto names, repeat's copies): pair each layer with the
        # flat version's, which has Keras' names, through the graph (tests/flat.py).
        flat = FLAT_DIR / spec.name
        assert spec.parent != FLAT_DIR and flat.exists(), "layer names differ from Keras' and no flat version"
        ours = {flat_row.name: row for row, flat_row in corresponding_layers(report, analyze(load_spec(str(flat))))}
    # Keras orders model.layers by depth, we by the spec: match layers by name.
    assert sorted(ours) == keras_names
    for layer in keras["layers"]:
        row = ours[layer["name"]]
        assert row.type == layer["class"]
        assert json.loads(json.dumps(row.output_shape)) == layer["output_shape"], layer["name"]
        assert row.counts.trainable_params == layer["trainable_params"], layer["name"]
        assert row.counts.non_trainable_params == layer["non_trainable_params"], layer["name"]
    totals = report.totals
    assert (totals.params, totals.trainable_params, totals.non_trainable_params) == (
        keras["totals"]["params"], keras["totals"]["trainable_params"], keras["totals"]["non_trainable_params"])


def test_which_block_specs_keep_keras_names():
    """Where the blocks version cannot use Keras' names, and why (see each spec's header)."""
    through_flat = []
    for spec in KERAS_SPECS:
        keras = json.loads((KERAS_DATA / "specs" / f"{spec.stem}.json").read_text())
        names = {row.name.replace("/", "_") for row in analyze(load_spec(str(spec))).layers}
        if names != {layer["name"] for layer in keras["layers"]}:
            through_flat.append(spec.stem)
    assert through_flat == ["densenet121", "inception_v3"]  # repeat's block_1, ...; Keras' auto names
