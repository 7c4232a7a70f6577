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


def test_a_wrapped_layers_symbolic_error_names_the_flag(cli, write_spec):
    """TimeDistributed re-raises its inner layer's error: the parameter it names stays one (review fix)."""
    path = write_spec("input: [5, H, 4]\nlayers:\n  - {type: TimeDistributed, layer: {type: Reshape, "
                      "target_shape: [-1, 3]}}\n")
    result = cli(["summary", path])
    assert result.exit_code == 2 and result.stderr.rstrip().endswith("bind its symbols with --set")


def test_a_finished_reports_symbolic_values_refuse_to_guess():
    """The analysis states what it assumed in valid_when; comparing its figures afterwards would assume
    something no report states, so it is refused rather than answered False."""
    report = calc.summarize(calc.parse_spec("input: [H, 3]\nlayers: [{type: Dense, units: 4}]\n"))
    with pytest.raises(calc.LayercalcError, match="depends on the symbols: bind them with bindings"):
        report.totals.macs > 100


@pytest.mark.parametrize("options, message", [
    ({"depth": 0}, "depth must be a positive integer, found 0"),
    ({"optimizer": "adagrad", "memory": True}, "optimizer must be one of sgd, momentum, rmsprop, adam, adamw, "
                                               "found 'adagrad'"),
    ({"dtype": "float8"}, "dtype must be one of float32, float16, bfloat16, int8, float64, found 'float8'"),
    ({"bindings": {"H": 0}}, "bindings H: the value must be a positive integer of at most 2**62, found 0"),
])
def test_summarize_checks_its_parameters(options, message):
    with pytest.raises(calc.LayercalcError) as raised:
        calc.summarize(RESNET, **options)
    assert str(raised.value).startswith(message)


def test_check_limits_are_checked_and_read_like_the_flags():
    assert calc.check(RESNET, limits={"max_params": "30M"}).ok
    with pytest.raises(calc.LayercalcError, match="^limits: unknown budget 'max_param' \\(did you mean 'max_params'"):
        calc.check(RESNET, limits={"max_param": 5})


def test_settings_that_need_costs_compute_them():
    # 2 × ResNet-50's 3,857,973,248 MACs (derived in tests/data/macs) + its 10,588,136 bias additions (one per
    # output element of each layer with a bias); params: Keras' 25,636,712 (tests/data/keras/specs/resnet50.json).
    costed = calc.summarize(RESNET, count_bias=True).costs.totals
    assert costed.flops == 2 * 3_857_973_248 + 10_588_136 and costed.bias_adds == 10_588_136
    assert calc.summarize(RESNET, dtype="float16").costs.memory.parameters == 2 * 25_636_712


def test_the_spec_s_errors_come_before_the_columns(cli, write_spec):
    path = write_spec("input: [3]\nlayers: [{type: Conv2D, filters: 2, kernel_size: 3}]\n")
    result = cli(["summary", path, "--columns", "nonsense"])
    assert result.exit_code == 2 and result.stderr.startswith("model.yaml:2:10: layer 'conv2d' (Conv2D)")


def test_per_batch_has_one_source():
    spec = calc.parse_spec("batch: 8\ninput: [10]\nlayers: [{type: Dense, units: 4}]\n")
    report = calc.analyze(spec, calc.conventions(), per_batch=True)
    assert report.totals.macs == 8 * 40 and report.costs.conventions.per_batch
