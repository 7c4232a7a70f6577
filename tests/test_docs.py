"""The registry is the test input: every layer type is documented and listed."""

import re

import pytest

from calc import rules
from calc.render.layers import layer_reference
from calc.rules.registry import types_defined_in
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
TYPES = sorted(rules.load_all())


def test_readme_opens_with_the_two_setup_commands():
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]


def test_layer_reference_is_up_to_date():
    """docs/layers.md documents every registered type; it is generated from the registry."""
    assert (ROOT / "docs" / "layers.md").read_text() == layer_reference(), "run `make docs` and commit docs/layers.md"


def test_torch_layer_reference_is_up_to_date():
    """docs/torch_layers.md documents every torch module type, from the torch registry."""
    assert (ROOT / "docs" / "torch_layers.md").read_text() == layer_reference("torch"), \
        "run `make docs` and commit docs/torch_layers.md"


@pytest.mark.parametrize("name", sorted(rules.load_all("torch")))
def test_torch_type_has_formulas(name):
    doc = rules.FRAMEWORKS["torch"].registry[name].__doc__ or ""
    for part in ("output:", "MACs:"):
        assert part in doc, f"{name}'s docstring lacks '{part}' (shown by `layercalc layers {name} --framework torch`)"


def test_torch_family_index_matches_the_registry():
    """The torch family index, read from calc/rules/torch/'s source, names every type once."""
    rule_set = rules.FRAMEWORKS["torch"]
    expected = {name: cls.family for name, cls in rules.load_all("torch").items()}
    expected.update({alias: rule_set.registry[canonical].family for alias, canonical in rule_set.aliases.items()})
    found = [(name, family) for family in rule_set.families for name in types_defined_in(family, "torch")]
    assert sorted(found) == sorted(expected.items())


def test_readme_summarizes_every_family():
    table = README.split("## Supported layers", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| (\w+) \|", table, re.M)[1:] == list(rules.FAMILIES)


@pytest.mark.parametrize("name", TYPES)
def test_type_has_formulas(name):
    doc = rules.REGISTRY[name].__doc__ or ""
    for part in ("output:", "MACs:"):
        assert part in doc, f"{name}'s docstring lacks '{part}' (shown by `layercalc layers {name}`)"


def is_subsequence(part, whole) -> bool:
    remaining = iter(whole)
    return all(line in remaining for line in part)


def test_blocks_section_quotes_resnet50_and_its_depth_1_summary(cli):
    """README's "Blocks and repeat" quotes specs/resnet50.yaml and `summary --depth 1` as they are."""
    section = README.split("## Blocks and repeat", 1)[1].split("\n## ", 1)[0]
    excerpt, output = re.findall(r"```(?:yaml)?\n(.*?)```", section, re.S)
    spec = (ROOT / "specs" / "resnet50.yaml").read_text().splitlines()
    quoted_spec = [line for line in excerpt.splitlines() if line.strip() != "# ..." and not line.startswith("# fragment")]
    assert is_subsequence(quoted_spec, spec)
    printed = cli(["summary", ROOT / "specs" / "resnet50.yaml", "--depth", "1"]).stdout.splitlines()
    quoted = [line for line in output.splitlines() if not line.startswith(" ...")]
    assert is_subsequence(quoted, [line.rstrip() for line in printed])


def test_family_index_matches_the_registry():
    """The family index, read from the rule modules' source, lets a spec import only the families it uses;
    it must name every type and alias once (a rule written in a way the scan misses fails here)."""
    expected = {name: cls.family for name, cls in rules.load_all().items()}
    expected.update({alias: rules.REGISTRY[canonical].family for alias, canonical in rules.ALIASES.items()})
    found = [(name, family) for family in rules.FAMILIES for name in types_defined_in(family)]
    assert sorted(found) == sorted(expected.items())


def test_budgets_section_quotes_check_and_diff_as_printed(cli, tmp_path, monkeypatch):
    """README's "Budgets in CI" sessions (`$ layercalc ...`, its output, `$ echo $?` and the exit code) are what
    layercalc prints: the check with a FLOPs budget, the refusal of a spec without one, the diff."""
    import shlex

    section = README.split("## Budgets in CI: `check` and `diff`", 1)[1].split("\n## ", 1)[0]
    sessions = [block for block in re.findall(r"```\n(.*?)```", section, re.S) if block.startswith("$ layercalc")]
    assert len(sessions) == 3
    monkeypatch.chdir(tmp_path)  # the README's paths, and model.yaml, a spec without a budget
    for folder in ("specs", "docs"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    (tmp_path / "model.yaml").write_text("input: [4]\nlayers: [{type: Dense, units: 2}]\n")
    for session in sessions:
        commands = re.split(r"^\$ ", session.replace("\\\n", ""), flags=re.M)[1:]
        result = None
        for command in commands:
            line, _, expected = command.partition("\n")
            if line == "echo $?":
                assert expected == f"{result.exit_code}\n", session
                continue
            result = cli(shlex.split(line)[1:])
            # a quote cannot end in the blank line that closes a table
            assert (result.stdout or result.stderr).rstrip("\n") == expected.rstrip("\n"), line
