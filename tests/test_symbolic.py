"""Symbolic dimensions: exact integer expressions through every rule, binding, validity."""

import json

import pytest

from calc import LayercalcError, analyze, parse_spec
from calc.symbolic import Expr
from tests.conftest import KERAS_DATA, single_layer_spec

H, W = Expr.symbol("H"), Expr.symbol("W")


@pytest.mark.parametrize("expr, text", [
    (H - 4, "H - 4"),
    ((H - 4) // 2, "H // 2 - 2"),
    ((H - 3) // 2 + 1, "(H + 1) // 2 - 1"),
    (4096 * H * W, "4096*H*W"),
    ((2 * H + 3) // 2, "H + 1"),
    ((H // 2) // 3, "H // 6"),
    (H - H, "0"),
    (H % 2, "H - 2*(H // 2)"),
])
def test_expressions_simplify_to_a_readable_form(expr, text):
    assert str(expr) == text


@pytest.mark.parametrize("value", range(1, 40))
def test_floor_rewrites_are_exact(value):
    assert ((2 * H + 3) // 2).evaluate({"H": value}) == (2 * value + 3) // 2
    assert ((H // 2) // 3).evaluate({"H": value}) == (value // 2) // 3
    assert (((H + 1) // 2 + 1) // 2).evaluate({"H": value}) == ((value + 1) // 2 + 1) // 2
    assert ((H - 3) // 2 + 1).evaluate({"H": value}) == (value - 3) // 2 + 1
    assert ((5 * H - 7) // 4).evaluate({"H": value}) == (5 * value - 7) // 4
    assert (H % 3).evaluate({"H": value}) == value % 3


def report_of(text, **bindings):
    return analyze(parse_spec(text, "model.yaml", bindings=bindings))


SEED = "batch: N\ninput: [H, W, 3]\nlayers:\n  - {type: Conv2D, filters: 16, kernel_size: 5}\n  - {type: MaxPool2D}\n"


def test_seed_conv_symbolic_shapes_and_validity():
    report = report_of(SEED)
    assert [str(dim) for dim in report.layers[0].output_shape] == ["N", "H - 4", "W - 4", "16"]
    assert [str(dim) for dim in report.layers[1].output_shape] == ["N", "H // 2 - 2", "W // 2 - 2", "16"]
    assert report.layers[0].counts.params == 1216  # weights do not depend on H, W
    assert str(report.layers[0].counts.macs) == "1200*(H - 4)*(W - 4)"  # (H-4)(W-4)·16 filters·25·3
    assert report.layers[0].counts.macs == 1200 * H * W - 4800 * H - 4800 * W + 19200
    assert report.valid_when == ("H >= 6", "W >= 6")


def test_each_analysis_owns_its_assumptions():
    """Conditions are collected by the analysis whose symbols met them, not in a shared list: another
    analysis, before or after, neither sees them nor adds to them."""
    first = report_of(SEED)
    other = report_of("input: [K, 3]\nlayers: [{type: Dense, units: 2}]\n")
    assert other.valid_when == () and first.valid_when == ("H >= 6", "W >= 6")
    assert report_of(SEED).valid_when == first.valid_when


def test_binding_with_set_gives_the_concrete_figures():
    bound = report_of(SEED, H=300, W=300, N=64)
    assert bound.layers[0].output_shape == (64, 296, 296, 16) and bound.layers[1].output_shape == (64, 148, 148, 16)
    assert bound.totals.macs == 105_139_200 and bound.valid_when == ()


def test_partial_binding_stays_symbolic_in_the_rest():
    report = report_of(SEED, H=300)
    assert [str(dim) for dim in report.layers[0].output_shape] == ["N", "296", "W - 4", "16"]


def test_symbols_mapping_gives_defaults_that_set_overrides():
    text = "symbols: {H: 28, W: 28}\n" + SEED.replace("batch: N\n", "")
    assert report_of(text).layers[0].output_shape == (None, 24, 24, 16)
    assert report_of(text, H=32).layers[0].output_shape == (None, 28, 24, 16)


def test_dense_on_a_flattened_symbolic_axis_has_symbolic_params():
    report = report_of("input: [H, 4]\nlayers:\n  - {type: Flatten}\n  - {type: Dense, units: 10}\n")
    assert str(report.layers[1].counts.params) == "40*H + 10"


def test_json_prints_expressions_as_strings(cli, write_spec):
    report = json.loads(cli(["summary", write_spec(SEED), "-f", "json"]).stdout)
    assert report["layers"][0]["output_shape"] == ["N", "H - 4", "W - 4", 16]
    assert report["totals"]["params"] == 1216 and report["valid_when"] == ["H >= 6", "W >= 6"]


def test_table_states_validity(cli, write_spec):
    assert "Valid when: H >= 6, W >= 6" in cli(["summary", write_spec(SEED)]).stdout


@pytest.mark.parametrize("text, message", [
    ("input: [H, 4]\nlayers:\n  - {type: Reshape, target_shape: [5, -1]}\n",
     "model.yaml:3:5: layer 'reshape' (Reshape): needs a concrete value, but '4*H - 5*(4*H // 5)' is "
     "symbolic: bind its symbols with bindings"),  # the CLI says --set (test_cli)
    ("input: [H, 4]\nlayers:\n  - {type: Cropping1D, cropping: [1, 0], name: c}\n"
     "  - {type: Add, inputs: [input, c]}\n",
     "model.yaml:4:5: layer 'add' (Add): inputs have incompatible shapes (H, 4) and (H - 1, 4)"),
])
def test_what_needs_a_concrete_value_is_a_clear_error(text, message):
    with pytest.raises(LayercalcError) as error:
        report_of(text)
    assert str(error.value) == message


def test_set_of_an_unknown_symbol_is_an_error(cli, write_spec):
    result = cli(["summary", write_spec(SEED), "--set", "X=3"])
    assert (result.exit_code, result.stderr) == (
        2, "layercalc: --set X: the spec has no symbol 'X'; its symbols are: N, H, W\n")


def test_bad_set_syntax(cli, write_spec):
    result = cli(["summary", write_spec(SEED), "--set", "H:3"])
    assert (result.exit_code, result.stderr) == (
        2, "layercalc: --set expects SYMBOL=POSITIVE_INTEGER, such as H=224, found 'H:3'\n")


# -- every Keras rule case, symbolically ---------------------------------------------------------

CASES = [case for path in sorted((KERAS_DATA / "rule_cases").glob("*.json"))
         for case in json.loads(path.read_text())["cases"] if "error" not in case]


def symbolic_case(case):
    """The case with every known non-batch input dimension replaced by a symbol."""
    values, case = {}, dict(case)

    def symbolize(shape, prefix):
        out = []
        for index, dim in enumerate(shape):
            if isinstance(dim, int) and dim > 0:
                name = f"{prefix}{index}"
                values[name] = dim
                out.append(name)
            else:
                out.append(dim)
        return out

    if "inputs" in case:
        case["inputs"] = [symbolize(shape, f"S{number}_") for number, shape in enumerate(case["inputs"])]
    else:
        case["input"] = symbolize(case["input"], "S_")
    return case, values


def concrete(value, values):
    if isinstance(value, list):
        return [concrete(item, values) for item in value]
    if isinstance(value, tuple):
        return [concrete(item, values) for item in value]
    return value.evaluate(values) if isinstance(value, Expr) else value


def test_every_rule_is_exact_or_refuses_symbolically():
    """Each Keras case with its input dimensions as symbols: the symbolic figures, evaluated at the
    case's sizes, equal Keras'; or the rule refuses with a clear error. Never a wrong number."""
    exact = refused = 0
    for original in CASES:
        case, values = symbolic_case(original)
        try:
            row = analyze(parse_spec(single_layer_spec(case))).layers[0]
        except LayercalcError:
            refused += 1
            continue
        label = original["id"]
        assert concrete(row.output_shape, values) == original["output_shape"], label
        assert concrete(row.counts.trainable_params, values) == original["trainable_params"], label
        assert concrete(row.counts.non_trainable_params, values) == original["non_trainable_params"], label
        exact += 1
    assert exact >= 0.6 * len(CASES), f"only {exact} of {len(CASES)} cases work symbolically ({refused} refused)"


def test_readme_example_spec(cli):
    """specs/symbolic/convnet_any_size.yaml, shown in the README."""
    from tests.conftest import ROOT

    path = ROOT / "specs" / "symbolic" / "convnet_any_size.yaml"
    report = json.loads(cli(["summary", path, "-f", "json"]).stdout)
    assert report["layers"][1]["output_shape"] == [None, "H // 2 - 2", "W // 2 - 2", 16]
    # (5·5·3 + 1)·16 + (3·3·16 + 1)·32 + (32 + 1)·10 = 1,216 + 4,640 + 330 (Conv2D and Dense rules, Keras-checked)
    assert report["totals"]["params"] == 6186 and report["valid_when"] == ["H >= 6", "W >= 6"]
    bound = json.loads(cli(["summary", path, "-f", "json", "--set", "H=64", "--set", "W=48"]).stdout)
    # Conv2D(16, 5) on 64x48x3: 60·44·16 · 25 · 3 = 3,168,000 MACs (the Conv2D rule, checked against Keras).
    assert bound["layers"][0]["macs"] == 3_168_000


def test_pooling_chains_stay_flat_and_exact():
    """(n // a + c) // d = (n + a·c) // (a·d) for positive a, d (issue: hostile input): five same-padded
    poolings are one floor, not five nested ones, and equal plain integer arithmetic for every size."""
    report = report_of("input: [T, 1]\nlayers: [{type: MaxPooling1D, padding: same, repeat: 5}]\n")
    length = report.layers[-1].output_shape[1]
    assert str(length) == "(T + 31) // 32" and length.depth == 1
    for size in range(1, 200):
        expected = size
        for _ in range(5):
            expected = -(-expected // 2)  # Keras' same padding: ceil(I / 2)
        assert length.evaluate({"T": size}) == expected
