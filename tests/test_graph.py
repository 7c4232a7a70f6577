"""`layercalc graph`: Mermaid and DOT drawings of the layer graph, checked by structure.

The drawings are parsed back (a small reader for the subset the renderer writes) and compared
with the Report: every input and layer is one node, every entry of every layer's `inputs` is one
edge, clusters nest as the layers' scopes, ids are plain identifiers, and labels read back as
the names.  Graphviz and Mermaid themselves are not needed here; `dot -Tsvg` and the Mermaid CLI
accepted the output of every spec in specs/ when this was written (by hand, see the README)."""

import re
from collections import Counter
from pathlib import Path

import pytest

from calc import analyze, collapse, parse_spec
from calc.render import shapes
from calc.render.graph import MERMAID_MAX_TEXT, render_dot, render_mermaid
from tests.conftest import ROOT, SPECS

RESIDUAL = ROOT / "specs" / "residual_small.yaml"

# Blocks inside blocks, a repeated block, a skip connection into a block's Add, and an LSTM
# whose second output (lstm:1) feeds the last layer.
NESTED = """
name: nested
input: [32, 32, 3]
blocks:
  conv_bn:
    args: [filters]
    layers:
      - {type: Conv2D, name: conv, filters: $filters, kernel_size: 3, padding: same}
      - {type: BatchNormalization, name: bn}
  residual:
    args: [filters]
    layers:
      - {type: conv_bn, name: a, filters: $filters}
      - {type: conv_bn, name: b, filters: $filters}
      - {type: Add, name: add, inputs: [input, b]}
layers:
  - {type: conv_bn, name: stem, filters: 8}
  - {type: residual, name: stage, filters: 8, repeat: 2}
  - {type: Reshape, target_shape: [1024, 8]}
  - {type: LSTM, name: lstm, units: 4, return_state: true}
  - {type: Dense, units: 3, inputs: ['lstm:1']}
"""

# Names that are Mermaid or DOT syntax, or not identifiers at all.
AWKWARD = """
name: 'awkward "model"'
inputs: {in put: [4], 'x[1]': [4]}
layers:
  - {type: Dense, units: 2, name: 'a "q" <b>x<b> & {y} #1;', inputs: [in put]}
  - {type: Dense, units: 2, name: end, inputs: ['x[1]']}
  - {type: Add, name: 'a|b;c', inputs: ['a "q" <b>x<b> & {y} #1;', end]}
  - {type: Dense, units: 2, name: subgraph}
  - {type: Dense, units: 2, name: 'back\\slash'}
  - {type: Dense, units: 2, name: a_b_c}
  - {type: Dense, units: 2, name: café}
"""

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
KEYWORDS = {"end", "graph", "subgraph", "flowchart", "style", "class", "classdef", "click", "linkstyle",
            "direction", "node", "edge", "digraph", "strict"}


def report_of(text):
    return analyze(parse_spec(text, "model.yaml"))


# --- readers for what the renderer writes ------------------------------------------------------------------

def _mermaid_unescape(text):
    return re.sub(r"#(\d+);", lambda match: chr(int(match.group(1))), text)


def read_mermaid(text):
    """(nodes {id: (label lines, cluster labels)}, edges [(source, target, label)], cluster ids)."""
    lines = text.splitlines()
    assert lines[:4] == ["---", lines[1], "---", "flowchart TB"] and lines[1].startswith("title: ")
    nodes, edges, clusters, stack = {}, [], [], []
    for line in lines[4:]:
        line = line.strip()
        if match := re.fullmatch(r'subgraph (\S+) \["([^"]*)"\]', line):
            clusters.append(match.group(1))
            stack.append(_mermaid_unescape(match.group(2)))
        elif line == "end":
            stack.pop()
        elif match := re.fullmatch(r'([^\s(\[]+)(\(\["|\[\["|\[")([^"]*)("\]\)|"\]\]|"\])', line):
            assert match.group(1) not in nodes
            nodes[match.group(1)] = (tuple(_mermaid_unescape(part) for part in match.group(3).split("<br>")),
                                     tuple(stack), match.group(2))
        elif match := re.fullmatch(r'(\S+) -->(?:\|"([^"]*)"\|)? (\S+)', line):
            label = match.group(2)
            edges.append((match.group(1), match.group(3), label and _mermaid_unescape(label)))
        else:
            assert re.fullmatch(r"classDef output \S+|class [\w,]+ output", line), line
    assert not stack
    return nodes, edges, clusters


_DOT_STRING = r'"((?:[^"\\]|\\.)*)"'


def _dot_lines(quoted):
    """A DOT string's text, split at its \\n escapes."""
    lines, current, characters = [], "", iter(quoted)
    for character in characters:
        if character == "\\":
            escaped = next(characters)
            if escaped == "n":
                lines.append(current)
                current = ""
            else:
                current += escaped
        else:
            current += character
    return tuple(lines + [current])


def read_dot(text):
    lines = text.splitlines()
    assert re.fullmatch(r"digraph " + _DOT_STRING + " {", lines[0]) and lines[-1] == "}"
    nodes, edges, clusters, stack = {}, [], [], []
    for line in lines[1:-1]:
        line = line.strip()
        if re.fullmatch(r"(graph|node|edge) \[.*\];", line):
            continue
        if match := re.fullmatch(r"subgraph (\S+) {", line):
            assert match.group(1).startswith("cluster_")  # Graphviz draws only cluster_* as boxes
            clusters.append(match.group(1))
            stack.append(None)
        elif match := re.fullmatch(r"label=" + _DOT_STRING + ";", line):
            assert stack[-1] is None
            stack[-1] = _dot_lines(match.group(1))[0]
        elif line == "}":
            stack.pop()
        elif match := re.fullmatch(r"(\S+) \[label=" + _DOT_STRING + r"(, [a-z]+=\w+)*\];", line):
            assert match.group(1) not in nodes
            nodes[match.group(1)] = (_dot_lines(match.group(2)), tuple(stack), line)
        elif match := re.fullmatch(r"(\S+) -> (\S+)(?: \[label=" + _DOT_STRING + r"\])?;", line):
            label = match.group(3)
            edges.append((match.group(1), match.group(2), label and _dot_lines(label)[0]))
        else:
            raise AssertionError(line)
    assert not stack
    return nodes, edges, clusters


READERS = {"mermaid": (render_mermaid, read_mermaid), "dot": (render_dot, read_dot)}


def check_structure(report, output_format):
    """The drawing of `report` has exactly its nodes, edges and nesting, with safe unique ids."""
    render, read = READERS[output_format]
    nodes, edges, clusters = read(render(report, "title"))
    ids = list(nodes) + clusters
    assert len(ids) == len(set(ids))
    for identifier in ids:
        assert IDENTIFIER.fullmatch(identifier) and identifier.lower() not in KEYWORDS, identifier

    by_name = {}
    for identifier, (lines, scope, _) in nodes.items():
        name = lines[0].rsplit(" (", 1)[0]
        assert name not in by_name
        by_name[name] = identifier
    rows = [(row.name, "InputLayer", row.shape, ()) for row in report.inputs]
    rows += [(row.name, row.type, row.output_shape, row.scope) for row in report.layers]
    assert set(by_name) == {name for name, *_ in rows}
    for name, kind, shape, scope in rows:
        lines, clusters_around, _ = nodes[by_name[name]]
        assert lines[:2] == (f"{name} ({kind})", shapes(shape))
        assert clusters_around == tuple(f"{instance} ({report.blocks[instance][0]})" for instance in scope)

    expected = Counter()
    for row in report.layers:
        for reference in row.inputs:
            source, colon, index = reference.rpartition(":")
            expected[(source if colon else reference, row.name, f"output {index}" if colon else None)] += 1
    names = {identifier: name for name, identifier in by_name.items()}
    assert Counter((names[source], names[target], label) for source, target, label in edges) == expected
    return nodes, edges


SPEC_TEXTS = [pytest.param(path.read_text(), id=path.stem) for path in SPECS]
SPEC_TEXTS += [pytest.param(NESTED, id="nested-blocks"), pytest.param(AWKWARD, id="awkward-names")]


@pytest.mark.parametrize("output_format", ["mermaid", "dot"])
@pytest.mark.parametrize("text", SPEC_TEXTS)
def test_every_layer_and_edge_once_clusters_as_scopes(text, output_format):
    check_structure(report_of(text), output_format)


@pytest.mark.parametrize("output_format", ["mermaid", "dot"])
@pytest.mark.parametrize("depth", [1, 2])
def test_collapsed_blocks_are_single_nodes(output_format, depth):
    report = report_of(NESTED)
    collapsed = collapse(report, depth)
    nodes, _ = check_structure(collapsed, output_format)
    blocks = {lines[0] for lines, _, shape in nodes.values()
              if shape == '[["' or "peripheries=2" in shape}
    expected = {"stem (conv_bn)", "stage_1 (residual)", "stage_2 (residual)"} if depth == 1 else {
        "stage_1/a (conv_bn)", "stage_1/b (conv_bn)", "stage_2/a (conv_bn)", "stage_2/b (conv_bn)"}
    assert blocks == expected


def test_labels_show_shape_and_params():
    # residual_small: stem 864 params, stem_bn 64 trainable + 64 non-trainable
    # (tests/data/keras/specs/residual_small.json, Keras 3.15.1).
    nodes, _ = check_structure(report_of(RESIDUAL.read_text()), "mermaid")
    labels = {lines[0]: lines for lines, _, _ in nodes.values()}
    assert labels["input (InputLayer)"] == ("input (InputLayer)", "(None, 32, 32, 3)")
    assert labels["stem (Conv2D)"] == ("stem (Conv2D)", "(None, 32, 32, 32)", "864 params")
    assert labels["stem_bn (BatchNormalization)"][2] == "128 params (64 non-trainable)"
    assert labels["logits (Dense)"][2] == "51,210 params"


def test_mermaid_labels_carry_no_raw_syntax():
    text = render_mermaid(report_of(AWKWARD), 'awkward "model"')
    for line in text.splitlines()[4:]:
        if "-->" not in line and '"' in line:  # a node or a cluster
            label = re.sub(r"#\d+;|<br>", "", re.search(r'"(.*)"', line).group(1))
            assert not set(label) & set('"<>&#;:{}[]|`'), line
    assert 'title: "awkward \\"model\\""' in text


def test_dot_escapes_quotes_and_backslashes():
    text = render_dot(report_of(AWKWARD), 'awkward "model"')
    assert text.startswith('digraph "awkward \\"model\\"" {')
    assert 'label="back\\\\slash (Dense)\\n' in text
    assert 'label="a \\"q\\" <b>x<b> & {y} #1; (Dense)\\n' in text


def test_model_outputs_are_marked():
    mermaid = render_mermaid(report_of(NESTED), "nested")
    assert mermaid.endswith("  classDef output stroke-width:3px\n  class n_dense output\n")
    assert 'n_dense [label="dense (Dense)\\n(None, 3)\\n15 params", penwidth=2];' in render_dot(
        report_of(NESTED), "nested")


@pytest.mark.parametrize("output_format", ["mermaid", "dot"])
def test_snapshots(snapshot, output_format):
    """The whole text for two small models; `make snapshots` after an intended change."""
    render = READERS[output_format][0]
    assert render(report_of(RESIDUAL.read_text()), "residual-small") == snapshot
    assert render(report_of(NESTED), "nested") == snapshot


# --- the command ---------------------------------------------------------------------------------------------

def test_graph_command_prints_mermaid_by_default(cli):
    result = cli(["graph", RESIDUAL])
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == render_mermaid(report_of(RESIDUAL.read_text()), "residual-small")
    assert "\x1b[" not in cli(["graph", RESIDUAL], env={"FORCE_COLOR": "1"}).stdout


def test_graph_command_dot_depth_set_and_output(cli, write_spec):
    path = write_spec(NESTED.replace("input: [32, 32, 3]", "input: [H, H, 3]"))
    result = cli(["graph", path, "-f", "dot", "--depth", "1", "--set", "H=32", "-o", "out.dot"])
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""
    assert Path("out.dot").read_text() == render_dot(collapse(report_of(NESTED), 1), "nested")


def test_graph_command_title_from_file_name(cli, write_spec):
    path = write_spec("input: [4]\nlayers: [{type: Dense, units: 2}]\n", "tiny.yaml")
    assert cli(["graph", path]).stdout.splitlines()[1] == 'title: "tiny"'
    assert cli(["graph", "-", "-f", "dot"], input="input: [4]\nlayers: [{type: Dense, units: 2}]\n"
               ).stdout.startswith('digraph "stdin" {')


def test_graph_command_invalid_spec(cli, write_spec):
    path = write_spec("input: [4]\nlayers:\n  - {type: Dense, unit: 2}\n")
    result = cli(["graph", path])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == ("model.yaml:3:25: layer 'dense' (Dense): unknown argument 'unit' (did you mean "
                             "'units'?); Dense takes: units, activation, use_bias, kernel_initializer, "
                             "bias_initializer, kernel_regularizer, bias_regularizer, kernel_constraint, "
                             "bias_constraint, lora_rank, lora_alpha\n")


def test_graph_command_unknown_format(cli):
    result = cli(["graph", RESIDUAL, "--format", "svg"])
    assert result.exit_code == 2 and result.stdout == ""
    message = re.sub(r"[\s│]+", " ", result.stderr)  # click's message, wrapped in typer's box
    assert "'svg' is not one of 'mermaid', 'dot'" in message


def test_large_mermaid_diagram_gets_a_note(cli, write_spec):
    path = write_spec("input: [4]\nlayers:\n  - {type: Dense, units: 4, repeat: 800}\n")
    result = cli(["graph", path])
    assert result.exit_code == 0 and len(result.stdout) > MERMAID_MAX_TEXT
    assert result.stderr == (f"layercalc: note: this diagram has {len(result.stdout):,} characters; Mermaid draws "
                             "at most 50,000 by default: try --depth or --format dot\n")
    assert cli(["graph", path, "-f", "dot"]).stderr == ""


def test_readme_example_is_the_current_output():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```mermaid\n(.*?)```", readme, re.S).group(1)
    assert block == render_mermaid(report_of(RESIDUAL.read_text()), "residual-small")
    assert (ROOT / "docs" / "residual_small.svg").exists()  # drawn with `layercalc graph ... -f dot | dot -Tsvg`


def test_graph_command_refuses_an_input_name_with_a_colon(cli, write_spec):
    """It exited 3 (the renderer read 'a:b' as output 'b' of 'a'); a name never holds ':', as layer names do not."""
    result = cli(["graph", write_spec("inputs:\n  'a:b': [4]\nlayers:\n  - {type: Dense, units: 3}\n")])
    assert (result.exit_code, result.stderr, result.stdout) == (
        2, "model.yaml:2:3: an input name must not contain ':' (references use 'name:index' for a layer's outputs), "
           "found 'a:b'\n", "")
