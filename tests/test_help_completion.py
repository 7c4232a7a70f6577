"""--help names arguments and values as Unix tools do (SPEC, FILE, N), and shell completion offers layer
types and column names, through typer's own completion protocol (the script `--install-completion` installs
sets these variables and prints what the command prints)."""

import pytest

from calc import rules
from calc.cli import app
from calc.render import COLUMNS



def complete(cli, words: str) -> list:
    """What bash completion offers for the last word of `words` (typer's complete_bash protocol)."""
    env = {"_LAYERCALC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    result = cli([], env=env)
    assert result.exit_code == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


@pytest.fixture
def cli():
    from typer.testing import CliRunner

    runner = CliRunner()
    return lambda args, env=None: runner.invoke(app, [str(arg) for arg in args], env=env, prog_name="layercalc")


def test_layers_completes_layer_types_and_aliases(cli):
    assert complete(cli, "layercalc layers Conv2") == ["Conv2D", "Conv2DTranspose"]
    assert complete(cli, "layercalc layers MaxPool2") == ["MaxPool2D"]  # aliases too
    every = set(rules.load_all()) | set(rules.ALIASES)
    assert set(complete(cli, "layercalc layers ''")) == every


@pytest.mark.parametrize("typed, offered", [
    ("fl", ["flops"]),
    ("name,ty", ["name,type"]),
    ("+rec", ["+receptive_field"]),
    ("+receptive_field,sh", ["+receptive_field,share"]),
    ("name,type,output_shape,params,macs,flops,memory,receptive_field,attention_saved,kv_cache,share,"
     "params_share,inputs,trainable,buffers,active,", ["name,type,output_shape,params,macs,flops,memory,"
                                                       "receptive_field,attention_saved,kv_cache,share,params_share,"
                                                       "inputs,trainable,buffers,active,input_shape"]),
    ("x", []),
])
def test_columns_completes_column_names(cli, typed, offered):
    assert complete(cli, f"layercalc summary model.yaml --columns {typed}") == offered


def test_columns_completion_offers_every_column(cli):
    assert complete(cli, "layercalc summary model.yaml --columns ''") == list(COLUMNS)


@pytest.mark.parametrize("command, usage", [
    ("summary", "Usage: layercalc summary [OPTIONS] SPEC"),
    ("check", "Usage: layercalc check [OPTIONS] SPECS..."),
    ("diff", "Usage: layercalc diff [OPTIONS] BEFORE AFTER"),
    ("explain", "Usage: layercalc explain [OPTIONS] SPEC [LAYER]"),
    ("graph", "Usage: layercalc graph [OPTIONS] SPEC"),
    ("convert", "Usage: layercalc convert [OPTIONS] MODEL"),
    ("layers", "Usage: layercalc layers [OPTIONS] [TYPE]"),
    ("schema", "Usage: layercalc schema [OPTIONS]"),
])
def test_help_names_arguments_in_capitals(cli, command, usage):
    result = cli([command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    lines = [line.strip(" │") for line in result.stdout.splitlines()]
    assert usage in lines
    assert "{" not in result.stdout and "<str>" not in result.stdout and "<int" not in result.stdout


def test_help_shows_what_each_value_is(cli):
    lines = [" ".join(line.strip(" │").split()) for line in cli(["summary", "--help"], env={"COLUMNS": "200"})
             .stdout.splitlines()]
    for start in ("* SPEC Model spec (YAML)", "--set SYMBOL=SIZE Bind", "--output -o FILE Write",
                  "--depth N [x>=1] Show", "--max-layers N [x>=1] Refuse", "--columns COLUMNS Columns"):
        assert any(line.startswith(start) for line in lines), start
