"""Tables that paste cleanly (issue 16, requirement 6), through the real command line in a child process, as a
shell runs it: what a pipe receives and what --output writes are the same bytes, no line ends in a space, a
title is never cut mid-word, and nothing is wrapped at 80 columns when piped. (The --output side runs in a
forked child, conftest.forked_main, with the same environment: what the pipe receives is the point.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SPECS = ROOT / "specs"
# COLUMNS=80 as in an 80-column terminal: a pipe must not be laid out for it.
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "LINES": "24"}
for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
    ENV.pop(variable, None)


# What ENV changes, for conftest.forked_main (None: unset).
ENV_CHANGES = {"COLUMNS": "80", "LINES": "24", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": None}


def piped(args, cwd) -> str:
    """layercalc's standard output read through a pipe."""
    result = subprocess.run([sys.executable, "-m", "calc", *map(str, args)], cwd=cwd, capture_output=True, env=ENV)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def piped_once(tmp_path_factory):
    """piped(args) in a folder of the module's, each command line run once: the tests that read the same
    command's output share it (these commands name no file of the folder)."""
    folder, outputs = tmp_path_factory.mktemp("piped"), {}

    def run(args) -> str:
        key = tuple(map(str, args))
        if key not in outputs:
            outputs[key] = piped(args, folder)
        return outputs[key]

    return run


COMMANDS = {
    "summary": ["summary", SPECS / "mnist_convnet.yaml"],
    "summary --columns params": ["summary", SPECS / "mnist_convnet.yaml", "--columns", "params"],
    "summary --memory --flops": ["summary", SPECS / "resnet50.yaml", "--memory", "--flops", "--depth", "1"],
    "summary --tree": ["summary", SPECS / "resnet50.yaml", "--tree", "--depth", "2"],
    "summary --by-type": ["summary", SPECS / "resnet50.yaml", "--by-type", "--flops"],
    "check": ["check", SPECS / "seed_conv.yaml", SPECS / "resnet50.yaml", "--max-params", "1M"],
    "diff": ["diff", SPECS / "residual_small.yaml", SPECS / "resnet50.yaml"],
    "explain": ["explain", SPECS / "resnet50.yaml", "conv2_block1"],
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS)
def test_piped_and_written_tables_are_the_same_bytes_without_trailing_spaces(forked_main, piped_once, tmp_path,
                                                                             command):
    printed = piped_once(command)
    assert forked_main([*command, "--output", tmp_path / "table.txt"], env=ENV_CHANGES).returncode in (0, 1)
    written = (tmp_path / "table.txt").read_text(encoding="utf-8")
    assert printed == written
    assert [line for line in printed.split("\n") if line.endswith(" ")] == []
    assert printed.endswith("\n") and not printed.endswith("\n\n\n")


def test_a_title_is_never_cut_mid_word(piped_once):
    """Before: the title was wrapped at the one column's width, 'Model:' / '"mnist-co' / 'nvnet"'."""
    printed = piped_once(COMMANDS["summary --columns params"])
    assert printed.split("\n")[:4] == ['Model: "mnist-convnet"', "", " Param #", " " + "─" * 7]


def test_titles_of_check_and_diff_are_whole(tmp_path):
    """Each title wider than its table, on one line."""
    before, after = "the model before the change.yaml", "the model after the change, with a wider layer.yaml"
    (tmp_path / before).write_text("input: [4]\nlayers: [{type: Dense, units: 2}]\n")
    (tmp_path / after).write_text("input: [4]\nlayers: [{type: Dense, units: 3}]\n")
    assert piped(["diff", before, after], tmp_path).split("\n")[0] == f"{before} → {after}"
    assert piped(["check", after, "--max-params", "1K"], tmp_path).split("\n")[0] == after


@pytest.mark.parametrize("command", [["layers"], ["layers", "MultiHeadAttention"]])
def test_layers_is_not_wrapped_when_piped(piped_once, command):
    printed = piped_once(command)
    lines = printed.split("\n")
    assert max(map(len, lines)) > 80
    assert [line for line in lines if line.endswith(" ")] == []


def test_layers_lists_each_type_on_one_line(piped_once):
    """Unwrapped, each type's row is one line: Dense's arguments end on Dense's line."""
    line = next(line for line in piped_once(["layers"]).split("\n") if " Dense " in line)
    assert line.split() == ["core", "Dense", "units=required,", "use_bias=true,", "lora_rank=null"]
