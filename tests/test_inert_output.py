"""Output is data, never markup (STYLE.md): hostile names, types and paths go through the real command line in
every format, and come out shown, never obeyed: no rich markup read, no escape sequence or bidi control
written, no extra line, no spreadsheet formula, no HTML; and every error line is one inert line of at most
1,000 characters."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from calc.errors import BEYOND_C0, MAX_MESSAGE, visible

pytestmark = pytest.mark.usefixtures("command_built_once")

# Each a valid layer and input name (no '/' or ':'); the model name and the file name take any of them.
PAYLOADS = {
    "markup": "[bold]b[link=https]l",
    "escapes": "\x1b]0;pwned\x07\x1b[31mred\x1b[0m",
    "newlines": "x\n##[error]forged\r\n",
    "formula": "=HYPERLINK(1)",
    "plus": "+1",
    "at": "@SUM(1)",
    "tab": "\tx",
    "html": "<img src=x onerror=alert(1)>&amp;",
    "markdown": "[text](https) `code` *em* ~~s~~ a|b \\",
    "bidi": "abc\u202edcba\u2066x\u2069",
    "c1": "\x9b31m\x85\x7f",
}
FIELDS = ["model", "input", "layer", "path"]
FORMATS = ["table", "json", "markdown", "csv"]
COMMANDS = (
    [["summary", "{spec}", "-f", output_format, "--memory", "--columns", "+input_shape,inputs"]
     for output_format in FORMATS]
    + [["graph", "{spec}", "-f", graph_format] for graph_format in ("mermaid", "dot")]
    + [["check", "{spec}", "--max-layer-params", "1", "-f", output_format] for output_format in FORMATS]
    + [["diff", "{spec}", "{base}", "--all", "-f", output_format] for output_format in FORMATS]
)
SHOWN = {"summary": {"model", "input", "layer"}, "check": {"path", "layer"}, "diff": {"path", "layer"}}
ENV = {"NO_COLOR": "1"}  # and no terminal: tables carry none of the renderer's own styling
# Control characters but the renderer's own newlines.
UNSAFE = re.compile(f"[\x00-\x09\x0b-\x1f{BEYOND_C0}]")
BASE = {"inputs": {"x": [4]}, "layers": [{"type": "Dense", "units": 4, "name": "out", "inputs": ["x"]},
                                         {"type": "Dense", "units": 1, "name": "new"}]}


def spec(model="m", input="x", layer="d", layer_type="Dense") -> str:
    """An input, a block instance named `layer` (so its name is also a cluster and a scope), one more layer."""
    return json.dumps({"name": model, "inputs": {input: [4]},
                       "blocks": {"blk": {"layers": [{"type": layer_type, "units": 2, "name": "e"}]}},
                       "layers": [{"type": "blk", "name": layer}, {"type": "Dense", "units": 3, "name": "out"}]})


def write(field: str, payload: str, name: str) -> str:
    """A spec with `payload` in `field`, in the current folder as `name` (or as the payload, for 'path')."""
    path = payload + ".json" if field == "path" else name
    Path(path).write_text(spec(**({} if field == "path" else {field: payload})))
    return path


def plain(payload: str) -> str:
    """A plain name as wide as the payload shown, with its spaces: a table lays both out alike."""
    return re.sub(r"\S", "p", visible(payload))


def cells(markdown: str) -> list:
    """The number of cell borders (unescaped pipes) on each line of a markdown table."""
    return [len(re.findall(r"(?<!\\)\|", line)) for line in markdown.splitlines() if line.startswith("|")]


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS)
@pytest.mark.parametrize("field", FIELDS)
def test_hostile_strings_stay_inert_in_every_format(cli, monkeypatch, tmp_path, field, payload):
    monkeypatch.chdir(tmp_path)
    Path("base.json").write_text(json.dumps(BASE))
    hostile, ordinary = write(field, payload, "hostile.json"), write(field, plain(payload), "control.json")
    for command in COMMANDS:
        expected = cli([part.format(spec=ordinary, base="base.json") for part in command], env=ENV)
        result = cli([part.format(spec=hostile, base="base.json") for part in command], env=ENV)
        assert result.exit_code == expected.exit_code, (command, result.stderr)
        for output in (result.stdout, result.stderr):
            assert not UNSAFE.search(output), (command, output)
        assert result.stdout.count("\n") == expected.stdout.count("\n"), (command, result.stdout)
        assert result.stderr == expected.stderr == "", command
        output_format = command[command.index("-f") + 1]
        if output_format == "table" and field in SHOWN[command[0]]:  # as written, markup and all
            assert visible(payload) in result.stdout, (command, result.stdout)
        elif output_format == "csv":
            for row in csv.reader(io.StringIO(result.stdout)):
                assert all(re.fullmatch(r"-?[\d.]+", cell) or not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                           for cell in row), (command, row)
        elif output_format == "markdown":
            assert "<" not in re.sub(r"`[^`]*`", "", result.stdout), command  # HTML is not read in a code span
            assert cells(result.stdout) == cells(expected.stdout), command  # a pipe in a name adds no cell
        elif output_format == "json" and command[0] == "summary" and field != "path":
            report = json.loads(result.stdout)
            names = {"model": report["name"], "input": report["inputs"][0]["name"],
                     "layer": report["layers"][0]["name"].partition("/")[0]}
            assert names[field] == payload  # the data itself is kept, escaped only as JSON escapes it


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS)
def test_hostile_types_in_error_messages(cli, monkeypatch, tmp_path, payload):
    monkeypatch.chdir(tmp_path)
    Path("model.json").write_text(spec(layer_type=payload))
    for command in (["summary", "model.json"], ["graph", "model.json"], ["check", "model.json"],
                    ["diff", "model.json", "model.json"], ["layers", payload]):
        result = cli(command)
        assert result.exit_code == 2, (command, result.stdout)
        assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, (command, result.stderr)
        assert not UNSAFE.search(result.stderr[:-1]), (command, result.stderr)
        assert f"'{visible(payload)}'" in result.stderr, (command, result.stderr)


# -- exact renderings ----------------------------------------------------------------------------------------


def test_markup_in_a_table_is_shown_not_obeyed(cli, write_spec):
    path = write_spec(spec(model="[link=file:///etc/passwd]innocent[/link][/]", layer="[bold]x"), "model.json")
    result = cli(["summary", path], env=ENV)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith('Model: "[link=file:///etc/passwd]innocent[/link][/]"\n')  # a line of its own
    assert " [bold]x/e (Dense) " in result.stdout


def test_an_escape_sequence_is_spelled_out(cli, write_spec):
    path = write_spec(spec(input="\x1b]0;pwned\x07"), "model.json")
    result = cli(["summary", path, "--columns", "name,inputs"], env=ENV)
    assert result.stdout.splitlines()[4].rstrip() == r" \x1b]0;pwned\x07   -"


def test_a_newline_cannot_forge_a_workflow_command(cli, write_spec):
    path = write_spec(spec(model="m\n::error file=a.py,line=1::forged"), "model.json")
    for command in (["summary", path, "-f", "markdown"], ["graph", path, "-f", "dot"]):
        output = cli(command).stdout
        assert not any(line.startswith("::") for line in output.splitlines()), output
    assert cli(["summary", path, "-f", "markdown"]).stdout.startswith(
        "**Model: m\\\\n::error file=a.py,line=1::forged**\n")
    assert cli(["graph", path, "-f", "dot"]).stdout.startswith('digraph "m\\\\n::error file=a.py,line=1::forged" {')
    assert cli(["graph", path]).stdout.startswith('---\ntitle: "m\\\\n::error file=a.py,line=1::forged"\n')


def test_csv_quotes_formulas_but_not_negative_numbers(cli, write_spec):
    path = write_spec(spec(input="=1+2", layer="-1"), "model.json")
    base = write_spec(json.dumps(BASE), "base.json")
    rows = list(csv.reader(io.StringIO(cli(["summary", path, "-f", "csv"]).stdout)))
    assert rows[1][0] == "'=1+2" and rows[2][:3] == ["'-1/e", "Dense", "'=1+2"]
    rows = list(csv.reader(io.StringIO(cli(["diff", path, base, "-f", "csv"]).stdout)))
    assert rows[1] == ["'-1/e", "removed", "Dense", "", "(None, 2)", "", "10", "", "-10", "-8"]


def test_markdown_escapes_html_and_markdown(cli, write_spec):
    path = write_spec(spec(model="<img src=x onerror=alert(1)>", layer="[a](b)|`c`"), "model.json")
    base = write_spec(json.dumps(BASE), "base.json")
    summary = cli(["summary", path, "-f", "markdown"]).stdout
    assert summary.startswith("**Model: &lt;img src=x onerror=alert(1)&gt;**\n")
    assert "| \\[a\\](b)\\|\\`c\\`/e (Dense) |" in summary
    diff = cli(["diff", path, base, "-f", "markdown"]).stdout
    assert "| ➖ removed | \\[a\\](b)\\|\\`c\\`/e | Dense |" in diff  # a backtick: no code span
    assert "| ➕ added | `new` | Dense |" in diff  # an ordinary name keeps its code span


def test_json_escapes_c1_and_bidi_controls(cli, write_spec):
    path = write_spec(spec(model="a\x85b\u202ec"), "model.json")
    output = cli(["summary", path, "-f", "json"]).stdout
    assert '"name": "a\\u0085b\\u202ec"' in output and json.loads(output)["name"] == "a\x85b\u202ec"


# -- bounded error lines ---------------------------------------------------------------------------------------


def test_a_long_quoted_name_is_elided_in_the_middle(cli, write_spec):
    path = write_spec(spec(layer_type="A" * 5000), "model.json")
    result = cli(["summary", path])
    assert result.exit_code == 2
    assert result.stderr == (f"model.json:1:76: layer 'd/e': unknown layer type '{'A' * 59}…{'A' * 60}'; "
                             "`layercalc layers` lists the supported types\n")


def test_every_error_line_is_at_most_1000_characters(cli, write_spec):
    """A .keras archive of many members and no config.json: the message lists them all, unquoted."""
    with zipfile.ZipFile("model.keras", "w") as archive:
        for index in range(2_000):
            archive.writestr(f"assets/member_{index:04}.txt", "")
    result = cli(["summary", "model.keras"])
    assert result.exit_code == 2
    line = result.stderr.removesuffix("\n")
    assert "\n" not in line and len(line) == MAX_MESSAGE, line
    assert line.startswith("model.keras: the archive has no config.json (it holds: assets/member_0000.txt, ")
    assert "…" in line and line.endswith(", assets/member_1999.txt): expected a model saved with "
                                         "model.save('model.keras')")


def test_convert_spells_out_what_a_keras_file_holds(cli, monkeypatch, tmp_path):
    """A .keras archive whose version and names hold escape sequences, a newline and bidi controls."""
    monkeypatch.chdir(tmp_path)
    source = zipfile.ZipFile(Path(__file__).parent / "data" / "keras_models" / "mnist_convnet.keras")
    with zipfile.ZipFile("model.keras", "w") as archive:
        for member in source.namelist():
            data = json.loads(source.read(member)) if member.endswith(".json") else source.read(member)
            if member == "metadata.json":
                data["keras_version"] = "3.1\x1b]0;pwned\x07\n::error::forged"
            if member == "config.json":
                data["config"]["name"] = "m\x1b[31m\u202e"
                data["config"]["layers"][1]["config"]["name"] = "c\u202ex\x85"
            archive.writestr(member, json.dumps(data) if member.endswith(".json") else data)
    result = cli(["convert", "model.keras"])
    assert result.exit_code == 0, result.stderr
    assert not UNSAFE.search(result.stdout), result.stdout
    assert result.stdout.startswith("# Converted by layercalc ") and "\n::" not in result.stdout
    assert r'Keras 3.1\x1b]0;pwned\x07\n::error::forged).' in result.stdout
    assert 'name: "m\\e[31m\\u202e"\n' in result.stdout and 'name: "c\\u202ex\\N"\n' in result.stdout
    Path("model.yaml").write_text(result.stdout)
    names = [layer["name"] for layer in json.loads(cli(["summary", "model.yaml", "-f", "json"]).stdout)["layers"]]
    assert names[0] == "c\u202ex\x85"  # the same names, read back
