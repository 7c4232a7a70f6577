"""Every layer rule against figures real Keras produced.

tests/data/rule_cases/<family>.yaml list single-layer cases; tools/keras_reference.py
built each with Keras 3.15.1 (TensorFlow backend) and recorded its output shape and
trainable / non-trainable parameter counts, or the error Keras raised, in
tests/data/keras/rule_cases/<family>.json. Where Keras raises, layercalc must refuse
with a clear error (exit code 2), never a number.
"""

import json

import pytest

from calc import LayercalcError, analyze, parse_spec
from calc import rules
from tests.conftest import KERAS_DATA, single_layer_spec

CASES = [case for path in sorted((KERAS_DATA / "rule_cases").glob("*.json"))
         for case in json.loads(path.read_text())["cases"]]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_rule_matches_keras(case):
    text = single_layer_spec(case)
    if "error" in case:
        with pytest.raises(LayercalcError):
            analyze(parse_spec(text))
        return
    row = analyze(parse_spec(text)).layers[0]
    assert json.loads(json.dumps(row.output_shape)) == case["output_shape"], case["source"]
    assert row.counts.trainable_params == case["trainable_params"], case["source"]
    assert row.counts.non_trainable_params == case["non_trainable_params"], case["source"]


def keras_types():
    """Every registered type but the hugging_face family's: transformers' modules, which Keras does not have,
    checked against transformers' figures instead (tests/test_hf_config.py); and Custom, whose figures are the
    user's declaration, checked against a real custom Keras layer instead (tests/test_custom_layer.py); and Model,
    a Keras model as TimeDistributed's layer, which Keras builds as a model rather than a layer, checked in real
    Keras models instead (tests/data/keras_models/time_distributed_model.*, tests/test_keras_import.py)."""
    return {name for name, rule in rules.load_all().items()
            if rule.family not in ("hugging_face", "custom") and name != "Model"}


def test_every_registered_type_has_a_keras_case():
    covered = {rules.ALIASES.get(case["type"], case["type"]) for case in CASES}
    missing = sorted(keras_types() - covered)
    assert not missing, f"no Keras rule case for {missing}"


def test_every_alias_has_a_keras_case():
    covered = {case["type"] for case in CASES}
    assert not sorted(set(rules.ALIASES) - covered)
