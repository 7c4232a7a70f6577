"""MACs of every rule against hand-derived figures (tests/data/macs/*.yaml, each with its arithmetic)."""

import pytest
import yaml

from calc import analyze, parse_spec
from tests.conftest import ROOT, single_layer_spec

CASES = [case for path in sorted((ROOT / "tests" / "data" / "macs").glob("*.yaml"))
         for case in yaml.safe_load(path.read_text())]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_macs(case):
    row = analyze(parse_spec(single_layer_spec(case))).layers[0]
    assert row.counts.macs == case["macs"], case["why"]
