"""`layercalc schema`: a JSON Schema generated from the registry validates every spec."""

import json

import jsonschema
import pytest
import yaml

from calc import rules
from tests.conftest import SPECS


@pytest.fixture(scope="module")
def schema(request):
    from typer.testing import CliRunner

    from calc.cli import app

    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    jsonschema.Draft7Validator.check_schema(document)
    return jsonschema.Draft7Validator(document)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_spec_validates(schema, spec):
    schema.validate(yaml.safe_load(spec.read_text()))


def test_every_type_and_alias_is_in_the_schema(schema):
    layer = schema.schema["else"]["properties"]["layers"]["items"]["else"]
    names = set(layer["properties"]["type"]["anyOf"][0]["enum"])
    assert names == set(rules.load_all()) | set(rules.ALIASES)


def test_torch_specs_validate_against_the_torch_types(schema):
    """A spec with framework: torch is checked against torch.nn's modules (Dropout takes p, not rate)."""
    from tests.conftest import ROOT

    for spec in sorted((ROOT / "specs" / "torch").glob("*.yaml")):
        schema.validate(yaml.safe_load(spec.read_text()))
    layer = schema.schema["then"]["properties"]["layers"]["items"]["else"]
    torch_types = set(rules.load_all("torch")) | set(rules.FRAMEWORKS["torch"].aliases)
    assert set(layer["properties"]["type"]["anyOf"][0]["enum"]) == torch_types
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        schema.validate({"framework": "torch", "input": [4], "layers": [{"type": "Dropout", "rate": 0.5}]})


@pytest.mark.parametrize("layer, problem", [
    ({"type": "Conv2D", "filters": 8, "kernel_size": 3, "filter": 4}, "Additional properties"),
    ({"type": "Conv2D", "kernel_size": 3}, "'filters' is a required property"),
    ({"type": "Conv2D", "filters": 0, "kernel_size": 3}, "less than the minimum"),
    ({"type": "MaxPool2D", "padding": "vaild"}, "is not one of"),
])
def test_invalid_layers_are_refused(schema, layer, problem):
    with pytest.raises(jsonschema.ValidationError) as error:
        schema.validate({"input": [28, 28, 1], "layers": [layer]})
    assert problem in str(error.value)


def test_blocks_and_symbols_validate(schema):
    spec = {"input": ["H", "W", 3], "symbols": {"H": 224},
            "blocks": {"conv_bn": {"args": ["filters", {"kernel": 3}],
                                   "layers": [{"type": "Conv2D", "filters": "$filters", "kernel_size": "$kernel"}]}},
            "layers": [{"type": "conv_bn", "filters": 8, "repeat": 2}, {"type": "Flatten"}]}
    schema.validate(spec)


def test_pre_commit_hook_runs_check():
    """.pre-commit-hooks.yaml publishes `layercalc check` for spec files."""
    import re

    from tests.conftest import ROOT

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(hook for hook in hooks if hook["id"] == "layercalc-check")
    assert hook["entry"] == "layercalc check" and hook["language"] == "python"
    assert re.search(hook["files"], "specs/resnet50.yaml") and not re.search(hook["files"], ".github/ci.yml")


def test_shared_calls_validate(schema):
    """{call: NAME} entries (README, Shared layers) are layers of the schema too, in blocks as well."""
    spec = yaml.safe_load("inputs: {left: [10], right: [10]}\nlayers:\n"
                          "  - {type: Dense, units: 16, name: hidden, inputs: left}\n"
                          "  - {call: hidden, inputs: right}\n"
                          "  - {type: Concatenate, inputs: [hidden, hidden@1]}\n")
    schema.validate(spec)
    with pytest.raises(jsonschema.ValidationError):
        schema.validate({**spec, "layers": [*spec["layers"], {"call": 5}]})
