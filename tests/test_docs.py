"""The registry is the test input: every layer type is documented and listed."""

import re

import pytest

from calc import rules
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
TYPES = sorted(rules.load_all())


def test_readme_opens_with_the_two_setup_commands():
    block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]


@pytest.mark.parametrize("name", TYPES)
def test_type_is_in_readme(name):
    assert re.search(rf"\b{name}\b", README), f"{name} is not documented in README.md"


@pytest.mark.parametrize("name", TYPES)
def test_type_has_formulas(name):
    doc = rules.REGISTRY[name].__doc__ or ""
    for part in ("output:", "MACs:"):
        assert part in doc, f"{name}'s docstring lacks '{part}' (shown by `layercalc layers {name}`)"
