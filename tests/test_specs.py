"""Every spec in specs/ against what Keras 3.15.1 reported for the same model
(tests/data/keras/specs/<name>.json, written by tools/keras_reference.py)."""

import json

import pytest

from calc import analyze, load_spec
from tests.conftest import KERAS_DATA, SPECS


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_spec_matches_keras(spec):
    keras = json.loads((KERAS_DATA / "specs" / f"{spec.stem}.json").read_text())
    report = analyze(load_spec(str(spec)))
    ours = {row.name: row for row in report.layers}
    # Keras orders model.layers by depth, we by the spec: match layers by name.
    assert sorted(ours) == sorted(layer["name"] for layer in keras["layers"])
    for layer in keras["layers"]:
        row = ours[layer["name"]]
        assert row.type == layer["class"]
        assert json.loads(json.dumps(row.output_shape)) == layer["output_shape"], layer["name"]
        assert row.counts.trainable_params == layer["trainable_params"], layer["name"]
        assert row.counts.non_trainable_params == layer["non_trainable_params"], layer["name"]
    totals = report.totals
    assert (totals.params, totals.trainable_params, totals.non_trainable_params) == (
        keras["totals"]["params"], keras["totals"]["trainable_params"], keras["totals"]["non_trainable_params"])
