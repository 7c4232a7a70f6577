"""The plain-text summary table (calc/render/plain_table.py) is, byte for byte, what rich lays out for the same
report on a page that is not a terminal: every spec under several option sets, and names that are wide,
zero-width, combining, emoji, control characters or rich markup."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from calc import summarize
from calc.errors import LayercalcError, escaped_beyond_c0
from calc.render.plain_table import render_summary_text
from calc.render import unpadded
from calc.render.table import build_table, plain_text
from calc.start import _is_terminal
from tests.conftest import ROOT

SPECS = sorted([*(ROOT / "specs").glob("*.yaml"), *(ROOT / "specs" / "symbolic").glob("*.yaml"),
                *(ROOT / "tests" / "data" / "flat_specs").glob("*.yaml")])
# The option sets: a covering set, not every combination. Both renderers are given the same headers, cells and
# footer lines (calc.render: headers, column_rows, summary_footer): what they can disagree on is the layout,
# made column by column (as wide as the column's widest line, justified as its header says, on a page too wide
# to squeeze a table: PAGE; no space after the last column) and footer line by footer line. Each set is here
# for what it alone lays out, on every spec:
#   depth, tree, tree_depth: the rows these options change, under Keras' own columns (the default table's; on
#     a flat spec --tree changes no row, so "tree" is the default table there), ending in the left-justified,
#     multi-line Connected to on a functional model and in a right-justified column on a sequential one;
#   per_batch: other figures and another footer label (refused without a batch);
#   everything: Keras' columns, every optional column and every footer line at once, on the default rows.
# The sets the default table, --flops, --memory and --columns had of their own (half of this file's time)
# laid out nothing these do not.
OPTIONS = {"depth": {"depth": 1}, "tree": {"tree": True}, "tree_depth": {"tree": True, "depth": 2},
           "per_batch": {"per_batch": True},
           "everything": {"flops": True, "memory": True, "count_bias": True,
                          "columns": "+input_shape,receptive_field,share,params_share,trainable"}}


def by_rich(report, title: str) -> str:
    """What rich lays out for `layercalc summary` when piped (before calc.render.unpadded)."""
    return plain_text(build_table(report, title))


def plain(report, title: str) -> str:
    return "".join(render_summary_text(report, title))


@pytest.mark.parametrize("spec", SPECS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_every_spec_under_every_option_set(spec):
    compared = []
    for name, options in OPTIONS.items():
        try:
            report = summarize(spec, **options)
        except LayercalcError:  # --per-batch without a batch
            assert name == "per_batch", name
            continue
        if report in compared:  # equal to an earlier set's (--tree --depth 2 of a flat spec): laid out the same
            continue
        compared.append(report)
        title = report.name or spec.stem
        assert plain(report, title) == by_rich(report, title), name


def test_some_spec_has_a_batch():
    assert summarize(ROOT / "specs" / "seed_conv.yaml", per_batch=True).costs.conventions.per_batch


NAMES = {
    "cjk": "卷积层_全连接",
    "fullwidth": "ＡＢＣ",
    "combining": "e\u0301\u0301a\u0308",
    "emoji": "😀🎉x",
    "zwj": "👨\u200d👩\u200d👧",
    "selector": "❤\ufe0f✔\ufe0f \ufe0f",
    "controls": "\x1b[31m\x07\n\r\t\x9b\u202e\u2028x",
    "markup": "[bold]b[link=x]l",
    "spaces": "a b\u3000c\xa0",
    "zero_width": "\u200b\u200dx",
    "hangul": "\u1100\u1161\u11a8한",
}


def hostile_spec(tmp_path: Path, name: str, model: str) -> Path:
    """Two inputs and a merge (so the Connected to and Input Shape cells have two lines), the names from `name`."""
    first, second = f"{name[:100]}_a", f"{name[:100]}_b"  # YAML keys are at most 1,024 characters
    spec = {"name": model, "inputs": {first: [4], second: [4]},
            "layers": [{"type": "Dense", "units": 4, "name": name, "inputs": [first]},
                       {"type": "Add", "name": f"{name}_add", "inputs": [name, second]},
                       {"type": "Dense", "units": 40, "name": f"{name} "}]}
    path = tmp_path / "spec.json"
    path.write_text(escaped_beyond_c0(json.dumps(spec, ensure_ascii=False, indent=1)))  # YAML reads no \\ud83d pairs
    return path


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES)
def test_hostile_and_unicode_names(tmp_path, name):
    path = hostile_spec(tmp_path, name, model=name)
    for options in OPTIONS.values():
        if "per_batch" in options:
            continue
        report = summarize(path, **options)
        assert plain(report, report.name) == by_rich(report, report.name), options


@pytest.mark.parametrize("case, name, model, columns", [
    ("title wider than the table", "d", "a long model name, " * 12 + "卷积" * 20 + "x" * 90, None),
    ("one word wider than the table", "d", "m" * 300, "params"),
    ("footer wider than the page", "层" * 6_000, "m", "params"),
    ("table wider than the page", "n" * 10_500, "m", None),
])
def test_layouts_rich_wraps(tmp_path, case, name, model, columns):
    report = summarize(hostile_spec(tmp_path, name, model), memory=True, columns=columns)
    assert plain(report, report.name) == by_rich(report, report.name), case


def test_piped_and_written_output_are_the_rich_layout(cli, tmp_path):
    spec = ROOT / "specs" / "residual_small.yaml"
    report = summarize(spec, flops=True)
    expected = "".join(unpadded([by_rich(report, report.name)]))
    assert cli(["summary", spec, "--flops"]).stdout == expected
    assert cli(["summary", spec, "--flops", "-o", tmp_path / "out.txt"]).exit_code == 0
    assert (tmp_path / "out.txt").read_text() == expected


@pytest.mark.parametrize("command", [["summary", "resnet50"], ["check", "resnet50"], ["diff", "resnet50", "densenet121"]])
def test_a_file_is_never_a_terminal(cli, tmp_path, command):
    """FORCE_COLOR=1 used to lay --output files out for an 80-column terminal."""
    arguments = [command[0], *(ROOT / "specs" / f"{name}.yaml" for name in command[1:])]
    for name, environment in (("plain", {}), ("forced", {"FORCE_COLOR": "1"})):
        cli([*arguments, "-o", tmp_path / f"{name}.txt"], env=environment)
    assert (tmp_path / "forced.txt").read_text() == (tmp_path / "plain.txt").read_text()


@pytest.mark.parametrize("environment", [{}, {"FORCE_COLOR": "1"}, {"FORCE_COLOR": ""}, {"TTY_COMPATIBLE": "1"},
                                         {"TTY_COMPATIBLE": "0", "FORCE_COLOR": "1"}, {"TTY_COMPATIBLE": "x"}])
@pytest.mark.parametrize("isatty", [True, False])
def test_terminal_as_rich_decides(monkeypatch, environment, isatty):
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    stream = io.StringIO()
    stream.isatty = lambda: isatty
    assert _is_terminal(stream) == Console(file=stream).is_terminal


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_the_layer_list_as_plain_text_is_what_rich_prints(framework):
    """`layercalc layers` piped (calc/render/layers.py's list_layers_text) against rich's tables."""
    from calc.render.layers import list_layers, list_layers_text

    assert "".join(unpadded(list_layers_text(framework))) == "".join(unpadded([plain_text(list_layers(framework))]))


@pytest.mark.parametrize("cell", ["[bold]x[/bold]", "a :smile: b", "two\nlines", "x" * 10_001])
def test_a_simple_table_with_markup_or_wrapping_is_left_to_rich(cell):
    from calc.render.plain_table import simple_table_fits

    assert simple_table_fits("Title", ("A", "B"), [("a", "b")])
    assert not simple_table_fits("Title", ("A", "B"), [("a", cell)])
