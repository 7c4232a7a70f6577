"""Writing a command's text: to standard output, or to the regular file `--output` names, replaced in one
step. Failures are `UsageError`s naming the file; cli.py turns them into a message and an exit code."""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Iterator, Optional, Sequence, TextIO

from .errors import UsageError

if TYPE_CHECKING:  # pathlib costs 4 ms at start-up: paths are handled with os.path
    from pathlib import Path

# What a path is, when it is not a regular file (the first letter `ls -l` shows).
NOT_REGULAR = {"d": "a directory", "c": "a character device", "b": "a block device", "p": "a FIFO",
               "s": "a socket"}
# The signals that end the process by default while a temporary file exists: each removes it first.
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def is_standard_output(path: Optional[Path]) -> bool:
    """No path, `-`, or a path naming the file standard output already is (/dev/stdout, /dev/fd/1)."""
    if path is None or str(path) == "-":
        return True
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no such path; stdout closed, or not a file (a test's buffer)
        return False


@contextmanager
def standard_output() -> Iterator[TextIO]:
    """sys.stdout, flushed at the end, its errors (a full disk, a closed descriptor) as a UsageError.
    BrokenPipeError, the reader going away, passes through: it is not a failure (cli.py)."""
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        raise UsageError(f"cannot write standard output: {os.strerror(errno.EBADF)}")
    try:
        yield sys.stdout
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise UsageError(f"cannot write standard output: {error.strerror or error}") from None


def write_text(text: str, path: Optional[Path], inputs: Sequence[str] = ()) -> None:
    """Print `text`, or replace the file at `path` with it (see replace_file)."""
    if is_standard_output(path):
        with standard_output() as stream:
            stream.write(text)
    else:
        replace_file(text, path, inputs)


def replace_file(text: str, path: Path, inputs: Sequence[str] = ()) -> None:
    """Replace the regular file at `path` with `text` in one step, so no reader sees half of it. A symlink
    is followed: the file it names is replaced. An existing file keeps its mode; a new one gets the umask's
    (0666 & ~umask). Refused: anything but a regular file, a read-only file, one of the command's `inputs`."""
    target = os.path.realpath(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    if existing is not None:
        refuse_to_replace(path, existing, inputs)
    directory, name = os.path.split(target)
    temporary = os.path.join(directory, f".{name}.{os.urandom(4).hex()}.tmp")  # not secrets: 4 ms to import
    try:
        with removed_on_signal(temporary):
            handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            try:
                if existing is not None:
                    with suppress(PermissionError):  # only root may give a file to another owner
                        os.fchown(handle, existing.st_uid, existing.st_gid)
                    os.fchmod(handle, stat.S_IMODE(existing.st_mode))
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(temporary, target)
            except BaseException:  # a full disk, Ctrl-C in a test: leave no half-written file, not even hidden
                with suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def refuse_to_replace(path: Path, existing: os.stat_result, inputs: Sequence[str]) -> None:
    """Raise unless `--output` may replace the existing file it names."""
    kind = NOT_REGULAR.get(stat.filemode(existing.st_mode)[0])
    if kind:
        hint = "" if kind == "a directory" else " (-o - writes to standard output)"
        raise UsageError(f"cannot write {path}: it is {kind}, not a regular file{hint}")
    # The owner's write bit, whoever runs layercalc: root may write any file, but a file made read-only
    # (chmod a-w) is not meant to change, and replacing it needs only the directory's permission.
    if not existing.st_mode & stat.S_IWUSR:
        raise UsageError(f"cannot write {path}: the file is read-only (make it writable, or remove it, first)")
    if any(os.path.samestat(existing, status) for status in input_statuses(inputs)):
        raise UsageError(f"cannot write {path}: it is an input of this command")


def input_statuses(inputs: Sequence[str]) -> Iterator[os.stat_result]:
    """The file behind each input that still exists: a path, or `-` for standard input."""
    for spec in inputs:
        with suppress(OSError, ValueError, AttributeError):  # gone; stdin closed, or a test's buffer
            yield os.fstat(sys.stdin.fileno()) if spec == "-" else os.stat(spec)


@contextmanager
def removed_on_signal(temporary: str) -> Iterator[None]:
    """While the block runs, a signal that would end the process (Ctrl-C, `kill`, a closed terminal) first
    removes `temporary`, then does what it did before: layercalc's own handler, or the default action."""
    previous = {number: signal.getsignal(number) for number in ENDING_SIGNALS}

    def remove_then_end(number, frame):
        with suppress(OSError):
            os.unlink(temporary)
        signal.signal(number, previous[number])
        if callable(previous[number]):
            previous[number](number, frame)
        else:  # the default action: end by the same signal, so the parent sees why
            os.kill(os.getpid(), number)

    installed = [number for number, handler in previous.items() if handler not in (signal.SIG_IGN, None)]
    for number in installed:
        signal.signal(number, remove_then_end)
    try:
        yield
    finally:
        for number in installed:
            signal.signal(number, previous[number])
