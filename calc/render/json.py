"""The JSON report (docs/report.md lists every field)."""

from __future__ import annotations

import json

from ..errors import escaped_beyond_c0
from ..report import Report


def render_json(report: Report) -> str:
    """One JSON object; each layer on a line of its own, so it reads (and diffs) well and encodes fast
    (an indented dump takes Python's slow encoder)."""
    return layer_a_line(report.to_dict(layers_as_made=True))


def render_diff_json(diff) -> str:
    """The comparison as one JSON object, each layer's change on a line of its own, as the summary's."""
    return layer_a_line(diff.as_dict())


def layer_a_line(data) -> str:
    """A JSON object: each key on a line, and each item of its "layers" (a list, or an iterator that makes
    each when reached) on a line of its own."""
    encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), made once
    parts = []
    for key, value in data.items():
        if key == "layers":
            rows = ",\n    ".join(map(encode, value))
            parts.append(f'  "layers": [\n    {rows}\n  ]' if rows else '  "layers": [\n\n  ]')
        else:
            parts.append(f"  {json.dumps(key)}: {encode(value)}")
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    # json.dumps escapes the C0 controls, but with ensure_ascii=False writes DEL, C1 and the bidi controls as they are.
    return text if text.isascii() and "\x7f" not in text else escaped_beyond_c0(text)


def dumps(data) -> str:
    """Any other JSON document (check): indented, ending with a newline."""
    return json.dumps(data, indent=2) + "\n"
