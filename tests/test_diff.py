"""`layercalc diff`: two variants of a real spec."""

import json
import re

import pytest

from tests.conftest import ROOT

BEFORE = (ROOT / "specs" / "residual_small.yaml").read_text()
# The variant a reviewer might see in a pull request: a wider classifier, a narrower branch, a new dropout.
AFTER = (BEFORE.replace("name: logits, units: 10}", "name: logits, units: 20}")
         .replace("name: head_branch, filters: 16,", "name: head_branch, filters: 8,")
         .replace("  - {type: Conv2D, name: block2_conv2,",
                  "  - {type: Dropout, name: block2_drop, rate: 0.1}\n  - {type: Conv2D, name: block2_conv2,"))


@pytest.fixture
def pair(write_spec):
    return write_spec(BEFORE, "before.yaml"), write_spec(AFTER, "after.yaml")


def test_diff_json(cli, pair):
    result = cli(["diff", *pair, "-f", "json", "--all"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    status = {layer["name"]: layer["status"] for layer in report["layers"]}
    assert status["block2_drop"] == "added" and status["logits"] == "changed" and status["stem"] == "same"
    assert status["block2_conv2"] == "changed"  # same figures, new input
    logits = next(layer for layer in report["layers"] if layer["name"] == "logits")
    # Dense on 4,608 = 8·8·(64 + 8) features: (4608 + 1)·20 = 92,180 after; 5,120 features, (5120 + 1)·10 before.
    assert (logits["before"]["params"], logits["after"]["params"]) == (51210, 92180)
    assert report["totals"]["delta"]["params"] == report["totals"]["after"]["params"] - report["totals"]["before"]["params"]
    names = [layer["name"] for layer in report["layers"]]
    assert names.index("block2_drop") == names.index("block2_relu") + 1


def test_diff_removed_layers_keep_their_place(cli, pair):
    report = json.loads(cli(["diff", pair[1], pair[0], "-f", "json", "--all"]).stdout)
    names = [layer["name"] for layer in report["layers"]]
    assert report["layers"][names.index("block2_drop")]["status"] == "removed"
    assert names.index("block2_drop") == names.index("block2_relu") + 1


def test_diff_table_and_markdown(cli, pair):
    table = cli(["diff", *pair]).stdout
    assert "+   block2_drop" in table and "Total params (before → after): 129,274 → 169,724 (+40,450)" in table
    assert "stem " not in table  # unchanged layers are hidden unless --all
    assert "stem " in cli(["diff", *pair, "--all"]).stdout
    markdown = cli(["diff", *pair, "-f", "markdown"]).stdout
    assert "| ➕ added | `block2_drop` | Dropout |  | `(None, 16, 16, 64)` |  | 0 | 0 | 0 |" in markdown
    assert "| Total params | 129,274 | 169,724 | +40,450 |" in markdown


def test_diff_csv(cli, pair):
    lines = cli(["diff", *pair, "-f", "csv"]).stdout.splitlines()
    assert lines[0] == ("name,status,type_before,type_after,shape_before,shape_after,params_before,params_after,"
                        "delta_params,delta_macs")
    assert "logits,changed,Dense,Dense,\"(None, 10)\",\"(None, 20)\",51210,92180,40970,40960" in lines


def test_identical_specs(cli, pair):
    assert "No layer differs." in cli(["diff", pair[0], pair[0]]).stdout


def test_diff_per_batch_says_so(cli, write_spec):
    # Dense 10 -> 3 and 10 -> 5: 30 and 50 MACs per example (Dense rule), 120 and 200 for a batch of 4.
    before = write_spec("batch: 4\ninput: [10]\nlayers: [{type: Dense, units: 3}]\n", "a.yaml")
    after = write_spec("batch: 4\ninput: [10]\nlayers: [{type: Dense, units: 5}]\n", "b.yaml")
    assert "MACs per batch of 4 (before → after): 120 → 200 (+80)" in cli(["diff", before, after, "--per-batch"]).stdout
    assert "MACs per example (before → after): 30 → 50 (+20)" in cli(["diff", before, after]).stdout


# -- before and after, the same rows everywhere, --exit-code, the batch in per-batch labels -------------------


def listed(cli, pair, output_format, *flags):
    """The layer names a format lists, in order."""
    text = cli(["diff", *pair, "-f", output_format, *flags]).stdout
    if output_format == "json":
        return [layer["name"] for layer in json.loads(text)["layers"]]
    if output_format == "csv":
        return [line.split(",")[0] for line in text.splitlines()[1:]]
    if output_format == "markdown":
        rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
        return [row.split("|")[2].strip().strip("`") for row in rows]
    lines = text.splitlines()
    rule = next(index for index, line in enumerate(lines) if line.startswith(" ─"))
    rows = lines[rule + 1:next(index for index in range(rule + 1, len(lines)) if not lines[index].strip())]
    return [line[5:].split()[0] for line in rows]  # after the mark column


@pytest.mark.parametrize("flags", [(), ("--all",)], ids=["changed", "all"])
def test_every_format_lists_the_same_layers(cli, pair, flags):
    changed = ["block2_drop", "block2_conv2", "head_branch", "head_concat", "flatten", "logits"]
    names = {output_format: listed(cli, pair, output_format, *flags)
             for output_format in ("table", "markdown", "csv", "json")}
    expected = names["json"] if flags else changed
    assert all(found == expected for found in names.values()), names
    if flags:
        assert len(expected) == 20 and "stem" in expected  # residual_small's 19 layers and the new dropout


def test_headers_say_before_and_after(cli, pair):
    table = cli(["diff", *pair]).stdout.splitlines()
    assert re.split(r"\s{2,}", table[2].strip()) == ["Layer", "Type", "Output Shape before", "Output Shape after",
                                                   "Params before", "Params after", "Δ Params", "Δ MACs"]
    assert "| ✏️ changed | `logits` | Dense | `(None, 10)` | `(None, 20)` | 51,210 | 92,180 | +40,970 | +40,960 |" \
        in cli(["diff", *pair, "-f", "markdown"]).stdout.splitlines()
    markdown = cli(["diff", *pair, "-f", "markdown"]).stdout.splitlines()
    assert markdown[2] == ("|  | Layer | Type | Output Shape before | Output Shape after | Params before | Params after | "
                           "Δ Params | Δ MACs |")
    # A removed layer's parameters are its before figure; it has none after.
    removed = [line for line in cli(["diff", pair[1], pair[0]]).stdout.splitlines() if "block2_drop" in line]
    assert removed[0].split() == ["-", "block2_drop", "Dropout", "(None,", "16,", "16,", "64)", "0", "0", "0"]
    assert "block2_drop,removed,Dropout,,\"(None, 16, 16, 64)\",,0,,0,0" in cli(
        ["diff", pair[1], pair[0], "-f", "csv"]).stdout.splitlines()


def test_json_has_one_layer_a_line(cli, pair):
    text = cli(["diff", *pair, "-f", "json"]).stdout
    lines = text.splitlines()
    start = lines.index('  "layers": [')
    layers = lines[start + 1:lines.index("  ],", start)]
    report = json.loads(text)
    assert [json.loads(line.rstrip(",")) for line in layers] == report["layers"] and len(layers) == 6
    assert (report["per"], report["batch"], report["differs"]) == ("example", {"before": None, "after": None}, True)


def test_exit_code(cli, pair):
    assert cli(["diff", *pair]).exit_code == 0  # without --exit-code, a difference is not a failure
    assert cli(["diff", *pair, "--exit-code"]).exit_code == 1
    assert cli(["diff", *pair, "--exit-code", "-f", "json"]).exit_code == 1
    same = cli(["diff", pair[0], pair[0], "--exit-code"])
    assert same.exit_code == 0 and "No layer differs." in same.stdout
    broken = cli(["diff", pair[0], pair[0] + ".missing", "--exit-code"])
    assert broken.exit_code == 2  # invalid input stays 2, as for git diff


def test_per_batch_labels_carry_the_batch(cli, write_spec):
    # Dense 10 -> 3 and 10 -> 5: 30 and 50 MACs per example (Dense rule).
    before = write_spec("batch: 4\ninput: [10]\nlayers: [{type: Dense, units: 3}]\n", "a.yaml")
    after = write_spec("batch: 8\ninput: [10]\nlayers: [{type: Dense, units: 5}]\n", "b.yaml")
    table = cli(["diff", before, after, "--per-batch"]).stdout
    assert "MACs per batch of 4 → 8 (before → after): 120 → 400 (+280)" in table
    assert "Δ MACs per batch of 4 → 8" in table
    table = cli(["diff", before, after, "--per-batch", "--batch", "2"]).stdout  # --batch for both
    assert "MACs per batch of 2 (before → after): 60 → 100 (+40)" in table
    markdown = cli(["diff", before, after, "--per-batch", "--batch", "2", "-f", "markdown"]).stdout
    assert "| MACs per batch of 2 | 60 | 100 | +40 |" in markdown.splitlines()
    report = json.loads(cli(["diff", before, after, "--per-batch", "-f", "json"]).stdout)
    assert (report["per"], report["batch"]) == ("batch", {"before": 4, "after": 8})


def test_compare_takes_the_new_parameters(pair):
    import calc

    result = calc.compare(*pair, unchanged=True, batch=2, per_batch=True)
    assert len(result.listed) == 20 and result.differs and result.before_batch == result.after_batch == 2
    assert [change.name for change in calc.compare(*pair).listed][:2] == ["block2_drop", "block2_conv2"]
    with pytest.raises(calc.LayercalcError, match=r"^batch must be a positive integer of at most 2\*\*62, found 'x'$"):
        calc.compare(*pair, batch="x")

