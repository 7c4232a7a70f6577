"""`layercalc check` on FLOPs and memory budgets, a spec with no budget, and `--batch` for every command that
reports costs: exit codes, messages word for word, each format.

The MNIST convnet's figures (specs/mnist_convnet.yaml; 34,826 params from keras.io's model.summary()), each
from its derivation under the stated conventions (README, "The conventions"):
- MACs 2,440,960 = 26·26·32 · 9·1 + 11·11·64 · 9·32 + 1600 · 10; FLOPs = 2 · MACs = 4,881,920; bias additions
  26·26·32 + 11·11·64 + 10 = 29,386, so 4,911,306 with --count-bias.
- float32: parameters 34,826 · 4 = 139,304 B; activations (one example) input 28·28·1·4 = 3,136 + outputs
  86,528 + 21,632 + 30,976 + 6,400 + 6,400 + 6,400 + 40 = 161,512 B; inference = parameters + the peak (conv2d's
  output alive while max_pooling2d writes its own, 86,528 + 21,632 = 108,160) = 247,464 B; training (adam) =
  parameters + gradients + 2 slots (4 · 139,304) + activations = 718,728 B.
"""

import json

import pytest

import calc
from tests.conftest import ROOT

MNIST = ROOT / "specs" / "mnist_convnet.yaml"
SEED = "input: [10, 20]\nlayers: [{type: Dense, units: 30}]\n"  # 630 params, 6,000 MACs (SPEC.md seed)


def budgets(result):
    """{budget: (limit, actual, ok, convention)} of a check's JSON."""
    return {item["budget"]: (item["limit"], item["actual"], item["ok"], item["convention"])
            for spec in json.loads(result.stdout)["specs"] for item in spec["budgets"]}


@pytest.mark.parametrize("flags, budget, actual, code", [
    (["--max-flops", "4881920"], "max_flops", 4_881_920, 0),  # at the budget holds
    (["--max-flops", "4.88M"], "max_flops", 4_881_920, 1),
    (["--max-flops", "4911306", "--count-bias"], "max_flops", 4_911_306, 0),
    (["--max-flops", "4911305", "--count-bias"], "max_flops", 4_911_306, 1),
    (["--max-flops", "9763840", "--per-batch", "--batch", "2"], "max_flops", 2 * 4_881_920, 0),
    (["--max-activation-memory", "161512"], "max_activation_memory", 161_512, 0),
    (["--max-activation-memory", "157.7 KiB"], "max_activation_memory", 161_512, 2),  # 161,484.8 B: not whole
    (["--max-activation-memory", "157.5KiB"], "max_activation_memory", 161_512, 1),
    (["--max-activation-memory", "315 KiB", "--batch", "2"], "max_activation_memory", 2 * 161_512, 1),
    (["--max-inference-memory", "247464 B"], "max_inference_memory", 247_464, 0),
    (["--max-inference-memory", "247463"], "max_inference_memory", 247_464, 1),
    (["--max-training-memory", "702 KiB"], "max_training_memory", 718_728, 0),  # 718,848 B
    (["--max-training-memory", "701 KiB"], "max_training_memory", 718_728, 1),  # 717,824 B
    (["--max-training-memory", "702 KiB", "--dtype", "float16"], "max_training_memory", 718_728 // 2, 0),
    (["--max-training-memory", "429 KiB", "--optimizer", "sgd"], "max_training_memory", 2 * 139_304 + 161_512, 1),
])
def test_cost_budgets_within_at_and_over(cli, flags, budget, actual, code):
    result = cli(["check", MNIST, *flags, "-f", "json"])
    assert result.exit_code == code, result.stderr
    if code != 2:
        assert budgets(result)[budget][1] == actual


def test_cost_budgets_in_the_spec_and_flags_override_them(cli, write_spec):
    # Dense(30) on (10, 20): 6,000 MACs, 12,000 FLOPs; float32: 630 · 4 = 2,520 B of parameters, activations
    # 10·20·4 + 10·30·4 = 2,000 B, training 2,520 · 4 + 2,000 = 12,080 B.
    path = write_spec(SEED + "budget: {max_flops: 12K, max_training_memory: 11.75 KiB}\n")
    result = cli(["check", path, "-f", "json"])
    assert result.exit_code == 1
    assert {name: figures[:3] for name, figures in budgets(result).items()} == {
        "max_flops": (12_000, 12_000, True), "max_training_memory": (12_032, 12_080, False)}
    assert cli(["check", path, "--max-training-memory", "12080"]).exit_code == 0


def test_each_line_says_its_convention(cli):
    flags = ["--max-params", "40K", "--max-macs", "2.5M", "--max-flops", "5M", "--count-bias",
             "--max-activation-memory", "1 MiB", "--max-inference-memory", "1 MiB", "--max-training-memory", "1 MiB"]
    result = cli(["check", MNIST, *flags, "-f", "json"])
    assert result.exit_code == 0
    assert {name: figures[3] for name, figures in budgets(result).items()} == {
        "max_params": "total parameters",
        "max_macs": "multiply-accumulates per example, bias additions excluded",
        "max_flops": "FLOPs per example: 2 x MACs + bias additions",
        "max_activation_memory": "every input and layer output; float32, one example (batch unknown)",
        "max_inference_memory": "parameters + the peak of outputs alive; float32, one example (batch unknown)",
        "max_training_memory": "parameters + gradients + 2 adam slots + activations; float32, one example (batch "
                               "unknown)",
    }
    batch = budgets(cli(["check", MNIST, "--max-flops", "1G", "--count-elementwise", "--per-batch", "--batch", "8",
                         "--max-training-memory", "1 GiB", "--mixed-precision", "bfloat16", "--optimizer", "sgd",
                         "-f", "json"]))
    assert batch["max_flops"][3] == "FLOPs per batch of 8: 2 x MACs + elementwise operations"
    assert batch["max_training_memory"][3] == ("parameters + gradients + 0 sgd slots + activations; float32 "
                                               "parameters, bfloat16 activations, batch 8")


@pytest.mark.parametrize("output_format, lines", [
    ("table", [" max_flops                         5,000,000               4,881,920     118,080 (+2.4%)   ok"
               "                     FLOPs per example: 2 x MACs",
               " max_training_memory   701,440 B (685.0 KiB)   718,728 B (701.9 KiB)   -17,288 B (-2.5%)   "
               "EXCEEDED by 17,288 B   parameters + gradients + 2 adam slots + activations; float32, one example "
               "(batch unknown)"]),
    ("markdown", ["| Spec | Budget | Limit | Actual | Margin | Verdict | Convention |",
                  "| `mnist_convnet.yaml` | max_flops | 5,000,000 | 4,881,920 | 118,080 (+2.4%) | ✅ ok | FLOPs per "
                  "example: 2 x MACs |",
                  "| `mnist_convnet.yaml` | max_training_memory | 701,440 B (685.0 KiB) | 718,728 B (701.9 KiB) | "
                  "-17,288 B (-2.5%) | ❌ exceeded | parameters + gradients + 2 adam slots + activations; float32, one "
                  "example (batch unknown) |"]),
    ("csv", ["spec,budget,layer,limit,actual,margin,margin_percent,verdict,convention",
             "mnist_convnet.yaml,max_flops,,5000000,4881920,118080,2.36,ok,FLOPs per example: 2 x MACs",
             "mnist_convnet.yaml,max_training_memory,,701440,718728,-17288,-2.46,exceeded,\"parameters + "
             "gradients + 2 adam slots + activations; float32, one example (batch unknown)\""]),
])
def test_cost_budgets_in_each_format(cli, tmp_path, output_format, lines):
    (tmp_path / "mnist_convnet.yaml").write_text(MNIST.read_text())
    result = cli(["check", tmp_path / "mnist_convnet.yaml", "--max-flops", "5M", "--max-training-memory", "685 KiB",
                  "-f", output_format])
    assert result.exit_code == 1
    printed = [line.replace(str(tmp_path) + "/", "").rstrip() for line in result.stdout.splitlines()]
    for line in lines:
        assert line in printed


@pytest.mark.parametrize("value, problem", [
    ("2 MB", "--max-training-memory: 'MB' is ambiguous for bytes (Keras prints KB, MB, GB for powers of 1,024, SI "
             "means powers of 1,000): write MiB or the bytes, found '2 MB'"),
    ("2G", "--max-training-memory: 'G' is ambiguous for bytes (Keras prints KB, MB, GB for powers of 1,024, SI means "
           "powers of 1,000): write GiB or the bytes, found '2G'"),
    ("0.1 KiB", "--max-training-memory must be a whole number of bytes, optionally with B, KiB, MiB, GiB or TiB "
                "(such as 512 MiB), found '0.1 KiB'"),
    ("-1 KiB", "--max-training-memory must be a whole number of bytes, optionally with B, KiB, MiB, GiB or TiB "
               "(such as 512 MiB), found '-1 KiB'"),
    ("NaN", "--max-training-memory must be a whole number of bytes, optionally with B, KiB, MiB, GiB or TiB "
            "(such as 512 MiB), found 'NaN'"),
    ("1e999999 GiB", "--max-training-memory is too large: at most 100 digits, found '1e999999 GiB'"),
])
def test_invalid_memory_flag_is_exit_2(bounded_cli, value, problem):
    result = bounded_cli(["check", MNIST, "--max-training-memory", value])
    assert (result.returncode, result.stderr, result.stdout) == (2, f"layercalc: {problem}\n", "")


def test_invalid_budgets_in_the_spec_are_exit_2(cli, write_spec):
    result = cli(["check", write_spec(SEED + "budget: {max_inference_memory: 3 GB}\n")])
    assert (result.exit_code, result.stderr) == (2, (
        "model.yaml:3:32: budget max_inference_memory: 'GB' is ambiguous for bytes (Keras prints KB, MB, GB for "
        "powers of 1,024, SI means powers of 1,000): write GiB or the bytes, found '3 GB'\n"))
    result = cli(["check", write_spec(SEED + "budget: {max_flop: 1G}\n")])
    assert (result.exit_code, result.stderr) == (2, (
        "model.yaml:3:10: unknown budget 'max_flop' (did you mean 'max_flops'?); expected one of: max_params, "
        "max_trainable_params, max_non_trainable_params, max_macs, max_layer_params, max_flops, "
        "max_activation_memory, max_inference_memory, max_training_memory, max_serving_memory\n"))


def test_a_spec_without_budget_is_an_error(cli, write_spec):
    path = write_spec(SEED)
    result = cli(["check", path, "-f", "json"])
    assert (result.exit_code, result.stderr) == (2, (
        "layercalc: model.yaml has no budget to check: add one to the spec (such as 'budget: {max_params: 2M}') "
        "or give a budget flag such as --max-params 2M\n"))
    assert json.loads(result.stdout) == {"ok": False, "exit_code": 2, "specs": []}
    assert cli(["check", path, "--max-flops", "12K"]).exit_code == 0
    with pytest.raises(calc.LayercalcError, match=r"^.*model.yaml has no budget to check: add one to the spec "
                                                  r"\(such as 'budget: \{max_params: 2M\}'\) or give limits$"):
        calc.check(path)


def test_the_library_takes_the_same_budgets_and_conventions(cli):
    command = json.loads(cli(["check", MNIST, "--max-training-memory", "2 MiB", "--batch", "8", "--dtype",
                              "float16", "--max-flops", "5M", "--count-bias", "-f", "json"]).stdout)
    result = calc.check(MNIST, limits={"max_flops": 5_000_000, "max_training_memory": "2 MiB"}, batch=8,
                        dtype="float16", count_bias=True)
    assert [result.as_dict()] == command["specs"]
    with pytest.raises(calc.LayercalcError, match=r"^batch must be a positive integer of at most 2\*\*62, found 0$"):
        calc.check(MNIST, limits={"max_params": 1}, batch=0)
    with pytest.raises(calc.LayercalcError, match=r"^max_training_memory: 'MB' is ambiguous for bytes"):
        calc.check(MNIST, limits={"max_training_memory": "1 MB"})


# -- --batch ---------------------------------------------------------------------------------------------


def test_batch_flag_supplies_or_overrides_the_spec_batch(cli, write_spec):
    # Dense(4) on 10 features: 40 MACs per example, so 40 · batch for the batch.
    without = write_spec("input: [10]\nlayers: [{type: Dense, units: 4}]\n", "without.yaml")
    with_64 = write_spec("batch: 64\ninput: [10]\nlayers: [{type: Dense, units: 4}]\n", "with.yaml")
    for path in (without, with_64):
        report = json.loads(cli(["summary", path, "--batch", "3", "--per-batch", "-f", "json"]).stdout)
        assert report["layers"][0]["output_shape"] == [3, 4] and report["totals"]["macs"] == 120
        assert "MACs per batch of 3: 120" in cli(["summary", path, "--batch", "3", "--per-batch"]).stdout
        assert cli(["check", path, "--batch", "3", "--per-batch", "--max-macs", "120"]).exit_code == 0
        assert cli(["check", path, "--batch", "3", "--per-batch", "--max-macs", "119"]).exit_code == 1


def test_batch_flag_is_checked(cli, write_spec):
    path = write_spec(SEED + "budget: {max_params: 1K}\n")
    for command in (["summary", path], ["check", path], ["diff", path, path]):
        result = cli([*command, "--batch", "0"])
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == "layercalc: Invalid value for '--batch': 0 is not in the range x>=1.\n"
    with pytest.raises(calc.LayercalcError, match=r"^batch must be a positive integer of at most 2\*\*62, found 4611686018427387905$"):
        calc.summarize(path, batch=2**62 + 1)


def test_set_binds_a_symbolic_batch(cli, write_spec):
    path = write_spec("batch: B\ninput: [10]\nlayers: [{type: Dense, units: 4}]\nbudget: {max_macs: 320}\n")
    assert "MACs per batch of 8: 320" in cli(["summary", path, "--set", "B=8", "--per-batch"]).stdout
    assert cli(["check", path, "--set", "B=8", "--per-batch"]).exit_code == 0
    assert cli(["check", path, "--set", "B=9", "--per-batch"]).exit_code == 1
    assert cli(["check", path, "--batch", "9", "--per-batch"]).exit_code == 1  # --batch in place of the symbol


def test_per_batch_without_a_batch_names_the_parameter(write_spec):
    # The command line names --batch (tests/test_costs.py, test_per_batch_needs_a_batch).
    with pytest.raises(calc.LayercalcError, match=r"^per_batch needs a batch size, but .*model.yaml leaves it "
                                                  r"unknown: give one with batch \(such as 64\), or in the spec"):
        calc.summarize(write_spec("input: [10]\nlayers: [{type: Dense, units: 4}]\n"), per_batch=True)


def test_a_long_memory_budget_is_refused_at_once(bounded_cli, write_spec):
    # Letters then a digit: a backtracking pattern for number and unit would take quadratic time on it.
    path = write_spec(SEED + "budget: {max_training_memory: '" + "a" * 1_000_000 + "1'}\n")
    result = bounded_cli(["check", path])
    assert result.returncode == 2 and result.stderr.startswith(
        "model.yaml:3:31: budget max_training_memory must be a whole number of bytes, optionally with B, KiB, MiB, "
        "GiB or TiB (such as 512 MiB), found 'aaaa")


def test_an_inference_peak_the_symbols_decide_cannot_be_checked(cli, write_spec):
    # Which of da (alive with input a) and db (with input b) is the larger moment depends on H and W.
    path = write_spec("inputs: {a: [H], b: [W]}\nlayers:\n  - {type: Dense, units: 2, inputs: a, name: da}\n"
                      "  - {type: Dense, units: 2, inputs: b, name: db}\n  - {type: Concatenate, inputs: [da, db]}\n"
                      "budget: {max_inference_memory: 1 KiB}\n")
    result = cli(["check", path])
    assert (result.exit_code, result.stderr) == (2, f"layercalc: cannot check max_inference_memory of {path}: the symbols "
                                                    "decide which moment is the inference peak (bind them with --set)\n")
    # H=3, W=5: parameters (3·2 + 2 + 5·2 + 2) · 4 = 80 B; the inputs (12 + 20 B) are alive from the start, so
    # the peak is at da: 12 + 20 + 8 = 40 B (then a is freed: at db 20 + 8 + 8 = 36, at concatenate 8 + 8 + 16).
    result = cli(["check", path, "--set", "H=3", "--set", "W=5", "-f", "json"])
    assert result.exit_code == 0 and budgets(result)["max_inference_memory"][1] == 80 + 40
