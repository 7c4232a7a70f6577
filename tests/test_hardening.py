"""Hardened against bad input: resource limits, safe loading, exact numbers, graceful output.

Each limit is refused with its message, fast (no timing assertions: a limit that did not hold would
hang the test, which is failure enough)."""

import io
import json
import os
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.conftest import ROOT

LIMIT = "4,611,686,018,427,387,904"  # 2**62, the largest size of an axis


def billion_laughs(levels: int) -> str:
    """Each level a list of ten aliases of the one before: 10**levels nodes once expanded."""
    lines = ["input: [4]", "layers: [{type: Dense, units: 2}]", "name:", "  - &a0 [lol, lol, lol, lol, lol]"]
    lines += [f"  - &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]" for level in range(1, levels)]
    return "\n".join(lines) + "\n"


def laughs_after_colons(levels: int) -> str:
    """A billion laughs in JSON style, each alias straight after a colon ({"k0":*a0}), in a layer argument."""
    levels_text = "".join(f', &a{level} {{' + ",".join(f'"k{key}":*a{level - 1}' for key in range(10)) + "}"
                          for level in range(1, levels))
    return '{"input": [4], "layers": [{"type": "Dense", "units": 2, "kernel": [&a0 [1,1,1,1,1,1,1,1,1,1]' \
        + levels_text + "]}]}\n"


def many_symbols(count: int) -> str:
    return "input: [" + ", ".join(f"S{index}" for index in range(count)) + "]\nlayers: [{type: ReLU}]\n"


def nested_blocks(depth: int) -> str:
    """Block b0 uses b1, which uses b2, ... down to b{depth - 1}, which holds a Dense."""
    blocks = {f"b{index}": {"layers": [{"type": f"b{index + 1}"}]} for index in range(depth - 1)}
    blocks[f"b{depth - 1}"] = {"layers": [{"type": "Dense", "units": 2}]}
    return json.dumps({"input": [4], "blocks": blocks, "layers": [{"type": "b0"}]})


def cyclic_blocks(count: int) -> str:
    """Block b0 uses b1, ... and b{count - 1} uses b0 again."""
    blocks = {f"b{index}": {"layers": [{"type": f"b{(index + 1) % count}"}]} for index in range(count)}
    return json.dumps({"input": [4], "blocks": blocks, "layers": [{"type": "Dense", "units": 2}]})


def growing_arguments(levels: int, power: int = 8) -> str:
    """Each block passes its argument to the next raised to the 8th power: 99999**(8**levels) at the bottom."""
    product = "*".join(["x"] * power)
    blocks = {"b0": {"args": ["x"], "layers": [{"type": "Dense", "units": f"${{{product}}}"}]}}
    blocks.update({f"b{index}": {"args": ["x"], "layers": [{"type": f"b{index - 1}", "x": f"${{{product}}}"}]}
                   for index in range(1, levels)})
    return json.dumps({"input": [4], "blocks": blocks, "layers": [{"type": f"b{levels - 1}", "x": 99999}]})


def concatenated_symbols(count: int) -> str:
    """One Concatenate of `count` inputs of symbolic lengths: a sum of `count` symbols."""
    inputs = {f"i{index}": [f"S{index}", 1] for index in range(count)}
    return json.dumps({"inputs": inputs, "layers": [{"type": "Concatenate", "axis": 1, "inputs": list(inputs)}]})


def pooled_concatenations(levels: int) -> str:
    """Pool, then concatenate a second symbolic length, `levels` times: (((H + 1) // 2 + W + 1) // 2 + W ...
    nests a floor per level (a pooling chain alone stays flat: (n // a + c) // d = (n + a·c) // (a·d))."""
    lines = ["inputs: {x: [H, 1], w: [W, 1]}", "layers:"]
    previous = "x"
    for level in range(levels):
        lines += [f"  - {{type: MaxPooling1D, padding: same, name: p{level}, inputs: [{previous}]}}",
                  f"  - {{type: Concatenate, axis: 1, name: c{level}, inputs: [p{level}, w]}}"]
        previous = f"c{level}"
    return "\n".join(lines) + "\n"


LIMITS = [
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 2, repeat: 1000001}]\n", [],
                 "model.yaml:2:9: the spec expands to 1,000,001 layers, more than the limit of 1,000,000 (raise it "
                 "with --max-layers)", id="layers"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 2, repeat: 11}]\n", ["--max-layers", "10"],
                 "model.yaml:2:9: the spec expands to 11 layers, more than the limit of 10 (raise it with "
                 "--max-layers)", id="layers-flag"),
    pytest.param("input: [4]\nblocks:\n  a: {args: [n], layers: [{type: Dense, units: 2, repeat: $n}]}\n"
                 "layers: [{type: a, n: 1000000000}]\n", [],
                 "model.yaml:3:59: Dense layer: the spec expands to at least 1,000,000,000 layers, more than the "
                 "limit of 1,000,000 (raise it with --max-layers)", id="layers-block-argument"),
    pytest.param(nested_blocks(34), [], "model.yaml:1:1205: blocks nest more than 32 deep", id="block-depth"),
    pytest.param("input: [4611686018427387905]\nlayers: [{type: Dense, units: 2}]\n", [],
                 f"model.yaml:1:9: input 'input' dimension 0 is 4,611,686,018,427,387,905, more than the limit of "
                 f"2**62 ({LIMIT})", id="dimension"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 4611686018427387905}]\n", [],
                 f"model.yaml:2:10: layer 'dense' (Dense): the output has size 4,611,686,018,427,387,905 on axis 1, "
                 f"more than the limit of 2**62 ({LIMIT})", id="dimension-output"),
    pytest.param("input: [3]\nlayers: [{type: Embedding, input_dim: 4611686018427387905, output_dim: 2}]\n", [],
                 f"model.yaml:2:10: layer 'embedding' (Embedding): weight 'embeddings' has size "
                 f"4,611,686,018,427,387,905 on axis 0, more than the limit of 2**62 ({LIMIT})",
                 id="dimension-weight"),
    pytest.param("input: [H, 3]\nlayers: [{type: ZeroPadding1D, padding: 4611686018427387904}]\n", [],
                 f"model.yaml:2:10: layer 'zero_padding1d' (ZeroPadding1D): the output has size "
                 f"'H + 9223372036854775808' on axis 1, more than the limit of 2**62 ({LIMIT})",
                 id="dimension-symbolic"),
    pytest.param("input: [H]\nlayers: [{type: Dense, units: 2}]\n", ["--set", "H=4611686018427387905"],
                 f"layercalc: --set H: the value is more than the limit of 2**62 ({LIMIT})", id="dimension-set"),
    pytest.param(pooled_concatenations(60), [],
                 "model.yaml:103:5: layer 'p50' (MaxPooling1D): a symbolic size nests floor divisions "
                 "51 deep, more than the limit of 50: bind its symbols (H, W) with --set", id="expression-depth"),
    pytest.param(concatenated_symbols(501), [],
                 "model.yaml:1:10326: layer 'concatenate' (Concatenate): a symbolic size has 1,002 terms and atoms, "
                 "more than the limit of 1,000: bind its symbols (S0, S1, S10, S100, S101, ...) with --set",
                 id="expression-terms"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 2}]\nname: " + "[" * 101 + "]" * 101 + "\n", [],
                 "model.yaml:3:106: lists and mappings nest more than 100 deep", id="yaml-depth"),
    pytest.param(billion_laughs(9), [], "model.yaml:1:1: YAML aliases expand the spec to 679,012,357 lists, "
                 "mappings and scalars, more than the limit of 1,000,000", id="billion-laughs"),
    pytest.param(laughs_after_colons(9), [], "model.yaml:1:1: YAML aliases expand the spec to 1,358,024,692 lists, "
                 "mappings and scalars, more than the limit of 1,000,000", id="billion-laughs-after-colons"),
    pytest.param("input: [4]\nlayers: [{type: Dense, units: 2}]\nname: [" + "1," * 1_000_000 + "]\n", [],
                 "model.yaml:3:1999982: the spec has more than 1,000,000 lists, mappings and scalars", id="nodes"),
    pytest.param(many_symbols(1001), [], "model.yaml:1:5899: the spec has more than 1,000 symbols", id="symbols"),
    pytest.param("symbols: {" + ", ".join(f"S{index}: 1" for index in range(1001)) + "}\n" + many_symbols(1), [],
                 "model.yaml:1:10: 'symbols' has 1,001 symbols, more than the limit of 1,000", id="symbols-defaults"),
    pytest.param("input: [" + "9" * 5000 + "]\nlayers: [{type: Dense, units: 2}]\n", [],
                 "model.yaml:1:9: integer too large: 5,000 digits (at most 100)", id="integer-digits"),
]


@pytest.mark.parametrize("text, args, message", LIMITS)
def test_limits_are_refused_with_their_message(cli, write_spec, text, args, message):
    result = cli(["summary", write_spec(text), *args])
    assert (result.exit_code, result.stderr, result.stdout) == (2, message + "\n", "")


POOLED_BRANCHES = """\
input: [H, 4]
blocks:
  b:
    layers:
      - {type: MaxPooling1D, pool_size: 2, name: p1, inputs: input}
      - {type: AveragePooling1D, pool_size: 3, padding: same, name: p2, inputs: input}
      - {type: Concatenate, axis: 1, inputs: [p1, p2]}
layers:
  - {type: b, repeat: 22}
"""

# Specs whose numbers or expressions grew without bound before they were refused (issue 15): each runs in a
# child limited in CPU time and memory (conftest.bounded_cli), so a limit that did not hold fails the test.
GROWTH = [
    pytest.param(POOLED_BRANCHES, [],
                 "model.yaml:7:9: layer 'b_7/concatenate' (Concatenate): a symbolic size has 1,787 terms and atoms, "
                 "more than the limit of 1,000: bind its symbols (H) with --set", id="expression-nested"),
    pytest.param(growing_arguments(7), [],
                 "model.yaml:1:555: layer 'b6/b5' (b5): '${x*x*x*x*x*x*x*x}' reaches 99,996,000,059,999,600,001, more "
                 f"than the limit of 2**62 ({LIMIT})", id="block-argument-growth"),
    pytest.param("input: [4]\nblocks:\n  a: {args: [x], layers: [{type: Dense, units: '${" + "+".join(["x"] * 100_000)
                 + "}'}]}\nlayers: [{type: a, x: 1}]\n", [],
                 "model.yaml:3:48: Dense layer: a block argument expression has 199,999 characters, more than the "
                 "limit of 200", id="block-argument-text"),
    pytest.param("input: [4]\nblocks:\n  a: {args: [n], layers: [{type: Dense, units: 2, repeat: $n}]}\n"
                 "  b: {args: [n], layers: [{type: a, n: $n, repeat: $n}]}\n"
                 "  c: {args: [n], layers: [{type: b, n: $n, repeat: $n}]}\n"
                 "layers: [{type: c, n: 1000}]\n", [],
                 "model.yaml:3:59: Dense layer: the spec expands to at least 1,000,000,000 layers, more than the "
                 "limit of 1,000,000 (raise it with --max-layers)", id="nested-repeat"),
    pytest.param(nested_blocks(1000), [], "model.yaml:1:1205: blocks nest more than 32 deep", id="block-chain"),
    pytest.param(cyclic_blocks(5000), [],
                 "model.yaml:1:207798: block 'b0' uses itself: b0 -> b1 -> b2 -> b3 -> b4 -> ... (4,991 more) -> "
                 "b4996 -> b4997 -> b4998 -> b4999 -> b0", id="block-cycle"),
]


@pytest.mark.parametrize("text, args, message", GROWTH)
def test_growth_is_refused_in_bounded_time_and_memory(bounded_cli, write_spec, text, args, message):
    result = bounded_cli(["summary", write_spec(text), *args])
    assert (result.returncode, result.stderr, result.stdout) == (2, message + "\n", "")


NUMBERS = [  # (as written, the YAML version that reads it as a number, which number, and the number)
    pytest.param("010", "1.1", "octal number", "8", id="octal"),
    pytest.param("0o10", "1.2", "octal number", "8", id="octal-yaml-1.2"),
    pytest.param("0b11", "1.1", "binary number", "3", id="binary"),
    pytest.param("1:20", "1.1", "base-60 number", "80", id="base-60"),
    pytest.param("1__0", "1.1", "number", "10", id="underscores"),
    pytest.param("0x_1", "1.1", "hexadecimal number", "1", id="hexadecimal-underscore"),
    pytest.param("1:20.5", "1.1", "base-60 number", "80.5", id="base-60-float"),
    pytest.param("1__0.5", "1.1", "number", "10.5", id="underscores-float"),
]


@pytest.mark.parametrize("value, version, kind, number", NUMBERS)
def test_yaml_1_1_number_forms_are_refused(cli, write_spec, value, version, kind, number):
    """Numbers YAML 1.1 and YAML 1.2 read differently, or that look like slips, are refused with what YAML
    reads; the value in quotes is a string, as the message says."""
    result = cli(["summary", write_spec(f"input: [4]\nlayers: [{{type: Dense, units: {value}}}]\n")])
    message = (f"model.yaml:2:31: '{value}' is read by YAML {version} as the {kind} {number}; write {number}, "
               f"or '{value}' in quotes for a string\n")
    assert (result.exit_code, result.stderr, result.stdout) == (2, message, "")
    result = cli(["summary", write_spec(f"name: '{value}'\ninput: [4]\nlayers: [{{type: Dense, units: 2}}]\n"),
                  "-f", "json"])
    assert json.loads(result.stdout)["name"] == value


@pytest.mark.parametrize("value, number", [("16", 16), ("0x10", 16), ("+0x10", 16), ("1_000", 1000), ("0", 0)])
def test_number_forms_every_reader_reads_alike(cli, write_spec, value, number):
    """Decimal (digits grouped as Python groups them) and hexadecimal: the same number in YAML 1.1, 1.2 and
    Python."""
    result = cli(["summary", write_spec(f"input: [4]\nlayers: [{{type: ZeroPadding1D, padding: {value}}}]\n"
                                        .replace("[4]", "[4, 1]")), "-f", "json"])
    assert json.loads(result.stdout)["layers"][-1]["output_shape"] == [None, 4 + 2 * number, 1]


def test_file_size_limit(cli, write_spec):
    path = write_spec("input: [4]\nlayers: [{type: Dense, units: 2}]\n" + "#" * (16 * 1024 * 1024))
    result = cli(["summary", path])
    assert (result.exit_code, result.stderr) == (2, "model.yaml:1:1: spec file is larger than 16 MiB\n")


def test_limits_leave_room_for_real_models(cli):
    """The largest real figures stay far below the limits (symbolic ResNet-50 and Inception-v3 included)."""
    for name in ("resnet50", "inception_v3", "densenet121"):
        text = (ROOT / "specs" / f"{name}.yaml").read_text()
        result = cli(["summary", "-", "-f", "json"], input=text.replace("input: [224, 224, 3]", "input: [H, W, 3]")
                     .replace("input: [299, 299, 3]", "input: [H, W, 3]"))
        assert result.exit_code == 0, result.stderr
        assert isinstance(json.loads(result.stdout)["totals"]["macs"], str)  # symbolic indeed


# -- safe loading --------------------------------------------------------------------------------------------

TAGS = [
    ("!!python/object/apply:os.system ['touch pwned']", "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ("!!python/object/new:os.system ['touch pwned']", "'tag:yaml.org,2002:python/object/new:os.system'"),
    ("!!python/name:os.system", "'tag:yaml.org,2002:python/name:os.system'"),
    ("!!python/module:os", "'tag:yaml.org,2002:python/module:os'"),
    ("!!python/object:calc.cli.Format {}", "'tag:yaml.org,2002:python/object:calc.cli.Format'"),
    ("!!binary cHduZWQ=", "'tag:yaml.org,2002:binary'"),
    ("!!set {a, b}", "'tag:yaml.org,2002:set'"),
    ("!!omap [a: 1]", "'tag:yaml.org,2002:omap'"),
    ("!!pairs [a: 1]", "'tag:yaml.org,2002:pairs'"),
    ("!include other.yaml", "'!include'"),
]


@pytest.mark.parametrize("value, tag", TAGS, ids=[tag for _, tag in TAGS])
def test_no_yaml_tag_builds_objects_or_runs_code(cli, write_spec, tmp_path, value, tag):
    """Only plain data: mappings, lists, strings, numbers, booleans, null. Bytes, sets and pairs too are
    refused, so every value a message quotes is one YAML can spell."""
    result = cli(["summary", write_spec(f"input: [4]\nlayers: [{{type: Dense, units: 2}}]\nname: {value}\n")])
    assert (result.exit_code, result.stderr) == (2, f"model.yaml:3:7: invalid YAML: YAML tag not allowed here: "
                                                    f"{tag}\n")
    assert not (tmp_path / "pwned").exists()


def test_dates_are_read_as_text(cli, write_spec):
    result = cli(["summary", write_spec("name: 2024-01-31\ninput: [4]\nlayers: [{type: Dense, units: 2}]\n"),
                  "-f", "json"])
    assert json.loads(result.stdout)["name"] == "2024-01-31"


def test_explicit_scalar_tags_that_do_not_fit(cli, write_spec):
    result = cli(["summary", write_spec("input: [4]\nlayers: [{type: Dense, units: !!float 3x}]\n")])
    assert (result.exit_code, result.stderr) == (2, "model.yaml:2:31: invalid YAML: '3x' is not a number "
                                                    "(!!float)\n")


def test_control_characters_are_refused_with_their_position(cli, write_spec):
    result = cli(["summary", write_spec("input: [4]\nname: a\x01\nlayers: [{type: Dense, units: 2}]\n")])
    assert (result.exit_code, result.stderr) == (2, "model.yaml:2:8: invalid YAML: character #x0001 is not allowed "
                                                    "(control characters are not allowed)\n")


# A child process that records every file it opens, renames or removes (Python's audit hooks, PEP 578).
AUDITED = """
import json, os, sys
events = []
def hook(event, args):
    if events is not None and event in ("open", "os.rename", "os.remove", "os.mkdir", "os.symlink", "os.link",
                                        "os.truncate", "os.chmod", "shutil.copyfile", "subprocess.Popen", "os.system"):
        events.append([event, args[0] if isinstance(args[0], (str, int)) else os.fsdecode(args[0])])
sys.addaudithook(hook)
sys.argv = ["layercalc", *sys.argv[1:]]
from calc.cli import main
try:
    main()
finally:
    found, events = events, None
    sys.stderr.write(json.dumps(found) + "\\n")
"""


def test_a_spec_touches_no_file_but_those_on_the_command_line(tmp_path):
    """Paths, tags and names in a spec are only text: layercalc reads the spec and writes --output (through a
    temporary file beside it), and nothing else but its own Python modules."""
    (tmp_path / "model.yaml").write_text(
        "name: /etc/passwd\ninput: [4]\nlayers:\n  - {type: Dense, units: 2, name: etc, kernel_initializer: "
        "/etc/shadow, kernel_regularizer: ../secret.yaml, bias_initializer: 'file:///etc/hosts'}\n"
        "  - {type: Dense, units: 2, kernel_constraint: !!str ~/.ssh/id_rsa}\n")
    result = subprocess.run([sys.executable, "-c", AUDITED, "summary", "model.yaml", "-f", "json", "-o", "out.json"],
                            cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stderr.splitlines()[-1])
    own = (sys.prefix, sys.base_prefix, sys.exec_prefix, str(ROOT / "calc"), "/usr/lib/python3")
    touched = [(event, str(Path(tmp_path, target).resolve()) if isinstance(target, str) else target)
               for event, target in events if not (isinstance(target, str) and target.startswith(own))]
    temporary = list({target for _, target in touched if isinstance(target, str) and target.endswith(".tmp")})
    assert len(temporary) == 1 and Path(temporary[0]).name.startswith(".out.json.")
    allowed = {str(tmp_path / "model.yaml"), str(tmp_path / "out.json"), temporary[0]}
    assert {target for _, target in touched if isinstance(target, str)} <= allowed, touched
    assert not any(event in ("subprocess.Popen", "os.system") for event, _ in touched)
    assert json.loads((tmp_path / "out.json").read_text())["name"] == "/etc/passwd"


# -- exact numbers -----------------------------------------------------------------------------------------------

def test_trillions_of_parameters_stay_exact_integers(cli, write_spec):
    """An LLM-sized stack: 64 blocks of Dense 65,536 -> 262,144 -> 65,536 on 8,192 tokens. Params
    units·in + units (SPEC.md section 2, the seed's Dense figure from Keras); MACs rows·in·units
    (README, "How MACs are counted"). Both pass 2**53, where a float would round them."""
    tokens, width, hidden, depth = 8192, 65536, 262144, 64
    text = (f"input: [{tokens}, {width}]\nblocks:\n  mlp:\n    layers:\n      - {{type: Dense, units: {hidden}}}\n"
            f"      - {{type: Dense, units: {width}}}\nlayers:\n  - {{type: mlp, repeat: {depth}}}\n")
    params = depth * ((width * hidden + hidden) + (hidden * width + width))
    macs = depth * 2 * tokens * width * hidden
    assert (params, macs) == (2_199_044_227_072, 18_014_398_509_481_984) and macs > 2**53
    result = cli(["summary", write_spec(text), "-f", "json"])
    report = json.loads(result.stdout, parse_float=lambda text: pytest.fail(f"a float in the report: {text}"))
    assert (report["totals"]["params"], report["totals"]["macs"]) == (params, macs)
    assert sum(layer["params"] for layer in report["layers"]) == params
    assert f'"macs": {macs}' in result.stdout  # digits, never 1.8e+16
    table = cli(["summary", "model.yaml"]).stdout
    # Keras' units for display only, beside the exact figure: 2,199,044,227,072 float32 weights are 8 TiB
    assert f"Total params: {params:,} (8.00 TB)" in table


# -- graceful output ---------------------------------------------------------------------------------------------

LAYERCALC = [sys.executable, "-m", "calc"]


def test_a_closed_stdout_exits_quietly(tmp_path):
    """`layercalc summary big.yaml | head -1`: exit 0, nothing on stderr, as Unix tools do."""
    (tmp_path / "big.yaml").write_text("input: [8]\nlayers: [{type: Dense, units: 8, repeat: 1500}]\n")
    result = subprocess.run(["bash", "-c", f"{' '.join(LAYERCALC)} summary big.yaml | head -1; "
                                           "echo \"exit ${PIPESTATUS[0]}\" >&2"],
                            cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.stdout.strip() != ""  # head printed its one line
    assert result.stderr == "exit 0\n"


def test_ctrl_c_exits_130_without_a_traceback(tmp_path):
    """SIGINT while layercalc works on a large spec. The spec comes on standard input after a long comment,
    so once our write of it has gone through, layercalc is surely running (it read the pipe)."""
    spec = b"#" * (4 * 1024 * 1024) + b"\ninput: [8]\nlayers: [{type: Dense, units: 8, repeat: 900000}]\n"
    process = subprocess.Popen([*LAYERCALC, "summary", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    process.stdin.write(spec)
    process.stdin.close()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=120)
    assert (process.returncode, process.stderr.read(), process.stdout.read()) == (130, b"layercalc: interrupted\n", b"")


def test_output_is_never_half_written(cli, write_spec, tmp_path, monkeypatch):
    good = write_spec("input: [4]\nlayers: [{type: Dense, units: 2}]\n", "good.yaml")
    bad = write_spec("input: [4]\nlayers: [{type: Dense}]\n", "bad.yaml")
    assert cli(["summary", good, "-f", "json", "-o", "out.json"]).exit_code == 0
    before = (tmp_path / "out.json").read_text()
    assert cli(["summary", bad, "-f", "json", "-o", "out.json"]).exit_code == 2  # an invalid spec writes nothing
    assert (tmp_path / "out.json").read_text() == before

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)  # the last step of a write fails
    result = cli(["summary", good, "-o", "out.json"])
    assert (result.exit_code, result.stderr) == (2, "layercalc: cannot write out.json: No space left on device\n")
    assert (tmp_path / "out.json").read_text() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bad.yaml", "good.yaml", "out.json"]  # no temporary


def test_output_into_a_missing_folder(cli, write_spec):
    result = cli(["summary", write_spec("input: [4]\nlayers: [{type: Dense, units: 2}]\n"), "-o", "no/such/out.txt"])
    assert (result.exit_code, result.stderr) == (2, "layercalc: cannot write no/such/out.txt: No such file or "
                                                    "directory\n")


# -- memory: the command in a child that may use at most 512 MiB more than the parent holds ----------------------

@pytest.fixture
def bounded(bounded_cli, monkeypatch):
    """bounded(path): `layercalc summary path` run in path's folder in a forked child under conftest's CPU-time
    and memory limits (the memory CHILD_MEMORY_BYTES beyond the parent's: tighter than the 1 GiB of a new
    interpreter these once ran in, which each regression below went past)."""
    def run(path: Path) -> subprocess.CompletedProcess:
        monkeypatch.chdir(path.parent)
        return bounded_cli(["summary", path.name])

    return run


SMALL_MODEL = json.dumps({"class_name": "Sequential", "config": {"name": "small", "layers": [
    {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "input_layer"}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 2}}]}})


def archive(members: dict, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as written:
        for name, text in members.items():
            written.writestr(name, text)
    return buffer.getvalue()


def relabelled(data: bytes, *, method: int = None, declared: int = None, flags: int = 0) -> bytes:
    """An archive of one member with its compression method, declared size or flags rewritten in both the
    member's header and the directory."""
    data = bytearray(data)
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    if declared is not None:
        struct.pack_into("<L", data, local + 22, declared)
        struct.pack_into("<L", data, central + 24, declared)
    data[local + 6] |= flags
    data[central + 8] |= flags
    return bytes(data)


def deflate_bomb(size_mib: int) -> bytes:
    """A config.json that inflates to size_mib MiB of spaces: the same deflate block, repeated (a full flush
    makes each block start afresh), behind a header declaring the config's own small size."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = head.compress(SMALL_MODEL[:-1].encode()) + head.flush(zlib.Z_FULL_FLUSH)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream += (block.compress(b" " * (1 << 20)) + block.flush(zlib.Z_FULL_FLUSH)) * size_mib
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream += tail.compress(b"}") + tail.flush()
    return relabelled(archive({"config.json": stream}, zipfile.ZIP_STORED), method=zipfile.ZIP_DEFLATED,
                      declared=len(SMALL_MODEL))


def many_members(count: int, declared: int) -> bytes:
    """An archive listing its config.json `count` times (one member, many directory entries), its end record
    declaring `declared` members."""
    data = archive({"config.json": SMALL_MODEL})
    central, end = data.find(b"PK\x01\x02"), data.find(b"PK\x05\x06")
    entry = data[central:end]
    record = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, declared, declared, len(entry) * count, central, 0)
    return data[:central] + entry * count + record


ARCHIVES = [
    pytest.param(lambda: archive({"config.json": SMALL_MODEL}, zipfile.ZIP_BZIP2),
                 "config.json in the archive is compressed with bzip2: layercalc reads only stored and deflated "
                 "members, as model.save() writes them", id="bzip2"),
    pytest.param(lambda: archive({"config.json": SMALL_MODEL}, zipfile.ZIP_LZMA),
                 "config.json in the archive is compressed with lzma: layercalc reads only stored and deflated "
                 "members, as model.save() writes them", id="lzma"),
    pytest.param(lambda: relabelled(archive({"config.json": SMALL_MODEL}), flags=1),
                 "config.json in the archive is encrypted: layercalc reads archives as model.save() writes them",
                 id="encrypted"),
    pytest.param(lambda: relabelled(archive({"config.json": SMALL_MODEL}), declared=16 * 1024 * 1024 + 1),
                 "config.json in the archive is larger than 16,384 KiB", id="declared-size"),
    pytest.param(lambda: deflate_bomb(1024), "not a readable .keras archive: Bad CRC-32 for file 'config.json'",
                 id="deflate-bomb"),
    pytest.param(lambda: archive({f"assets/{index}": "" for index in range(10_001)} | {"config.json": SMALL_MODEL}),
                 "the archive has 10,002 members, more than the limit of 10,000", id="members"),
    pytest.param(lambda: many_members(20_000, declared=1),
                 "the archive has 20,000 members, more than the limit of 10,000", id="members-undeclared"),
    pytest.param(lambda: many_members(2_000_000, declared=1),
                 "the archive's directory is 114,000,000 bytes, more than the limit of 4 MiB", id="directory"),
    pytest.param(lambda: archive({"config.json": "[" * 100_000 + "]" * 100_000}),
                 "config.json in the archive: lists and objects nest more than 100 deep", id="json-depth"),
]


@pytest.mark.parametrize("make, message", ARCHIVES)
def test_archives_are_read_in_bounded_memory(bounded, tmp_path, make, message):
    """Whatever an archive declares, what is read from it is bounded: members compressed by any method but
    stored and deflate are refused (zipfile decompresses bzip2 and LZMA in one unbounded step: 2 KiB took
    6.3 GB), a member is inflated piecewise up to its limit (a 1 MiB deflate bomb took 1 GB), and the
    directory is measured before it is read (2 million members took 1 GB)."""
    path = tmp_path / "model.keras"
    path.write_bytes(make())
    result = bounded(path)
    assert (result.returncode, result.stderr, result.stdout) == (2, f"model.keras: {message}\n", "")


def test_metadata_that_cannot_be_read_leaves_the_version_unknown(cli, tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(archive({"config.json": SMALL_MODEL, "metadata.json": "[" * 60_000}))
    result = cli(["summary", path])
    assert result.exit_code == 0, result.stderr


KERAS_JSON = [
    pytest.param('{"class_name": "Sequential", "config": ' + "[" * 100_000 + "]" * 100_000 + "}",
                 "model.json:1:139: lists and objects nest more than 100 deep", id="deep"),
    pytest.param(SMALL_MODEL.replace('"units": 2', '"units": ' + '{"a": ' * 950 + "2" + "}" * 950),
                 "model.json:1:791: lists and objects nest more than 100 deep", id="deep-argument"),
    pytest.param(SMALL_MODEL.replace('"dense"', '"de\\ud800nse"'),
                 "model.json:1:1: the string 'de\\ud800nse' holds a lone surrogate, which is not a character",
                 id="lone-surrogate"),
]


@pytest.mark.parametrize("text, message", KERAS_JSON)
def test_keras_json_that_python_cannot_walk_or_print(bounded, tmp_path, text, message):
    """JSON nested deeper than the stages after reading can recurse, or holding half a UTF-16 pair, which no
    output could print: refused with where, never an internal error."""
    path = tmp_path / "model.json"
    path.write_text(text)
    result = bounded(path)
    assert (result.returncode, result.stderr, result.stdout) == (2, message + "\n", "")


YAML_BOUNDED = [
    pytest.param(lambda: laughs_after_colons(9), "model.yaml:1:1: YAML aliases expand the spec to 1,358,024,692 "
                 "lists, mappings and scalars, more than the limit of 1,000,000", id="billion-laughs-after-colons"),
    pytest.param(lambda: "input: [4]\nlayers: [{type: Dense, units: 2}]\nname: [" + "1," * 8_000_000 + "]\n",
                 "model.yaml:3:1999982: the spec has more than 1,000,000 lists, mappings and scalars",
                 id="nodes-16-mib"),
]


@pytest.mark.parametrize("make, message", YAML_BOUNDED)
def test_specs_are_read_in_bounded_memory(bounded, tmp_path, make, message):
    """A 16 MiB spec of tiny scalars took 4-6 GB once composed, and aliases written after a colon slipped past
    the alias count (871 bytes took 3.3 GB): both are counted before anything is built."""
    path = tmp_path / "model.yaml"
    path.write_text(make())
    result = bounded(path)
    assert (result.returncode, result.stderr, result.stdout) == (2, message + "\n", "")
