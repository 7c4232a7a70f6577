"""The JSON report (SPEC.md section 3)."""

from __future__ import annotations

import json
import re

from ..errors import BEYOND_C0
from ..report import Report

# json.dumps escapes C0 controls; with ensure_ascii=False it writes DEL, C1 controls, the line separators and
# the bidi controls as they are, so those are escaped too (as \u0085: the same string to a JSON reader).
_UNESCAPED = re.compile(f"[{BEYOND_C0}]")


def render_json(report: Report) -> str:
    """One JSON object; each layer on a line of its own, so it reads (and diffs) well and encodes fast
    (an indented dump takes Python's slow encoder)."""
    data = report.to_dict()
    parts = []
    for key, value in data.items():
        if key == "layers":
            rows = ",\n".join("    " + json.dumps(layer, ensure_ascii=False) for layer in value)
            parts.append(f'  "layers": [\n{rows}\n  ]')
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return _UNESCAPED.sub(lambda match: f"\\u{ord(match[0]):04x}", "{\n" + ",\n".join(parts) + "\n}\n")


def dumps(data) -> str:
    """Any other JSON document (check, diff): indented, ending with a newline."""
    return json.dumps(data, indent=2) + "\n"
