"""`layercalc diff`: two variants of a real spec."""

import json

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
    result = cli(["diff", *pair, "-f", "json"])
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
    report = json.loads(cli(["diff", pair[1], pair[0], "-f", "json"]).stdout)
    names = [layer["name"] for layer in report["layers"]]
    assert report["layers"][names.index("block2_drop")]["status"] == "removed"
    assert names.index("block2_drop") == names.index("block2_relu") + 1


def test_diff_table_and_markdown(cli, pair):
    table = cli(["diff", *pair]).stdout
    assert "+   block2_drop" in table and "Total params: 129,274 → 169,724 (+40,450)" in table
    assert "stem " not in table  # unchanged layers are hidden unless --all
    assert "stem " in cli(["diff", *pair, "--all"]).stdout
    markdown = cli(["diff", *pair, "-f", "markdown"]).stdout
    assert "| ➕ added | `block2_drop` | Dropout |  | `(None, 16, 16, 64)` | 0 | 0 |" in markdown
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
    assert "MACs per batch: 120 → 200 (+80)" in cli(["diff", before, after, "--per-batch"]).stdout
    assert "MACs per example: 30 → 50 (+20)" in cli(["diff", before, after]).stdout
