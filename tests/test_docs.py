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
