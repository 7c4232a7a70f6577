"""JSON test data as the reference tools write it: indented, a list of scalars (a shape) on one line,
paths relative to the repository. Shared by tools/keras_reference.py and tools/hf_reference.py, which
run in different scratch environments (Keras; torch + transformers) and import only the standard library
from here."""

from __future__ import annotations

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def to_json(value, indent: int = 0) -> str:
    """Indented JSON, but a list of scalars (a shape, a kernel size) stays on one line."""
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(key))}: {to_json(item, indent + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, (list, tuple)):
        if all(not isinstance(item, (dict, list, tuple)) for item in value):
            return json.dumps(list(value))
        items = [f"{inner}{to_json(item, indent + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def write_json(path: str, data) -> None:
    json.loads(to_json(data))  # sanity: what we write must parse
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(to_json(data) + "\n")


def rel(path: str) -> str:
    absolute = os.path.abspath(path)
    if absolute.startswith(ROOT + os.sep):
        return os.path.relpath(absolute, ROOT).replace(os.sep, "/")
    return path
