"""summary --format markdown|csv and --output."""

import csv
import io
import json

from tests.conftest import ROOT

RESIDUAL = ROOT / "specs" / "residual_small.yaml"


def test_markdown_summary(cli):
    text = cli(["summary", RESIDUAL, "-f", "markdown"]).stdout
    assert text.startswith("**Model: residual-small**\n\n| Layer (type) | Output Shape | Param # | MACs | Connected to |\n"
                           "|---|---|---:|---:|---|\n")
    assert "| block1_add (Add) | `(None, 32, 32, 32)` | 0 | 0 | stem_relu, block1_conv2 |" in text
    assert "- Total params: **" in text


def test_csv_summary_has_exact_numbers_and_a_total_row(cli):
    rows = list(csv.DictReader(io.StringIO(cli(["summary", RESIDUAL, "-f", "csv"]).stdout)))
    report = json.loads(cli(["summary", RESIDUAL, "-f", "json"]).stdout)
    layers = [row for row in rows if row["type"] not in ("InputLayer", "")]
    assert [row["name"] for row in layers] == [layer["name"] for layer in report["layers"]]
    assert rows[-1]["name"] == "TOTAL" and int(rows[-1]["params"]) == report["totals"]["params"]
    assert sum(int(row["macs"]) for row in layers) == report["totals"]["macs"]


def test_output_writes_the_file_and_nothing_on_stdout(cli, tmp_path):
    for output_format in ("table", "json", "markdown", "csv"):
        target = tmp_path / f"report.{output_format}"
        result = cli(["summary", RESIDUAL, "-f", output_format, "--output", target])
        assert result.exit_code == 0 and result.stdout == ""
        assert "block1_add" in target.read_text()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "report.csv", "report.json", "report.markdown", "report.table"]  # no temporary files left


def test_output_is_untouched_when_the_spec_is_invalid(cli, tmp_path, write_spec):
    target = tmp_path / "report.json"
    target.write_text("previous report\n")
    result = cli(["summary", write_spec("input: [4]\nlayers: [{type: Dense}]\n"), "-f", "json", "-o", target])
    assert result.exit_code == 2 and target.read_text() == "previous report\n"


def test_output_to_a_missing_directory_is_a_clear_error(cli, tmp_path):
    result = cli(["summary", RESIDUAL, "-o", tmp_path / "missing" / "report.txt"])
    assert result.exit_code == 2 and result.stderr.startswith("layercalc: cannot write ")
