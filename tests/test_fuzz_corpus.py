"""What the fuzzing (tests/test_fuzz.py) found, each failure as its minimal reproduction: a regular test,
so it stays fixed whatever the random inputs of the next run."""

from __future__ import annotations

import pytest

SPEC = "input: [H]\nlayers: [{type: Dense, units: 2}]\n"

FLAGS = [
    # int() refuses 4,301 digits or more: an internal error (exit 3) before the limit was checked.
    pytest.param(["summary", "--set", "H=" + "9" * 5000],
                 "layercalc: --set H: the value is more than the limit of 2**62 (4,611,686,018,427,387,904)",
                 id="set-5000-digits"),
    pytest.param(["summary", "--set", "H=" + "0" * 5000 + "3", "-f", "csv"], None, id="set-leading-zeros"),
    # click's own errors were a box of many lines repeating the value, escape sequences included.
    pytest.param(["summary", "--depth", "9" * 5000],
                 f"layercalc: Invalid value for '--depth': '{'9' * 59}…{'9' * 60}' is not a valid int range.",
                 id="depth-5000-digits"),
    pytest.param(["summary", "--max-layers", "\x1b[31m1"],
                 "layercalc: Invalid value for '--max-layers': '\\x1b[31m1' is not a valid int range.",
                 id="max-layers-escape"),
    pytest.param(["graph", "--depth", "0"], "layercalc: Invalid value for '--depth': 0 is not in the range x>=1.",
                 id="depth-0"),
]


@pytest.mark.parametrize("args, message", FLAGS)
def test_flag_values(cli, args, message):
    result = cli([args[0], "-", *args[1:]], input=SPEC)
    if message is None:
        assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    else:
        assert (result.exit_code, result.stderr, result.stdout) == (2, message + "\n", "")
