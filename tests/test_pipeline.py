"""The library does what the command line does: calc.summarize, calc.check and calc.compare are the
calls behind `summary`, `check` and `diff`, so their results equal the commands' JSON, and their
errors name the library's parameters where the commands name their flags."""

import json

import pytest

import calc
from conftest import ROOT

RESNET = ROOT / "specs" / "resnet50.yaml"
SMALL = ROOT / "specs" / "residual_small.yaml"
NO_BATCH = "input: [10]\nlayers: [{type: Dense, units: 4}]\n"


def test_summarize_is_the_summary_command(cli):
    command = json.loads(cli(["summary", RESNET, "--format", "json", "--count-bias", "--dtype", "float16"]).stdout)
    library = calc.summarize(RESNET, costs=True, count_bias=True, dtype="float16").to_dict()
    assert library == command and library["totals"]["params"] == 25_636_712  # Keras' ResNet50 (test_reference_models)


def test_summarize_collapses_and_chooses_columns_once():
    report = calc.summarize(RESNET, depth=1, columns="+flops")
    assert report.columns == ("name", "type", "output_shape", "params", "macs", "flops")  # collapsed: a chain
    assert report.costs is not None  # a FLOPs column needs the costs, so they were computed in the same pass
    assert sum(row.counts.params for row in report.layers) == report.totals.params == 25_636_712


def test_check_and_compare_are_the_commands(cli):
    command = json.loads(cli(["check", RESNET, "--max-params", "20M", "--format", "json"]).stdout)
    result = calc.check(RESNET, limits={"max_params": 20_000_000})
    assert [result.as_dict()] == command["specs"] and not result.ok
    diff = json.loads(cli(["diff", SMALL, RESNET, "--format", "json"]).stdout)
    assert calc.compare(SMALL, RESNET).as_dict() == diff


@pytest.mark.parametrize("call, library, flag", [
    (lambda path: calc.summarize(path, per_batch=True), "per_batch needs a batch size", "--per-batch needs"),
    (lambda path: calc.summarize(path, columns="name,flop"), "columns: unknown column 'flop' (did you mean",
     "--columns: unknown column"),
])
def test_errors_name_parameters_and_the_cli_names_flags(call, library, flag, cli, write_spec):
    path = write_spec(NO_BATCH)
    with pytest.raises(calc.LayercalcError) as raised:
        call(path)
    assert str(raised.value).startswith(library)
    args = ["summary", path, "--per-batch"] if "batch" in library else ["summary", path, "--columns", "name,flop"]
    result = cli(args)
    assert result.exit_code == 2 and result.stderr.startswith(f"layercalc: {flag}")


def test_bindings_apply_when_a_spec_is_read():
    spec = calc.parse_spec("input: [H, 3]\nlayers: [{type: Dense, units: 4}]\n", bindings={"H": 8})
    assert calc.summarize(spec).totals.macs == 8 * 3 * 4
    with pytest.raises(calc.LayercalcError, match="^bindings are applied as a spec is read"):
        calc.summarize(spec, bindings={"H": 8})
