"""--output writes regular files only, never over an input, keeping modes and leaving no temporary file;
standard output and input that fail (a full disk, a closed descriptor) exit 2 with one line."""

import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SPEC = "input: [4]\nlayers: [{type: Dense, units: 2}]\n"
LAYERCALC = [sys.executable, "-m", "calc"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def run(args, cwd, **options):
    """layercalc in a child process, as a shell runs it."""
    return subprocess.run([*LAYERCALC, *args], cwd=cwd, capture_output=True, text=True, env=ENV, **options)


def files(folder: Path):
    return sorted(path.name for path in folder.iterdir())


@contextlib.contextmanager
def umask(mask: int):
    """This process' umask set to `mask` for the block, and so of the children it forks (conftest.forked_main:
    `layercalc` in a fork, not a new interpreter's 0.3 s)."""
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


# -- what --output may replace -------------------------------------------------------------------------------------

@pytest.mark.parametrize("target, kind", [
    ("device", "a character device, not a regular file (-o - writes to standard output)"),
    ("folder", "a directory, not a regular file"),
    ("fifo", "a FIFO, not a regular file (-o - writes to standard output)"),
    ("socket", "a socket, not a regular file (-o - writes to standard output)"),
])
def test_output_is_a_regular_file_only(cli, write_spec, tmp_path, target, kind):
    """The device is a /dev/null of our own: run as root, a regression must not replace the machine's."""
    model = write_spec(SPEC)
    os.mkdir("folder")
    os.mkfifo("fifo")
    if target == "device":
        try:
            os.mknod("device", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("making a device needs root")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind("socket")
        result = cli(["summary", model, "-f", "json", "-o", target])
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"layercalc: cannot write {target}: it is "
                                                                       f"{kind}\n")
    assert not stat.S_ISREG(os.stat(target).st_mode)
    assert files(tmp_path) == sorted(["fifo", "folder", "model.yaml", "socket", *[target] * (target == "device")])


def inputs_of_each_command(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(SPEC)
    (tmp_path / "b.yaml").write_text(SPEC.replace("2", "3"))
    shutil.copy(ROOT / "tests" / "data" / "keras_models" / "nested.keras", tmp_path / "m.keras")
    (tmp_path / "sub").mkdir()
    os.symlink("a.yaml", tmp_path / "link.yaml")
    os.link(tmp_path / "b.yaml", tmp_path / "hard.yaml")
    return [["summary", "a.yaml", "-o", "a.yaml"],
            ["summary", "a.yaml", "-o", "sub/../a.yaml"],
            ["summary", "a.yaml", "-o", "link.yaml"],
            ["summary", "link.yaml", "-o", str(tmp_path / "a.yaml")],
            ["summary", "hard.yaml", "-f", "csv", "-o", "b.yaml"],
            ["check", "a.yaml", "b.yaml", "--max-params", "1G", "-o", "b.yaml"],
            ["diff", "a.yaml", "b.yaml", "-o", "a.yaml"],
            ["graph", "a.yaml", "-o", "a.yaml"],
            ["convert", "m.keras", "-o", "m.keras"]]


@pytest.mark.parametrize("index", range(9))
def test_output_is_never_an_input(cli, tmp_path, monkeypatch, index):
    monkeypatch.chdir(tmp_path)
    args = inputs_of_each_command(tmp_path)[index]
    before = {name: (tmp_path / name).read_bytes() for name in ("a.yaml", "b.yaml", "m.keras")}
    result = cli(args)
    assert (result.exit_code, result.stderr) == (2, f"layercalc: cannot write {args[-1]}: it is an input of this "
                                                    "command\n")
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert (tmp_path / "link.yaml").is_symlink()


def test_output_is_never_standard_input_when_that_is_a_file(tmp_path):
    (tmp_path / "model.yaml").write_text(SPEC)
    with open(tmp_path / "model.yaml") as spec:
        result = run(["summary", "-", "-o", "model.yaml"], tmp_path, stdin=spec)
    assert (result.returncode, result.stderr) == (2, "layercalc: cannot write model.yaml: it is an input of this "
                                                     "command\n")
    assert (tmp_path / "model.yaml").read_text() == SPEC


def test_a_read_only_file_is_refused_even_for_root(cli, write_spec, tmp_path):
    """The mode decides, not access(): root may write anything, but chmod a-w says the file is not to change."""
    model = write_spec(SPEC)
    (tmp_path / "report.json").write_text("kept\n")
    os.chmod(tmp_path / "report.json", 0o444)
    result = cli(["summary", model, "-f", "json", "-o", "report.json"])
    assert (result.exit_code, result.stderr) == (2, "layercalc: cannot write report.json: the file is read-only "
                                                    "(make it writable, or remove it, first)\n")
    assert (tmp_path / "report.json").read_text() == "kept\n"
    assert stat.S_IMODE(os.stat(tmp_path / "report.json").st_mode) == 0o444


# -- modes, symlinks, standard output ------------------------------------------------------------------------------

@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_mode(forked_main, write_spec, tmp_path, mask, mode):
    model = write_spec(SPEC)
    with umask(mask):
        result = forked_main(["summary", model, "-o", "report.txt"])
    assert (result.returncode, result.stderr) == (0, "")
    assert stat.S_IMODE(os.stat(tmp_path / "report.txt").st_mode) == mode


@pytest.mark.parametrize("command", [["summary", "model.yaml", "-f", "json"], ["schema"], ["graph", "model.yaml"],
                                     ["check", "model.yaml", "--max-params", "1K"]])
def test_every_command_writes_by_the_umask_and_keeps_an_existing_mode(forked_main, write_spec, tmp_path, command):
    """Issue 16: a CI artifact, a shared spec.schema.json: 0644 under umask 022, and a 0644 file stays 0644 when
    a stricter umask replaces it (the mode is the file's, not the process')."""
    write_spec(SPEC)
    with umask(0o022):
        assert forked_main([*command, "-o", "out.txt"]).returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "out.txt").st_mode) == 0o644
    with umask(0o077):
        assert forked_main([*command, "-o", "out.txt"]).returncode == 0
    assert stat.S_IMODE(os.stat(tmp_path / "out.txt").st_mode) == 0o644


def test_an_existing_file_keeps_its_mode(cli, write_spec, tmp_path):
    model = write_spec(SPEC)
    for name, mode in (("group.txt", 0o640), ("shared.txt", 0o644), ("open.txt", 0o666), ("owner.txt", 0o600)):
        (tmp_path / name).write_text("previous\n")
        os.chmod(tmp_path / name, mode)
        assert cli(["summary", model, "-o", name]).exit_code == 0
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == mode
        assert "dense" in (tmp_path / name).read_text()


def test_a_symlink_is_followed_and_its_target_replaced(cli, write_spec, tmp_path):
    model = write_spec(SPEC)
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.json").write_text("previous\n")
    os.symlink("reports/report.json", tmp_path / "latest.json")
    os.symlink("reports/new.json", tmp_path / "dangling.json")
    expected = cli(["summary", model, "-f", "json"]).stdout
    for link in ("latest.json", "dangling.json"):
        result = cli(["summary", model, "-f", "json", "-o", link])
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
        assert (tmp_path / link).is_symlink() and (tmp_path / link).read_text() == expected
    assert files(tmp_path / "reports") == ["new.json", "report.json"]


@pytest.mark.parametrize("output_format", ["table", "json"])
def test_dash_is_standard_output(cli, write_spec, tmp_path, output_format):
    model = write_spec(SPEC)
    printed = cli(["summary", model, "-f", output_format])
    result = cli(["summary", model, "-f", output_format, "-o", "-"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, printed.stdout, "")
    assert files(tmp_path) == ["model.yaml"]


def test_dev_stdout_is_standard_output(tmp_path):
    (tmp_path / "model.yaml").write_text(SPEC)
    printed = run(["summary", "model.yaml", "-f", "json"], tmp_path)
    result = run(["summary", "model.yaml", "-f", "json", "-o", "/dev/stdout"], tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, printed.stdout, "")
    assert printed.stdout.startswith("{")


# -- no temporary file left behind --------------------------------------------------------------------------------

# A signal arrives while the temporary file is whole but not yet in place: sent by the process to itself just
# before os.replace, so it always lands in that window, without timing. Python runs the handler right then.
SIGNALLED = """
import os, sys
number = int(sys.argv.pop(1))
replace = os.replace
def signalled_replace(source, target):
    os.kill(os.getpid(), number)
    replace(source, target)
os.replace = signalled_replace
sys.argv = ["layercalc", *sys.argv[1:]]
from calc.cli import main
main()
"""


@pytest.mark.parametrize("number, returncode, stderr", [
    (signal.SIGINT, 130, "layercalc: interrupted\n"),
    (signal.SIGTERM, -signal.SIGTERM, ""),  # ended by the signal itself, as the parent expects
])
def test_a_signal_during_the_write_leaves_no_temporary_file(tmp_path, number, returncode, stderr):
    (tmp_path / "model.yaml").write_text(SPEC)
    (tmp_path / "report.json").write_text("previous\n")
    result = subprocess.run([sys.executable, "-c", SIGNALLED, str(int(number)), "summary", "model.yaml", "-f",
                             "json", "-o", "report.json"], cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert (result.returncode, result.stdout, result.stderr) == (returncode, "", stderr)
    assert files(tmp_path) == ["model.yaml", "report.json"]
    assert (tmp_path / "report.json").read_text() == "previous\n"


# -- standard output and input that fail ---------------------------------------------------------------------------

@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["summary", "model.yaml"], ["summary", "model.yaml", "-f", "json"],
                                  ["check", "model.yaml", "--max-params", "1G"], ["layers"], ["--version"]])
def test_a_full_disk_on_standard_output_exits_2(tmp_path, args):
    (tmp_path / "model.yaml").write_text(SPEC)
    with open("/dev/full", "w") as full:
        result = subprocess.run([*LAYERCALC, *args], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True,
                                env=ENV)
    assert (result.returncode, result.stderr) == (2, "layercalc: cannot write standard output: No space left on "
                                                     "device\n")


@pytest.mark.parametrize("args", ["summary model.yaml", "summary model.yaml -f csv", "graph model.yaml"])
def test_a_closed_standard_output_exits_2(tmp_path, args):
    (tmp_path / "model.yaml").write_text(SPEC)
    result = subprocess.run(["bash", "-c", f"{' '.join(LAYERCALC)} {args} >&-"], cwd=tmp_path, capture_output=True,
                            text=True, env=ENV)
    assert (result.returncode, result.stderr) == (2, "layercalc: cannot write standard output: Bad file "
                                                     "descriptor\n")


def test_a_closed_standard_output_does_not_matter_with_output(tmp_path):
    (tmp_path / "model.yaml").write_text(SPEC)
    result = subprocess.run(["bash", "-c", f"{' '.join(LAYERCALC)} summary model.yaml -o report.txt >&-"],
                            cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert (result.returncode, result.stderr) == (0, "")
    assert "dense" in (tmp_path / "report.txt").read_text()


def test_a_closed_standard_input_exits_2(tmp_path):
    result = subprocess.run(["bash", "-c", f"{' '.join(LAYERCALC)} summary - <&-"], cwd=tmp_path,
                            capture_output=True, text=True, env=ENV)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", "<stdin>:1:1: cannot read spec: Bad file "
                                                                        "descriptor\n")


@pytest.mark.parametrize("args, returncode", [
    (["summary", "model.yaml"], 0), (["summary", "model.yaml", "-f", "json"], 0), (["layers"], 0),
    (["check", "model.yaml", "--max-params", "1"], 1),  # the reader went away; the budget is still exceeded
])
def test_a_reader_gone_before_the_first_write_is_no_failure(tmp_path, args, returncode):
    """The pipe's reading end is closed before layercalc starts, so its first write fails with EPIPE."""
    (tmp_path / "model.yaml").write_text(SPEC)
    reading, writing = os.pipe()
    os.close(reading)
    try:
        result = subprocess.run([*LAYERCALC, *args], cwd=tmp_path, stdout=writing, stderr=subprocess.PIPE,
                                text=True, env=ENV)
    finally:
        os.close(writing)
    assert (result.returncode, result.stderr) == (returncode, "")
