"""`layercalc check`: every exit-code path (SPEC.md section 4)."""

import json

import pytest

from tests.conftest import ROOT

# 34,826 params (keras.io); 2,440,960 MACs by the conv and dense rules:
# 26·26·32 · 9·1 + 11·11·64 · 9·32 + 1600 · 10 = 194,688 + 2,230,272 + 16,000.
MNIST = ROOT / "specs" / "mnist_convnet.yaml"
SEED = "input: [10, 20]\nlayers: [{type: Dense, units: 30}]\n"  # 630 params, 6,000 MACs (SPEC.md seed)


def verdicts(result):
    return [(budget["budget"], budget["ok"]) for spec in json.loads(result.stdout)["specs"]
            for budget in spec["budgets"]]


@pytest.mark.parametrize("flag, limit, code", [
    ("--max-params", "34826", 0),  # exactly at the budget holds
    ("--max-params", "34825", 1),
    ("--max-params", "35K", 0),
    ("--max-params", "0.03M", 1),
    ("--max-trainable-params", "34826", 0),
    ("--max-non-trainable-params", "0", 0),
    ("--max-macs", "2440960", 0),
    ("--max-macs", "2.44M", 1),
    ("--max-layer-params", "18496", 0),  # conv2d_1 is the largest layer
    ("--max-layer-params", "18K", 1),
])
def test_each_budget_within_at_and_over(cli, flag, limit, code):
    result = cli(["check", MNIST, flag, limit, "-f", "json"])
    assert result.exit_code == code, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is (code == 0) and report["exit_code"] == code


def test_budget_from_the_spec_and_flags_override_it(cli, write_spec):
    path = write_spec(SEED + "budget: {max_params: 600, max_macs: 6K}\n")
    result = cli(["check", path, "-f", "json"])
    assert result.exit_code == 1 and verdicts(result) == [("max_params", False), ("max_macs", True)]
    assert cli(["check", path, "--max-params", "630"]).exit_code == 0


def test_table_line_per_budget(cli, write_spec):
    path = write_spec(SEED + "budget: {max_params: 600, max_macs: 8K}\n")
    lines = [line.split() for line in cli(["check", path]).stdout.splitlines()]
    assert ["max_params", "600", "630", "-30", "(-5.0%)", "EXCEEDED", "by", "30", "total", "parameters"] in lines
    assert ["max_macs", "8,000", "6,000", "2,000", "(+25.0%)", "ok", "multiply-accumulates", "per", "example,",
            "bias", "additions", "excluded"] in lines


def test_several_specs_exit_with_the_worst(cli, write_spec):
    over = write_spec(SEED + "budget: {max_params: 600}\n", "over.yaml")
    fine = write_spec(SEED + "budget: {max_params: 1K}\n", "fine.yaml")
    broken = write_spec("input: [4]\nlayers: [{type: Dense}]\n", "broken.yaml")
    assert cli(["check", fine, fine]).exit_code == 0
    assert cli(["check", fine, over]).exit_code == 1
    result = cli(["check", over, broken, fine])
    assert result.exit_code == 2
    assert "broken.yaml:2:10: layer 'dense' (Dense): missing required argument 'units'" in result.stderr
    assert "over.yaml" in result.stdout and "fine.yaml" in result.stdout  # the valid ones are still reported


def test_invalid_flag_is_exit_2(cli):
    result = cli(["check", MNIST, "--max-params", "lots"])
    assert result.exit_code == 2
    assert result.stderr == ("layercalc: --max-params must be a whole non-negative number, optionally with K, M, G "
                             "or T (such as 2M), found 'lots'\n")


@pytest.mark.parametrize("budget, figure, within, over", [
    ("max_macs: 1K", "max_macs: the MACs per example are the symbolic expression '2*H'", 500, 501),
    # params 2·H + 2 (4 B each), their gradients and 2 adam slots, the input H·4 B and the output 2·4 B.
    ("max_training_memory: 1 KiB", "max_training_memory: the training memory bytes are the symbolic expression "
                                   "'36*H + 40'", 27, 28),  # 1,012 and 1,048 B
])
def test_symbolic_figures_cannot_be_checked(cli, write_spec, budget, figure, within, over):
    path = write_spec("input: [H]\nlayers: [{type: Dense, units: 2}]\nbudget: {" + budget + "}\n")
    result = cli(["check", path])
    assert result.exit_code == 2
    assert result.stderr == f"layercalc: cannot check {figure.replace(':', f' of {path}:', 1)} (bind its symbols with --set)\n"
    assert cli(["check", path, "--set", f"H={within}"]).exit_code == 0
    assert cli(["check", path, "--set", f"H={over}"]).exit_code == 1


def test_a_symbolic_batch_is_named_per_batch_and_bound_by_set(cli, write_spec):
    """With --per-batch the MACs are the batch's: the message says so, and names the spec among several."""
    path = write_spec("batch: B\ninput: [4]\nlayers: [{type: Dense, units: 2}]\nbudget: {max_macs: 100}\n")
    other = write_spec("batch: 2\n" + SEED + "budget: {max_params: 1K}\n", "other.yaml")
    result = cli(["check", other, path, "--per-batch"])
    assert (result.exit_code, result.stderr) == (2, f"layercalc: cannot check max_macs of {path}: the MACs per batch "
                                                    "are the symbolic expression '8*B' (bind its symbols with --set)\n")
    result = cli(["check", path, "--per-batch", "--set", "B=13"])  # 4·2 MACs an example, 13 examples: 104
    assert result.exit_code == 1 and "multiply-accumulates per batch of 13" in result.stdout
    assert cli(["check", path, "--per-batch", "--batch", "12"]).exit_code == 0  # 96 MACs


@pytest.mark.parametrize("output_format", ["markdown", "csv"])
def test_check_formats(cli, write_spec, output_format):
    path = write_spec(SEED + "budget: {max_params: 600}\n")
    result = cli(["check", path, "-f", output_format])
    assert result.exit_code == 1
    expected = {"markdown": "| `model.yaml` | max_params | 600 | 630 | -30 (-5.0%) | ❌ exceeded | total parameters |",
                "csv": "model.yaml,max_params,,600,630,-30,-5.0,exceeded,total parameters"}[output_format]
    assert expected in result.stdout.splitlines()


HOSTILE_COUNTS = [
    ("NaN", "must be a whole non-negative number, optionally with K, M, G or T (such as 2M), found 'NaN'"),
    ("Infinity", "must be a whole non-negative number, optionally with K, M, G or T (such as 2M), found 'Infinity'"),
    ("1e1000000000", "is too large: at most 100 digits, found '1e1000000000'"),
    ("1e999999", "is too large: at most 100 digits, found '1e999999'"),  # took 25 s, then exit 3
]


@pytest.mark.parametrize("count, problem", HOSTILE_COUNTS)
def test_hostile_budget_flag_is_exit_2(bounded_cli, count, problem):
    result = bounded_cli(["check", MNIST, "--max-params", count])
    assert (result.returncode, result.stderr, result.stdout) == (2, f"layercalc: --max-params {problem}\n", "")


@pytest.mark.parametrize("count, problem", HOSTILE_COUNTS)
def test_hostile_budget_in_the_spec_is_exit_2(bounded_cli, write_spec, count, problem):
    path = write_spec(SEED + f"budget: {{max_params: '{count}'}}\n")
    result = bounded_cli(["check", path, "-f", "json"])
    assert (result.returncode, result.stderr) == (2, f"model.yaml:3:22: budget max_params {problem}\n")
    assert json.loads(result.stdout) == {"ok": False, "exit_code": 2, "specs": []}
