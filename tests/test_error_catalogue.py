"""The README's catalogue of errors is exactly what layercalc prints, so it cannot go stale.

Every error class comes from a test that asserts its message word for word (tests/test_cli.py,
tests/test_blocks.py, tests/test_hardening.py, by the same name); the catalogue runs each spec again
through the command line, but for the limits: tests/test_hardening.py runs those as the catalogue would
(`summary model.yaml` and the same arguments) and asserts what they print, the message the catalogue takes
(running them twice, the 2 MB spec of a million nodes above all, was most of this file's time).  After
changing a message: `.venv/bin/python tests/test_error_catalogue.py`
rewrites the README's block.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calc.cli import app  # noqa: E402
from tests import test_blocks, test_cli, test_hardening  # noqa: E402

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- errors: generated[^\n]*-->\n```text\n)(.*?)(```\n)", re.S)


def cases():
    """(name, spec bytes or None for a missing file, extra arguments, the message when a test of the command
    line asserts it already, else None), in the README's order."""
    for param in test_cli.ERRORS:
        yield param.id, param.values[0].encode(), [], None
    yield "not-utf-8", b"input: [4]\nname: caf\xe9\n", [], None
    yield "unreadable", None, [], None
    for param in test_blocks.ERRORS:
        yield f"block-{param.id}", param.values[0].encode(), [], None
    for param in test_hardening.LIMITS + test_hardening.GROWTH:
        text, args, message = param.values
        yield f"limit-{param.id}", text.encode(), args, message
    for param in test_hardening.NUMBERS:
        yield (f"number-{param.id}", f"input: [4]\nlayers: [{{type: Dense, units: {param.values[0]}}}]\n".encode(),
               [], None)


def catalogue(folder: Path) -> str:
    """One '# name' line and the message as printed, for every error class."""
    runner, lines = CliRunner(), []
    for name, spec, args, message in cases():
        if message is not None:  # printed as message + "\n": one line, like every other
            assert "\n" not in message, name
            lines += [f"# {name.replace('-', ' ')}", message]
            continue
        path = folder / "model.yaml"
        path.unlink(missing_ok=True)
        if spec is not None:
            path.write_bytes(spec)
        result = runner.invoke(app, ["summary", "model.yaml", *args])
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, (name, result.stderr)
        lines += [f"# {name.replace('-', ' ')}", result.stderr.rstrip("\n")]
    return "\n".join(lines) + "\n"


def test_readme_errors_are_what_layercalc_prints(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = BLOCK.search(README.read_text())
    assert found, "README.md has no generated errors block"
    assert found.group(2) == catalogue(tmp_path), "run: .venv/bin/python tests/test_error_catalogue.py"


if __name__ == "__main__":
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        text = README.read_text()
        README.write_text(BLOCK.sub(lambda match: match.group(1) + catalogue(Path(folder)) + match.group(3), text,
                                    count=1))
