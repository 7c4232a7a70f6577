"""Rendered output of every spec in specs/, in every format, against stored snapshots.

After an intended change: `make snapshots` (pytest --snapshot-update) and review the diff."""

import json

import pytest

from calc import load_spec
from tests.conftest import SPECS
from tests.test_diff import AFTER, BEFORE


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
@pytest.mark.parametrize("output_format", ["table", "json"])
def test_rendered_output(cli, snapshot, spec, output_format):
    result = cli(["summary", spec, "--format", output_format])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == snapshot


def bound(spec) -> list:
    """`--set` for each symbol of the spec's inputs and batch (64), so its figures are numbers to add up."""
    parsed = load_spec(str(spec))
    dims = [parsed.batch, *(dim for item in parsed.inputs for dim in item.shape)]
    return [arg for dim in dims if not (dim is None or isinstance(dim, int)) for arg in ("--set", f"{dim}=64")]


@pytest.fixture(scope="module")
def bound_json():
    """{spec: `summary spec --format json` with its symbols bound}, run once for the two tests that read it."""
    return {}


def bound_report(cli, bound_json, spec) -> dict:
    if spec not in bound_json:
        bound_json[spec] = json.loads(cli(["summary", spec, "--format", "json", *bound(spec)]).stdout)
    return bound_json[spec]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_rows_sum_to_totals(cli, bound_json, spec):
    report = bound_report(cli, bound_json, spec)
    for column in ("params", "trainable_params", "non_trainable_params", "macs"):
        assert sum(layer[column] for layer in report["layers"]) == report["totals"][column], column
    for layer in report["layers"]:
        assert layer["params"] == layer["trainable_params"] + layer["non_trainable_params"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_table_totals_match_json(cli, bound_json, spec):
    """The table's printed totals are the JSON totals, formatted."""
    totals = bound_report(cli, bound_json, spec)["totals"]
    table = cli(["summary", spec, *bound(spec)]).stdout
    assert f"Total params: {totals['params']:,}" in table
    assert f"Trainable params: {totals['trainable_params']:,}" in table
    assert f"Non-trainable params: {totals['non_trainable_params']:,}" in table
    assert f"MACs per example: {totals['macs']:,}" in table


@pytest.mark.parametrize("output_format", ["table", "markdown", "csv", "json"])
def test_diff_output(cli, snapshot, tmp_path, monkeypatch, output_format):
    """The comparison of residual_small with its variant (tests/test_diff.py), in each format."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "before.yaml").write_text(BEFORE)
    (tmp_path / "after.yaml").write_text(AFTER)
    result = cli(["diff", "before.yaml", "after.yaml", "-f", output_format])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == snapshot
